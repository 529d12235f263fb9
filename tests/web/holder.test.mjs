// The holder's card (/holder): opened from a link /holder#<QR text,
// percent-encoded>, kept on the phone, shown as a large QR code that reads
// back to the same text, with the summary and the extension once online;
// offline after the first visit; by paste and by photo; in English; axe-clean.
import { test, before, after } from 'node:test';
import { startFederation, day } from './federation.mjs';
import { launch, phone, open, shot, fullPage, expectNoAxeViolations, expectNoCspViolations, assert } from './helpers.mjs';

let fed;
let browser;
const A = {};

before(async () => {
  fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
  A.renewal = fed.issue('FR-75', { family_name: 'MARTIN', given_names: 'Jean Pierre', application: 'renewal',
    work_authorised: 'previous', previous_title: { number: '7501234567', expires_on: day(-12) },
    valid_from: day(-20), valid_until: day(20) });
  A.other = fed.issue('FR-75', { family_name: 'DIALLO', given_names: 'Aminata' });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (fed) await fed.stop();
});

const link = (a) => `${fed.verifierUrl}/holder#${encodeURIComponent(a.text)}`;

/** Reads the QR code the page draws back to text, with the page's own jsQR worker. */
async function readShownQr(page) {
  return page.evaluate(async () => {
    const svg = document.querySelector('#qr svg');
    const img = new Image();
    img.src = `data:image/svg+xml;base64,${btoa(new XMLSerializer().serializeToString(svg))}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = 600;
    c.height = 600;
    const g = c.getContext('2d');
    g.imageSmoothingEnabled = false;
    g.drawImage(img, 0, 0, 600, 600);
    const { data } = g.getImageData(0, 0, 600, 600);
    const w = new Worker('/assets/scan-worker.js');
    const text = await new Promise((resolve) => {
      w.onmessage = (ev) => resolve(ev.data.text);
      w.postMessage({ id: 1, data, width: 600, height: 600, thorough: false });
    });
    w.terminate();
    return text;
  });
}

test('a holder link: the card is kept, the QR code reads back, the summary shows', async () => {
  const ctx = await phone(browser);
  const page = await open(ctx, link(A.renewal));
  await page.waitForSelector('#qr svg');
  assert.equal(new URL(page.url()).hash, '', 'the fragment is taken out of the address bar');
  assert.equal(await page.evaluate(() => localStorage.getItem('api.holder.qr')), A.renewal.text);
  assert.equal(await readShownQr(page), A.renewal.text, 'the QR code on the screen is the attestation');
  await page.waitForSelector('#summary [data-result]', { timeout: 15000 });
  const summary = await page.textContent('#summary');
  for (const want of ['MARTIN', 'Jean Pierre', '12 avril 1990', 'Séjour régulier jusqu’au', 'renouvellement', '7501234567',
    'Préfecture de police'])
    assert.ok(summary.includes(want), `shows ${want}`);
  assert.match(await page.textContent('.qr-box'), /luminosité/);
  assert.equal(await page.getAttribute('#summary [data-result]', 'data-result'), 'valid');
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
  await expectNoAxeViolations(page, 'holder card');
  await shot(page, 'holder-card');
  await fullPage(page, 'holder-card-full');

  // An extension published later shows once the phone is online again.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await ctx.setOffline(true);
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('#summary [data-result]');
  assert.equal(await readShownQr(page), A.renewal.text, 'offline: the card is still there');
  const newEnd = day(45);
  fed.extend('FR-75', A.renewal.id, newEnd);
  await fed.waitReport(A.renewal.text, (r) => r.validity.extended, 'the extension in the replica');
  await ctx.setOffline(false);
  await page.evaluate(() => window.apiHolder.engine.refresh().catch(() => {}));
  await page.waitForFunction(() => window.apiHolder.report && window.apiHolder.report.validity.extended, null, { timeout: 15000 });
  const text = await page.textContent('#summary');
  assert.match(text, /Prolongée par la préfecture/);
  await expectNoAxeViolations(page, 'holder card, extended');
  await page.locator('#summary .extended').scrollIntoViewIfNeeded();
  await shot(page, 'holder-extended');
  await page.evaluate(() => window.scrollTo(0, 0));

  // In English.
  await page.click('#langs button[lang="en"]');
  assert.equal(await page.textContent('h1'), 'My attestation');
  assert.match(await page.textContent('#summary'), /Lawful stay until/);
  await expectNoAxeViolations(page, 'holder card, English');
  await page.click('#langs button[lang="fr"]');

  // Removed on request.
  page.once('dialog', (d) => d.accept());
  await page.click('#remove');
  await page.waitForSelector('#add:not([hidden])');
  assert.equal(await page.evaluate(() => localStorage.getItem('api.holder.qr')), null);
  await expectNoAxeViolations(page, 'holder, empty');
  await shot(page, 'holder-empty');
  await ctx.close();
});

test('the holder pastes the text or picks a photo of the paper', async () => {
  const ctx = await phone(browser);
  const page = await open(ctx, `${fed.verifierUrl}/holder/`);
  await page.waitForSelector('#add:not([hidden])', { timeout: 10000 }).catch((e) => {
    throw new Error(`${e.message}\npage errors: ${page.errors.join('; ')}\n${fed.log('verifier').slice(-2000)}`);
  });
  await page.fill('#paste', 'not a code');
  await page.press('#paste', 'Enter');
  assert.match(await page.textContent('#status'), /pas une attestation/);
  await expectNoAxeViolations(page, 'holder, not a code');
  await page.fill('#paste', A.other.text);
  await page.press('#paste', 'Enter');
  await page.waitForSelector('#summary [data-result="valid"]', { timeout: 15000 });
  assert.match(await page.textContent('#summary'), /DIALLO/);
  page.once('dialog', (d) => d.accept());
  await page.click('#remove');
  await page.setInputFiles('#photo', A.renewal.png);
  await page.waitForSelector('#summary [data-result="valid"]', { timeout: 15000 });
  assert.match(await page.textContent('#summary'), /MARTIN/);
  assert.equal(await readShownQr(page), A.renewal.text);
  await ctx.close();
});

test('the holder page is installable: manifest and icons', async () => {
  const res = await fetch(`${fed.verifierUrl}/holder/manifest.json`);
  assert.equal(res.status, 200);
  const m = await res.json();
  assert.equal(m.start_url, '/holder/');
  assert.equal(m.display, 'standalone');
  for (const icon of m.icons) {
    const r = await fetch(new URL(icon.src, fed.verifierUrl));
    assert.equal(r.status, 200, icon.src);
  }
  assert.ok(m.icons.some((i) => i.sizes === '512x512' && i.type === 'image/png'));
  assert.ok(m.icons.some((i) => i.purpose === 'maskable'));
});

// Last: the pages' Content-Security-Policy (web/dist/csp.txt) held everywhere above.
test('no Content-Security-Policy violation on any page, worker or service worker opened above', async () => {
  await expectNoCspViolations();
});
