// The buyer's walk on a phone (issue 16): product cards show the shop's grade
// and how many were sold; a refused buy is told beside the quantity and the
// form's own address reloads to the product page; a purchase lands on the
// order page, which reloads; 修改密码 on 我的账号, then signing in with the new one.

import assert from 'node:assert/strict';
import { assertChecksBesideLabels, assertNoSideScroll, login, logout, register, resultsPath, submit, uid } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function fits(page) {
  await assertNoSideScroll(page, 390);
  await assertChecksBesideLabels(page);
}

export const tests = [
  {
    name: '手机买家：商品卡片显示店铺评级与已售，购买后刷新订单页，修改密码后用新密码登录',
    context: PHONE,
    fn: async ({ page, base }) => {
      const name = `buyer_${uid(4)}`;
      const [oldPw, newPw] = ['start1234', 'changed5678'];
      await register(page, base, name, oldPw);
      await page.goto(base + '/wallet');
      const faucet = await submit(page, '#faucet-form');
      assert.equal(faucet.status(), 303, 'post/redirect/get');
      assert.match(await page.textContent('.flash'), /已领取演示余额/);
      assert.equal((await page.reload()).status(), 200, 'the wallet reloads without taking again');

      // --- browse: every card says the shop's grade and how many sold ---
      await page.goto(base + '/search?q=Windows');
      const card = page.locator('li.product-card', { hasText: 'Windows 11' }).first();
      assert.match((await card.locator('.grade-badge').textContent()).trim(), /^(A|B|C|D|新店)$/);
      assert.match(await card.locator('.sold').textContent(), /已售 \d+/);
      await fits(page);
      await page.screenshot({ path: resultsPath('cards-grade-mobile.png'), fullPage: true });
      await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
      const productUrl = page.url();
      const soldBefore = Number((await page.textContent('#product-sold')).match(/已售 (\d+)/)[1]);
      assert.match((await page.textContent('#product-grade')).trim(), /^(A|B|C|D|新店)$/);
      await fits(page);

      // --- a refused quantity: beside the field, kept; the form's address reloads to the product ---
      await page.$eval('#buy-form input[name=quantity]', (e) => e.removeAttribute('min'));
      await page.fill('#buy-form input[name=quantity]', '0');
      const refused = await submit(page, '#buy-form');
      assert.equal(refused.status(), 422);
      assert.match(await page.textContent('#quantity-error'), /购买数量须为 1–\d+ 的整数/);
      assert.equal(await page.inputValue('#buy-form input[name=quantity]'), '0', 'what was typed is kept');
      await fits(page);
      const again = await page.goto(page.url());
      assert.equal(again.status(), 200, 'a GET of /products/{id}/buy is the product page, not 405');
      assert.equal(page.url(), productUrl);

      // --- buy, land on the order page, reload it ---
      const bought = await submit(page, '#buy-form');
      assert.equal(bought.status(), 303);
      await page.waitForURL(/\/orders\/\d+$/);
      const orderUrl = page.url();
      const reloaded = await page.reload();
      assert.equal(reloaded.status(), 200, 'the order page reloads');
      assert.equal(page.url(), orderUrl);
      assert.equal(await page.textContent('button[data-nav=logout]').then((t) => t.includes(name)), true, 'still signed in');
      await fits(page);
      await page.goto(productUrl);
      assert.match(await page.textContent('#product-sold'), new RegExp(`已售 ${soldBefore + 1}`));

      // --- 修改密码 ---
      await page.goto(base + '/account');
      await page.fill('#password-form input[name=current_password]', 'wrong-pass9');
      await page.fill('#password-form input[name=new_password]', newPw);
      await page.fill('#password-form input[name=new_password2]', newPw);
      const wrong = await submit(page, '#password-form');
      assert.equal(wrong.status(), 422);
      assert.match(await page.textContent('#current-password-error'), /当前密码不正确/);
      await fits(page);
      await page.fill('#password-form input[name=current_password]', oldPw);
      await page.fill('#password-form input[name=new_password]', newPw);
      await page.fill('#password-form input[name=new_password2]', newPw);
      const changed = await submit(page, '#password-form');
      assert.equal(changed.status(), 303);
      assert.match(await page.textContent('.flash'), /密码已修改/);
      assert.equal((await page.reload()).status(), 200, 'the account page reloads');
      await fits(page);
      await page.screenshot({ path: resultsPath('password-changed-mobile.png'), fullPage: true });

      await logout(page, base);
      await login(page, base, name, newPw);
    },
  },
];
