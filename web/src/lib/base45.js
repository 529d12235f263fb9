/*
 * base45.js: Base45 (RFC 9285), strict, as qr/b45.c.
 *
 * Two bytes become three characters (c + 45*d + 45*45*e, least significant
 * first), a final byte two. Decoding refuses a character outside the
 * alphabet, a length of 3n+1, a triple above 65535 and a final pair above
 * 255, so that every byte string has exactly one text.
 */

export const B45_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

const VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < B45_ALPHABET.length; i++) VALUES[B45_ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as Base45 text. */
export function b45Encode(bytes) {
  let out = '';
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) {
    const n = bytes[i] * 256 + bytes[i + 1];
    out += B45_ALPHABET[n % 45] + B45_ALPHABET[Math.trunc(n / 45) % 45] + B45_ALPHABET[Math.trunc(n / 2025)];
  }
  if (bytes.length % 2) {
    const n = bytes[bytes.length - 1];
    out += B45_ALPHABET[n % 45] + B45_ALPHABET[Math.trunc(n / 45)];
  }
  return out;
}

/** Decodes Base45 given as bytes (the UTF-8 of the text); null when not strict Base45. */
export function b45Decode(chars) {
  const n = chars.length;
  if (n % 3 === 1) return null;
  const out = new Uint8Array(Math.trunc(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < n; i += 3) {
    const take = n - i >= 3 ? 3 : 2;
    let v = 0;
    let mul = 1;
    for (let k = 0; k < take; k++) {
      const c = VALUES[chars[i + k]];
      if (c < 0) return null;
      v += c * mul;
      mul *= 45;
    }
    if (take === 3) {
      if (v > 0xffff) return null;
      out[o++] = v >> 8;
      out[o++] = v & 0xff;
    } else {
      if (v > 0xff) return null;
      out[o++] = v;
    }
  }
  return out;
}
