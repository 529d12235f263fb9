/*
 * zlib.js: a strict inflater for zlib streams (RFC 1950 / 1951), refusing
 * exactly what qr/zc.c refuses.
 *
 * qr/zc.c runs zlib's inflate with Z_BLOCK to see the bit position at each
 * block boundary. Here the inflater is our own, small and bit-exact (after
 * Mark Adler's puff.c, with zlib's rules for which Huffman codes are
 * allowed), so the same checks are direct:
 *   - the header's CMF byte is 0x78 (deflate, 32 KiB window), the header
 *     check is right, no preset dictionary (FDICT);
 *   - the padding bits after a stored block's 3-bit header are zero;
 *   - the padding bits after the final block are zero;
 *   - the Adler-32 matches and no byte follows it;
 *   - the output fits in maxOut bytes (exactly maxOut is fine): a stream
 *     that wants more is refused, so a zlib bomb costs at most maxOut;
 *   - zlib's data errors: block type 3, stored lengths that do not match,
 *     more than 286 length or 30 distance codes, over-subscribed codes,
 *     incomplete codes (allowed, as zlib does, only for a literal/length or
 *     distance code whose longest code is 1 bit, and for an empty distance
 *     code), a missing end-of-block code, a bad repeat of code lengths,
 *     literal/length codes 286-287 and distance codes 30-31, and a distance
 *     further back than the output so far.
 * Any failure returns null: the caller's reason is `zlib`.
 */

const MAXBITS = 15;
const LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEXT = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DBASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DEXT = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

class Bad extends Error {}
const bad = () => {
  throw new Bad();
};

/* A canonical Huffman code from code lengths: counts per length, symbols in code order. */
function construct(lengths, offset, n) {
  const count = new Uint16Array(MAXBITS + 1);
  for (let s = 0; s < n; s++) count[lengths[offset + s]]++;
  let max = 0;
  for (let len = 1; len <= MAXBITS; len++) if (count[len]) max = len;
  let left = 1;
  for (let len = 1; len <= MAXBITS; len++) {
    left <<= 1;
    left -= count[len];
    if (left < 0) return { over: true };
  }
  const offs = new Uint16Array(MAXBITS + 2);
  for (let len = 1; len < MAXBITS; len++) offs[len + 1] = offs[len] + count[len];
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) if (lengths[offset + s]) symbol[offs[lengths[offset + s]]++] = s;
  return { over: false, count, symbol, max, incomplete: left > 0 };
}

class BitReader {
  constructor(input, pos) {
    this.in = input;
    this.pos = pos;
    this.buf = 0;
    this.cnt = 0;
  }

  bits(n) {
    let v = this.buf;
    while (this.cnt < n) {
      if (this.pos >= this.in.length) bad(); /* truncated */
      v |= this.in[this.pos++] << this.cnt;
      this.cnt += 8;
    }
    this.buf = v >>> n;
    this.cnt -= n;
    return v & ((1 << n) - 1);
  }

  /* The unused bits of the current byte, dropped; they must all be zero. */
  dropPaddingZero() {
    if (this.buf & ((1 << this.cnt) - 1)) bad();
    this.buf = 0;
    this.cnt = 0;
  }

  decode(h) {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAXBITS; len++) {
      code |= this.bits(1);
      const count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    return bad(); /* a code left unused by an incomplete set */
  }
}

let fixedCodes = null;
function fixed() {
  if (!fixedCodes) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144);
    l.fill(9, 144, 256);
    l.fill(7, 256, 280);
    l.fill(8, 280, 288);
    const d = new Uint8Array(30).fill(5); /* codes 30 and 31 left out: they decode as errors */
    fixedCodes = { lencode: construct(l, 0, 288), distcode: construct(d, 0, 30) };
  }
  return fixedCodes;
}

function dynamic(br) {
  const nlen = br.bits(5) + 257;
  const ndist = br.bits(5) + 1;
  const ncode = br.bits(4) + 4;
  if (nlen > 286 || ndist > 30) bad();
  const lengths = new Uint8Array(320);
  for (let i = 0; i < ncode; i++) lengths[CL_ORDER[i]] = br.bits(3);
  const clcode = construct(lengths, 0, 19);
  if (clcode.over || clcode.incomplete) bad(); /* an empty set is refused too: it can only fail later */
  lengths.fill(0, 0, 19);
  let have = 0;
  while (have < nlen + ndist) {
    let sym = br.decode(clcode);
    if (sym < 16) {
      lengths[have++] = sym;
      continue;
    }
    let len = 0;
    if (sym === 16) {
      if (have === 0) bad();
      len = lengths[have - 1];
      sym = 3 + br.bits(2);
    } else if (sym === 17) {
      sym = 3 + br.bits(3);
    } else {
      sym = 11 + br.bits(7);
    }
    if (have + sym > nlen + ndist) bad();
    while (sym--) lengths[have++] = len;
  }
  if (lengths[256] === 0) bad(); /* no end-of-block code */
  const lencode = construct(lengths, 0, nlen);
  if (lencode.over || (lencode.incomplete && lencode.max !== 1)) bad();
  const distcode = construct(lengths, nlen, ndist);
  if (distcode.over || (distcode.incomplete && distcode.max > 1)) bad();
  return { lencode, distcode };
}

function adler32(data, len) {
  let a = 1;
  let b = 0;
  for (let i = 0; i < len; ) {
    const end = Math.min(len, i + 3800);
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Inflates a zlib stream under the rules above into at most maxOut bytes.
 * Returns the output (a Uint8Array of the exact length) or null.
 */
export function inflateStrict(input, maxOut) {
  if (!(input instanceof Uint8Array) || input.length < 2 || input[0] !== 0x78) return null;
  if ((input[0] * 256 + input[1]) % 31 !== 0 || input[1] & 0x20) return null;
  const out = new Uint8Array(maxOut);
  let n = 0;
  const br = new BitReader(input, 2);
  try {
    let last;
    do {
      last = br.bits(1);
      const type = br.bits(2);
      if (type === 0) {
        br.dropPaddingZero();
        if (br.pos + 4 > input.length) bad();
        const len = input[br.pos] | (input[br.pos + 1] << 8);
        const nlen = input[br.pos + 2] | (input[br.pos + 3] << 8);
        br.pos += 4;
        if (len !== (~nlen & 0xffff)) bad();
        if (br.pos + len > input.length || n + len > maxOut) bad();
        out.set(input.subarray(br.pos, br.pos + len), n);
        br.pos += len;
        n += len;
        continue;
      }
      if (type === 3) bad();
      const { lencode, distcode } = type === 1 ? fixed() : dynamic(br);
      for (;;) {
        let sym = br.decode(lencode);
        if (sym < 256) {
          if (n >= maxOut) bad();
          out[n++] = sym;
          continue;
        }
        if (sym === 256) break;
        sym -= 257;
        if (sym >= 29) bad(); /* codes 286 and 287 */
        const len = LBASE[sym] + br.bits(LEXT[sym]);
        const dsym = br.decode(distcode);
        if (dsym >= 30) bad();
        const dist = DBASE[dsym] + br.bits(DEXT[dsym]);
        if (dist > n || n + len > maxOut) bad();
        for (let k = 0; k < len; k++, n++) out[n] = out[n - dist];
      }
    } while (!last);
    br.dropPaddingZero();
  } catch (e) {
    if (e instanceof Bad) return null;
    throw e;
  }
  const p = br.pos;
  if (p + 4 !== input.length) return null; /* truncated, or bytes after the stream */
  const want = ((input[p] << 24) | (input[p + 1] << 16) | (input[p + 2] << 8) | input[p + 3]) >>> 0;
  if (adler32(out, n) !== want) return null;
  return out.subarray(0, n);
}
