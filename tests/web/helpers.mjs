// Helpers of the browser tests: Debian's Chromium driven by playwright-core
// (from web/node_modules; never a downloaded browser), axe-core injected from
// web/node_modules, screenshots into one temporary folder, the checks every
// test makes of the verdict shown, and a record of every Content-Security-
// Policy violation on every page, worker and service worker (each test file
// ends with expectNoCspViolations()). Nothing here adds a <script> or <style>
// element to a page: the pages' policy would block it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './federation.mjs';

const require = createRequire(path.join(ROOT, 'web', 'package.json'));
export const { chromium } = require('playwright-core');
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const JSQR = require.resolve('jsqr');
export const jsQR = require(JSQR);

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOTS = process.env.SCREENSHOT_DIR || path.join(os.tmpdir(), 'api-web-screenshots');

const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--no-default-browser-check',
  '--disable-features=Translate,MediaRouter,OptimizationHints', '--password-store=basic', '--use-mock-keychain'];

/** Chromium, with a fake camera reading `video` (a .y4m file) when given. */
export async function launch({ video } = {}) {
  const args = [...BASE_ARGS];
  if (video) args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`);
  return chromium.launch({ executablePath: CHROMIUM, args, timeout: 60000 });
}

/** A phone-sized context (360 × 800), camera allowed for the verifier's origin when asked; CSP violations recorded. */
export async function phone(browser, { origin, camera = false, locale = 'fr-FR' } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 800 }, deviceScaleFactor: 1, isMobile: false,
    hasTouch: true, locale, serviceWorkers: 'allow' });
  if (camera) await ctx.grantPermissions(['camera'], { origin });
  await watchCsp(ctx);
  return ctx;
}

// Content-Security-Policy violations of every page, worker and service worker of the contexts made by
// phone(), from two sources: the document's securitypolicyviolation events (an init script keeps them in
// window.__cspViolations and reports each through a binding, so that none is lost when the page
// navigates), and Chromium's console messages about the policy. expectNoCspViolations() fails on any.
const CSP_TEXT = /Content[- ]Security[- ]Policy/i;
const cspViolations = []; // {page, where, what}
const watched = { contexts: 0, pages: 0, workers: 0 };
const watchedPages = new Set();

function recordCsp(page, where, what) {
  cspViolations.push({ page, where, what });
}

function cspListener() {
  // Runs in the page (and in workers: self); reports what the browser blocked.
  const g = typeof window === 'undefined' ? self : window;
  g.__cspViolations = g.__cspViolations || [];
  g.addEventListener('securitypolicyviolation', (e) => {
    const v = { directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
      at: `${e.sourceFile || ''}:${e.lineNumber || 0}`, sample: e.sample || '', url: g.location.href };
    g.__cspViolations.push(v);
    if (typeof g.__reportCspViolation === 'function') g.__reportCspViolation(v);
    else console.error(`Content Security Policy violation: ${JSON.stringify(v)}`);
  }, true);
}

async function watchCsp(ctx) {
  watched.contexts += 1;
  await ctx.exposeBinding('__reportCspViolation', (source, v) => recordCsp(source.page, v.url, JSON.stringify(v)));
  await ctx.addInitScript(cspListener);
  const onConsole = (page, where) => (msg) => {
    if (CSP_TEXT.test(msg.text())) recordCsp(page, where(), msg.text());
  };
  const watchWorker = (page, w) => {
    watched.workers += 1;
    w.on('console', onConsole(page, () => w.url()));
    w.evaluate(cspListener).catch(() => {});
  };
  ctx.on('page', (page) => {
    watched.pages += 1;
    watchedPages.add(page);
    page.on('console', onConsole(page, () => page.url()));
    page.on('worker', (w) => watchWorker(page, w));
  });
  ctx.on('serviceworker', (w) => watchWorker(null, w));
  for (const w of ctx.serviceWorkers()) watchWorker(null, w);
}

/**
 * Fails if the browser reported any Content-Security-Policy violation: on `page` only when given,
 * otherwise on every page, worker and service worker of every context made by phone() in this process.
 * Each test file ends with expectNoCspViolations() for everything it opened.
 */
export async function expectNoCspViolations(page) {
  // The open documents' own lists too, in case a report has not reached us yet.
  for (const p of page ? [page] : watchedPages) {
    if (p.isClosed()) continue;
    const here = await p.evaluate(() => window.__cspViolations || []).catch(() => []);
    for (const v of here) {
      const what = JSON.stringify(v);
      if (!cspViolations.some((x) => x.what === what)) recordCsp(p, v.url, what);
    }
  }
  await new Promise((r) => setTimeout(r, 50)); // console events still on their way
  // A worker's message may come both from the worker and through its page: each violation once.
  const seen = new Map();
  for (const v of cspViolations) if ((!page || v.page === page) && !seen.has(v.what)) seen.set(v.what, `${v.where}: ${v.what}`);
  const list = [...seen.values()];
  assert.deepEqual(list, [], `Content-Security-Policy violations:\n${list.join('\n')}`);
  if (!page) assert.ok(watched.pages > 0, 'no page was watched');
  return { ...watched };
}

/**
 * A mid-range phone for a page: CPU four times slower, a slow 4G network (150 ms,
 * 1.6 Mbit/s down, 750 kbit/s up), as Lighthouse's mobile profile. Returns the
 * CDP session (to lift the throttling: see unthrottle).
 */
export async function slowPhone(p) {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8,
    uploadThroughput: 750e3 / 8 });
  return cdp;
}

export async function unthrottle(cdp) {
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}

/** Opens a page, collecting its errors (a test fails on any uncaught page error). */
export async function open(ctx, url) {
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

/** Runs axe-core on the page as it is now; fails with the list of violations. */
export async function expectNoAxeViolations(page, state) {
  // Injected as code evaluated by the test, not as a <script> element, which the pages' policy would
  // block (and report).
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\n').join(' ')) }));
  });
  assert.deepEqual(res, [], `axe violations (${state}):\n${JSON.stringify(res, null, 1)}`);
}

/** Waits for the verdict band and returns {result, sentence, status text}. */
export async function verdict(page, timeout = 15000) {
  await page.waitForSelector('#verdict[data-result]', { timeout });
  return page.evaluate(() => {
    const s = document.querySelector('[role="status"]#verdict');
    return { result: s.dataset.result, text: s.textContent.trim(), sentence: s.querySelector('.verdict-sentence').textContent };
  });
}

/** Pastes a QR text in the checker's field and submits it with Enter. */
export async function paste(page, text, timeout) {
  await page.fill('#paste', text);
  await page.press('#paste', 'Enter');
  return verdict(page, timeout);
}

/** Back to scanning. */
export async function again(page) {
  await page.click('#again');
  await page.waitForSelector('#verdict:not([data-result])', { state: 'attached' });
}

export async function shot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** The expected verdict sentence of a report (from the report itself: same texts both ways). */
/** The whole page at 360 px wide (the sticky bottom bar laid out in place for the picture). */
export async function fullPage(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // Through the CSSOM (a <style> element added here would break the pages' policy).
  const set = (pos) => page.evaluate((p) => {
    for (const el of document.querySelectorAll('.again-bar')) el.style.setProperty('position', p, p ? 'important' : '');
  }, pos);
  await set('static');
  await page.screenshot({ path: file, fullPage: true });
  await set('');
  return file;
}

export function sentenceOf(report, lang = 'fr') {
  return report.explanation[lang].verdict;
}

export { assert };
