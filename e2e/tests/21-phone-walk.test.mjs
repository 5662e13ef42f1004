// Every page on a phone (issue 16): each demo role signs in at 390×844 and follows
// the links it is shown, page after page (two pages of each kind, e.g. two orders),
// the way a curious user taps around. Each page is checked by the runner's page
// guard (no sideways scroll, checkboxes beside their words, no squeezed table cell,
// no console error); here also: no dead link, and the nav is one line with every
// entry reachable. A visitor with no account walks too.

import assert from 'node:assert/strict';
import { login } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const MAX_PAGES = 45;

// Not pages to look at: sign-out, machine answers, files, the fake gateway.
const SKIP = /^\/(logout|api\/|static\/|healthz|metrics|fake-epay)|\/(export|download|evidence)(\b|\.)|\.(zip|csv|json|txt|png|jpe?g|webp)$/;

/** Where the current page links to, same site only, without #fragments. */
async function linksOn(page, base) {
  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
  return hrefs
    .map((h) => {
      const u = new URL(h);
      return u.origin === new URL(base).origin && !u.pathname.match(SKIP) ? u.pathname + u.search : null;
    })
    .filter(Boolean);
}

/** The nav on one line with each entry, scrolled into view, on the screen. */
async function navFits(page) {
  return page.evaluate(() => {
    const nav = document.querySelector('nav#nav');
    const mid = (r) => r.top + r.height / 2;
    const bad = [...nav.querySelectorAll('[data-nav]')]
      .filter((e) => {
        e.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        const r = e.getBoundingClientRect();
        return r.left < 0 || r.right > innerWidth || Math.abs(mid(r) - mid(nav.getBoundingClientRect())) > 6;
      })
      .map((e) => e.getAttribute('data-nav'));
    nav.scrollLeft = 0;
    return bad;
  });
}

async function walk(page, base) {
  const kinds = new Map(); // /orders/{n} → pages seen of that kind
  const seen = new Set();
  const queue = ['/'];
  const problems = [];
  let visited = 0;
  while (queue.length && visited < MAX_PAGES) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    const kind = path.replace(/\/\d+(?=\/|$|\?)/g, '/{n}').replace(/\?.*/, '?');
    if ((kinds.get(kind) || 0) >= 2) continue;
    kinds.set(kind, (kinds.get(kind) || 0) + 1);
    let resp;
    try {
      resp = await page.goto(base + path);
    } catch (e) {
      if (/Download is starting/.test(e.message)) continue;
      throw e;
    }
    visited += 1;
    if (!resp || resp.status() >= 400) problems.push(`${path}: ${resp ? resp.status() : 'no answer'}`);
    const bad = await navFits(page);
    if (bad.length) problems.push(`${path}: nav entries off screen or on a second line: ${bad.join(', ')}`);
    for (const l of await linksOn(page, base)) if (!seen.has(l)) queue.push(l);
  }
  return { visited, problems };
}

const roles = [
  ['visitor', null],
  ['xiaoming', 'buyer'],
  ['laowang', 'shop owner'],
  ['xingchen_kf', 'shop agent'],
  ['kefu', 'platform agent'],
  ['admin', 'admin'],
];

export const tests = roles.map(([user, what]) => ({
  name: `手机 390×844：${what ? `${user}（${what}）` : '游客'}点遍所见链接，每页不横向滚动、导航一行可达、无死链`,
  context: PHONE,
  fn: async ({ page, base, server }) => {
    if (what) await login(page, base, user, server.demo[user]);
    const { visited, problems } = await walk(page, base);
    assert.ok(visited >= 8, `walked ${visited} pages`);
    assert.deepEqual(problems, [], `pages with problems (of ${visited} visited)`);
  },
}));
