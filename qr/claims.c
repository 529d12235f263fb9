/*
 * claims.c: the CWT claims map of an attestation, encoded and decoded, in
 * its two presentations: the full code and the reduced code of the
 * holder's card (claims.h).
 *
 * Encoding writes the keys in the deterministic order of RFC 8949 4.2.1
 * (bytewise order of the encoded keys), so one set of claims has one
 * encoding. Decoding runs cbc_check over the bytes (canonical input only,
 * no duplicate key), then reads them with cbc_reader, without a libcbor
 * tree or any allocation: it reads the keys it knows, skips the others,
 * and validates every field with the same rules the encoder uses. The two
 * presentations share one reader and one validation, which the
 * presentation tells which claims to require (and, for the card, which to
 * refuse). Text fields follow common/text.h (UTF-8, no C0, DEL or C1
 * control), the issuer id claims_iss_valid, the one grammar of the
 * project. Field names in error reports are the CBOR names of
 * docs/format.md.
 */
#include "qr/claims.h"

#include <string.h>

#include "common/bytes.h"
#include "common/text.h"
#include "common/time.h"
#include "qr/cbc.h"
#include "qr/cbw.h"
#include "qr/cose.h"

#define CWT_ISS         1
#define CWT_EXP         4
#define CWT_NBF         5
#define CWT_IAT         6
#define CWT_CTI         7
#define CWT_STATUS      65535
#define CWT_ATTESTATION (-65537)

int claims_iss_valid(const char *s, size_t n)
{
    if (!s || n < CLAIMS_ISS_MIN || n > CLAIMS_ISS_MAX - 1) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-')) return 0;
    }
    return 1;
}

claims_presentation claims_presentation_of_typ(const char *typ)
{
    if (typ && strcmp(typ, COSE_TYP_ATTESTATION) == 0) return CLAIMS_PRESENTATION_FULL;
    if (typ && strcmp(typ, COSE_TYP_CARD) == 0) return CLAIMS_PRESENTATION_REDUCED;
    return CLAIMS_PRESENTATION_NONE;
}

const char *claims_presentation_typ(claims_presentation p)
{
    return p == CLAIMS_PRESENTATION_FULL      ? COSE_TYP_ATTESTATION
           : p == CLAIMS_PRESENTATION_REDUCED ? COSE_TYP_CARD
                                              : NULL;
}

const char *claims_presentation_code(claims_presentation p)
{
    return p == CLAIMS_PRESENTATION_FULL ? "full" : p == CLAIMS_PRESENTATION_REDUCED ? "reduced" : NULL;
}

static int claims_digits_ok(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int claims_upper_ok(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'A' || s[i] > 'Z') return 0;
    return 1;
}

static int claims_date_ok(const char *s)
{
    int y, m, d;
    return time_parse_date(&y, &m, &d, s) == 0;
}

static int claims_uri_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= CLAIMS_URI_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f) return 0;
    return 1;
}

/*
 * The one validation of both presentations, in the order of the full
 * code's claims; the card checks only the claims it carries (full is 0).
 */
static api_err claims_check(const api_claims *c, int full, const char **field)
{
    const char *bad = NULL;
    if (!claims_iss_valid(c->iss, strnlen(c->iss, CLAIMS_ISS_MAX)))
        bad = "iss";
    else if (full && c->iat < 0)
        bad = "iat";
    else if (c->nbf < 0)
        bad = "nbf";
    else if (c->exp < c->nbf)
        bad = "exp";
    else if (c->status_idx > CLAIMS_STATUS_IDX_MAX)
        bad = "status.idx";
    else if (full && !claims_uri_ok(c->status_uri))
        bad = "status.uri";
    else if (c->v != 1)
        bad = "v";
    else if (!text_plain_ok(c->fn, 1, sizeof c->fn))
        bad = "fn";
    else if (!text_plain_ok(c->gn, 0, sizeof c->gn))
        bad = "gn";
    else if (time_check_partial_date(c->dob) != 0)
        bad = "dob";
    else if (full && !claims_upper_ok(c->nat, 3))
        bad = "nat";
    else if (full && !claims_digits_ok(c->fnn, 10))
        bad = "fnn";
    else if (full && (c->app < CLAIMS_APP_FIRST || c->app > CLAIMS_APP_CHANGE))
        bad = "app";
    else if (full && !text_plain_ok(c->tit, 1, sizeof c->tit))
        bad = "tit";
    else if (c->wrk > CLAIMS_WRK_PREVIOUS)
        bad = "wrk";
    else if (full && !claims_date_ok(c->fil))
        bad = "fil";
    else if (full && c->has_prv && !text_plain_ok(c->prv_no, 1, sizeof c->prv_no))
        bad = "prv.no";
    else if (full && c->has_prv && !claims_date_ok(c->prv_exp))
        bad = "prv.exp";
    if (field) *field = bad;
    return bad ? API_ERR_CLAIMS : API_OK;
}

api_err claims_validate(const api_claims *c, const char **field)
{
    return claims_check(c, 1, field);
}

api_err claims_reduced_validate(const api_claims *c, const char **field)
{
    return claims_check(c, 0, field);
}

/*
 * One writer for both presentations, in the deterministic order of the
 * keys. The full code's map: {1 iss, 4 exp, 5 nbf, 6 iat, 7 cti, 65535
 * {"status_list": {"idx", "uri"}}, -65537 {"v", "fn", "gn", "app", "dob",
 * "fil", "fnn", "nat", ["prv"], "tit", "wrk"}}. The card's is the same
 * without iat, the status uri, and app, fil, fnn, nat, prv and tit.
 */
static api_err claims_write(uint8_t *out, size_t *outlen, const api_claims *c, int full)
{
    api_err e = claims_check(c, full, NULL);
    if (e != API_OK) return e;
    cbw w;
    cbw_init(&w, out, *outlen);
    cbw_map(&w, full ? 7 : 6);
    cbw_uint(&w, CWT_ISS);
    cbw_text(&w, c->iss);
    cbw_uint(&w, CWT_EXP);
    cbw_int(&w, c->exp);
    cbw_uint(&w, CWT_NBF);
    cbw_int(&w, c->nbf);
    if (full) {
        cbw_uint(&w, CWT_IAT);
        cbw_int(&w, c->iat);
    }
    cbw_uint(&w, CWT_CTI);
    cbw_bytes(&w, c->cti, CLAIMS_CTI_LEN);
    cbw_uint(&w, CWT_STATUS);
    cbw_map(&w, 1);
    cbw_text(&w, "status_list");
    cbw_map(&w, full ? 2 : 1);
    cbw_text(&w, "idx");
    cbw_uint(&w, c->status_idx);
    if (full) {
        cbw_text(&w, "uri");
        cbw_text(&w, c->status_uri);
    }
    cbw_int(&w, CWT_ATTESTATION);
    cbw_map(&w, !full ? 5 : c->has_prv ? 11 : 10);
    cbw_text(&w, "v");
    cbw_uint(&w, c->v);
    cbw_text(&w, "fn");
    cbw_text(&w, c->fn);
    cbw_text(&w, "gn");
    cbw_text(&w, c->gn);
    if (full) {
        cbw_text(&w, "app");
        cbw_uint(&w, c->app);
    }
    cbw_text(&w, "dob");
    cbw_text(&w, c->dob);
    if (full) {
        cbw_text(&w, "fil");
        cbw_text(&w, c->fil);
        cbw_text(&w, "fnn");
        cbw_text(&w, c->fnn);
        cbw_text(&w, "nat");
        cbw_text(&w, c->nat);
        if (c->has_prv) {
            cbw_text(&w, "prv");
            cbw_map(&w, 2);
            cbw_text(&w, "no");
            cbw_text(&w, c->prv_no);
            cbw_text(&w, "exp");
            cbw_text(&w, c->prv_exp);
        }
        cbw_text(&w, "tit");
        cbw_text(&w, c->tit);
    }
    cbw_text(&w, "wrk");
    cbw_uint(&w, c->wrk);
    return cbw_finish(&w, outlen);
}

api_err claims_encode(uint8_t *out, size_t *outlen, const api_claims *c)
{
    return claims_write(out, outlen, c, 1);
}

api_err claims_reduced_encode(uint8_t *out, size_t *outlen, const api_claims *c)
{
    return claims_write(out, outlen, c, 0);
}

/*
 * Decoding reads the checked bytes with cbc_reader (no tree, no allocation:
 * this runs once per verification). Every claim may appear at most once
 * (cbc_check refused duplicate keys); unknown keys are skipped.
 */
static int claims_read_small(cbc_reader *rd, unsigned *out)
{
    uint64_t v;
    if (cbc_read_uint(rd, &v) != 0 || v > 1000) return -1;
    *out = (unsigned)v;
    return 0;
}

/*
 * Reads a text key: 1 when read; 0 when the key is of another type, in
 * which case it and its value were skipped (unknown keys are ignored); -1
 * on damaged input.
 */
static int claims_text_key(cbc_reader *rd, const char **k, size_t *kn)
{
    size_t at = rd->pos;
    if (cbc_read_text(rd, k, kn) == 0) return 1;
    rd->pos = at;
    return cbc_skip(rd) == 0 && cbc_skip(rd) == 0 ? 0 : -1;
}

/* Reads an integer key the same way. */
static int claims_int_key(cbc_reader *rd, int64_t *key)
{
    size_t at = rd->pos;
    if (cbc_read_int64(rd, key) == 0) return 1;
    rd->pos = at;
    return cbc_skip(rd) == 0 && cbc_skip(rd) == 0 ? 0 : -1;
}

/* The status claim: {"status_list": {"idx": uint, "uri": text}}; the card needs no uri and ignores one. */
static int claims_read_status(cbc_reader *rd, api_claims *c, int full)
{
    uint64_t n, m;
    int found = 0;
    if (cbc_read_map(rd, &n) != 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t kn;
        int kr = claims_text_key(rd, &k, &kn);
        if (kr < 0) return -1;
        if (kr == 0) continue;
        if (!cbc_key_is(k, kn, "status_list")) {
            if (cbc_skip(rd) != 0) return -1;
            continue;
        }
        if (cbc_read_map(rd, &m) != 0) return -1;
        unsigned seen = 0;
        for (uint64_t j = 0; j < m; j++) {
            uint64_t idx;
            int kr2 = claims_text_key(rd, &k, &kn);
            if (kr2 < 0) return -1;
            if (kr2 == 0) continue;
            if (cbc_key_is(k, kn, "idx")) {
                if (cbc_read_uint(rd, &idx) != 0 || idx > CLAIMS_STATUS_IDX_MAX) return -1;
                c->status_idx = (uint32_t)idx;
                seen |= 1;
            } else if (full && cbc_key_is(k, kn, "uri")) {
                if (cbc_read_text_copy(rd, c->status_uri, sizeof c->status_uri) != 0) return -1;
                seen |= 2;
            } else if (cbc_skip(rd) != 0) {
                return -1;
            }
        }
        if (seen != (full ? 3u : 1u)) return -1;
        found = 1;
    }
    return found ? 0 : -1;
}

static int claims_read_prv(cbc_reader *rd, api_claims *c)
{
    uint64_t n;
    unsigned seen = 0;
    if (cbc_read_map(rd, &n) != 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t kn;
        int rc, kr = claims_text_key(rd, &k, &kn);
        if (kr < 0) return -1;
        if (kr == 0) continue;
        if (cbc_key_is(k, kn, "no"))
            rc = cbc_read_text_copy(rd, c->prv_no, sizeof c->prv_no), seen |= 1;
        else if (cbc_key_is(k, kn, "exp"))
            rc = cbc_read_text_copy(rd, c->prv_exp, sizeof c->prv_exp), seen |= 2;
        else
            rc = cbc_skip(rd);
        if (rc != 0) return -1;
    }
    c->has_prv = 1;
    return seen == 3 ? 0 : -1;
}

/* The attestation claims a card carries (v, fn, gn, dob, wrk), as bits of the seen mask below. */
#define CLAIMS_SEEN_CARD 0x10fu
#define CLAIMS_SEEN_FULL 0x3ffu

static int claims_read_attestation(cbc_reader *rd, api_claims *c, int full)
{
    uint64_t n;
    unsigned seen = 0;
    if (cbc_read_map(rd, &n) != 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t kn;
        int rc, kr = claims_text_key(rd, &k, &kn);
        if (kr < 0) return -1;
        if (kr == 0) continue;
        if (cbc_key_is(k, kn, "v"))
            rc = claims_read_small(rd, &c->v), seen |= 1 << 0;
        else if (cbc_key_is(k, kn, "fn"))
            rc = cbc_read_text_copy(rd, c->fn, sizeof c->fn), seen |= 1 << 1;
        else if (cbc_key_is(k, kn, "gn"))
            rc = cbc_read_text_copy(rd, c->gn, sizeof c->gn), seen |= 1 << 2;
        else if (cbc_key_is(k, kn, "dob"))
            rc = cbc_read_text_copy(rd, c->dob, sizeof c->dob), seen |= 1 << 3;
        else if (cbc_key_is(k, kn, "wrk"))
            rc = claims_read_small(rd, &c->wrk), seen |= 1 << 8;
        else if (!full && (cbc_key_is(k, kn, "nat") || cbc_key_is(k, kn, "fnn") || cbc_key_is(k, kn, "app") ||
                           cbc_key_is(k, kn, "tit") || cbc_key_is(k, kn, "fil") || cbc_key_is(k, kn, "prv")))
            return -1; /* a card that carries what a card leaves out is no card */
        else if (!full)
            rc = cbc_skip(rd);
        else if (cbc_key_is(k, kn, "nat"))
            rc = cbc_read_text_copy(rd, c->nat, sizeof c->nat), seen |= 1 << 4;
        else if (cbc_key_is(k, kn, "fnn"))
            rc = cbc_read_text_copy(rd, c->fnn, sizeof c->fnn), seen |= 1 << 5;
        else if (cbc_key_is(k, kn, "app"))
            rc = claims_read_small(rd, &c->app), seen |= 1 << 6;
        else if (cbc_key_is(k, kn, "tit"))
            rc = cbc_read_text_copy(rd, c->tit, sizeof c->tit), seen |= 1 << 7;
        else if (cbc_key_is(k, kn, "fil"))
            rc = cbc_read_text_copy(rd, c->fil, sizeof c->fil), seen |= 1 << 9;
        else if (cbc_key_is(k, kn, "prv"))
            rc = claims_read_prv(rd, c);
        else
            rc = cbc_skip(rd);
        if (rc != 0) return -1;
    }
    return seen == (full ? CLAIMS_SEEN_FULL : CLAIMS_SEEN_CARD) ? 0 : -1;
}

/* Both presentations: the CWT claims they need (the card has no iat), then the one validation. */
static api_err claims_decode_as(api_claims *c, const uint8_t *in, size_t inlen, int full)
{
    memset(c, 0, sizeof *c);
    api_err e = cbc_check(in, inlen, CBC_MAX_DEPTH);
    if (e != API_OK) return API_ERR_CLAIMS; /* signed, but not canonical: bad claims */
    cbc_reader rd;
    cbc_reader_init(&rd, in, inlen);
    uint64_t n;
    unsigned seen = 0;
    if (cbc_read_map(&rd, &n) != 0) return API_ERR_CLAIMS;
    for (uint64_t i = 0; i < n; i++) {
        int64_t key;
        int rc;
        const uint8_t *cti;
        size_t cti_len;
        int kr = claims_int_key(&rd, &key);
        if (kr < 0) return API_ERR_CLAIMS;
        if (kr == 0) continue; /* a key of another type: ignored like any unknown claim */
        switch (key) {
        case CWT_ISS:
            rc = cbc_read_text_copy(&rd, c->iss, sizeof c->iss), seen |= 1;
            break;
        case CWT_IAT:
            if (full)
                rc = cbc_read_int64(&rd, &c->iat), seen |= 2;
            else
                rc = cbc_skip(&rd); /* a card may carry an iat; it says nothing the verdict uses */
            break;
        case CWT_NBF:
            rc = cbc_read_int64(&rd, &c->nbf), seen |= 4;
            break;
        case CWT_EXP:
            rc = cbc_read_int64(&rd, &c->exp), seen |= 8;
            break;
        case CWT_CTI:
            rc = cbc_read_bytes(&rd, &cti, &cti_len);
            if (rc == 0 && cti_len == CLAIMS_CTI_LEN)
                memcpy(c->cti, cti, CLAIMS_CTI_LEN);
            else
                rc = -1;
            seen |= 16;
            break;
        case CWT_STATUS:
            rc = claims_read_status(&rd, c, full), seen |= 32;
            break;
        case CWT_ATTESTATION:
            rc = claims_read_attestation(&rd, c, full), seen |= 64;
            break;
        default:
            rc = cbc_skip(&rd);
            break;
        }
        if (rc != 0) return API_ERR_CLAIMS;
    }
    if (seen != (full ? 127u : 125u)) return API_ERR_CLAIMS;
    return claims_check(c, full, NULL);
}

api_err claims_decode(api_claims *c, const uint8_t *in, size_t inlen)
{
    return claims_decode_as(c, in, inlen, 1);
}

api_err claims_reduced_decode(api_claims *c, const uint8_t *in, size_t inlen)
{
    return claims_decode_as(c, in, inlen, 0);
}

void claims_cti_hex(char out[2 * CLAIMS_CTI_LEN + 1], const uint8_t cti[CLAIMS_CTI_LEN])
{
    bytes_to_hex(out, cti, CLAIMS_CTI_LEN);
}

int claims_cti_parse(uint8_t cti[CLAIMS_CTI_LEN], const char *hex)
{
    return hex ? bytes_from_hex(cti, CLAIMS_CTI_LEN, hex, strlen(hex)) : -1;
}
