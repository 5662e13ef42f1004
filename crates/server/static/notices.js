// The unread badge beside 通知, kept live: the server sends {"type":"notice"}
// over the websocket when a notice arrives or is read; the count is re-read.
(function () {
  "use strict";
  var badge = document.getElementById("notice-badge");
  if (!badge || !window.WebSocket) return;
  function show(n) {
    badge.textContent = String(n);
    badge.setAttribute("data-unread", String(n));
    if (n > 0) badge.removeAttribute("hidden"); else badge.setAttribute("hidden", "");
  }
  function refresh() {
    fetch("/api/v1/notifications?limit=1", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) { if (b && typeof b.unread === "number") show(b.unread); })
      .catch(function () {});
  }
  var delay = 1000;
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/api/v1/ws");
    // Also on (re)connecting: a notice that came while the socket was down counts.
    ws.onopen = function () { delay = 1000; refresh(); };
    ws.onmessage = function (e) {
      try { if (JSON.parse(e.data).type === "notice") refresh(); } catch (_) {}
    };
    ws.onclose = function () {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
