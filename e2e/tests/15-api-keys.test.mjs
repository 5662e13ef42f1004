// API keys (issue 14, part 2): on a phone a buyer opens 开放接口 from 我的账号,
// creates a key and sees its secret once; a reload does not show it again;
// the key is revoked after a confirmation. The docs page renders the error codes.

import assert from 'node:assert/strict';
import { assertNoSideScroll, register, resultsPath, submit, uid } from '../lib.mjs';

export const server = {};

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export const tests = [
  {
    name: '买家：创建 API 密钥，密钥只显示一次，刷新后不再显示；确认后停用',
    context: PHONE,
    fn: async ({ page, base }) => {
      await register(page, base, `e2e_${uid()}`, 'abc12345xyz');
      await page.goto(base + '/account');
      await Promise.all([page.waitForURL(base + '/account/api-keys'), page.click('#api-keys-link')]);
      assert.match(await page.textContent('main h1'), /开放接口/);

      // A name that is too long for the server is refused beside the field, and kept.
      await page.$eval('#new-key-form input[name=name]', (i) => i.removeAttribute('maxlength'));
      const long = '很'.repeat(41);
      await page.fill('#new-key-form input[name=name]', long);
      const refused = await submit(page, '#new-key-form');
      assert.equal(refused.status(), 422);
      assert.match(await page.textContent('#name-error'), /1–40/);
      assert.equal(await page.inputValue('#new-key-form input[name=name]'), long);

      await page.fill('#new-key-form input[name=name]', '下游小站');
      const created = await submit(page, '#new-key-form');
      assert.equal(created.status(), 303);
      await page.waitForURL(base + '/account/api-keys');
      const keyId = (await page.textContent('#new-key-id')).trim();
      const secret = (await page.textContent('#new-key-secret')).trim();
      assert.match(keyId, /^yk_[0-9a-f]{24}$/);
      assert.ok(secret.length >= 40, secret);
      assert.match(await page.textContent('#new-key'), /只显示这一次/);
      assert.equal(await page.locator(`#key-list li[data-key-id=${keyId}]`).count(), 1);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('api-key-created-mobile.png'), fullPage: true });

      await page.reload();
      assert.equal(await page.locator('#new-key').count(), 0, 'the secret is gone after a reload');
      assert.doesNotMatch(await page.content(), new RegExp(secret));
      assert.equal(await page.locator(`#key-list li[data-key-id=${keyId}]`).count(), 1);

      await Promise.all([
        page.waitForURL(/\/account\/api-keys\/\d+\/revoke$/),
        page.click(`#key-list li[data-key-id=${keyId}] a.revoke`),
      ]);
      assert.match(await page.textContent('#confirm-revoke'), /确认停用/);
      await assertNoSideScroll(page, 390);
      const revoked = await submit(page, '#confirm-revoke form');
      assert.equal(revoked.status(), 303);
      await page.waitForURL(base + '/account/api-keys');
      assert.match(await page.textContent(`#key-list li[data-key-id=${keyId}]`), /已停用/);
      assert.equal(await page.locator(`#key-list li[data-key-id=${keyId}] a.revoke`).count(), 0);
    },
  },
  {
    name: '开放接口文档：签名步骤、示例与错误码表',
    context: PHONE,
    fn: async ({ page, base }) => {
      await page.goto(base + '/docs/open-api');
      assert.match(await page.textContent('main h1'), /开放接口/);
      assert.match(await page.textContent('#signing'), /openssl dgst -sha256 -hmac/);
      assert.match(await page.textContent('#error-codes'), /price_changed/);
      await assertNoSideScroll(page, 390);
    },
  },
];
