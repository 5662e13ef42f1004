// The acceptance walk: register → signed in → sign out → sign in → open a shop →
// invite a customer-service agent → the agent registers through the link.

import assert from 'node:assert/strict';
import { fillLogin, fillRegister, logout, navItems, navRole, submit, uid } from '../lib.mjs';

export const server = {};

const PASSWORD = 'abc12345xyz';

export const tests = [
  {
    name: '注册、退出、登录、开店、邀请客服',
    fn: async ({ page, base }) => {
      const username = `e2e_${uid()}`;
      const shopName = `星辰小铺${uid(2)}`;

      // Home → 注册 from the nav.
      await page.goto(base + '/');
      assert.equal(await navRole(page), 'anonymous');
      assert.equal((await navItems(page)).register, '注册');
      await Promise.all([page.waitForURL(base + '/register'), page.click('nav#nav a[data-nav=register]')]);
      assert.equal(await page.textContent('main h1'), '注册');

      // Register → signed in, back on the home page.
      const reg = await fillRegister(page, username, PASSWORD);
      assert.equal(reg.status(), 303, 'registration answers 303');
      await page.waitForURL(base + '/');
      assert.equal(await navRole(page), 'buyer');
      let nav = await navItems(page);
      assert.equal(nav.account, '我的');
      assert.equal(nav['open-shop'], '开店');
      assert.equal(nav.login, undefined, 'no 登录 link once signed in');
      const logoutText = await page.textContent('button[data-nav=logout]');
      assert.ok(logoutText.includes('退出') && logoutText.includes(username), logoutText);
      assert.ok(await page.isVisible('button[data-nav=logout]'));

      // 退出 → the nav offers 登录 again.
      await logout(page, base);
      assert.equal(await page.locator('button[data-nav=logout]').count(), 0);

      // Sign in again through the /login form, reached from the nav.
      await Promise.all([page.waitForURL(base + '/login'), page.click('nav#nav a[data-nav=login]')]);
      const li = await fillLogin(page, username, PASSWORD);
      assert.equal(li.status(), 303, 'login answers 303');
      await page.waitForURL(base + '/');
      nav = await navItems(page);
      assert.equal(nav['open-shop'], '开店');

      // 开店 → name the shop → the merchant console.
      await Promise.all([page.waitForURL(base + '/shops/new'), page.click('nav#nav a[data-nav=open-shop]')]);
      await page.fill('#open-shop-form input[name=name]', shopName);
      const open = await submit(page, '#open-shop-form');
      assert.equal(open.status(), 303, 'opening a shop answers 303');
      await page.waitForURL(base + '/merchant');
      assert.equal(await page.textContent('main h1'), '商家后台');
      assert.equal((await page.textContent('section.shop h2')).trim(), shopName);
      nav = await navItems(page);
      assert.equal(nav.merchant, '商家后台');
      assert.equal(nav['open-shop'], undefined, 'no 开店 link for a shop owner');
      assert.equal(await page.getAttribute('nav#nav a[data-nav=merchant]', 'class'), 'active');

      // 生成客服邀请链接 → the link, shown once.
      const [inv] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && /\/merchant\/shops\/\d+\/invites$/.test(r.url())),
        page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
        page.getByRole('button', { name: '生成客服邀请链接' }).click(),
      ]);
      assert.equal(inv.status(), 303, 'post/redirect/get');
      await page.waitForSelector('#invite-link');
      const link = (await page.textContent('#invite-link')).trim();
      // The link is absolute (the request's own host, or --public-url).
      assert.equal(new URL(link).origin, base);
      assert.match(new URL(link).pathname, /^\/invite\/yyi_[0-9a-f]{64}$/);
      assert.match(await page.textContent('ul.invites'), /待接受/);
      // Reloading the console neither shows the link again nor makes a second one.
      assert.equal((await page.reload()).status(), 200);
      assert.equal(await page.locator('#invite-link').count(), 0);
      assert.equal((await page.textContent('ul.invites')).match(/待接受/g).length, 1);

      // Sign out, open the link, register the agent there.
      await logout(page, base);
      await page.goto(link);
      assert.equal(await page.textContent('main h1'), '加入店铺客服团队');
      const agent = `e2e_kf_${uid()}`;
      const acc = await fillRegister(page, agent, PASSWORD);
      assert.equal(acc.status(), 303, 'accepting the invitation answers 303');
      await page.waitForURL(base + '/merchant');
      assert.equal(await navRole(page), 'merchant_agent');
      nav = await navItems(page);
      assert.equal(nav.merchant, '商家后台');
      assert.equal(nav['open-shop'], undefined);
      assert.ok((await page.textContent('button[data-nav=logout]')).includes(agent));
      assert.equal((await page.textContent('section.shop h2')).trim(), shopName);

      // The link is spent: opening it again says so at once (410), with no form.
      await logout(page, base);
      const again = await page.goto(link);
      assert.equal(again.status(), 410, 'a used invitation is refused');
      assert.equal(await page.locator('#register-form').count(), 0);
      assert.match(await page.textContent('main'), /已被使用/);
      assert.equal(await navRole(page), 'anonymous');
    },
  },
];
