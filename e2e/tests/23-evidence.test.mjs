// The evidence file a consumer hands to 12315, and the web verifier (issue 16,
// defect 5), on a phone: xiaoming buys, exports 导出证据; the evidence.html in
// the zip reads as plain Chinese (no data braces, no internal codes) without
// scrolling sideways; a visitor with no account uploads the zip on 核验证据 and
// sees every check ✓ on a report page that reloads; a copy with one record
// altered is refused, naming that record.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { assertNoSideScroll, login, resultsPath, submit } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** One file out of a zip, read through its central directory. */
function unzip(buf, name) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = buf.readUInt32LE(eocd + 16);
  for (let n = buf.readUInt16LE(eocd + 10); n > 0; n--) {
    const [method, size, nameLen, extra, comment, local] = [
      buf.readUInt16LE(at + 10), buf.readUInt32LE(at + 20), buf.readUInt16LE(at + 28),
      buf.readUInt16LE(at + 30), buf.readUInt16LE(at + 32), buf.readUInt32LE(at + 42),
    ];
    if (buf.toString('utf8', at + 46, at + 46 + nameLen) === name) {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + size);
      return method === 8 ? zlib.inflateRawSync(data) : data;
    }
    at += 46 + nameLen + extra + comment;
  }
  throw new Error(`${name} not in the zip`);
}

async function upload(page, base, file) {
  await page.goto(base + '/verify');
  await page.setInputFiles('#verify-form input[name=bundle]', file);
  const resp = await submit(page, '#verify-form');
  assert.equal(resp.status(), 303, 'post/redirect/get');
  await page.waitForURL(/\/verify\/[0-9a-f]{64}$/);
}

export const tests = [
  {
    name: '买家导出证据：evidence.html 是通俗中文；游客在「核验证据」上传 → 逐项 ✓；改动一条记录 → ✗ 并指出是哪一条',
    context: PHONE,
    fn: async ({ page, base, server, browser }) => {
      await login(page, base, 'xiaoming', server.demo.xiaoming);
      await page.goto(base + '/wallet');
      await submit(page, '#faucet-form');
      await page.goto(base + '/');
      const card = page.locator('li.product-card', { has: page.locator('.shop-name', { hasText: '星辰点卡' }) }).first();
      await Promise.all([page.waitForURL(/\/products\/\d+$/), card.locator('a.title').click()]);
      assert.equal((await submit(page, '#buy-form')).status(), 303);
      await page.waitForURL(/\/orders\/\d+$/);
      const no = page.url().match(/\/orders\/(\d+)$/)[1];
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#evidence-link')]);
      const zipPath = resultsPath(`evidence-${no}.zip`);
      await download.saveAs(zipPath);
      const zip = fs.readFileSync(zipPath);

      // The printable file: words, no data, no codes, fits the phone.
      await page.setContent(unzip(zip, 'evidence.html').toString('utf8'));
      const text = await page.evaluate(() => document.body.innerText);
      assert.ok(!/[{}]/.test(text), `no braces in evidence.html:\n${text}`);
      assert.ok(!/\b[a-z_]+\.[a-z_]+\b/.test(text.replace(/evidence\.(json|zip)|[\w-]+\.zip/g, '')), `no codes:\n${text}`);
      assert.match(text, /买家付款 ¥\d+\.\d\d/);
      assert.match(text, /网页核验[\s\S]*离线核验/);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('evidence-html-mobile.png'), fullPage: true });

      // A visitor without an account verifies it.
      const guest = await browser.newContext({ locale: 'zh-CN', ...PHONE });
      try {
        const g = await guest.newPage();
        await upload(g, base, zipPath);
        assert.match(await g.textContent('#verdict'), /✓ 证据文件完好/);
        assert.equal(await g.locator('.verify-check .ok').count(), 4, 'four checks, each ✓');
        assert.match(await g.textContent('#verify-report'), new RegExp(`订单号 ${no}`));
        await assertNoSideScroll(g, 390);
        await g.screenshot({ path: resultsPath('verify-ok-mobile.png'), fullPage: true });
        await g.reload();
        assert.match(await g.textContent('#verdict'), /✓/, 'the report reloads');

        // One record altered: the report names it.
        const bundle = JSON.parse(unzip(zip, 'evidence.json').toString('utf8'));
        const created = bundle.events.find((e) => e.kind === 'order.created');
        created.payload = created.payload.replace('"quantity":1', '"quantity":5');
        const altered = { name: 'evidence.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bundle)) };
        await upload(g, base, altered);
        assert.match(await g.textContent('#verdict'), /✗/);
        const broken = await g.textContent('#broken-event');
        assert.match(broken, new RegExp(`第 ${created.seq} 条`));
        assert.match(broken, /买家付款 ¥\d+\.\d\d 购买「.+」× 5/);
        await assertNoSideScroll(g, 390);
        await g.screenshot({ path: resultsPath('verify-broken-mobile.png'), fullPage: true });

        // Not a bundle: the form again, the message beside the field.
        await g.goto(base + '/verify');
        await g.setInputFiles('#verify-form input[name=bundle]', { name: 'x.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\0\0 not really') });
        assert.equal((await submit(g, '#verify-form')).status(), 422);
        assert.match(await g.textContent('#verify-error'), /无法读取这个文件/);
      } finally {
        await guest.close();
      }
    },
  },
];
