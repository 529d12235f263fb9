/*
 * verify.js: one verification of a QR text, in the fixed order of
 * verifier/verify.c (docs/format.md, "Verifying"), and its report, the
 * object verifier/report.c prints with REPORT_FULL.
 *
 *   1. QR text -> COSE bytes              malformed (prefix, base45, zlib, too_large)
 *   2. COSE_Sign1 shape and headers        malformed (cbor, not_cose_sign1, alg, typ);
 *      the typ says which presentation:   api-attestation+cwt (full), api-card+cwt
 *                                         (reduced: the holder's card)
 *   3. trust-list entry by kid             unknown_issuer (unknown_kid)
 *   4. entry compromised                   untrusted_issuer (key_compromised)
 *   5. signature                           invalid_signature (signature)
 *   6. claims                              malformed (claims)
 *   7. iss equals the entry's issuer id    untrusted_issuer (issuer_mismatch)
 *   8. retired key: iat before retired_at  untrusted_issuer (issued_after_retirement);
 *      (a card has no iat: its nbf)
 *   9. status: revoked, superseded         revoked, superseded
 *  10. dates (extensions included)         not_yet_valid, expired
 *  11. status: suspended                   suspended
 *  12. freshness                           status_unknown (no_status, status_stale, trust_list_expired)
 *  13. otherwise                           valid
 *
 * Nothing here reads a clock or the network: the state (bundle.js) and the
 * time come from the caller. Claims are decoded only after the signature
 * verified, and holder data appear in the report only then. Both
 * presentations of an attestation (the full code and the holder's card)
 * go through the same order; the report says which was read
 * (`presentation`) and names what a card does not carry (`not_presented`).
 */
import { b45Decode } from './base45.js';
import { isZeroInt } from './cbor.js';
import { claimsDecode, ClaimsError, ctiHex, APP_RENEWAL, WRK_NO } from './claims.js';
import { coseParse, coseVerify, CoseError, TYP_ATTESTATION, TYP_CARD } from './cose.js';
import { explanation } from './explain.js';
import { formatUtc, parisDate } from './paris.js';
import { statusOf } from './bundle.js';
import { trustFindKid } from './trust.js';
import { inflateStrict } from './zlib.js';

export const QR_PREFIX = 'API1:';
export const QR_MAX_TEXT = 8192; /* bytes of QR text accepted */
export const QR_MAX_COSE = 4096; /* bytes of COSE after decompression */
export const DEFAULT_MAX_STALENESS = 24 * 3600;

export const STATUS_VALID = 0;
export const STATUS_REVOKED = 1;
export const STATUS_SUSPENDED = 2;
export const STATUS_SUPERSEDED = 3;

class Malformed extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

/** qrtext_decode: the COSE bytes of a QR text (string or UTF-8 bytes); throws {code}. */
export function qrDecode(text) {
  const b = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  if (b.length > QR_MAX_TEXT) throw new Malformed('too_large');
  if (b.length < QR_PREFIX.length || !QR_PREFIX.split('').every((ch, i) => b[i] === ch.charCodeAt(0)))
    throw new Malformed('prefix');
  const raw = b45Decode(b.subarray(QR_PREFIX.length));
  if (!raw || raw.length === 0) throw new Malformed('base45');
  if (raw[0] === 0xd2) {
    if (raw.length > QR_MAX_COSE) throw new Malformed('too_large');
    return raw;
  }
  const cose = inflateStrict(raw, QR_MAX_COSE);
  if (!cose) throw new Malformed('zlib');
  return cose;
}

/* Steps 9 to 13, once the attestation is authentic. */
function statusAndDates(r, state, now, maxStaleness) {
  const c = r.claims;
  const st = statusOf(state, r.issuer, c.statusIdx);
  const haveStatus = st !== null && st.held;
  let fresh = false;
  if (haveStatus) fresh = BigInt(now) - BigInt(st.asOf) <= BigInt(Math.floor(Number(maxStaleness)));
  r.statusChecked = haveStatus;
  r.statusAsOf = haveStatus ? st.asOf : 0;
  r.status = haveStatus ? st.status : STATUS_VALID;
  r.effectiveExp = c.exp;
  if (haveStatus && st.extendedUntil > c.exp) {
    r.effectiveExp = st.extendedUntil;
    r.extended = true;
  }
  const set = (verdict, reason) => {
    r.verdict = verdict;
    r.reason = reason;
  };
  if (haveStatus && st.status === STATUS_REVOKED) return set('revoked', 'revoked');
  if (haveStatus && st.status === STATUS_SUPERSEDED) return set('superseded', 'superseded');
  if (now < c.nbf) return set('not_yet_valid', 'not_yet_valid');
  if (now > r.effectiveExp) return set('expired', 'expired');
  if (haveStatus && st.status === STATUS_SUSPENDED) return set('suspended', 'suspended');
  if (st !== null && !haveStatus) return set('status_unknown', 'no_status');
  if (haveStatus && !fresh) return set('status_unknown', 'status_stale');
  if (now > state.trust.list.exp) return set('status_unknown', 'trust_list_expired');
  return set('valid', null);
}

/**
 * verify_qrtext: the result of verifying text against state at now
 * (seconds): {verdict, reason, hasIssuer, issuer, hasClaims, claims,
 * ctiHex, statusChecked, statusAsOf, status, effectiveExp, extended,
 * presentation}. presentation is 'full', 'reduced', or null before the
 * typ was read. options.accept: 'full' or 'reduced' for a reader of one
 * kind only (the other is malformed, typ); both by default.
 */
export function verifyResult(text, state, nowSeconds, { maxStaleness = DEFAULT_MAX_STALENESS, accept } = {}) {
  const now = Math.floor(Number(nowSeconds));
  const r = {
    verdict: 'malformed',
    reason: null,
    presentation: null,
    hasIssuer: false,
    issuer: null,
    hasClaims: false,
    claims: null,
    ctiHex: '',
    statusChecked: false,
    statusAsOf: 0,
    status: STATUS_VALID,
    effectiveExp: 0,
    extended: false,
  };
  const set = (verdict, reason) => {
    r.verdict = verdict;
    r.reason = reason;
    return r;
  };
  let msg;
  try {
    msg = coseParse(qrDecode(text));
  } catch (e) {
    if (e instanceof Malformed || e instanceof CoseError) return set('malformed', e.code);
    throw e;
  }
  const presentation = msg.typ === TYP_ATTESTATION ? 'full' : msg.typ === TYP_CARD ? 'reduced' : null;
  if (!presentation || (accept && accept !== presentation)) return set('malformed', 'typ');
  r.presentation = presentation;
  const entry = trustFindKid(state.trust.list, msg.kid);
  if (!entry) return set('unknown_issuer', 'unknown_kid');
  r.hasIssuer = true;
  r.issuer = entry;
  if (entry.state === 'compromised') return set('untrusted_issuer', 'key_compromised');
  if (!coseVerify(msg, entry.pub)) return set('invalid_signature', 'signature');
  try {
    r.claims = claimsDecode(msg.payload, presentation);
  } catch (e) {
    if (e instanceof ClaimsError) return set('malformed', 'claims');
    throw e;
  }
  r.hasClaims = true;
  r.ctiHex = ctiHex(r.claims.cti);
  if (r.claims.iss !== entry.id) return set('untrusted_issuer', 'issuer_mismatch');
  // A card has no iat: its nbf stands for it (docs/format.md, "The reduced presentation").
  const issuedAt = presentation === 'reduced' ? r.claims.nbf : r.claims.iat;
  if (entry.state === 'retired' && issuedAt >= entry.retiredAt)
    return set('untrusted_issuer', 'issued_after_retirement');
  statusAndDates(r, state, now, maxStaleness);
  return r;
}

const APP_CODES = ['unknown', 'first', 'renewal', 'change'];
/* What the full profile's report would carry that a card does not (report.c, report_json_not_presented). */
const NOT_PRESENTED = ['issued_at', 'holder.nationality', 'holder.foreign_national_number', 'application'];
const WORK_CODES = ['no', 'yes', 'previous_conditions'];

/** report_json with REPORT_FULL: the object `api-verifier verify --json` prints. */
export function reportJson(r, nowSeconds) {
  const now = Math.floor(Number(nowSeconds));
  const o = {
    result: r.verdict,
    reason: r.reason,
    valid: r.verdict === 'valid',
    checked_at: formatUtc(now),
    status_checked: r.statusChecked,
    status_as_of: r.statusChecked ? formatUtc(r.statusAsOf) : null,
  };
  if (r.presentation) o.presentation = r.presentation;
  if (r.hasIssuer) o.issuer = { id: r.issuer.id, name: r.issuer.name };
  const full = r.presentation !== 'reduced';
  if (r.hasClaims) {
    const c = r.claims;
    const eff = isZeroInt(r.effectiveExp) ? c.exp : r.effectiveExp;
    o.attestation_id = r.ctiHex;
    if (full) o.issued_at = formatUtc(c.iat);
    o.holder = { family_name: c.fn, given_names: c.gn, birth_date: c.dob };
    if (full) {
      o.holder.nationality = c.nat;
      o.holder.foreign_national_number = c.fnn;
      o.application = {
        type: APP_CODES[c.app <= 3 ? c.app : 0],
        title_requested: c.tit,
        filed_on: c.fil,
      };
      if (c.prv) o.application.previous_title = { number: c.prv.no, expires_on: c.prv.exp };
    }
    o.rights = {
      stay_until: parisDate(eff),
      work_authorised: c.wrk !== WRK_NO,
      work: WORK_CODES[c.wrk <= 2 ? c.wrk : 0],
    };
    o.validity = {
      valid_from: parisDate(c.nbf),
      valid_until: parisDate(c.exp),
      effective_until: parisDate(eff),
      extended: r.extended,
      not_before: formatUtc(c.nbf),
      expires_at: formatUtc(eff),
    };
    if (!full) o.not_presented = [...NOT_PRESENTED];
  }
  const renewalWithPermit = r.hasClaims && r.claims.app === APP_RENEWAL && r.claims.prv !== null;
  const wrk = r.hasClaims ? r.claims.wrk : 0;
  o.explanation = {
    fr: explanation('fr', r.verdict, r.reason, renewalWithPermit, wrk, r.presentation),
    en: explanation('en', r.verdict, r.reason, renewalWithPermit, wrk, r.presentation),
  };
  return o;
}

/**
 * Verifies a QR text against a state (loadBundle, or loadTrustList for no
 * status data) at nowSeconds and returns the report: the same fields and
 * values as the C verifier's JSON (result, reason, valid, checked_at,
 * status_checked, status_as_of, presentation, issuer, attestation_id,
 * issued_at, holder, application, rights, validity, not_presented,
 * explanation).
 */
export function verifyQr(text, state, nowSeconds, options = {}) {
  return reportJson(verifyResult(text, state, nowSeconds, options), nowSeconds);
}
