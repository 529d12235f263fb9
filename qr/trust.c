/*
 * trust.c: encoding, signing, verification and checking of the trust list.
 *
 * The payload is a CBOR map with text keys, written in deterministic key
 * order. Decoding never trusts a kid: it recomputes it from the key and
 * refuses an entry where they differ. This file knows nothing of files or
 * of which root to trust: callers hand it the key.
 */
#include "qr/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "qr/cbc.h"
#include "qr/cbw.h"

static const char *const trust_state_names[] = {"active", "retired", "compromised"};

const char *trust_state_name(trust_state s)
{
    return (unsigned)s < 3 ? trust_state_names[s] : "unknown";
}

int trust_state_parse(trust_state *s, const char *name)
{
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(name, trust_state_names[i]) == 0) {
            *s = (trust_state)i;
            return 0;
        }
    return -1;
}

static api_err trust_validate_receipt_signers(const trust_list *tl, char *err, size_t errcap)
{
    if (tl->n_receipt_signers > TRUST_MAX_RECEIPT_SIGNERS) {
        snprintf(err, errcap, "more than %d receipt signers", TRUST_MAX_RECEIPT_SIGNERS);
        return API_ERR_TRUST_LIST;
    }
    for (size_t i = 0; i < tl->n_receipt_signers; i++) {
        const trust_receipt_signer *s = &tl->receipt_signers[i];
        uint8_t kid[COSE_KID_LEN];
        cose_kid(kid, s->pub);
        const char *bad = NULL;
        if (!text_plain_ok(s->name, 1, sizeof s->name))
            bad = "name";
        else if (memcmp(kid, s->kid, sizeof kid) != 0)
            bad = "kid (not the hash of the key)";
        else if (s->state != TRUST_ACTIVE && s->state != TRUST_RETIRED)
            bad = "state";
        else if (trust_find_kid(tl, s->kid))
            bad = "kid (an issuer's key)";
        if (bad) {
            snprintf(err, errcap, "receipt signer %zu: bad %s", i + 1, bad);
            return API_ERR_TRUST_LIST;
        }
        for (size_t j = 0; j < i; j++)
            if (memcmp(tl->receipt_signers[j].kid, s->kid, COSE_KID_LEN) == 0) {
                snprintf(err, errcap, "receipt signers %zu and %zu have the same kid", j + 1, i + 1);
                return API_ERR_TRUST_LIST;
            }
    }
    return API_OK;
}

api_err trust_validate(const trust_list *tl, char *err, size_t errcap)
{
    char dummy[8];
    if (!err) {
        err = dummy;
        errcap = sizeof dummy;
    }
    err[0] = '\0';
    if (tl->iat > tl->exp) {
        snprintf(err, errcap, "expires before it is issued");
        return API_ERR_TRUST_LIST;
    }
    if (tl->n > TRUST_MAX_ENTRIES) {
        snprintf(err, errcap, "more than %d entries", TRUST_MAX_ENTRIES);
        return API_ERR_TRUST_LIST;
    }
    for (size_t i = 0; i < tl->n; i++) {
        const trust_entry *e = &tl->entries[i];
        uint8_t kid[COSE_KID_LEN];
        cose_kid(kid, e->pub);
        const char *bad = NULL;
        if (!claims_iss_valid(e->id, strnlen(e->id, sizeof e->id)))
            bad = "id";
        else if (!text_plain_ok(e->name, 1, sizeof e->name))
            bad = "name";
        else if (memcmp(kid, e->kid, sizeof kid) != 0)
            bad = "kid (not the hash of the key)";
        else if ((unsigned)e->state > TRUST_COMPROMISED)
            bad = "state";
        else if (!text_plain_ok(e->feed, 0, sizeof e->feed))
            bad = "feed";
        if (bad) {
            snprintf(err, errcap, "entry %zu: bad %s", i + 1, bad);
            return API_ERR_TRUST_LIST;
        }
        for (size_t j = 0; j < i; j++)
            if (memcmp(tl->entries[j].kid, e->kid, COSE_KID_LEN) == 0) {
                snprintf(err, errcap, "entries %zu and %zu have the same kid", j + 1, i + 1);
                return API_ERR_TRUST_LIST;
            }
    }
    return trust_validate_receipt_signers(tl, err, errcap);
}

api_err trust_encode(uint8_t **out, size_t *outlen, const trust_list *tl)
{
    api_err e = trust_validate(tl, NULL, 0);
    if (e != API_OK) return e;
    return trust_encode_unchecked(out, outlen, tl);
}

api_err trust_encode_unchecked(uint8_t **out, size_t *outlen, const trust_list *tl)
{
    api_err e;
    cbw w;
    cbw_init_dynamic(&w, TRUST_MAX_COSE);
    cbw_map(&w, 5 + (tl->has_next_root != 0) + (tl->n_receipt_signers > 0));
    cbw_text(&w, "v");
    cbw_uint(&w, 1);
    cbw_text(&w, "exp");
    cbw_int(&w, tl->exp);
    cbw_text(&w, "iat");
    cbw_int(&w, tl->iat);
    cbw_text(&w, "seq");
    cbw_uint(&w, tl->seq);
    cbw_text(&w, "issuers");
    cbw_array(&w, tl->n);
    for (size_t i = 0; i < tl->n; i++) {
        const trust_entry *t = &tl->entries[i];
        int retired = t->state == TRUST_RETIRED;
        cbw_map(&w, retired ? 8 : 7);
        cbw_text(&w, "id");
        cbw_text(&w, t->id);
        cbw_text(&w, "kid");
        cbw_bytes(&w, t->kid, COSE_KID_LEN);
        cbw_text(&w, "pub");
        cbw_bytes(&w, t->pub, COSE_PK_LEN);
        cbw_text(&w, "feed");
        cbw_text(&w, t->feed);
        cbw_text(&w, "name");
        cbw_text(&w, t->name);
        cbw_text(&w, "epoch");
        cbw_uint(&w, t->epoch);
        cbw_text(&w, "state");
        cbw_text(&w, trust_state_name(t->state));
        if (retired) {
            cbw_text(&w, "retired_at");
            cbw_int(&w, t->retired_at);
        }
    }
    if (tl->has_next_root) {
        cbw_text(&w, "next_root");
        cbw_bytes(&w, tl->next_root, COSE_PK_LEN);
    }
    if (tl->n_receipt_signers > 0) { /* after next_root: the deterministic order of the keys */
        cbw_text(&w, "receipt_signers");
        cbw_array(&w, tl->n_receipt_signers);
        for (size_t i = 0; i < tl->n_receipt_signers; i++) {
            const trust_receipt_signer *s = &tl->receipt_signers[i];
            int retired = s->state == TRUST_RETIRED;
            cbw_map(&w, retired ? 5 : 4);
            cbw_text(&w, "kid");
            cbw_bytes(&w, s->kid, COSE_KID_LEN);
            cbw_text(&w, "pub");
            cbw_bytes(&w, s->pub, COSE_PK_LEN);
            cbw_text(&w, "name");
            cbw_text(&w, s->name);
            cbw_text(&w, "state");
            cbw_text(&w, trust_state_name(s->state));
            if (retired) {
                cbw_text(&w, "retired_at");
                cbw_int(&w, s->retired_at);
            }
        }
    }
    e = cbw_finish(&w, outlen);
    if (e != API_OK) {
        cbw_free(&w);
        return e;
    }
    *out = w.buf;
    return API_OK;
}

static api_err trust_decode_entry(trust_entry *t, const cbor_item_t *m)
{
    char state[16];
    if (!cbor_isa_map(m) || cbc_get_text(t->id, sizeof t->id, cbc_map_get_text(m, "id")) != 0 ||
        cbc_get_text(t->name, sizeof t->name, cbc_map_get_text(m, "name")) != 0 ||
        cbc_get_bytes_exact(t->kid, COSE_KID_LEN, cbc_map_get_text(m, "kid")) != 0 ||
        cbc_get_bytes_exact(t->pub, COSE_PK_LEN, cbc_map_get_text(m, "pub")) != 0 ||
        cbc_get_text(t->feed, sizeof t->feed, cbc_map_get_text(m, "feed")) != 0 ||
        cbc_get_uint(&t->epoch, cbc_map_get_text(m, "epoch")) != 0 ||
        cbc_get_text(state, sizeof state, cbc_map_get_text(m, "state")) != 0 ||
        trust_state_parse(&t->state, state) != 0)
        return API_ERR_TRUST_LIST;
    if (t->state == TRUST_RETIRED && cbc_get_int64(&t->retired_at, cbc_map_get_text(m, "retired_at")) != 0)
        return API_ERR_TRUST_LIST;
    return API_OK;
}

static api_err trust_decode_receipt_signer(trust_receipt_signer *s, const cbor_item_t *m)
{
    char state[16];
    if (!cbor_isa_map(m) || cbc_get_text(s->name, sizeof s->name, cbc_map_get_text(m, "name")) != 0 ||
        cbc_get_bytes_exact(s->kid, COSE_KID_LEN, cbc_map_get_text(m, "kid")) != 0 ||
        cbc_get_bytes_exact(s->pub, COSE_PK_LEN, cbc_map_get_text(m, "pub")) != 0 ||
        cbc_get_text(state, sizeof state, cbc_map_get_text(m, "state")) != 0 ||
        trust_state_parse(&s->state, state) != 0)
        return API_ERR_TRUST_LIST;
    if (s->state == TRUST_RETIRED && cbc_get_int64(&s->retired_at, cbc_map_get_text(m, "retired_at")) != 0)
        return API_ERR_TRUST_LIST;
    return API_OK;
}

/* The member receipt_signers, when present. */
static api_err trust_decode_receipt_signers(trust_list *tl, const cbor_item_t *root)
{
    const cbor_item_t *list = cbc_map_get_text(root, "receipt_signers");
    if (!list) return API_OK;
    if (!cbor_isa_array(list) || cbor_array_size(list) > TRUST_MAX_RECEIPT_SIGNERS) return API_ERR_TRUST_LIST;
    size_t n = cbor_array_size(list);
    tl->receipt_signers = calloc(n ? n : 1, sizeof *tl->receipt_signers);
    if (!tl->receipt_signers) return API_ERR_NOMEM;
    cbor_item_t **items = cbor_array_handle(list);
    for (size_t i = 0; i < n; i++) {
        if (trust_decode_receipt_signer(&tl->receipt_signers[i], items[i]) != API_OK)
            return API_ERR_TRUST_LIST;
        tl->n_receipt_signers = i + 1;
    }
    return API_OK;
}

api_err trust_decode(trust_list *tl, const uint8_t *in, size_t len)
{
    memset(tl, 0, sizeof *tl);
    cbor_item_t *root;
    api_err e = cbc_load(&root, in, len, 8);
    if (e != API_OK) return e == API_ERR_NOMEM ? e : API_ERR_TRUST_LIST;
    e = API_ERR_TRUST_LIST;
    uint64_t v;
    const cbor_item_t *issuers = cbc_map_get_text(root, "issuers");
    if (!cbor_isa_map(root) || cbc_get_uint(&v, cbc_map_get_text(root, "v")) != 0 || v != 1 ||
        cbc_get_uint(&tl->seq, cbc_map_get_text(root, "seq")) != 0 ||
        cbc_get_int64(&tl->iat, cbc_map_get_text(root, "iat")) != 0 ||
        cbc_get_int64(&tl->exp, cbc_map_get_text(root, "exp")) != 0 || !issuers || !cbor_isa_array(issuers) ||
        cbor_array_size(issuers) > TRUST_MAX_ENTRIES)
        goto done;
    const cbor_item_t *next = cbc_map_get_text(root, "next_root");
    if (next) {
        if (cbc_get_bytes_exact(tl->next_root, COSE_PK_LEN, next) != 0) goto done;
        tl->has_next_root = 1;
    }
    size_t n = cbor_array_size(issuers);
    tl->entries = calloc(n ? n : 1, sizeof *tl->entries);
    if (!tl->entries) {
        e = API_ERR_NOMEM;
        goto done;
    }
    cbor_item_t **items = cbor_array_handle(issuers);
    for (size_t i = 0; i < n; i++) {
        if (trust_decode_entry(&tl->entries[i], items[i]) != API_OK) goto done;
        tl->n = i + 1;
    }
    e = trust_decode_receipt_signers(tl, root);
    if (e != API_OK) goto done;
    e = trust_validate(tl, NULL, 0);
done:
    cbor_decref(&root);
    if (e != API_OK) trust_free(tl);
    return e;
}

api_err trust_sign_with(uint8_t **cose, size_t *cose_len, const trust_list *tl, const api_signer *root)
{
    uint8_t *payload;
    size_t payload_len;
    api_err e = trust_encode(&payload, &payload_len, tl);
    if (e != API_OK) return e;
    e = cose_sign1_sign_alloc_with(cose, cose_len, COSE_TYP_TRUST_LIST, payload, payload_len, root);
    free(payload);
    return e;
}

api_err trust_sign(uint8_t **cose, size_t *cose_len, const trust_list *tl, const uint8_t root_sk[COSE_SK_LEN])
{
    api_signer root;
    signer_init_key(&root, root_sk);
    return trust_sign_with(cose, cose_len, tl, &root);
}

api_err trust_verify(trust_list *tl, char *err, size_t errcap, const uint8_t *cose, size_t cose_len,
                     const uint8_t root_pk[COSE_PK_LEN])
{
    char dummy[8];
    if (!err) {
        err = dummy;
        errcap = sizeof dummy;
    }
    memset(tl, 0, sizeof *tl);
    if (cose_len > TRUST_MAX_COSE) {
        snprintf(err, errcap, "larger than %d bytes", TRUST_MAX_COSE);
        return API_ERR_TRUST_LIST;
    }
    cose_sign1 msg;
    api_err e = cose_sign1_parse(&msg, cose, cose_len, COSE_TYP_TRUST_LIST);
    if (e != API_OK) {
        snprintf(err, errcap, "not a signed trust list (%s)", api_strerror(e));
        return API_ERR_TRUST_LIST;
    }
    uint8_t kid[COSE_KID_LEN];
    cose_kid(kid, root_pk);
    if (memcmp(kid, msg.kid, COSE_KID_LEN) != 0) {
        snprintf(err, errcap, "signed by another root key than the one given");
        return API_ERR_TRUST_LIST;
    }
    if (cose_sign1_verify(&msg, root_pk) != API_OK) {
        snprintf(err, errcap, "the root signature does not verify");
        return API_ERR_TRUST_LIST;
    }
    e = trust_decode(tl, msg.payload, msg.payload_len);
    if (e != API_OK) {
        snprintf(err, errcap, "the signed content fails the trust list's rules");
        return e == API_ERR_NOMEM ? e : API_ERR_TRUST_LIST;
    }
    return API_OK;
}

const trust_receipt_signer *trust_find_receipt_signer(const trust_list *tl, const uint8_t kid[COSE_KID_LEN])
{
    for (size_t i = 0; i < tl->n_receipt_signers; i++)
        if (memcmp(tl->receipt_signers[i].kid, kid, COSE_KID_LEN) == 0) return &tl->receipt_signers[i];
    return NULL;
}

const trust_entry *trust_find_kid(const trust_list *tl, const uint8_t kid[COSE_KID_LEN])
{
    for (size_t i = 0; i < tl->n; i++)
        if (memcmp(tl->entries[i].kid, kid, COSE_KID_LEN) == 0) return &tl->entries[i];
    return NULL;
}

void trust_free(trust_list *tl)
{
    free(tl->entries);
    tl->entries = NULL;
    tl->n = 0;
    free(tl->receipt_signers);
    tl->receipt_signers = NULL;
    tl->n_receipt_signers = 0;
}
