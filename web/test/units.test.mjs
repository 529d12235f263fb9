// Base45 (RFC 9285 and tests/unit/test_b45.c), base64url, the explanation
// texts (against the C texts in docs/vectors/bundle.json), the QR text's
// malformed reasons, and what the library needs of its environment.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  b45Decode, b45Encode, b64urlDecode, b64urlEncode, explanation, formatDate, qrDecode, reasonText, texts,
} from '../src/lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = JSON.parse(fs.readFileSync(path.join(here, '../../docs/vectors/bundle.json'), 'utf8'));
const ascii = (s) => new TextEncoder().encode(s);

test('Base45: the RFC 9285 vectors and the strict rules', () => {
  const vectors = { AB: 'BB8', 'Hello!!': '%69 VD92EX0', 'base-45': 'UJCLQE7W581', 'ietf!': 'QED8WEX0', '': '' };
  for (const [plain, enc] of Object.entries(vectors)) {
    assert.equal(b45Encode(ascii(plain)), enc);
    assert.equal(Buffer.from(b45Decode(ascii(enc))).toString(), plain);
  }
  assert.deepEqual([...b45Decode(ascii('FGW'))], [0xff, 0xff]);
  assert.deepEqual([...b45Decode(ascii('U5'))], [0xff]);
  for (const s of ['GGW', 'ZZZ', 'B', 'BB8B', 'BB8BB8B', 'ZZ', 'V5', 'BB8ZZ', 'bb8', 'BB\u00e9', '%69 VD92EX0 ']) {
    assert.equal(b45Decode(new TextEncoder().encode(s)), null, s);
  }
  for (let n = 0; n < 300; n += 7) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n) & 0xff);
    assert.deepEqual(b45Decode(ascii(b45Encode(b))), b);
  }
});

test('base64url without padding, strict', () => {
  for (let n = 0; n < 40; n++) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    const s = b64urlEncode(b);
    assert.equal(s, Buffer.from(b).toString('base64url'));
    assert.deepEqual(b64urlDecode(s), b);
  }
  for (const s of ['A', 'AB=', 'AB==', 'A+B/', 'AB C', 'AF', 'AAB', 'é']) assert.equal(b64urlDecode(s), null, s);
  assert.deepEqual([...b64urlDecode('AA')], [0]);
});

test('the texts are the C texts', () => {
  for (const lang of ['fr', 'en']) {
    const c = file.explain[lang];
    for (const k of ['verdict', 'next_step', 'reason', 'compare', 'work', 'application', 'about', 'disclaimer',
      'presentation'])
      assert.deepEqual(texts[lang][k], c[k], `${lang}.${k}`);
    for (const [ymd, want] of Object.entries(c.dates)) assert.equal(formatDate(lang, ymd), want);
    assert.equal(reasonText(lang, 'no_such_code'), 'no_such_code');
    assert.equal(reasonText(lang, null), '');
  }
  const e = explanation('fr', 'valid', null, true, 2);
  assert.deepEqual(Object.keys(e), ['verdict', 'next_step', 'compare', 'work', 'about', 'disclaimer']);
  assert.equal(e.compare, texts.fr.compare[1]);
  assert.equal(e.work, texts.fr.work[2]);
  assert.deepEqual(Object.keys(explanation('en', 'revoked', 'revoked', false, 1)),
    ['verdict', 'reason', 'next_step', 'about', 'disclaimer']);
  // A reduced code (the holder's card) says so, after what to do next; the full code says nothing more.
  const card = explanation('fr', 'valid', null, false, 1, 'reduced');
  assert.deepEqual(Object.keys(card), ['verdict', 'next_step', 'presentation', 'compare', 'work', 'about', 'disclaimer']);
  assert.match(card.presentation, /^Code réduit de la carte du titulaire : /);
  assert.deepEqual(explanation('fr', 'valid', null, false, 1, 'full'), explanation('fr', 'valid', null, false, 1));
});

test('the QR text: malformed reasons before any CBOR', () => {
  const reason = (t) => {
    try {
      qrDecode(t);
      return 'ok';
    } catch (e) {
      return e.code;
    }
  };
  assert.equal(reason('API1:'), 'base45');
  assert.equal(reason('API1'), 'prefix');
  assert.equal(reason('api1:BB8'), 'prefix');
  assert.equal(reason(`API1:${'0'.repeat(8192)}`), 'too_large');
  assert.equal(reason(`API1:${'0'.repeat(8187)}`), 'zlib', '8,192 bytes: not too large');
  assert.equal(reason(`API1:${b45Encode(Uint8Array.from([0xd2, ...new Uint8Array(4096)]))}`), 'too_large');
  assert.equal(reason(`API1:${b45Encode(Uint8Array.from([0xd2, ...new Uint8Array(4095)]))}`), 'ok');
  assert.equal(reason(`API1:${b45Encode(Uint8Array.from([0x78, 0x9c, 0x03]))}`), 'zlib');
  assert.equal(reason(`API1:${'é'.repeat(4094)}`), 'too_large', 'the bound is in UTF-8 bytes');
});

test('bundled for the pages\' browsers, it runs with nothing but TextEncoder and TextDecoder', async () => {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [path.join(here, '../src/lib/index.js')], bundle: true, write: false, format: 'iife',
    globalName: 'apiLib', platform: 'browser', target: ['es2020', 'chrome80', 'safari14.1', 'firefox78'], logLevel: 'silent',
  });
  const vm = await import('node:vm');
  const sandbox = vm.createContext({ TextEncoder, TextDecoder });
  vm.runInContext(out.outputFiles[0].text, sandbox);
  const b = file.bundles.find((x) => x.name === 'main');
  const v = b.vectors.find((x) => x.name === 'extended_by_segment');
  sandbox.input = JSON.stringify({ bundle: b.bundle, root: file.root_public_key, qr: v.qr });
  const report = JSON.parse(vm.runInContext(`(() => {
    const i = JSON.parse(input);
    const state = apiLib.loadBundle(i.bundle, i.root, ${apiTime(b.loaded_at)});
    return JSON.stringify(apiLib.verifyQr(i.qr, state, ${apiTime(v.at)}));
  })()`, sandbox));
  assert.deepEqual(report, v.report);
});

function apiTime(iso) {
  return Math.floor(Date.parse(iso) / 1000);
}
