// bench_web.mjs: the checker's timings (/check) on a mid-range phone, printed
// beside their targets and beside references measured in the same run on the
// same throttled phone, so that a slow or busy machine shows in the references
// rather than in the figures alone. Run by tests/bench/run.sh (`make bench`):
//
//   node tests/bench/bench_web.mjs            3 first visits, 3 later visits, 9 verdicts
//   ROUNDS=5 VERDICTS=15 node tests/bench/bench_web.mjs
//
// It starts its own federation (tests/web/federation.mjs: the binaries of
// $BIN or bin/, the pages of web/dist) and drives Debian's Chromium ($CHROMIUM
// or /usr/bin/chromium) with CPU four times slower and a slow 4G network (150
// ms, 1.6 Mbit/s), as Lighthouse's mobile profile (slowPhone, tests/web/helpers.mjs).
//
// The figures, from the page's own marks (web/src/common/page.js: milliseconds
// since the navigation started):
//   first visit usable       nothing cached; the text field and the photo work
//   first visit data         the signed bundle fetched and verified on the phone
//   later visit usable/data  the same page again, from the service worker
//   verdict after read       from the code read to the verdict shown (pasted)
// and their references:
//   minimal page             the same throttled browser opening /check/manifest.json
//                            (a small static file of web/dist, as a document) from the
//                            same server: DOMContentLoaded; for later visits, through
//                            the service worker as the page is
//   fixed computation        a loop of half a million integer operations in the page
// Nothing here passes or fails on a duration; it exits non-zero only if it
// could not measure.
import os from 'node:os';
import { startFederation } from '../web/federation.mjs';
import { launch, phone, slowPhone } from '../web/helpers.mjs';

const ROUNDS = Number(process.env.ROUNDS || 3);
const VERDICTS = Number(process.env.VERDICTS || 9);
const LONG = 60000;
const MINIMAL = '/check/manifest.json';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x, digits = 0) => `${x.toFixed(digits)} ms`;
const list = (xs, digits = 0) => xs.map((x) => x.toFixed(digits)).join(', ');

/** DOMContentLoaded of the document now shown, in ms since its navigation started. */
async function loadedAt(page) {
  await page.waitForLoadState('domcontentloaded', { timeout: LONG });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return nav.domContentLoadedEventEnd;
  });
}

/** The checker's marks once it is usable and has its data. */
async function checkerMarks(page) {
  await page.waitForFunction(() => window.apiCheck && window.apiCheck.perf.marks.ready, null, { timeout: LONG });
  await page.waitForFunction(() => window.apiCheck.engine.hasData() && window.apiCheck.perf.marks.data, null,
    { timeout: LONG });
  return page.evaluate(() => ({ ...window.apiCheck.perf.marks }));
}

const fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
let browser;
try {
  const a = fed.issue('FR-75', { family_name: 'DIALLO', given_names: 'Aminata' });
  browser = await launch();
  const url = fed.verifierUrl;
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`the checker on a mid-range phone: Chromium, CPU ×4, 150 ms and 1.6 Mbit/s; ${url}; ` +
    `${os.cpus().length} CPUs, load average ${load}`);

  // First visits: nothing cached, a new context each time; the reference first, in its own new context.
  const cold = { ready: [], data: [], ref: [] };
  let warmCtx = null;
  for (let i = 0; i < ROUNDS; i++) {
    const refCtx = await phone(browser);
    const ref = await refCtx.newPage();
    await slowPhone(ref);
    await ref.goto(url + MINIMAL, { waitUntil: 'domcontentloaded', timeout: LONG });
    cold.ref.push(await loadedAt(ref));
    await refCtx.close();

    const ctx = await phone(browser);
    const page = await ctx.newPage();
    await slowPhone(page);
    await page.goto(`${url}/check/`, { waitUntil: 'domcontentloaded', timeout: LONG });
    const m = await checkerMarks(page);
    cold.ready.push(m.ready);
    cold.data.push(m.data);
    if (i === ROUNDS - 1) warmCtx = { ctx, page };
    else await ctx.close();
  }

  // Later visits: the last context, once the service worker controls it; the minimal page
  // then comes through the service worker too.
  const { ctx, page } = warmCtx;
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: LONG });
  const warm = { ready: [], data: [], ref: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const r = await page.goto(url + MINIMAL, { waitUntil: 'domcontentloaded', timeout: LONG });
    if (!r.fromServiceWorker()) throw new Error(`${MINIMAL} did not come from the service worker`);
    warm.ref.push(await loadedAt(page));
    const c = await page.goto(`${url}/check/`, { waitUntil: 'domcontentloaded', timeout: LONG });
    if (!c.fromServiceWorker()) throw new Error('/check/ did not come from the service worker');
    const m = await checkerMarks(page);
    warm.ready.push(m.ready);
    warm.data.push(m.data);
  }

  // Verdicts: a pasted code, checked on the phone; the reference computation alternates with them.
  const verdicts = [];
  const computes = [];
  for (let i = 0; i < VERDICTS; i++) {
    computes.push(await page.evaluate(() => {
      const t0 = performance.now();
      let x = 0;
      for (let j = 0; j < 5e5; j++) x = (x * 31 + j) | 0;
      const t1 = performance.now();
      window.benchSink = x;
      return t1 - t0;
    }));
    await page.fill('#paste', a.text);
    await page.press('#paste', 'Enter');
    await page.waitForSelector('#verdict[data-result]', { timeout: LONG });
    const p = await page.evaluate(() => ({ result: document.getElementById('verdict').dataset.result,
      where: window.apiCheck.perf.where, after: window.apiCheck.perf.readToVerdict }));
    if (p.result !== 'valid' || p.where !== 'local') throw new Error(`unexpected verdict ${p.result} (${p.where})`);
    verdicts.push(p.after);
    await page.click('#again');
    await page.waitForSelector('#verdict:not([data-result])', { state: 'attached', timeout: LONG });
  }
  await ctx.close();

  const refCold = `reference: minimal page ${ms(median(cold.ref))}`;
  const refWarm = `reference: minimal page through the service worker ${ms(median(warm.ref))}`;
  const n = `median of ${ROUNDS}`;
  console.log(`first visit usable: ${ms(median(cold.ready))} (target < 1000 ms; ${refCold}) ` +
    `[${n}: ${list(cold.ready)}; minimal page: ${list(cold.ref)}]`);
  console.log(`first visit data checked: ${ms(median(cold.data))} (no target; ${refCold}) [${n}: ${list(cold.data)}]`);
  console.log(`later visit usable: ${ms(median(warm.ready))} (target < 1000 ms; ${refWarm}) ` +
    `[${n}: ${list(warm.ready)}; minimal page: ${list(warm.ref)}]`);
  console.log(`later visit data checked: ${ms(median(warm.data))} (no target; ${refWarm}) [${n}: ${list(warm.data)}]`);
  console.log(`verdict after the code is read: ${ms(median(verdicts), 1)} (target < 100 ms; reference: fixed ` +
    `computation ${ms(median(computes), 1)}) [median of ${VERDICTS}: ${list(verdicts, 1)}; computation: ${list(computes, 1)}]`);
} finally {
  if (browser) await browser.close();
  await fed.stop();
}
