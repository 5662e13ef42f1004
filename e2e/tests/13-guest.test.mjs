// Guest orders (issue 13 item 4), on a phone: a visitor who never registers
// buys a card key with 支付宝 — the product page's 游客购买 (contact + query
// password), the fake 易支付 cashier, 支付成功, back to the order with its key;
// later, signed out, 订单查询 finds the order with the order number and the
// query password (a wrong password is told 没有找到订单).

import assert from 'node:assert/strict';
import { assertNoSideScroll, logout, navItems, navRole, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export const tests = [
  {
    name: '游客在手机上用支付宝买卡密：填手机号和查询密码 → 易支付收银台 → 看到卡密；退出后凭订单号和查询密码找回订单',
    context: PHONE,
    fn: async ({ page, base }) => {
      const mobile = `139${String(Date.now()).slice(-8)}`;
      await page.goto(base + '/search?q=Windows');
      assert.equal(await navRole(page), 'anonymous');
      const card = page.locator('li.product-card', { hasText: 'Windows 11' }).first();
      await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
      assert.equal(await page.isVisible('#guest-buy'), true, '游客购买 offered to a visitor');
      assert.match(await page.textContent('#guest-buy'), /查询密码至少 6 位/);
      await assertNoSideScroll(page, 390);

      // --- a contact that is neither an e-mail nor a mobile number: told beside the field ---
      await page.fill('#guest-buy input[name=contact]', '12345');
      await page.fill('#guest-buy input[name=query_password]', 'chaxun66');
      const [bad] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/guest-buy')),
        page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
        page.click('#guest-buy button.guest-pay-alipay'),
      ]);
      assert.equal(bad.status(), 422);
      await page.waitForLoadState('domcontentloaded');
      assert.match(await page.textContent('#contact-error'), /11 位大陆手机号/);
      assert.equal(await page.inputValue('#guest-buy input[name=contact]'), '12345', 'what was typed is kept');
      assert.equal(await page.inputValue('#guest-buy input[name=query_password]'), '', 'but never the password');
      await page.screenshot({ path: resultsPath('guest-error-mobile.png'), fullPage: true });

      // --- the phone number and 支付宝付款: the gateway's cashier, then the order ---
      await page.fill('#guest-buy input[name=contact]', mobile);
      await page.fill('#guest-buy input[name=query_password]', 'chaxun66');
      await Promise.all([
        page.waitForURL(/\/fake-epay\/submit\.php\?/),
        page.click('#guest-buy button.guest-pay-alipay'),
      ]);
      assert.match(await page.textContent('h1'), /易支付收银台/);
      assert.equal((await page.textContent('.money')).trim(), '¥19.90');
      assert.equal((await page.textContent('.channel')).trim(), '支付宝');
      await Promise.all([page.waitForURL(/\/orders\/\d+$/, { timeout: 15_000 }), page.click('button.ok')]);
      const orderNo = page.url().split('/').pop();
      assert.equal((await page.textContent('#order-state')).trim(), '已发货·担保中');
      const revealed = await submit(page, '#reveal-form');
      assert.equal(revealed.status(), 303, 'post/redirect/get to the keys page');
      assert.match(await page.textContent('#units'), /\S{5,}/, 'a key is shown');
      assert.equal((await navItems(page)).claim, '设置用户名和密码', 'a guest may become a full account');
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('guest-key-mobile.png'), fullPage: true });
      await logout(page, base);

      // --- 订单查询: a wrong password, then the right one ---
      await Promise.all([page.waitForURL(base + '/orders/lookup'), page.click('nav#nav a[data-nav=lookup]')]);
      await page.fill('#lookup-form input[name=query]', orderNo);
      await page.fill('#lookup-form input[name=query_password]', 'wrong-pw');
      const miss = await submit(page, '#lookup-form');
      assert.equal(miss.status(), 404);
      assert.match(await page.textContent('#lookup-error'), /没有找到订单/);
      await page.fill('#lookup-form input[name=query_password]', 'chaxun66');
      await Promise.all([page.waitForURL(base + `/orders/${orderNo}`), submit(page, '#lookup-form')]);
      assert.equal((await page.textContent('#order-state')).trim(), '已发货·担保中');
      await assertNoSideScroll(page, 390);
    },
  },
];
