/*
 * cbor.js: the canonical-CBOR gate and decoder, with the rules and bounds
 * of qr/cbc.c.
 *
 * cborCheck walks the raw bytes and refuses: indefinite lengths, heads
 * that are not in shortest form, text that is not valid UTF-8, duplicate
 * map keys (compared as encoded bytes: with shortest heads equal keys have
 * equal bytes), floats and simple values other than false/true/null, more
 * than maxDepth nested containers (arrays, maps, tags), claimed lengths
 * larger than the bytes left (an array of n items needs n bytes, a map
 * 2n), and bytes after the item. Only checked bytes are decoded.
 *
 * Decoded values: integers are numbers when they are safe integers and
 * BigInt otherwise (unsigned when >= 0, negative otherwise: the sign tells
 * the major type), byte strings Uint8Array, text strings string, arrays
 * Array, maps Map (insertion order kept), tags CborTag, and false, true,
 * null.
 *
 * CborReader is cbc_reader: a cursor over checked bytes that builds no tree,
 * for the large feed objects.
 */

export const CBOR_MAX_DEPTH = 16;

export class CborTag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

/* UTF-8 without overlong forms or surrogates, as text_utf8_valid (common/text.c). */
function utf8Valid(s, start = 0, end = s.length) {
  let i = start;
  while (i < end) {
    const c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n;
    let cp;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else return false;
    if (end - i - 1 < n) return false;
    for (let k = 1; k <= n; k++) {
      if ((s[i + k] & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((n === 2 && cp < 0x800) || (n === 3 && (cp < 0x10000 || cp > 0x10ffff))) return false;
    if (cp >= 0xd800 && cp <= 0xdfff) return false;
    i += n + 1;
  }
  return true;
}

/* ignoreBOM: a leading U+FEFF is text like any other (C keeps its bytes); by default TextDecoder drops it. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Decodes bytes already checked as UTF-8, keeping every character. */
export const utf8Decode = (b) => utf8.decode(b);

/** The UTF-8 byte length of a string. */
export const utf8Length = (s) => encoder.encode(s).length;

const MIN_ARG = [24n, 0x100n, 0x10000n, 0x100000000n];

/* Reads a head at pos: {major, ai, arg (BigInt), pos} or null (no shortest-form check). */
function readHead(b, pos, end) {
  if (pos >= end) return null;
  const first = b[pos++];
  const ai = first & 31;
  const major = first >> 5;
  if (ai < 24) return { major, ai, arg: BigInt(ai), pos };
  if (ai > 27) return null; /* reserved, or indefinite length / break */
  const n = 1 << (ai - 24);
  if (end - pos < n) return null;
  let v = 0n;
  for (let k = 0; k < n; k++) v = (v << 8n) | BigInt(b[pos++]);
  return { major, ai, arg: v, pos };
}

function compareBytes(a, b) {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

class Walker {
  constructor(b, maxDepth) {
    this.b = b;
    this.len = b.length;
    this.pos = 0;
    this.maxDepth = maxDepth;
  }

  head() {
    const h = readHead(this.b, this.pos, this.len);
    if (!h) return null;
    this.pos = h.pos;
    if (h.major !== 7 && h.ai >= 24 && h.arg < MIN_ARG[h.ai - 24]) return null;
    return h;
  }

  item(depth) {
    if (depth > this.maxDepth) return false;
    const h = this.head();
    if (!h) return false;
    const { major, ai, arg } = h;
    /* At most maxDepth nested containers; a scalar may sit inside the last one. */
    if (major >= 4 && major <= 6 && depth >= this.maxDepth) return false;
    const left = BigInt(this.len - this.pos);
    switch (major) {
      case 0:
      case 1:
        return true;
      case 2:
      case 3: {
        if (arg > left) return false;
        const n = Number(arg);
        if (major === 3 && !utf8Valid(this.b, this.pos, this.pos + n)) return false;
        this.pos += n;
        return true;
      }
      case 4: {
        if (arg > left) return false;
        for (let i = 0n; i < arg; i++) if (!this.item(depth + 1)) return false;
        return true;
      }
      case 5:
        return this.map(Number(arg), arg, depth, left);
      case 6:
        return this.item(depth + 1);
      default: /* 7: only false, true, null */
        if (ai >= 24) return false;
        return arg >= 20n && arg <= 22n;
    }
  }

  map(count, arg, depth, left) {
    if (arg > left / 2n) return false;
    const keys = [];
    for (let i = 0; i < count; i++) {
      const start = this.pos;
      const ok = this.item(depth + 1);
      keys.push(this.b.subarray(start, this.pos));
      if (!ok || !this.item(depth + 1)) return false;
    }
    if (count > 1) {
      keys.sort(compareBytes);
      for (let i = 1; i < count; i++) if (compareBytes(keys[i - 1], keys[i]) === 0) return false;
    }
    return true;
  }
}

/** cbc_check: true when b is exactly one canonical CBOR item within maxDepth. */
export function cborCheck(b, maxDepth = CBOR_MAX_DEPTH) {
  if (!(b instanceof Uint8Array) || b.length === 0) return false;
  const w = new Walker(b, maxDepth);
  return w.item(0) && w.pos === b.length;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer value (number or BigInt) that is zero. */
export const isZeroInt = (v) => v === 0 || v === 0n;

const intValue = (v) => (v <= SAFE && v >= -SAFE ? Number(v) : v);

/* Decodes checked bytes (no further checks needed). */
function decodeItem(b, st) {
  const h = readHead(b, st.pos, b.length);
  st.pos = h.pos;
  const { major, arg } = h;
  switch (major) {
    case 0:
      return intValue(arg);
    case 1:
      return intValue(-1n - arg);
    case 2: {
      const n = Number(arg);
      const v = b.slice(st.pos, st.pos + n);
      st.pos += n;
      return v;
    }
    case 3: {
      const n = Number(arg);
      const v = utf8.decode(b.subarray(st.pos, st.pos + n));
      st.pos += n;
      return v;
    }
    case 4: {
      const a = [];
      for (let i = 0n; i < arg; i++) a.push(decodeItem(b, st));
      return a;
    }
    case 5: {
      const m = new Map();
      for (let i = 0n; i < arg; i++) {
        const k = decodeItem(b, st);
        m.set(k, decodeItem(b, st));
      }
      return m;
    }
    case 6:
      return new CborTag(intValue(arg), decodeItem(b, st));
    default:
      return arg === 20n ? false : arg === 21n ? true : null;
  }
}

/** cbc_load: cborCheck, then the decoded value; undefined when the check fails. */
export function cborLoad(b, maxDepth = CBOR_MAX_DEPTH) {
  if (!cborCheck(b, maxDepth)) return undefined;
  return decodeItem(b, { pos: 0 });
}

/* ---- accessors with the semantics of cbc_get_* ---- */

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** cbc_get_uint: an unsigned integer (number or BigInt), or undefined. */
export function getUint(v) {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'bigint') return v >= 0n ? v : undefined;
  return undefined;
}

/** cbc_get_int64: an integer that fits int64_t, or undefined. */
export function getInt64(v) {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
  return undefined;
}

/** cbc_get_text: text of fewer than cap UTF-8 bytes and without NUL, or undefined. */
export function getText(v, cap) {
  if (typeof v !== 'string' || v.includes('\0') || utf8Length(v) >= cap) return undefined;
  return v;
}

/** cbc_get_bytes: a byte string, or undefined. */
export function getBytes(v) {
  return v instanceof Uint8Array ? v : undefined;
}

/* ---- reader over checked bytes (cbc_reader) ---- */

export class CborReader {
  constructor(b) {
    this.b = b;
    this.pos = 0;
  }

  /** {major, arg (BigInt)} or null. */
  head() {
    const h = readHead(this.b, this.pos, this.b.length);
    if (!h) return null;
    this.pos = h.pos;
    return h;
  }

  expect(major) {
    const h = this.head();
    return h && h.major === major ? h.arg : null;
  }

  /** Counts (BigInt) of a map or array; an unsigned integer (BigInt); null when of another type. */
  map() {
    return this.expect(5);
  }

  array() {
    return this.expect(4);
  }

  uint() {
    return this.expect(0);
  }

  /** An int64 as number or BigInt (intValue), or null. */
  int64() {
    const h = this.head();
    if (!h || h.arg > INT64_MAX) return null;
    if (h.major === 0) return intValue(h.arg);
    if (h.major === 1) return intValue(-1n - h.arg);
    return null;
  }

  string(major) {
    const n = this.expect(major);
    if (n === null || n > BigInt(this.b.length - this.pos)) return null;
    const s = this.b.subarray(this.pos, this.pos + Number(n));
    this.pos += Number(n);
    return s;
  }

  /** The bytes of a text string (not decoded), or null. */
  textBytes() {
    return this.string(3);
  }

  bytes() {
    return this.string(2);
  }

  /** Skips one whole item; false on failure. */
  skip(depth = 0) {
    if (depth > CBOR_MAX_DEPTH) return false;
    const h = this.head();
    if (!h) return false;
    switch (h.major) {
      case 2:
      case 3:
        if (h.arg > BigInt(this.b.length - this.pos)) return false;
        this.pos += Number(h.arg);
        return true;
      case 4:
      case 5: {
        if (h.arg > BigInt(this.b.length - this.pos)) return false;
        const n = h.major === 5 ? 2n * h.arg : h.arg;
        for (let i = 0n; i < n; i++) if (!this.skip(depth + 1)) return false;
        return true;
      }
      case 6:
        return this.skip(depth + 1);
      default:
        return true;
    }
  }
}

/** Bytes equal to an ASCII key. */
export function bytesAre(bytes, key) {
  if (!bytes || bytes.length !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (bytes[i] !== key.charCodeAt(i)) return false;
  return true;
}
