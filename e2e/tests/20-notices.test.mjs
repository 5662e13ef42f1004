// The notification centre (issue 15): a merchant on a phone sees the unread
// badge beside 通知 rise by itself — over the websocket, no reload — the moment
// a buyer asks for a person, opens the centre from the badge, finds the waiting
// buyer there, marks everything read and the badge goes away. A buyer has a
// centre too (it answered 403 before).

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const LIVE = 15_000;

/** Signs in through the JSON API and returns a caller for bearer requests. */
async function api(base, username, password) {
  const r = await fetch(base + '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(r.status, 200, `${username} signs in`);
  const { token } = await r.json();
  return async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
}

const unread = async (page) => Number(await page.getAttribute('#notice-badge', 'data-unread'));

export const tests = [
  {
    name: '商家（手机）：买家转人工时通知角标实时加一，进入通知中心标为已读后角标消失',
    context: PHONE,
    fn: async ({ page, base, server }) => {
      const pw = server.demo;
      const owner = await api(base, 'laowang', pw.laowang);
      const me = await owner('GET', '/api/v1/me');
      const shop = me.body.shops.find((s) => s.name === '星辰点卡');
      assert.ok(shop, 'laowang owns 星辰点卡');

      await login(page, base, 'laowang', pw.laowang);
      await page.goto(base + '/merchant');
      await page.waitForSelector('#notice-badge', { state: 'attached' });
      const before = await unread(page);

      // A buyer (through the API, as another device would) asks for a person.
      const buyer = await api(base, 'xiaoming', pw.xiaoming);
      const conv = await buyer('POST', '/api/v1/conversations', { shop_id: shop.id });
      assert.equal(conv.status, 201, JSON.stringify(conv.body));
      const said = await buyer('POST', `/api/v1/conversations/${conv.body.id}/messages`, { text: '转人工' });
      assert.equal(said.status, 201, JSON.stringify(said.body));

      // The badge counts it without a reload.
      await page.waitForFunction((n) => Number(document.getElementById('notice-badge').dataset.unread) > n, before, {
        timeout: LIVE,
      });
      assert.equal(await page.isVisible('#notice-badge'), true);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('notices-badge-mobile.png'), fullPage: true });

      // The centre lists the waiting buyer first; 全部标为已读 clears the badge.
      await Promise.all([page.waitForURL(base + '/notifications'), page.click('nav a[data-nav=notices]')]);
      assert.match(await page.textContent('main li[data-notice]'), /买家/);
      assert.equal(Number(await page.textContent('#notices-unread')), await unread(page));
      const read = await submit(page, 'form:has(#read-all)');
      assert.equal(read.status(), 303);
      assert.equal(await page.url(), base + '/notifications');
      assert.equal(await unread(page), 0);
      assert.equal(await page.isVisible('#notice-badge'), false);
      await assertNoSideScroll(page, 390);

      // A buyer has a centre of their own.
      const mine = await buyer('GET', '/api/v1/notifications');
      assert.equal(mine.status, 200);
      assert.equal(typeof mine.body.unread, 'number');
    },
  },
];
