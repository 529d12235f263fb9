/*
 * cose.js: strict parsing and verification of COSE_Sign1 (RFC 9052, tag 18)
 * with Ed25519, as qr/cose.c.
 *
 * The whole message passes the canonical-CBOR gate first (depth 16); the
 * outer shape is then fixed: tag 18, an array of four, the protected header
 * as a byte string, the unprotected header {} exactly, the payload as a byte
 * string, a 64-byte signature. The protected header is itself canonical
 * CBOR (depth 4) holding only the labels 1 (alg: -8 or -19), 4 (kid: 8
 * bytes) and 16 (typ: text). This file never decides trust.
 */
import { cborCheck, cborLoad, getBytes, getInt64, getText, CborReader, CBOR_MAX_DEPTH } from './cbor.js';
import { ed25519Verify, sha256 } from './ed25519.js';

export const TYP_ATTESTATION = 'api-attestation+cwt';
export const TYP_CARD = 'api-card+cwt'; /* the reduced presentation of an attestation: the holder's card */
export const TYP_TRUST_LIST = 'api-trust-list+cbor';
export const TYP_CHECKPOINT = 'api-feed-checkpoint+cbor';
export const TYP_SEGMENT = 'api-feed-segment+cbor';
export const TYP_SNAPSHOT = 'api-feed-snapshot+cbor';

const ALG_EDDSA = -8;
const ALG_ED25519 = -19;
const TYP_MAX = 64;

/** The error codes of common/err.c for the envelope. */
export class CoseError extends Error {
  constructor(code) {
    super(code);
    this.code = code; /* cbor, not_cose_sign1, alg, typ */
  }
}

/** kid = SHA-256(pk)[0..8). */
export const coseKid = (pk) => sha256(pk).slice(0, 8);

function parseProtected(msg) {
  if (msg.protected.length === 0) throw new CoseError('alg');
  const hdr = cborLoad(msg.protected, 4);
  if (!(hdr instanceof Map)) throw new CoseError('not_cose_sign1');
  for (const label of hdr.keys()) {
    const l = getInt64(label);
    if (l !== 1 && l !== 4 && l !== 16) throw new CoseError('not_cose_sign1');
  }
  const alg = getInt64(hdr.get(1));
  if (alg !== ALG_EDDSA && alg !== ALG_ED25519) throw new CoseError('alg');
  const typ = getText(hdr.get(16), TYP_MAX);
  if (typ === undefined) throw new CoseError('typ');
  const kid = getBytes(hdr.get(4));
  if (!kid || kid.length !== 8) throw new CoseError('not_cose_sign1');
  msg.alg = alg;
  msg.typ = typ;
  msg.kid = kid;
}

/**
 * cose_sign1_parse: {protected, payload, signature, kid, alg, typ} with
 * views into the input; throws CoseError. A typ other than the given one
 * (when given) is `typ`. Nothing is verified.
 */
export function coseParse(bytes, typ) {
  if (!cborCheck(bytes, CBOR_MAX_DEPTH)) throw new CoseError('cbor');
  const r = new CborReader(bytes);
  let h = r.head();
  if (h.major !== 6 || h.arg !== 18n) throw new CoseError('not_cose_sign1');
  h = r.head();
  if (h.major !== 4 || h.arg !== 4n) throw new CoseError('not_cose_sign1');
  const prot = r.bytes();
  if (!prot) throw new CoseError('not_cose_sign1');
  h = r.head();
  if (h.major !== 5 || h.arg !== 0n) throw new CoseError('not_cose_sign1');
  const payload = r.bytes();
  if (!payload) throw new CoseError('not_cose_sign1');
  const signature = r.bytes();
  if (!signature || signature.length !== 64) throw new CoseError('not_cose_sign1');
  const msg = { protected: prot, payload, signature, kid: null, alg: 0, typ: '' };
  parseProtected(msg);
  if (typ !== undefined && msg.typ !== typ) throw new CoseError('typ');
  return msg;
}

/* A CBOR head of major type `major` with argument n (n < 2^32 here). */
function head(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** The Sig_structure ["Signature1", protected, h'', payload] that is signed. */
export function sigStructure(prot, payload) {
  const parts = [
    Uint8Array.from([0x84, 0x6a, ...new TextEncoder().encode('Signature1')]),
    Uint8Array.from(head(2, prot.length)),
    prot,
    Uint8Array.from([0x40]),
    Uint8Array.from(head(2, payload.length)),
    payload,
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** cose_sign1_verify: true when msg's signature verifies with pk. */
export function coseVerify(msg, pk) {
  return ed25519Verify(msg.signature, sigStructure(msg.protected, msg.payload), pk);
}
