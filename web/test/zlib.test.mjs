// The strict inflater: the C verdicts of docs/vectors/bundle.json ("zlib"),
// zlib's own streams (node:zlib) at every level and strategy, and the
// strictness rules one by one.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import { inflateStrict } from '../src/lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const file = JSON.parse(fs.readFileSync(path.join(root, 'docs/vectors/bundle.json'), 'utf8'));
const u8 = (b) => new Uint8Array(b.buffer, b.byteOffset, b.length);

/* xorshift64*, as testkit_rand: reproducible inputs. */
function rng(seed) {
  let x = BigInt(seed);
  return () => {
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffffffffffffffffn;
    x ^= x >> 27n;
    return Number(((x * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 32n);
  };
}

test('every C zlib vector gets zc_inflate_strict\'s answer', async (t) => {
  assert.ok(file.zlib.length > 100);
  for (const v of file.zlib) {
    await t.test(v.name, () => {
      const out = inflateStrict(Uint8Array.from(Buffer.from(v.stream, 'hex')), v.max_out);
      assert.equal(out !== null, v.ok);
      if (v.ok) {
        assert.equal(out.length, v.length);
        assert.equal(crypto.createHash('sha256').update(out).digest('hex'), v.sha256);
      }
    });
  }
});

function inputs() {
  const r = rng(42);
  const text = Buffer.from('carte de séjour pluriannuelle salarié, DIALLO Aminata, 1990-04-12; '.repeat(40));
  const noise = Buffer.from(Array.from({ length: 3000 }, () => r() & 0xff));
  const sparse = Buffer.alloc(20000);
  for (let i = 0; i < 40; i++) sparse[r() % sparse.length] = r() & 0xff;
  return { empty: Buffer.alloc(0), one: Buffer.from('x'), text, noise, sparse, mixed: Buffer.concat([text, noise, text]) };
}

/* A stream cut by a sync flush in the middle: an empty stored block inside it. */
function syncFlushed(data) {
  return new Promise((resolve) => {
    const d = zlib.createDeflate({ level: 6 });
    const chunks = [];
    d.on('data', (c) => chunks.push(c));
    d.on('end', () => resolve(u8(Buffer.concat(chunks))));
    d.write(data.subarray(0, data.length >> 1));
    d.flush(zlib.constants.Z_SYNC_FLUSH, () => d.end(data.subarray(data.length >> 1)));
  });
}

test('zlib\'s own streams inflate, at every level and strategy', async () => {
  const strategies = [zlib.constants.Z_DEFAULT_STRATEGY, zlib.constants.Z_FILTERED, zlib.constants.Z_HUFFMAN_ONLY,
    zlib.constants.Z_RLE, zlib.constants.Z_FIXED];
  let n = 0;
  for (const [name, data] of Object.entries(inputs())) {
    for (let level = 0; level <= 9; level++) {
      for (const strategy of strategies) {
        const z = u8(zlib.deflateSync(data, { level, strategy }));
        const out = inflateStrict(z, data.length);
        assert.ok(out, `${name} level ${level} strategy ${strategy}`);
        assert.deepEqual(Buffer.from(out), data);
        n++;
      }
    }
    const z = await syncFlushed(data);
    assert.deepEqual(Buffer.from(inflateStrict(z, data.length)), data, `${name} with a sync flush`);
  }
  assert.equal(n, 300);
});

test('what the strict inflater accepts, zlib accepts, with the same output (mutated streams)', () => {
  const r = rng(7);
  let accepted = 0;
  for (const data of Object.values(inputs())) {
    if (data.length < 2) continue;
    const base = u8(zlib.deflateSync(data, { level: 9 }));
    for (let k = 0; k < 300; k++) {
      const z = base.slice();
      const flips = 1 + (r() % 3);
      for (let f = 0; f < flips; f++) z[r() % z.length] ^= 1 << (r() % 8);
      const out = inflateStrict(z, 1 << 16);
      if (out === null) continue;
      accepted++;
      assert.deepEqual(Buffer.from(out), zlib.inflateSync(z));
    }
  }
  assert.ok(accepted >= 0);
});

const stored = (payload, headerByte = 0x01) => {
  const len = payload.length;
  const a = adler(payload);
  return Uint8Array.from([0x78, 0x01, headerByte, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff, ...payload,
    a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff]);
};
function adler(b) {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

test('the rules one by one', () => {
  const hello = Buffer.from('hello');
  assert.deepEqual(Buffer.from(inflateStrict(stored(hello), 100)), hello);
  assert.equal(inflateStrict(stored(hello, 0xf9), 100), null, 'stored header padding');
  const good = u8(zlib.deflateSync(Buffer.from('an attestation'), { level: 9 }));
  assert.ok(inflateStrict(good, 100));
  assert.equal(inflateStrict(Uint8Array.from([...good, 0]), 100), null, 'a trailing byte');
  assert.equal(inflateStrict(good.subarray(0, good.length - 1), 100), null, 'truncated');
  assert.equal(inflateStrict(good, 13), null, 'one byte short of room');
  assert.equal(inflateStrict(good, 14).length, 14, 'exactly the room');
  const level1 = u8(zlib.deflateSync(Buffer.from('an attestation'), { level: 1 }));
  assert.equal(level1[0], 0x78);
  assert.ok(inflateStrict(level1, 100), 'FLEVEL bits are not checked');
  const small = u8(zlib.deflateSync(Buffer.from('an attestation'), { windowBits: 9 }));
  assert.notEqual(small[0], 0x78);
  assert.equal(inflateStrict(small, 100), null, 'CMF is 0x78 only');
  assert.equal(inflateStrict(Uint8Array.from([0x78, 0xbb, ...good.subarray(2)]), 100), null, 'FDICT');
  assert.equal(inflateStrict(Uint8Array.from([0x78, 0x9d, ...good.subarray(2)]), 100), null, 'header check');
  assert.equal(inflateStrict(new Uint8Array(0), 100), null);
  assert.equal(inflateStrict(Uint8Array.from([0x78]), 100), null);
  // non-zero padding after the final block: streams whose last deflate byte has its top bit unused
  let found = 0;
  for (let i = 0; i < 64; i++) {
    const z = u8(zlib.deflateSync(Buffer.from(`attestation ${i} `.repeat(i + 1)), { level: 9 }));
    const m = z.slice();
    m[z.length - 5] ^= 0x80;
    let same = false;
    try {
      same = Buffer.compare(zlib.inflateSync(m), zlib.inflateSync(z)) === 0;
    } catch {
      same = false; /* that bit was part of the last code */
    }
    if (same) {
      assert.ok(inflateStrict(z, 1 << 16));
      assert.equal(inflateStrict(m, 1 << 16), null, 'non-zero final padding');
      found++;
    }
  }
  assert.ok(found > 0);
});

test('a status list: 512 KiB out of a small stream, and a bomb refused', () => {
  const list = Buffer.alloc(524288);
  list[1234567 >> 2] = 1 << ((1234567 & 3) * 2);
  const z = u8(zlib.deflateSync(list, { level: 6 }));
  assert.ok(z.length < 2000);
  assert.deepEqual(Buffer.from(inflateStrict(z, 524288)), list);
  const bomb = u8(zlib.deflateSync(Buffer.alloc(8 << 20), { level: 9 }));
  const t0 = process.hrtime.bigint();
  assert.equal(inflateStrict(bomb, 524288), null);
  assert.ok(process.hrtime.bigint() - t0 < 2_000_000_000n);
});
