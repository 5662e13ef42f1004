// Buyer levels (issue 14): the demo's xiaohong is a 代理 (95折). On a phone
// she sees her level on 我的账号, her own price beside the struck-through list
// price on a product page, buys at it from her wallet, and the order's 交易快照
// says why she paid it (代理价 ¥18.90（95折）). The admin's 会员等级 page
// refuses 9000 bp beside the field and keeps what was typed.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, logout, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export const tests = [
  {
    name: '代理买家在手机上看到自己的等级价（标价划线）并按此价购买，交易快照记录价格依据；管理员新建等级填 9000 基点被拒',
    context: PHONE,
    fn: async ({ page, base, server }) => {
      const pw = server.demo;
      await login(page, base, 'xiaohong', pw.xiaohong);
      await page.goto(base + '/account');
      assert.match(await page.textContent('#my-level'), /代理.*95折/);

      await page.goto(base + '/search?q=Windows');
      const card = page.locator('li.product-card', { hasText: 'Windows 11' }).first();
      assert.match(await card.textContent(), /¥18\.90/, 'the list shows her price too');
      await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
      assert.equal((await page.textContent('#list-price')).trim(), '¥19.90');
      assert.equal(await page.$eval('#list-price', (e) => e.tagName), 'DEL', 'the list price is struck through');
      const yours = (await page.textContent('#your-price')).replace(/\s+/g, '');
      assert.match(yours, /你的价格（代理）¥18\.90/);
      assert.match(yours, /95折/);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('level-price-mobile.png'), fullPage: true });

      const bought = await submit(page, '#buy-form');
      assert.equal(bought.status(), 303);
      await page.waitForURL(/\/orders\/\d+$/);
      const orderNo = page.url().split('/').pop();
      await Promise.all([page.waitForURL(base + `/orders/${orderNo}/snapshot`), page.click('#snapshot-link')]);
      assert.match(await page.textContent('main'), /价格依据\s*代理价 ¥18\.90（95折）/);
      assert.match(await page.textContent('#snapshot-canonical'), /"total_fen":1890/);
      assert.match(await page.textContent('#snapshot-canonical'), /"kind":"level_discount"/);
      await assertNoSideScroll(page, 390);
      await logout(page, base);

      await login(page, base, 'admin', pw.admin);
      await page.goto(base + '/platform');
      await Promise.all([page.waitForURL(base + '/platform/levels'), page.click('#levels-link')]);
      assert.equal(await page.textContent('main h1'), '会员等级');
      assert.equal(await page.locator('#levels form.level-row').count(), 4, '普通会员, 高级会员, 代理, 总代');
      await page.fill('#new-level-form input[name=name]', '超级代理');
      // The field says max=5000 and the browser would stop 9000 itself; the
      // server's own refusal is what is tested, so that limit is lifted here.
      await page.$eval('#new-level-form input[name=discount_bp]', (e) => e.removeAttribute('max'));
      await page.fill('#new-level-form input[name=discount_bp]', '9000');
      const refused = await submit(page, '#new-level-form');
      assert.equal(refused.status(), 422);
      assert.ok((await page.textContent('#new-level-error')).trim().length > 0, 'told beside the field');
      assert.equal(await page.inputValue('#new-level-form input[name=name]'), '超级代理', 'what was typed is kept');
      await page.fill('#new-level-form input[name=discount_bp]', '1000');
      const made = await submit(page, '#new-level-form');
      assert.equal(made.status(), 303);
      await page.waitForURL(base + '/platform/levels?done=created');
      assert.match(await page.textContent('#levels'), /9折/);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('levels-admin-mobile.png'), fullPage: true });
    },
  },
];
