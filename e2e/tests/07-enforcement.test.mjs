// Deposits and penalties (issue 5): the demo merchant finds 保证金与违规 from the
// console on a phone, sees the deposit at the minimum, and a top-up beyond the
// wallet is refused with the reason; the admin opens the penalty overview.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, logout, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export const tests = [
  {
    name: '商家：保证金与违规页（余额、下限、充值表单）；超出钱包余额的充值被拒；管理员：处罚总览',
    context: PHONE,
    fn: async ({ page, base, server }) => {
      const pw = server.demo;
      await login(page, base, 'laowang', pw.laowang);
      await Promise.all([page.waitForURL(base + '/merchant'), page.click('nav#nav a[data-nav=merchant]')]);
      await Promise.all([
        page.waitForURL(/\/merchant\/shops\/\d+\/enforcement$/),
        page.locator('a[data-link=enforcement]').first().click(),
      ]);
      assert.match(await page.textContent('main h1'), /保证金与违规/);
      assert.equal((await page.textContent('#deposit-balance')).trim(), '¥1000.00');
      assert.equal((await page.textContent('#deposit-min')).trim(), '¥1000.00');
      assert.equal(await page.locator('#listing-ok').count(), 1, 'listings shown');
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('deposit-mobile.png'), fullPage: true });

      await page.fill('#deposit-form input[name=amount]', '99999');
      const refused = await submit(page, '#deposit-form');
      assert.equal(refused.status(), 422);
      assert.match(await page.textContent('.error-msg'), /余额不足/);
      assert.equal((await page.textContent('#deposit-balance')).trim(), '¥1000.00', 'nothing moved');
      await page.goto(base + '/');
      await logout(page, base);

      await login(page, base, 'admin', pw.admin);
      await page.goto(base + '/platform');
      await Promise.all([page.waitForURL(base + '/platform/penalties'), page.click('#penalties-link')]);
      assert.equal(await page.textContent('main h1'), '处罚总览');
      await assertNoSideScroll(page, 390);
    },
  },
];
