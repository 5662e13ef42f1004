// The help bot (issue 6) in a real browser: a buyer asks 多少钱 in a product's
// chat and the bot answers with the listing's real price, with 已解决 / 转人工
// under it; typing 转人工 hands over at once — the 2-minute countdown starts
// live — and the merchant agent's console shows the conversation with its
// countdown. Every wait is a condition with a timeout, never a fixed sleep.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function ask(page, text) {
  const before = await page.locator('#messages li.msg').count();
  await page.fill('#chat-text', text);
  await page.click('#chat-form button[type=submit]');
  // The question and the bot's answer both arrive live.
  await page.waitForFunction((n) => document.querySelectorAll('#messages li.msg').length >= n + 2, before);
  return page.locator('#messages .bot-msg').last();
}

export const tests = [
  {
    name: '买家在商品页咨询「多少钱」→ 助手按实时价格回答；输入「转人工」→ 立即转人工并开始 2 分钟倒计时；商家客服台看到该会话和倒计时',
    context: PHONE,
    fn: async ({ page, base, server, browser }) => {
      const pw = server.demo;
      await login(page, base, 'xiaoming', pw.xiaoming);
      await page.goto(base + '/');
      const card = page.locator('li.product-card', { has: page.locator('.shop-name', { hasText: '星辰点卡' }) }).first();
      await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
      const opened = await submit(page, '#contact-form');
      assert.equal(opened.status(), 303);
      await page.waitForURL(/\/chat\/\d+$/);
      const conv = Number(page.url().match(/\/chat\/(\d+)$/)[1]);
      await page.waitForSelector('#chat[data-live="1"]');
      const price = (await page.textContent('#messages .card-msg strong')).trim();
      assert.match(price, /^¥\d+\.\d\d$/);
      assert.match(await page.textContent('#idle'), /智能助手先为您解答常见问题/);

      const answer = await ask(page, '这个多少钱');
      assert.ok((await answer.textContent()).includes(price), `the listing's price ${price} in: ${await answer.textContent()}`);
      assert.equal(await answer.locator('button[value=settled]').isVisible(), true, '已解决');
      assert.equal(await answer.locator('button[value=human]').isVisible(), true, '转人工');
      assert.equal(await page.locator('#awaiting').isHidden(), true, 'a settled question starts no deadline');
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('bot-answer-mobile.png'), fullPage: true });

      const handoff = await ask(page, '转人工');
      assert.match(await handoff.textContent(), /已为您转接人工客服/);
      await page.waitForSelector('#awaiting:not([hidden])');
      assert.match(await page.textContent('#awaiting'), /商家须在 0[12]:\d\d 内回复/);
      assert.equal(await page.locator('.bot-buttons').count(), 0, 'a person owes the answer now');

      // The merchant's agent sees it in the console with its countdown.
      const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
      try {
        const k = await context.newPage();
        await login(k, base, 'xingchen_kf', pw.xingchen_kf);
        await k.goto(base + '/merchant/chat');
        const row = k.locator(`li.queue-row[data-conversation-id="${conv}"]`);
        await row.waitFor();
        assert.match(await row.locator('.countdown').textContent(), /^0[12]:\d\d$/);
        await k.screenshot({ path: resultsPath('bot-handoff-console.png'), fullPage: true });
      } finally {
        await context.close();
      }
    },
  },
];
