// Conversations that always get a human answer (issue 4), with the reply rule
// set to a few seconds through the admin rules API. The server runs the real
// clock and the deadline loop, so the takeover happens by itself; every wait is
// a condition with a timeout, never a fixed sleep.
//
// 1. xiaoming asks 星辰点卡 from a product page; nobody answers; his page shows
//    平台客服已介入 live. kefu (second browser) sees it arrive in the platform
//    queue, claims it, types (xiaoming sees 对方正在输入…) and answers with a
//    canned reply; xiaoming sees the answer — all without reloading.
// 2. The merchant agent's console: a new conversation appears live with its
//    countdown, is highlighted (and beeps) in the last seconds, shows 平台已接管
//    after the deadline. The buyer sends a picture (未读, counted unread in the
//    console); the agent opens the conversation, sees it, and the buyer's page
//    turns to 已读 live; a second picture arrives in the open console live. The
//    shop still answers and the buyer sees it live.

import assert from 'node:assert/strict';
import { assertNoSideScroll, login, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A 40×30 orange PNG, as a phone's file picker would hand it over. */
const SCREENSHOT = {
  name: 'screenshot.png',
  mimeType: 'image/png',
  buffer: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAACgAAAAeCAIAAADRv8uKAAAAK0lEQVR42u3NMQ0AAAgDsMlBLGKRgAw4mvRvputExGKxWCwWi8VisVj8N14LMbEqQVWY5QAAAABJRU5ErkJggg==',
    'base64',
  ),
};
const LIVE = 15_000; // generous for a deadline of 4 s on a busy machine

/** Sets rules through `PUT /api/v1/admin/rules` as the demo admin (bearer token). */
async function setRules(base, password, rules) {
  const login = await fetch(base + '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  assert.equal(login.status, 200, 'admin signs in');
  const { token } = await login.json();
  const put = await fetch(base + '/api/v1/admin/rules', {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(rules),
  });
  assert.equal(put.status, 200, 'rules saved');
  const after = await put.json();
  for (const [k, v] of Object.entries(rules)) assert.equal(after[k], v, k);
}

/** A second signed-in browser (its own cookies), failing on any 5xx it sees. */
async function secondBrowser(browser, base, username, password, options = {}) {
  const context = await browser.newContext({ locale: 'zh-CN', ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors = [];
  page.on('response', (r) => {
    if (r.status() >= 500) errors.push(`${r.status()} ${r.url()}`);
  });
  await login(page, base, username, password);
  return { context, page, errors };
}

/** The buyer opens 联系商家 on a 星辰点卡 product and lands on the conversation. */
async function openChatFromProduct(page, base) {
  await page.goto(base + '/');
  const card = page.locator('li.product-card', { has: page.locator('.shop-name', { hasText: '星辰点卡' }) }).first();
  await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
  const opened = await submit(page, '#contact-form');
  assert.equal(opened.status(), 303);
  await page.waitForURL(/\/chat\/\d+$/);
  const conv = Number(page.url().match(/\/chat\/(\d+)$/)[1]);
  await page.waitForSelector('#chat[data-live="1"]'); // the websocket is up
  return conv;
}

/** Sends a picture from the conversation page (chosen: sent at once) and waits for it in the thread. */
async function sendPicture(page) {
  const before = await page.locator('#messages li.mine .image-msg img').count();
  await page.setInputFiles('#chat-image', SCREENSHOT);
  await page.locator('#messages li.mine .image-msg img').nth(before).waitFor();
  return page.locator('#messages li.mine').last();
}

/** Whether an <img> has loaded and decoded (not a broken-image box). */
const decoded = (img) => img.evaluate((i) => i.complete && i.naturalWidth === 40 && i.naturalHeight === 30);

async function write(page, text) {
  await page.fill('#chat-text', text);
  await page.click('#chat-form button[type=submit]');
  await page.locator('#messages li.mine .bubble', { hasText: text }).waitFor();
  assert.equal(await page.inputValue('#chat-text'), '', 'sent through the API, the box is cleared');
}

export const tests = [
  {
    name: '买家无人回复 → 实时显示平台客服已介入；平台客服在队列中认领并回复，买家无需刷新即看到',
    context: PHONE,
    fn: async ({ page, base, server, browser }) => {
      const pw = server.demo;
      await setRules(base, pw.admin, { chat_reply_secs: 4, warn_before_secs: 2 });

      // The platform agent goes on duty and watches the queue (desktop browser).
      const kefu = await secondBrowser(browser, base, 'kefu', pw.kefu, { viewport: { width: 1280, height: 800 } });
      try {
        const k = kefu.page;
        await Promise.all([k.waitForURL(base + '/platform'), k.click('nav#nav a[data-nav=platform]')]);
        await Promise.all([k.waitForURL(base + '/platform/chat'), k.click('#platform-chat-link')]);
        if ((await k.textContent('#duty-state')).trim() === '离岗') {
          const on = await submit(k, '#duty-form');
          assert.equal(on.status(), 303);
        }
        assert.equal((await k.textContent('#duty-state')).trim(), '在岗');
        await k.waitForSelector('#queue[data-live="1"]', { state: 'attached' });

        // The buyer asks from a product page; nobody answers.
        await login(page, base, 'xiaoming', pw.xiaoming);
        const conv = await openChatFromProduct(page, base);
        assert.match(await page.textContent('#messages .card-msg'), /商品.*¥/, 'the product is attached');
        assert.match(await page.textContent('#idle'), /商家须在 4 秒 内人工回复；超时平台客服自动介入/);
        await page.evaluate(() => {
          window.__sameDocument = true;
        });
        await write(page, '你好，Q币卡密显示已被使用，怎么办？<b>急</b>');
        await page.waitForSelector('#awaiting:not([hidden])');
        assert.match(await page.textContent('#awaiting'), /商家须在 00:0\d 内回复/);
        assert.match(await page.locator('#messages li.mine .bubble').last().textContent(), /<b>急<\/b>/, 'shown as text');

        // At the deadline the platform steps in, live.
        await page.waitForSelector('#takeover:not([hidden])', { timeout: LIVE });
        assert.match(await page.textContent('#takeover'), /平台客服已介入/);
        await page.locator('#messages li.msg-system', { hasText: '平台客服已介入' }).waitFor();
        assert.match(await page.textContent('#awaiting'), /平台客服须在/);
        await assertNoSideScroll(page, 390);

        // The conversation arrived in kefu's queue without a reload; kefu claims it.
        const row = k.locator(`li.queue-row[data-conversation-id="${conv}"]`);
        await row.waitFor({ timeout: LIVE });
        assert.match(await row.textContent(), /xiaoming/);
        await k.screenshot({ path: resultsPath('platform-queue.png'), fullPage: true });
        const claimed = await submit(k, `li.queue-row[data-conversation-id="${conv}"] form.claim-form`);
        assert.equal(claimed.status(), 303);
        await k.waitForURL(base + `/platform/chat/${conv}`);
        assert.match(await k.textContent('#assignee'), /处理人：kefu/);
        assert.match(await k.textContent('#messages'), /卡密显示已被使用/);
        await k.waitForSelector('#chat[data-live="1"]');

        // kefu picks a canned reply and types: xiaoming sees 对方正在输入… then the answer.
        await k.locator('#canned .chip').first().click();
        assert.match(await k.inputValue('#chat-text'), /平台客服/);
        await k.locator('#chat-text').press('End');
        await k.locator('#chat-text').pressSequentially('请稍候。');
        await page.waitForSelector('#typing:not([hidden])');
        const answer = await k.inputValue('#chat-text');
        await k.click('#chat-form button[type=submit]');
        await page.locator('#messages li.msg-platform .bubble', { hasText: answer }).waitFor({ timeout: LIVE });
        await page.waitForSelector('#idle:not([hidden])');
        const idle = (await page.innerText('#idle p')).trim();
        assert.match(idle, /平台客服须在 4 秒 内人工回复。$/, 'no more escalation');
        assert.doesNotMatch(idle, /自动介入/);
        assert.ok(await page.locator('#takeover').isVisible(), 'the banner stays');
        assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload on the buyer side');
        assert.equal(new URL(page.url()).pathname, `/chat/${conv}`);
        await assertNoSideScroll(page, 390);
        await page.screenshot({ path: resultsPath('chat-mobile.png'), fullPage: true });
        await k.screenshot({ path: resultsPath('platform-chat.png'), fullPage: true });
        assert.deepEqual(kefu.errors, [], 'no server errors in the second browser');

        // 消息 lists the conversation with its state.
        await Promise.all([page.waitForURL(base + '/chat'), page.click('nav#nav a[data-nav=chat]')]);
        assert.match(await page.textContent(`li.conv-row[data-conversation-id="${conv}"]`), /星辰点卡[\s\S]*平台客服已介入/);
        await assertNoSideScroll(page, 390);
        await page.screenshot({ path: resultsPath('chat-list-mobile.png'), fullPage: true });
      } finally {
        await kefu.context.close();
      }
    },
  },
  {
    name: '商家客服台：新会话实时出现并倒计时，最后几秒高亮并提示音，超时显示平台已接管，商家仍可回复',
    context: PHONE,
    fn: async ({ page, base, server, browser }) => {
      const pw = server.demo;
      await setRules(base, pw.admin, { chat_reply_secs: 6, warn_before_secs: 4 });
      // Count beeps: the console plays them through a WebAudio oscillator.
      await page.addInitScript(() => {
        window.__beeps = 0;
        const Ctx = window.AudioContext;
        const create = Ctx.prototype.createOscillator;
        Ctx.prototype.createOscillator = function () {
          window.__beeps += 1;
          return create.call(this);
        };
      });
      await login(page, base, 'xingchen_kf', pw.xingchen_kf);
      await Promise.all([page.waitForURL(base + '/merchant/chat'), page.click('nav#nav a[data-nav=merchant-chat]')]);
      await page.waitForSelector('#queue[data-live="1"]', { state: 'attached' });
      await page.click('main h1'); // a gesture: sound may play from now on
      await assertNoSideScroll(page, 390);

      const buyer = await secondBrowser(browser, base, 'xiaohong', pw.xiaohong, PHONE);
      try {
        const b = buyer.page;
        const conv = await openChatFromProduct(b, base);
        await write(b, '请问这个点卡支持哪个区？');

        const row = page.locator(`li.queue-row[data-conversation-id="${conv}"]`);
        await row.waitFor({ timeout: LIVE });
        assert.match(await row.textContent(), /xiaohong/);
        assert.match(await row.locator('.countdown').textContent(), /^00:0\d$/);
        await page.waitForSelector(`li.queue-row.due-soon[data-conversation-id="${conv}"]`, { timeout: LIVE });
        await page.screenshot({ path: resultsPath('merchant-chat-mobile.png'), fullPage: true });
        await page.waitForFunction(() => window.__beeps > 0, null, { timeout: 5_000 });

        // The deadline passes: 平台已接管, the row no longer counts down for the shop.
        await row.locator('.takeover-badge:not([hidden])').waitFor({ timeout: LIVE });
        assert.equal(await row.locator('.due').isVisible(), false);
        await b.waitForSelector('#takeover:not([hidden])', { timeout: LIVE });

        // The buyer sends a picture: 未读 on their side, counted unread in the console.
        const mine = await sendPicture(b);
        assert.equal(await mine.locator('.receipt').textContent(), '未读');
        assert.ok(await decoded(mine.locator('img')), 'the thumbnail shows the picture');
        const box = await mine.locator('img').boundingBox();
        assert.ok(box.width <= 240 && box.width > 0, `a thumbnail, not the full size: ${box.width}`);
        await row.locator('.unread-badge:not([hidden])').waitFor({ timeout: LIVE });
        assert.ok(Number(await row.locator('.unread').textContent()) >= 2, 'the text and the picture, unread');

        // The agent opens it: the picture is there, and the buyer's page says 已读 without a reload.
        await Promise.all([page.waitForURL(base + `/merchant/chat/${conv}`), row.locator('a.title').click()]);
        assert.match(await page.textContent('#takeover'), /平台已接管/);
        const theirs = page.locator('#messages li.msg-buyer .image-msg img');
        await theirs.first().waitFor();
        assert.ok(await decoded(theirs.first()), 'the merchant sees the picture');
        await mine.locator('.receipt.read', { hasText: '已读' }).waitFor({ timeout: LIVE });

        // With the conversation open, the next picture arrives live and is read at once.
        await page.waitForSelector('#chat[data-live="1"]');
        const second = await sendPicture(b);
        await theirs.nth(1).waitFor({ timeout: LIVE });
        await second.locator('.receipt.read', { hasText: '已读' }).waitFor({ timeout: LIVE });
        await page.screenshot({ path: resultsPath('merchant-picture-mobile.png'), fullPage: true });
        await b.screenshot({ path: resultsPath('buyer-picture-read-mobile.png'), fullPage: true });

        // The shop still answers after the takeover; the buyer sees it live.
        assert.ok(await page.locator('#product-context').isVisible(), 'the product the buyer asked about');
        await page.waitForSelector('#chat[data-live="1"]');
        await write(page, '支持全区全服，已为您确认。');
        await b.locator('#messages li.msg-shop .bubble', { hasText: '支持全区全服' }).waitFor({ timeout: LIVE });
        await assertNoSideScroll(page, 390);
        await page.screenshot({ path: resultsPath('merchant-conversation-mobile.png'), fullPage: true });
        assert.deepEqual(buyer.errors, []);
      } finally {
        await buyer.context.close();
        await setRules(base, pw.admin, { chat_reply_secs: 120, warn_before_secs: 30 });
      }
    },
  },
];
