/*
 * claims.c: the CWT claims map of an attestation, encoded and decoded.
 *
 * Encoding writes the keys in the deterministic order of RFC 8949 4.2.1
 * (bytewise order of the encoded keys), so one set of claims has one
 * encoding. Decoding goes through cbc_load (canonical input only), reads
 * the keys it knows, ignores the others, and validates every field with
 * the same claims_validate the encoder uses. Field names in error reports
 * are the CBOR names of docs/format.md.
 */
#include "claims.h"

#include <string.h>

#include "apitime.h"
#include "cbc.h"
#include "cbw.h"

#define CWT_ISS         1
#define CWT_EXP         4
#define CWT_NBF         5
#define CWT_IAT         6
#define CWT_CTI         7
#define CWT_STATUS      65535
#define CWT_ATTESTATION (-65537)

static int claims_iss_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n >= CLAIMS_ISS_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-')) return 0;
    }
    return 1;
}

/* UTF-8 text without control characters, lengths within [min, cap). */
static int claims_text_ok(const char *s, size_t min, size_t cap)
{
    size_t n = strlen(s);
    if (n < min || n >= cap) return 0;
    if (!cbc_utf8_valid((const uint8_t *)s, n)) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f) return 0;
    }
    return 1;
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

api_err claims_validate(const api_claims *c, const char **field)
{
    const char *bad = NULL;
    if (!claims_iss_ok(c->iss))
        bad = "iss";
    else if (c->iat < 0)
        bad = "iat";
    else if (c->nbf < 0)
        bad = "nbf";
    else if (c->exp < c->nbf)
        bad = "exp";
    else if (c->status_idx > CLAIMS_STATUS_IDX_MAX)
        bad = "status.idx";
    else if (!claims_uri_ok(c->status_uri))
        bad = "status.uri";
    else if (c->v != 1)
        bad = "v";
    else if (!claims_text_ok(c->fn, 1, sizeof c->fn))
        bad = "fn";
    else if (!claims_text_ok(c->gn, 0, sizeof c->gn))
        bad = "gn";
    else if (time_check_partial_date(c->dob) != 0)
        bad = "dob";
    else if (!claims_upper_ok(c->nat, 3))
        bad = "nat";
    else if (!claims_digits_ok(c->fnn, 10))
        bad = "fnn";
    else if (c->app < CLAIMS_APP_FIRST || c->app > CLAIMS_APP_CHANGE)
        bad = "app";
    else if (!claims_text_ok(c->tit, 1, sizeof c->tit))
        bad = "tit";
    else if (c->wrk > CLAIMS_WRK_PREVIOUS)
        bad = "wrk";
    else if (!claims_date_ok(c->fil))
        bad = "fil";
    else if (c->has_prv && !claims_text_ok(c->prv_no, 1, sizeof c->prv_no))
        bad = "prv.no";
    else if (c->has_prv && !claims_date_ok(c->prv_exp))
        bad = "prv.exp";
    if (field) *field = bad;
    return bad ? API_ERR_CLAIMS : API_OK;
}

api_err claims_encode(uint8_t *out, size_t *outlen, const api_claims *c)
{
    api_err e = claims_validate(c, NULL);
    if (e != API_OK) return e;
    cbw w;
    cbw_init(&w, out, *outlen);
    cbw_map(&w, 7);
    cbw_uint(&w, CWT_ISS);
    cbw_text(&w, c->iss);
    cbw_uint(&w, CWT_EXP);
    cbw_int(&w, c->exp);
    cbw_uint(&w, CWT_NBF);
    cbw_int(&w, c->nbf);
    cbw_uint(&w, CWT_IAT);
    cbw_int(&w, c->iat);
    cbw_uint(&w, CWT_CTI);
    cbw_bytes(&w, c->cti, CLAIMS_CTI_LEN);
    cbw_uint(&w, CWT_STATUS);
    cbw_map(&w, 1);
    cbw_text(&w, "status_list");
    cbw_map(&w, 2);
    cbw_text(&w, "idx");
    cbw_uint(&w, c->status_idx);
    cbw_text(&w, "uri");
    cbw_text(&w, c->status_uri);
    cbw_int(&w, CWT_ATTESTATION);
    cbw_map(&w, c->has_prv ? 11 : 10);
    cbw_text(&w, "v");
    cbw_uint(&w, c->v);
    cbw_text(&w, "fn");
    cbw_text(&w, c->fn);
    cbw_text(&w, "gn");
    cbw_text(&w, c->gn);
    cbw_text(&w, "app");
    cbw_uint(&w, c->app);
    cbw_text(&w, "dob");
    cbw_text(&w, c->dob);
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
    cbw_text(&w, "wrk");
    cbw_uint(&w, c->wrk);
    return cbw_finish(&w, outlen);
}

static int claims_get_uint(unsigned *out, const cbor_item_t *item, uint64_t max)
{
    uint64_t v;
    if (cbc_get_uint(&v, item) != 0 || v > max) return -1;
    *out = (unsigned)v;
    return 0;
}

static int claims_get_time(int64_t *out, const cbor_item_t *item)
{
    /* NumericDate: seconds since the epoch, integer form only. */
    return cbc_get_int64(out, item);
}

static api_err claims_decode_status(api_claims *c, const cbor_item_t *status)
{
    const cbor_item_t *sl = cbc_map_get_text(status, "status_list");
    uint64_t idx;
    if (!sl || cbc_get_uint(&idx, cbc_map_get_text(sl, "idx")) != 0 || idx > CLAIMS_STATUS_IDX_MAX)
        return API_ERR_CLAIMS;
    c->status_idx = (uint32_t)idx;
    if (cbc_get_text(c->status_uri, sizeof c->status_uri, cbc_map_get_text(sl, "uri")) != 0)
        return API_ERR_CLAIMS;
    return API_OK;
}

static api_err claims_decode_attestation(api_claims *c, const cbor_item_t *a)
{
    if (!a || !cbor_isa_map(a)) return API_ERR_CLAIMS;
    if (claims_get_uint(&c->v, cbc_map_get_text(a, "v"), 1000) != 0 ||
        cbc_get_text(c->fn, sizeof c->fn, cbc_map_get_text(a, "fn")) != 0 ||
        cbc_get_text(c->gn, sizeof c->gn, cbc_map_get_text(a, "gn")) != 0 ||
        cbc_get_text(c->dob, sizeof c->dob, cbc_map_get_text(a, "dob")) != 0 ||
        cbc_get_text(c->nat, sizeof c->nat, cbc_map_get_text(a, "nat")) != 0 ||
        cbc_get_text(c->fnn, sizeof c->fnn, cbc_map_get_text(a, "fnn")) != 0 ||
        claims_get_uint(&c->app, cbc_map_get_text(a, "app"), 1000) != 0 ||
        cbc_get_text(c->tit, sizeof c->tit, cbc_map_get_text(a, "tit")) != 0 ||
        claims_get_uint(&c->wrk, cbc_map_get_text(a, "wrk"), 1000) != 0 ||
        cbc_get_text(c->fil, sizeof c->fil, cbc_map_get_text(a, "fil")) != 0)
        return API_ERR_CLAIMS;
    const cbor_item_t *prv = cbc_map_get_text(a, "prv");
    if (prv) {
        if (!cbor_isa_map(prv) ||
            cbc_get_text(c->prv_no, sizeof c->prv_no, cbc_map_get_text(prv, "no")) != 0 ||
            cbc_get_text(c->prv_exp, sizeof c->prv_exp, cbc_map_get_text(prv, "exp")) != 0)
            return API_ERR_CLAIMS;
        c->has_prv = 1;
    }
    return API_OK;
}

api_err claims_decode(api_claims *c, const uint8_t *in, size_t inlen)
{
    memset(c, 0, sizeof *c);
    cbor_item_t *root;
    api_err e = cbc_load(&root, in, inlen, CBC_MAX_DEPTH);
    if (e != API_OK) return e == API_ERR_NOMEM ? e : API_ERR_CLAIMS; /* signed, but not canonical: bad claims */
    const uint8_t *cti;
    size_t cti_len;
    if (!cbor_isa_map(root) || cbc_get_text(c->iss, sizeof c->iss, cbc_map_get_int(root, CWT_ISS)) != 0 ||
        claims_get_time(&c->iat, cbc_map_get_int(root, CWT_IAT)) != 0 ||
        claims_get_time(&c->nbf, cbc_map_get_int(root, CWT_NBF)) != 0 ||
        claims_get_time(&c->exp, cbc_map_get_int(root, CWT_EXP)) != 0 ||
        cbc_get_bytes(&cti, &cti_len, cbc_map_get_int(root, CWT_CTI)) != 0 || cti_len != CLAIMS_CTI_LEN) {
        e = API_ERR_CLAIMS;
        goto done;
    }
    memcpy(c->cti, cti, CLAIMS_CTI_LEN);
    e = claims_decode_status(c, cbc_map_get_int(root, CWT_STATUS));
    if (e == API_OK) e = claims_decode_attestation(c, cbc_map_get_int(root, CWT_ATTESTATION));
    if (e == API_OK) e = claims_validate(c, NULL);
done:
    cbor_decref(&root);
    if (e != API_OK && e != API_ERR_NOMEM) e = API_ERR_CLAIMS;
    return e;
}

void claims_cti_hex(char out[2 * CLAIMS_CTI_LEN + 1], const uint8_t cti[CLAIMS_CTI_LEN])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < CLAIMS_CTI_LEN; i++) {
        out[2 * i] = hex[cti[i] >> 4];
        out[2 * i + 1] = hex[cti[i] & 15];
    }
    out[2 * CLAIMS_CTI_LEN] = '\0';
}

static int claims_hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int claims_cti_parse(uint8_t cti[CLAIMS_CTI_LEN], const char *hex)
{
    if (!hex || strlen(hex) != 2 * CLAIMS_CTI_LEN) return -1;
    for (size_t i = 0; i < CLAIMS_CTI_LEN; i++) {
        int hi = claims_hexval(hex[2 * i]), lo = claims_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        cti[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
