/*
 * bundle.js: the offline checker's replica, built from the offline bundle
 * (docs/federation.md, "The offline bundle") with the rules of
 * verifier/replica.c, so that a page and a verifier that hold the same
 * signed objects give the same verdicts.
 *
 * loadBundle takes the bundle JSON, the pinned root key and the time, and
 * optionally the state of an earlier load (`previous`), and returns a new
 * state; the previous state is never changed. In order:
 *   1. The trust list (replica_offer_trust): it must verify with the pinned
 *      root, or with the next_root announced by the list held, or with the
 *      root that verified the list held; its seq must be greater than the
 *      held one (the same bytes again are a no-op; anything else is a
 *      rollback, refused and counted). Refused, the held list stays in use;
 *      with none held, loadBundle throws. A list that raises an issuer's
 *      feed epoch drops that issuer's held feed.
 *   2. Each issuer id of the list that has a feed URL (replica_sync, with
 *      the bundle as the only source): the checkpoint (key of that issuer,
 *      not compromised, retired only for objects signed before retired_at,
 *      the trust list's epoch, not signed more than 5 minutes after now, not
 *      older than the one held: rollback; the same seq with another head:
 *      fork), then the snapshot (seq not beyond the checkpoint's; equal
 *      seq, equal head) when nothing is held yet, or when the bundle has no
 *      segment after the held seq and its snapshot is later than it (a
 *      bundle starts at its verifier's newest snapshot: compaction), then
 *      every segment from the held seq + 1 to the checkpoint's seq (signer,
 *      iss, epoch, first, consecutive seqs, not past the checkpoint) with
 *      the hash chain, whose head must reach the checkpoint's. An issuer's batch is taken whole or
 *      not at all: one that fails keeps what was held before (nothing, on a
 *      first load), and the report says why.
 * The bundle serves objects as the HTTP paths would: `segments/N` is the
 * first segment of the bundle's list whose `first` is N (a missing one is a
 * 404). Unlike replica.c no batch bound applies (at most 200 segments per
 * sync there, the rest at the next sync): the bundle is applied whole.
 */
import { checkpointParse, feedBitsGet, feedChain, segmentParse, snapshotParse, u64, FeedError, FEED_LIST_BYTES,
  FEED_MAX_CHECKPOINT_COSE, FEED_MAX_SEGMENT_COSE, FEED_MAX_SNAPSHOT_COSE, EVENT_STATUS } from './feed.js';
import { isZeroInt } from './cbor.js';
import { coseVerify } from './cose.js';
import { bytesEqual, trustFindKid, trustVerify, TrustError } from './trust.js';

export const MAX_CLOCK_SKEW = 300; /* a checkpoint signed more than this in the future is refused */
const ZERO_HEAD = new Uint8Array(32);
const INT64_MIN = -(1n << 63n);

export class BundleError extends Error {}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64URL_VALUES[B64URL.charCodeAt(i)] = i;

/**
 * base64url without padding, strict (libsodium's URLSAFE_NO_PADDING): null
 * for a character outside the alphabet, padding, a length of 4n+1 or
 * non-zero unused bits.
 */
export function b64urlDecode(text) {
  if (typeof text !== 'string' || text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64URL_VALUES[c] : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (acc & ((1 << bits) - 1)) return null;
  return out;
}

export function b64urlEncode(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) s += B64URL[(n >> (18 - 6 * k)) & 63];
  }
  return s;
}

/** A 32-byte key in base64url (b64url_decode_exact: surrounding blanks allowed); throws BundleError. */
export function decodeKey(text) {
  const k = typeof text === 'string' ? b64urlDecode(text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')) : null;
  if (!k || k.length !== 32) throw new BundleError('the root key is not 32 bytes of base64url');
  return k;
}

/* ---- the trust list ---- */

/* The feed epoch of an issuer id: the highest of its entries'. */
function trustIdEpoch(tl, id) {
  let epoch = 0n;
  for (const e of tl.entries) if (e.id === id && e.epoch > epoch) epoch = e.epoch;
  return epoch;
}

/* The feed URL of an issuer id: its active entry's, else any entry's; '' if none. */
function trustIdFeed(tl, id) {
  let any = '';
  for (const e of tl.entries) {
    if (e.id !== id || !e.feed) continue;
    if (e.state === 'active') return e.feed;
    if (!any) any = e.feed;
  }
  return any;
}

/* The issuer ids of a list, each once, in order. */
const trustIds = (tl) => [...new Set(tl.entries.map((e) => e.id))];

/*
 * replica_offer_trust over a state: {trust, refused} where trust is the
 * list to use and refused says why the offered one was not taken.
 */
function offerTrust(cose, rootPk, held, counters, feeds) {
  let list;
  let used = rootPk;
  try {
    list = trustVerify(cose, rootPk);
  } catch (first) {
    if (!(first instanceof TrustError)) throw first;
    const others = [];
    if (held && held.list.nextRoot) others.push(held.list.nextRoot);
    if (held && held.root && !bytesEqual(held.root, rootPk)) others.push(held.root);
    for (const k of others) {
      try {
        list = trustVerify(cose, k);
        used = k;
        break;
      } catch (e) {
        if (!(e instanceof TrustError)) throw e;
      }
    }
    if (!list) return { trust: held, refused: first.message };
  }
  if (held && list.seq <= held.list.seq) {
    if (list.seq === held.list.seq && bytesEqual(held.cose, cose)) return { trust: held, refused: null };
    counters.rollbacks++;
    const why =
      list.seq === held.list.seq
        ? `rollback: another list with the held seq ${held.list.seq}`
        : `rollback: seq ${list.seq} is older than the held ${held.list.seq}`;
    return { trust: held, refused: why };
  }
  for (const id of trustIds(list)) {
    const h = feeds.get(id);
    if (h && trustIdEpoch(list, id) > h.epoch) feeds.delete(id);
  }
  return { trust: { cose, list, root: used }, refused: null };
}

/* ---- one issuer's feed ---- */

class SourceFail extends Error {}
const srcFail = (why) => {
  throw new SourceFail(why);
};

/* The objects a bundle holds for one issuer, served by path. */
class BundleSource {
  constructor(obj) {
    this.obj = obj && typeof obj === 'object' ? obj : {};
    this.segments = null;
  }

  /* The bytes of a field: null for a 404, bytes, or a failure. */
  field(what, value, max) {
    if (value === null || value === undefined) srcFail(`${what}: HTTP 404`);
    const b = b64urlDecode(value);
    if (!b) srcFail(`${what}: not base64url`);
    if (b.length > max) srcFail(`${what}: larger than ${max} bytes`);
    return b;
  }

  checkpoint() {
    return this.field('checkpoint', this.obj.checkpoint, FEED_MAX_CHECKPOINT_COSE);
  }

  /* The snapshot's bytes, or null when the bundle has none (a 404: replay from the first segment). */
  snapshot() {
    const v = this.obj.snapshot;
    return v === null || v === undefined ? null : this.field('snapshot', v, FEED_MAX_SNAPSHOT_COSE);
  }

  /* Whether the bundle holds the segment that starts at first. */
  hasSegment(first) {
    return !!this.find(first);
  }

  segment(first) {
    const what = `segments/${first}`;
    const hit = this.find(first);
    if (!hit) srcFail(`${what}: HTTP 404`);
    if (hit.bytes.length > FEED_MAX_SEGMENT_COSE) srcFail(`${what}: larger than ${FEED_MAX_SEGMENT_COSE} bytes`);
    return hit.bytes;
  }

  /* The bundle's segment that starts at first, or undefined (the segments are parsed once for their first seq). */
  find(first) {
    if (!this.segments) {
      const list = Array.isArray(this.obj.segments) ? this.obj.segments : [];
      this.segments = list.map((v) => {
        const b = typeof v === 'string' ? b64urlDecode(v) : null;
        if (!b) return null;
        try {
          return { bytes: b, first: segmentParse(b).first };
        } catch (e) {
          if (e instanceof FeedError) return null;
          throw e;
        }
      });
    }
    return this.segments.find((s) => s && s.first === first);
  }
}

/* feed_signer_ok: a key allowed to sign iss's feed objects verified msg; the reason otherwise. */
function signerProblem(tl, msg, iss, latest) {
  const t = trustFindKid(tl, msg.kid);
  if (!t) return 'signed by a key not in the trust list';
  if (t.id !== iss) return `signed by a key of ${t.id}, not of ${iss}`;
  if (t.state === 'compromised') return 'signed by a compromised key';
  if (t.state === 'retired' && latest >= t.retiredAt) return 'signed by a key retired before it';
  if (!coseVerify(msg, t.pub)) return 'the signature does not verify';
  return null;
}

function checkState(c, at, msg, what) {
  if (at.iss !== c.iss) srcFail(`${what}: of issuer ${at.iss}`);
  if (at.epoch !== c.epoch) srcFail(`${what}: epoch ${at.epoch}, the trust list says ${c.epoch}`);
  if (at.signedAt > c.now + MAX_CLOCK_SKEW)
    srcFail(`${what}: signed in the future (${BigInt(at.signedAt) - BigInt(c.now)}s ahead)`);
  const why = signerProblem(c.tl, msg, c.iss, at.signedAt);
  if (why) srcFail(`${what}: ${why}`);
}

function parseOr(what, parse, bytes) {
  try {
    return parse(bytes);
  } catch (e) {
    if (e instanceof FeedError) return srcFail(`${what}: ${e.message}`);
    throw e;
  }
}

/* One event on the status map (status_apply). */
function applyEvent(status, ev) {
  const cur = status.get(ev.idx);
  let st = cur ? cur.status : 0;
  let ext = cur ? cur.ext : 0;
  if (ev.kind === EVENT_STATUS) st = Number(ev.value) & 3;
  else if (ev.value > ext) ext = ev.value;
  if (st === 0 && isZeroInt(ext)) status.delete(ev.idx);
  else status.set(ev.idx, { status: st, ext });
}

/* The status map of a snapshot (snapshot_apply): every non-zero status, every extension. */
function snapshotStatus(s) {
  const status = new Map();
  for (let i = 0; i < FEED_LIST_BYTES; i++) {
    const b = s.bits[i];
    if (b === 0) continue;
    for (let j = 0; j < 4; j++) {
      const st = (b >> (2 * j)) & 3;
      if (st) status.set(i * 4 + j, { status: st, ext: 0 });
    }
  }
  for (const e of s.ext) status.set(e.idx, { status: feedBitsGet(s.bits, e.idx), ext: e.until });
  return status;
}

function emptyHeld() {
  return {
    exists: false,
    epoch: 0n,
    seq: 0n,
    head: ZERO_HEAD,
    hasCheckpoint: false,
    hasSnapshot: false,
    cpSeq: 0n,
    cpSignedAt: 0,
    snapSeq: 0n,
    checkpoint: null,
    status: new Map(),
  };
}

/* Stores fork evidence unless the same fork is on record; counts a new one. */
function recordFork(c, held, cp, cpBytes, what) {
  const h = held || emptyHeld();
  const same = c.forks.find(
    (f) =>
      f.iss === c.iss &&
      f.heldSeq === h.seq &&
      bytesEqual(f.heldHead, h.head) &&
      f.offeredSeq === cp.seq &&
      bytesEqual(f.offeredHead, cp.head),
  );
  if (!same) {
    c.forks.push({
      iss: c.iss,
      detectedAt: c.now,
      heldSeq: h.seq,
      heldHead: h.head,
      offeredSeq: cp.seq,
      offeredHead: cp.head,
      heldCheckpoint: h.hasCheckpoint ? h.checkpoint : null,
      offeredCheckpoint: cpBytes,
      source: 'bundle',
    });
    c.counters.forks++;
  }
  return `fork: ${what}`;
}

/*
 * sync_source with the bundle as the source: {held} (the new state of the
 * issuer), or {rollback | fork, why} (state kept); throws SourceFail.
 */
function syncSource(c, src, prev) {
  const cpBytes = src.checkpoint();
  const { at: cp, msg } = parseOr('checkpoint', checkpointParse, cpBytes);
  checkState(c, cp, msg, 'checkpoint');
  if (cp.seq === 0n && !bytesEqual(cp.head, ZERO_HEAD)) srcFail('checkpoint: seq 0 with a non-empty chain head');
  const h = prev ? { ...prev } : emptyHeld();
  if (h.exists && h.epoch !== cp.epoch) srcFail(`the held feed is of epoch ${h.epoch}, not ${cp.epoch}`);
  const hasCp = h.hasCheckpoint;
  if (cp.seq < h.seq || (hasCp && cp.signedAt < h.cpSignedAt)) {
    c.counters.rollbacks++;
    return {
      rollback: true,
      why: `checkpoint seq ${cp.seq} signed at ${cp.signedAt} is older than the held seq ${h.seq} signed at ${hasCp ? h.cpSignedAt : 0}`,
    };
  }
  if (cp.seq === h.seq && !bytesEqual(cp.head, h.head))
    return { fork: true, why: recordFork(c, prev, cp, cpBytes, 'same seq, another chain head') };
  if (cp.seq > h.seq) {
    let heldChain = h.seq > 0n;
    const fresh = !h.exists || (h.seq === 0n && !h.hasSnapshot);
    /*
     * A bundle starts at the newest snapshot its verifier holds (compaction):
     * a page that last loaded one before that snapshot finds no segment after
     * what it holds, and starts again from the snapshot, signed by the issuer
     * and later than what is held (so never a rollback).
     */
    const behind = !fresh && !src.hasSegment(u64(h.seq + 1n));
    if (fresh || behind) {
      const snapBytes = src.snapshot();
      if (snapBytes) {
        const s = parseOr('snapshot', snapshotParse, snapBytes);
        checkState(c, s.at, s.msg, 'snapshot');
        if (s.at.seq > cp.seq || (s.at.seq === cp.seq && !bytesEqual(s.at.head, cp.head)))
          srcFail(`snapshot: seq ${s.at.seq} not consistent with the checkpoint's ${cp.seq}`);
        if (fresh || s.at.seq > h.seq) {
          h.status = snapshotStatus(s);
          h.seq = s.at.seq;
          h.head = s.at.head;
          h.snapSeq = s.at.seq;
          h.hasSnapshot = true;
          heldChain = false;
        }
      }
    }
    if (prev && h.status === prev.status && h.seq < cp.seq) h.status = new Map(prev.status);
    while (h.seq < cp.seq) {
      const first = u64(h.seq + 1n);
      const what = `segments/${first}`;
      const s = parseOr(what, segmentParse, src.segment(first));
      const last = u64(s.first + BigInt(s.events.length) - 1n);
      let latest = INT64_MIN;
      for (const ev of s.events) if (ev.time > latest) latest = ev.time;
      if (s.iss !== c.iss || s.epoch !== c.epoch) srcFail(`${what}: of issuer ${s.iss} epoch ${s.epoch}`);
      if (s.first !== first || last < s.first) srcFail(`${what}: starts at ${s.first}`);
      if (last > cp.seq) srcFail(`${what}: goes past the checkpoint (${last} > ${cp.seq})`);
      const why = signerProblem(c.tl, s.msg, c.iss, latest);
      if (why) srcFail(`${what}: ${why}`);
      for (const ev of s.events) applyEvent(h.status, ev);
      h.head = feedChain(h.head, s.msg.payload);
      h.seq = last;
    }
    if (h.seq === cp.seq && !bytesEqual(h.head, cp.head)) {
      if (!heldChain) srcFail('the segments do not chain to the checkpoint\'s head');
      return { fork: true, why: recordFork(c, prev, cp, cpBytes, 'the held chain does not extend to the checkpoint') };
    }
  }
  h.exists = true;
  h.epoch = cp.epoch;
  if (
    h.seq === cp.seq &&
    (!hasCp || h.cpSeq !== cp.seq || cp.signedAt > h.cpSignedAt || !bytesEqual(h.checkpoint, cpBytes))
  ) {
    h.hasCheckpoint = true;
    h.cpSeq = cp.seq;
    h.cpSignedAt = cp.signedAt;
    h.checkpoint = cpBytes;
  }
  return { held: h };
}

function syncIssuer(c, src, feeds) {
  const prev = feeds.get(c.iss) || null;
  const rp = {
    iss: c.iss,
    reached: false,
    held: false,
    source: null,
    seqBefore: prev ? prev.seq : 0n,
    seqAfter: 0n,
    checkpointSignedAt: 0,
    fork: false,
    rollback: false,
    error: null,
  };
  try {
    const out = syncSource(c, src, prev);
    if (out.held) {
      feeds.set(c.iss, out.held);
      rp.reached = true;
      rp.source = 'bundle';
    } else {
      rp.fork = !!out.fork;
      rp.rollback = !!out.rollback;
      rp.error = `bundle: ${out.why}`;
    }
  } catch (e) {
    if (!(e instanceof SourceFail)) throw e;
    rp.error = `bundle: ${e.message}`;
  }
  const after = feeds.get(c.iss);
  if (after) {
    rp.seqAfter = after.seq;
    rp.held = after.hasCheckpoint;
    if (after.hasCheckpoint) rp.checkpointSignedAt = after.cpSignedAt;
  }
  return rp;
}

function parseJson(json) {
  if (typeof json === 'string') {
    try {
      return JSON.parse(json);
    } catch {
      throw new BundleError('the bundle is not JSON');
    }
  }
  if (!json || typeof json !== 'object') throw new BundleError('the bundle is not a JSON object');
  return json;
}

/**
 * A state holding a trust list only, without status data: verifications
 * against it check trust, signature and dates and say `status_checked:
 * false` (the command line without --data). trustCose: the signed trust
 * list's bytes.
 */
export function loadTrustList(trustCose, pinnedRootKeyB64url) {
  const root = decodeKey(pinnedRootKeyB64url);
  let list;
  try {
    list = trustVerify(trustCose, root);
  } catch (e) {
    if (e instanceof TrustError) throw new BundleError(`trust list refused: ${e.message}`);
    throw e;
  }
  return { trust: { cose: trustCose, list, root }, feeds: null };
}

/**
 * Loads an offline bundle (JSON text or object) at nowSeconds with the
 * pinned root key (base64url), over an optional earlier state. Returns
 * {trust, feeds, counters, forks, sync, generatedAt, loadedAt}; throws
 * BundleError when no trust list can be held. sync says what happened:
 * trustRefused (null, or why the bundle's trust list was not taken) and,
 * per issuer id with a feed URL, {iss, reached (this bundle's feed was
 * taken), held (a status is held for it, possibly from an earlier load),
 * fork, rollback, error (why not reached), seqBefore, seqAfter,
 * checkpointSignedAt}. feeds holds, per issuer id, the replica record
 * (epoch, seq, head, checkpoint, the status map); forks the evidence of
 * forks seen; counters {forks, rollbacks}. The state may be kept (it is
 * structured-cloneable) and passed back as `previous`.
 */
export function loadBundle(json, pinnedRootKeyB64url, nowSeconds, previous = null) {
  const bundle = parseJson(json);
  if (bundle.version !== 1) throw new BundleError('unsupported bundle version');
  const root = decodeKey(pinnedRootKeyB64url);
  const now = Math.floor(Number(nowSeconds));
  const counters = previous && previous.counters ? { ...previous.counters } : { forks: 0, rollbacks: 0 };
  const forks = previous && previous.forks ? [...previous.forks] : [];
  const feeds = new Map(previous && previous.feeds ? previous.feeds : []);
  const heldTrust = previous ? previous.trust : null;

  let trust = heldTrust;
  let trustRefused = null;
  const cose = typeof bundle.trust_list === 'string' ? b64urlDecode(bundle.trust_list) : null;
  if (!cose) trustRefused = 'the bundle has no trust list';
  else ({ trust, refused: trustRefused } = offerTrust(cose, root, heldTrust, counters, feeds));
  if (!trust) throw new BundleError(`trust list refused: ${trustRefused}`);

  const tl = trust.list;
  const objects = Array.isArray(bundle.issuers) ? bundle.issuers : [];
  const issuers = [];
  for (const id of trustIds(tl)) {
    if (!trustIdFeed(tl, id)) continue;
    const obj = objects.find((o) => o && o.iss === id);
    const c = { iss: id, epoch: trustIdEpoch(tl, id), tl, now, counters, forks };
    issuers.push(syncIssuer(c, new BundleSource(obj), feeds));
  }
  return {
    trust,
    feeds,
    counters,
    forks,
    sync: { trustRefused, issuers },
    generatedAt: typeof bundle.generated_at === 'string' ? bundle.generated_at : null,
    loadedAt: now,
  };
}

/**
 * replica_status: what the state knows of (entry, idx): {held, asOf,
 * status, extendedUntil}; null when the state has no status data at all.
 */
export function statusOf(state, entry, idx) {
  if (!state.feeds) return null;
  const h = state.feeds.get(entry.id);
  if (!h || !h.hasCheckpoint) return { held: false, asOf: 0, status: 0, extendedUntil: 0 };
  const e = h.status.get(idx);
  return { held: true, asOf: h.cpSignedAt, status: e ? e.status : 0, extendedUntil: e ? e.ext : 0 };
}
