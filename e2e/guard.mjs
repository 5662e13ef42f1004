// The check run on every page every browser test visits, whatever the test
// itself looks at (issue 16): after each main-frame load, and once more on every
// page still open when the test ends or closes its context,
//   - the page does not scroll sideways (documentElement.scrollWidth <= innerWidth),
//   - every visible radio button / checkbox is within 40 px of its words,
//   - no table cell is squeezed to a character or two per line,
//   - nothing is logged as a console error and no script throws,
//   - no form POST answers a rendered page (2xx): reloading such a page re-posts
//     the form; a POST must answer 303 to a GET page, or 4xx re-rendering a
//     rejected form (post/redirect/get).
// Violations carry the URL and the viewport and fail the test at its end. The
// post/redirect/get part fails the test too (YOUYING_E2E_PRG=warn only lists
// the offenders, for a page being converted).

import { checksAwayFromWords } from './lib.mjs';

export const PRG_MODE = (process.env.YOUYING_E2E_PRG || 'strict') === 'warn' ? 'warn' : 'strict';

/** Runs in the page: whether it scrolls sideways, naming a thing that sticks out. */
function sideScroll() {
  const doc = document.documentElement.scrollWidth;
  if (doc <= innerWidth) return null;
  // Something inside a box that scrolls (or clips) on its own does not widen the page.
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  let culprit = null;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > innerWidth + 1 && el.children.length === 0 && (!culprit || r.right > culprit.right) && !clipped(el)) {
      const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '';
      culprit = { what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls}`, right: Math.round(r.right) };
    }
  }
  return `scrolls sideways: scrollWidth ${doc} > ${innerWidth}${culprit ? ` (e.g. ${culprit.what} reaches ${culprit.right} px)` : ''}`;
}

/**
 * Runs in the page: table cells squeezed so narrow that their words stack a character
 * or two per line (Chinese breaks anywhere), as "text (width px)".
 */
function squeezedCells() {
  return [...document.querySelectorAll('td, th')]
    .filter((c) => c.offsetParent !== null)
    .map((c) => {
      const text = c.textContent.trim();
      const em = parseFloat(getComputedStyle(c).fontSize);
      const cs = getComputedStyle(c);
      const inner = c.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      // A cell with three or more characters must fit at least three of them on a line.
      return [...text].length >= 3 && inner < 3 * em - 1 ? `"${text.slice(0, 12)}" (${Math.round(inner)} px)` : null;
    })
    .filter(Boolean);
}

/** Errors that only mean a page went away mid-check (a navigation, a closed tab). */
const gone = (e) => /Execution context was destroyed|Target (page, context or browser )?closed|has been closed|navigat/i.test(String(e?.message || e));

/**
 * One guard per test: `watch(context)` every context the test uses (its own and any
 * it opens), then `finish()` throws an Error listing every violation seen.
 */
export function pageGuard() {
  const problems = new Map(); // message → true (each reported once)
  const prgSeen = [];
  const pending = new Set();
  const pages = new Set();
  // Main-frame documents answered with an error status on purpose (a 404 page, a
  // 422 form): Chromium logs "Failed to load resource" for them, which is not a fault.
  const errorDocs = new Set();

  const where = (page, url) => {
    const v = page.viewportSize();
    let path = url;
    try {
      const u = new URL(url);
      path = u.pathname + u.search;
    } catch {
      // keep as is
    }
    return `${path} [${v ? `${v.width}×${v.height}` : 'no viewport'}]`;
  };
  const add = (msg) => problems.set(msg, true);

  function check(page) {
    if (page.isClosed()) return Promise.resolve();
    const url = page.url();
    const looks = Promise.all([
      page.evaluate(sideScroll),
      page.evaluate(checksAwayFromWords, { maxGap: 40, sameLine: false }),
      page.evaluate(squeezedCells),
    ]);
    // A page held by an open dialog answers nothing: give up on it rather than hang the run.
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('Target closed (no answer in 5 s)')), 5_000);
    });
    const p = Promise.race([looks, late])
      .then(([wide, far, squeezed]) => {
        const at = where(page, url);
        if (wide) add(`${at}: ${wide}`);
        if (squeezed.length) add(`${at}: table cells squeezed to a character or two per line: ${squeezed.slice(0, 5).join(', ')}`);
        for (const f of far) add(`${at}: checkbox/radio away from its words: ${f}`);
      })
      .catch((e) => {
        if (!gone(e) && !page.isClosed()) add(`${where(page, page.url())}: the page check could not run: ${e.message}`);
      })
      .finally(() => {
        clearTimeout(timer);
        pending.delete(p);
      });
    pending.add(p);
    return p;
  }

  function watchPage(page) {
    if (pages.has(page)) return;
    pages.add(page);
    page.on('load', () => check(page));
    page.on('pageerror', (err) => add(`${where(page, page.url())}: script error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const at = msg.location()?.url || '';
      if (/^Failed to load resource/.test(msg.text()) && errorDocs.has(at)) return;
      add(`${where(page, page.url())}: console error: ${msg.text()}${at ? ` (${at})` : ''}`);
    });
    page.on('response', (r) => {
      const req = r.request();
      if (!req.isNavigationRequest() || r.frame() !== page.mainFrame()) return;
      if (r.status() >= 400) errorDocs.add(r.url());
      if (req.method() === 'POST' && r.status() >= 200 && r.status() < 300) {
        const msg = `${where(page, r.url())}: POST answered ${r.status()} with a page: reloading this page re-posts the form (answer 303 to a GET page)`;
        if (PRG_MODE === 'strict') add(msg);
        else if (!prgSeen.includes(msg)) prgSeen.push(msg);
      }
    });
  }

  function watch(context) {
    for (const p of context.pages()) watchPage(p);
    context.on('page', watchPage);
    // The last state of its pages counts too: check them before the context goes.
    const close = context.close.bind(context);
    context.close = async (...args) => {
      await settle(context.pages());
      return close(...args);
    };
    return context;
  }

  async function settle(list = [...pages]) {
    await Promise.all([...pending]);
    await Promise.all(list.filter((p) => !p.isClosed()).map((p) => check(p)));
  }

  return {
    watch,
    /** Post/redirect/get offenders seen (warn mode), one line each. */
    prgWarnings: () => prgSeen,
    async finish() {
      await settle();
      if (problems.size) {
        throw new Error(`page check (every page a test visits):\n${[...problems.keys()].join('\n')}`);
      }
    },
  };
}
