// Helpers of the browser tests: Debian's Chromium driven by playwright-core
// (from web/node_modules; never a downloaded browser), axe-core injected from
// web/node_modules, screenshots into one temporary folder, and the checks
// every test makes of the verdict shown.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './federation.mjs';

const require = createRequire(path.join(ROOT, 'web', 'package.json'));
export const { chromium } = require('playwright-core');
const AXE = require.resolve('axe-core/axe.min.js');
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

/** A phone-sized context (360 × 800), camera allowed for the verifier's origin when asked. */
export async function phone(browser, { origin, camera = false, locale = 'fr-FR' } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 800 }, deviceScaleFactor: 1, isMobile: false,
    hasTouch: true, locale, serviceWorkers: 'allow' });
  if (camera) await ctx.grantPermissions(['camera'], { origin });
  return ctx;
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
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
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
  const style = await page.addStyleTag({ content: '.again-bar { position: static !important; }' });
  await page.screenshot({ path: file, fullPage: true });
  await style.evaluate((el) => el.remove());
  return file;
}

export function sentenceOf(report, lang = 'fr') {
  return report.explanation[lang].verdict;
}

export { assert };
