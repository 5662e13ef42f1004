// Reviews and the publication of cases in the browser (issue 7): a buyer
// reviews a completed order with an insult → 待审核; the platform agent
// publishes it from 评价审核; the merchant replies once. A second order's case
// is contested by the merchant and decided by the platform, so it is published
// and the merchant responds once. A visitor with no account opens the shop page
// and sees the review (as 匿名买家, never the buyer's name) and the case. The
// buyer exports the case's evidence (导出证据) and `youying evidence verify`
// checks the downloaded file offline. On a phone, a review the platform
// rejects with a reason is edited along it and goes back to moderation.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { assertChecksBesideLabels, assertNoSideScroll, BIN, login, logout, resultsPath, submit, uid } from '../lib.mjs';

export const server = { demo: true };

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** laowang lists a card key with `keys`; returns the product id. */
async function listing(page, base, pw, tag, keys) {
  await login(page, base, 'laowang', pw.laowang);
  await page.goto(base + '/merchant');
  await Promise.all([
    page.waitForURL(/\/merchant\/shops\/\d+\/products\/new$/),
    page.locator('a[data-link=new-product]').first().click(),
  ]);
  await page.selectOption('#product-form select[name=category]', 'game_card');
  await page.selectOption('#product-form select[name=kind]', 'card_key');
  await page.fill('#product-form input[name=title]', `评价测试 点卡 ${tag}`);
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

/** The buyer buys one unit; returns the order number. */
async function buy(page, base, productId) {
  await page.goto(base + `/products/${productId}`);
  assert.equal((await submit(page, '#buy-form')).status(), 303);
  await page.waitForURL(/\/orders\/\d+$/);
  return page.url().match(/\/orders\/(\d+)$/)[1];
}

/** Posts a form on the case page; the answer is a 303 back to the case page (as 07-cases does). */
async function act(page, form, caseUrl) {
  await Promise.all([
    page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
    page.click(`${form} button[type=submit]`),
  ]);
  await page.waitForLoadState('domcontentloaded');
  assert.equal(page.url().split('#')[0], caseUrl, 'back on the case page');
}

async function as(browser, base, user, password) {
  const page = await (await browser.newContext()).newPage();
  await login(page, base, user, password);
  return page;
}

export const tests = [
  {
    name: '辱骂评价待审核 → 平台发布 → 商家回复；平台介入的售后公示；游客在店铺页看到匿名评价与公示案例',
    fn: async ({ page, base, server, browser }) => {
      const pw = server.demo;
      const tag = uid(3);
      const productId = await listing(page, base, pw, tag, [`R1-${tag}`, `R2-${tag}`, `R3-${tag}`]);

      // --- xiaoming buys, confirms receipt, and reviews with an insult: held ---
      await login(page, base, 'xiaoming', pw.xiaoming);
      await page.goto(base + '/wallet');
      await submit(page, '#faucet-form');
      const no = await buy(page, base, productId);
      const shopHref = await page.getAttribute('section.order a[href^="/shops/"]', 'href');
      assert.equal(await page.locator('#review-form').count(), 0, 'no review before completion');
      assert.equal((await submit(page, '#confirm-form')).status(), 303);
      assert.equal((await page.textContent('#order-state')).trim(), '已完成');
      await assertChecksBesideLabels(page);
      await page.check('#review-form input[name=stars][value="2"]');
      const insult = `发货慢，店主傻 逼 ${tag}`;
      await page.fill('#review-form textarea[name=text]', insult);
      assert.equal((await submit(page, '#review-form')).status(), 303);
      assert.equal((await page.textContent('#review-state')).trim(), '待审核');
      assert.equal(await page.locator('#review-form').count(), 0, 'one review per order');

      // --- a second order: a case the merchant contests ---
      const no2 = await buy(page, base, productId);
      await Promise.all([page.waitForURL(base + `/orders/${no2}/cases`), page.click('#open-case')]);
      await page.check('#case-form input[name=type][value=key_invalid]');
      await page.fill('#case-form textarea[name=description]', '我是小明，卡密提示已被使用');
      await page.setInputFiles('#case-form input[name=screenshots]', { name: '截图.png', mimeType: 'image/png', buffer: PNG });
      assert.equal((await submit(page, '#case-form')).status(), 303);
      await page.waitForURL(/\/cases\/\d+$/);
      const caseUrl = page.url();
      assert.match(await page.getAttribute('#case-evidence-link', 'href'), new RegExp(`/orders/${no2}/evidence\\.zip$`));

      const shop = await as(browser, base, 'laowang', pw.laowang);
      await shop.goto(caseUrl);
      await shop.fill('#contest-form textarea[name=reason]', '卡密出库前已验证有效');
      await act(shop, '#contest-form', caseUrl);
      assert.equal((await shop.textContent('#case-state')).trim(), '平台仲裁中');

      // --- the platform agent publishes the held review and decides the case ---
      const kefu = await as(browser, base, 'kefu', pw.kefu);
      await kefu.goto(base + '/platform/reviews');
      const held = kefu.locator('section.held-review', { hasText: tag });
      assert.match(await held.textContent(), /疑似辱骂/);
      const heldId = await held.getAttribute('data-review-id');
      assert.equal((await submit(kefu, `#review-${heldId} form.publish-form`)).status(), 303);
      assert.equal(await kefu.locator('section.held-review', { hasText: tag }).count(), 0);
      await kefu.goto(caseUrl);
      await kefu.check('#decide-form input[name=decision][value=refund]');
      await act(kefu, '#decide-form', caseUrl);
      assert.equal((await kefu.textContent('#case-state')).trim(), '已全额退款');
      await kefu.context().close();

      // --- the buyer exports the case's evidence; the file verifies offline ---
      await page.goto(caseUrl);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#case-evidence-link')]);
      const bundle = resultsPath(`evidence-${no2}.zip`);
      await download.saveAs(bundle);
      const verified = execFileSync(BIN, ['evidence', 'verify', bundle], { encoding: 'utf8' });
      assert.match(verified, new RegExp(`evidence bundle OK: order ${no2}`), verified);

      // --- the buyer sees the review published ---
      await page.goto(base + `/orders/${no}`);
      assert.equal((await page.textContent('#review-state')).trim(), '已发布');

      // --- the merchant replies once, and responds once to the published case ---
      await shop.goto(base + shopHref.replace('/shops/', '/merchant/shops/') + '/reviews');
      const mine = shop.locator(`#review-${heldId}`);
      await mine.locator('textarea[name=text]').fill('已加快发货，请文明评价');
      assert.equal((await submit(shop, `#review-${heldId} form.reply-form`)).status(), 303);
      assert.match(await shop.textContent(`#review-${heldId}`), /店铺回复：已加快发货/);
      assert.equal(await shop.locator(`#review-${heldId} form.reply-form`).count(), 0, 'one reply');
      await shop.goto(caseUrl);
      await shop.fill('#public-response-form textarea[name=text]', `已改进出库检测 ${tag}`);
      await act(shop, '#public-response-form', caseUrl);
      assert.match(await shop.textContent('#public-response'), /已改进出库检测/);
      await shop.context().close();

      // --- a visitor with no account opens the shop page ---
      const visitor = await (await browser.newContext()).newPage();
      await visitor.goto(base + shopHref);
      const reviews = await visitor.textContent('#shop-reviews');
      assert.ok(reviews.includes(insult) && reviews.includes('匿名买家') && reviews.includes('已加快发货'), reviews);
      const cases = await visitor.textContent('#shop-cases');
      assert.match(cases, /商家提出异议/);
      assert.match(cases, /平台裁决全额退款/);
      assert.ok(cases.includes(`已改进出库检测 ${tag}`), cases);
      const html = await visitor.content();
      assert.ok(!html.includes('xiaoming') && !html.includes('我是小明'), 'the buyer stays anonymous');
      await visitor.screenshot({ path: resultsPath('shop-trust.png'), fullPage: true });
      await visitor.context().close();
    },
  },
  {
    name: '手机上：评价被驳回后买家看到理由，修改后重新提交审核，平台发布',
    fn: async ({ page, base, server, browser }) => {
      const pw = server.demo;
      const tag = uid(3);
      const productId = await listing(page, base, pw, tag, [`RS-${tag}`]);
      const buyer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
      await login(buyer, base, 'xiaoming', pw.xiaoming);
      await buyer.goto(base + '/wallet');
      await submit(buyer, '#faucet-form');
      const no = await buy(buyer, base, productId);
      assert.equal((await submit(buyer, '#confirm-form')).status(), 303);
      await buyer.fill('#review-form textarea[name=text]', `你等着瞧 ${tag}`);
      assert.equal((await submit(buyer, '#review-form')).status(), 303);
      assert.equal((await buyer.textContent('#review-state')).trim(), '待审核');

      const kefu = await as(browser, base, 'kefu', pw.kefu);
      await kefu.goto(base + '/platform/reviews');
      const held = kefu.locator('section.held-review', { hasText: tag });
      const id = await held.getAttribute('data-review-id');
      await kefu.fill(`#review-${id} form.reject-form input[name=note]`, '请删除威胁性的话');
      assert.equal((await submit(kefu, `#review-${id} form.reject-form`)).status(), 303);

      // --- the buyer sees why, edits along it, and sends it back ---
      await buyer.goto(base + `/orders/${no}`);
      assert.match(await buyer.textContent('#review-note'), /未通过审核，理由：请删除威胁性的话/);
      await assertNoSideScroll(buyer, 390);
      await assertChecksBesideLabels(buyer);
      await buyer.check('#review-edit-form input[name=stars][value="3"]');
      await buyer.fill('#review-edit-form textarea[name=text]', `发货有点慢 ${tag}`);
      assert.equal((await submit(buyer, '#review-edit-form')).status(), 303);
      assert.equal((await buyer.textContent('#review-state')).trim(), '待审核');
      assert.match(await buyer.textContent('#review-resubmitted'), /已按理由修改/);

      await kefu.goto(base + '/platform/reviews');
      const again = kefu.locator(`#review-${id}`);
      assert.match(await again.textContent(), /第 1 次重新提交[\s\S]*请删除威胁性的话/);
      assert.equal((await submit(kefu, `#review-${id} form.publish-form`)).status(), 303);
      await kefu.context().close();
      await buyer.goto(base + `/orders/${no}`);
      assert.equal((await buyer.textContent('#review-state')).trim(), '已发布');
      assert.match(await buyer.textContent('#review'), /发货有点慢/);
      await buyer.context().close();
    },
  },
];
