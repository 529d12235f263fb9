/*
 * cose.c: signing and strict parsing of COSE_Sign1 with Ed25519.
 *
 * Parsing runs cbc_check over the whole message first, so the fixed outer
 * shape (tag 18, array of four, bstr, {}, bstr, bstr of 64) can then be
 * read with cbc_reader straight from the bytes, with pointers into the
 * input and no copy of the payload. Only the small protected header goes
 * through libcbor.
 * Signing goes through a signer (common/signer.h): a file key or a key in
 * a security module; the functions taking a bare secret key make a file
 * signer of it, so their bytes are what they always were.
 * This file never decides trust: it checks shape and, on request, a
 * signature against a key it is given.
 */
#include "qr/cose.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/signer.h"
#include "qr/cbc.h"
#include "qr/cbw.h"

#define COSE_TAG_SIGN1           18
#define COSE_HDR_ALG             1
#define COSE_HDR_KID             4
#define COSE_HDR_TYP             16
#define COSE_SMALL_SIG_STRUCTURE 2048

void cose_kid(uint8_t kid[COSE_KID_LEN], const uint8_t pk[COSE_PK_LEN])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, pk, COSE_PK_LEN);
    memcpy(kid, h, COSE_KID_LEN);
}

/* The serialized protected header {1: -8, 4: kid, 16: typ}. */
static api_err cose_protected(uint8_t *out, size_t *outlen, const char *typ, const uint8_t pk[COSE_PK_LEN])
{
    uint8_t kid[COSE_KID_LEN];
    cose_kid(kid, pk);
    cbw w;
    cbw_init(&w, out, *outlen);
    cbw_map(&w, 3);
    cbw_uint(&w, COSE_HDR_ALG);
    cbw_int(&w, COSE_ALG_EDDSA);
    cbw_uint(&w, COSE_HDR_KID);
    cbw_bytes(&w, kid, sizeof kid);
    cbw_uint(&w, COSE_HDR_TYP);
    cbw_text(&w, typ);
    return cbw_finish(&w, outlen);
}

/* Writes Sig_structure ["Signature1", protected, h'', payload] with w. */
static void cose_sig_structure(cbw *w, const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                               size_t payload_len)
{
    cbw_array(w, 4);
    cbw_text(w, "Signature1");
    cbw_bytes(w, prot, prot_len);
    cbw_bytes(w, NULL, 0);
    cbw_bytes(w, payload, payload_len);
}

/* Signs and writes the message with w (fixed or dynamic). */
static api_err cose_sign_into(cbw *out, const char *typ, const uint8_t *payload, size_t payload_len,
                              const api_signer *by)
{
    if (!typ || strlen(typ) >= COSE_TYP_MAX || !by) return API_ERR_ARG;
    uint8_t prot[COSE_TYP_MAX + 32];
    size_t prot_len = sizeof prot;
    api_err e = cose_protected(prot, &prot_len, typ, by->pk);
    if (e != API_OK) return e;

    cbw tbs;
    cbw_init_dynamic(&tbs, payload_len + prot_len + 64);
    cose_sig_structure(&tbs, prot, prot_len, payload, payload_len);
    size_t tbs_len;
    e = cbw_finish(&tbs, &tbs_len);
    uint8_t sig[COSE_SIG_LEN];
    if (e == API_OK) e = signer_sign(by, sig, tbs.buf, tbs_len);
    cbw_free(&tbs);
    if (e != API_OK) return e;

    cbw_tag(out, COSE_TAG_SIGN1);
    cbw_array(out, 4);
    cbw_bytes(out, prot, prot_len);
    cbw_map(out, 0);
    cbw_bytes(out, payload, payload_len);
    cbw_bytes(out, sig, sizeof sig);
    return out->err;
}

api_err cose_sign1_sign_with(uint8_t *out, size_t *outlen, const char *typ, const uint8_t *payload,
                             size_t payload_len, const api_signer *by)
{
    cbw w;
    cbw_init(&w, out, *outlen);
    api_err e = cose_sign_into(&w, typ, payload, payload_len, by);
    if (e != API_OK) return e;
    return cbw_finish(&w, outlen);
}

api_err cose_sign1_sign_alloc_with(uint8_t **out, size_t *outlen, const char *typ, const uint8_t *payload,
                                   size_t payload_len, const api_signer *by)
{
    cbw w;
    cbw_init_dynamic(&w, payload_len + 256);
    api_err e = cose_sign_into(&w, typ, payload, payload_len, by);
    if (e == API_OK) e = cbw_finish(&w, outlen);
    if (e != API_OK) {
        cbw_free(&w);
        return e;
    }
    *out = w.buf;
    return API_OK;
}

api_err cose_sign1_sign(uint8_t *out, size_t *outlen, const char *typ, const uint8_t *payload,
                        size_t payload_len, const uint8_t sk[COSE_SK_LEN])
{
    api_signer s;
    signer_init_key(&s, sk);
    return cose_sign1_sign_with(out, outlen, typ, payload, payload_len, &s);
}

api_err cose_sign1_sign_alloc(uint8_t **out, size_t *outlen, const char *typ, const uint8_t *payload,
                              size_t payload_len, const uint8_t sk[COSE_SK_LEN])
{
    api_signer s;
    signer_init_key(&s, sk);
    return cose_sign1_sign_alloc_with(out, outlen, typ, payload, payload_len, &s);
}

static api_err cose_parse_protected(cose_sign1 *msg)
{
    if (msg->protected_len == 0) return API_ERR_ALG;
    cbor_item_t *hdr;
    api_err e = cbc_load(&hdr, msg->protected_bytes, msg->protected_len, 4);
    if (e != API_OK) return e == API_ERR_NOMEM ? e : API_ERR_NOT_COSE_SIGN1;
    e = API_OK;
    if (!cbor_isa_map(hdr)) {
        e = API_ERR_NOT_COSE_SIGN1;
        goto done;
    }
    /* Only the three labels we define: anything else may be critical. */
    struct cbor_pair *pairs = cbor_map_handle(hdr);
    for (size_t i = 0; i < cbor_map_size(hdr); i++) {
        int64_t label;
        if (cbc_get_int64(&label, pairs[i].key) != 0 ||
            (label != COSE_HDR_ALG && label != COSE_HDR_KID && label != COSE_HDR_TYP)) {
            e = API_ERR_NOT_COSE_SIGN1;
            goto done;
        }
    }
    if (cbc_get_int64(&msg->alg, cbc_map_get_int(hdr, COSE_HDR_ALG)) != 0 ||
        (msg->alg != COSE_ALG_EDDSA && msg->alg != COSE_ALG_ED25519)) {
        e = API_ERR_ALG;
        goto done;
    }
    if (cbc_get_text(msg->typ, sizeof msg->typ, cbc_map_get_int(hdr, COSE_HDR_TYP)) != 0) {
        e = API_ERR_TYP;
        goto done;
    }
    const uint8_t *kid;
    size_t kid_len;
    if (cbc_get_bytes(&kid, &kid_len, cbc_map_get_int(hdr, COSE_HDR_KID)) != 0 || kid_len != COSE_KID_LEN) {
        e = API_ERR_NOT_COSE_SIGN1;
        goto done;
    }
    memcpy(msg->kid, kid, COSE_KID_LEN);
done:
    cbor_decref(&hdr);
    return e;
}

api_err cose_sign1_parse(cose_sign1 *msg, const uint8_t *in, size_t len, const char *typ)
{
    memset(msg, 0, sizeof *msg);
    api_err e = cbc_check(in, len, CBC_MAX_DEPTH);
    if (e != API_OK) return e;

    cbc_reader rd;
    cbc_reader_init(&rd, in, len);
    unsigned major;
    uint64_t arg;
    size_t sig_len;
    if (cbc_read_head(&rd, &major, &arg) != 0 || major != 6 || arg != COSE_TAG_SIGN1 ||
        cbc_read_array(&rd, &arg) != 0 || arg != 4 ||
        cbc_read_bytes(&rd, &msg->protected_bytes, &msg->protected_len) != 0 ||
        cbc_read_map(&rd, &arg) != 0 || arg != 0 || /* unprotected must be {} */
        cbc_read_bytes(&rd, &msg->payload, &msg->payload_len) != 0 ||
        cbc_read_bytes(&rd, &msg->signature, &sig_len) != 0 || sig_len != COSE_SIG_LEN)
        return API_ERR_NOT_COSE_SIGN1;

    e = cose_parse_protected(msg);
    if (e != API_OK) return e;
    if (typ && strcmp(msg->typ, typ) != 0) return API_ERR_TYP;
    return API_OK;
}

api_err cose_sign1_verify(const cose_sign1 *msg, const uint8_t pk[COSE_PK_LEN])
{
    uint8_t small[COSE_SMALL_SIG_STRUCTURE];
    cbw w;
    size_t need = msg->protected_len + msg->payload_len + 32;
    if (need <= sizeof small)
        cbw_init(&w, small, sizeof small);
    else
        cbw_init_dynamic(&w, need);
    cose_sig_structure(&w, msg->protected_bytes, msg->protected_len, msg->payload, msg->payload_len);
    size_t tbs_len;
    api_err e = cbw_finish(&w, &tbs_len);
    if (e == API_OK && crypto_sign_verify_detached(msg->signature, w.buf, tbs_len, pk) != 0)
        e = API_ERR_SIGNATURE;
    cbw_free(&w);
    return e;
}
