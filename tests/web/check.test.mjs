// The checker (/check) in Chromium at 360 × 800 against a real federation:
// pasting, a photo, the verdicts (valid, revoked, expired, cannot be confirmed,
// unreadable), keyboard use, the language switch, axe-core on every state,
// the same verdicts on the phone and from POST /api/v1/verify, the same steps
// on a slowed-down phone (their timings are in tests/bench/bench_web.mjs), and
// the pages' Content-Security-Policy.
import { test, before, after } from 'node:test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startFederation, day, WEB_DIST } from './federation.mjs';
import { launch, phone, open, paste, again, verdict, shot, fullPage, slowPhone, unthrottle, expectNoAxeViolations,
  expectNoCspViolations, assert, sentenceOf } from './helpers.mjs';

let fed;
let browser;
let ctx;
let page;
const A = {};

before(async () => {
  fed = await startFederation({
    issuers: [
      { id: 'FR-75', name: 'Préfecture de police' },
      // Admitted in the trust list, but its feed never answers: its attestations cannot be confirmed.
      { id: 'FR-13', name: 'Préfecture des Bouches-du-Rhône', serve: false },
    ],
  });
  A.valid = fed.issue('FR-75', { family_name: 'DIALLO', given_names: 'Aminata' });
  A.renewal = fed.issue('FR-75', { family_name: 'MARTIN', given_names: 'Jean Pierre', application: 'renewal',
    work_authorised: 'previous', previous_title: { number: '7501234567', expires_on: day(-12) } });
  A.nowork = fed.issue('FR-75', { family_name: 'NGUYEN', given_names: 'Thi Lan', work_authorised: false, birth_date: '1985' });
  A.revoked = fed.issue('FR-75', { family_name: 'REVOQUE', given_names: 'Paul' });
  A.expired = fed.issue('FR-75', { family_name: 'ANCIEN', given_names: 'Marie', valid_from: day(-80), valid_until: day(-3) });
  A.future = fed.issue('FR-75', { family_name: 'FUTUR', given_names: 'Ali', valid_from: day(5), valid_until: day(60) });
  A.unconfirmed = fed.issue('FR-13', { family_name: 'SANSETAT', given_names: 'Fatou' });
  A.extended = fed.issue('FR-75', { family_name: 'PROLONGE', given_names: 'Awa', valid_from: day(-20), valid_until: day(10) });
  fed.revoke('FR-75', A.revoked.id);
  fed.extend('FR-75', A.extended.id, day(40));
  await fed.waitVerdict(A.revoked.text, 'revoked');
  await fed.waitReport(A.extended.text, (r) => r.validity.extended, 'the extension in the replica');
  browser = await launch();
  ctx = await phone(browser);
  page = await open(ctx, `${fed.verifierUrl}/check`);
  await page.waitForFunction(() => window.apiCheck && window.apiCheck.engine.hasData(), null, { timeout: 15000 });
});

after(async () => {
  if (browser) await browser.close();
  if (fed) await fed.stop();
});

test('/check redirects to /check/ and the page passes axe at rest', async () => {
  assert.match(page.url(), /\/check\/$/);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  await expectNoAxeViolations(page, 'at rest');
  assert.match(await page.textContent('#data-age'), /Mises à jour/);
  assert.equal(await page.isVisible('#data-privacy'), true, 'says that nothing leaves the phone');
  await shot(page, 'check-start');
});

test('paste: a valid attestation shows the band, the holder, the rights and what an API is', async () => {
  const cli = fed.cliVerdict(A.valid.text);
  assert.equal(cli.result, 'valid');
  const v = await paste(page, A.valid.text);
  assert.equal(v.result, 'valid');
  assert.equal(v.sentence, sentenceOf(cli));
  assert.ok(v.text.startsWith(sentenceOf(cli)), 'the status text starts with the verdict sentence');
  assert.equal(await page.getAttribute('#verdict', 'class'), 'band band-ok');
  const details = await page.textContent('#details');
  for (const want of ['DIALLO', 'Aminata', '12 avril 1990', 'Séjour régulier jusqu’au', 'Autorise son titulaire à travailler',
    'Préfecture de police', 'Qu’est-ce qu’une API', 'R. 431-15-1', 'aucune information sur la personne n’a quitté l’appareil'])
    assert.ok(details.includes(want), `shows ${want}`);
  const until = cli.rights.stay_until.split('-').map(Number);
  assert.ok(details.includes(`${until[2] === 1 ? '1er' : until[2]} `), 'shows the day of the end of stay');
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
  await expectNoAxeViolations(page, 'valid');
  await shot(page, 'check-valid');
  await fullPage(page, 'check-valid-full');
  await again(page);
});

test('paste: a renewal shows the previous permit; no right to work is said plainly', async () => {
  let v = await paste(page, A.renewal.text);
  assert.equal(v.result, 'valid');
  let details = await page.textContent('#details');
  assert.ok(details.includes('7501234567'), 'previous permit number');
  assert.ok(details.includes('dans les mêmes conditions que son titre précédent'));
  assert.ok(details.includes('Jean Pierre'));
  await again(page);
  v = await paste(page, A.nowork.text);
  assert.equal(v.result, 'valid');
  details = await page.textContent('#details');
  assert.ok(details.includes('N’autorise pas') || details.includes("N'autorise pas"), 'no right to work');
  assert.ok(details.includes('Né(e) en') && details.includes('1985'), 'a birth year alone');
  await again(page);
});

test('paste: an extended attestation shows the new end, marked as extended, with the printed date', async () => {
  const cli = fed.cliVerdict(A.extended.text);
  const v = await paste(page, A.extended.text);
  assert.equal(v.result, 'valid');
  const details = await page.textContent('#details');
  const [y, m, d] = cli.validity.effective_until.split('-').map(Number);
  assert.ok(details.includes(`${d === 1 ? '1er' : d} `) && details.includes(String(y)), 'the new end');
  assert.match(details, /Prolongée par la préfecture\. La date imprimée était le/);
  await expectNoAxeViolations(page, 'valid, extended');
  await page.locator('#rights-h').scrollIntoViewIfNeeded();
  await shot(page, 'check-extended');
  await page.evaluate(() => window.scrollTo(0, 0));
  await again(page);
});

test('paste: revoked, expired, not yet valid, cannot be confirmed, unreadable', async () => {
  const cases = [
    ['revoked', A.revoked.text, 'band-bad', 'check-revoked'],
    ['expired', A.expired.text, 'band-bad', 'check-expired'],
    ['not_yet_valid', A.future.text, 'band-bad', null],
    ['status_unknown', A.unconfirmed.text, 'band-unknown', 'check-cannot-confirm'],
    ['malformed', 'API1:THIS IS NOT A CODE', 'band-unknown', 'check-unreadable'],
  ];
  for (const [want, text, cls, name] of cases) {
    const cli = fed.cliVerdict(text);
    assert.equal(cli.result, want, `the command-line verifier says ${want}`);
    const v = await paste(page, text);
    assert.equal(v.result, want);
    assert.ok(v.text.startsWith(sentenceOf(cli)), `${want}: the status starts with the verdict sentence`);
    assert.match(await page.getAttribute('#verdict', 'class'), new RegExp(cls));
    const next = await page.textContent('#details .next');
    assert.ok(next.includes(cli.explanation.fr.next_step), `${want}: says what to do next`);
    const details = await page.textContent('#details');
    assert.ok(!details.includes('Séjour régulier jusqu’au'), `${want}: no right of stay is shown`);
    await expectNoAxeViolations(page, want);
    if (name) await shot(page, name);
    await again(page);
  }
});

test('photo: a PNG of the document is read and checked', async () => {
  await page.setInputFiles('#photo', A.valid.png);
  const v = await verdict(page);
  assert.equal(v.result, 'valid');
  assert.ok((await page.textContent('#details')).includes('DIALLO'));
  await again(page);
  await page.setInputFiles('#photo', { name: 'blank.png', mimeType: 'image/png',
    buffer: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==', 'base64') });
  await page.waitForFunction(() => document.getElementById('photo-msg').textContent.length > 20);
  assert.match(await page.textContent('#photo-msg'), /Aucun code QR/);
  await expectNoAxeViolations(page, 'photo without a code');
});

test('keyboard only: skip link, paste field, Enter, result, back', async () => {
  await page.reload({ waitUntil: 'load' });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.keyboard.press('Enter');
  // Tab through to the text field, however many controls come before it.
  for (let i = 0; i < 8 && (await page.evaluate(() => document.activeElement.id)) !== 'paste'; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'paste');
  await page.keyboard.insertText(A.valid.text);
  await page.keyboard.press('Enter');
  const v = await verdict(page);
  assert.equal(v.result, 'valid');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'result-h', 'focus moves to the result');
  for (let i = 0; i < 5 && (await page.evaluate(() => document.activeElement.id)) !== 'again'; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'again');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#verdict:not([data-result])', { state: 'attached' });
  assert.equal(await page.isVisible('#paste'), true);
  // An empty field says what to do and does not check.
  await page.focus('#paste');
  await page.keyboard.press('Enter');
  assert.match(await page.textContent('#paste-msg'), /Collez d’abord/);
});

test('language switch: English texts, kept after a reload, and back to French', async () => {
  await page.click('#langs button[lang="en"]');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('h1'), 'Check an attestation');
  const v = await paste(page, A.valid.text);
  assert.ok(v.text.startsWith('Valid attestation'), v.text);
  const details = await page.textContent('#details');
  assert.ok(details.includes('Lawful stay until') && details.includes('What is an API'));
  await expectNoAxeViolations(page, 'valid, in English');
  await shot(page, 'check-valid-en');
  await page.reload({ waitUntil: 'load' });
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('h1'), 'Check an attestation');
  await page.click('#langs button[lang="fr"]');
  assert.equal(await page.textContent('h1'), 'Vérifier une attestation');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
});

test('the same verdicts on the phone (bundle) and from POST /api/v1/verify', async () => {
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction(() => window.apiCheck.engine.hasData());
  await page.evaluate(() => window.apiCheck.engine.refresh());
  const texts = [A.valid.text, A.renewal.text, A.nowork.text, A.revoked.text, A.expired.text, A.future.text,
    A.unconfirmed.text, 'API1:THIS IS NOT A CODE', 'HELLO', `${A.valid.text.slice(0, -4)}AAAA`];
  // The service trims its reports to the caller's profile (anonymous here: docs/openapi.yaml); the
  // verdict and every member an anonymous caller receives must be the same as on the phone.
  const texts2 = (e) => e && { verdict: e.verdict, reason: e.reason, next_step: e.next_step, compare: e.compare,
    about: e.about, disclaimer: e.disclaimer };
  const pick = (r) => ({ result: r.result, reason: r.reason, valid: r.valid, status_checked: r.status_checked,
    issuer: r.issuer, validity: r.validity, stay_until: r.rights && r.rights.stay_until,
    names: r.holder && [r.holder.family_name, r.holder.given_names],
    explanation: r.explanation && { fr: texts2(r.explanation.fr), en: texts2(r.explanation.en) } });
  for (const text of texts) {
    const both = await page.evaluate(async (t) => {
      const local = await window.apiCheck.verify(t, 'local');
      const server = await window.apiCheck.verify(t, 'server');
      return { local: local.report, server: server.report };
    }, text);
    assert.deepEqual(pick(both.local), pick(both.server), `same verdict both ways for ${text.slice(0, 30)}…`);
    assert.equal(both.local.result, fed.cliVerdict(text).result, 'and the command-line verifier agrees');
  }
});

test('a mid-range phone: a first visit becomes usable and gets its data, a reload comes from the service worker, five codes get their verdicts', async () => {
  // Behaviour only: how long each step takes is a figure of `make bench` (tests/bench/bench_web.mjs),
  // measured beside a reference; the bounds here only stop a test that would never end.
  const LONG = 60000;
  // First visit: nothing cached.
  const fresh = await phone(browser);
  const first = await fresh.newPage();
  first.errors = [];
  first.on('pageerror', (e) => first.errors.push(e.message));
  await slowPhone(first);
  await first.goto(`${fed.verifierUrl}/check/`, { waitUntil: 'domcontentloaded', timeout: LONG });
  await first.waitForFunction(() => window.apiCheck && window.apiCheck.perf.marks.ready, null, { timeout: LONG });
  assert.equal(await first.isEditable('#paste'), true, 'the text field works once the page says it is ready');
  await first.waitForFunction(() => window.apiCheck.engine.hasData() && window.apiCheck.perf.marks.data, null, { timeout: LONG });
  assert.equal(first.errors.length, 0, first.errors.join('\n'));
  await fresh.close();
  // A later visit: the service worker serves the page.
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: LONG });
  const cdp = await slowPhone(page);
  const res = await page.reload({ waitUntil: 'domcontentloaded', timeout: LONG });
  assert.equal(res.fromServiceWorker(), true, 'the page comes from the service worker');
  await page.waitForFunction(() => window.apiCheck && window.apiCheck.perf.marks.ready, null, { timeout: LONG });
  await page.waitForFunction(() => window.apiCheck.engine.hasData() && window.apiCheck.perf.marks.data, null, { timeout: LONG });
  // Five codes, each with its verdict, checked on the phone.
  const cases = [[A.valid, 'valid'], [A.renewal, 'valid'], [A.nowork, 'valid'], [A.revoked, 'revoked'], [A.expired, 'expired']];
  for (const [a, want] of cases) {
    const v = await paste(page, a.text, LONG);
    assert.equal(v.result, want);
    const p = await page.evaluate(() => ({ where: window.apiCheck.perf.where, after: window.apiCheck.perf.readToVerdict }));
    assert.equal(p.where, 'local', 'verified on the phone');
    assert.equal(typeof p.after, 'number', 'the read and the verdict are both marked (make bench reads them)');
    await again(page);
  }
  await unthrottle(cdp);
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
});

test('a bundle signed for another root key is refused and the pinned key is kept, with a warning', async () => {
  const other = 'A'.repeat(42) + 'A';
  await page.evaluate((k) => localStorage.setItem('api.rootKey', k), other);
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('#data-warning:not([hidden])', { timeout: 10000 });
  assert.equal(await page.evaluate(() => localStorage.getItem('api.rootKey')), other, 'never replaced silently');
  assert.match(await page.textContent('#data-warning'), /clé de confiance du service a changé/);
  await expectNoAxeViolations(page, 'key changed');
  await shot(page, 'check-key-changed');
  // The user's explicit choice replaces it.
  page.once('dialog', (d) => d.accept());
  await page.click('#key-accept');
  await page.waitForFunction((k) => localStorage.getItem('api.rootKey') === k, fed.rootKey);
  await page.waitForSelector('#data-warning', { state: 'hidden' });
  const v = await paste(page, A.valid.text);
  assert.equal(v.result, 'valid');
  await again(page);
});

test('the home page links to both pages and passes axe', async () => {
  const home = await open(ctx, `${fed.verifierUrl}/`);
  assert.equal(await home.getAttribute('a[href="/check/"].button', 'href'), '/check/');
  await expectNoAxeViolations(home, 'home');
  await home.close();
});

test('the pages\' Content-Security-Policy (web/dist/csp.txt): strict, with the hash of each inline block', async () => {
  const csp = fs.readFileSync(path.join(WEB_DIST, 'csp.txt'), 'utf8');
  assert.match(csp, /^[\x20-\x7e]+$/, 'one line of ASCII');
  const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
  assert.doesNotMatch(csp, /'unsafe-|\*/, 'no unsafe-inline, unsafe-eval, unsafe-hashes, no wildcard');
  assert.deepEqual(directives['default-src'], ["'self'"]);
  assert.deepEqual(directives['object-src'], ["'none'"]);
  assert.deepEqual(directives['frame-ancestors'], ["'none'"]);
  // WebAssembly (the QR reader zxing-cpp, pdf.js's decoders) and the workers of this origin, nothing more.
  assert.deepEqual(directives['script-src'].filter((x) => !x.startsWith("'sha256-")), ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(directives['worker-src'], ["'self'"], 'workers from this origin only, no blob:');
  assert.deepEqual(directives['connect-src'], ["'self'"]);
  for (const p of ['/check/', '/holder/']) {
    const res = await fetch(fed.verifierUrl + p);
    const html = await res.text();
    let blocks = 0;
    for (const [, tag, body] of html.matchAll(/<(script|style)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
      const hash = `'sha256-${crypto.createHash('sha256').update(body, 'utf8').digest('base64')}'`;
      assert.ok(directives[`${tag}-src`].includes(hash), `${p}: the inline <${tag}> is allowed by its hash`);
      blocks += 1;
    }
    assert.equal(blocks, 2, `${p}: its style and its code are inline`);
    assert.doesNotMatch(html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, ''), /\son[a-z]+=|\sstyle=|javascript:/i,
      `${p}: no inline handler, style attribute or javascript: URL`);
    // Once the service sends the policy with the pages, it is this one.
    const sent = res.headers.get('content-security-policy');
    if (sent !== null) assert.equal(sent, csp, `${p}: the service sends the policy of csp.txt`);
  }
});

// Last: the pages' Content-Security-Policy (web/dist/csp.txt) held everywhere above.
test('no Content-Security-Policy violation on any page, worker or service worker opened above', async () => {
  await expectNoCspViolations();
});
