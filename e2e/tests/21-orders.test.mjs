// The buyer's orders on a phone (issue 16): xiaoming buys a card key; the order
// page shows the protection window with the time left, ticking; 查看卡密 posts,
// then lands on a keys page that a reload shows again; each key sits in its own
// box on one line with 复制 (已复制, and the clipboard holds the key); back on
// the order page the keys are one tap away. 我的订单: the tabs, the search by
// order number and 下一页 when there is one. No page scrolls sideways and no
// script error is logged.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
  permissions: ['clipboard-read', 'clipboard-write'],
};

/** The order numbers the list shows. */
async function listed(page) {
  return page.$$eval('li.order-row', (rows) => rows.map((r) => r.getAttribute('data-order-no')));
}

export const tests = [
  {
    name: '买家：订单页倒计时；查看卡密后可刷新、可复制；我的订单的分类、搜索与翻页',
    context: PHONE,
    fn: async ({ page, base, server }) => {
      const errors = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      await login(page, base, 'xiaoming', server.demo.xiaoming);
      await page.goto(base + '/wallet');
      await submit(page, '#faucet-form');

      // --- buys the Windows 11 key ---
      await page.goto(base + '/search?q=Windows');
      const card = page.locator('li.product-card', { hasText: 'Windows 11' }).first();
      await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
      assert.equal((await submit(page, '#buy-form')).status(), 303);
      await page.waitForURL(/\/orders\/\d+$/);
      const orderNo = page.url().match(/\/orders\/(\d+)$/)[1];

      // --- the protection window: its end, the time left, ticking ---
      assert.match(await page.textContent('#protect-until'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} 还剩 23 小时 5\d 分$/);
      await page.$eval('#protect-until .countdown', (el) => el.setAttribute('data-until', String(Number(el.dataset.now) + 90_000)));
      await page.waitForFunction(() => /^还剩 1 分 \d+ 秒$/.test(document.querySelector('#protect-until .countdown').textContent));
      await assertNoSideScroll(page, 390);

      // --- 查看卡密: post, redirect, a page that reloads ---
      const revealed = await submit(page, '#reveal-form');
      assert.equal(revealed.status(), 303);
      await page.waitForURL(base + `/orders/${orderNo}/keys#keys`);
      const key = (await page.textContent('#unit-1-code')).trim();
      assert.match(key, /^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$/, key);
      const reloaded = await page.reload();
      assert.equal(reloaded.status(), 200, 'a reload shows the keys again');
      assert.equal((await page.textContent('#unit-1-code')).trim(), key);
      const lines = await page.$eval('#unit-1-code', (el) => {
        const r = document.createRange();
        r.selectNodeContents(el);
        const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
        return tops.size;
      });
      assert.equal(lines, 1, 'the 29-character key is not broken on a phone');
      await assertNoSideScroll(page, 390);
      const copy = page.locator('button.copy[data-copy="unit-1-code"]');
      await copy.click();
      await page.waitForFunction(() => document.querySelector('button.copy[data-copy="unit-1-code"]').textContent === '已复制');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key, 'the key is on the clipboard');
      await page.screenshot({ path: resultsPath('order-keys-mobile.png'), fullPage: true });

      // --- the order page: the keys one tap away ---
      await page.goto(base + `/orders/${orderNo}`);
      assert.equal(await page.locator('#units').count(), 0);
      await Promise.all([page.waitForURL(base + `/orders/${orderNo}/keys#keys`), page.click('#keys-link')]);
      assert.equal((await page.textContent('#unit-1-code')).trim(), key);

      // --- 我的订单: tabs, search, pages ---
      await Promise.all([page.waitForURL(base + '/orders'), page.click('nav#nav a[data-nav=orders]')]);
      await assertNoSideScroll(page, 390);
      assert.deepEqual(
        await page.$$eval('#order-tabs a', (as) => as.map((a) => a.textContent.trim())),
        ['全部', '待处理', '担保中', '已完成', '售后'],
      );
      assert.equal((await listed(page))[0], orderNo, 'newest first');
      await Promise.all([page.waitForURL(base + '/orders?tab=escrow'), page.click('#order-tabs a[data-tab=escrow]')]);
      assert.ok((await listed(page)).includes(orderNo), 'a delivered order is 担保中');
      await Promise.all([page.waitForURL(base + '/orders?tab=done'), page.click('#order-tabs a[data-tab=done]')]);
      assert.ok(!(await listed(page)).includes(orderNo), 'not yet 已完成');
      await assertNoSideScroll(page, 390);
      await page.fill('#order-search input[name=q]', orderNo);
      await Promise.all([page.waitForURL(/\/orders\?tab=done&q=/), page.click('#order-search button[type=submit]')]);
      assert.deepEqual(await listed(page), [], 'the search stays inside the tab');
      await Promise.all([page.waitForURL(/\/orders\?q=\d+$/), page.click('#order-tabs a[data-tab=all]')]);
      assert.deepEqual(await listed(page), [orderNo], 'found by its number');
      assert.equal(await page.inputValue('#order-search input[name=q]'), orderNo, 'the box keeps the words');
      await page.goto(base + '/orders');
      if (await page.locator('#next-page').count()) {
        const first = await listed(page);
        await Promise.all([page.waitForURL(base + '/orders?page=2'), page.click('#next-page')]);
        const second = await listed(page);
        assert.ok(second.length > 0 && second.every((n) => !first.includes(n)), 'page 2 repeats nothing');
        assert.equal(await page.locator('#prev-page').count(), 1);
        await assertNoSideScroll(page, 390);
      }
      await page.screenshot({ path: resultsPath('orders-mobile.png'), fullPage: true });
      assert.deepEqual(errors, [], 'no script error');
    },
  },
];
