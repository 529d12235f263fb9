// The offline bundle stays small: after 50 status changes over several
// snapshots, the verifier keeps the newest snapshot it could verify, so
// /api/v1/bundle holds about one snapshot and the segments since it (within
// 10 %), not the whole history; and the checker's library, given that
// compacted bundle alone, still verifies every attestation of the test with
// the command-line verifier's verdict. (No browser: the library runs in node.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { day, startFederation } from './federation.mjs';
import { b64urlDecode, checkpointParse, loadBundle, segmentParse, snapshotParse, verifyQr } from '../../web/src/lib/index.js';

let fed;
const issued = [];

before(async () => {
  fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
  for (let i = 0; i < 20; i++) issued.push(fed.issue('FR-75', { family_name: `COMPACT${i}` }));
});

after(async () => {
  if (fed) await fed.stop();
});

const feedGet = async (what) => {
  const r = await fetch(`http://127.0.0.1:${fed.issuers['FR-75'].port}/feed/v1/FR-75/${what}`);
  assert.equal(r.status, 200, what);
  return new Uint8Array(await r.arrayBuffer());
};

let early; // the bundle after the first round of changes

const bundleOf = async () => {
  const r = await fetch(`${fed.verifierUrl}/api/v1/bundle`);
  assert.equal(r.status, 200);
  const text = await r.text();
  return { text, json: JSON.parse(text) };
};

test('50 status changes over several snapshots: the bundle keeps one snapshot and the segments since it', async () => {
  // Five rounds of ten changes; each round is published (and snapshotted) before the next.
  const expect = new Map(issued.map((a) => [a.id, 'valid']));
  let changes = 0;
  for (let round = 0; round < 5; round++) {
    let last;
    for (let k = 0; k < 10; k++) {
      const a = issued[(round * 10 + k) % issued.length];
      const now = expect.get(a.id);
      if (now === 'valid' && round % 2 === 0) {
        fed.suspend('FR-75', a.id);
        expect.set(a.id, 'suspended');
      } else if (now === 'suspended') {
        fed.revoke('FR-75', a.id);
        expect.set(a.id, 'revoked');
      } else if (now === 'valid') {
        fed.extend('FR-75', a.id, day(65 + 5 * round)); // later each time, within three months
      } else {
        continue; // revoked: final
      }
      changes++;
      last = a;
    }
    if (last) await fed.waitVerdict(last.text, expect.get(last.id));
    if (round === 0) early = await bundleOf(); // what a phone loaded then
  }
  // Top up to exactly 50 changes with extensions of valid ones.
  for (const a of issued) {
    if (changes >= 50) break;
    if (expect.get(a.id) !== 'valid') continue;
    fed.extend('FR-75', a.id, day(95));
    changes++;
  }
  assert.equal(changes, 50);

  // The issuer's feed: its newest snapshot, and every segment it ever published.
  let cp;
  const deadline = Date.now() + 30000;
  let b;
  for (;;) {
    cp = checkpointParse(await feedGet('checkpoint')).at;
    b = await bundleOf();
    const is = b.json.issuers.find((x) => x.iss === 'FR-75');
    const held = is && is.snapshot ? snapshotParse(b64urlDecode(is.snapshot)).at : null;
    const bcp = is ? checkpointParse(b64urlDecode(is.checkpoint)).at : null;
    if (held && bcp && bcp.seq === 50n && held.seq === bcp.seq) break;
    assert.ok(Date.now() < deadline, `the bundle did not reach seq 50 with its snapshot (snapshot ${held?.seq}, checkpoint ${bcp?.seq})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(cp.seq, 50n);
  const snap = await feedGet('snapshot');
  const snapAt = snapshotParse(snap).at;
  let since = 0;
  let history = 0;
  for (let s = 1n; s <= cp.seq; ) {
    const seg = await feedGet(`segments/${s}`);
    history += seg.length;
    const parsed = segmentParse(seg); // the next segment starts after this one's last event
    if (s > snapAt.seq) since += seg.length;
    s = parsed.first + BigInt(parsed.events.length);
  }
  const is = b.json.issuers.find((x) => x.iss === 'FR-75');
  const held = b64urlDecode(is.snapshot).length + is.segments.reduce((n, x) => n + b64urlDecode(x).length, 0);
  const ideal = snap.length + since;
  console.log(`bundle: FR-75 objects ${held} bytes (snapshot ${b64urlDecode(is.snapshot).length}, ${is.segments.length} segments); ` +
    `newest snapshot + segments since it: ${ideal} bytes; the whole history of segments: ${history} bytes; ` +
    `whole bundle ${b.text.length} bytes`);
  assert.ok(held <= ideal * 1.1, `${held} bytes held, more than 10 % over ${ideal}`);

  // The checker's library, from the compacted bundle alone, gives every verdict of the command-line verifier.
  const now = Math.floor(Date.now() / 1000);
  const state = loadBundle(b.text, fed.rootKey, now);
  for (const a of issued) {
    const r = verifyQr(a.text, state, now);
    const c = fed.cliVerdict(a.text);
    assert.equal(r.result, expect.get(a.id), `${a.id}: the library's verdict`);
    assert.equal(r.result, c.result, `${a.id}: the library and the command-line verifier agree`);
    assert.equal(r.validity?.effective_until ?? null, c.validity?.effective_until ?? null, `${a.id}: same end of validity`);
  }

  // A phone that loaded the bundle after the first round holds a seq the compacted bundle has no
  // segment after: it starts again from the bundle's snapshot and reaches the same verdicts.
  const earlyState = loadBundle(early.text, fed.rootKey, now);
  const earlySeq = earlyState.sync.issuers.find((x) => x.iss === 'FR-75').seqAfter;
  assert.ok(earlySeq > 0n && earlySeq < snapAt.seq, `the early bundle held seq ${earlySeq}`);
  assert.ok(!is.segments.some((x) => segmentParse(b64urlDecode(x)).first === earlySeq + 1n),
    'the compacted bundle has no segment right after the early seq');
  const later = loadBundle(b.text, fed.rootKey, now, earlyState);
  const rp = later.sync.issuers.find((x) => x.iss === 'FR-75');
  assert.equal(rp.error, null);
  assert.equal(rp.reached, true);
  assert.equal(rp.seqAfter, cp.seq);
  for (const a of issued) {
    assert.equal(verifyQr(a.text, later, now).result, expect.get(a.id), `${a.id}: the verdict over the early state`);
  }
});
