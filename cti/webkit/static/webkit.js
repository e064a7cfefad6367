// Every page of the layout: htmx sends the session's CSRF token on its requests, and
// links marked data-confirm ask first. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (e) {
    if (meta) e.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  });
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) e.preventDefault();
  });
  var refresh = document.body.getAttribute("data-refresh");
  if (refresh) setTimeout(function () { location.reload(); }, parseInt(refresh, 10) * 1000);
})();
