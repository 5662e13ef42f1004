// Layout: a phone-sized screen gets no sideways scrolling and a one-line nav (it
// scrolls inside itself, each role's entries all reachable, one 售后); a desktop
// screenshot shows the Chinese text (with a CJK font installed).

import assert from 'node:assert/strict';
import { logout, register, resultsPath, submit, uid } from '../lib.mjs';

export const server = {};

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/**
 * Fails if the page scrolls sideways or the nav is not one line with every entry
 * reachable: where it does not fit, it scrolls inside itself, and each entry scrolled
 * into view lands on the screen.
 */
async function checkFits(page, width) {
  const m = await page.evaluate(() => {
    const nav = document.querySelector('nav#nav');
    const items = [...nav.querySelectorAll('[data-nav]')];
    const out = {
      scrollWidth: document.documentElement.scrollWidth,
      bodyScrollWidth: document.body.scrollWidth,
      header: Math.round(document.querySelector('header.top').getBoundingClientRect().height),
      // One line: every entry's middle within a few px of the nav's middle.
      lines: items.some((e) => {
        const mid = (r) => r.top + r.height / 2;
        return Math.abs(mid(e.getBoundingClientRect()) - mid(nav.getBoundingClientRect())) > 6;
      })
        ? 2
        : 1,
      nav: items.map((e) => {
        e.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        const r = e.getBoundingClientRect();
        return { key: e.getAttribute('data-nav'), text: e.textContent.trim(), left: r.left, right: r.right, width: r.width };
      }),
    };
    nav.scrollLeft = 0;
    window.scrollTo(0, 0);
    return out;
  });
  assert.ok(m.scrollWidth <= width, `no horizontal scroll: scrollWidth ${m.scrollWidth} > ${width}`);
  assert.ok(m.bodyScrollWidth <= width, `no horizontal scroll: body.scrollWidth ${m.bodyScrollWidth} > ${width}`);
  assert.ok(await page.isVisible('nav#nav'), 'nav is visible');
  assert.equal(m.lines, 1, `the nav is one line: ${JSON.stringify(m.nav)}`);
  assert.ok(m.header <= 64, `the header is one line, not a tall sticky block: ${m.header} px`);
  for (const item of m.nav) {
    assert.ok(item.width > 0 && item.left >= 0 && item.right <= width, `nav item ${item.key} reachable on screen: ${JSON.stringify(item)}`);
  }
  assert.ok(m.nav.filter((n) => n.text === '售后').length <= 1, `one 售后 entry: ${m.nav.map((n) => n.text)}`);
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
      // A shop owner: the longest nav, still one line, one 售后 (its shop's cases).
      await page.goto(base + '/shops/new');
      await page.fill('#open-shop-form input[name=name]', `布局测试店${uid(3)}`);
      await submit(page, '#open-shop-form');
      await page.waitForURL(base + '/merchant');
      for (const p of ['/merchant', '/merchant/cases', '/cases', '/merchant/chat']) {
        await page.goto(base + p);
        const m = await checkFits(page, 390);
        assert.equal(m.nav.find((n) => n.text === '售后')?.key, 'merchant-cases', p);
      }
      await page.goto(base + '/merchant/cases');
      await Promise.all([page.waitForURL(base + '/cases'), page.click('#cases-switch a')]);
      await page.screenshot({ path: resultsPath('nav-merchant-mobile.png'), fullPage: false });
      await page.goto(base + '/');
      await logout(page, base);
      // Pages with tables: each cell keeps room for its words (the global check), no sideways scroll.
      for (const p of ['/grades', '/report']) {
        await page.goto(base + p);
        await checkFits(page, 390);
      }
      await page.goto(base + '/grades');
      await page.screenshot({ path: resultsPath('grades-mobile.png'), fullPage: true });
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
