// Ed25519 edge cases made by libsodium (docs/vectors/bundle.json, "signatures"):
// the page's verifier must give libsodium 1.0.18's answer on each. The other
// verifiers at hand are compared too, and their disagreements reported: they
// are why the page uses neither.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as noble from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha512';

import { ed25519Verify, sha256 } from '../src/lib/index.js';
import { hasSmallOrder, pointIsCanonical, scalarIsCanonical } from '../src/lib/ed25519.js';

noble.etc.sha512Sync = (...m) => sha512(noble.etc.concatBytes(...m));

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const file = JSON.parse(fs.readFileSync(path.join(root, 'docs/vectors/bundle.json'), 'utf8'));
const u8 = (h) => Uint8Array.from(Buffer.from(h, 'hex'));

test('every libsodium edge vector gets libsodium\'s answer', async (t) => {
  assert.ok(file.signatures.length >= 14);
  for (const v of file.signatures) {
    await t.test(v.name, () => {
      assert.equal(ed25519Verify(u8(v.signature), u8(v.message), u8(v.public_key)), v.valid);
    });
  }
});

test('a valid signature stops verifying when anything changes', () => {
  const v = file.signatures.find((s) => s.name === 'valid');
  const [sig, msg, pk] = [u8(v.signature), u8(v.message), u8(v.public_key)];
  assert.equal(ed25519Verify(sig, msg, pk), true);
  for (let i = 0; i < 64; i += 7) {
    const s = sig.slice();
    s[i] ^= 1;
    assert.equal(ed25519Verify(s, msg, pk), false, `signature byte ${i}`);
  }
  const m = msg.slice();
  m[0] ^= 1;
  assert.equal(ed25519Verify(sig, m, pk), false);
  assert.equal(ed25519Verify(sig.subarray(0, 63), msg, pk), false);
  assert.equal(ed25519Verify(sig, msg, pk.subarray(0, 31)), false);
});

test('RFC 8032 test 1 and 2', () => {
  const t1 = {
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    msg: '',
  };
  const t2 = {
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    msg: '72',
  };
  for (const x of [t1, t2]) assert.equal(ed25519Verify(u8(x.sig), u8(x.msg), u8(x.pk)), true);
});

test('the encoding checks of libsodium', () => {
  const L = u8('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
  assert.equal(scalarIsCanonical(L), false);
  const lm1 = L.slice();
  lm1[0] -= 1;
  assert.equal(scalarIsCanonical(lm1), true);
  assert.equal(scalarIsCanonical(new Uint8Array(32)), true);
  assert.equal(scalarIsCanonical(new Uint8Array(32).fill(0xff)), false);
  const p = u8(`ed${'ff'.repeat(30)}7f`);
  assert.equal(pointIsCanonical(p), false);
  const pm1 = p.slice();
  pm1[0] = 0xec;
  assert.equal(pointIsCanonical(pm1), true);
  pm1[31] |= 0x80; /* the sign bit is not part of y */
  assert.equal(pointIsCanonical(pm1), true);
  assert.equal(hasSmallOrder(pm1), true);
  const one = new Uint8Array(32);
  one[0] = 1;
  assert.equal(hasSmallOrder(one), true);
  one[31] = 0x80;
  assert.equal(hasSmallOrder(one), true);
  assert.equal(hasSmallOrder(u8(file.signatures[0].public_key)), false);
});

test('sha256 is SHA-256', () => {
  assert.equal(Buffer.from(sha256(new TextEncoder().encode('abc'))).toString('hex'),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

/* What the alternatives would answer, for the record (never an assertion on them). */
test('other verifiers on the same vectors (diagnostic)', async (t) => {
  const differ = { noble_default: [], noble_rfc8032: [], webcrypto: [] };
  let webcrypto = globalThis.crypto && globalThis.crypto.subtle;
  for (const v of file.signatures) {
    const [sig, msg, pk] = [u8(v.signature), u8(v.message), u8(v.public_key)];
    const tryVerify = (opts) => {
      try {
        return noble.verify(sig, msg, pk, opts);
      } catch {
        return false;
      }
    };
    if (tryVerify({ zip215: true }) !== v.valid) differ.noble_default.push(v.name);
    if (tryVerify({ zip215: false }) !== v.valid) differ.noble_rfc8032.push(v.name);
    if (webcrypto) {
      try {
        const key = await webcrypto.importKey('raw', pk, { name: 'Ed25519' }, false, ['verify']);
        if ((await webcrypto.verify({ name: 'Ed25519' }, key, sig, msg)) !== v.valid) differ.webcrypto.push(v.name);
      } catch (e) {
        if (e.name === 'NotSupportedError') webcrypto = null;
        else if (v.valid) differ.webcrypto.push(`${v.name} (${e.name})`);
      }
    }
  }
  if (!webcrypto) differ.webcrypto = ['(no Ed25519 in WebCrypto here)'];
  for (const [k, names] of Object.entries(differ)) t.diagnostic(`${k} differs from libsodium on: ${names.join(', ') || 'none'}`);
});
