// Layout: a phone-sized screen gets no sideways scrolling and a visible nav; a
// desktop screenshot shows the Chinese text (with a CJK font installed).

import assert from 'node:assert/strict';
import { logout, register, resultsPath, uid } from '../lib.mjs';

export const server = {};

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Fails if the page scrolls sideways or a nav entry sticks out of the screen. */
async function checkFits(page, width) {
  const m = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    nav: [...document.querySelectorAll('nav#nav [data-nav]')].map((e) => {
      const r = e.getBoundingClientRect();
      return { key: e.getAttribute('data-nav'), left: r.left, right: r.right, width: r.width };
    }),
  }));
  assert.ok(m.scrollWidth <= width, `no horizontal scroll: scrollWidth ${m.scrollWidth} > ${width}`);
  assert.ok(m.bodyScrollWidth <= width, `no horizontal scroll: body.scrollWidth ${m.bodyScrollWidth} > ${width}`);
  assert.ok(await page.isVisible('nav#nav'), 'nav is visible');
  for (const item of m.nav) {
    assert.ok(item.width > 0 && item.left >= 0 && item.right <= width, `nav item ${item.key} on screen: ${JSON.stringify(item)}`);
  }
  return m;
}

export const tests = [
  {
    name: '手机 390×844：首页无横向滚动，导航可见',
    context: PHONE,
    fn: async ({ page, base }) => {
      await page.goto(base + '/');
      const m = await checkFits(page, 390);
      assert.deepEqual(
        m.nav.map((n) => n.key),
        ['home', 'market', 'login', 'register', 'lookup'],
      );
      assert.ok(await page.isVisible('text=有求必应的卡盟平台'));
      await page.screenshot({ path: resultsPath('home-mobile.png'), fullPage: false });

      // Signed in with the longest allowed username, the nav still fits.
      const username = `e2e_${uid(14)}`; // 32 characters, the maximum
      assert.equal(username.length, 32);
      await register(page, base, username, 'abc12345xyz');
      await checkFits(page, 390);
      for (const p of ['/register', '/shops/new', '/account', '/search?q=点卡', '/orders', '/wallet', '/no-such-page']) {
        await page.goto(base + p);
        await checkFits(page, 390);
      }
      await page.goto(base + '/');
      await logout(page, base);
      for (const p of ['/login', '/register']) {
        await page.goto(base + p);
        await checkFits(page, 390);
      }
    },
  },
  {
    name: '桌面 1280×800：首页截图（中文字体）',
    context: { viewport: { width: 1280, height: 800 } },
    fn: async ({ page, base }) => {
      await page.goto(base + '/');
      await checkFits(page, 1280);
      // Ask Chromium which installed font actually drew the heading: a CJK one,
      // not a fallback that would show boxes.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('DOM.enable');
      await cdp.send('CSS.enable');
      const { root } = await cdp.send('DOM.getDocument');
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'section.hero h1' });
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      await cdp.detach();
      const cjk = fonts.filter((f) => /WenQuanYi|Noto Sans CJK|Noto Serif CJK|Droid Sans Fallback/i.test(f.familyName));
      assert.ok(cjk.length > 0 && cjk.reduce((n, f) => n + f.glyphCount, 0) >= 8, `CJK font used: ${JSON.stringify(fonts)}`);
      await page.screenshot({ path: resultsPath('home.png'), fullPage: true });
    },
  },
];
