// A trust list that lists a verifier's receipt key (member receipt_signers,
// docs/format.md "Verification receipts"): the web library, which does not
// use the member, still reads the list and verifies attestations with it.
//   docs/vectors/receipts.json  trust_list: FR-75 and FR-13 and one receipt signer
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { b64urlDecode, loadTrustList, parseInstant, trustVerify, verifyQr } from '../src/lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readJson = (p) => JSON.parse(fs.readFileSync(path.join(root, p), 'utf8'));

const receipts = readJson('docs/vectors/receipts.json');
const attestations = readJson('docs/vectors/attestations.json');

test('a trust list with receipt signers is read as before', () => {
  const cose = Buffer.from(receipts.trust_list.cose_hex, 'hex');
  assert.ok(cose.includes(Buffer.from('receipt_signers')), 'the list carries the member');
  const tl = trustVerify(cose, b64urlDecode(receipts.trust_list.root_public_key));
  assert.deepEqual(tl.entries.map((e) => e.id).sort(), ['FR-13', 'FR-75']);
});

test('attestations verify against a trust list with receipt signers', () => {
  const state = loadTrustList(Buffer.from(receipts.trust_list.cose_hex, 'hex'), receipts.trust_list.root_public_key);
  const valid = attestations.vectors.find((v) => v.name === 'valid');
  assert.ok(valid, 'the vector valid');
  const r = verifyQr(valid.qr, state, parseInstant(valid.at));
  assert.equal(r.result, 'valid');
});
