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
      labels[s.name] = lang === "zh" ? s.label_zh : s.label_en;
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
  // The 15-minute chart: Apache ECharts (vendored), with both axes named and a legend.
  var chart = echarts.init($("chart"), null, {renderer: "svg"});
  window.addEventListener("resize", function () { chart.resize(); });
  var SLOTS = [];
  for (var i = 0; i < 96; i++) { SLOTS.push((i < 40 ? "0" : "") + Math.floor(i / 4) + ":" + ["00", "15", "30", "45"][i % 4]); }
  function renderChart(buckets) {
    var names = [T.offered, T.answered, T.abandoned];
    chart.setOption({
      animation: false,
      color: ["#8ecae6", "#219ebc", "#e76f51"],
      legend: {data: names, top: 0},
      tooltip: {trigger: "axis"},
      grid: {left: 48, right: 12, top: 32, bottom: 48},
      xAxis: {type: "category", data: SLOTS, name: T.time_of_day, nameLocation: "middle", nameGap: 28,
        axisLabel: {interval: 11}},
      yAxis: {type: "value", name: T.calls, minInterval: 1},
      series: names.map(function (n, k) {
        return {name: n, type: "bar", barGap: "-100%", data: buckets.map(function (b) { return b[k]; })};
      })
    });
  }
  function alarmText(a) {
    var scope = a.scope === "overall" ? T.overall : (labels[a.scope] || a.scope);
    var metric = S.metrics[a.metric] || a.metric;
    if (a.level === "ok") { return T.alarm_cleared.replace("{scope}", scope).replace("{metric}", metric); }
    return (a.above ? T.alarm_above : T.alarm_below).replace("{scope}", scope).replace("{metric}", metric)
      .replace("{value}", fmt(a.metric, a.value)).replace("{limit}", fmt(a.metric, a.limit))
      .replace("{level}", T["level_" + a.level]);
  }
  var labels = {};
  function renderAlarms(active, history) {
    var ul = $("alarms"); clear(ul);
    if (!active.length) { ul.appendChild(el("li", T.no_alarms, "muted")); }
    active.forEach(function (a) {
      var li = el("li", alarmText(a), a.level); li.dataset.metric = a.metric; li.dataset.scope = a.scope; ul.appendChild(li);
    });
    var ol = $("alarm-history"); clear(ol);
    history.forEach(function (a) {
      var li = el("li", fmtClock(a.at, S.tz) + " " + alarmText(a), a.level === "ok" ? "muted" : a.level);
      li.dataset.metric = a.metric; li.dataset.scope = a.scope; ol.appendChild(li);
    });
    var worst = active.filter(function (a) { return a.level === "critical"; })[0] || active[0];
    $("alarm").textContent = worst ? "▲ " + alarmText(worst) : "";
  }
  function act(agentId, action) {
    sock.send("agent", {agent: agentId, action: action}).then(function () { toast("✓ " + agentId); }, function (e) { toast(T.error + ": " + (e.detail || e.code), true); });
  }
  var sock = new ReconnectingSocket("/wallboard/ws", function (msg) {
    if (msg.type !== "wallboard") { return; }
    data = msg; offset = msg.now - Date.now() / 1000;
    renderOverall(msg.overall); renderServices(msg.services); renderAgents(msg.agents, msg.agent_counts); renderChart(msg.chart);
    renderAlarms(msg.alarms, msg.alarm_history);
    $("alarm").dataset.level = msg.level;
    if (msg.level === "critical" && lastLevel !== "critical") { beep(); }
    lastLevel = msg.level;
  }, function (up) {
    var c = $("conn"); c.className = "conn " + (up ? "up" : "down"); c.textContent = up ? T.connected : T.reconnecting;
  });
})();
