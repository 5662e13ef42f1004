// Bad input gets a Chinese answer with the right status, and the form keeps what
// the user typed.

import assert from 'node:assert/strict';
import { fillLogin, fillRegister, logout, navRole, register, submit, uid } from '../lib.mjs';

export const server = {};

const PASSWORD = 'abc12345xyz';

export const tests = [
  {
    name: '弱密码：422，提示密码太弱，保留用户名',
    fn: async ({ page, base }) => {
      const username = `e2e_${uid()}`;
      await page.goto(base + '/register');
      await page.fill('#register-form input[name=username]', username);
      await page.fill('#register-form input[name=password]', 'abc');
      // The browser's own check (minlength=8) stops the form first…
      const tooShort = await page.$eval('#register-form input[name=password]', (i) => i.validity.tooShort);
      assert.equal(tooShort, true, 'the browser flags a 3-character password');
      // …so switch it off to see the server's answer, as an old browser or a script would get.
      await page.$eval('#register-form', (f) => {
        f.noValidate = true;
      });
      const resp = await submit(page, '#register-form');
      assert.equal(resp.status(), 422);
      assert.match(await page.textContent('.error-msg'), /密码太弱/);
      assert.equal(await page.inputValue('#register-form input[name=username]'), username);
      assert.equal(await navRole(page), 'anonymous', 'nobody is signed in');

      // A long password without a digit passes the browser and is still refused.
      await page.fill('#register-form input[name=password]', 'abcdefghijk');
      const resp2 = await submit(page, '#register-form');
      assert.equal(resp2.status(), 422);
      assert.match(await page.textContent('.error-msg'), /密码太弱/);
      assert.equal(await page.inputValue('#register-form input[name=username]'), username);
    },
  },
  {
    name: '重复用户名：提示该用户名已被注册，保留用户名',
    fn: async ({ page, base }) => {
      const username = `e2e_${uid()}`;
      await register(page, base, username, PASSWORD);
      await logout(page, base);
      await page.goto(base + '/register');
      // Names are unique without regard to case.
      const resp = await fillRegister(page, username.toUpperCase(), PASSWORD);
      assert.equal(resp.status(), 409);
      assert.match(await page.textContent('.error-msg'), /该用户名已被注册/);
      assert.equal(await page.inputValue('#register-form input[name=username]'), username.toUpperCase());
      assert.equal(await navRole(page), 'anonymous');
    },
  },
  {
    name: '未知地址：404 页面不存在',
    fn: async ({ page, base }) => {
      const resp = await page.goto(base + '/no-such-page');
      assert.equal(resp.status(), 404);
      assert.match(await page.textContent('main'), /页面不存在/);
      assert.equal(await page.getAttribute('section.error', 'data-status'), '404');
      // The error page keeps the site's nav and a way home.
      assert.equal(await page.isVisible('nav#nav a[data-nav=home]'), true);
      assert.equal(await page.getAttribute('main a.button', 'href'), '/');
    },
  },
  {
    name: '连续 6 次密码错误：第 6 次 429 尝试次数过多',
    fn: async ({ page, base }) => {
      const username = `e2e_${uid()}`;
      await register(page, base, username, PASSWORD);
      await logout(page, base);
      await page.goto(base + '/login');
      for (let i = 1; i <= 5; i++) {
        const resp = await fillLogin(page, username, `wrong${i}password`);
        assert.equal(resp.status(), 401, `wrong login #${i}`);
        assert.match(await page.textContent('.error-msg'), /用户名或密码错误/, `wrong login #${i}`);
        assert.equal(await page.inputValue('#login-form input[name=username]'), username);
      }
      const sixth = await fillLogin(page, username, 'wrong6password');
      assert.equal(sixth.status(), 429);
      assert.match(await page.textContent('.error-msg'), /尝试次数过多/);
      const retry = Number(sixth.headers()['retry-after']);
      assert.ok(retry > 0, `Retry-After is set (got ${sixth.headers()['retry-after']})`);
      assert.equal(await page.inputValue('#login-form input[name=username]'), username);
      // While locked, even the right password is turned away.
      const right = await fillLogin(page, username, PASSWORD);
      assert.equal(right.status(), 429);
      assert.equal(await navRole(page), 'anonymous');
    },
  },
];
