// The order page: countdowns tick from the server's clock (the skew to this
// device's clock is measured once), and 复制 copies one key. Without this
// script the page still shows the remaining time as rendered and the keys.
(function () {
  "use strict";
  function remaining(ms) {
    if (ms <= 0) return "已到期";
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return "还剩 " + d + " 天 " + h + " 小时";
    if (h > 0) return "还剩 " + h + " 小时 " + m + " 分";
    return "还剩 " + m + " 分 " + (s % 60) + " 秒";
  }
  var clocks = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-until]"));
  if (clocks.length) {
    var skew = Number(clocks[0].getAttribute("data-now")) - Date.now();
    var tick = function () {
      var now = Date.now() + skew;
      clocks.forEach(function (el) {
        el.textContent = remaining(Number(el.getAttribute("data-until")) - now);
      });
    };
    setInterval(tick, 1000);
  }
  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function copied(button, ok) {
    button.textContent = ok ? "已复制" : "已选中，请长按复制";
    setTimeout(function () { button.textContent = "复制"; }, 2000);
  }
  function fallback(button, el) {
    selectText(el);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    copied(button, ok);
  }
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var el = document.getElementById(button.getAttribute("data-copy"));
    if (!el) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = el.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button, true); }, function () { fallback(button, el); });
      } else {
        fallback(button, el);
      }
    });
  });
})();
