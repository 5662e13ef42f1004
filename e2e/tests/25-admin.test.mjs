// The operator's tools on a phone (issue 16): the demo admin finds xiaoming on
// 用户管理, freezes him with a reason (refused without one, beside the field),
// xiaoming is told 账号已被冻结 at sign-in, the admin unfreezes him; on 店铺管理
// a deduction below zero from 星辰点卡's deposit is refused beside the amount
// (kept), ¥1 is deducted and shows in the shop's history.

import assert from 'node:assert/strict';
import { assertChecksBesideLabels, assertNoSideScroll, fillLogin, login, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function checkPage(page, errors) {
  await assertNoSideScroll(page, 390);
  await assertChecksBesideLabels(page);
  assert.deepEqual(errors, [], 'no console error');
}

export const tests = [
  {
    name: '管理员（手机）：搜索用户、填写原因冻结 / 解冻；调整店铺保证金不能低于零',
    context: PHONE,
    fn: async ({ page, base, server, browser }) => {
      const errors = [];
      // A form refused on purpose answers 4xx, which Chromium also logs; not a script error.
      const refusedLoad = /Failed to load resource: the server responded with a status of 4\d\d/;
      page.on('console', (m) => m.type() === 'error' && !refusedLoad.test(m.text()) && errors.push(m.text()));
      await login(page, base, 'admin', server.demo.admin);
      await page.goto(base + '/platform');
      await Promise.all([page.waitForURL(base + '/admin/users'), page.click('#users-link')]);
      await checkPage(page, errors);
      await page.fill('#user-search input[name=q]', 'xiaoming');
      await Promise.all([page.waitForURL(/\/admin\/users\?q=xiaoming/), page.click('#user-search button')]);
      await Promise.all([page.waitForURL(/\/admin\/users\/\d+$/), page.click('#users a.title >> text=xiaoming')]);
      const file = page.url();
      assert.match(await page.textContent('#user-facts'), /买家/);
      await checkPage(page, errors);

      // No reason: refused beside the field (the browser's own check removed).
      await page.$eval('#freeze-form textarea', (t) => t.removeAttribute('required'));
      const refused = await submit(page, '#freeze-form');
      assert.equal(refused.status(), 422);
      assert.match(await page.textContent('#freeze .error-msg'), /请填写原因/);
      await page.fill('#freeze-form textarea', '疑似盗号，冻结核查');
      assert.equal((await submit(page, '#freeze-form')).status(), 303);
      assert.match(await page.textContent('.flash'), /账号已冻结/);
      assert.match(await page.textContent('#history'), /冻结账号：疑似盗号，冻结核查/);
      await page.screenshot({ path: resultsPath('admin-user-mobile.png'), fullPage: true });

      // xiaoming cannot sign in, and is told why.
      const other = await (await browser.newContext({ locale: 'zh-CN', ...PHONE })).newPage();
      await other.goto(base + '/login');
      const denied = await fillLogin(other, 'xiaoming', server.demo.xiaoming);
      assert.equal(denied.status(), 403);
      assert.match(await other.textContent('main'), /账号已被冻结/);

      await page.goto(file);
      await page.fill('#unfreeze-form textarea', '核查无误');
      assert.equal((await submit(page, '#unfreeze-form')).status(), 303);
      assert.match(await page.textContent('#user-state'), /正常/);
      await login(other, base, 'xiaoming', server.demo.xiaoming);

      // The shop's deposit: never below zero.
      await page.goto(base + '/admin/shops?q=星辰');
      await checkPage(page, errors);
      await Promise.all([page.waitForURL(/\/admin\/shops\/\d+$/), page.click('#shops a.title >> text=星辰点卡')]);
      await checkPage(page, errors);
      await page.check('#deposit-form input[value=deduct]');
      await page.fill('#deposit-form input[name=amount]', '999999');
      await page.fill('#deposit-form textarea', '测试扣减');
      const negative = await submit(page, '#deposit-form');
      assert.equal(negative.status(), 422);
      assert.match(await page.textContent('#deposit-adjust .error-msg'), /不能低于 ¥0.00/);
      assert.equal(await page.inputValue('#deposit-form input[name=amount]'), '999999');
      await checkPage(page, errors);
      await page.check('#deposit-form input[value=deduct]');
      await page.fill('#deposit-form input[name=amount]', '1');
      await page.fill('#deposit-form textarea', '测试扣减');
      assert.equal((await submit(page, '#deposit-form')).status(), 303);
      assert.match(await page.textContent('#history'), /平台扣减保证金 ¥1.00.*测试扣减/);
      await page.reload();
      await checkPage(page, errors);
      await page.screenshot({ path: resultsPath('admin-shop-mobile.png'), fullPage: true });
    },
  },
];
