/*
 * trust.js: the federation's trust list (docs/format.md, "The trust list"),
 * verified and decoded as common/trust.c does.
 *
 * A COSE_Sign1 of typ api-trust-list+cbor, signed by the root key the
 * caller pins. Its payload (canonical CBOR, depth 8) must follow every rule
 * of trust_validate: issuer ids, names, kids equal to SHA-256(pub)[0..8),
 * states, feed URLs, no two entries with one kid, iat <= exp. The list is
 * never trusted for anything it says about itself: kids are recomputed.
 * seq and epoch are BigInt (uint64); times are numbers (BigInt beyond the
 * safe range).
 */
import { cborLoad, getBytes, getInt64, getText, getUint } from './cbor.js';
import { coseKid, coseParse, coseVerify, CoseError, TYP_TRUST_LIST } from './cose.js';
import { issuerIdOk, textOk } from './claims.js';

const ID_MAX = 32;
const NAME_MAX = 128;
const FEED_MAX = 256;
export const TRUST_MAX_ENTRIES = 4096;
export const TRUST_MAX_COSE = 2 * 1024 * 1024;
const STATES = ['active', 'retired', 'compromised'];

export class TrustError extends Error {
  constructor(message) {
    super(message);
    this.code = 'trust_list';
  }
}

export const bytesEqual = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function fixed(v, n) {
  const b = getBytes(v);
  return b && b.length === n ? b : undefined;
}

function decodeEntry(m) {
  if (!(m instanceof Map)) return null;
  const e = {
    id: getText(m.get('id'), ID_MAX),
    name: getText(m.get('name'), NAME_MAX),
    kid: fixed(m.get('kid'), 8),
    pub: fixed(m.get('pub'), 32),
    feed: getText(m.get('feed'), FEED_MAX),
    epoch: getUint(m.get('epoch')),
    state: getText(m.get('state'), 16),
    retiredAt: 0,
  };
  if (Object.values(e).includes(undefined) || !STATES.includes(e.state)) return null;
  e.epoch = BigInt(e.epoch);
  if (e.state === 'retired') {
    e.retiredAt = getInt64(m.get('retired_at'));
    if (e.retiredAt === undefined) return null;
  }
  return e;
}

/** trust_validate: the first problem, or null. */
export function trustProblem(tl) {
  if (tl.iat > tl.exp) return 'expires before it is issued';
  if (tl.entries.length > TRUST_MAX_ENTRIES) return `more than ${TRUST_MAX_ENTRIES} entries`;
  for (let i = 0; i < tl.entries.length; i++) {
    const e = tl.entries[i];
    let bad = null;
    if (!issuerIdOk(e.id)) bad = 'id';
    else if (!textOk(e.name, 1, NAME_MAX)) bad = 'name';
    else if (!bytesEqual(coseKid(e.pub), e.kid)) bad = 'kid (not the hash of the key)';
    else if (!textOk(e.feed, 0, FEED_MAX)) bad = 'feed';
    if (bad) return `entry ${i + 1}: bad ${bad}`;
    for (let j = 0; j < i; j++)
      if (bytesEqual(tl.entries[j].kid, e.kid)) return `entries ${j + 1} and ${i + 1} have the same kid`;
  }
  return null;
}

/** trust_decode: the list of a payload; throws TrustError. */
export function trustDecode(payload) {
  const root = cborLoad(payload, 8);
  const fail = () => {
    throw new TrustError('the signed content fails the trust list\'s rules');
  };
  if (!(root instanceof Map)) fail();
  const issuers = root.get('issuers');
  const v = getUint(root.get('v'));
  const tl = {
    seq: getUint(root.get('seq')),
    iat: getInt64(root.get('iat')),
    exp: getInt64(root.get('exp')),
    nextRoot: null,
    entries: [],
  };
  if (v === undefined || Number(v) !== 1 || tl.seq === undefined || tl.iat === undefined || tl.exp === undefined)
    fail();
  if (!Array.isArray(issuers) || issuers.length > TRUST_MAX_ENTRIES) fail();
  tl.seq = BigInt(tl.seq);
  const next = root.get('next_root');
  if (next !== undefined) {
    tl.nextRoot = fixed(next, 32);
    if (!tl.nextRoot) fail();
  }
  for (const item of issuers) {
    const e = decodeEntry(item);
    if (!e) fail();
    tl.entries.push(e);
  }
  if (trustProblem(tl)) fail();
  return tl;
}

/**
 * trust_verify: the decoded list of a signed trust list that verifies with
 * rootPk (32 bytes); throws TrustError saying why not.
 */
export function trustVerify(cose, rootPk) {
  if (cose.length > TRUST_MAX_COSE) throw new TrustError(`larger than ${TRUST_MAX_COSE} bytes`);
  let msg;
  try {
    msg = coseParse(cose, TYP_TRUST_LIST);
  } catch (e) {
    if (e instanceof CoseError) throw new TrustError(`not a signed trust list (${e.code})`);
    throw e;
  }
  if (!bytesEqual(coseKid(rootPk), msg.kid)) throw new TrustError('signed by another root key than the one given');
  if (!coseVerify(msg, rootPk)) throw new TrustError('the root signature does not verify');
  return trustDecode(msg.payload);
}

/** trust_find_kid: the entry with that kid, or null. */
export function trustFindKid(tl, kid) {
  return tl.entries.find((e) => bytesEqual(e.kid, kid)) || null;
}
