// Money in through the demo's fake 易支付 gateway (issue 13), on a phone: a new
// buyer with an empty wallet buys a card key with 支付宝 — the product page's
// 支付宝付款, the gateway's cashier, 支付成功, back to 支付确认中 → the order with
// its key; then tops the wallet up from 钱包 and an admin sees both payments.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, logout, register, resultsPath, submit, uid } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export const tests = [
  {
    name: '新买家余额为零：商品页“支付宝付款”→ 易支付收银台 → 支付成功 → 自动跳到订单并看到卡密；钱包充值到账；管理员看到支付单',
    context: PHONE,
    fn: async ({ page, base, server }) => {
      const buyer = `pay_${uid(4)}`;
      await register(page, base, buyer, 'correct1horse');

      // --- finds a card key and pays with 支付宝 ---
      await page.goto(base + '/search?q=Windows');
      const card = page.locator('li.product-card', { hasText: 'Windows 11' }).first();
      await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
      const price = (await page.textContent('#price')).trim();
      assert.equal(price, '¥19.90');
      assert.equal(await page.locator('#buy-form button.pay-alipay').count(), 1, '支付宝付款 offered');
      await assertNoSideScroll(page, 390);
      await Promise.all([
        page.waitForURL(/\/fake-epay\/submit\.php\?/),
        page.click('#buy-form button.pay-alipay'),
      ]);

      // --- the gateway's cashier ---
      assert.match(await page.textContent('h1'), /易支付收银台/);
      assert.equal((await page.textContent('.money')).trim(), '¥19.90');
      assert.equal((await page.textContent('.channel')).trim(), '支付宝');
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('cashier-mobile.png'), fullPage: true });
      await Promise.all([page.waitForURL(/\/orders\/\d+$/, { timeout: 15_000 }), page.click('button.ok')]);

      // --- paid: the order, with its key ---
      assert.equal((await page.textContent('#order-state')).trim(), '已发货·担保中');
      const revealed = await submit(page, '#reveal-form');
      assert.equal(revealed.status(), 303, 'post/redirect/get to the keys page');
      assert.match(await page.textContent('#units'), /\S{5,}/, 'a key is shown');
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('paid-order-mobile.png'), fullPage: true });

      // --- a wallet top-up of ¥30 with 微信 ---
      await page.goto(base + '/wallet');
      assert.equal((await page.textContent('#balance')).trim(), '¥0.00');
      await page.fill('#topup-form input[name=amount]', '0.5');
      const tooSmall = await submit(page, '#topup-form');
      assert.equal(tooSmall.status(), 422);
      assert.match(await page.textContent('#topup .error-msg'), /金额超出允许范围/);
      assert.equal(await page.inputValue('#topup-form input[name=amount]'), '0.5', 'what was typed is kept');
      await page.fill('#topup-form input[name=amount]', '30');
      await page.check('#topup-form input[name=channel][value=wxpay]');
      await Promise.all([page.waitForURL(/\/fake-epay\/submit\.php\?/), page.click('#topup-form button[type=submit]')]);
      assert.match(await page.textContent('.channel'), /微信/);
      await Promise.all([page.waitForURL(/\/wallet\/topups\/\d+$/, { timeout: 15_000 }), page.click('button.ok')]);
      assert.equal((await page.textContent('#topup-state')).trim(), '已到账');
      await page.goto(base + '/wallet');
      assert.equal((await page.textContent('#balance')).trim(), '¥30.00');
      assert.match(await page.textContent('#statement'), /在线充值/);
      await logout(page, base);

      // --- the admin's payments page lists both as paid ---
      await login(page, base, 'admin', server.demo.admin);
      await page.goto(base + '/platform/payments?state=paid');
      const rows = await page.textContent('#payments');
      assert.match(rows, /¥19\.90/);
      assert.match(rows, /¥30\.00/);
      await assertNoSideScroll(page, 390);

      // --- and the gateway it went through, without its key ---
      await Promise.all([page.waitForURL(base + '/platform/gateways'), page.click('a[href="/platform/gateways"]')]);
      const row = await page.textContent('#gateway-demo');
      assert.match(row, /MD5 密钥已设置/);
      assert.match(row, /\/fake-epay/);
      assert.ok(!(await page.content()).includes('fakepay-demo-key'), 'the key is never written into a page');
      await assertNoSideScroll(page, 390);
    },
  },
];
