// After-sales in the browser (issue 5): a buyer reports a dead key from the
// order page with a screenshot; the case page counts down the merchant's 12 h;
// the merchant, in another browser, finds the case under 售后 and reissues; the
// buyer's open case page shows it without a refresh; the buyer sees the new key
// on the order page and accepts, which closes the case.

import assert from 'node:assert/strict';
import { assertChecksBesideLabels, assertNoSideScroll, login, logout, navItems, resultsPath, submit, uid } from '../lib.mjs';

export const server = { demo: true };

// A real 1×1 PNG: the server checks the picture's content, not its name.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** Posts a case action; the answer is a 303 back to the same case page. */
async function act(page, form, caseUrl) {
  await Promise.all([
    page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
    page.click(`${form} button[type=submit]`),
  ]);
  await page.waitForLoadState('domcontentloaded');
  assert.equal(page.url(), caseUrl, 'back on the case page');
}

export const tests = [
  {
    name: '买家报告死卡并上传截图；商家 12 小时倒计时内补发；买家看到新卡密并确认',
    fn: async ({ page, base, server, browser }) => {
      const pw = server.demo;
      const tag = uid(3);
      const dead = `DEAD-${tag}`;
      const good = `GOOD-${tag}`;

      // --- the merchant lists a card key with two units ---
      await login(page, base, 'laowang', pw.laowang);
      await page.goto(base + '/merchant');
      await Promise.all([
        page.waitForURL(/\/merchant\/shops\/\d+\/products\/new$/),
        page.locator('a[data-link=new-product]').first().click(),
      ]);
      await page.selectOption('#product-form select[name=category]', 'game_card');
      await page.selectOption('#product-form select[name=kind]', 'card_key');
      await page.fill('#product-form input[name=title]', `售后测试 点卡 ${tag}`);
      await page.fill('#product-form input[name=price]', '10.00');
      assert.equal((await submit(page, '#product-form')).status(), 303);
      await page.waitForURL(/\/merchant\/products\/\d+\/stock$/);
      const productId = page.url().match(/\/products\/(\d+)\/stock$/)[1];
      await page.fill('#stock-form textarea[name=text]', `${dead}\n${good}\n`);
      assert.equal((await submit(page, '#stock-form')).status(), 200);
      await page.goto(base + '/');
      await logout(page, base);

      // --- the buyer buys and sees the (dead) key ---
      await login(page, base, 'xiaoming', pw.xiaoming);
      await page.goto(base + '/wallet');
      await submit(page, '#faucet-form');
      await page.goto(base + `/products/${productId}`);
      assert.equal((await submit(page, '#buy-form')).status(), 303);
      await page.waitForURL(/\/orders\/\d+$/);
      const orderNo = page.url().match(/\/orders\/(\d+)$/)[1];
      await submit(page, '#reveal-form');
      assert.match(await page.textContent('#units'), new RegExp(dead));

      // --- opens a case from the order page ---
      await Promise.all([page.waitForURL(base + `/orders/${orderNo}/cases`), page.click('#open-case')]);
      await assertChecksBesideLabels(page);
      await page.check('#case-form input[name=type][value=key_invalid]');
      await page.fill('#case-form textarea[name=description]', '兑换时提示“卡密已被使用”');
      await page.setInputFiles('#case-form input[name=screenshots]', { name: '截图.png', mimeType: 'image/png', buffer: PNG });
      assert.equal((await submit(page, '#case-form')).status(), 303);
      await page.waitForURL(/\/cases\/\d+$/);
      const caseUrl = page.url();
      assert.equal((await page.textContent('#case-state')).trim(), '待商家处理');
      // The live countdown: 商家需在 11:59:5x 内处理.
      await page.waitForFunction(() => /^1[01]:\d\d:\d\d$/.test(document.querySelector('#merchant-countdown')?.textContent || ''));
      assert.match(await page.textContent('#case-clock'), /商家需在 1[01]:\d\d:\d\d 内处理/);
      assert.match(await page.textContent('#evidence'), /截图\.png[\s\S]*image\/png/);
      assert.match(await page.textContent('#evidence'), /交易快照/);
      await page.screenshot({ path: resultsPath('case-buyer.png'), fullPage: true });
      // On a phone the case page fits: the screenshot's SHA-256 wraps instead of widening the page.
      const desk = page.viewportSize();
      await page.setViewportSize({ width: 390, height: 844 });
      await assertNoSideScroll(page, 390);
      await page.setViewportSize(desk);
      await page.goto(base + `/orders/${orderNo}`);
      assert.equal((await page.textContent('#order-state')).trim(), '售后中·担保冻结');
      assert.equal(await page.locator('#open-case').count(), 0, 'one open case per order');
      await page.goto(caseUrl);

      // --- meanwhile, in another browser, the merchant finds it under 售后 and reissues ---
      const shop = await (await browser.newContext()).newPage();
      await login(shop, base, 'laowang', pw.laowang);
      assert.equal((await navItems(shop))['merchant-cases'], '售后');
      await Promise.all([shop.waitForURL(base + '/merchant/cases'), shop.click('nav#nav a[data-nav=merchant-cases]')]);
      const row = shop.locator('li.case-row').first();
      assert.match(await row.textContent(), /待商家处理/);
      assert.match(await row.textContent(), new RegExp(orderNo));
      await Promise.all([shop.waitForURL(caseUrl), row.locator('a.title').click()]);
      await act(shop, '#reissue-form', caseUrl);
      assert.equal((await shop.textContent('#case-state')).trim(), '待买家确认');
      assert.doesNotMatch(await shop.content(), new RegExp(good), 'the merchant page never shows the key');
      await shop.context().close();

      // --- the buyer's open case page shows it without a refresh ---
      await page.waitForFunction(
        () => document.querySelector('#case-state')?.textContent.trim() === '待买家确认',
        null,
        { timeout: 15_000 },
      );

      // --- the buyer sees the new key and accepts ---
      assert.match(await page.textContent('#buyer-actions'), /商家已补发新卡密/);
      await Promise.all([page.waitForURL(base + `/orders/${orderNo}`), page.click('#see-new-key')]);
      await submit(page, '#reveal-form');
      const units = await page.textContent('#units');
      assert.ok(units.includes(good) && !units.includes(dead), `the fresh key replaces the dead one: ${units}`);
      await page.goto(caseUrl);
      await act(page, '#accept-form', caseUrl);
      assert.equal((await page.textContent('#case-state')).trim(), '已补发');
      assert.match(await page.textContent('#timeline'), /买家确认补发/);
      assert.equal(await page.locator('#merchant-countdown').count(), 0, 'no clock on a closed case');
      await page.screenshot({ path: resultsPath('case-closed.png'), fullPage: true });
    },
  },
];
