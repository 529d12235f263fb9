// The reduced presentation (the holder's card, typ api-card+cwt), in the
// library as in qr/claims.c and tests/unit/test_claims.c: the card's claims
// decoded, every claim it needs required, the claims it leaves out on purpose
// refused, unknown ones (and iat, the status uri) ignored; the typ decides the
// decoder; and the code of a holder link, scanned or pasted (scan.js, codeFromScan).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  claimsDecode, ClaimsError, codeFromScan, coseParse, loadTrustList, qrDecode, verifyResult, TYP_CARD,
} from '../src/lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(fs.readFileSync(path.join(here, '../../docs/vectors/attestations.json'), 'utf8'));
const byName = (n) => vectors.vectors.find((v) => v.name === n);

/* A small canonical CBOR writer: integers, text, bytes, maps (keys sorted by their encoding). */
function head(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
function enc(v) {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const b = [...new TextEncoder().encode(v)];
    return [...head(3, b.length), ...b];
  }
  if (v instanceof Uint8Array) return [...head(2, v.length), ...v];
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [enc(k), enc(x)]);
    entries.sort(([a], [b]) => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
      return a.length - b.length;
    });
    return [...head(5, entries.length), ...entries.flatMap(([k, x]) => [...k, ...x])];
  }
  throw new Error(`cannot encode ${v}`);
}
const bytes = (v) => Uint8Array.from(enc(v));

/* The card of the docs' example, as qr/claims.c writes it; edit(top, status, att) changes it before encoding. */
function card(edit = () => {}) {
  const att = new Map([['v', 1], ['fn', 'DIALLO'], ['gn', 'Aminata'], ['dob', '1990-04-12'], ['wrk', 1]]);
  const statusList = new Map([['idx', 1234567]]);
  const top = new Map([[1, 'FR-75'], [4, 1797375599], [5, 1789423200],
    [7, Uint8Array.from(Buffer.from('a0a1a2a3a4a5a6a7a8a9aaab', 'hex'))],
    [65535, new Map([['status_list', statusList]])], [-65537, att]]);
  edit(top, statusList, att);
  return bytes(top);
}

const refused = (payload, why) => assert.throws(() => claimsDecode(payload, 'reduced'), ClaimsError, why);

test('the card of the vectors decodes to its claims, the others empty', () => {
  const msg = coseParse(qrDecode(byName('card_valid').qr));
  assert.equal(msg.typ, TYP_CARD);
  assert.deepEqual(Buffer.from(msg.payload), Buffer.from(card()), 'the writer here writes what the issuer signs');
  const c = claimsDecode(msg.payload, 'reduced');
  assert.equal(c.iss, 'FR-75');
  assert.equal(c.fn, 'DIALLO');
  assert.equal(c.gn, 'Aminata');
  assert.equal(c.dob, '1990-04-12');
  assert.equal(c.wrk, 1);
  assert.equal(c.statusIdx, 1234567);
  assert.deepEqual([c.iat, c.statusUri, c.nat, c.fnn, c.app, c.tit, c.fil, c.prv], [0, '', '', '', 0, '', '', null]);
  // The same payload is not a full code's claims.
  assert.throws(() => claimsDecode(msg.payload), ClaimsError);
});

test('every claim a card needs is required', () => {
  for (const k of [1, 4, 5, 7, 65535, -65537]) refused(card((top) => top.delete(k)), `top-level ${k}`);
  for (const k of ['v', 'fn', 'gn', 'dob', 'wrk']) refused(card((top, sl, att) => att.delete(k)), k);
  refused(card((top, sl) => sl.delete('idx')), 'status idx');
  refused(card((top) => top.set(65535, new Map())), 'no status_list');
});

test('a card that carries what it leaves out is refused; unknown claims, iat and the status uri are ignored', () => {
  for (const [k, v] of [['nat', 'SEN'], ['fnn', '7503123456'], ['app', 2], ['tit', 'carte'], ['fil', '2026-09-01'],
    ['prv', new Map([['no', '7501234567'], ['exp', '2026-09-30']])]])
    refused(card((top, sl, att) => att.set(k, v)), `a card with ${k}`);
  const plain = claimsDecode(card(), 'reduced');
  const extra = claimsDecode(card((top, sl, att) => {
    top.set(6, 1789372800);
    top.set(99, 'later');
    sl.set('uri', '/feed/v1/FR-75/snapshot');
    att.set('zzz', 1);
  }), 'reduced');
  assert.deepEqual(extra, plain);
});

test('the card\'s claims follow the full code\'s rules', () => {
  const bad = {
    iss: (top) => top.set(1, 'fr-75'),
    exp: (top) => top.set(4, 1789423199),
    'status.idx': (top, sl) => sl.set('idx', 2 ** 21),
    v: (top, sl, att) => att.set('v', 2),
    fn: (top, sl, att) => att.set('fn', ''),
    'fn control': (top, sl, att) => att.set('fn', 'DI\u0007ALLO'),
    dob: (top, sl, att) => att.set('dob', '1990-13-01'),
    wrk: (top, sl, att) => att.set('wrk', 3),
    'gn type': (top, sl, att) => att.set('gn', 7),
    'cti length': (top) => top.set(7, new Uint8Array(11)),
  };
  for (const [why, edit] of Object.entries(bad)) refused(card(edit), why);
  assert.equal(claimsDecode(card((top, sl, att) => att.set('gn', '')), 'reduced').gn, '', 'no given names');
  assert.equal(claimsDecode(card((top, sl, att) => att.set('dob', '1990')), 'reduced').dob, '1990');
});

test('the typ decides: a reader of one kind refuses the other at step 2', () => {
  const state = loadTrustList(Buffer.from(vectors.trust_list_cose_hex, 'hex'), vectors.root_public_key);
  const at = Math.floor(Date.parse('2026-10-01T10:00:00Z') / 1000);
  const cardText = byName('card_valid').qr;
  const fullText = byName('valid').qr;
  assert.equal(verifyResult(cardText, state, at).presentation, 'reduced');
  assert.equal(verifyResult(fullText, state, at).presentation, 'full');
  for (const [text, accept, want] of [[cardText, 'full', 'typ'], [fullText, 'reduced', 'typ'],
    [cardText, 'reduced', null], [fullText, 'full', null]]) {
    const r = verifyResult(text, state, at, { accept });
    assert.equal(r.reason, want, `${accept} reader`);
    assert.equal(r.presentation, want ? null : accept, 'a refused typ reads no presentation');
  }
  assert.equal(verifyResult(byName('wrong_typ').qr, state, at).presentation, null);
});

test('codeFromScan: the code of a holder link, scanned or pasted, or of a QR text', () => {
  const text = byName('card_valid').qr;
  const full = byName('valid').qr;
  assert.match(text, /[ %+/:$]/, 'the card of the vectors has characters a URL must encode');
  for (const code of [text, full]) {
    for (const link of [`https://verif.example/holder#${encodeURIComponent(code)}`,
      `https://verif.example/holder/#${encodeURIComponent(code)}`,
      `HTTPS://verif.example/holder#${encodeURIComponent(code)}`,
      `  http://127.0.0.1:8080/holder#${encodeURIComponent(code)}\r\n`])
      assert.equal(codeFromScan(link), code, link.slice(0, 40));
    assert.equal(codeFromScan(code), code, 'a QR text as it is');
    assert.equal(codeFromScan(`${code}\r\n`), code, 'a final line end dropped');
    assert.equal(codeFromScan(`\t ${code}`), code, 'white space before it dropped');
  }
  // A fragment left raw (as a person may paste it) still reads, '%' and spaces included.
  assert.equal(codeFromScan(`https://verif.example/holder#${text}`), text, 'a raw fragment');
  // Spaces inside a QR text are Base45, never trimmed.
  assert.equal(codeFromScan(' API1:A B '), 'API1:A B ');
  // What holds no code is returned as read, for the verification to refuse with its reason.
  for (const s of ['', 'hello', 'https://verif.example/holder', 'https://verif.example/holder#nothing',
    'ftp://x/holder#API1%3AAB', 'https://verif.example/holder#%E0%A4%A'])
    assert.equal(codeFromScan(s), s, JSON.stringify(s));
  assert.equal(codeFromScan(undefined), '');
  assert.equal(codeFromScan(null), '');
  // A fragment that percent-decodes to an API1: text that does not decode is still that text (its reason: base45).
  assert.equal(codeFromScan('https://x/holder#API1%3AZZZ'), 'API1:ZZZ');
  const state = loadTrustList(Buffer.from(vectors.trust_list_cose_hex, 'hex'), vectors.root_public_key);
  const at = Math.floor(Date.parse('2026-10-01T10:00:00Z') / 1000);
  const r = verifyResult(codeFromScan(`https://verif.example/holder#${encodeURIComponent(text)}`), state, at);
  assert.deepEqual([r.verdict, r.presentation], ['valid', 'reduced']);
  assert.equal(verifyResult(codeFromScan('https://x/holder#nothing'), state, at).reason, 'prefix');
});
