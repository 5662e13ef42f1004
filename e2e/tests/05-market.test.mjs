// The market's acceptance walk (issue 3), on a phone-sized screen: the demo
// merchant lists a card key and imports stock through the pages; the demo buyer
// takes demo money, searches 点卡, buys, reveals the key, opens the snapshot and
// confirms receipt; the merchant then sees the completed order.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { assertNoSideScroll, login, logout, resultsPath, submit, uid } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function fits(page) {
  await assertNoSideScroll(page, 390);
}

export const tests = [
  {
    name: '商家建商品并导入卡密；买家搜索、购买、查看卡密、交易快照、确认收货；商家看到订单',
    context: PHONE,
    fn: async ({ page, base, server }) => {
      const pw = server.demo;
      const tag = uid(3);
      const title = `测试专用 点卡 50元 ${tag}`;
      const keys = [`E2E-${tag}-0001`, `E2E-${tag}-0002`, `E2E-${tag}-0003`];

      // --- the merchant lists a card key and imports stock by paste ---
      await login(page, base, 'laowang', pw.laowang);
      await Promise.all([page.waitForURL(base + '/merchant'), page.click('nav#nav a[data-nav=merchant]')]);
      await fits(page);
      await Promise.all([
        page.waitForURL(/\/merchant\/shops\/\d+\/products\/new$/),
        page.locator('a[data-link=new-product]').first().click(),
      ]);
      await fits(page);
      await page.selectOption('#product-form select[name=category]', 'game_card');
      await page.selectOption('#product-form select[name=kind]', 'card_key');
      await page.fill('#product-form input[name=title]', title);
      await page.fill('#product-form input[name=price]', '12.34');
      await page.fill('#product-form textarea[name=tiers]', '3=11.00');
      await page.check('#product-form input[name=promises][value=instant]');
      await page.check('#product-form input[name=promises][value=auto_delivery]');
      await page.fill('#product-form textarea[name=description]', '**正品**点卡，自动发货。\n\n<script>alert(1)</script>');
      await page.fill('#product-form textarea[name=instructions]', '登录官网 → 充值中心 → 输入卡号');
      const created = await submit(page, '#product-form');
      assert.equal(created.status(), 303, 'the listing is created');
      await page.waitForURL(/\/merchant\/products\/\d+\/stock$/);
      const productId = page.url().match(/\/products\/(\d+)\/stock$/)[1];
      assert.equal((await page.textContent('#stock-count')).trim(), '0');
      await fits(page);

      await page.fill('#stock-form textarea[name=text]', `${keys[0]}\n${keys[1]}----pw2\n${keys[2]},pw3\n`);
      const imported = await submit(page, '#stock-form');
      assert.equal(imported.status(), 303, 'post/redirect/get');
      assert.equal((await page.textContent('#imported-count')).trim(), '3');
      assert.equal((await page.textContent('#stock-count')).trim(), '3');
      assert.match(await page.textContent('#import-report'), /已导入 3 条/);
      await page.screenshot({ path: resultsPath('stock-report-mobile.png'), fullPage: true });
      await page.goto(base + '/');
      await logout(page, base);

      // --- the buyer takes demo money ---
      await login(page, base, 'xiaoming', pw.xiaoming);
      await Promise.all([page.waitForURL(base + '/wallet'), page.click('nav#nav a[data-nav=wallet]')]);
      const before = await page.textContent('#balance');
      const faucet = await submit(page, '#faucet-form');
      assert.equal(faucet.status(), 303, 'post/redirect/get');
      assert.match(await page.textContent('.flash'), /已领取演示余额 ¥500\.00/);
      assert.notEqual(await page.textContent('#balance'), before);
      assert.match(await page.textContent('#statement'), /充值/);
      await fits(page);

      // --- searches 点卡 from the storefront and opens the listing ---
      await page.goto(base + '/');
      assert.equal(await page.locator(`li.product-card[data-product-id="${productId}"]`).count(), 1, 'on the storefront');
      await fits(page);
      await page.screenshot({ path: resultsPath('storefront-mobile.png'), fullPage: true });
      await page.fill('.search-box input[name=q]', '点卡');
      await Promise.all([page.waitForURL(/\/search\?q=/), page.click('.search-box button[type=submit]')]);
      await fits(page);
      await page.screenshot({ path: resultsPath('search-mobile.png'), fullPage: true });
      const card = page.locator(`li.product-card[data-product-id="${productId}"]`);
      assert.equal(await card.count(), 1, 'the search finds the new listing');
      const cardText = await card.textContent();
      assert.ok(cardText.includes('¥12.34') && cardText.includes('库存 3') && cardText.includes('秒到账'), cardText);
      await Promise.all([page.waitForURL(base + `/products/${productId}`), card.locator('a.title').click()]);
      assert.equal((await page.textContent('#product-title')).trim(), title);
      assert.equal((await page.textContent('#price')).trim(), '¥12.34');
      assert.equal((await page.textContent('#stock')).trim(), '库存 3');
      assert.match(await page.textContent('table.tiers'), /≥ 3\s*¥11\.00/);
      assert.match(await page.textContent('.description'), /<script>alert\(1\)<\/script>/, 'raw HTML shown as text');
      assert.equal(await page.locator('.description strong').textContent(), '正品');
      assert.equal((await page.textContent('#shop-link')).trim(), '星辰点卡');
      await fits(page);
      await page.screenshot({ path: resultsPath('product-mobile.png'), fullPage: true });

      // --- buys one; the order page, the key behind 查看卡密, the snapshot ---
      const bought = await submit(page, '#buy-form');
      assert.equal(bought.status(), 303);
      await page.waitForURL(/\/orders\/\d+$/);
      const orderNo = page.url().match(/\/orders\/(\d+)$/)[1];
      assert.equal((await page.textContent('#order-state')).trim(), '已发货·担保中');
      assert.equal(await page.locator('#units').count(), 0, 'keys hidden until asked for');
      await fits(page);
      const revealed = await submit(page, '#reveal-form');
      assert.equal(revealed.status(), 303, 'post/redirect/get: the keys page reloads');
      const units = await page.textContent('#units');
      assert.ok(keys.some((k) => units.includes(k)), `a delivered key is shown: ${units}`);
      await page.screenshot({ path: resultsPath('order-mobile.png'), fullPage: true });

      await Promise.all([page.waitForURL(base + `/orders/${orderNo}/snapshot`), page.click('#snapshot-link')]);
      assert.match((await page.textContent('#snapshot-sha256')).trim(), /^[0-9a-f]{64}$/);
      assert.equal((await page.textContent('#snapshot-title')).trim(), title);
      assert.match(await page.textContent('#snapshot-canonical'), /"total_fen":1234/);
      await fits(page);

      // --- confirms receipt ---
      await page.goto(base + `/orders/${orderNo}`);
      const confirmed = await submit(page, '#confirm-form');
      assert.equal(confirmed.status(), 303);
      await page.waitForURL(base + `/orders/${orderNo}`);
      assert.equal((await page.textContent('#order-state')).trim(), '已完成');
      // --- 导出证据: a real download of the bundle zip ---
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#evidence-link')]);
      assert.equal(download.suggestedFilename(), `evidence-${orderNo}.zip`);
      const zipBytes = await readFile(await download.path());
      assert.equal(zipBytes.subarray(0, 2).toString('latin1'), 'PK', 'a zip file');
      await Promise.all([page.waitForURL(base + '/orders'), page.click('nav#nav a[data-nav=orders]')]);
      assert.match(await page.textContent(`li[data-order-no="${orderNo}"]`), /已完成/);
      await fits(page);
      await logout(page, base);

      // --- the merchant sees the order in the shop's orders ---
      await login(page, base, 'laowang', pw.laowang);
      await page.goto(base + '/merchant');
      await Promise.all([
        page.waitForURL(/\/merchant\/shops\/\d+\/orders$/),
        page.locator('a[data-link=shop-orders]').first().click(),
      ]);
      const row = page.locator(`li[data-order-no="${orderNo}"]`);
      assert.equal(await row.count(), 1, 'the order is in the shop list');
      assert.match(await row.textContent(), /已完成/);
      assert.match(await row.textContent(), new RegExp(tag));
      await fits(page);
    },
  },
];
