/*
 * ed25519.js: Ed25519 signature verification that gives exactly the
 * answers of libsodium 1.0.18's crypto_sign_verify_detached, which the C
 * verifier uses; and the hashes the verifier needs.
 *
 * libsodium refuses, before any curve arithmetic:
 *   - S not below the group order L (non-canonical S);
 *   - an R whose encoding is one of the small-order points (compared with
 *     the sign bit masked: 0, 1, the two order-8 y values, p-1, p, p+1);
 *   - a public key A that is not canonical (y >= p, sign bit ignored) or is
 *     one of those small-order encodings;
 *   - a public key that does not decode to a curve point.
 * Then it checks the cofactorless equation: the encoding of [S]B - [h]A
 * must equal the 32 bytes of R, h = SHA-512(R || A || M) mod L computed
 * over the raw bytes. So a mixed-order A (a main-subgroup point plus a
 * small-order one) verifies only when [h] kills the small-order part, and
 * a non-canonical R never verifies.
 *
 * @noble/ed25519's own verify differs (cofactored equation, R decoded and
 * re-encoded, small-order R accepted), and so may WebCrypto's Ed25519
 * (OpenSSL-based in browsers, without libsodium's lists): both are left
 * unused. Only noble's point arithmetic is used here, and every rule above
 * is explicit. The edge vectors of docs/vectors/bundle.json ("signatures")
 * are made by libsodium and checked against this function by the tests.
 */
import { Point } from '@noble/ed25519';
import { sha256 as nobleSha256 } from '@noble/hashes/sha256';
import { sha512 as nobleSha512 } from '@noble/hashes/sha512';

export const sha256 = (data) => nobleSha256(data);
export const sha512 = (data) => nobleSha512(data);

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const L_BYTES = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0x10,
]);
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const hex = (s) => Uint8Array.from(s.match(/../g).map((h) => parseInt(h, 16)));
const FF29 = 'ff'.repeat(29);
/* ge25519_has_small_order's list (last byte compared with its top bit masked). */
const SMALL_ORDER = [
  '00'.repeat(32),
  `01${'00'.repeat(31)}`,
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  `ecff${FF29}7f`,
  `edff${FF29}7f`,
  `eeff${FF29}7f`,
].map(hex);

/** sc25519_is_canonical: s < L. */
export function scalarIsCanonical(s) {
  for (let i = 31; i >= 0; i--) {
    if (s[i] < L_BYTES[i]) return true;
    if (s[i] > L_BYTES[i]) return false;
  }
  return false; /* s == L */
}

/** ge25519_has_small_order: the encoding (sign bit masked) is one of the small-order points. */
export function hasSmallOrder(p) {
  return SMALL_ORDER.some((q) => {
    for (let i = 0; i < 31; i++) if (p[i] !== q[i]) return false;
    return (p[31] & 0x7f) === q[31];
  });
}

/** ge25519_is_canonical: the y coordinate (sign bit masked) is below p = 2^255 - 19. */
export function pointIsCanonical(p) {
  if ((p[31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (p[i] !== 0xff) return true;
  return p[0] < 0xed;
}

function bytesToNumLE(b) {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** crypto_sign_verify_detached of libsodium 1.0.18: true when sig is valid for msg under pk. */
export function ed25519Verify(sig, msg, pk) {
  if (!(sig instanceof Uint8Array) || sig.length !== 64 || !(pk instanceof Uint8Array) || pk.length !== 32) return false;
  const r = sig.subarray(0, 32);
  const s = sig.subarray(32, 64);
  if (!scalarIsCanonical(s) || hasSmallOrder(r)) return false;
  if (!pointIsCanonical(pk) || hasSmallOrder(pk)) return false;
  try {
    /* zip215 decoding only lifts noble's own "x = 0 with the sign bit set" refusal, which libsodium
       does not have (such keys are small-order and refused above anyway); y < p was checked. */
    const A = Point.fromBytes(pk, true);
    const hm = new Uint8Array(64 + msg.length);
    hm.set(r, 0);
    hm.set(pk, 32);
    hm.set(msg, 64);
    const h = bytesToNumLE(sha512(hm)) % L;
    const sB = Point.BASE.multiply(bytesToNumLE(s), false);
    const hA = A.multiply(h, false);
    const check = sB.add(hA.negate());
    if (check.is0()) return false; /* encodes as 01 00..00, a small-order R, refused above */
    const enc = check.toBytes();
    let diff = 0;
    for (let i = 0; i < 32; i++) diff |= enc[i] ^ r[i];
    return diff === 0;
  } catch {
    return false; /* not a curve point */
  }
}
