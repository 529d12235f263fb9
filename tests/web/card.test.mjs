// The holder's card, the reduced code (typ api-card+cwt, docs/format.md "The
// reduced presentation"), in Chromium at 360 × 800 against a real federation:
// /holder opened from the link the préfecture gives shows the card's QR code
// (which reads back to OUT/<id>-card.txt), says it is the reduced code, in its
// text and in the QR code's accessible name, and shows what the card does not
// present; /check verifies a card, pasted or as a holder link, says which code
// it read (data-presentation; its words are the checker's) and lists what is
// not presented; a revocation reaches the card as
// the full code; no Content-Security-Policy violation.
import { test, before, after } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { startFederation, day } from './federation.mjs';
import { launch, phone, open, paste, again, shot, expectNoAxeViolations, expectNoCspViolations, assert } from './helpers.mjs';

let fed;
let browser;
const A = {};

/** An attestation and its holder's card, written by `api-issuer issue` beside the full code. */
function issueWithCard(fields) {
  const a = fed.issue('FR-75', fields);
  a.card = fs.readFileSync(path.join(fed.dir, 'out', `${a.id}-card.txt`), 'utf8').replace(/\n$/, '');
  return a;
}

before(async () => {
  fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
  A.renewal = issueWithCard({ family_name: 'MARTIN', given_names: 'Jean Pierre', application: 'renewal',
    work_authorised: 'previous', previous_title: { number: '7501234567', expires_on: day(-12) } });
  A.revoked = issueWithCard({ family_name: 'REVOQUE', given_names: 'Paul' });
  fed.revoke('FR-75', A.revoked.id);
  await fed.waitVerdict(A.revoked.text, 'revoked');
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (fed) await fed.stop();
});

/* The holder link, as `api-issuer issue --holder-base` writes it (tests/cli/test_card.sh checks that). */
const link = (text) => `${fed.verifierUrl}/holder#${encodeURIComponent(text)}`;

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

test('the issuer writes a card shorter than the full code, of the same attestation', () => {
  assert.match(A.renewal.card, /^API1:/);
  assert.ok(A.renewal.card.length < A.renewal.text.length, `${A.renewal.card.length} < ${A.renewal.text.length}`);
  assert.ok(A.renewal.card.length <= 412, 'fits QR version 12 at level M');
  const card = fed.cliVerdict(A.renewal.card);
  const full = fed.cliVerdict(A.renewal.text);
  assert.deepEqual([card.result, card.presentation, full.presentation], ['valid', 'reduced', 'full']);
  assert.equal(card.attestation_id, full.attestation_id);
});

test('/holder from the link: the card\'s QR code, said to be the reduced code, to the eye and to a screen reader', async () => {
  const ctx = await phone(browser);
  const page = await open(ctx, link(A.renewal.card));
  await page.waitForSelector('#qr svg');
  assert.equal(new URL(page.url()).hash, '', 'the fragment is taken out of the address bar');
  assert.equal(await page.evaluate(() => localStorage.getItem('api.holder.qr')), A.renewal.card);
  assert.equal(await readShownQr(page), A.renewal.card, 'the QR code on the screen is the card');
  await page.waitForSelector('#summary [data-result="valid"]', { timeout: 15000 });
  await page.waitForSelector('#qr[data-presentation="reduced"]');

  // What a screen reader reads: the QR code's accessible name, and the text under it.
  const img = page.getByRole('img', { name: /code réduit de la carte du titulaire/ });
  assert.equal(await img.count(), 1, 'the QR code is an image named after the reduced code');
  assert.match(await page.textContent('#qr-kind'), /^Code réduit de la carte du titulaire$/);
  assert.equal(await page.isVisible('#qr-kind'), true);

  const summary = await page.textContent('#summary');
  for (const want of ['MARTIN', 'Jean Pierre', '12 avril 1990', 'Séjour régulier jusqu’au', 'Préfecture de police',
    'Code lu', 'code réduit de la carte du titulaire', 'Non présenté par ce code', 'nationalité', 'numéro d’étranger',
    'Code réduit de la carte du titulaire : il présente les noms'])
    assert.ok(summary.includes(want), `shows ${want}`);
  for (const never of ['SEN', '7503123456', '7501234567', 'renouvellement, carte'])
    assert.ok(!summary.includes(never), `does not show ${never}`);
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
  await expectNoAxeViolations(page, 'holder card, reduced code');
  await shot(page, 'holder-card-reduced');

  // In English, both the text and the accessible name.
  await page.click('#langs button[lang="en"]');
  await page.waitForSelector('#qr[aria-label*="reduced code of the holder’s card"]');
  assert.match(await page.textContent('#summary'), /Not presented by this code/);
  assert.match(await page.textContent('#qr-kind'), /^Reduced code of the holder’s card$/);
  await expectNoAxeViolations(page, 'holder card, reduced code, English');
  await page.click('#langs button[lang="fr"]');
  await ctx.close();
});

test('/holder with the full code (scanned from the paper) says it shows the full code', async () => {
  const ctx = await phone(browser);
  const page = await open(ctx, link(A.renewal.text));
  await page.waitForSelector('#qr[data-presentation="full"]', { timeout: 15000 });
  assert.equal(await page.getByRole('img', { name: /code complet de l’attestation/ }).count(), 1);
  const summary = await page.textContent('#summary');
  assert.ok(summary.includes('7501234567'), 'the full code shows the previous permit');
  assert.ok(!summary.includes('Non présenté'), 'and nothing is "not presented"');
  await ctx.close();
});

test('/check: a card pasted, and a holder link pasted, are verified and said to be the reduced code', async () => {
  const ctx = await phone(browser);
  const page = await open(ctx, `${fed.verifierUrl}/check`);
  await page.waitForFunction(() => window.apiCheck && window.apiCheck.engine.hasData(), null, { timeout: 15000 });

  const v = await paste(page, A.renewal.card);
  assert.equal(v.result, 'valid');
  assert.equal(await page.getAttribute('#verdict', 'data-presentation'), 'reduced');
  let details = await page.textContent('#details');
  for (const want of ['MARTIN', 'Non présenté par ce code', 'Code réduit de la carte du titulaire : il présente',
    'nationalité', 'numéro d’étranger', 'demande (nature, titre demandé, date de dépôt, titre précédent)'])
    assert.ok(details.includes(want), `shows ${want}`);
  assert.equal(await page.getAttribute('#details [data-not-presented]', 'data-not-presented'),
    'issued_at holder.nationality holder.foreign_national_number application');
  await expectNoAxeViolations(page, 'check, reduced code');
  await shot(page, 'check-card');
  await again(page);

  const full = await paste(page, A.renewal.text);
  assert.equal(full.result, 'valid');
  assert.equal(await page.getAttribute('#verdict', 'data-presentation'), 'full');
  details = await page.textContent('#details');
  assert.ok(!details.includes('Non présenté'), 'nothing is "not presented" for the full code');
  await again(page);

  const fromLink = await paste(page, link(A.renewal.card));
  assert.equal(fromLink.result, 'valid', 'a holder link pasted gives the code in its fragment');
  assert.equal(await page.getAttribute('#verdict', 'data-presentation'), 'reduced');
  await again(page);

  // A revocation reaches the card by the same status index.
  const revoked = await paste(page, A.revoked.card);
  assert.equal(revoked.result, 'revoked');
  assert.equal(await page.getAttribute('#verdict', 'data-presentation'), 'reduced');
  assert.equal(fed.cliVerdict(A.revoked.card).result, 'revoked');
  assert.equal(page.errors.length, 0, page.errors.join('\n'));
  await ctx.close();
});

// Last: the pages' Content-Security-Policy (web/dist/csp.txt) held everywhere above.
test('no Content-Security-Policy violation on any page, worker or service worker opened above', async () => {
  await expectNoCspViolations();
});
