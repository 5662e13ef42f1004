// Demo mode: the admin from the printed table signs in, changes a rule on the
// platform console, and the home page states the new promise.

import assert from 'node:assert/strict';
import { login, navItems, navRole, submit } from '../lib.mjs';

export const server = { demo: true };

export const tests = [
  {
    name: '演示管理员：修改回复时限为 5 秒，首页随之更新',
    fn: async ({ page, base, server }) => {
      const pw = server.demo;
      // One account of every role at least (the demo may add more shops and buyers).
      for (const name of ['admin', 'kefu', 'laowang', 'xiaoming', 'xingchen_kf']) {
        assert.ok(name in pw, `demo account ${name}: ${Object.keys(pw)}`);
      }
      assert.match(pw.admin, /^[0-9a-f]{12}Yy1$/);

      // Before: the default two minutes.
      await page.goto(base + '/');
      assert.match(await replyCard(page), /2 分钟/);

      await login(page, base, 'admin', pw.admin);
      assert.equal(await navRole(page), 'admin');
      const nav = await navItems(page);
      assert.equal(nav.platform, '平台客服台');
      assert.equal(nav.admin, '管理后台');
      assert.equal(nav['open-shop'], undefined);

      await Promise.all([page.waitForURL(base + '/platform'), page.click('nav#nav a[data-nav=platform]')]);
      assert.equal(await page.textContent('main h1'), '平台客服台');
      // The form speaks minutes: 120 s reads 2 分钟.
      assert.equal(await page.inputValue('#rule-chat_reply_secs'), '2');
      assert.equal(await page.inputValue('#rule-chat_reply_secs-unit'), 'm');
      await page.fill('#rule-chat_reply_secs', '5');
      await page.selectOption('#rule-chat_reply_secs-unit', 's');
      const resp = await submit(page, '#rules-form');
      assert.equal(resp.status(), 303, 'checked, then on to the confirmation');
      await page.waitForURL(base + '/admin/rules/confirm?chat_reply_secs=5');
      assert.match(await page.textContent('#rule-changes'), /买家消息人工回复时限：2 分钟 → 5 秒/);
      const saved = await submit(page, '#rules-confirm');
      assert.equal(saved.status(), 303);
      await page.waitForURL(/\/platform\?saved=1/);
      assert.match(await page.textContent('.flash'), /规则已保存/);
      assert.equal(await page.inputValue('#rule-chat_reply_secs'), '5');
      assert.equal(await page.inputValue('#rule-chat_reply_secs-unit'), 's');
      // The other rules are untouched: one day still reads 1 天.
      assert.equal(await page.inputValue('#rule-case_resolve_secs'), '1');
      assert.equal(await page.inputValue('#rule-case_resolve_secs-unit'), 'd');

      // A value out of range is refused beside the field, kept, and changes nothing.
      await page.fill('#rule-chat_reply_secs', '0');
      const bad = await submit(page, '#rules-form');
      assert.equal(bad.status(), 422);
      assert.match(await page.textContent('#rule-row-chat_reply_secs'), /不能少于 1 秒/);
      assert.equal(await page.inputValue('#rule-chat_reply_secs'), '0');
      await page.goto(base + '/platform');
      assert.equal(await page.inputValue('#rule-chat_reply_secs'), '5');

      // The home page now promises 5 秒.
      await page.click('nav#nav a[data-nav=home]');
      await page.waitForURL(base + '/');
      assert.match(await replyCard(page), /5 秒/);
    },
  },
  {
    name: '演示账号：商家、客服、买家、平台客服各见其导航',
    fn: async ({ page, base, server }) => {
      const expect = {
        laowang: ['buyer', 'merchant'],
        xingchen_kf: ['merchant_agent', 'merchant'],
        xiaoming: ['buyer', 'open-shop'],
        kefu: ['platform_agent', 'platform'],
      };
      for (const [user, [role, key]] of Object.entries(expect)) {
        await login(page, base, user, server.demo[user]);
        assert.equal(await navRole(page), role, user);
        assert.ok(key in (await navItems(page)), `${user} has nav ${key}`);
        if (key === 'merchant') {
          await page.click('nav#nav a[data-nav=merchant]');
          await page.waitForURL(base + '/merchant');
          assert.equal((await page.textContent('section.shop h2')).trim(), '星辰点卡', user);
        }
        if (key === 'platform') {
          await page.click('nav#nav a[data-nav=platform]');
          await page.waitForURL(base + '/platform');
          assert.equal(await page.locator('#rules-form').count(), 0, 'a platform agent sees the rules read-only');
        }
        await page.goto(base + '/');
        await Promise.all([
          page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
          page.click('button[data-nav=logout]'),
        ]);
        await page.waitForURL(base + '/');
        assert.equal(await navRole(page), 'anonymous');
      }
    },
  },
];

async function replyCard(page) {
  return page.locator('section.grid .card', { has: page.locator('h2', { hasText: '回复时限' }) }).textContent();
}
