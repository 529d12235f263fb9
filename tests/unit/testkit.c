/*
 * testkit.c: the shared inputs of the format tests (see testkit.h).
 *
 * Everything is deterministic: fixed seeds, a fixed attestation, a fixed
 * trust list. The forging helpers bypass the library's writers on purpose
 * (except cbw for heads) so that tests can build envelopes the library
 * would never produce. This file is linked into every unit test binary and
 * may be #included by fuzz targets: it has no main and no static state.
 */
#include "tests/unit/testkit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/time.h"
#include "qr/b45.h"
#include "qr/cbw.h"
#include "qr/qrtext.h"

const uint8_t testkit_cti[CLAIMS_CTI_LEN] = {0x3f, 0x8a, 0x01, 0xc2, 0x5d, 0x90,
                                             0x17, 0xe4, 0x6b, 0x22, 0xa9, 0x0c};

void testkit_key_from_seed(testkit_key *k, uint8_t seed_byte)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    memset(seed, seed_byte, sizeof seed);
    if (sodium_init() < 0) abort();
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    cose_kid(k->kid, k->pk);
}

void testkit_root(testkit_key *k)
{
    testkit_key_from_seed(k, TESTKIT_SEED_ROOT);
}

void testkit_fr75(testkit_key *k)
{
    testkit_key_from_seed(k, TESTKIT_SEED_FR75);
}

void testkit_fr13(testkit_key *k)
{
    testkit_key_from_seed(k, TESTKIT_SEED_FR13);
}

int64_t testkit_time(const char *s)
{
    int64_t t;
    if (time_parse_instant(&t, s) != 0) return INT64_MIN;
    return t;
}

void testkit_claims(api_claims *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->iss, "FR-75");
    c->iat = testkit_time("2026-09-14T08:00:00Z");
    c->nbf = time_paris_start_of_day(2026, 9, 15);
    c->exp = time_paris_end_of_day(2026, 12, 15);
    memcpy(c->cti, testkit_cti, CLAIMS_CTI_LEN);
    c->status_idx = 12345;
    strcpy(c->status_uri, "/feed/v1/FR-75/snapshot");
    c->v = 1;
    strcpy(c->fn, "DIALLO");
    strcpy(c->gn, "Aminata");
    strcpy(c->dob, "1990-04-12");
    strcpy(c->nat, "SEN");
    strcpy(c->fnn, "7503123456");
    c->app = CLAIMS_APP_RENEWAL;
    strcpy(c->tit, "carte de s\xc3\xa9jour pluriannuelle salari\xc3\xa9");
    c->wrk = CLAIMS_WRK_YES;
    strcpy(c->fil, "2026-09-01");
    c->has_prv = 1;
    strcpy(c->prv_no, "7501234567");
    strcpy(c->prv_exp, "2026-09-30");
}

api_err testkit_payload(uint8_t *out, size_t *len, const api_claims *c)
{
    return claims_encode(out, len, c);
}

api_err testkit_sign_cose(uint8_t *cose, size_t *cose_len, const api_claims *c, const uint8_t sk[COSE_SK_LEN])
{
    uint8_t payload[2048];
    size_t payload_len = sizeof payload;
    api_err e = claims_encode(payload, &payload_len, c);
    if (e != API_OK) return e;
    return cose_sign1_sign(cose, cose_len, COSE_TYP_ATTESTATION, payload, payload_len, sk);
}

api_err testkit_sign_payload_qr(char *text, size_t *text_len, const char *typ, const uint8_t *payload,
                                size_t payload_len, const uint8_t sk[COSE_SK_LEN])
{
    uint8_t cose[TESTKIT_COSE_MAX];
    size_t cose_len = sizeof cose;
    api_err e = cose_sign1_sign(cose, &cose_len, typ, payload, payload_len, sk);
    if (e != API_OK) return e;
    return qrtext_encode(text, text_len, cose, cose_len);
}

api_err testkit_sign_qr(char *text, size_t *text_len, const api_claims *c, const uint8_t sk[COSE_SK_LEN])
{
    uint8_t cose[TESTKIT_COSE_MAX];
    size_t cose_len = sizeof cose;
    api_err e = testkit_sign_cose(cose, &cose_len, c, sk);
    if (e != API_OK) return e;
    return qrtext_encode(text, text_len, cose, cose_len);
}

api_err testkit_default_qr(char *text, size_t *text_len)
{
    api_claims c;
    testkit_key k;
    testkit_claims(&c);
    testkit_fr75(&k);
    return testkit_sign_qr(text, text_len, &c, k.sk);
}

api_err testkit_default_cose(uint8_t *cose, size_t *cose_len)
{
    api_claims c;
    testkit_key k;
    testkit_claims(&c);
    testkit_fr75(&k);
    return testkit_sign_cose(cose, cose_len, &c, k.sk);
}

void testkit_entry(trust_entry *e, const char *id, const testkit_key *k, trust_state state,
                   int64_t retired_at)
{
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->name, sizeof e->name,
             "Pr\xc3\xa9"
             "fecture %s",
             id);
    memcpy(e->pub, k->pk, COSE_PK_LEN);
    cose_kid(e->kid, k->pk);
    e->state = state;
    e->retired_at = state == TRUST_RETIRED ? retired_at : 0;
    snprintf(e->feed, sizeof e->feed, "https://%s.issuer.example", id);
    e->epoch = 1;
}

int testkit_trust_list_with(trust_list *tl, const trust_entry *entries, size_t n)
{
    memset(tl, 0, sizeof *tl);
    tl->seq = 7;
    tl->iat = testkit_time("2026-09-01T00:00:00Z");
    tl->exp = testkit_time("2027-03-01T00:00:00Z");
    tl->entries = calloc(n ? n : 1, sizeof *tl->entries);
    if (!tl->entries) return -1;
    if (n) memcpy(tl->entries, entries, n * sizeof *entries);
    tl->n = n;
    return 0;
}

int testkit_trust_list(trust_list *tl)
{
    testkit_key k75, k13;
    trust_entry e[2];
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    testkit_entry(&e[0], "FR-75", &k75, TRUST_ACTIVE, 0);
    testkit_entry(&e[1], "FR-13", &k13, TRUST_ACTIVE, 0);
    return testkit_trust_list_with(tl, e, 2);
}

size_t testkit_protected(uint8_t *out, size_t cap, int has_alg, int64_t alg, const uint8_t *kid,
                         const char *typ, int64_t extra_label)
{
    size_t n = (has_alg ? 1u : 0u) + (kid ? 1u : 0u) + (typ ? 1u : 0u) + (extra_label ? 1u : 0u);
    cbw w;
    cbw_init(&w, out, cap);
    cbw_map(&w, n);
    if (has_alg) {
        cbw_uint(&w, 1);
        cbw_int(&w, alg);
    }
    if (kid) {
        cbw_uint(&w, 4);
        cbw_bytes(&w, kid, COSE_KID_LEN);
    }
    if (typ) {
        cbw_uint(&w, 16);
        cbw_text(&w, typ);
    }
    if (extra_label) {
        cbw_int(&w, extra_label);
        cbw_uint(&w, 0);
    }
    size_t len;
    return cbw_finish(&w, &len) == API_OK ? len : 0;
}

size_t testkit_cose_raw(uint8_t *out, size_t cap, int64_t tag, size_t nitems, const uint8_t *prot,
                        size_t prot_len, const uint8_t *unprot, size_t unprot_len, const uint8_t *payload,
                        size_t payload_len, const uint8_t *sig, size_t sig_len)
{
    if (nitems < 1 || nitems > 6) return 0;
    cbw w;
    cbw_init(&w, out, cap);
    if (tag >= 0) cbw_tag(&w, (uint64_t)tag);
    cbw_array(&w, nitems);
    cbw_bytes(&w, prot, prot_len);
    if (nitems >= 2) cbw_raw(&w, unprot, unprot_len);
    if (nitems >= 3) cbw_bytes(&w, payload, payload_len);
    if (nitems >= 4) cbw_bytes(&w, sig, sig_len);
    for (size_t i = 4; i < nitems; i++) cbw_uint(&w, 0);
    size_t len;
    return cbw_finish(&w, &len) == API_OK ? len : 0;
}

size_t testkit_cose_signed_with_protected(uint8_t *out, size_t cap, const uint8_t *prot, size_t prot_len,
                                          const uint8_t *payload, size_t payload_len,
                                          const uint8_t sk[COSE_SK_LEN])
{
    cbw tbs;
    cbw_init_dynamic(&tbs, prot_len + payload_len + 64);
    cbw_array(&tbs, 4);
    cbw_text(&tbs, "Signature1");
    cbw_bytes(&tbs, prot, prot_len);
    cbw_bytes(&tbs, NULL, 0);
    cbw_bytes(&tbs, payload, payload_len);
    size_t tbs_len;
    uint8_t sig[COSE_SIG_LEN];
    int ok =
        cbw_finish(&tbs, &tbs_len) == API_OK && crypto_sign_detached(sig, NULL, tbs.buf, tbs_len, sk) == 0;
    cbw_free(&tbs);
    if (!ok) return 0;
    return testkit_cose_raw(out, cap, 18, 4, prot, prot_len, (const uint8_t *)"\xa0", 1, payload, payload_len,
                            sig, sizeof sig);
}

size_t testkit_qr_raw(char *out, size_t cap, const uint8_t *bytes, size_t len)
{
    if (cap < QRTEXT_PREFIX_LEN + 1) return 0;
    memcpy(out, QRTEXT_PREFIX, QRTEXT_PREFIX_LEN);
    size_t room = cap - QRTEXT_PREFIX_LEN - 1; /* keep room for the NUL */
    if (b45_encode(out + QRTEXT_PREFIX_LEN, &room, bytes, len) != 0) return 0;
    out[QRTEXT_PREFIX_LEN + room] = '\0';
    return QRTEXT_PREFIX_LEN + room;
}

size_t testkit_qr_zlib(char *out, size_t cap, const uint8_t *bytes, size_t len, int level)
{
    uLongf zlen = compressBound((uLong)len);
    uint8_t *z = malloc(zlen ? zlen : 1);
    if (!z) return 0;
    size_t n = 0;
    if (compress2(z, &zlen, bytes, (uLong)len, level) == Z_OK) n = testkit_qr_raw(out, cap, z, zlen);
    free(z);
    return n;
}

uint64_t testkit_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}
