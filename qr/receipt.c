/*
 * receipt.c: the verification receipt's payload, its envelope and its
 * verification against a set of receipt keys (see receipt.h and
 * docs/format.md, "Verification receipts").
 *
 * The writer puts the keys in the deterministic order of RFC 8949 4.2.1,
 * as the attestation's writer does: 1, 6, -65538 at the top; in the
 * receipt map "v", then the two-letter keys, then the three-letter ones
 * in byte order. The reader, like the claims reader, walks the checked
 * bytes with cbc_reader, skips keys it does not know, and refuses a map
 * that misses a required field or holds half of a pair (iss without isn,
 * fn without gn, ext without unt).
 *
 * The verification order is fixed so that every implementation refuses
 * a receipt for the same reason: envelope and payload (malformed), kid
 * in the key set (unknown_key), signature (invalid_signature), iss equal
 * to the key's organisation (signer_mismatch), the key's period
 * (signed_before_key, signed_after_retirement).
 */
#include "qr/receipt.h"

#include <string.h>

#include "common/text.h"
#include "common/time.h"
#include "qr/cbc.h"
#include "qr/cbw.h"
#include "qr/qrtext.h"

#define RECEIPT_CWT_ISS    1
#define RECEIPT_CWT_IAT    6
#define RECEIPT_CLAIMS     (-65538)
#define RECEIPT_CBOR_FALSE 0xf4
#define RECEIPT_CBOR_TRUE  0xf5

/* A code of [a-z0-9_], 1 to RECEIPT_CODE_MAX - 1 characters. */
static int receipt_code_ok(const char *s)
{
    size_t n = strnlen(s, RECEIPT_CODE_MAX);
    if (n == 0 || n >= RECEIPT_CODE_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) return 0;
    return 1;
}

static int receipt_date_ok(const char *s)
{
    int y, m, d;
    return strnlen(s, 11) == 10 && time_parse_date(&y, &m, &d, s) == 0;
}

api_err receipt_validate(const api_receipt *r, const char **field)
{
    const char *bad = NULL;
    if (!text_plain_ok(r->verifier, 1, sizeof r->verifier))
        bad = "iss";
    else if (r->checked_at < 0)
        bad = "iat";
    else if (!receipt_code_ok(r->result))
        bad = "res";
    else if (r->reason[0] && !receipt_code_ok(r->reason))
        bad = "rsn";
    else if (!receipt_code_ok(r->profile))
        bad = "prf";
    else if (!text_plain_ok(r->org, 1, sizeof r->org))
        bad = "org";
    else if (r->has_issuer && !claims_iss_valid(r->iss, strnlen(r->iss, sizeof r->iss)))
        bad = "receipt.iss";
    else if (r->has_issuer && !text_plain_ok(r->issuer_name, 1, sizeof r->issuer_name))
        bad = "isn";
    else if (r->has_holder && !text_plain_ok(r->fn, 1, sizeof r->fn))
        bad = "fn";
    else if (r->has_holder && !text_plain_ok(r->gn, 0, sizeof r->gn))
        bad = "gn";
    else if (r->has_work && r->wrk > CLAIMS_WRK_PREVIOUS)
        bad = "wrk";
    else if (r->has_until && !receipt_date_ok(r->until))
        bad = "unt";
    else if (r->has_status && r->status_as_of < 0)
        bad = "sat";
    if (field) *field = bad;
    return bad ? API_ERR_CLAIMS : API_OK;
}

api_err receipt_encode_payload(uint8_t *out, size_t *outlen, const api_receipt *r)
{
    api_err e = receipt_validate(r, NULL);
    if (e != API_OK) return e;
    size_t n = 4 + (r->reason[0] != 0) + 2 * (r->has_issuer != 0) + (r->has_cti != 0) +
               2 * (r->has_holder != 0) + (r->has_work != 0) + 2 * (r->has_until != 0) + (r->has_status != 0);
    cbw w;
    cbw_init(&w, out, *outlen);
    cbw_map(&w, 3);
    cbw_uint(&w, RECEIPT_CWT_ISS);
    cbw_text(&w, r->verifier);
    cbw_uint(&w, RECEIPT_CWT_IAT);
    cbw_uint(&w, (uint64_t)r->checked_at);
    cbw_int(&w, RECEIPT_CLAIMS);
    cbw_map(&w, n);
    cbw_text(&w, "v");
    cbw_uint(&w, RECEIPT_VERSION);
    if (r->has_holder) {
        cbw_text(&w, "fn");
        cbw_text(&w, r->fn);
        cbw_text(&w, "gn");
        cbw_text(&w, r->gn);
    }
    if (r->has_cti) {
        cbw_text(&w, "cti");
        cbw_bytes(&w, r->cti, CLAIMS_CTI_LEN);
    }
    if (r->has_until) {
        uint8_t b = r->extended ? RECEIPT_CBOR_TRUE : RECEIPT_CBOR_FALSE;
        cbw_text(&w, "ext");
        cbw_raw(&w, &b, 1);
    }
    if (r->has_issuer) {
        cbw_text(&w, "isn");
        cbw_text(&w, r->issuer_name);
        cbw_text(&w, "iss");
        cbw_text(&w, r->iss);
    }
    cbw_text(&w, "org");
    cbw_text(&w, r->org);
    cbw_text(&w, "prf");
    cbw_text(&w, r->profile);
    cbw_text(&w, "res");
    cbw_text(&w, r->result);
    if (r->reason[0]) {
        cbw_text(&w, "rsn");
        cbw_text(&w, r->reason);
    }
    if (r->has_status) {
        cbw_text(&w, "sat");
        cbw_uint(&w, (uint64_t)r->status_as_of);
    }
    if (r->has_until) {
        cbw_text(&w, "unt");
        cbw_text(&w, r->until);
    }
    if (r->has_work) {
        cbw_text(&w, "wrk");
        cbw_uint(&w, r->wrk);
    }
    return cbw_finish(&w, outlen);
}

/* ---- reading ---- */

/* A key of the receipt map: 1 read, 0 a key of another type (skipped with its value), -1 damaged. */
static int receipt_text_key(cbc_reader *rd, const char **k, size_t *kn)
{
    size_t at = rd->pos;
    if (cbc_read_text(rd, k, kn) == 0) return 1;
    rd->pos = at;
    return cbc_skip(rd) == 0 && cbc_skip(rd) == 0 ? 0 : -1;
}

static int receipt_read_bool(cbc_reader *rd, int *out)
{
    if (rd->pos >= rd->len) return -1;
    uint8_t b = rd->p[rd->pos];
    if (b != RECEIPT_CBOR_TRUE && b != RECEIPT_CBOR_FALSE) return -1;
    *out = b == RECEIPT_CBOR_TRUE;
    rd->pos++;
    return 0;
}

static int receipt_read_time(cbc_reader *rd, int64_t *out)
{
    uint64_t v;
    if (cbc_read_uint(rd, &v) != 0 || v > INT64_MAX) return -1;
    *out = (int64_t)v;
    return 0;
}

/* Bits of the fields seen in the receipt map. */
enum {
    RS_V = 1 << 0,
    RS_RES = 1 << 1,
    RS_PRF = 1 << 2,
    RS_ORG = 1 << 3,
    RS_RSN = 1 << 4,
    RS_ISS = 1 << 5,
    RS_ISN = 1 << 6,
    RS_FN = 1 << 7,
    RS_GN = 1 << 8,
    RS_EXT = 1 << 9,
    RS_UNT = 1 << 10,
};

static int receipt_read_map(cbc_reader *rd, api_receipt *r)
{
    uint64_t n;
    unsigned seen = 0, v = 0;
    if (cbc_read_map(rd, &n) != 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t kn;
        int rc, kr = receipt_text_key(rd, &k, &kn);
        if (kr < 0) return -1;
        if (kr == 0) continue;
        if (cbc_key_is(k, kn, "v")) {
            uint64_t x;
            rc = cbc_read_uint(rd, &x);
            v = rc == 0 && x < 1000 ? (unsigned)x : 0;
            seen |= RS_V;
        } else if (cbc_key_is(k, kn, "res")) {
            rc = cbc_read_text_copy(rd, r->result, sizeof r->result), seen |= RS_RES;
        } else if (cbc_key_is(k, kn, "rsn")) {
            rc = cbc_read_text_copy(rd, r->reason, sizeof r->reason), seen |= RS_RSN;
            if (rc == 0 && !r->reason[0]) rc = -1; /* absent, never empty */
        } else if (cbc_key_is(k, kn, "prf")) {
            rc = cbc_read_text_copy(rd, r->profile, sizeof r->profile), seen |= RS_PRF;
        } else if (cbc_key_is(k, kn, "org")) {
            rc = cbc_read_text_copy(rd, r->org, sizeof r->org), seen |= RS_ORG;
        } else if (cbc_key_is(k, kn, "iss")) {
            rc = cbc_read_text_copy(rd, r->iss, sizeof r->iss), seen |= RS_ISS;
        } else if (cbc_key_is(k, kn, "isn")) {
            rc = cbc_read_text_copy(rd, r->issuer_name, sizeof r->issuer_name), seen |= RS_ISN;
        } else if (cbc_key_is(k, kn, "cti")) {
            rc = cbc_read_bytes_exact(rd, r->cti, CLAIMS_CTI_LEN), r->has_cti = 1;
        } else if (cbc_key_is(k, kn, "fn")) {
            rc = cbc_read_text_copy(rd, r->fn, sizeof r->fn), seen |= RS_FN;
        } else if (cbc_key_is(k, kn, "gn")) {
            rc = cbc_read_text_copy(rd, r->gn, sizeof r->gn), seen |= RS_GN;
        } else if (cbc_key_is(k, kn, "wrk")) {
            uint64_t x;
            rc = cbc_read_uint(rd, &x);
            if (rc == 0 && x > CLAIMS_WRK_PREVIOUS) rc = -1;
            r->wrk = rc == 0 ? (unsigned)x : 0;
            r->has_work = 1;
        } else if (cbc_key_is(k, kn, "unt")) {
            rc = cbc_read_text_copy(rd, r->until, sizeof r->until), seen |= RS_UNT;
        } else if (cbc_key_is(k, kn, "ext")) {
            rc = receipt_read_bool(rd, &r->extended), seen |= RS_EXT;
        } else if (cbc_key_is(k, kn, "sat")) {
            rc = receipt_read_time(rd, &r->status_as_of), r->has_status = 1;
        } else {
            rc = cbc_skip(rd);
        }
        if (rc != 0) return -1;
    }
    unsigned required = RS_V | RS_RES | RS_PRF | RS_ORG;
    if ((seen & required) != required || v != RECEIPT_VERSION) return -1;
    /* the pairs come whole or not at all */
    if (!!(seen & RS_ISS) != !!(seen & RS_ISN) || !!(seen & RS_FN) != !!(seen & RS_GN) ||
        !!(seen & RS_UNT) != !!(seen & RS_EXT))
        return -1;
    r->has_issuer = (seen & RS_ISS) != 0;
    r->has_holder = (seen & RS_FN) != 0;
    r->has_until = (seen & RS_UNT) != 0;
    return 0;
}

api_err receipt_decode_payload(api_receipt *r, const uint8_t *in, size_t len)
{
    memset(r, 0, sizeof *r);
    if (cbc_check(in, len, CBC_MAX_DEPTH) != API_OK) return API_ERR_CLAIMS;
    cbc_reader rd;
    cbc_reader_init(&rd, in, len);
    uint64_t n;
    unsigned seen = 0;
    if (cbc_read_map(&rd, &n) != 0) return API_ERR_CLAIMS;
    for (uint64_t i = 0; i < n; i++) {
        int64_t key;
        int rc;
        size_t at = rd.pos;
        if (cbc_read_int64(&rd, &key) != 0) { /* a key of another type: ignored */
            rd.pos = at;
            if (cbc_skip(&rd) != 0 || cbc_skip(&rd) != 0) return API_ERR_CLAIMS;
            continue;
        }
        switch (key) {
        case RECEIPT_CWT_ISS:
            rc = cbc_read_text_copy(&rd, r->verifier, sizeof r->verifier), seen |= 1;
            break;
        case RECEIPT_CWT_IAT:
            rc = receipt_read_time(&rd, &r->checked_at), seen |= 2;
            break;
        case RECEIPT_CLAIMS:
            rc = receipt_read_map(&rd, r), seen |= 4;
            break;
        default:
            rc = cbc_skip(&rd);
            break;
        }
        if (rc != 0) {
            memset(r, 0, sizeof *r);
            return API_ERR_CLAIMS;
        }
    }
    api_err e = seen == 7 ? receipt_validate(r, NULL) : API_ERR_CLAIMS;
    if (e != API_OK) memset(r, 0, sizeof *r);
    return e;
}

/* ---- the envelope ---- */

api_err receipt_sign(char *text, size_t *textlen, const api_receipt *r, const uint8_t sk[COSE_SK_LEN])
{
    uint8_t payload[QRTEXT_MAX_COSE / 2], cose[QRTEXT_MAX_COSE];
    size_t plen = sizeof payload, clen = sizeof cose;
    api_err e = receipt_encode_payload(payload, &plen, r);
    if (e == API_OK) e = cose_sign1_sign(cose, &clen, COSE_TYP_RECEIPT, payload, plen, sk);
    if (e == API_OK) e = qrtext_encode_with(text, textlen, RECEIPT_PREFIX, cose, clen);
    return e;
}

api_err receipt_open(api_receipt *r, cose_sign1 *msg, uint8_t *cose, const char *text, size_t len)
{
    memset(r, 0, sizeof *r);
    memset(msg, 0, sizeof *msg);
    size_t clen = QRTEXT_MAX_COSE;
    api_err e = qrtext_decode_with(cose, &clen, RECEIPT_PREFIX, text, len);
    if (e == API_OK) e = cose_sign1_parse(msg, cose, clen, COSE_TYP_RECEIPT);
    if (e == API_OK) e = receipt_decode_payload(r, msg->payload, msg->payload_len);
    return e;
}

/* ---- verification ---- */

const char *receipt_check_code(receipt_check c)
{
    static const char *const codes[RECEIPT_CHECK_COUNT] = {
        "valid",
        "malformed",
        "unknown_key",
        "invalid_signature",
        "signer_mismatch",
        "signed_after_retirement",
        "signed_before_key",
    };
    return (unsigned)c < RECEIPT_CHECK_COUNT ? codes[c] : "unknown";
}

receipt_check receipt_verify(api_receipt *r, const receipt_key **key, api_err *err, const char *text,
                             size_t len, const receipt_key *keys, size_t n)
{
    uint8_t cose[QRTEXT_MAX_COSE];
    cose_sign1 msg;
    api_receipt claims;
    if (key) *key = NULL;
    if (err) *err = API_OK;
    memset(r, 0, sizeof *r);
    api_err e = receipt_open(&claims, &msg, cose, text, len);
    if (e != API_OK) {
        if (err) *err = e;
        return RECEIPT_MALFORMED;
    }
    const receipt_key *k = NULL;
    for (size_t i = 0; i < n && !k; i++) {
        uint8_t kid[COSE_KID_LEN];
        cose_kid(kid, keys[i].pub); /* the kid of the key itself, never the one a set claims */
        if (memcmp(kid, msg.kid, COSE_KID_LEN) == 0) k = &keys[i];
    }
    if (!k) return RECEIPT_UNKNOWN_KEY;
    if (key) *key = k;
    if (cose_sign1_verify(&msg, k->pub) != API_OK) return RECEIPT_BAD_SIGNATURE;
    *r = claims;
    if (strcmp(claims.verifier, k->name) != 0) return RECEIPT_SIGNER_MISMATCH;
    if (k->not_before > 0 && claims.checked_at < k->not_before) return RECEIPT_BEFORE_KEY;
    if (k->retired_at > 0 && claims.checked_at >= k->retired_at) return RECEIPT_KEY_RETIRED;
    return RECEIPT_VALID;
}
