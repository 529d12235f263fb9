/*
 * feed.js: the signed objects of an issuer's status feed
 * (docs/federation.md): checkpoints, segments of events, snapshots, and the
 * hash chain over segments, parsed and checked as common/feed.c does.
 *
 * Parsing checks the envelope (cose.js) and every rule of the payload, and
 * returns the message so that the caller (bundle.js) finds the signing key
 * in the trust list and verifies it. Segments and snapshots are read with a
 * cursor (CborReader) after the canonical-CBOR gate, without a tree: a
 * snapshot may carry 2^21 extensions. seq, first and epoch are BigInt
 * (uint64); times and extension ends are numbers (BigInt beyond the safe
 * range). Errors are FeedError with a short English text.
 */
import { bytesAre, cborCheck, cborLoad, CborReader, getBytes, getInt64, getText, getUint, utf8Decode } from './cbor.js';
import { coseParse, CoseError, TYP_CHECKPOINT, TYP_SEGMENT, TYP_SNAPSHOT } from './cose.js';
import { sha256 } from './ed25519.js';
import { inflateStrict } from './zlib.js';

export const FEED_SEGMENT_MAX_EVENTS = 10000;
export const FEED_LIST_SIZE = 2 ** 21;
export const FEED_LIST_BYTES = FEED_LIST_SIZE / 4;
export const FEED_HEAD_LEN = 32;
export const FEED_MAX_SEGMENT_COSE = 1 << 20;
export const FEED_MAX_SNAPSHOT_COSE = 32 << 20;
export const FEED_MAX_CHECKPOINT_COSE = 4096;
export const EVENT_STATUS = 0;
export const EVENT_EXTENSION = 1;

const ISS_MAX = 32;
const U64 = (1n << 64n) - 1n;

/** uint64 arithmetic as C does it (modulo 2^64). */
export const u64 = (v) => v & U64;

export class FeedError extends Error {}

const ERR_TEXT = {
  cbor: 'the data is not well-formed canonical CBOR',
  not_cose_sign1: 'the data is not a COSE_Sign1 signed message',
  typ: 'the signed object is not of the expected type',
  alg: 'the signature algorithm is missing or not supported',
  claims: 'the attestation claims are missing, of the wrong type or out of range',
  too_large: 'the input is larger than allowed',
};
const fail = (code) => {
  throw new FeedError(ERR_TEXT[code]);
};

/** head_n = SHA-256(head_{n-1} || payload bytes of segment n). */
export function feedChain(prev, payload) {
  const b = new Uint8Array(prev.length + payload.length);
  b.set(prev, 0);
  b.set(payload, prev.length);
  return sha256(b);
}

/** The 2-bit status of idx in a status list (least significant bits first). */
export const feedBitsGet = (bits, idx) => (bits[idx >> 2] >> ((idx & 3) * 2)) & 3;

function open(cose, typ, max) {
  if (cose.length > max) fail('too_large');
  try {
    return coseParse(cose, typ);
  } catch (e) {
    if (e instanceof CoseError) fail(e.code);
    throw e;
  }
}

/** feed_checkpoint_parse: {at: {iss, epoch, seq, head, signedAt}, msg}; throws FeedError. */
export function checkpointParse(cose) {
  const msg = open(cose, TYP_CHECKPOINT, FEED_MAX_CHECKPOINT_COSE);
  const m = cborLoad(msg.payload, 6);
  if (!(m instanceof Map)) fail('claims');
  const iss = getText(m.get('iss'), ISS_MAX);
  const epoch = getUint(m.get('epoch'));
  const seq = getUint(m.get('seq'));
  const head = getBytes(m.get('head'));
  const signedAt = getInt64(m.get('signed_at'));
  if (!iss || epoch === undefined || seq === undefined || !head || head.length !== FEED_HEAD_LEN || signedAt === undefined)
    fail('claims');
  return { at: { iss, epoch: BigInt(epoch), seq: BigInt(seq), head, signedAt }, msg };
}

/* The payload's map, read with a cursor after the canonical gate (depth 6). */
function openRaw(cose, typ, max) {
  const msg = open(cose, typ, max);
  if (!cborCheck(msg.payload, 6)) fail('claims');
  const rd = new CborReader(msg.payload);
  const count = rd.map();
  if (count === null) fail('claims');
  return { msg, rd, count };
}

function readIss(rd) {
  const s = rd.textBytes();
  if (!s || s.length === 0 || s.length >= ISS_MAX || s.includes(0)) return null;
  return utf8Decode(s);
}

function readEvent(rd) {
  if (rd.array() !== 5n) return null;
  const seq = rd.uint();
  if (seq === null) return null;
  const idx = rd.uint();
  if (idx === null || idx >= BigInt(FEED_LIST_SIZE)) return null;
  const kind = rd.uint();
  if (kind === null || kind > 1n) return null;
  const value = rd.int64();
  if (value === null) return null;
  const time = rd.int64();
  if (time === null) return null;
  if (kind === 0n && (value < 0 || value > 3)) return null;
  if (kind === 1n && value <= 0) return null;
  return { seq, idx: Number(idx), kind: Number(kind), value, time };
}

function readEvents(rd) {
  const n = rd.array();
  if (n === null || n === 0n || n > BigInt(FEED_SEGMENT_MAX_EVENTS)) return null;
  const events = [];
  for (let i = 0n; i < n; i++) {
    const ev = readEvent(rd);
    if (!ev) return null;
    events.push(ev);
  }
  return events;
}

/** feed_segment_parse: {iss, epoch, first, events, msg}; throws FeedError. */
export function segmentParse(cose) {
  const { msg, rd, count } = openRaw(cose, TYP_SEGMENT, FEED_MAX_SEGMENT_COSE);
  const s = { iss: null, epoch: null, first: null, events: null, msg };
  let ok = true;
  for (let i = 0n; i < count && ok; i++) {
    const k = rd.textBytes();
    if (!k) ok = false;
    else if (bytesAre(k, 'iss')) ok = (s.iss = readIss(rd)) !== null;
    else if (bytesAre(k, 'epoch')) ok = (s.epoch = rd.uint()) !== null;
    else if (bytesAre(k, 'first')) ok = (s.first = rd.uint()) !== null;
    else if (bytesAre(k, 'events')) ok = (s.events = readEvents(rd)) !== null;
    else ok = rd.skip();
  }
  if (!ok || s.iss === null || s.epoch === null || s.first === null || s.events === null || s.first === 0n)
    fail('claims');
  for (let i = 0; i < s.events.length; i++) if (s.events[i].seq !== u64(s.first + BigInt(i))) fail('claims');
  return s;
}

function readExtensions(rd) {
  const n = rd.array();
  if (n === null || n > BigInt(FEED_LIST_SIZE)) return null;
  const ext = [];
  for (let i = 0n; i < n; i++) {
    if (rd.array() !== 2n) return null;
    const idx = rd.uint();
    if (idx === null || idx >= BigInt(FEED_LIST_SIZE)) return null;
    const until = rd.int64();
    if (until === null || until <= 0) return null;
    if (ext.length && Number(idx) <= ext[ext.length - 1].idx) return null;
    ext.push({ idx: Number(idx), until });
  }
  return ext;
}

function readList(rd) {
  const z = rd.bytes();
  if (!z) return null;
  const bits = inflateStrict(z, FEED_LIST_BYTES);
  return bits && bits.length === FEED_LIST_BYTES ? bits : null;
}

/**
 * feed_snapshot_parse: {at: {iss, epoch, seq, head, signedAt}, bits (the
 * status list, 512 KiB), ext ([{idx, until}] by idx), msg}; throws FeedError.
 */
export function snapshotParse(cose) {
  const { msg, rd, count } = openRaw(cose, TYP_SNAPSHOT, FEED_MAX_SNAPSHOT_COSE);
  const at = { iss: null, epoch: null, seq: null, head: null, signedAt: null };
  let bitsCount = null;
  let bits = null;
  let ext = null;
  let ok = true;
  for (let i = 0n; i < count && ok; i++) {
    const k = rd.textBytes();
    if (!k) ok = false;
    else if (bytesAre(k, 'iss')) ok = (at.iss = readIss(rd)) !== null;
    else if (bytesAre(k, 'epoch')) ok = (at.epoch = rd.uint()) !== null;
    else if (bytesAre(k, 'seq')) ok = (at.seq = rd.uint()) !== null;
    else if (bytesAre(k, 'head')) {
      at.head = rd.bytes();
      ok = at.head !== null && at.head.length === FEED_HEAD_LEN;
    } else if (bytesAre(k, 'signed_at')) ok = (at.signedAt = rd.int64()) !== null;
    else if (bytesAre(k, 'bits')) ok = (bitsCount = rd.uint()) !== null;
    else if (bytesAre(k, 'lst')) ok = (bits = readList(rd)) !== null;
    else if (bytesAre(k, 'extensions')) ok = (ext = readExtensions(rd)) !== null;
    else ok = rd.skip();
  }
  if (!ok || Object.values(at).includes(null) || bits === null || ext === null || bitsCount !== 2n) fail('claims');
  return { at, bits, ext, msg };
}
