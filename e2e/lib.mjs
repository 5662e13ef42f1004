// Shared helpers for the browser tests: start a server, launch Chromium, and
// the few page moves every test makes (register, sign in, sign out, read the nav).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(E2E_DIR, '..');
export const RESULTS_DIR = path.join(E2E_DIR, 'test-results');

/** The server binary: `YOUYING_E2E_BIN`, else the debug build in the repo's target dir. */
export const BIN = process.env.YOUYING_E2E_BIN || path.join(REPO, 'target', 'debug', 'youying');
export const CHROMIUM = process.env.YOUYING_E2E_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A short random suffix for usernames and shop names. */
export function uid(n = 4) {
  return randomBytes(n).toString('hex');
}

export function resultsPath(file) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return path.join(RESULTS_DIR, file);
}

// Servers still running, killed on any way out of the process.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(130));
}

/**
 * Starts `youying serve` on a free port with a fresh data dir and waits for its
 * "listening on" line. Returns { base, backend, demo, log(), stop() }; `demo` maps each
 * demo username to the password printed in the table (when `demo` is asked for).
 */
export async function startServer({ demo = false, timeoutMs = 90_000 } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'youying-e2e-'));
  const args = ['serve', '--bind', '127.0.0.1:0', '--data-dir', dataDir];
  const pg = freshPostgres();
  if (pg) {
    args.push('--database-url', pg.url);
  } else if (process.env.YOUYING_E2E_DATABASE_URL) {
    args.push('--database-url', process.env.YOUYING_E2E_DATABASE_URL);
  }
  if (demo) args.push('--demo');
  // The server reads YOUYING_* variables too: give it only what we pass.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('YOUYING_')));
  env.YOUYING_LOG = process.env.YOUYING_E2E_LOG || 'info,tower_http=warn';
  env.NO_COLOR = '1';
  const child = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const append = (chunk) => {
    output += chunk.toString('utf8');
    // Keep the log bounded; the start (demo table, listening line) matters most.
    if (output.length > 2_000_000) output = output.slice(0, 200_000) + '\n…\n' + output.slice(-200_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => live.delete(child));

  let backend = '?';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`server did not say "listening" within ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    const onData = () => {
      const m = output.match(/listening on (http:\/\/[0-9.]+:\d+) \((\w+)\)/);
      if (m) {
        cleanup();
        backend = m[2];
        resolve(m[1]);
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening; output:\n${output}`));
    };
    const onError = (e) => {
      cleanup();
      reject(new Error(`cannot start ${BIN}: ${e.message}`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.stderr.off('data', onData);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
    onData();
  }).catch(async (e) => {
    if (child.pid !== undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    live.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
    pg?.drop();
    throw e;
  });

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // the server shuts down gracefully on Ctrl-C
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
    pg?.drop();
  }

  let passwords = {};
  if (demo) {
    try {
      passwords = parseDemoPasswords(output);
    } catch (e) {
      await stop();
      throw e;
    }
  }

  return { base, backend, demo: passwords, log: () => output, stop, pid: child.pid };
}

/**
 * With YOUYING_E2E_DATABASE_URL=postgres://USER@HOST/DB, every server gets a
 * database of its own, created on that PostgreSQL server through psql and
 * dropped when the server stops, so each test file starts as empty as with
 * SQLite. Returns null for no URL or a non-PostgreSQL one (passed as given).
 */
function freshPostgres() {
  const admin = process.env.YOUYING_E2E_DATABASE_URL;
  if (!admin || !/^postgres(ql)?:\/\//.test(admin)) return null;
  const name = `youying_e2e_${uid(6)}`;
  const psql = (sql) => {
    const r = spawnSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`psql ${sql}: ${r.error?.message || r.stderr.trim()}`);
    }
  };
  psql(`CREATE DATABASE ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    url: u.toString(),
    drop() {
      if (dropped) return;
      dropped = true;
      try {
        psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch (e) {
        console.error(`e2e: could not drop ${name}: ${e.message}`);
      }
    },
  };
}

/**
 * Reads the demo table the server prints once:
 *   username     password         role
 *   admin        d9b9e89841d4Yy1  管理员 admin
 */
export function parseDemoPasswords(output) {
  const lines = output.split('\n');
  const head = lines.findIndex((l) => /^\s*username\s+password\s+role\s*$/.test(l));
  if (head < 0) {
    throw new Error(
      'no demo accounts table in the server output (is the database not empty? ' +
        'demo passwords are printed only on the run that creates them)',
    );
  }
  const out = {};
  for (const line of lines.slice(head + 1)) {
    const m = line.match(/^\s{2}(\S+)\s+(\S+)\s+\S/);
    if (!m) break;
    out[m[1]] = m[2];
  }
  return out;
}

export async function launchBrowser() {
  // Playwright gives every launch a fresh temporary --user-data-dir of its own
  // and removes it on close; each test then gets its own browser context.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

// ---- page moves --------------------------------------------------------

/** The nav's links as { key: text }, plus the logout button under `logout`. */
export async function navItems(page) {
  return page.$$eval('nav#nav [data-nav]', (els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-nav'), e.textContent.trim()])),
  );
}

export async function navRole(page) {
  return page.getAttribute('nav#nav', 'data-role');
}

/** Submits a form by clicking its submit button; resolves with the POST's response. */
export async function submit(page, formSelector) {
  const form = page.locator(formSelector);
  // The attribute, not `f.action`: a field named "action" would shadow it.
  const action = await form.evaluate((f) => new URL(f.getAttribute('action') || '', location.href).pathname);
  // The POST answers either a page (an error re-shown) or a 303 to the next
  // page; either way a new document commits in the main frame.
  const [resp] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action,
    ),
    page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
    // The first submit button is the form's own (others, like 支付宝付款, say what they are).
    form.locator('button[type=submit]').first().click(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return resp;
}

/** Fills and submits the registration (or invitation) form on the current page. */
export async function fillRegister(page, username, password) {
  await page.fill('#register-form input[name=username]', username);
  await page.fill('#register-form input[name=password]', password);
  return submit(page, '#register-form');
}

export async function fillLogin(page, username, password) {
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  return submit(page, '#login-form');
}

/** Registers through /register and checks the user lands signed in on /. */
export async function register(page, base, username, password) {
  await page.goto(base + '/register');
  await fillRegister(page, username, password);
  await page.waitForURL(base + '/');
  assert.match(await page.textContent('button[data-nav=logout]'), new RegExp(username));
}

/** Signs in through /login and checks the user lands signed in on /. */
export async function login(page, base, username, password) {
  await page.goto(base + '/login');
  await fillLogin(page, username, password);
  await page.waitForURL(base + '/');
  assert.match(await page.textContent('button[data-nav=logout]'), new RegExp(username));
}

/** Clicks 退出 and checks the nav is back to the anonymous one. */
export async function logout(page, base) {
  const resp = await submit(page, 'nav#nav form[action="/logout"]');
  assert.equal(resp.status(), 303, 'logout answers 303');
  await page.waitForURL(base + '/');
  assert.equal(await navRole(page), 'anonymous');
  assert.equal((await navItems(page)).login, '登录');
}

/** Fails if the current page scrolls sideways at `width` (a phone is 390). */
export async function assertNoSideScroll(page, width) {
  const m = await page.evaluate(() => ({
    doc: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    path: location.pathname,
  }));
  assert.ok(m.doc <= width && m.body <= width, `no horizontal scroll on ${m.path}: ${m.doc}/${m.body} > ${width}`);
}

/**
 * Runs in the page: the visible radio buttons and checkboxes whose words are
 * not right beside them, as "name=value: why". The words are the first text of
 * the input's <label> (wrapping it, or `for` its id); they must start at most
 * `maxGap` px after the box and, with `sameLine`, on the box's line. An input
 * with no label text at all is not judged here.
 */
export function checksAwayFromWords({ maxGap, sameLine }) {
  const textIn = (label, input) => {
    const walk = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (n.textContent.trim() && !input.contains(n)) return n;
    }
    return null;
  };
  return [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
    .filter((input) => input.offsetParent !== null && input.getBoundingClientRect().width > 0)
    .map((input) => {
      const label = input.closest('label') || (input.id && document.querySelector(`label[for="${CSS.escape(input.id)}"]`));
      const text = label && textIn(label, input);
      if (!text) return null;
      const range = document.createRange();
      range.selectNodeContents(text);
      const words = range.getClientRects()[0];
      if (!words) return null;
      const box = input.getBoundingClientRect();
      // Words after the box (the usual order) or, for a label before it, ending before it.
      const gap = words.left >= box.left ? words.left - box.right : box.left - words.right;
      const mid = (r) => r.top + r.height / 2;
      const dy = Math.abs(mid(words) - mid(box));
      const near = gap >= -1 && gap <= maxGap && (sameLine ? dy < box.height : dy <= maxGap);
      return near ? null : `${input.name || input.id || '?'}=${input.value}: ${Math.round(gap)} px across, ${Math.round(dy)} px down`;
    })
    .filter(Boolean);
}

/**
 * Fails if a radio button or checkbox on the page sits away from its own words
 * (a full-width input once put them ~300 px apart): the words must start within
 * 16 px of the box, on the same line.
 */
export async function assertChecksBesideLabels(page) {
  const far = await page.evaluate(checksAwayFromWords, { maxGap: 16, sameLine: true });
  if (far.length) throw new Error(`boxes away from their words: ${far.join('; ')}`);
}
