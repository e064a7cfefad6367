// The supervisor wallboard: one message per push carries every figure; this script only
// draws it. Alarm levels colour the cells; a rise to "critical" beeps (after the
// supervisor has allowed sound with one click, as browsers require).
"use strict";
(function () {
  var S = JSON.parse(document.getElementById("i18n").textContent);
  var T = S.text, lang = S.lang;
  var $ = function (id) { return document.getElementById(id); };
  var offset = 0, data = null, audio = null, lastLevel = "ok";
  var COLS = ["waiting", "longest_wait", "service_level", "asa", "aht", "abandoned", "abandon_rate", "offered", "answered", "needed"];
  var SECS = {longest_wait: 1, asa: 1, aht: 1}, PCT = {service_level: 1, abandon_rate: 1, occupancy: 1};

  function fmt(key, v) {
    if (v == null) { return "—"; }
    // Under a minute with one decimal (as data.json has it); longer as m:ss.
    if (SECS[key]) { return v < 60 ? v.toFixed(1) + "s" : fmtSeconds(v); }
    if (PCT[key]) { return v.toFixed(1) + "%"; }
    return String(v);
  }
  function toast(text, err) { var t = $("toast"); t.textContent = text; t.className = err ? "err" : ""; }
  function beep() {
    if (!audio) { return; }
    var o = audio.createOscillator(), g = audio.createGain();
    o.frequency.value = 880; g.gain.value = 0.2; o.connect(g); g.connect(audio.destination);
    o.start(); o.stop(audio.currentTime + 0.4);
  }
  $("sound").onclick = function () { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); beep(); };

  function renderOverall(o) {
    ["waiting", "longest_wait", "service_level", "asa", "aht", "abandoned", "offered", "answered", "needed", "occupancy"].forEach(function (k) {
      var cell = $("o-" + k); cell.textContent = fmt(k, o[k]);
      cell.parentNode.className = "tile " + (o.alarms[k] && o.alarms[k] !== "ok" ? o.alarms[k] : "");
    });
  }
  function renderServices(rows) {
    var body = document.querySelector("#services tbody"); clear(body);
    rows.forEach(function (s) {
      var tr = el("tr"); tr.dataset.service = s.name;
      tr.appendChild(el("td", lang === "zh" ? s.label_zh : s.label_en));
      COLS.forEach(function (k) {
        var td = el("td", fmt(k, s[k]), "num " + (s.alarms[k] && s.alarms[k] !== "ok" ? s.alarms[k] : ""));
        td.dataset.metric = k; tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }
  function renderAgents(agents, counts) {
    var body = document.querySelector("#agents tbody"); clear(body);
    agents.forEach(function (a) {
      var tr = el("tr"); tr.dataset.agent = a.id;
      tr.appendChild(el("td", a.name + " (" + a.extension + ")"));
      tr.appendChild(el("td", (S.states[a.state] || a.state) + (a.state === "not_ready" && a.reason ? " · " + (S.reasons[a.reason] || a.reason) : "")));
      var since = el("td", "", "num since"); since.dataset.since = a.since; tr.appendChild(since);
      var occ = el("td", fmt("occupancy", a.occupancy), "num"); occ.dataset.metric = "occupancy"; tr.appendChild(occ);
      var td = el("td");
      if (a.state !== "logged_out") {
        var nr = el("button", T.set_not_ready); nr.dataset.action = "not_ready";
        var lo = el("button", T.force_logout); lo.dataset.action = "logout";
        [nr, lo].forEach(function (b) { b.onclick = function () { act(a.id, b.dataset.action); }; td.appendChild(b); });
      }
      tr.appendChild(td); body.appendChild(tr);
    });
    $("agent-counts").textContent = Object.keys(counts).map(function (k) { return (S.states[k] || k) + " " + counts[k]; }).join(" · ");
    tickAgents();
  }
  function tickAgents() {
    var now = Date.now() / 1000 + offset;
    document.querySelectorAll("#agents td.since").forEach(function (td) { td.textContent = fmtSeconds(now - parseFloat(td.dataset.since)); });
  }
  setInterval(tickAgents, 1000);
  function renderChart(chart, now) {
    var svg = $("chart"); clear(svg);
    var ns = "http://www.w3.org/2000/svg", max = 1;
    chart.forEach(function (b) { max = Math.max(max, b[0]); });
    var w = 960 / 96;
    chart.forEach(function (b, i) {
      [[b[0], "offered", 0], [b[1], "answered", 0.15], [b[2], "abandoned", 0.55]].forEach(function (bar) {
        if (!bar[0]) { return; }
        var h = 190 * bar[0] / max, r = document.createElementNS(ns, "rect");
        r.setAttribute("x", i * w + bar[2] * w); r.setAttribute("width", bar[1] === "offered" ? w - 1 : w * 0.4);
        r.setAttribute("y", 195 - h); r.setAttribute("height", h); r.setAttribute("class", bar[1]);
        var title = document.createElementNS(ns, "title"); title.textContent = bar[1] + " " + bar[0]; r.appendChild(title);
        svg.appendChild(r);
      });
    });
    for (var hr = 0; hr <= 24; hr += 3) {
      var t = document.createElementNS(ns, "text"); t.setAttribute("x", hr * 4 * w); t.setAttribute("y", 215); t.textContent = hr + ":00"; svg.appendChild(t);
    }
  }
  function act(agentId, action) {
    sock.send("agent", {agent: agentId, action: action}).then(function () { toast("✓ " + agentId); }, function (e) { toast(T.error + ": " + (e.detail || e.code), true); });
  }
  var sock = new ReconnectingSocket("/wallboard/ws", function (msg) {
    if (msg.type !== "wallboard") { return; }
    data = msg; offset = msg.now - Date.now() / 1000;
    renderOverall(msg.overall); renderServices(msg.services); renderAgents(msg.agents, msg.agent_counts); renderChart(msg.chart, msg.now);
    $("alarm").dataset.level = msg.level;
    if (msg.level === "critical" && lastLevel !== "critical") { beep(); }
    lastLevel = msg.level;
  }, function (up) {
    var c = $("conn"); c.className = "conn " + (up ? "up" : "down"); c.textContent = up ? T.connected : T.reconnecting;
  });
})();
