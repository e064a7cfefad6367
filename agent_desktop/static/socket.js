// A websocket that reconnects by itself. Policy as in the `websockets` library: a random
// first delay (so tabs do not reconnect in lockstep), doubling, capped, and reset after a
// connection that worked. The server's first message after every (re)connect is a full
// snapshot, so nothing said while we were away is lost.
"use strict";
function ReconnectingSocket(path, onMessage, onState) {
  this.path = path; this.onMessage = onMessage; this.onState = onState;
  this.nextId = 1; this.pending = {}; this.delay = 0; this.ws = null;
  this.open();
}
ReconnectingSocket.prototype.open = function () {
  var self = this;
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + this.path;
  var ws = new WebSocket(url);
  this.ws = ws;
  ws.onopen = function () { self.delay = 0; self.onState(true); };
  ws.onmessage = function (ev) {
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if ((msg.type === "result" || msg.type === "error") && msg.id != null && self.pending[msg.id]) {
      var p = self.pending[msg.id]; delete self.pending[msg.id];
      if (msg.type === "result") { p.resolve(msg); } else { p.reject(msg); }
      return;
    }
    self.onMessage(msg);
  };
  ws.onclose = function () {
    self.onState(false);
    Object.keys(self.pending).forEach(function (id) {
      self.pending[id].reject({code: "disconnected"}); delete self.pending[id];
    });
    self.delay = self.delay ? Math.min(self.delay * 2, 5000) : 200 + Math.random() * 300;
    setTimeout(function () { self.open(); }, self.delay);
  };
};
ReconnectingSocket.prototype.send = function (type, args) {
  var self = this, id = this.nextId++;
  var msg = Object.assign({type: type, id: id}, args || {});
  return new Promise(function (resolve, reject) {
    if (!self.ws || self.ws.readyState !== 1) { reject({code: "disconnected"}); return; }
    self.pending[id] = {resolve: resolve, reject: reject};
    self.ws.send(JSON.stringify(msg));
  });
};
// Shared helpers: build DOM with text only (never innerHTML: names come from callers).
function el(tag, text, cls) {
  var e = document.createElement(tag);
  if (text != null) { e.textContent = String(text); }
  if (cls) { e.className = cls; }
  return e;
}
function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
function fmtSeconds(s) {
  if (s == null) { return "—"; }
  s = Math.max(0, Math.round(s));
  var m = Math.floor(s / 60), r = s % 60;
  return m ? m + ":" + (r < 10 ? "0" : "") + r : r + "s";
}
// A Unix time as the site's local wall clock ("YYYY-MM-DD HH:MM" or "HH:MM:SS"), in the
// site's time zone (the page's i18n data names it), not the browser's.
function fmtClock(epoch, tz, withDate) {
  if (epoch == null) { return "—"; }
  var opts = {timeZone: tz || "Asia/Shanghai", hour12: false, hour: "2-digit", minute: "2-digit"};
  if (withDate) { opts.year = "numeric"; opts.month = "2-digit"; opts.day = "2-digit"; }
  else { opts.second = "2-digit"; }
  var parts = {};
  new Intl.DateTimeFormat("en-CA", opts).formatToParts(new Date(epoch * 1000)).forEach(function (p) { parts[p.type] = p.value; });
  var hh = parts.hour === "24" ? "00" : parts.hour;
  return withDate ? parts.year + "-" + parts.month + "-" + parts.day + " " + hh + ":" + parts.minute
    : hh + ":" + parts.minute + ":" + parts.second;
}
