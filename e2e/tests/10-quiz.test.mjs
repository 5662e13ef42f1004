// Certified agents (issue 7) in a real browser: the merchant agent opens
// 客服认证 from the nav on a phone, starts the rules quiz, answers the ten
// questions with radio buttons (the right options looked up in the admin's
// bank), sees 通过 with the explanations and the 认证客服 badge; the owner's
// console shows the badge beside the agent, and the shop page the certified share.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Question id → the correct option's text, read through the admin's API. */
async function answerKey(browser, base, pw) {
  const context = await browser.newContext({ locale: 'zh-CN' });
  try {
    const page = await context.newPage();
    await login(page, base, 'admin', pw.admin);
    await page.goto(base + '/platform');
    assert.equal(await page.locator('a#quiz-bank-link').isVisible(), true, 'linked from the platform console');
    await page.goto(base + '/platform/quiz');
    assert.match(await page.textContent('#bank-count'), /启用 \d+ 题/);
    const bank = await page.evaluate(async () => (await fetch('/api/v1/admin/quiz/questions')).json());
    return Object.fromEntries(bank.map((q) => [String(q.id), q.options[q.correct]]));
  } finally {
    await context.close();
  }
}

export const tests = [
  {
    name: '商家客服在手机上从导航进入客服认证 → 答 10 题 → 通过并显示解析与认证客服标识；店主后台客服名旁显示认证客服；店铺主页显示持证客服占比',
    context: PHONE,
    fn: async ({ page, base, server, browser }) => {
      const pw = server.demo;
      const key = await answerKey(browser, base, pw);
      await login(page, base, 'xingchen_kf', pw.xingchen_kf);
      await page.goto(base + '/merchant');
      await Promise.all([page.waitForURL(/\/quiz$/), page.locator('nav#nav [data-nav=quiz]').first().click()]);
      assert.match(await page.textContent('#cert-state'), /还没有证书/);
      const started = await submit(page, 'form[action="/quiz"]');
      assert.equal(started.status(), 303);
      await page.waitForURL(/\/quiz\/attempts\/\d+$/);
      const questions = page.locator('li.quiz-q');
      assert.equal(await questions.count(), 10);
      for (let i = 0; i < 10; i++) {
        const q = questions.nth(i);
        const id = await q.getAttribute('data-question-id');
        await q.locator('label.choice', { hasText: key[id] }).first().locator('input[type=radio]').check();
      }
      await assertNoSideScroll(page, 390);
      const sent = await submit(page, '#quiz-form');
      assert.equal(sent.status(), 303);
      await page.waitForSelector('#quiz-result');
      assert.match(await page.textContent('#quiz-result'), /通过：10 \/ 10/);
      assert.equal(await page.locator('#quiz-result .certified').isVisible(), true, '认证客服');
      assert.equal(await page.locator('.explanation').count(), 10, 'every explanation shown');
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('quiz-result-mobile.png'), fullPage: true });

      const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
      try {
        const o = await context.newPage();
        await login(o, base, 'laowang', pw.laowang);
        await o.goto(base + '/merchant');
        const staff = o.locator('ul.staff li', { hasText: 'xingchen_kf' });
        assert.match(await staff.textContent(), /认证客服/);
        const shopHref = await o.locator('section.shop', { hasText: '星辰点卡' }).locator('a', { hasText: '店铺主页' }).getAttribute('href');
        await o.goto(base + shopHref);
        assert.match(await o.textContent('#shop-trust'), /持证客服占比 50.00 %/);
      } finally {
        await context.close();
      }
    },
  },
];
