// After-sales in the browser (issue 5): a buyer reports a dead key from the
// order page with a screenshot; the case page counts down the merchant's 12 h;
// the merchant, in another browser, finds the case under 售后 and reissues; the
// buyer's open case page shows it without a refresh; the buyer sees the new key
// on the order page and accepts, which closes the case.
// On a phone (390×844): an empty description comes back with 请填写问题描述 and
// the chosen type kept; an arbitration without its amount comes back with the
// order's true limit and the reason kept; 全额退款 first names the amount and
// the buyer, then refunds.

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

/** laowang lists a ¥10.00 card key with `keys`; returns the product id. */
async function listing(page, base, pw, tag, keys) {
  await login(page, base, 'laowang', pw.laowang);
  await page.goto(base + '/merchant');
  await Promise.all([
    page.waitForURL(/\/merchant\/shops\/\d+\/products\/new$/),
    page.locator('a[data-link=new-product]').first().click(),
  ]);
  await page.selectOption('#product-form select[name=category]', 'game_card');
  await page.selectOption('#product-form select[name=kind]', 'card_key');
  await page.fill('#product-form input[name=title]', `售后手机测试 ${tag}`);
  await page.fill('#product-form input[name=price]', '10.00');
  assert.equal((await submit(page, '#product-form')).status(), 303);
  await page.waitForURL(/\/merchant\/products\/\d+\/stock$/);
  const productId = page.url().match(/\/products\/(\d+)\/stock$/)[1];
  await page.fill('#stock-form textarea[name=text]', keys.join('\n') + '\n');
  assert.equal((await submit(page, '#stock-form')).status(), 303, 'post/redirect/get');
  await page.goto(base + '/');
  await logout(page, base);
  return productId;
}

/** A signed-in page on a 390×844 phone. */
async function phone(browser, base, user, password) {
  const p = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await login(p, base, user, password);
  return p;
}

/** The buyer buys one unit and opens a key_invalid case; returns the case URL. */
async function caseOn(p, base, productId) {
  await p.goto(base + `/products/${productId}`);
  assert.equal((await submit(p, '#buy-form')).status(), 303);
  await p.waitForURL(/\/orders\/\d+$/);
  const no = p.url().match(/\/orders\/(\d+)$/)[1];
  await p.goto(base + `/orders/${no}/cases`);
  await p.check('#case-form input[name=type][value=key_invalid]');
  await p.fill('#case-form textarea[name=description]', '提示卡密已被使用');
  assert.equal((await submit(p, '#case-form')).status(), 303);
  await p.waitForURL(/\/cases\/\d+$/);
  return p.url();
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
      assert.equal((await submit(page, '#stock-form')).status(), 303, 'post/redirect/get');
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
  {
    name: '手机上：空描述与缺金额的仲裁被退回并保留已填内容、说明真实上限；全额退款先确认金额和买家',
    fn: async ({ page, base, server, browser }) => {
      const pw = server.demo;
      const tag = uid(3);
      const productId = await listing(page, base, pw, tag, [`PA-${tag}`, `PB-${tag}`, `PC-${tag}`]);

      // --- the buyer, on a phone: an empty description is refused with the right words ---
      const buyer = await phone(browser, base, 'xiaoming', pw.xiaoming);
      await buyer.goto(base + '/wallet');
      await submit(buyer, '#faucet-form');
      await buyer.goto(base + `/products/${productId}`);
      assert.equal((await submit(buyer, '#buy-form')).status(), 303);
      await buyer.waitForURL(/\/orders\/\d+$/);
      const no = buyer.url().match(/\/orders\/(\d+)$/)[1];
      await buyer.goto(base + `/orders/${no}/cases`);
      await buyer.check('#case-form input[name=type][value=other]');
      await buyer.fill('#case-form textarea[name=description]', '   ');
      assert.equal((await submit(buyer, '#case-form')).status(), 422);
      assert.match(await buyer.textContent('#case-error'), /请填写问题描述/);
      assert.ok(await buyer.isChecked('#case-form input[name=type][value=other]'), 'the chosen type is kept');
      await assertNoSideScroll(buyer, 390);
      await buyer.check('#case-form input[name=type][value=key_invalid]');
      await buyer.fill('#case-form textarea[name=description]', '提示卡密已被使用');
      assert.equal((await submit(buyer, '#case-form')).status(), 303);
      await buyer.waitForURL(/\/cases\/\d+$/);
      const arbitrated = buyer.url();
      const refunded = await caseOn(buyer, base, productId);

      // --- the merchant contests one; on the other, 全额退款 asks first ---
      const shop = await phone(browser, base, 'laowang', pw.laowang);
      await shop.goto(arbitrated);
      assert.match(await shop.textContent('#units'), new RegExp(`PA\\*+${tag.slice(-2)}`), 'the disputed key, masked');
      assert.ok(!(await shop.content()).includes(`PA-${tag}`), 'never in the clear');
      await shop.fill('#contest-form textarea[name=reason]', '卡密出库前已验证有效');
      await act(shop, '#contest-form', arbitrated);
      await shop.goto(refunded);
      assert.ok(!(await shop.isVisible('#refund-confirm-button')), 'one tap does not refund');
      await shop.click('#refund-confirm summary');
      assert.match(await shop.textContent('#refund-question'), /确认退款 ¥10\.00 给 买家 xiaoming/);
      await assertNoSideScroll(shop, 390);
      await act(shop, '#refund-form', refunded);
      assert.equal((await shop.textContent('#case-state')).trim(), '已全额退款');
      await shop.context().close();

      // --- the platform agent forgets the amount: the form comes back with the true limit ---
      const kefu = await phone(browser, base, 'kefu', pw.kefu);
      await kefu.goto(arbitrated);
      await assertChecksBesideLabels(kefu);
      assert.equal(await kefu.locator('#decide-form input[name=account_returned]').count(), 0, 'a card key is no account');
      await kefu.check('#decide-form input[name=decision][value=partial_refund]');
      await kefu.fill('#decide-form textarea[name=reason]', '双方各退一步');
      assert.equal((await submit(kefu, '#decide-form')).status(), 422);
      assert.match(await kefu.textContent('#decide-amount-error'), /请填写部分退款金额（本单最多可退 ¥10\.00）/);
      assert.equal(await kefu.inputValue('#decide-form textarea[name=reason]'), '双方各退一步');
      assert.ok(await kefu.isChecked('#decide-form input[name=decision][value=partial_refund]'));
      assert.ok(!(await kefu.content()).includes('10,000,000'));
      await assertNoSideScroll(kefu, 390);
      await kefu.fill('#decide-form input[name=amount]', '12.00');
      assert.equal((await submit(kefu, '#decide-form')).status(), 422);
      assert.match(await kefu.textContent('#decide-amount-error'), /不能超过本单可退金额 ¥10\.00/);
      await kefu.fill('#decide-form input[name=amount]', '3.00');
      assert.equal((await submit(kefu, '#decide-form')).status(), 303);
      assert.equal((await kefu.textContent('#case-state')).trim(), '已部分退款');
      await kefu.context().close();
      await buyer.context().close();
    },
  },
];
