/*
 * paris.js: dates and instants in Europe/Paris civil time, by arithmetic,
 * exactly as common/apitime.c computes them.
 *
 * No Intl time zones, no Date local time: the answers must be the same in
 * every browser, whatever the device's zone, and the same as the C
 * verifier's. Instants are seconds since 1970-01-01T00:00:00Z (numbers;
 * values outside the safe-integer range may arrive as BigInt from CBOR and
 * are clamped before any arithmetic). The Paris rule is the EU one applied
 * to every year: CET (UTC+1), and CEST (UTC+2) from the last Sunday of March
 * 01:00 UTC to the last Sunday of October 01:00 UTC.
 */

const DAY = 86400;
const T_LIMIT = 2 ** 40; /* clamp for arithmetic */
const T_MIN_FMT = -62167219200; /* 0000-01-01T00:00:00Z */
const T_MAX_FMT = 253402300799; /* 9999-12-31T23:59:59Z */

/* Clamps a number or BigInt into [lo, hi] (numbers) and returns a number. */
function clamp(v, lo, hi) {
  if (v < lo) return lo;
  if (v > hi) return hi;
  return Number(v);
}

const fdiv = (a, b) => Math.floor(a / b);

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.trunc((y >= 0 ? y : y - 399) / 400);
  const yoe = y - era * 400;
  const doy = Math.trunc((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.trunc(yoe / 4) - Math.trunc(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z) {
  z += 719468;
  const era = Math.trunc((z >= 0 ? z : z - 146096) / 146097);
  const doe = z - era * 146097;
  const yoe = Math.trunc((doe - Math.trunc(doe / 1460) + Math.trunc(doe / 36524) - Math.trunc(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.trunc(yoe / 4) - Math.trunc(yoe / 100));
  const mp = Math.trunc((5 * doy + 2) / 153);
  const d = doy - Math.trunc((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/* 0 = Sunday .. 6 = Saturday; day 0 (1970-01-01) was a Thursday. */
const weekdayFromDays = (z) => ((((z % 7) + 7 + 4) % 7) + 7) % 7;

const isLeap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function daysInMonth(y, m) {
  const dim = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return m === 2 && isLeap(y) ? 29 : dim[m - 1];
}

function isRealDate(y, m, d, ymin) {
  return y >= ymin && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/* 01:00 UTC on the last Sunday of month m (March or October: 31 days). */
function lastSunday0100z(y, m) {
  let z = daysFromCivil(y, m, 31);
  z -= weekdayFromDays(z);
  return z * DAY + 3600;
}

/** The offset of Europe/Paris from UTC at instant t: 3600 or 7200 seconds. */
export function parisOffset(t) {
  t = clamp(t, -T_LIMIT, T_LIMIT);
  const { y, m } = civilFromDays(fdiv(t, DAY));
  if (m < 3 || m > 10) return 3600;
  return t >= lastSunday0100z(y, 3) && t < lastSunday0100z(y, 10) ? 7200 : 3600;
}

/* Paris wall-clock time (as if UTC) to an instant: {t, skipped}. */
function localToUtc(local) {
  const summer = local - 7200;
  const winter = local - 3600;
  if (parisOffset(summer) === 7200) return { t: summer, skipped: false };
  return { t: winter, skipped: parisOffset(winter) !== 3600 };
}

function utcToLocal(t) {
  t = clamp(t, -T_LIMIT, T_LIMIT);
  return t + parisOffset(t);
}

/* ---- parsing ---- */

function parseDigits(s, at, n) {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(at + i);
    if (!(c >= 48 && c <= 57)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

function parseDatePrefix(s) {
  if (typeof s !== 'string' || s.length < 10) return null;
  const y = parseDigits(s, 0, 4);
  const m = parseDigits(s, 5, 2);
  const d = parseDigits(s, 8, 2);
  if (y < 0 || s[4] !== '-' || m < 0 || s[7] !== '-' || d < 0) return null;
  if (!isRealDate(y, m, d, 1900)) return null;
  return { y, m, d };
}

/** Strict "YYYY-MM-DD", a real date, year 1900..9999: {y, m, d} or null. */
export function parseDate(s) {
  if (typeof s !== 'string' || s.length !== 10) return null;
  return parseDatePrefix(s);
}

/** "YYYY-MM-DD", "YYYY-MM" or "YYYY", each part real (birth dates). */
export function isPartialDate(s) {
  if (typeof s !== 'string') return false;
  if (s.length === 10) return parseDate(s) !== null;
  if (s.length === 7) {
    const y = parseDigits(s, 0, 4);
    const m = parseDigits(s, 5, 2);
    return y >= 0 && s[4] === '-' && m >= 0 && isRealDate(y, m, 1, 1900);
  }
  if (s.length === 4) {
    const y = parseDigits(s, 0, 4);
    return y >= 0 && isRealDate(y, 1, 1, 1900);
  }
  return false;
}

/** 00:00:00 Europe/Paris of a real date, as epoch seconds (null if not real). */
export function parisStartOfDay(y, m, d) {
  if (!isRealDate(y, m, d, 0)) return null;
  return localToUtc(daysFromCivil(y, m, d) * DAY).t;
}

/** 23:59:59 Europe/Paris of a real date, as epoch seconds (null if not real). */
export function parisEndOfDay(y, m, d) {
  if (!isRealDate(y, m, d, 0)) return null;
  return localToUtc(daysFromCivil(y, m, d) * DAY + DAY - 1).t;
}

/**
 * An instant as time_parse_instant reads it: "YYYY-MM-DD" (noon in Paris),
 * "YYYY-MM-DDTHH:MM:SSZ", "...+HH:MM" / "-HH:MM", "YYYY-MM-DDTHH:MM:SS"
 * (Paris local time), "@SECONDS". Returns seconds, or null.
 */
export function parseInstant(s) {
  if (typeof s !== 'string') return null;
  if (s[0] === '@') {
    const m = /^-?[0-9]+$/.exec(s.slice(1));
    if (!m) return null;
    const neg = s[1] === '-';
    const digits = neg ? s.slice(2) : s.slice(1);
    let v = 0;
    for (const ch of digits) {
      v = v * 10 + (ch.charCodeAt(0) - 48);
      if (v > T_MAX_FMT) return null;
    }
    if (neg) v = -v;
    return v < T_MIN_FMT ? null : v;
  }
  const date = parseDatePrefix(s);
  if (!date) return null;
  const localDay = daysFromCivil(date.y, date.m, date.d) * DAY;
  if (s.length === 10) return localToUtc(localDay + 12 * 3600).t;
  if (s[10] !== 'T' || s.length < 19) return null;
  const hh = parseDigits(s, 11, 2);
  const mi = parseDigits(s, 14, 2);
  const ss = parseDigits(s, 17, 2);
  if (hh < 0 || s[13] !== ':' || mi < 0 || s[16] !== ':' || ss < 0) return null;
  if (hh > 23 || mi > 59 || ss > 59) return null;
  const wall = localDay + hh * 3600 + mi * 60 + ss;
  const z = s.slice(19);
  if (z === '') {
    const r = localToUtc(wall);
    return r.skipped ? null : r.t;
  }
  if (z === 'Z') return wall;
  if ((z[0] === '+' || z[0] === '-') && z.length === 6) {
    const oh = parseDigits(z, 1, 2);
    const om = parseDigits(z, 4, 2);
    if (oh < 0 || z[3] !== ':' || om < 0) return null;
    if (om > 59 || oh * 60 + om > 18 * 60) return null;
    const off = oh * 3600 + om * 60;
    return z[0] === '+' ? wall - off : wall + off;
  }
  return null;
}

/* ---- formatting ---- */

const pad = (v, n) => String(v).padStart(n, '0');

function putDatetime(v, withTime) {
  const days = fdiv(v, DAY);
  const sod = v - days * DAY;
  const { y, m, d } = civilFromDays(days);
  const date = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
  if (!withTime) return date;
  return `${date}T${pad(Math.trunc(sod / 3600), 2)}:${pad(Math.trunc(sod / 60) % 60, 2)}:${pad(sod % 60, 2)}`;
}

/** The Europe/Paris calendar date of instant t, "YYYY-MM-DD". */
export function parisDate(t) {
  t = clamp(t, T_MIN_FMT - 3600, T_MAX_FMT - 3600);
  return putDatetime(utcToLocal(t), false);
}

/** "YYYY-MM-DDTHH:MM:SSZ". */
export function formatUtc(t) {
  t = clamp(t, T_MIN_FMT, T_MAX_FMT);
  return `${putDatetime(t, true)}Z`;
}

/** Europe/Paris local time with its offset, "YYYY-MM-DDTHH:MM:SS+01:00". */
export function formatParis(t) {
  t = clamp(t, T_MIN_FMT - 3600, T_MAX_FMT - 3600);
  const off = parisOffset(t);
  return `${putDatetime(t + off, true)}+${pad(off / 3600, 2)}:00`;
}
