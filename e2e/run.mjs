#!/usr/bin/env node
// The browser test runner: one headless Chromium for the run, one fresh server
// (own port, own data dir) per test file, one browser context per test.
//
//   node e2e/run.mjs                 run every e2e/tests/*.test.mjs
//   node e2e/run.mjs main bad        only files whose name contains "main" or "bad"
//
// Environment: YOUYING_E2E_BIN (server binary, default target/debug/youying),
// YOUYING_E2E_DATABASE_URL (a postgres:// URL: each server gets a fresh database
// created on that PostgreSQL server with psql and dropped afterwards; any other URL
// is passed to --database-url as given; default: SQLite in a fresh temp data dir),
// YOUYING_E2E_CHROMIUM (default /usr/bin/chromium), YOUYING_E2E_LOG (server log
// filter), YOUYING_E2E_TEST_TIMEOUT_MS (per test, default 60000).
//
// A test file exports `server` (options for startServer, e.g. { demo: true }) and
// `tests`: [{ name, context?: BrowserContext options, fn: async (t) => {} }], where
// t = { page, context, base, server, browser, shot(name) }.
//
// Every page of every context a test opens is also checked by e2e/guard.mjs (no
// sideways scroll, radios/checkboxes beside their words, no console error, and
// post/redirect/get: a form post answered with a 2xx page fails; YOUYING_E2E_PRG=warn only lists them).

import { readdirSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { BIN, CHROMIUM, E2E_DIR, RESULTS_DIR, launchBrowser, resultsPath, startServer } from './lib.mjs';
import { PRG_MODE, pageGuard } from './guard.mjs';

const TEST_TIMEOUT_MS = Number(process.env.YOUYING_E2E_TEST_TIMEOUT_MS || 60_000);

const filters = process.argv.slice(2);
const testsDir = path.join(E2E_DIR, 'tests');
const files = readdirSync(testsDir)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

for (const [what, p] of [['server binary', BIN], ['chromium', CHROMIUM]]) {
  if (!existsSync(p)) {
    console.error(`e2e: ${what} not found at ${p} (run scripts/e2e.sh, which builds and installs it)`);
    process.exit(2);
  }
}
if (files.length === 0) {
  console.error('e2e: no test files matched');
  process.exit(2);
}

const slug = (s) =>
  s
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Screenshots of failures from an earlier run would only mislead.
if (existsSync(RESULTS_DIR)) {
  for (const f of readdirSync(RESULTS_DIR).filter((f) => f.startsWith('FAIL-'))) rmSync(path.join(RESULTS_DIR, f));
}

const started = performance.now();
let passed = 0;
let failed = 0;
const browser = await launchBrowser();
// Contexts a test opens itself (a second user, a desktop agent) are checked too.
let guard = null;
const newContext = browser.newContext.bind(browser);
browser.newContext = async (...args) => {
  const c = await newContext(...args);
  guard?.watch(c);
  return c;
};
const prgOffenders = new Map(); // message → first test that saw it
console.log(`e2e: ${browser.version()} · ${path.relative(process.cwd(), BIN) || BIN}`);

try {
  for (const file of files) {
    const name = file.replace(/\.test\.mjs$/, '');
    const mod = await import(pathToFileURL(path.join(testsDir, file)).href);
    let server;
    try {
      server = await startServer(mod.server || {});
    } catch (e) {
      failed += mod.tests.length;
      console.log(`FAIL  ${name} › (server start)\n      ${String(e.message).split('\n').join('\n      ')}`);
      continue;
    }
    console.log(`--    ${name}: server ${server.base} (${server.backend})`);
    try {
      for (const test of mod.tests) {
        const label = `${name} › ${test.name}`;
        const t0 = performance.now();
        guard = pageGuard();
        const context = await browser.newContext({ locale: 'zh-CN', ...(test.context || {}) });
        context.setDefaultTimeout(10_000);
        context.setDefaultNavigationTimeout(15_000);
        const page = await context.newPage();
        // Any 5xx the browser sees fails the test, whatever the test checked.
        const serverErrors = [];
        page.on('response', (r) => {
          if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
        });
        const t = {
          page,
          context,
          browser,
          base: server.base,
          server,
          shot: (file) => page.screenshot({ path: resultsPath(file), fullPage: true }),
        };
        const logStart = server.log().length;
        try {
          await withTimeout(Promise.resolve().then(() => test.fn(t)), TEST_TIMEOUT_MS, label);
          await withTimeout(guard.finish(), 15_000, `${label} (page check)`);
          if (serverErrors.length) throw new Error(`server errors seen:\n${serverErrors.join('\n')}`);
          // An ERROR line or a panic in the server's log fails the test too.
          const bad = server
            .log()
            .slice(logStart)
            .split('\n')
            .filter((l) => /\bERROR\b|panicked/.test(l));
          if (bad.length) throw new Error(`server logged errors:\n${bad.slice(0, 10).join('\n')}`);
          passed += 1;
          console.log(`PASS  ${label} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        } catch (e) {
          failed += 1;
          const shot = resultsPath(`FAIL-${name}--${slug(test.name)}.png`);
          let shotNote = `screenshot: ${path.relative(process.cwd(), shot)}`;
          try {
            await page.screenshot({ path: shot, fullPage: true, timeout: 5_000 });
          } catch (se) {
            shotNote = `(no screenshot: ${se.message.split('\n')[0]})`;
          }
          console.log(`FAIL  ${label} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
          console.log(`      at ${page.url()}`);
          console.log(`      ${String(e.stack || e).split('\n').slice(0, 12).join('\n      ')}`);
          console.log(`      ${shotNote}`);
          const log = server.log().trimEnd().split('\n').slice(-15).join('\n        ');
          console.log(`      server log (last lines):\n        ${log}`);
        } finally {
          for (const w of guard.prgWarnings()) {
            // One line per kind of page: /orders/2026…/reveal and /orders/2027…/reveal are one offender.
            const kind = w.replace(/\/\d+(?=[/?\s])/g, '/{n}').replace(/ \[[^\]]*\]/, '');
            if (!prgOffenders.has(kind)) prgOffenders.set(kind, label);
          }
          guard = null;
          await context.close().catch(() => {});
        }
      }
    } finally {
      await server.stop();
    }
  }
} finally {
  await browser.close().catch(() => {});
}

if (prgOffenders.size) {
  console.log(`e2e: post/redirect/get (${PRG_MODE === 'strict' ? 'failing' : 'warn only, YOUYING_E2E_PRG=strict fails'}):`);
  for (const [w, label] of prgOffenders) console.log(`WARN  ${w}\n        seen in ${label}`);
}
const secs = ((performance.now() - started) / 1000).toFixed(1);
console.log(`e2e: ${files.length} file(s) in ${secs} s`);
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
