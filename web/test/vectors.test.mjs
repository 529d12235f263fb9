// The shared vectors, run through the web library: every verdict, reason and
// report must be the C verifier's.
//   docs/vectors/attestations.json  the format's vectors (trust list only, no status data)
//   docs/vectors/bundle.json        offline bundles, written by tests/unit/test_bundle_vectors.c
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { loadBundle, loadTrustList, parseInstant, qrDecode, verifyQr, BundleError } from '../src/lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readJson = (p) => JSON.parse(fs.readFileSync(path.join(root, p), 'utf8'));
const hex = (b) => Buffer.from(b).toString('hex');
const at = (iso) => {
  const t = parseInstant(iso);
  assert.notEqual(t, null, `bad time ${iso}`);
  return t;
};

const attestations = readJson('docs/vectors/attestations.json');
const file = readJson('docs/vectors/bundle.json');

test('attestations.json: every vector gets the C verdict and reason (no status data)', async (t) => {
  const state = loadTrustList(Buffer.from(attestations.trust_list_cose_hex, 'hex'), attestations.root_public_key);
  for (const v of attestations.vectors) {
    await t.test(v.name, () => {
      // `accept`, when present: a reader of that one kind of code (full or reduced) only.
      const r = verifyQr(v.qr, state, at(v.at), v.accept ? { accept: v.accept } : {});
      assert.equal(r.result, v.result);
      assert.equal(r.reason, v.reason);
      assert.equal(r.status_checked, false);
      assert.equal(r.status_as_of, null);
      if (v.cose_hex && v.reason !== 'zlib') assert.equal(hex(qrDecode(v.qr)), v.cose_hex);
    });
  }
});

const bundles = new Map(file.bundles.map((b) => [b.name, b]));
const states = new Map();

/* The state a bundle leaves, loaded over the state of its `previous` one. */
function stateOf(name) {
  if (!states.has(name)) {
    const b = bundles.get(name);
    const previous = b.previous ? stateOf(b.previous) : null;
    states.set(name, loadBundle(JSON.stringify(b.bundle), file.root_public_key, at(b.loaded_at), previous));
  }
  return states.get(name);
}

for (const b of file.bundles) {
  test(`bundle.json: ${b.name}`, async (t) => {
    if (!b.loadable) {
      const previous = b.previous ? stateOf(b.previous) : null;
      assert.throws(() => loadBundle(b.bundle, file.root_public_key, at(b.loaded_at), previous), BundleError);
      return;
    }
    const state = stateOf(b.name);
    await t.test('load', () => {
      assert.equal(state.sync.trustRefused === null, b.trust_accepted, `trust list: ${state.sync.trustRefused}`);
      const got = state.sync.issuers.map((i) => ({ iss: i.iss, reached: i.reached, fork: i.fork, rollback: i.rollback }));
      assert.deepEqual(got, b.sync, JSON.stringify(state.sync.issuers, (k, x) => (typeof x === 'bigint' ? `${x}` : x)));
    });
    for (const v of b.vectors) {
      await t.test(v.name, () => {
        const r = verifyQr(v.qr, state, at(v.at));
        assert.equal(r.result, v.result);
        assert.equal(r.reason, v.reason);
        assert.deepEqual(r, v.report);
      });
    }
  });
}

test('bundle.json: loading never changes the previous state', () => {
  const main = stateOf('main');
  const before = main.feeds.get('FR-75');
  const snapshot = { seq: before.seq, head: hex(before.head), status: JSON.stringify([...before.status]) };
  stateOf('rollback');
  const after = main.feeds.get('FR-75');
  assert.equal(after, before);
  assert.deepEqual(
    { seq: after.seq, head: hex(after.head), status: JSON.stringify([...after.status]) },
    snapshot,
  );
  assert.equal(stateOf('rotated_root').trust.list.seq, 2n);
  assert.equal(stateOf('rollback').trust.list.seq, 2n);
  assert.equal(stateOf('rollback').counters.rollbacks, 2);
});

test('bundle.json: a state survives structured cloning (IndexedDB) and keeps its verdicts', () => {
  const b = bundles.get('rotated_root');
  const copy = structuredClone(stateOf('rotated_root'));
  for (const v of b.vectors) assert.deepEqual(verifyQr(v.qr, copy, at(v.at)), v.report);
  assert.equal(copy.sync.issuers[0].held, true);
  assert.equal(stateOf('tampered_segment').sync.issuers[0].held, false);
  assert.equal(stateOf('rollback').sync.issuers[0].held, true, 'a refused load keeps what was held');
});

test('bundle.json: a bundle as text or object, a bad bundle or key', () => {
  const b = bundles.get('main');
  const now = at(b.loaded_at);
  assert.equal(loadBundle(b.bundle, file.root_public_key, now).sync.issuers[0].reached, true);
  assert.throws(() => loadBundle('{', file.root_public_key, now), BundleError);
  assert.throws(() => loadBundle({ ...b.bundle, version: 2 }, file.root_public_key, now), BundleError);
  assert.throws(() => loadBundle(b.bundle, 'AAAA', now), BundleError);
  const otherRoot = Buffer.alloc(32, 7).toString('base64url');
  assert.throws(() => loadBundle(b.bundle, otherRoot, now), /trust list refused/);
  // a refused trust list over a held one keeps the held one
  const s = loadBundle({ ...b.bundle, trust_list: b.bundle.trust_list.slice(0, -4) }, file.root_public_key, now, stateOf('main'));
  assert.match(s.sync.trustRefused, /not a signed trust list/);
  assert.equal(s.trust, stateOf('main').trust);
});
