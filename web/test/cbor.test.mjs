// The canonical-CBOR gate (cbor.js) with the cases of tests/unit/test_cbc.c.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cborCheck, cborLoad, CborReader, CborTag, getInt64, getText, getUint } from '../src/lib/cbor.js';

const h = (s) => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));
const ok = (s, depth) => assert.equal(cborCheck(h(s), depth), true, s);
const bad = (s, depth) => assert.equal(cborCheck(h(s), depth), false, s);

test('definite lengths only', () => {
  for (const s of ['9f01ff', '9fff', 'bf0102ff', '5f4100ff', '7f6161ff', '82019fff', 'ff', '1c', '3d', '5e']) bad(s);
  for (const s of ['8101', 'a10102', '4100', '6161']) ok(s);
});

test('shortest heads only', () => {
  for (const s of ['1805', '1817', '190005', '1900ff', '1a0000ffff', '1b00000000ffffffff', '3805', '580100', '780161',
    '980100', 'b8010000', 'd81200']) bad(s);
  for (const s of ['17', '1818', '18ff', '190100', '1a00010000', '1b0000000100000000', '3bffffffffffffffff', 'd200',
    'd81800']) ok(s);
  bad('1901');
  bad('1b00000001000000');
});

test('no duplicate keys', () => {
  for (const s of ['a2 01 01 01 02', 'a2 6161 01 6161 02', 'a3 01 00 02 00 01 00', 'a2 20 00 20 00', 'a1 01 a2 02 00 02 01']) bad(s);
  ok('a2 01 00 21 00');
  ok('a2 6161 00 4161 00');
});

test('no trailing bytes, no claim beyond the input', () => {
  for (const s of ['0100', '810101', 'a0a0', '410000', '8201', '4200', 'a101', 'd2', '9b0000002000000000',
    'bb0000002000000000', '5b0000002000000000', '7b0000002000000000', '9bffffffffffffffff', 'bbffffffffffffffff',
    '5bffffffffffffffff', '9affffffff000000', '82009b0000002000000000', 'a301020304']) bad(s);
  bad('');
});

test('floats and simple values', () => {
  for (const s of ['f4', 'f5', 'f6']) ok(s);
  for (const s of ['f7', 'f0', 'f818', 'f93c00', 'fa3f800000', 'fb3ff0000000000000', 'e0']) bad(s);
});

test('nesting: at most maxDepth containers', () => {
  assert.equal(cborCheck(h('01'), 0), true);
  assert.equal(cborCheck(h('8101'), 0), false);
  assert.equal(cborCheck(h('8101'), 1), true);
  ok('81'.repeat(16) + '01');
  bad('81'.repeat(17) + '01');
  ok('d8 18'.repeat(15) + '8101');
  bad('d8 18'.repeat(16) + '8101');
});

test('UTF-8', () => {
  for (const s of ['62c3a9', '64f09f9880', '63efbfbf', '64f48fbfbf', '63efbbbf']) ok(s);
  for (const s of ['62c328', '62c0af', '62c1bf', '63e080af', '64f08080af', '63eda080', '63edbfbf', '64f4908080',
    '64f5808080']) bad(s);
  assert.equal(cborLoad(h('63efbbbf')), '\ufeff', 'a leading byte-order mark is kept');
});

test('decoded values', () => {
  const x = cborLoad(h('a4 01 6546522d3735 3a00010000 d21863 1b0020000000000000 3b7fffffffffffffff 4101 f6'));
  assert.ok(x instanceof Map);
  assert.equal(x.get(1), 'FR-75');
  assert.ok(x.get(-65537) instanceof CborTag);
  assert.equal(x.get(-65537).tag, 18);
  assert.equal(x.get(-65537).value, 99);
  assert.equal(x.get(2n ** 53n), -(2n ** 63n));
  assert.equal(getInt64(x.get(2n ** 53n)), -(2n ** 63n));
  assert.equal(getInt64(-(2n ** 63n) - 1n), undefined);
  assert.equal(getInt64(2n ** 63n), undefined);
  assert.equal(getUint(2n ** 64n - 1n), 2n ** 64n - 1n);
  assert.equal(getUint(-1), undefined);
  assert.equal(getText('a\0b', 10), undefined);
  assert.equal(getText('é'.repeat(5), 10), undefined, '10 bytes: not below 10');
  assert.equal(getText('é'.repeat(4), 10), 'éééé');
});

test('the cursor reads checked bytes', () => {
  const r = new CborReader(h('a2 6369737365 46522d3735 6565706f6368 00'));
  assert.equal(r.map(), 2n);
  assert.equal(Buffer.from(r.textBytes()).toString(), 'iss');
  assert.equal(r.uint(), null, 'text is not a uint');
  const s = new CborReader(h('82 01 a1 0102 3b7fffffffffffffff'));
  assert.equal(s.skip(), true);
  assert.equal(s.int64(), -(2n ** 63n));
});
