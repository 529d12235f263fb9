// The proof of verification from the web checker, in Chromium at 360 × 800
// against a real federation: after a verdict reached on the phone, /check
// offers a proof; the code leaves the phone only after the person has read
// what will be sent and said yes; the download is a one-page PDF that
// pdftotext reads, whose QR code zbarimg reads back to a receipt, which
// `api-verifier receipt check` accepts against the service's published
// receipt keys; offline, the page says a proof needs a connection; the
// page stays accessible (axe) and within its Content-Security-Policy.
import { test, before, after } from 'node:test';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startFederation, BIN } from './federation.mjs';
import { launch, phone, open, paste, shot, expectNoAxeViolations, expectNoCspViolations, assert } from './helpers.mjs';

let fed;
let browser;
let valid;

before(async () => {
  fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
  valid = fed.issue('FR-75', { family_name: 'PREUVE', given_names: 'Awa' });
  await fed.waitVerdict(valid.text, 'valid');
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (fed) await fed.stop();
});

/** Every request of the page whose body or URL carries the attestation's code. */
function watchCode(page, text) {
  const seen = [];
  const piece = text.slice(5, 45); // enough of the Base45 to recognise it, JSON-escaped or not
  page.on('request', (r) => {
    const body = r.postData() || '';
    if (body.includes(piece) || r.url().includes(encodeURIComponent(piece))) seen.push(r.url());
  });
  return seen;
}

test('a proof: offered after the verdict, sent only once agreed, a signed PDF that checks', async () => {
  const ctx = await phone(browser);
  const page = await open(ctx, `${fed.verifierUrl}/check/`);
  const sent = watchCode(page, valid.text);
  const v = await paste(page, valid.text);
  assert.equal(v.result, 'valid');
  assert.ok(await page.isVisible('#proof-btn'), 'the proof is offered after the verdict');
  assert.deepEqual(sent, [], 'the verdict was reached on the phone: the code went nowhere');

  // Asking first: the consent text and two choices; cancelling sends nothing.
  await page.click('#proof-btn');
  assert.ok(await page.isVisible('#proof-ask'));
  assert.equal(await page.getAttribute('#proof-btn', 'aria-expanded'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'proof-send');
  assert.match(await page.textContent('#proof-consent'), /envoyé au service/);
  await expectNoAxeViolations(page, 'proof asked');
  await shot(page, 'check-proof-ask');
  await page.click('#proof-cancel');
  assert.ok(!(await page.isVisible('#proof-ask')));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'proof-btn');
  assert.deepEqual(sent, [], 'nothing is sent before the person agrees');

  // Agreeing: the code goes to the service, a PDF comes back as a download.
  await page.click('#proof-btn');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click('#proof-send')]);
  assert.match(download.suggestedFilename(), /^preuve-verification-\d{4}-\d{2}-\d{2}\.pdf$/);
  const file = path.join(fed.dir, 'proof.pdf');
  await download.saveAs(file);
  await page.waitForFunction(() => /Preuve téléchargée/.test(document.getElementById('proof-msg').textContent));
  assert.ok(sent.length >= 1 && sent.every((u) => !u.includes('?payload')), 'the code travels in a body, never a URL');
  await shot(page, 'check-proof-done');

  const pdf = fs.readFileSync(file);
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const text = execFileSync('pdftotext', [file, '-']).toString().replace(/\s+/g, ' ');
  assert.match(text, /Preuve de vérification/);
  assert.match(text, /PREUVE Awa/);
  assert.match(text, /pas une autorisation délivrée par la préfecture/);
  assert.match(text, / api-verifier receipt check /, 'the command to check it, whole');
  assert.doesNotMatch(text, /Droit au travail/, 'a receipt without a key does not state the right to work');
  execFileSync('pdftoppm', ['-r', '150', '-png', '-singlefile', file, path.join(fed.dir, 'proof')]);
  const receipt = execFileSync('zbarimg', ['-q', '--raw', path.join(fed.dir, 'proof.png')]).toString().trim();
  assert.match(receipt, /^APR1:/);
  // The receipt on the paper checks against the keys the service publishes.
  const check = spawnSync(path.join(BIN, 'api-verifier'), ['receipt', 'check', '--file', file, '--keys',
    `${fed.verifierUrl}/api/v1/receipt-keys`], { encoding: 'utf8' });
  assert.equal(check.status, 0, `receipt check: ${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /PREUVE/);
  await ctx.close();
});

test('offline, a proof needs a connection, and the verdict stays', async () => {
  const ctx = await phone(browser);
  const page = await open(ctx, `${fed.verifierUrl}/check/`);
  const v = await paste(page, valid.text);
  assert.equal(v.result, 'valid');
  await ctx.setOffline(true);
  await page.click('#proof-btn');
  await page.waitForFunction(() => /connexion/.test(document.getElementById('proof-msg').textContent));
  assert.ok(!(await page.isVisible('#proof-ask')), 'nothing to agree to while offline');
  assert.equal(await page.getAttribute('#verdict', 'data-result'), 'valid');
  await expectNoAxeViolations(page, 'proof offline');
  await ctx.setOffline(false);
  await ctx.close();
});

test('no Content-Security-Policy violation', async () => {
  await expectNoCspViolations();
});
