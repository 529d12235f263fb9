// Phone photos of a printed attestation page, read by the checker on the
// phone (zxing-cpp in WebAssembly: Linux Chromium has no BarcodeDetector):
// a few photos generated with a fixed seed, carrying the published vector
// `valid` (tests/photos/make_set.sh --vector and gen_photos.py: the page 1,000-2,500 px wide, tilted, blurred, dim, JPEG),
// each of which must be read to its exact QR text. The read rate on 200 or
// more, and the time per photo, are in `make bench` (tests/bench/bench_web.mjs).
import { test, before, after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFederation } from './federation.mjs';
import { launch, phone, open, verdict, expectNoCspViolations, assert } from './helpers.mjs';
import { makePhotos, readPhotos, median } from './photos.mjs';
import { makePdf } from './pdfmake.mjs';

const COUNT = Number(process.env.PHOTOS || 8);
const SEED = 20261202;
let fed;
let browser;
let page;
let dir;
let photos;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-photos.'));
  photos = makePhotos(dir, COUNT, SEED, true); // the published vector: the same photos at every run
  fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
  browser = await launch();
  page = await open(await phone(browser), `${fed.verifierUrl}/check/`);
  await page.waitForFunction(() => window.apiCheck && window.apiCheck.engine.hasData(), null, { timeout: 15000 });
});

after(async () => {
  if (browser) await browser.close();
  if (fed) await fed.stop();
  if (dir && !process.env.KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
});

test(`the checker reads each of ${COUNT} generated phone photos of the page`, async () => {
  const r = await readPhotos(page, photos);
  const missed = r.filter((x) => !x.ok).map((x) => `${x.file} (${x.width} px, page ${x.page_width} px)`);
  console.log(`photos read on the phone: ${r.length - missed.length} of ${r.length}, median ` +
    `${median(r.map((x) => x.ms)).toFixed(0)} ms a photo`);
  assert.deepEqual(missed, [], 'every photo is read to its QR text');
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
});

test('a photo picked on the page is read and verified (the attestation of another federation: not trusted here)', async () => {
  await page.setInputFiles('#photo', photos[0].path);
  const v = await verdict(page, 30000);
  assert.notEqual(v.result, 'valid');
  const report = await page.evaluate(() => window.apiCheck.found()[0].report);
  assert.equal(report.result, fed.cliVerdict(photos[0].qr).result, 'the same verdict as the command line for its text');
});

test('a photo of the page made into a PDF (a scan) is read as a photo is', async () => {
  const p = photos[0];
  const pdf = makePdf([[{ jpeg: fs.readFileSync(p.path), width: p.width, height: p.height }]], { title: 'Scan' });
  await page.click('#again').catch(() => {});
  await page.setInputFiles('#photo', { name: 'scan.pdf', mimeType: 'application/pdf', buffer: pdf });
  await verdict(page, 60000);
  const found = await page.evaluate(() => window.apiCheck.found().map((f) => f.page));
  assert.deepEqual(found, [1]);
  const texts = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return window.apiCheck.readCodes(new File([bytes], 'scan.pdf', { type: 'application/pdf' }));
  }, pdf.toString('base64'));
  assert.ok(texts.includes(p.qr), 'the code of the photo, read from the PDF');
});

test('no Content-Security-Policy violation on any page, worker or service worker opened above', async () => {
  await expectNoCspViolations();
});
