// The desk's browser phone: a SIP user agent (JsSIP, vendored) registered over WebSocket
// to Asterisk, DTLS-SRTP audio. Its secret comes from /desk/phone-credentials (this
// agent's session only) and lives in this closure: never in the page, storage or logs.
// window.ctiPhone exposes timings and state for tests and the latency bench, no secret.
"use strict";
(function () {
  var S = JSON.parse(document.getElementById("i18n").textContent);
  var P = S.phone_text;
  var $ = function (id) { return document.getElementById(id); };
  var box = $("phone");
  if (!box || typeof JsSIP === "undefined") { return; }
  var ua = null, cfg = null, session = null, consult = null, ringer = null;
  var held = false, muted = false, statsTimer = null;
  var pub = window.ctiPhone = {status: "connecting", events: [], sessions: 0};
  function now() { return performance.timeOrigin + performance.now(); }
  function mark(type, extra) { pub.events.push(Object.assign({type: type, t: now()}, extra || {})); }
  function toast(text, err) { var t = $("ph-toast"); t.textContent = text; t.className = "toast" + (err ? " err" : ""); }

  function setStatus(code) {
    pub.status = code;
    $("ph-status").textContent = P["ph_" + code] || code;
    box.dataset.reg = ua && ua.isRegistered() ? "on" : "off";
    box.dataset.call = session ? code : "idle";
    var inCall = !!session && (code === "talking" || code === "on_hold" || code === "consulting");
    $("ph-answer").disabled = !(session && code === "ringing");
    $("ph-hangup").disabled = !session;
    $("ph-hold").disabled = !inCall;
    $("ph-mute").disabled = !inCall;
    $("ph-blind").disabled = !inCall;
    $("ph-consult").disabled = !inCall || !!consult;
    $("ph-complete").disabled = !consult;
    Array.prototype.forEach.call($("ph-keypad").querySelectorAll("button"), function (b) { b.disabled = !inCall; });
    $("ph-hold").textContent = held ? P.ph_resume : P.ph_hold;
    $("ph-mute").textContent = muted ? P.ph_unmute : P.ph_mute;
  }
  // Tell the engine when the registration is lost or back: it takes the agent out of
  // routing at once, not when Asterisk's next qualify notices.
  var told = null;
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function report(registered) {
    if (told === registered) { return; }
    told = registered;
    fetch("/desk/phone-status", {method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"X-CTI-Desk": "phone", "Content-Type": "application/json",
                "X-CSRF-Token": csrfToken()},
      body: JSON.stringify({registered: registered})}).catch(function () { told = null; });
  }
  function idleStatus() { setStatus(ua && ua.isRegistered() ? "registered" : "offline"); }

  // ---- ring sound: a generated 450 Hz tone, 1 s on / 4 s off (China's ring cadence) ----
  function startRing() {
    stopRing();
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 450; gain.gain.value = 0;
      osc.connect(gain); gain.connect(ctx.destination); osc.start();
      var on = function () {
        var t = ctx.currentTime;
        gain.gain.setValueAtTime(0.2, t); gain.gain.setValueAtTime(0, t + 1);
      };
      on();
      ringer = {ctx: ctx, timer: setInterval(on, 5000)};
    } catch (e) { ringer = null; }
  }
  function stopRing() {
    if (!ringer) { return; }
    clearInterval(ringer.timer);
    ringer.ctx.close();
    ringer = null;
  }

  // ---- devices -----------------------------------------------------------------------
  function fillDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) { return; }
    navigator.mediaDevices.enumerateDevices().then(function (list) {
      [["ph-mic", "audioinput"], ["ph-spk", "audiooutput"]].forEach(function (pair) {
        var sel = $(pair[0]), keep = sel.value;
        while (sel.options.length > 1) { sel.remove(1); }
        list.filter(function (d) { return d.kind === pair[1]; }).forEach(function (d, i) {
          var o = document.createElement("option");
          o.value = d.deviceId; o.textContent = d.label || (pair[1] + " " + (i + 1));
          sel.appendChild(o);
        });
        sel.value = keep;
      });
    });
  }
  function applySpeaker() {
    var audio = $("ph-audio"), id = $("ph-spk").value;
    if (audio.setSinkId) { audio.setSinkId(id || "").catch(function () { toast(P.ph_speaker + " ?", true); }); }
  }
  $("ph-spk").addEventListener("change", applySpeaker);
  if (navigator.mediaDevices) { navigator.mediaDevices.addEventListener("devicechange", fillDevices); }
  function micConstraints() {
    var id = $("ph-mic").value;
    return {audio: id ? {deviceId: {exact: id}} : true, video: false};
  }

  // ---- call quality from WebRTC stats --------------------------------------------------
  function pollStats() {
    var s = session;
    if (!s || !s.connection) { return; }
    var pc = s.connection;
    pc.getStats().then(function (report) {
      var lost = 0, got = 0, jitter = null, rtt = null, pairId = null;
      report.forEach(function (r) {
        if (r.type === "transport" && r.selectedCandidatePairId) { pairId = r.selectedCandidatePairId; }
        if (r.type === "inbound-rtp" && r.kind === "audio") {
          lost += r.packetsLost || 0; got += r.packetsReceived || 0;
          if (r.jitter != null) { jitter = r.jitter; }
          if (got > 0 && !pub.firstRtp) { pub.firstRtp = now(); mark("first_rtp"); }
        }
        if (r.type === "remote-inbound-rtp" && r.roundTripTime != null) { rtt = r.roundTripTime; }
        if (r.type === "candidate-pair" && r.nominated && r.currentRoundTripTime != null && rtt == null) { rtt = r.currentRoundTripTime; }
      });
      var pair = pairId && report.get(pairId);
      if (pair) {  // where the media flows (tests check it stays on loopback)
        var lc = report.get(pair.localCandidateId), rc = report.get(pair.remoteCandidateId);
        pub.path = {local: lc && lc.address, remote: rc && rc.address, protocol: lc && lc.protocol};
      }
      var loss = got + lost > 0 ? 100 * lost / (got + lost) : 0;
      var grade = loss > 5 || (jitter || 0) > 0.05 || (rtt || 0) > 0.4 ? "poor"
        : loss > 1 || (jitter || 0) > 0.03 || (rtt || 0) > 0.2 ? "fair" : "good";
      pub.quality = {loss: loss, jitter: jitter, rtt: rtt, grade: grade, received: got};
      var q = $("ph-quality");
      q.dataset.grade = grade;
      q.textContent = P.ph_quality + ": " + P["ph_" + grade] + " · " + P.ph_loss + " " + loss.toFixed(1) + "% · "
        + P.ph_jitter + " " + (jitter == null ? "—" : Math.round(jitter * 1000) + " ms") + " · "
        + P.ph_rtt + " " + (rtt == null ? "—" : Math.round(rtt * 1000) + " ms");
    }).catch(function () {});
  }

  // ---- sessions ----------------------------------------------------------------------
  function attach(s) {
    s.on("peerconnection", function (ev) {
      ev.peerconnection.addEventListener("track", function (t) {
        $("ph-audio").srcObject = t.streams[0];
        applySpeaker();
      });
    });
  }
  function wire(s) {
    attach(s);
    s.on("accepted", function () { stopRing(); });
    s.on("confirmed", function () {
      mark("confirmed");
      setStatus("talking");
      fillDevices();
      if (!statsTimer) { watchMedia(); }
    });
    s.on("hold", function () { held = true; mark("hold"); setStatus("on_hold"); });
    s.on("unhold", function () { held = false; mark("unhold"); setStatus("talking"); });
    s.on("muted", function () { muted = true; setStatus(pub.status); });
    s.on("unmuted", function () { muted = false; setStatus(pub.status); });
    var end = function (ev) {
      stopRing();
      mark("ended", {cause: ev && ev.cause});
      if (session === s) {
        session = null; held = false; muted = false;
        clearInterval(statsTimer); statsTimer = null;
        $("ph-quality").textContent = "";
        idleStatus();
      }
    };
    s.on("ended", end);
    s.on("failed", function (ev) { if (ev && ev.cause !== "Canceled") { toast(P.ph_failed + ": " + ev.cause, true); } end(ev); });
  }
  // The first packets are watched closely (the quality line shows media at once, and
  // the latency bench reads firstRtp), then every 2 s.
  function watchMedia() {
    clearInterval(statsTimer);
    pub.firstRtp = null;
    var timer = statsTimer = setInterval(pollStats, 10);
    setTimeout(function () {
      if (statsTimer === timer) { clearInterval(timer); statsTimer = setInterval(pollStats, 2000); }
    }, 4000);
  }
  function answer() {
    if (!session || session.direction !== "incoming" || session.isEstablished()) { return; }
    mark("answer_click");
    watchMedia();
    session.answer({mediaConstraints: micConstraints(), pcConfig: {iceServers: []}});
  }
  function onNewSession(ev) {
    var s = ev.session;
    if (ev.originator !== "remote") { return; }
    if (session) {  // one call at a time: the engine offers another agent at once
      s.terminate({status_code: 486, reason_phrase: "Busy Here"});
      return;
    }
    session = s; pub.sessions += 1;
    wire(s);
    mark("ringing", {from: s.remote_identity.uri.user});
    setStatus("ringing");
    startRing();
    if ($("ph-auto").checked) { answer(); }
  }

  // ---- controls ----------------------------------------------------------------------
  $("ph-answer").addEventListener("click", answer);
  $("ph-hangup").addEventListener("click", function () {
    if (consult) { consult.terminate(); return; }
    if (session) { session.terminate(); }
  });
  $("ph-hold").addEventListener("click", function () {
    if (!session) { return; }
    if (held) { session.unhold(); } else { session.hold(); }
  });
  $("ph-mute").addEventListener("click", function () {
    if (!session) { return; }
    if (muted) { session.unmute({audio: true}); } else { session.mute({audio: true}); }
  });
  Array.prototype.forEach.call($("ph-keypad").querySelectorAll("button"), function (b) {
    b.addEventListener("click", function () {
      var s = consult || session;
      if (s && s.isEstablished()) {
        s.sendDTMF(b.dataset.key, {duration: 160, interToneGap: 80, transportType: "RFC2833"});
        mark("dtmf", {key: b.dataset.key});
      }
    });
  });
  function target() {
    var ext = $("ph-xfer").value.trim();
    if (!/^[0-9*#]{1,32}$/.test(ext)) { toast(P.ph_xfer_target + "?", true); return null; }
    var user = cfg.browser_extensions.indexOf(ext) >= 0 ? ext + cfg.endpoint_suffix : ext;
    return "sip:" + user + "@" + cfg.host;
  }
  $("ph-blind").addEventListener("click", function () {
    var uri = target();
    if (!session || !uri) { return; }
    var s = session;
    // The target answered the transfer (NOTIFY 200): our leg is done, hang it up.
    s.refer(uri, {eventHandlers: {
      accepted: function () { mark("transferred"); if (!s.isEnded()) { s.terminate(); } },
      failed: function () { toast(P.ph_failed, true); }
    }});
  });
  $("ph-consult").addEventListener("click", function () {
    var uri = target();
    if (!session || !uri || consult) { return; }
    if (!held) { session.hold(); }
    var c = ua.call(uri, {mediaConstraints: micConstraints(), pcConfig: {iceServers: []}});
    consult = c;
    attach(c);
    c.on("confirmed", function () { setStatus("consulting"); });
    var gone = function () { consult = null; setStatus(session ? (held ? "on_hold" : "talking") : "registered"); };
    c.on("ended", gone); c.on("failed", gone);
    setStatus("consulting");
  });
  $("ph-complete").addEventListener("click", function () {
    if (!session || !consult) { return; }
    var s = session, c = consult;
    s.refer(c.remote_identity.uri, {replaces: c, eventHandlers: {
      accepted: function () {
        mark("transferred");
        [c, s].forEach(function (x) { if (!x.isEnded()) { x.terminate(); } });
      }
    }});
  });

  // ---- registration: start, keep, come back ---------------------------------------------
  function start(c) {
    cfg = c;
    cfg.host = c.uri.split("@")[1];
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(c.websocket_url)],
      uri: c.uri, password: c.password, display_name: c.display_name,
      register: true, register_expires: 120, session_timers: false,
      connection_recovery_min_interval: 1, connection_recovery_max_interval: 10,
      user_agent: "CTI desk (JsSIP " + JsSIP.version + ")"
    });
    ua.on("connecting", function () { if (!session) { setStatus("connecting"); } });
    ua.on("registered", function () { mark("registered"); report(true); if (!session) { idleStatus(); } });
    ua.on("unregistered", function () { mark("unregistered"); report(false); if (!session) { idleStatus(); } });
    ua.on("registrationFailed", function (e) { toast(P.ph_reg_failed + ": " + e.cause, true); report(false); idleStatus(); });
    ua.on("disconnected", function () { mark("disconnected"); report(false); if (!session) { setStatus("offline"); } });
    ua.on("newRTCSession", onNewSession);
    ua.start();
  }
  // Back on the tab (a laptop woke up, a network came back): register again at once.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !ua) { return; }
    if (!ua.isConnected()) { ua.start(); } else if (!ua.isRegistered()) { ua.register(); }
  });
  window.addEventListener("online", function () { if (ua && !ua.isRegistered()) { ua.register(); } });
  // A closing tab unregisters, so Asterisk stops offering it calls at once.
  window.addEventListener("pagehide", function () { if (ua) { ua.stop(); } });
  fillDevices();
  fetch("/desk/phone-credentials", {credentials: "same-origin", cache: "no-store", headers: {"X-CTI-Desk": "phone"}})
    .then(function (r) { if (!r.ok) { throw r.status; } return r.json(); })
    .then(start)
    .catch(function () { setStatus("offline"); toast(P.ph_no_phone, true); });
})();
