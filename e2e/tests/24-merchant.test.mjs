// The merchant's tools (issue 16) on a phone: the 待办 dashboard shows a chat
// waiting for the shop with its time left; 编辑 changes a listing; two listings
// are taken off sale in one bulk action after a confirmation naming them; a
// rejected stock import keeps the pasted keys with the bad line named.

import assert from 'node:assert/strict';
import { assertChecksBesideLabels, assertNoSideScroll, login, logout, resultsPath, submit, uid } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function fits(page) {
  await assertNoSideScroll(page, 390);
}

export const tests = [
  {
    name: '商家后台：待办列出等待回复的咨询；编辑商品；批量下架；导入出错保留粘贴内容',
    context: PHONE,
    fn: async ({ page, base, server }) => {
      const pw = server.demo;
      const tag = uid(3);

      // --- a buyer asks 星辰点卡 for a person ---
      await login(page, base, 'xiaoming', pw.xiaoming);
      await page.goto(base + '/');
      const card = page.locator('li.product-card', { has: page.locator('.shop-name', { hasText: '星辰点卡' }) }).first();
      await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
      const opened = await submit(page, '#contact-form');
      assert.equal(opened.status(), 303);
      await page.waitForURL(/\/chat\/\d+$/);
      const conv = Number(page.url().match(/\/chat\/(\d+)$/)[1]);
      await page.waitForSelector('#chat[data-live="1"]');
      await page.fill('#chat-text', '转人工');
      await page.click('#chat-form button[type=submit]');
      await page.locator('#messages li.mine .bubble', { hasText: '转人工' }).waitFor();
      await page.goto(base + '/');
      await logout(page, base);

      // --- the merchant's dashboard lists it with its time left ---
      await login(page, base, 'laowang', pw.laowang);
      await Promise.all([page.waitForURL(base + '/merchant'), page.click('nav#nav a[data-nav=merchant]')]);
      const due = page.locator('section.due').first();
      const row = due.locator(`ul[data-due=chats] li:has(a[href="/merchant/chat/${conv}"])`);
      await row.waitFor();
      assert.match(await row.textContent(), /(剩余|已超时) \d+ 分钟/);
      await fits(page);
      await assertChecksBesideLabels(page);
      await page.screenshot({ path: resultsPath('merchant-due-mobile.png'), fullPage: false });

      // --- 编辑 a listing ---
      const shop = page.locator('section.shop').first();
      const first = shop.locator('ul.console-products > li').first();
      const productId = await first.getAttribute('data-product-id');
      await Promise.all([page.waitForURL(/\/merchant\/products\/\d+\/edit$/), first.locator('a[data-link=edit-product]').click()]);
      await fits(page);
      const title = `编辑后的标题 ${tag}`;
      await page.fill('#product-edit-form input[name=title]', title);
      const saved = await submit(page, '#product-edit-form');
      assert.equal(saved.status(), 303);
      await page.waitForURL(/\?saved=1$/);
      assert.match(await page.textContent('#saved'), /已保存/);
      assert.equal(await page.inputValue('#product-edit-form input[name=title]'), title);

      // --- bulk 下架 of two listings ---
      await page.goto(base + '/merchant');
      const picks = shop.locator('input.bulk-pick');
      const ids = [await picks.nth(0).getAttribute('value'), await picks.nth(1).getAttribute('value')];
      await picks.nth(0).check();
      await picks.nth(1).check();
      await Promise.all([
        page.waitForURL(/\/products\/bulk\?/),
        shop.locator('form.bulk-form button[name=op][value=off]').click(),
      ]);
      assert.match(await page.textContent('#bulk-summary'), /2\s*个商品下架/);
      assert.ok((await page.textContent('ul.bulk-rows')).includes(title), 'the confirmation names the listings');
      await fits(page);
      const done = await submit(page, '#bulk-confirm');
      assert.equal(done.status(), 303);
      await page.waitForURL(/\/merchant(#shop-\d+)?$/);
      for (const id of ids) {
        const li = page.locator(`ul.console-products > li[data-product-id="${id}"]`);
        assert.match(await li.textContent(), /已下架/, `listing ${id} is off sale`);
      }
      assert.ok(ids.includes(productId));

      // --- a rejected import keeps the paste ---
      await page.locator('ul.console-products a[href$="/stock"]').first().click();
      await page.waitForURL(/\/merchant\/products\/\d+\/stock$/);
      const paste = `E2E-${tag}-1\nA B C\nE2E-${tag}-2\n`;
      await page.fill('#stock-form textarea[name=text]', paste);
      const rejected = await submit(page, '#stock-form');
      assert.equal(rejected.status(), 422);
      assert.equal(await page.inputValue('#stock-form textarea[name=text]'), paste, 'the paste is kept');
      assert.match(await page.textContent('#stock-error'), /第 2 行格式不对/);
      await fits(page);
      await page.screenshot({ path: resultsPath('merchant-import-error-mobile.png'), fullPage: false });
    },
  },
];
