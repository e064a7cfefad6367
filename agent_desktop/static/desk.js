// The agent desktop: renders what the server says (state, pop) and sends commands.
// All text goes in through textContent; the server is the only source of truth, so a
// reconnect simply re-renders its snapshot.
"use strict";
(function () {
  var S = JSON.parse(document.getElementById("i18n").textContent);
  var T = S.text, lang = S.lang;
  var $ = function (id) { return document.getElementById(id); };
  var agent = null, pop = null, offset = 0;
  // Typed work belongs to the call it was typed for: each call's drafts are kept under its
  // id, and the forms always say which call they hold (formCall). A new pop never carries
  // one call's notes, disposition or ticket text over to the next.
  var FIELDS = ["t-title", "t-desc", "w-notes", "w-disposition", "qc-name", "qc-number", "tu-text"];
  var drafts = {}, formCall = null, kbLoaded = false;

  function serverNow() { return Date.now() / 1000 + offset; }
  // A message shows next to what it is about: state and dial buttons, the knowledge base,
  // or the call's forms (cleared when the next call comes).
  var WHERE = {login: "state-toast", ready: "state-toast", not_ready: "state-toast", logout: "state-toast",
    dial: "dial-toast", kb_search: "kb-toast"};
  var place = "toast";
  function toast(text, err, where) { var t = $(where || place); t.textContent = text; t.className = "toast" + (err ? " err" : ""); }
  function failIn(where) { return function (e) { place = where; try { fail(e); } finally { place = "toast"; } }; }
  function fail(e) {
    if (e.code === "illegal_transition") {
      // Worded here, in the agent's language, from the plain values the server sent.
      toast(T.illegal_transition.replace("{ticket}", e.ticket)
        .replace("{state}", S.ticket_states[e.state] || e.state)
        .replace("{action}", S.ticket_actions[e.action] || e.action), true);
      return;
    }
    if (e.code === "text_needed") {
      toast(T.text_needed.replace("{action}", S.ticket_actions[e.action] || e.action), true);
      return;
    }
    // Every refusal in the agent's language: by the server's detail, else by its code,
    // with the plain values it sent (a state, an agent's name) put in words here.
    var text = S.details[e.detail] || S.errors[e.code];
    if (text) {
      text = text.replace("{state}", S.states[e.state] || e.state || "")
        .replace("{agent}", e.agent || "").replace("{action}", S.state_actions[e.action] || e.action || "");
    }
    toast(T.error + ": " + (text || e.detail || e.code || "?"), true);
  }

  function renderAgent() {
    if (!agent) { return; }
    var label = $("state-label");
    label.textContent = S.states[agent.state] || agent.state;
    label.dataset.state = agent.state;
    $("state-reason").textContent = agent.state === "not_ready" && agent.reason ? (S.reasons[agent.reason] || agent.reason) : "";
    tick();
  }
  function tick() {
    if (agent) {
      $("state-time").textContent = fmtSeconds(serverNow() - agent.since);
      var left = agent.wrap_up_until ? fmtSeconds(agent.wrap_up_until - serverNow()) : "";
      $("wrap-left").textContent = agent.state === "wrap_up" && agent.wrap_up_until
        ? (agent.wrap_up_mode === "agent" ? T.wrap_agent : T.wrap_timed).replace("{left}", left) : "";
    }
    if (pop && pop.status === "ringing" && pop.queued_at) {
      $("pop-waited").textContent = fmtSeconds(serverNow() - pop.queued_at);
    }
  }
  setInterval(tick, 1000);

  function list(id, items, fmt) {
    var ul = $(id); clear(ul);
    if (!items || !items.length) { ul.appendChild(el("li", T.none, "muted")); return; }
    items.forEach(function (x) { ul.appendChild(fmt(x)); });
  }
  function renderPop() {
    var box = $("pop");
    box.dataset.status = pop ? pop.status : "none";
    $("pop-body").hidden = !pop; $("work").hidden = !pop;
    if (!pop) { $("pop-status").textContent = T.no_call; return; }
    $("pop-status").textContent = {ringing: T.incoming, connected: T.on_call, transferred: T.transferred,
      dialing: T.dialing, calling: T.calling}[pop.status] || T.ended;
    var ctx = pop.context || {}, c = ctx.customer;
    $("cust-name").textContent = c ? c.name : (pop.context ? T.unknown_caller : (pop.caller_name || pop.number));
    if (c && c.vip) { $("cust-name").appendChild(el("span", "VIP", "vip")); }
    // The name the PBX sent with the number (CallerIDName), beside the number.
    $("cust-number").textContent = pop.number + (pop.caller_name ? " · " + T.pbx_name + " " + pop.caller_name : "");
    $("cust-meta").textContent = c ? [T.account + " " + (c.account_number || "—"), T.grade + " " + (S.grades[c.grade] || c.grade || "—"), T.area + " " + (c.area || "—")].join(" · ") : "";
    $("quick-create").hidden = !(pop.context && !c);
    if (!$("qc-number").value) { $("qc-number").value = pop.number || ""; }
    if (!$("qc-name").value && pop.caller_name && !/^[0-9+ ]*$/.test(pop.caller_name)) { $("qc-name").value = pop.caller_name; }
    $("pop-service").textContent = (lang === "zh" ? pop.service_label[0] : pop.service_label[1]) || pop.service || "—";
    $("pop-waited").textContent = fmtSeconds(pop.waited);
    $("pop-ivr").textContent = (pop.ivr || []).map(function (s) {
      var label = s.label ? (lang === "zh" ? s.label[0] : s.label[1]) : s.node + (s.key ? " " + s.key : "");
      return label + (s.recognized ? " «" + s.recognized + "»" : "");
    }).join(" → ") || "—";
    list("tickets", ctx.tickets, function (t) {
      var li = el("li", "#" + t.id + " " + t.title + " (" + (S.categories[t.category] || t.category) + ", " + (S.ticket_states[t.state] || t.state) + ")");
      li.dataset.ticket = t.id; li.dataset.state = t.state; return li;
    });
    list("history", ctx.history, function (h) {
      var when = h.started_at ? fmtClock(Date.parse(h.started_at) / 1000, S.tz, true) : "";
      return el("li", when + " " + (S.services[h.service] || h.service || "") + " " + (h.disposition ? S.dispositions[h.disposition] || h.disposition : ""));
    });
    list("incidents", ctx.incidents, function (i) { return el("li", (S.incident_types[i.type] ? S.incident_types[i.type] + "：" : "") + i.title, "warn"); });
    list("articles", ctx.articles, article);
    var sel = $("tu-ticket"), keep = sel.value; clear(sel);
    (ctx.tickets || []).forEach(function (t) { var o = el("option", "#" + t.id + " " + t.title); o.value = t.id; sel.appendChild(o); });
    if (keep) { sel.value = keep; }
    $("btn-rec").textContent = pop.recording_paused ? T.resume_rec : T.pause_rec;
    var live = pop.status === "connected", out = pop.direction === "outbound";
    ["btn-hangup", "btn-rec"].forEach(function (id) { $(id).disabled = !live; });
    ["btn-xfer-service", "btn-xfer-agent"].forEach(function (id) { $(id).disabled = !live || out; });
    if (pop.disposition && !$("w-disposition").value) { $("w-disposition").value = pop.disposition; }
  }
  function announcementTitle(title) {
    // The CRM prefixes an incident's announcement with its type code: "[cable] ...".
    var m = /^\[([a-z_]+)\]\s*/.exec(title || "");
    return m ? "【" + (S.incident_types[m[1]] || m[1]) + "】" + title.slice(m[0].length) : title;
  }
  function renderAnnouncements(items) {
    list("announcements", items, function (a) { var li = el("li"); li.appendChild(el("strong", announcementTitle(a.title))); li.appendChild(el("div", a.body)); return li; });
  }

  var sock = new ReconnectingSocket("/desk/ws", function (msg) {
    if (msg.now) { offset = msg.now - Date.now() / 1000; }
    if (msg.type === "snapshot") {
      if (!kbLoaded) { kbLoaded = true; setTimeout(function () { kbSearch(true); }, 0); }  // categories to browse
      agent = msg.agent; renderAgent();
      switchForms(msg.pop); pop = msg.pop; renderPop(); renderAnnouncements(msg.announcements);
    } else if (msg.type === "agent") { agent = msg.agent; renderAgent(); }
    else if (msg.type === "pop") {
      switchForms(msg.pop); pop = msg.pop; renderPop();
    } else if (msg.type === "notice") { toast(msg.by + ": " + (S.states[msg.action] || msg.action), false, "state-toast"); }
  }, function (up) {
    var c = $("conn"); c.className = "conn " + (up ? "up" : "down"); c.textContent = up ? T.connected : T.reconnecting;
  });

  function switchForms(next) {
    var id = next ? next.call_id : null;
    if (id === formCall) { return; }
    if (formCall) {
      var keep = {}; FIELDS.forEach(function (f) { keep[f] = $(f).value; }); drafts[formCall] = keep;
    }
    var d = (id && drafts[id]) || {};
    FIELDS.forEach(function (f) { $(f).value = d[f] || ""; });
    formCall = id; $("work").dataset.call = id || "";
    toast("");  // a message about the last call's action does not belong to this one
  }
  function cmd(type, args, ok) {
    var where = WHERE[type] || "toast";
    return sock.send(type, args).then(function (r) { if (ok) { toast(ok, false, where); } return r; }, failIn(where));
  }
  function callArgs(extra) { return Object.assign({call_id: formCall || ""}, extra || {}); }

  $("btn-login").onclick = function () { cmd("login"); };
  $("btn-ready").onclick = function () { cmd("ready"); };
  $("btn-notready").onclick = function () { cmd("not_ready", {reason: $("reason").value}); };
  $("btn-logout").onclick = function () { cmd("logout"); };
  $("btn-dial").onclick = function () { cmd("dial", {number: $("dial-number").value.trim()}, T.saved); };
  $("btn-hangup").onclick = function () { cmd("hangup", callArgs()); };
  $("btn-xfer-service").onclick = function () { cmd("transfer", callArgs({service: $("xfer-service").value})); };
  $("btn-xfer-agent").onclick = function () { cmd("transfer", callArgs({agent: $("xfer-agent").value.trim()})); };
  $("btn-rec").onclick = function () { cmd("record", callArgs({paused: !pop.recording_paused}), pop.recording_paused ? "" : T.rec_paused); };
  $("quick-create").onsubmit = function (e) {
    e.preventDefault();
    cmd("customer_create", callArgs({name: $("qc-name").value.trim(), number: $("qc-number").value.trim()}), T.saved);
  };
  $("ticket-form").onsubmit = function (e) {
    e.preventDefault();
    cmd("ticket_create", callArgs({title: $("t-title").value.trim(), category: $("t-category").value,
      priority: parseInt($("t-priority").value, 10), description: $("t-desc").value}), T.ticket_created)
      .then(function (r) { if (r) { $("t-title").value = ""; $("t-desc").value = ""; } });
  };
  $("tu-save").onclick = function () {
    if (!$("tu-ticket").value) { return; }
    cmd("ticket_update", callArgs({ticket_id: parseInt($("tu-ticket").value, 10), action: $("tu-action").value, text: $("tu-text").value}), T.saved);
  };
  $("wrap-form").onsubmit = function (e) {
    e.preventDefault();
    cmd("wrapup", callArgs({disposition: $("w-disposition").value, notes: $("w-notes").value}), T.saved);
  };
  $("btn-dismiss").onclick = function () { cmd("dismiss", callArgs()); };

  // Knowledge base: words (jieba on the server cuts Chinese), or browse a category.
  function article(a) {
    var li = el("li"); li.dataset.article = a.id;
    li.appendChild(el("strong", a.title));
    li.appendChild(el("span", " · " + (S.kb_categories[a.category] || a.category || ""), "muted"));
    li.appendChild(el("div", a.body, "muted")); return li;
  }
  function kbSearch(quiet) {
    return sock.send("kb_search", {query: $("kb-q").value.trim(), category: $("kb-cat").value}).then(function (r) {
      var sel = $("kb-cat"), keep = sel.value;
      while (sel.options.length > 1) { sel.remove(1); }
      (r.categories || []).forEach(function (c) {
        var o = el("option", (S.kb_categories[c.code] || c.code) + " (" + c.count + ")"); o.value = c.code; sel.appendChild(o);
      });
      sel.value = keep;
      var ul = $("kb-results"); clear(ul);
      if (!r.articles.length) { ul.appendChild(el("li", T.no_results, "muted")); }
      r.articles.forEach(function (a) { ul.appendChild(article(a)); });
    }, quiet === true ? function () {} : failIn("kb-toast"));
  }
  $("kb-form").onsubmit = function (e) { e.preventDefault(); kbSearch(); };
  $("kb-cat").onchange = function () { kbSearch(); };
})();
