// What people send, checked on the phone (/check in Chromium at 360 × 800
// against a real federation): PDF documents (one attestation, a batch of
// several on several pages, more pages than are read, a broken file), every
// code read with zxing-cpp in WebAssembly (Linux Chromium has no
// BarcodeDetector), nothing sent anywhere while a PDF is read, holder links
// typed or scanned, handheld scanners typing the code (with the right
// keyboard layout and through the QWERTY-on-AZERTY mismatch), and a file
// shared to the installed app (Web Share Target) through its service worker,
// a PDF read offline, and the service's page for a share that reaches it.
import { test, before, after } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startFederation, day, BIN } from './federation.mjs';
import { makePdf } from './pdfmake.mjs';
import { launch, phone, open, paste, again, verdict, shot, expectNoAxeViolations, expectNoCspViolations, assert,
  sentenceOf } from './helpers.mjs';

let fed;
let browser;
let ctx;
let page;
const A = {};

const holderLink = (text) => `${fed.verifierUrl}/holder#${encodeURIComponent(text)}`;

before(async () => {
  fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
  A.one = fed.issue('FR-75', { family_name: 'KONE', given_names: 'Issa' });
  A.two = fed.issue('FR-75', { family_name: 'TRAORE', given_names: 'Mariam' });
  A.three = fed.issue('FR-75', { family_name: 'REVOQUE', given_names: 'Luc' });
  fed.revoke('FR-75', A.three.id);
  await fed.waitVerdict(A.three.text, 'revoked');
  browser = await launch();
  ctx = await phone(browser);
  page = await open(ctx, `${fed.verifierUrl}/check/`);
  await page.waitForFunction(() => window.apiCheck && window.apiCheck.engine.hasData(), null, { timeout: 15000 });
});

after(async () => {
  if (browser) await browser.close();
  if (fed) await fed.stop();
});

const pdfFile = (name, buffer) => ({ name, mimeType: 'application/pdf', buffer });

/** The attestations the page lists for the last document: [{page, result, name}]. */
const foundList = () => page.evaluate(() => window.apiCheck.found().map((f) => ({ page: f.page, result: f.report.result,
  name: f.report.holder ? f.report.holder.family_name : null, presentation: f.report.presentation || 'full' })));

test('the picker takes images and PDF files; without BarcodeDetector, zxing-cpp in WebAssembly reads', async () => {
  assert.equal(await page.getAttribute('#photo', 'accept'), 'image/*,application/pdf');
  assert.equal(await page.evaluate(() => window.apiCheck.readerKind()), 'zxing');
  // pdf.js is not loaded before a PDF is picked.
  const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  assert.ok(!scripts.some((u) => u.includes('/pdfjs/')), 'pdf.js is loaded only when a PDF is picked');
});

test('a PDF with one attestation is read on the phone, and nothing but the page\'s own files is fetched', async () => {
  const requests = [];
  const onReq = (r) => requests.push(`${r.method()} ${r.url()}`);
  ctx.on('request', onReq);
  const pdf = makePdf([[{ text: A.one.text, x: 30, y: 60, mm: 45 }]]);
  await page.setInputFiles('#photo', pdfFile('attestation.pdf', pdf));
  const v = await verdict(page, 30000);
  ctx.off('request', onReq);
  assert.equal(v.result, 'valid');
  assert.equal(v.sentence, sentenceOf(fed.cliVerdict(A.one.text)));
  assert.ok((await page.textContent('#details')).includes('KONE'));
  assert.deepEqual(await foundList(), [{ page: 1, result: 'valid', name: 'KONE', presentation: 'full' }]);
  const origin = new URL(fed.verifierUrl).origin;
  for (const r of requests) {
    const [method, url] = r.split(' ');
    const u = new URL(url);
    assert.equal(method, 'GET', `only GET requests while reading a PDF: ${r}`);
    assert.ok(u.origin === origin || u.protocol === 'blob:' || u.protocol === 'data:', `same origin only: ${r}`);
    if (u.origin === origin) assert.match(u.pathname, /^\/assets\//, `only the page's own static files: ${r}`);
  }
  assert.ok(requests.some((r) => r.includes('/assets/pdfjs/pdf.min.mjs')), 'pdf.js was loaded from the service');
  assert.equal(await page.isVisible('#data-privacy'), true, 'the privacy sentence stays');
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
  await expectNoAxeViolations(page, 'PDF, one attestation');
  await shot(page, 'check-pdf');
  await again(page);
});

test('a PDF of a batch: one result per attestation in page order, the codes of one attestation grouped', async () => {
  const pdf = makePdf([
    [{ text: A.one.text, x: 20, y: 50, mm: 45 }, { text: holderLink(A.one.text), x: 120, y: 50, mm: 30 }],
    [{ text: A.two.text, x: 140, y: 200, mm: 45 }],
    [],
    [{ text: A.three.text, x: 20, y: 30, mm: 45 }, { text: A.two.text, x: 110, y: 180, mm: 50 }],
  ], { title: 'Lot' });
  await page.setInputFiles('#photo', pdfFile('lot.pdf', pdf));
  await verdict(page, 60000);
  const list = await foundList();
  assert.deepEqual(list.map((f) => f.page), [1, 2, 4, 4], 'in page order, one per attestation and page');
  const byPage = (f) => `${f.page} ${f.name} ${f.result} ${f.presentation}`;
  assert.deepEqual(list.map(byPage).sort(), ['1 KONE valid full', '2 TRAORE valid full', '4 REVOQUE revoked full',
    '4 TRAORE valid full']);
  assert.match(await page.textContent('#doc-summary'), /4 attestations trouvées/);
  const items = await page.$$eval('#doc-list button', (bs) => bs.map((b) => b.textContent));
  assert.equal(items.length, 4);
  assert.match(items[0], /^Page 1 : KONE Issa/);
  await expectNoAxeViolations(page, 'PDF, a batch');
  await shot(page, 'check-pdf-batch');
  // Each attestation's result on a touch.
  const revoked = items.findIndex((s) => s.includes('REVOQUE'));
  await page.click(`#doc-list li:nth-child(${revoked + 1}) button`);
  assert.equal((await verdict(page)).result, 'revoked');
  await again(page);
});

test('the issuer\'s PDF attestation (the full code and the holder link on one page) is one attestation', async () => {
  // api-issuer issue --formats pdf, as the préfecture does, with the holder link (it carries the reduced code).
  const env = { ...process.env, API_PASSPHRASE: 'correct-horse-battery' }; // the federation's (federation.mjs)
  const h = { family_name: 'SISSOKO', given_names: 'Awa', birth_date: '1991-02-03', nationality: 'MLI',
    foreign_national_number: '7503123499', application: 'first', title_requested: 'carte de séjour temporaire salarié',
    work_authorised: true, filed_on: day(-40), valid_from: day(-10), valid_until: day(60) };
  fs.writeFileSync(path.join(fed.dir, 'pdf-holder.json'), JSON.stringify(h));
  const out = execFileSync(path.join(BIN, 'api-issuer'), ['issue', '--dir', fed.issuers['FR-75'].dir, '--json',
    'pdf-holder.json', '--out', 'pdf-out', '--formats', 'pdf', '--holder-base', `${fed.verifierUrl}/holder`],
  { cwd: fed.dir, env }).toString();
  const id = out.trim().split(/\s+/)[0];
  const pdf = fs.readFileSync(path.join(fed.dir, 'pdf-out', `${id}.pdf`));
  await fed.waitReport(fs.readFileSync(path.join(fed.dir, 'pdf-out', `${id}.txt`), 'utf8').trim(),
    (r) => r.result === 'valid', 'the new attestation in the replica');
  await page.evaluate(() => window.apiCheck.engine.refresh());
  await page.setInputFiles('#photo', pdfFile(`${id}.pdf`, pdf));
  const v = await verdict(page, 30000);
  assert.equal(v.result, 'valid');
  assert.deepEqual(await foundList(), [{ page: 1, result: 'valid', name: 'SISSOKO', presentation: 'full' }]);
  assert.equal(await page.isVisible('#doc'), false, 'one attestation: no list');
  await shot(page, 'check-issuer-pdf');
  await again(page);
});

test('a PDF of more pages than are read says so; a broken PDF and one without a code say so', async () => {
  const pages = Array.from({ length: 12 }, () => []);
  pages[11] = [{ text: A.two.text, x: 20, y: 30, mm: 45 }];
  pages[1] = [{ text: A.one.text, x: 20, y: 30, mm: 45 }];
  await page.setInputFiles('#photo', pdfFile('long.pdf', makePdf(pages)));
  await verdict(page, 60000);
  assert.deepEqual((await foundList()).map((f) => f.page), [2]);
  assert.match(await page.textContent('#doc-summary'), /Seules les 10 premières pages sur 12 ont été lues/);
  await again(page);

  await page.setInputFiles('#photo', pdfFile('broken.pdf', Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog', 'latin1')));
  await page.waitForFunction(() => /PDF/.test(document.getElementById('photo-msg').textContent) &&
    !/Lecture|Ouverture/.test(document.getElementById('photo-msg').textContent), null, { timeout: 30000 });
  assert.match(await page.textContent('#photo-msg'), /Impossible d’ouvrir ce PDF|Aucun code QR lisible dans ce PDF/);

  await page.setInputFiles('#photo', pdfFile('empty.pdf', makePdf([[]])));
  await page.waitForFunction(() => /Aucun code QR lisible dans ce PDF/.test(document.getElementById('photo-msg').textContent),
    null, { timeout: 30000 });
  await expectNoAxeViolations(page, 'PDF without a code');
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
});

test('crafted PDFs: a huge page, 10,000 pages, garbage after the header: the page answers and says so', async () => {
  // A page of 100,000 × 100,000 points with a code (drawn within the pixel bound, too small to read then).
  const huge = makePdf([[{ text: A.one.text, x: 20, y: 40, mm: 45 }]]).toString('latin1')
    .replace(/\/MediaBox \[0 0 [0-9.]+ [0-9.]+\]/, '/MediaBox [0 0 100000 100000]');
  await page.setInputFiles('#photo', pdfFile('huge.pdf', Buffer.from(huge, 'latin1')));
  await page.waitForFunction(() => /PDF/.test(document.getElementById('photo-msg').textContent) &&
    !/Lecture|Ouverture/.test(document.getElementById('photo-msg').textContent) || document.getElementById('verdict').dataset.result,
  null, { timeout: 60000 });
  if (await page.isVisible('#result')) await again(page);
  // 10,000 pages: the first 10 are read, the page says so.
  const many = Array.from({ length: 10000 }, () => []);
  many[3] = [{ text: A.two.text, x: 20, y: 40, mm: 45 }];
  await page.setInputFiles('#photo', pdfFile('many.pdf', makePdf(many)));
  await verdict(page, 60000);
  assert.deepEqual((await foundList()).map((f) => f.page), [4]);
  assert.match(await page.textContent('#doc-summary'), /Seules les 10 premières pages sur 10000 ont été lues/);
  await again(page);
  // Random bytes after a PDF header.
  const junk = Buffer.concat([Buffer.from('%PDF-1.7\n', 'latin1'), Buffer.from(Array.from({ length: 50000 }, (_, i) => (i * 7919) % 251))]);
  await page.setInputFiles('#photo', pdfFile('junk.pdf', junk));
  await page.waitForFunction(() => /Impossible d’ouvrir ce PDF|Aucun code QR lisible dans ce PDF/.test(
    document.getElementById('photo-msg').textContent), null, { timeout: 30000 });
  // The page still works.
  assert.equal((await paste(page, A.one.text)).result, 'valid');
  await again(page);
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
});

test('a holder link, pasted as it is or percent-encoded, verifies the code it carries', async () => {
  let v = await paste(page, holderLink(A.two.text));
  assert.equal(v.result, 'valid');
  assert.ok((await page.textContent('#details')).includes('TRAORE'));
  assert.match(await page.textContent('#read-note'), /lien de la carte du titulaire/);
  await again(page);
  v = await paste(page, encodeURIComponent(holderLink(A.one.text)));
  assert.equal(v.result, 'valid');
  assert.ok((await page.textContent('#details')).includes('KONE'));
  await again(page);
  // The link the issuer writes carries the holder's card (the reduced code): the page says it read the card.
  const card = fs.readFileSync(path.join(fed.dir, 'out', `${A.two.id}-card.txt`), 'utf8').trim();
  v = await paste(page, holderLink(card));
  assert.equal(v.result, 'valid');
  assert.equal(await page.evaluate(() => window.apiCheck.found()[0].report.presentation), 'reduced');
  assert.match(await page.textContent('#read-note'), /la carte du titulaire \(code réduit\)/);
  await expectNoAxeViolations(page, 'holder card from a link');
  await shot(page, 'check-holder-card');
  await again(page);
});

/** Types text as a scanner does: every key a few ms apart, then Enter, with no field focused. */
async function scannerTypes(text, delay = 5) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.type(text, { delay });
  await page.keyboard.press('Enter');
}

// The key events of a US-layout scanner on a French (AZERTY) computer: each character of the code is sent at
// its US key position; the computer reads the AZERTY character of that key. [key read, code, shift].
const AZERTY = {
  0: ['à', 'Digit0', false], 1: ['&', 'Digit1', false], 2: ['é', 'Digit2', false], 3: ['"', 'Digit3', false],
  4: ['\'', 'Digit4', false], 5: ['(', 'Digit5', false], 6: ['-', 'Digit6', false], 7: ['è', 'Digit7', false],
  8: ['_', 'Digit8', false], 9: ['ç', 'Digit9', false], $: ['4', 'Digit4', true], '%': ['5', 'Digit5', true],
  '*': ['8', 'Digit8', true], '+': ['+', 'Equal', true], '-': [')', 'Minus', false], '.': [':', 'Period', false],
  '/': ['!', 'Slash', false], ':': ['M', 'Semicolon', true], ' ': [' ', 'Space', false],
  A: ['Q', 'KeyA', true], Q: ['A', 'KeyQ', true], Z: ['W', 'KeyZ', true], W: ['Z', 'KeyW', true], M: ['?', 'KeyM', true],
};
function azertyEvents(text) {
  return [...text].map((c) => AZERTY[c] || [c, `Key${c}`, true]);
}

/** Dispatches raw keydown/keypress/keyup events as the browser would for those keys, 3 ms apart. */
async function rawKeys(events) {
  await page.evaluate(async (evs) => {
    if (document.activeElement) document.activeElement.blur();
    const send = (type, key, code, shiftKey) => document.body.dispatchEvent(new KeyboardEvent(type,
      { key, code, shiftKey, bubbles: true, cancelable: true, composed: true }));
    for (const [key, code, shift] of evs) {
      if (shift) send('keydown', 'Shift', 'ShiftLeft', true);
      send('keydown', key, code, shift);
      send('keypress', key, code, shift);
      send('keyup', key, code, shift);
      if (shift) send('keyup', 'Shift', 'ShiftLeft', false);
      await new Promise((r) => setTimeout(r, 3));
    }
    send('keydown', 'Enter', 'Enter', false);
  }, events);
}

test('a handheld scanner: the code and Enter, typed fast with no field focused, is verified', async () => {
  await scannerTypes(A.one.text);
  const v = await verdict(page);
  assert.equal(v.result, 'valid');
  assert.ok((await page.textContent('#details')).includes('KONE'));
  assert.equal(await page.evaluate(() => window.apiCheck.perf.source), 'scanner');
  // From the result, the next scan is taken too.
  await scannerTypes(A.three.text);
  await page.waitForFunction(() => document.getElementById('verdict').dataset.result === 'revoked');
  await again(page);
  // A person typing slowly is not a scanner.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.type('API1:ABC', { delay: 120 });
  await page.keyboard.press('Enter');
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await page.isVisible('#result'), false);
});

test('a scanner set to QWERTY on an AZERTY computer: the code is repaired; what cannot be is refused with advice', async () => {
  const mangled = azertyEvents(A.two.text);
  assert.equal(mangled.slice(0, 5).map((e) => e[0]).join(''), 'QPI&M', 'API1: arrives as QPI&M');
  await rawKeys(mangled);
  const v = await verdict(page);
  assert.equal(v.result, 'valid');
  assert.ok((await page.textContent('#details')).includes('TRAORE'));
  assert.match(await page.textContent('#read-note'), /clavier anglais \(QWERTY\).*corrigé/);
  await again(page);
  // The same through the field (the scanner typing into it): repaired too.
  await page.fill('#paste', mangled.map((e) => e[0]).join(''));
  await page.press('#paste', 'Enter');
  assert.equal((await verdict(page)).result, 'valid');
  await again(page);
  // A mangled text whose repair is no code: refused, with what to change on the scanner, in French then English.
  const broken = azertyEvents(`${A.two.text.slice(0, 40)}`);
  await rawKeys(broken);
  await page.waitForFunction(() => document.getElementById('paste-msg').textContent.includes('AZERTY'));
  const msg = await page.$$eval('#paste-msg span', (s) => s.map((x) => [x.lang, x.textContent]));
  assert.equal(msg[0][0], 'fr');
  assert.match(msg[0][1], /Réglez le lecteur sur le clavier français \(AZERTY\)/);
  assert.equal(msg[1][0], 'en');
  assert.match(msg[1][1], /Set the scanner to the French keyboard \(AZERTY\)/);
  assert.equal(await page.isVisible('#result'), false);
  await expectNoAxeViolations(page, 'scanner layout refused');
  await shot(page, 'check-scanner-layout');
});

test('a file shared to the installed app: the service worker keeps it, the page reads and verifies it', async () => {
  // The service worker must control the page (it is installed at the first visit).
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 15000 });
  const pdf = makePdf([[{ text: A.two.text, x: 30, y: 60, mm: 45 }]]);
  // What the browser does for "Share → Vérifier une API": a multipart POST to the share target, then the
  // page it is sent to. Playwright cannot open the share sheet, so the page posts it through its worker.
  const where = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const form = new FormData();
    form.append('file', new File([bytes], 'attestation.pdf', { type: 'application/pdf' }));
    const res = await fetch('/check/share', { method: 'POST', body: form, redirect: 'manual' });
    return { type: res.type, status: res.status, url: res.url };
  }, pdf.toString('base64'));
  assert.ok(where.type === 'opaqueredirect' || where.status === 303, `the worker redirects: ${JSON.stringify(where)}`);
  const server = fed.log('verifier');
  await page.goto(`${fed.verifierUrl}/check/?shared=1`, { waitUntil: 'load' });
  const v = await verdict(page, 30000);
  assert.equal(v.result, 'valid');
  assert.ok((await page.textContent('#details')).includes('TRAORE'));
  assert.equal(new URL(page.url()).search, '', 'the address no longer says shared');
  assert.equal(await page.evaluate(async () => !!(await (await caches.open('api-share-v1')).match('/check/share/file'))),
    false, 'the shared file is forgotten once read');
  assert.ok(!fed.log('verifier').slice(server.length).includes('/check/share'), 'the service never saw the file');
  await again(page);
  // A link shared (the holder's link, from a message): its code is verified.
  await page.evaluate(async (link) => {
    const form = new FormData();
    form.append('url', link);
    await fetch('/check/share', { method: 'POST', body: form, redirect: 'manual' });
  }, holderLink(A.one.text));
  await page.goto(`${fed.verifierUrl}/check/?shared=1`, { waitUntil: 'load' });
  assert.equal((await verdict(page, 30000)).result, 'valid');
  assert.ok((await page.textContent('#details')).includes('KONE'));
  await again(page);
  // pdf.js, its worker and the QR reader are kept offline by the service worker: a PDF is read offline too.
  await ctx.setOffline(true);
  try {
    await page.reload({ waitUntil: 'load' });
    await page.setInputFiles('#photo', pdfFile('offline.pdf', makePdf([[{ text: A.one.text, x: 30, y: 60, mm: 45 }]])));
    const off = await verdict(page, 30000);
    assert.equal(off.result, 'valid');
    assert.ok((await page.textContent('#details')).includes('KONE'));
  } finally {
    await ctx.setOffline(false);
  }
  await again(page);
});

test('without the service worker, the service answers a share with a page saying what to do, and keeps nothing', () => {
  // As a phone whose checker was never opened online posts it: multipart/form-data with the file.
  const file = path.join(fed.dir, 'shared.pdf');
  fs.writeFileSync(file, makePdf([[{ text: A.one.text, x: 30, y: 60, mm: 45 }]]));
  const out = execFileSync('curl', ['-sS', '-i', '-F', `file=@${file};type=application/pdf`, '-F', 'title=Attestation',
    `${fed.verifierUrl}/check/share`]).toString();
  const [head, body] = out.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 200 /);
  assert.match(head, /\r\nContent-Type: text\/html; charset=utf-8/i);
  assert.match(head, /\r\nCache-Control: no-store/i);
  assert.ok(body.indexOf('Le fichier n’a pas été lu') >= 0 && body.indexOf('The file was not read') > body.indexOf('Le fichier'),
    'French, then English');
  assert.match(body, /href="\/check\/"/);
  assert.ok(!body.includes('KONE') && !out.includes('API1:'), 'nothing of the file comes back');
  // A file over the service's bound gets the same page, never an error.
  const big = path.join(fed.dir, 'big.jpg');
  fs.writeFileSync(big, Buffer.alloc(9 * 1024 * 1024, 0x41));
  const code = execFileSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-F', `file=@${big};type=image/jpeg`,
    `${fed.verifierUrl}/check/share`]).toString();
  assert.equal(code, '200');
  // Nothing of it in the service's log.
  assert.ok(!fed.log('verifier').includes('API1:'));
});

test('no Content-Security-Policy violation on any page, worker or service worker opened above', async () => {
  const w = await expectNoCspViolations();
  assert.ok(w.workers > 0, 'the workers were watched');
});

// Keep the PDFs of the tests where the screenshots go, to look at.
test('the PDFs of these tests, kept with the screenshots', () => {
  const dir = process.env.SCREENSHOT_DIR;
  if (dir) fs.writeFileSync(path.join(dir, 'check-batch.pdf'), makePdf([[{ text: A.one.text, x: 20, y: 50, mm: 45 }]]));
});
