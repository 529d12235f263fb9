// Offline: after one visit online, the service worker serves the checker and
// its bundle; verification runs on the phone with the signed data it holds.
// A revocation made while the phone is offline is not known to it; once back
// online the page refreshes its bundle and shows it.
import { test, before, after } from 'node:test';
import { startFederation } from './federation.mjs';
import { launch, phone, open, paste, again, shot, expectNoAxeViolations, expectNoCspViolations, assert } from './helpers.mjs';

let fed;
let browser;
let ctx;
let page;
const A = {};

before(async () => {
  fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
  A.valid = fed.issue('FR-75', { family_name: 'DIALLO' });
  A.revoked = fed.issue('FR-75', { family_name: 'REVOQUE' });
  A.later = fed.issue('FR-75', { family_name: 'PLUSTARD', given_names: 'Sam' });
  fed.revoke('FR-75', A.revoked.id);
  await fed.waitVerdict(A.revoked.text, 'revoked');
  browser = await launch();
  ctx = await phone(browser);
  page = await open(ctx, `${fed.verifierUrl}/check/`);
  await page.waitForFunction(() => window.apiCheck.engine.hasData(), null, { timeout: 15000 });
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 10000 });
});

after(async () => {
  if (browser) await browser.close();
  if (fed) await fed.stop();
});

test('offline, the page opens from the service worker and still verifies', async () => {
  await ctx.setOffline(true);
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction(() => window.apiCheck && window.apiCheck.engine.hasData(), null, { timeout: 10000 });
  assert.match(await page.textContent('#data-age'), /Hors connexion/);
  let v = await paste(page, A.valid.text);
  assert.equal(v.result, 'valid');
  assert.equal(await page.evaluate(() => window.apiCheck.perf.where), 'local');
  assert.ok((await page.textContent('#details')).includes('aucune information sur la personne n’a quitté l’appareil'));
  await expectNoAxeViolations(page, 'offline, valid');
  await shot(page, 'check-offline-valid');
  await again(page);
  v = await paste(page, A.revoked.text);
  assert.equal(v.result, 'revoked');
  await again(page);
  // /check (no slash) and the holder's page open offline too.
  const other = await ctx.newPage();
  await other.goto(`${fed.verifierUrl}/check`, { waitUntil: 'load' });
  assert.match(other.url(), /\/check\/$/);
  assert.equal(await other.textContent('h1'), 'Vérifier une attestation');
  await other.goto(`${fed.verifierUrl}/holder/`, { waitUntil: 'load' });
  assert.equal(await other.textContent('h1'), 'Mon attestation');
  await other.close();
});

test('a revocation synced while offline shows once the page refreshes its bundle', async () => {
  const before = await page.evaluate(() => window.apiCheck.engine.bundleTime);
  fed.revoke('FR-75', A.later.id);
  await fed.waitVerdict(A.later.text, 'revoked');
  let v = await paste(page, A.later.text);
  assert.equal(v.result, 'valid', 'offline, the phone does not know yet');
  await again(page);
  await ctx.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForFunction((t) => window.apiCheck.engine.bundleTime > t, before, { timeout: 15000 });
  await ctx.setOffline(true);
  v = await paste(page, A.later.text);
  assert.equal(v.result, 'revoked', 'after the refresh, the revocation shows (offline again)');
  assert.equal(await page.evaluate(() => window.apiCheck.perf.where), 'local');
  await again(page);
  await ctx.setOffline(false);
});

// Last: the pages' Content-Security-Policy (web/dist/csp.txt) held everywhere above.
test('no Content-Security-Policy violation on any page, worker or service worker opened above', async () => {
  await expectNoCspViolations();
});
