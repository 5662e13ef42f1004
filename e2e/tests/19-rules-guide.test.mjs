// The public promise (issue 15): on a phone, a visitor with no account reaches
// 服务承诺 (/rules) and 维权指南 (/guide) from the footer; both read well at
// 390 px, the promise lists every section in plain Chinese with the history of
// rule changes, and the guide walks through prevention, response and escalation.

import assert from 'node:assert/strict';
import { assertNoSideScroll, resultsPath } from '../lib.mjs';

export const server = { demo: false };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export const tests = [
  {
    name: '游客（手机）：页脚进入服务承诺与维权指南',
    context: PHONE,
    fn: async ({ page, base }) => {
      await page.goto(base + '/');
      await Promise.all([page.waitForURL(base + '/rules'), page.click('footer a[href="/rules"]')]);
      assert.equal(await page.textContent('main h1'), '服务承诺');
      const after = await page.textContent('#promise-after_sales');
      assert.match(after, /卡密失效：交付后 24 小时内可申请售后/);
      assert.match(after, /平台 24 小时内处理完毕/);
      for (const key of ['chat', 'escrow', 'topup', 'penalties', 'fees', 'money']) {
        assert.equal(await page.locator(`#promise-${key} li.promise-line`).count() > 0, true, key);
      }
      assert.match(await page.textContent('#promise-chat'), /2 分钟内必有真人回复/);
      assert.match(await page.textContent('#promise-history'), /变更历史/);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('rules-mobile.png'), fullPage: true });

      const json = await (await page.request.get(base + '/api/v1/public/rules')).json();
      assert.equal(json.rules.find((r) => r.name === 'chat_reply_secs').text, '2 分钟');
      assert.equal(json.sections.length, 7);

      await Promise.all([page.waitForURL(base + '/guide'), page.click('footer a[href="/guide"]')]);
      assert.equal(await page.textContent('main h1'), '维权指南');
      for (const id of ['#guide-prevent', '#guide-respond', '#guide-escalate']) {
        assert.equal(await page.locator(`${id} li.guide-step`).count(), 3, id);
      }
      assert.match(await page.textContent('#guide-escalate'), /12315/);
      assert.match(await page.textContent('#guide-respond'), /商家须在 12 小时内处理/);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('guide-mobile.png'), fullPage: true });
    },
  },
];
