// 对接 in the browser (issue 14): two demo sites on one machine. On site B,
// xiaohong (a 代理) creates an API key; on site A, laowang connects B from
// 货源对接 and maps one of B's card keys at +10 %; on A, xiaoming buys it on a
// phone and opens the key that B delivered.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, logout, resultsPath, startServer, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

const yuan = (text) => Math.round(Number(text.replace(/[^0-9.]/g, '')) * 100);

export const tests = [
  {
    name: '商家接入另一站点的货源，加价 10% 上架；买家在手机上购买并拿到上游卡密',
    context: PHONE,
    fn: async ({ page, base, server: a }) => {
      const b = await startServer({ demo: true });
      try {
        // --- B: the reseller's key ---
        await login(page, b.base, 'xiaohong', b.demo.xiaohong);
        await page.goto(b.base + '/account/api-keys');
        await page.fill('#new-key-form input[name=name]', 'A站对接');
        assert.equal((await submit(page, '#new-key-form')).status(), 303);
        await page.waitForURL(b.base + '/account/api-keys');
        const keyId = (await page.textContent('#new-key-id')).trim();
        const secret = (await page.textContent('#new-key-secret')).trim();
        await logout(page, b.base);

        // --- A: laowang connects B from the merchant console ---
        await login(page, base, 'laowang', a.demo.laowang);
        await page.goto(base + '/merchant');
        await Promise.all([page.waitForURL(/\/merchant\/shops\/\d+\/upstreams$/), page.click('a[data-link=upstreams]')]);
        const upstreams = page.url();
        // A wrong secret is refused beside the field, and the address is kept.
        await page.fill('#upstream-form input[name=base_url]', b.base);
        await page.fill('#upstream-form input[name=key_id]', keyId);
        await page.fill('#upstream-form input[name=secret]', 'not-the-secret');
        assert.equal((await submit(page, '#upstream-form')).status(), 422);
        assert.ok((await page.textContent('main')).includes('签名') || (await page.locator('.error-msg').count()) > 0);
        assert.equal(await page.inputValue('#upstream-form input[name=base_url]'), b.base);
        await page.fill('#upstream-form input[name=key_id]', keyId);
        await page.fill('#upstream-form input[name=secret]', secret);
        assert.equal((await submit(page, '#upstream-form')).status(), 303);
        // Connected: straight to the connection's page, with B's catalogue.
        await page.waitForURL(/\/upstreams\/\d+\?added=1$/);
        await page.goto(upstreams);
        assert.equal(await page.locator('#upstreams li[data-upstream]').count(), 1);
        assert.match(await page.textContent('#upstreams [data-health]'), /正常/);
        await assertNoSideScroll(page, 390);
        await Promise.all([page.waitForURL(/\/upstreams\/\d+$/), page.click('#upstreams li[data-upstream] a')]);

        // --- the catalogue at xiaohong's 代理 price; map a card key at +10 % ---
        const item = page.locator('#catalogue li[data-item]', { hasText: '卡密' }).filter({ has: page.locator('form.map-form') }).first();
        const cost = yuan(await item.locator('.price').first().textContent());
        assert.ok(cost > 0, 'a cost is shown');
        await item.locator('select[name=rule]').selectOption('percent');
        await item.locator('input[name=value]').fill('10');
        const [mapped] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/mappings')),
          item.locator('button[type=submit]').click(),
        ]);
        assert.equal(mapped.status(), 303);
        await page.waitForURL(/\/upstreams\/\d+(\?.*)?$/);
        const row = page.locator('#mappings li[data-mapping]').first();
        const price = yuan(await row.locator('[data-price]').textContent());
        assert.equal(price, Math.ceil((cost * 11) / 10), `+10 % of ${cost}`);
        const href = await row.locator('a').first().getAttribute('href');
        const productId = href.match(/\/products\/(\d+)/)[1];
        await assertNoSideScroll(page, 390);
        await page.screenshot({ path: resultsPath('upstream-mapped-mobile.png'), fullPage: true });
        await logout(page, base);

        // --- A: a buyer buys it and opens the key B delivered ---
        await login(page, base, 'xiaoming', a.demo.xiaoming);
        await page.goto(`${base}/products/${productId}`);
        assert.equal(await page.locator('text=货源对接').count(), 0, 'buyers are not told where the goods come from');
        assert.equal((await submit(page, '#buy-form')).status(), 303);
        await page.waitForURL(/\/orders\/\d+$/);
        assert.equal((await page.textContent('#order-state')).trim(), '已发货·担保中');
        await submit(page, '#reveal-form');
        assert.ok((await page.textContent('#units')).trim().length > 4, 'the key from B');
        await assertNoSideScroll(page, 390);
        await page.screenshot({ path: resultsPath('upstream-bought-mobile.png'), fullPage: true });
      } finally {
        await b.stop();
      }
    },
  },
];
