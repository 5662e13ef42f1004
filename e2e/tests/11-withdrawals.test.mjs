// Withdrawals (issue 13, item 5): on a phone the demo merchant opens 货款 from
// the console, sees what may be withdrawn, requests 提现 (it shows 待审核 and
// leaves the wallet); the admin opens 提现审核 from the platform console, sees
// the payee in full and approves with a transfer reference; the merchant then
// sees 已打款 with the reference and the fee taken.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, logout, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function fund(page, key) {
  return (await page.textContent(`#funds dd[data-fund=${key}]`)).trim();
}

/** `¥1234.50` → 123450 (fen). */
function fen(yuan) {
  const m = yuan.match(/^¥(\d+)\.(\d\d)$/);
  assert.ok(m, yuan);
  return Number(m[1]) * 100 + Number(m[2]);
}

function yuan(f) {
  return `¥${Math.floor(f / 100)}.${String(f % 100).padStart(2, '0')}`;
}

export const tests = [
  {
    name: '商家：货款页申请提现 → 待审核；管理员：提现审核填写转账流水号打款；商家看到已打款',
    context: PHONE,
    fn: async ({ page, base, server }) => {
      const pw = server.demo;
      await login(page, base, 'laowang', pw.laowang);
      await Promise.all([page.waitForURL(base + '/merchant'), page.click('nav#nav a[data-nav=merchant]')]);
      await Promise.all([
        page.waitForURL(/\/merchant\/shops\/\d+\/funds$/),
        page.locator('a[data-link=funds]').first().click(),
      ]);
      const fundsUrl = page.url();
      assert.match(await page.textContent('main h1'), /货款/);
      // ¥800 opening balance plus the escrow the demo's month of sales released.
      const start = fen(await fund(page, 'withdrawable'));
      assert.ok(start >= 80_000, `withdrawable ${yuan(start)}`);
      assert.equal(await fund(page, 'pending'), '¥0.00');
      await assertNoSideScroll(page, 390);

      // Too much first: refused beside the field, what was typed kept.
      await page.fill('#withdraw-form input[name=amount]', String(Math.floor(start / 100) + 100));
      await page.selectOption('#withdraw-form select[name=method]', 'alipay');
      await page.fill('#withdraw-form input[name=account]', 'laowang@example.com');
      await page.fill('#withdraw-form input[name=real_name]', '王老五');
      const refused = await submit(page, '#withdraw-form');
      assert.equal(refused.status(), 422);
      assert.match(await page.textContent('#amount-error'), /可提现余额不足/);
      assert.equal(await page.inputValue('#withdraw-form input[name=account]'), 'laowang@example.com');
      assert.equal(await fund(page, 'withdrawable'), yuan(start), 'nothing moved');

      await page.fill('#withdraw-form input[name=amount]', '100');
      const sent = await submit(page, '#withdraw-form');
      assert.equal(sent.status(), 303);
      await page.waitForURL(/\/funds\?requested=\d+$/);
      assert.match(await page.textContent('.flash'), /提现申请已提交/);
      assert.equal(await fund(page, 'withdrawable'), yuan(start - 10_000));
      assert.equal(await fund(page, 'pending'), '¥100.00');
      const row = page.locator('#withdrawals tbody tr').first();
      assert.equal(await row.getAttribute('data-state'), 'requested');
      assert.match(await row.textContent(), /待审核/);
      assert.match(await row.textContent(), /\*\*\*\*\.com/);
      assert.doesNotMatch(await page.content(), /laowang@example\.com/, 'the list shows the account masked');
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('funds-mobile.png'), fullPage: true });
      await logout(page, base);

      await login(page, base, 'admin', pw.admin);
      await page.goto(base + '/platform');
      await Promise.all([page.waitForURL(base + '/platform/withdrawals'), page.click('#withdrawals-link')]);
      assert.equal(await page.textContent('main h1'), '提现审核');
      await assertNoSideScroll(page, 390);
      await Promise.all([
        page.waitForURL(/\/platform\/withdrawals\/\d+$/),
        page.locator('#withdrawal-queue tr[data-state=requested] a[data-link=decide]').first().click(),
      ]);
      assert.match(await page.textContent('#payee-account'), /laowang@example\.com/);
      assert.equal((await page.textContent('#payee-name')).trim(), '王老五');
      assert.equal((await page.textContent('#net')).trim(), '¥99.40');
      await page.fill('#approve-form input[name=transfer_ref]', 'ALI20261207001');
      const approved = await submit(page, '#approve-form');
      assert.equal(approved.status(), 303);
      await page.waitForURL(/\/platform\/withdrawals\?decided=\d+$/);
      assert.match(await page.textContent('#withdrawal-queue tbody tr[data-state=paid]'), /已打款/);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('withdrawals-queue-mobile.png'), fullPage: true });
      await page.goto(base + '/');
      await logout(page, base);

      await login(page, base, 'laowang', pw.laowang);
      await page.goto(fundsUrl);
      const paid = page.locator('#withdrawals tbody tr').first();
      assert.equal(await paid.getAttribute('data-state'), 'paid');
      assert.match(await paid.textContent(), /已打款/);
      assert.match(await paid.textContent(), /ALI20261207001/);
      assert.equal(await fund(page, 'paid-out'), '¥99.40');
      assert.equal(await fund(page, 'pending'), '¥0.00');
    },
  },
];
