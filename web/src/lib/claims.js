/*
 * claims.js: the CWT claims of an attestation, decoded and checked as
 * qr/claims.c does (docs/format.md, "The claims"), in both presentations:
 * the full code and the reduced code of the holder's card ("The reduced
 * presentation": iss, nbf, exp, cti, the status idx, v, fn, gn, dob, wrk;
 * a card that carries nat, fnn, app, tit, fil or prv is refused, iat and
 * the status uri are ignored when present).
 *
 * Decoding goes through the canonical-CBOR gate (depth 16), reads the keys
 * it knows, ignores the others, and checks every field with the rules of
 * claims_validate. Every failure is the one reason `claims`. Text bounds
 * are UTF-8 byte lengths, as in C.
 */
import { cborLoad, getBytes, getInt64, getText, getUint, utf8Length } from './cbor.js';
import { isPartialDate, parseDate } from './paris.js';

const CWT_ISS = 1;
const CWT_EXP = 4;
const CWT_NBF = 5;
const CWT_IAT = 6;
const CWT_CTI = 7;
const CWT_STATUS = 65535;
const CWT_ATTESTATION = -65537;

const ISS_MAX = 32;
const NAME_MAX = 128;
const TITLE_MAX = 160;
const URI_MAX = 256;
const PRV_NO_MAX = 32;
const CTI_LEN = 12;
const STATUS_IDX_MAX = 2 ** 21 - 1;

export const APP_FIRST = 1;
export const APP_RENEWAL = 2;
export const APP_CHANGE = 3;
export const WRK_NO = 0;
export const WRK_YES = 1;
export const WRK_PREVIOUS = 2;

export class ClaimsError extends Error {
  constructor(field) {
    super(`claims: ${field}`);
    this.code = 'claims';
    this.field = field;
  }
}

/** [A-Z0-9-], 2 to 31 characters: an issuer id. */
export function issuerIdOk(s) {
  return typeof s === 'string' && s.length >= 2 && s.length < ISS_MAX && /^[A-Z0-9-]+$/.test(s);
}

/* Text (valid UTF-8: decoded strictly) without control characters (C0 and DEL), byte length within [min, cap). */
export function textOk(s, min, cap) {
  const n = utf8Length(s);
  if (n < min || n >= cap) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

const digitsOk = (s, n) => s.length === n && /^[0-9]+$/.test(s);
const upperOk = (s, n) => s.length === n && /^[A-Z]+$/.test(s);

function uriOk(s) {
  const n = utf8Length(s);
  if (n === 0 || n >= URI_MAX) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * claims_validate (full) and claims_reduced_validate (reduced): the name of
 * the first bad claim, or null. The card checks only the claims it carries.
 */
export function claimsInvalidField(c, presentation = 'full') {
  const full = presentation !== 'reduced';
  if (!issuerIdOk(c.iss)) return 'iss';
  if (full && c.iat < 0) return 'iat';
  if (c.nbf < 0) return 'nbf';
  if (c.exp < c.nbf) return 'exp';
  if (c.statusIdx > STATUS_IDX_MAX) return 'status.idx';
  if (full && !uriOk(c.statusUri)) return 'status.uri';
  if (c.v !== 1) return 'v';
  if (!textOk(c.fn, 1, NAME_MAX)) return 'fn';
  if (!textOk(c.gn, 0, NAME_MAX)) return 'gn';
  if (!isPartialDate(c.dob)) return 'dob';
  if (full && !upperOk(c.nat, 3)) return 'nat';
  if (full && !digitsOk(c.fnn, 10)) return 'fnn';
  if (full && (c.app < APP_FIRST || c.app > APP_CHANGE)) return 'app';
  if (full && !textOk(c.tit, 1, TITLE_MAX)) return 'tit';
  if (c.wrk > WRK_PREVIOUS) return 'wrk';
  if (full && !parseDate(c.fil)) return 'fil';
  if (full && c.prv && !textOk(c.prv.no, 1, PRV_NO_MAX)) return 'prv.no';
  if (full && c.prv && !parseDate(c.prv.exp)) return 'prv.exp';
  return null;
}

/* The claims a card leaves out on purpose: a card that carries one is no card. */
const CARD_LEAVES_OUT = ['nat', 'fnn', 'app', 'tit', 'fil', 'prv'];

/* A uint at most max, as a number; undefined otherwise. */
function smallUint(v, max) {
  const u = getUint(v);
  return u !== undefined && u <= max ? Number(u) : undefined;
}

function need(v, field) {
  if (v === undefined) throw new ClaimsError(field);
  return v;
}

/**
 * claims_decode (presentation 'full') and claims_reduced_decode
 * ('reduced'): the claims of a payload, or a thrown ClaimsError. Times
 * (iat, nbf, exp) are numbers, or BigInt beyond the safe range. A reduced
 * code's claims have the full code's shape, with what the card does not
 * carry empty: iat 0, statusUri, nat, fnn, tit, fil '', app 0, prv null.
 */
export function claimsDecode(payload, presentation = 'full') {
  const full = presentation !== 'reduced';
  const root = cborLoad(payload);
  if (!(root instanceof Map)) throw new ClaimsError('cbor');
  const c = {};
  c.iss = need(getText(root.get(CWT_ISS), ISS_MAX), 'iss');
  c.iat = full ? need(getInt64(root.get(CWT_IAT)), 'iat') : 0;
  c.nbf = need(getInt64(root.get(CWT_NBF)), 'nbf');
  c.exp = need(getInt64(root.get(CWT_EXP)), 'exp');
  const cti = getBytes(root.get(CWT_CTI));
  if (!cti || cti.length !== CTI_LEN) throw new ClaimsError('cti');
  c.cti = cti;

  const status = root.get(CWT_STATUS);
  const sl = status instanceof Map ? status.get('status_list') : undefined;
  const idx = sl instanceof Map ? getUint(sl.get('idx')) : undefined;
  if (idx === undefined || idx > STATUS_IDX_MAX) throw new ClaimsError('status.idx');
  c.statusIdx = Number(idx);
  c.statusUri = full ? need(getText(sl.get('uri'), URI_MAX), 'status.uri') : '';

  const a = root.get(CWT_ATTESTATION);
  if (!(a instanceof Map)) throw new ClaimsError('attestation');
  c.v = need(smallUint(a.get('v'), 1000), 'v');
  c.fn = need(getText(a.get('fn'), NAME_MAX), 'fn');
  c.gn = need(getText(a.get('gn'), NAME_MAX), 'gn');
  c.dob = need(getText(a.get('dob'), 11), 'dob');
  c.wrk = need(smallUint(a.get('wrk'), 1000), 'wrk');
  c.prv = null;
  if (full) {
    c.nat = need(getText(a.get('nat'), 4), 'nat');
    c.fnn = need(getText(a.get('fnn'), 11), 'fnn');
    c.app = need(smallUint(a.get('app'), 1000), 'app');
    c.tit = need(getText(a.get('tit'), TITLE_MAX), 'tit');
    c.fil = need(getText(a.get('fil'), 11), 'fil');
    const prv = a.get('prv');
    if (prv !== undefined) {
      if (!(prv instanceof Map)) throw new ClaimsError('prv');
      c.prv = {
        no: need(getText(prv.get('no'), PRV_NO_MAX), 'prv.no'),
        exp: need(getText(prv.get('exp'), 11), 'prv.exp'),
      };
    }
  } else {
    for (const k of CARD_LEAVES_OUT) if (a.has(k)) throw new ClaimsError(k);
    Object.assign(c, { nat: '', fnn: '', app: 0, tit: '', fil: '' });
  }
  const bad = claimsInvalidField(c, presentation);
  if (bad) throw new ClaimsError(bad);
  return c;
}

/** The attestation id as 24 lowercase hex characters. */
export function ctiHex(cti) {
  return Array.from(cti, (b) => b.toString(16).padStart(2, '0')).join('');
}
