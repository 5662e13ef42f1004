// Grades and the platform's report (issue 7): a visitor with no account opens a
// shop's page on a phone and sees its grade, the figures behind it and three
// server-drawn SVG charts; then the formula page (评级规则) and the platform's
// service report (平台服务报告), both reached from the footer.

import assert from 'node:assert/strict';
import { assertNoSideScroll, resultsPath } from '../lib.mjs';

export const server = { demo: true };

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export const tests = [
  {
    name: '游客：店铺页显示评级、指标与 SVG 图表；评级规则页；平台服务报告页',
    context: PHONE,
    fn: async ({ page, base }) => {
      const res = await page.request.get(base + '/api/v1/products');
      assert.equal(res.status(), 200);
      const items = (await res.json()).items;
      assert.ok(items.length > 0, 'the demo has goods on sale');
      const shop = items[0].shop_id;

      await page.goto(`${base}/shops/${shop}`);
      const section = page.locator('#shop-grade');
      await section.waitFor();
      assert.ok((await page.textContent('#grade-letter')).trim().length > 0, 'a grade is shown');
      assert.match(await section.textContent(), /首次人工回复（p90）/);
      assert.match(await section.textContent(), /保证金 ¥/);
      const charts = page.locator('#shop-grade svg.chart');
      assert.equal(await charts.count(), 3, 'reply times, deadlines met, cases per week');
      for (const id of ['chart-reply', 'chart-deadlines', 'chart-cases']) {
        const svg = page.locator(`svg#${id}`);
        const box = await svg.boundingBox();
        assert.ok(box && box.width > 200 && box.width <= 390 && box.height > 50, `${id} drawn on screen: ${JSON.stringify(box)}`);
        assert.match(await svg.locator('title').first().textContent(), /[\u4e00-\u9fff]/, `${id} has a Chinese title`);
        assert.ok((await svg.locator('rect').count()) >= 7, `${id} has its bars`);
      }
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('shop-grade-mobile.png'), fullPage: true });

      const json = await (await page.request.get(`${base}/api/v1/public/shops/${shop}`)).json();
      assert.equal(json.id, shop);
      assert.ok(['A', 'B', 'C', 'D', 'new'].includes(json.grade), json.grade);

      await Promise.all([page.waitForURL(base + '/grades'), page.click('footer a[href="/grades"]')]);
      assert.equal(await page.textContent('main h1'), '评级规则');
      assert.equal((await page.textContent('#grade-example-result')).trim(), 'C');
      assert.match(await page.textContent('#grade-new-rule'), /新店/);
      await assertNoSideScroll(page, 390);

      await Promise.all([page.waitForURL(base + '/report'), page.click('footer a[href="/report"]')]);
      assert.equal(await page.textContent('main h1'), '平台服务报告');
      for (const id of ['#report-7d', '#report-30d']) {
        assert.equal(await page.locator(id).count(), 1, id);
      }
      assert.match(await page.textContent('#report-7d .report-bot'), /暂无机器人数据|%/);
      await assertNoSideScroll(page, 390);
      await page.screenshot({ path: resultsPath('report-mobile.png'), fullPage: true });
    },
  },
];
