// Live countdowns on the case pages: "商家需在 11:42:10 内处理". Follows the
// server's clock (data-now), whatever this device's says; reloads once a
// deadline passes, and polls the case so the other side's action shows at once.
'use strict';

(() => {
  const host = document.querySelector('[data-now]');
  if (!host) return;
  const skew = Number(host.dataset.now) - Date.now();
  const now = () => Date.now() + skew;
  const pad = (n) => String(n).padStart(2, '0');
  const hhmmss = (ms) => {
    const s = Math.max(0, Math.ceil(ms / 1000));
    return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  };
  let reloading = false;
  function tick() {
    for (const c of document.querySelectorAll('.case-countdown[data-due]')) {
      const left = Number(c.dataset.due) - now();
      c.textContent = hhmmss(left);
      c.classList.toggle('due-soon', left <= 3600e3);
      if (left <= -2000 && !reloading && host.id === 'case') {
        reloading = true;
        setTimeout(() => location.reload(), 1000);
      }
    }
  }
  tick();
  setInterval(tick, 500);

  // On one case: when the other side acts, show it without a manual refresh.
  if (host.id === 'case') {
    const id = host.dataset.caseId;
    const seen = host.dataset.state;
    setInterval(async () => {
      if (reloading || document.hidden) return;
      try {
        const r = await fetch(`/api/v1/cases/${id}`, { credentials: 'same-origin' });
        if (!r.ok) return;
        const d = await r.json();
        if (d.case && d.case.state !== seen) {
          reloading = true;
          location.reload();
        }
      } catch {
        // offline for a moment: the next poll tries again
      }
    }, 5000);
  }
})();
