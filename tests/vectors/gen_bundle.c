/*
 * gen_bundle.c: writes docs/vectors/bundle.json, the shared vectors of the
 * offline web checker, from fixed seeds; tests/unit/test_bundle_vectors.c
 * checks the file with the C verifier and web/test runs it through
 * web/src/lib, which must give the very same answers.
 *
 *   gen_bundle FILE        (make vectors: FILE is docs/vectors/bundle.json)
 *
 * The file holds:
 *   - bundles: offline bundles exactly as docs/federation.md ("The offline
 *     bundle") describes them, each loaded at a given time, some over the
 *     state another bundle left ("previous"), with what the load must say
 *     (trust list taken, each issuer reached or not, fork, rollback) and
 *     attestation vectors: the QR text, the time to verify at, the expected
 *     result and reason, and the whole report (report_json, REPORT_FULL,
 *     filled in by running the C verifier over the file: testkit_bundle_run);
 *   - signatures: Ed25519 edge cases (non-canonical S, small-order and
 *     non-canonical keys, small-order R, mixed-order keys) and libsodium's
 *     answer, the reference for the page's own verifier;
 *   - zlib: streams (well-formed, hand-made, mutated) and what
 *     zc_inflate_strict makes of them;
 *   - explain: every text of explain.c, for the page to show the same.
 *
 * Every byte is deterministic (Ed25519, our CBOR, the seeds) except the
 * zlib streams, which are zlib's: with another zlib version the QR texts,
 * snapshot lists and deflate streams may differ (the test then compares
 * what they decode to). The file's own description still names the test
 * that used to write it: changing that text changes the published file.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "common/time.h"
#include "qr/cbw.h"
#include "qr/claims.h"
#include "qr/cose.h"
#include "qr/feed.h"
#include "qr/qrtext.h"
#include "qr/status.h"
#include "qr/trust.h"
#include "qr/zc.h"
#include "tests/unit/testkit.h"
#include "verifier/explain.h"
#include "verifier/verify.h"

#define FEED75_URL "https://feed.example/fr-75"
#define FEED13_URL "https://feed.example/fr-13"

/* A check of the generator itself: stops with the line when it fails. */
#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) testkit_die("gen_bundle.c:%d: %s", __LINE__, #cond);                                    \
    } while (0)

/* ---- keys ---- */

static testkit_key root_key, next_root_key, k75, k75_old, k13, k_other, k69, k_mixed_seed;
static uint8_t small_order_pk[32]; /* an order-8 point: kid = its hash, in the trust list */
static uint8_t mixed_pk[32];       /* a * B + an order-8 point */
static uint8_t mixed_scalar[32];   /* a, reduced */

/* The order-8 point of libsodium's small-order list. */
static const uint8_t order8[32] = {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
                                   0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
                                   0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};

/* L, little-endian. */
static const uint8_t group_order[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                        0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                        0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};

/* The secret scalar of a seed key (SHA-512 of the seed, clamped), reduced mod L. */
static void seed_scalar(uint8_t a[32], const testkit_key *k)
{
    uint8_t az[64], wide[64] = {0};
    crypto_hash_sha512(az, k->sk, 32);
    az[0] &= 248;
    az[31] &= 127;
    az[31] |= 64;
    memcpy(wide, az, 32);
    crypto_core_ed25519_scalar_reduce(a, wide);
}

/* h = SHA-512(R || A || m) mod L. */
static void hram(uint8_t h[32], const uint8_t r[32], const uint8_t a[32], const uint8_t *m, size_t mlen)
{
    crypto_hash_sha512_state st;
    uint8_t wide[64];
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, r, 32);
    crypto_hash_sha512_update(&st, a, 32);
    crypto_hash_sha512_update(&st, m, mlen);
    crypto_hash_sha512_final(&st, wide);
    crypto_core_ed25519_scalar_reduce(h, wide);
}

/* A scalar below L from a label and a counter (deterministic nonces). */
static void det_scalar(uint8_t s[32], const char *label, unsigned counter)
{
    uint8_t wide[64];
    char buf[96];
    snprintf(buf, sizeof buf, "%s/%u", label, counter);
    crypto_hash_sha512(wide, (const uint8_t *)buf, strlen(buf));
    crypto_core_ed25519_scalar_reduce(s, wide);
}

/* sig = (R, S) with R = s*B and S = s: accepted by any verifier with the cofactored equation when the key has
 * small order. */
static void sig_r_is_sb(uint8_t sig[64], const char *label)
{
    uint8_t s[32];
    det_scalar(s, label, 0);
    CHECK(crypto_scalarmult_ed25519_base_noclamp(sig, s) == 0);
    memcpy(sig + 32, s, 32);
}

/* R = a small-order point, S = h * a: the cofactored equation holds, the cofactorless one does not (or R is
 * listed). */
static void sig_small_r(uint8_t sig[64], const uint8_t r[32], const testkit_key *k, const uint8_t *m,
                        size_t mlen)
{
    uint8_t a[32], h[32];
    seed_scalar(a, k);
    hram(h, r, k->pk, m, mlen);
    memcpy(sig, r, 32);
    crypto_core_ed25519_scalar_mul(sig + 32, h, a);
}

/*
 * A signature by the mixed-order key (a * B + T8): R = r * B, S = r + h * a.
 * The cofactorless equation gives R - h * T8: it holds only when h is a
 * multiple of 8. want_multiple_of_8 picks the nonce accordingly.
 */
static void sig_mixed(uint8_t sig[64], const uint8_t *m, size_t mlen, int want_multiple_of_8,
                      const char *label)
{
    for (unsigned i = 0;; i++) {
        uint8_t r[32], h[32], ha[32];
        det_scalar(r, label, i);
        CHECK(crypto_scalarmult_ed25519_base_noclamp(sig, r) == 0);
        hram(h, sig, mixed_pk, m, mlen);
        if (((h[0] & 7) == 0) != want_multiple_of_8) continue;
        crypto_core_ed25519_scalar_mul(ha, h, mixed_scalar);
        crypto_core_ed25519_scalar_add(sig + 32, r, ha);
        return;
    }
}

/*
 * R = k * T8 (k in 1..7) with k + h = 0 mod 8, S = h * a, for the mixed-order
 * key: [S]B - [h](aB + T8) = -h * T8 = k * T8 = R. The message gets a number
 * appended until some k fits (h depends on R and the message).
 */
static void sig_small_r_mixed(uint8_t sig[64], uint8_t *m, size_t *mlen)
{
    uint8_t multiples[8][32];
    memset(multiples[0], 0, 32);
    multiples[0][0] = 1; /* the identity */
    for (int k = 1; k < 8; k++) CHECK(crypto_core_ed25519_add(multiples[k], multiples[k - 1], order8) == 0);
    size_t base = *mlen;
    for (unsigned i = 0; i < 100; i++) {
        *mlen = base + (size_t)snprintf((char *)m + base, 8, " %u", i);
        for (int k = 1; k < 8; k++) {
            uint8_t h[32];
            hram(h, multiples[k], mixed_pk, m, *mlen);
            if ((k + (h[0] & 7)) % 8 != 0) continue;
            memcpy(sig, multiples[k], 32);
            crypto_core_ed25519_scalar_mul(sig + 32, h, mixed_scalar);
            return;
        }
    }
    testkit_die("no message fits");
}

static void keys_init(void)
{
    testkit_root(&root_key);
    testkit_key_from_seed(&next_root_key, 0x08);
    testkit_fr75(&k75);
    testkit_key_from_seed(&k75_old, 0x07);
    testkit_fr13(&k13);
    testkit_key_from_seed(&k_other, 0x04);
    testkit_key_from_seed(&k69, 0x05);
    testkit_key_from_seed(&k_mixed_seed, 0x09);
    memcpy(small_order_pk, order8, 32);
    seed_scalar(mixed_scalar, &k_mixed_seed);
    uint8_t ab[32];
    CHECK(crypto_scalarmult_ed25519_base_noclamp(ab, mixed_scalar) == 0);
    CHECK(crypto_core_ed25519_add(mixed_pk, ab, order8) == 0);
}

/* ---- helpers ---- */

static int64_t T(const char *iso)
{
    int64_t t = testkit_time(iso);
    CHECK(t != INT64_MIN);
    return t;
}

static void add_b64(cJSON *o, const char *name, const uint8_t *p, size_t n)
{
    char *s = testkit_b64(p, n);
    cJSON_AddStringToObject(o, name, s);
    free(s);
}

static void add_hex(cJSON *o, const char *name, const uint8_t *p, size_t n)
{
    char *s = testkit_hex(p, n);
    cJSON_AddStringToObject(o, name, s);
    free(s);
}

/* ---- the feed of FR-75 ---- */

typedef struct {
    uint8_t *cose;
    size_t len;
} blob;

static blob seg_blob(const testkit_feed *f, size_t i)
{
    return (blob){f->segs[i].cose, f->segs[i].len};
}

static blob checkpoint_blob(const testkit_feed *f, int64_t signed_at, const uint8_t *sk, const uint8_t *head)
{
    blob b;
    testkit_feed_checkpoint_with(f, &b.cose, &b.len, signed_at, sk, head);
    return b;
}

static blob snapshot_blob(const testkit_feed *f, int64_t signed_at)
{
    blob b;
    testkit_feed_snapshot(f, &b.cose, &b.len, signed_at);
    return b;
}

/* ---- attestations ---- */

typedef struct {
    const char *name, *description, *at, *result, *reason;
    char qr[QRTEXT_MAX_TEXT];
} vvec;

typedef struct {
    const char *name, *description, *previous, *loaded_at;
    int trust_accepted, loadable;
    cJSON *bundle;
    struct {
        const char *iss;
        int reached, fork, rollback;
    } sync[4];
    size_t n_sync;
    vvec *vecs;
    size_t n_vecs;
} vbundle;

#define BUNDLES_MAX 12
#define VECS_MAX    48
static vbundle bundles[BUNDLES_MAX];
static size_t n_bundles;

static vvec *vec_add(vbundle *b, const char *name, const char *description, const char *at,
                     const char *result, const char *reason)
{
    CHECK(b->n_vecs < VECS_MAX);
    vvec *v = &b->vecs[b->n_vecs++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->description = description;
    v->at = at;
    v->result = result;
    v->reason = reason;
    return v;
}

static vvec *vec_copy(vbundle *b, const vvec *from, const char *at, const char *result, const char *reason,
                      const char *description)
{
    vvec *v = vec_add(b, from->name, description, at, result, reason);
    memcpy(v->qr, from->qr, sizeof v->qr);
    return v;
}

/* The attestation of the docs, with an index, an id byte and its dates. */
static void att_claims(api_claims *c, const char *iss, uint32_t idx, uint8_t id, const char *iat, int from_y,
                       int from_m, int from_d, int to_y, int to_m, int to_d)
{
    testkit_claims(c);
    snprintf(c->iss, sizeof c->iss, "%s", iss);
    c->iat = T(iat);
    c->nbf = time_paris_start_of_day(from_y, from_m, from_d);
    c->exp = time_paris_end_of_day(to_y, to_m, to_d);
    for (int i = 0; i < CLAIMS_CTI_LEN; i++) c->cti[i] = (uint8_t)(id + 17 * i);
    c->status_idx = idx;
    snprintf(c->status_uri, sizeof c->status_uri, "/feed/v1/%s/snapshot", iss);
}

static size_t att_cose(uint8_t *cose, size_t cap, const api_claims *c, const uint8_t *sk, const char *typ)
{
    uint8_t payload[2048];
    size_t plen = sizeof payload, n = cap;
    CHECK(claims_encode(payload, &plen, c) == API_OK);
    CHECK(cose_sign1_sign(cose, &n, typ, payload, plen, sk) == API_OK);
    return n;
}

static void att_text(vvec *v, const uint8_t *cose, size_t n)
{
    size_t len = sizeof v->qr;
    CHECK(qrtext_encode(v->qr, &len, cose, n) == API_OK);
}

static void att_sign(vvec *v, const api_claims *c, const uint8_t *sk)
{
    uint8_t cose[QRTEXT_MAX_COSE];
    att_text(v, cose, att_cose(cose, sizeof cose, c, sk, COSE_TYP_ATTESTATION));
}

/* The holder's card of the same claims (the reduced presentation, typ api-card+cwt). */
static void att_sign_card(vvec *v, const api_claims *c, const uint8_t *sk)
{
    uint8_t payload[1024], cose[QRTEXT_MAX_COSE];
    size_t plen = sizeof payload, n = sizeof cose;
    CHECK(claims_reduced_encode(payload, &plen, c) == API_OK);
    CHECK(cose_sign1_sign(cose, &n, COSE_TYP_CARD, payload, plen, sk) == API_OK);
    att_text(v, cose, n);
}

/* The Sig_structure of a parsed message (what was signed). */
static size_t att_tbs(uint8_t *out, size_t cap, const uint8_t *cose, size_t n)
{
    cose_sign1 msg;
    CHECK(cose_sign1_parse(&msg, cose, n, NULL) == API_OK);
    uint8_t *tbs;
    size_t len =
        testkit_sig_structure(&tbs, msg.protected_bytes, msg.protected_len, msg.payload, msg.payload_len);
    CHECK(len > 0 && len <= cap);
    memcpy(out, tbs, len);
    free(tbs);
    return len;
}

/* ---- building the vectors ---- */

#define AT    "2026-11-20T07:00:00Z"
#define AT2   "2026-11-25T07:00:00Z"
#define CP_T  "2026-11-20T06:00:00Z"
#define CP2_T "2026-11-25T06:00:00Z"

enum {
    I_A = 1234567,
    I_B = 20001,
    I_C = 20002,
    I_G = 20003,
    I_D = 20004,
    I_D2 = 20005,
    I_E = 20006,
    I_F = 20007,
    I_R = 20008,
    I_RE = 20009,
    I_SE = 20010,
    I_NY = 20011,
    I_L = 20012,
    I_OLD = 20013,
};

static cJSON *bundle_json(const char *generated_at, const blob *trust, const blob *snapshot, const blob *segs,
                          size_t n_segs, const blob *checkpoint)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "generated_at", generated_at);
    add_b64(o, "root_public_key", root_key.pk, 32);
    add_b64(o, "trust_list", trust->cose, trust->len);
    cJSON *arr = cJSON_AddArrayToObject(o, "issuers");
    cJSON *i = cJSON_CreateObject();
    cJSON_AddStringToObject(i, "iss", "FR-75");
    if (snapshot)
        add_b64(i, "snapshot", snapshot->cose, snapshot->len);
    else
        cJSON_AddNullToObject(i, "snapshot");
    cJSON *sa = cJSON_AddArrayToObject(i, "segments");
    for (size_t k = 0; k < n_segs; k++) {
        char *s = testkit_b64(segs[k].cose, segs[k].len);
        cJSON_AddItemToArray(sa, cJSON_CreateString(s));
        free(s);
    }
    add_b64(i, "checkpoint", checkpoint->cose, checkpoint->len);
    cJSON_AddItemToArray(arr, i);
    return o;
}

static vbundle *bundle_add(const char *name, const char *description, const char *previous,
                           const char *loaded_at, cJSON *json)
{
    CHECK(n_bundles < BUNDLES_MAX);
    vbundle *b = &bundles[n_bundles++];
    memset(b, 0, sizeof *b);
    b->name = name;
    b->description = description;
    b->previous = previous;
    b->loaded_at = loaded_at;
    b->bundle = json;
    b->trust_accepted = 1;
    b->loadable = 1;
    b->vecs = calloc(VECS_MAX, sizeof *b->vecs);
    CHECK(b->vecs != NULL);
    return b;
}

static void bundle_expect(vbundle *b, const char *iss, int reached, int fork, int rollback)
{
    b->sync[b->n_sync].iss = iss;
    b->sync[b->n_sync].reached = reached;
    b->sync[b->n_sync].fork = fork;
    b->sync[b->n_sync++].rollback = rollback;
}

static blob trust_blob(uint64_t seq, const char *exp, const testkit_key *signer, int announce_next)
{
    trust_entry e[6];
    memset(e, 0, sizeof e);
    testkit_entry(&e[0], "FR-75", &k75_old, TRUST_RETIRED, T("2026-10-01T00:00:00Z"));
    testkit_entry(&e[1], "FR-75", &k75, TRUST_ACTIVE, 0);
    testkit_entry(&e[2], "FR-13", &k13, TRUST_ACTIVE, 0);
    testkit_entry(&e[3], "FR-69", &k69, TRUST_COMPROMISED, 0);
    testkit_key so = {{0}, {0}, {0}}, mx = {{0}, {0}, {0}};
    memcpy(so.pk, small_order_pk, 32);
    cose_kid(so.kid, so.pk);
    memcpy(mx.pk, mixed_pk, 32);
    cose_kid(mx.kid, mx.pk);
    testkit_entry(&e[4], "FR-976", &so, TRUST_ACTIVE, 0);
    testkit_entry(&e[5], "FR-971", &mx, TRUST_ACTIVE, 0);
    const char *names[6] = {
        "Préfecture de police", "Préfecture de police",  "Préfecture des Bouches-du-Rhône",
        "Préfecture du Rhône",  "Préfecture de Mayotte", "Préfecture de la Guadeloupe"};
    const char *feeds[6] = {FEED75_URL, FEED75_URL, FEED13_URL, "", "", ""};
    for (int i = 0; i < 6; i++) {
        snprintf(e[i].name, sizeof e[i].name, "%s", names[i]);
        snprintf(e[i].feed, sizeof e[i].feed, "%s", feeds[i]);
        e[i].epoch = 0;
    }
    trust_list tl = {.seq = seq, .iat = T("2026-09-01T00:00:00Z"), .exp = T(exp), .n = 6, .entries = e};
    if (announce_next) {
        tl.has_next_root = 1;
        memcpy(tl.next_root, next_root_key.pk, 32);
    }
    blob b;
    CHECK(trust_sign(&b.cose, &b.len, &tl, signer->sk) == API_OK);
    return b;
}

static void build_bundles(void)
{
    /* The feed of FR-75: segment 1, a snapshot, segments 2 and 3, a checkpoint; then segment 4. */
    testkit_feed f;
    testkit_feed_init(&f, "FR-75", 0, &k75);
    int64_t t1 = T("2026-10-01T09:00:00Z"), t2 = T("2026-10-15T09:00:00Z"), t3 = T("2026-11-10T09:00:00Z"),
            t4 = T("2026-11-24T09:00:00Z");
    testkit_feed_event(&f, I_D, FEED_EVENT_STATUS, STATUS_REVOKED, t1);
    testkit_feed_event(&f, I_G, FEED_EVENT_EXTENSION, time_paris_end_of_day(2027, 1, 15), t1 + 1);
    testkit_feed_event(&f, I_R, FEED_EVENT_STATUS, STATUS_SUSPENDED, t1 + 2);
    testkit_feed_cut(&f);
    blob snapshot = snapshot_blob(&f, T("2026-10-01T10:00:00Z"));
    testkit_feed_event(&f, I_R, FEED_EVENT_STATUS, STATUS_VALID, t2);
    testkit_feed_event(&f, I_E, FEED_EVENT_STATUS, STATUS_SUSPENDED, t2 + 1);
    testkit_feed_event(&f, I_F, FEED_EVENT_STATUS, STATUS_SUPERSEDED, t2 + 2);
    testkit_feed_event(&f, I_C, FEED_EVENT_EXTENSION, time_paris_end_of_day(2027, 2, 15), t2 + 3);
    testkit_feed_event(&f, I_D2, FEED_EVENT_STATUS, STATUS_REVOKED, t2 + 4);
    testkit_feed_cut(&f);
    testkit_feed_event(&f, I_RE, FEED_EVENT_STATUS, STATUS_REVOKED, t3);
    testkit_feed_event(&f, I_SE, FEED_EVENT_STATUS, STATUS_SUSPENDED, t3 + 1);
    testkit_feed_event(&f, I_C, FEED_EVENT_EXTENSION, time_paris_end_of_day(2027, 1, 31),
                       t3 + 2); /* earlier: ignored */
    testkit_feed_cut(&f);
    blob cp = checkpoint_blob(&f, T(CP_T), NULL, NULL);
    blob cp_other_key = checkpoint_blob(&f, T(CP_T), k13.sk, NULL);
    uint8_t wrong_head[FEED_HEAD_LEN];
    memcpy(wrong_head, f.head, sizeof wrong_head);
    wrong_head[0] ^= 0x01;
    blob cp_wrong_head = checkpoint_blob(&f, T(CP_T), NULL, wrong_head);
    blob cp_bom;
    {
        feed_checkpoint bc;
        memset(&bc, 0, sizeof bc);
        snprintf(bc.iss, sizeof bc.iss, "\xef\xbb\xbf%s", "FR-75");
        bc.seq = f.seq;
        memcpy(bc.head, f.head, FEED_HEAD_LEN);
        bc.signed_at = T(CP_T);
        CHECK(feed_checkpoint_sign(&cp_bom.cose, &cp_bom.len, &bc, k75.sk) == API_OK);
    }
    blob seg3_tampered = {malloc(f.segs[2].len), f.segs[2].len};
    CHECK(seg3_tampered.cose != NULL);
    memcpy(seg3_tampered.cose, f.segs[2].cose, f.segs[2].len);
    seg3_tampered.cose[seg3_tampered.len - 67] ^= 0x01; /* the last byte of the payload: an event's time */
    testkit_feed_event(&f, I_L, FEED_EVENT_STATUS, STATUS_REVOKED, t4);
    testkit_feed_event(&f, I_E, FEED_EVENT_STATUS, STATUS_VALID, t4 + 1);
    testkit_feed_cut(&f);
    blob cp2 = checkpoint_blob(&f, T(CP2_T), NULL, NULL);

    blob tl1 = trust_blob(1, "2026-11-20T18:00:00Z", &root_key, 1);
    blob tl2 = trust_blob(2, "2026-12-25T00:00:00Z", &next_root_key, 0);

    const char *gen = "2026-11-20T06:00:30Z";
    blob segs23[2] = {seg_blob(&f, 1), seg_blob(&f, 2)};
    blob segs3[1] = {seg_blob(&f, 2)};
    blob segs123[3] = {seg_blob(&f, 0), seg_blob(&f, 1), seg_blob(&f, 2)};
    blob segs2t[2] = {seg_blob(&f, 1), seg3_tampered};
    blob segs234[3] = {seg_blob(&f, 1), seg_blob(&f, 2), seg_blob(&f, 3)};

    /* ---- main ---- */
    vbundle *b =
        bundle_add("main",
                   "FR-75's snapshot after segment 1, segments 2 and 3, its checkpoint; FR-13 has a feed URL "
                   "but nothing in the bundle; FR-69 (compromised), FR-976 (a small-order key) and FR-971 "
                   "(a mixed-order key) have no feed.",
                   NULL, "2026-11-20T06:01:00Z", bundle_json(gen, &tl1, &snapshot, segs23, 2, &cp));
    bundle_expect(b, "FR-75", 1, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    api_claims c;
    vvec *v, *v_a, *v_b, *v_c, *v_d, *v_g, *v_r, *v_l;
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t n;

    att_claims(&c, "FR-75", I_A, 0xa0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v_a = v = vec_add(b, "valid", "A renewal signed by FR-75, status held and fresh.", AT, "valid", NULL);
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_B, 0xb0, "2026-08-14T08:00:00Z", 2026, 8, 16, 2026, 11, 15);
    v_b = v = vec_add(b, "expired", "Printed end 2026-11-15, no extension.", AT, "expired", "expired");
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_C, 0xc0, "2026-08-14T08:00:00Z", 2026, 8, 16, 2026, 11, 15);
    v_c = v =
        vec_add(b, "extended_by_segment",
                "Printed end 2026-11-15, extended to 2027-02-15 by an event of segment 2 (a later event of "
                "segment 3 with an earlier end is ignored): valid after the printed end.",
                AT, "valid", NULL);
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_G, 0xc8, "2026-08-14T08:00:00Z", 2026, 8, 16, 2026, 11, 15);
    strcpy(c.fn, "N'DIAYE");
    strcpy(c.gn, "A\xc3\xafssatou Nd\xc3\xa8ye");
    strcpy(c.dob, "1988-07");
    v_g = v = vec_add(b, "extended_by_snapshot",
                      "Printed end 2026-11-15, extended to 2027-01-15 in the snapshot's extension table.", AT,
                      "valid", NULL);
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_D, 0xd0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v_d = v = vec_add(b, "revoked_in_snapshot", "Revoked by segment 1, known here from the snapshot's list.",
                      AT, "revoked", "revoked");
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_D2, 0xd8, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "revoked_in_segment", "Revoked by an event of segment 2.", AT, "revoked", "revoked");
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_E, 0xe0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    vvec *v_e = v =
        vec_add(b, "suspended", "Suspended by an event of segment 2.", AT, "suspended", "suspended");
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_F, 0xe8, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    c.app = CLAIMS_APP_CHANGE;
    c.wrk = CLAIMS_WRK_PREVIOUS;
    c.has_prv = 0;
    strcpy(c.tit, "carte de r\xc3\xa9sident");
    v = vec_add(b, "superseded", "A change of status; a decision was taken (segment 2).", AT, "superseded",
                "superseded");
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_R, 0xf0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    c.gn[0] = '\0';
    v_r = v = vec_add(b, "resumed",
                      "Suspended by segment 1 (in the snapshot), valid again by segment 2; no given names.",
                      AT, "valid", NULL);
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_RE, 0xf8, "2026-08-14T08:00:00Z", 2026, 8, 16, 2026, 11, 15);
    v = vec_add(b, "revoked_and_expired", "Revoked and past its end: revoked comes first (step 9).", AT,
                "revoked", "revoked");
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_SE, 0x10, "2026-08-14T08:00:00Z", 2026, 8, 16, 2026, 11, 15);
    v = vec_add(b, "suspended_and_expired", "Suspended and past its end: expired comes first (step 10).", AT,
                "expired", "expired");
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_NY, 0x18, "2026-11-19T08:00:00Z", 2026, 12, 1, 2027, 2, 28);
    c.app = CLAIMS_APP_FIRST;
    c.wrk = CLAIMS_WRK_NO;
    c.has_prv = 0;
    strcpy(c.tit, "carte de s\xc3\xa9jour temporaire \xc3\xa9tudiant");
    v = vec_add(b, "not_yet_valid", "A first application valid from 2026-12-01.", AT, "not_yet_valid",
                "not_yet_valid");
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_L, 0x20, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v_l = v = vec_add(b, "revoked_later", "Valid here; revoked by segment 4, which only later bundles carry.",
                      AT, "valid", NULL);
    att_sign(v, &c, k75.sk);

    vec_copy(b, v_a, "2026-11-21T06:00:01Z", "status_unknown", "status_stale",
             "The valid attestation one second after the checkpoint is 24 hours old.")
        ->name = "status_stale";
    vec_copy(b, v_a, "2026-11-21T06:00:00Z", "status_unknown", "trust_list_expired",
             "Exactly 24 hours after the checkpoint: still fresh; but the trust list expired at 18:00.")
        ->name = "fresh_for_24_hours";
    vec_copy(b, v_a, "2026-11-20T18:00:01Z", "status_unknown", "trust_list_expired",
             "One second after the trust list's exp, status fresh.")
        ->name = "trust_list_expired";

    att_claims(&c, "FR-13", 77, 0x28, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "no_status_for_issuer", "Signed by FR-13, whose feed the bundle does not carry.", AT,
                "status_unknown", "no_status");
    att_sign(v, &c, k13.sk);

    att_claims(&c, "FR-75", I_A, 0xa0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "tampered_payload", "The valid attestation with one bit of the family name flipped.", AT,
                "invalid_signature", "signature");
    n = att_cose(cose, sizeof cose, &c, k75.sk, COSE_TYP_ATTESTATION);
    for (size_t i = 0; i + 6 <= n; i++)
        if (!memcmp(cose + i, "DIALLO", 6)) {
            cose[i] ^= 0x01;
            break;
        }
    att_text(v, cose, n);

    v = vec_add(b, "wrong_typ", "Signed by FR-75 with typ api-feed-checkpoint+cbor.", AT, "malformed", "typ");
    att_text(v, cose, att_cose(cose, sizeof cose, &c, k75.sk, COSE_TYP_CHECKPOINT));

    v = vec_add(b, "unknown_issuer", "Signed by a key outside the trust list (seed 0x04).", AT,
                "unknown_issuer", "unknown_kid");
    att_sign(v, &c, k_other.sk);

    v = vec_add(b, "issuer_mismatch", "iss FR-75 signed with FR-13's key.", AT, "untrusted_issuer",
                "issuer_mismatch");
    att_sign(v, &c, k13.sk);

    att_claims(&c, "FR-69", 5, 0x30, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "key_compromised", "Signed by FR-69's key, compromised in the trust list.", AT,
                "untrusted_issuer", "key_compromised");
    att_sign(v, &c, k69.sk);

    att_claims(&c, "FR-75", I_A, 0xa0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "non_canonical_s", "The valid attestation with S replaced by S + L.", AT,
                "invalid_signature", "signature");
    n = att_cose(cose, sizeof cose, &c, k75.sk, COSE_TYP_ATTESTATION);
    {
        uint8_t *s = cose + n - 32;
        unsigned carry = 0;
        for (int i = 0; i < 32; i++) {
            unsigned sum = s[i] + group_order[i] + carry;
            s[i] = (uint8_t)sum;
            carry = sum >> 8;
        }
    }
    att_text(v, cose, n);

    v = vec_add(b, "small_order_r",
                "Signed by FR-75 with R an order-8 point and S = h * a: the cofactored equation holds, "
                "libsodium refuses R.",
                AT, "invalid_signature", "signature");
    {
        uint8_t tbs[4096];
        n = att_cose(cose, sizeof cose, &c, k75.sk, COSE_TYP_ATTESTATION);
        size_t tn = att_tbs(tbs, sizeof tbs, cose, n);
        sig_small_r(cose + n - 64, order8, &k75, tbs, tn);
        att_text(v, cose, n);
    }

    att_claims(&c, "FR-976", 6, 0x38, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "small_order_key",
                "FR-976's key in the trust list is an order-8 point; signature R = s * B, S = s, which a "
                "cofactored verifier accepts: libsodium refuses the key.",
                AT, "invalid_signature", "signature");
    {
        uint8_t fake_sk[64];
        memset(fake_sk, 0x42, 32);
        memcpy(fake_sk + 32, small_order_pk, 32); /* the kid of the protected header comes from here */
        n = att_cose(cose, sizeof cose, &c, fake_sk, COSE_TYP_ATTESTATION);
        sig_r_is_sb(cose + n - 64, "small_order_key");
        att_text(v, cose, n);
    }

    att_claims(&c, "FR-971", 7, 0x40, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    {
        uint8_t fake_sk[64], tbs[4096];
        memset(fake_sk, 0x43, 32);
        memcpy(fake_sk + 32, mixed_pk, 32);
        v = vec_add(b, "mixed_order_key_accepted",
                    "FR-971's key is a * B plus an order-8 point; h is a multiple of 8, so the cofactorless "
                    "equation holds: authentic, and FR-971 has no feed.",
                    AT, "status_unknown", "no_status");
        n = att_cose(cose, sizeof cose, &c, fake_sk, COSE_TYP_ATTESTATION);
        size_t tn = att_tbs(tbs, sizeof tbs, cose, n);
        sig_mixed(cose + n - 64, tbs, tn, 1, "mixed_accepted");
        att_text(v, cose, n);
        v = vec_add(b, "mixed_order_key_cofactored_only",
                    "The same key, h not a multiple of 8: only the cofactored equation holds; libsodium "
                    "refuses.",
                    AT, "invalid_signature", "signature");
        sig_mixed(cose + n - 64, tbs, tn, 0, "mixed_refused");
        att_text(v, cose, n);
    }

    att_claims(&c, "FR-75", I_OLD, 0x48, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "retired_key_before", "Signed by FR-75's retired key before retired_at (2026-10-01).", AT,
                "valid", NULL);
    att_sign(v, &c, k75_old.sk);
    c.iat = T("2026-10-02T08:00:00Z");
    v = vec_add(b, "retired_key_after", "Signed by FR-75's retired key after retired_at.", AT,
                "untrusted_issuer", "issued_after_retirement");
    att_sign(v, &c, k75_old.sk);

    att_claims(&c, "FR-75", I_A, 0x50, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "malformed_claims", "Signed by FR-75, but the nationality is in lower case.", AT,
                "malformed", "claims");
    {
        uint8_t payload[2048];
        size_t plen = sizeof payload;
        CHECK(claims_encode(payload, &plen, &c) == API_OK);
        for (size_t i = 0; i + 3 <= plen; i++)
            if (!memcmp(payload + i, "SEN", 3)) {
                memcpy(payload + i, "sen", 3);
                break;
            }
        n = sizeof cose;
        CHECK(cose_sign1_sign(cose, &n, COSE_TYP_ATTESTATION, payload, plen, k75.sk) == API_OK);
        att_text(v, cose, n);
    }

    att_claims(&c, "FR-75", 20014, 0x58, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    strcpy(c.fn, "\xef\xbb\xbf");
    strcpy(c.gn, "\xef\xbb\xbf"
                 "Aminata");
    v = vec_add(b, "byte_order_mark_in_names",
                "The family name is a lone U+FEFF (3 bytes: not empty) and the given names start with one: "
                "valid, and echoed as they are (a UTF-8 decoder must not drop a leading BOM).",
                AT, "valid", NULL);
    att_sign(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_A, 0x60, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "typ_with_byte_order_mark",
                "Signed by FR-75 with typ U+FEFF followed by api-attestation+cwt.", AT, "malformed", "typ");
    {
        uint8_t prot[96], payload[2048];
        size_t plen = sizeof payload;
        cbw w;
        cbw_init(&w, prot, sizeof prot);
        cbw_map(&w, 3);
        cbw_uint(&w, 1);
        cbw_int(&w, COSE_ALG_EDDSA);
        cbw_uint(&w, 4);
        cbw_bytes(&w, k75.kid, COSE_KID_LEN);
        cbw_uint(&w, 16);
        cbw_text(&w, "\xef\xbb\xbf" COSE_TYP_ATTESTATION);
        size_t prot_len;
        CHECK(cbw_finish(&w, &prot_len) == API_OK);
        CHECK(claims_encode(payload, &plen, &c) == API_OK);
        n = testkit_cose_signed_with_protected(cose, sizeof cose, prot, prot_len, payload, plen, k75.sk);
        CHECK(n > 0);
        att_text(v, cose, n);
    }

    /* ---- holders' cards: the reduced code of an attestation above, whose status applies by the same index
     * ---- */
    vvec *v_card_a, *v_card_l;
    att_claims(&c, "FR-75", I_A, 0xa0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v_card_a = v =
        vec_add(b, "card_valid",
                "The holder's card of `valid` (the same cti and status index): valid, and the report "
                "says it read the reduced code.",
                AT, "valid", NULL);
    att_sign_card(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_C, 0xc0, "2026-08-14T08:00:00Z", 2026, 8, 16, 2026, 11, 15);
    v = vec_add(b, "card_extended_by_segment",
                "The card of `extended_by_segment`: the extension of its index applies to the card too.", AT,
                "valid", NULL);
    att_sign_card(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_D, 0xd0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "card_revoked_in_snapshot",
                "The card of `revoked_in_snapshot`: revoked with its full code.", AT, "revoked", "revoked");
    att_sign_card(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_E, 0xe0, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(b, "card_suspended", "The card of `suspended`: suspended with its full code.", AT,
                "suspended", "suspended");
    att_sign_card(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_F, 0xe8, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    c.app = CLAIMS_APP_CHANGE;
    c.wrk = CLAIMS_WRK_PREVIOUS;
    c.has_prv = 0;
    v = vec_add(
        b, "card_superseded",
        "The card of `superseded`: a decision was taken; the card carries the right to work under the "
        "previous permit's conditions, not the application.",
        AT, "superseded", "superseded");
    att_sign_card(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_L, 0x20, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v_card_l = v =
        vec_add(b, "card_revoked_later",
                "The card of `revoked_later`: valid here; later bundles revoke it with its full code.", AT,
                "valid", NULL);
    att_sign_card(v, &c, k75.sk);

    att_claims(&c, "FR-75", I_OLD, 0x48, "2026-09-14T08:00:00Z", 2026, 9, 15, 2026, 12, 15);
    v = vec_add(
        b, "card_retired_key_before",
        "The card of `retired_key_before`: a card has no iat, its nbf (2026-09-14T22:00:00Z) is before "
        "the key's retired_at.",
        AT, "valid", NULL);
    att_sign_card(v, &c, k75_old.sk);

    att_claims(&c, "FR-75", 20015, 0x68, "2026-09-14T08:00:00Z", 2026, 10, 2, 2026, 12, 15);
    v = vec_add(
        b, "retired_key_validity_after_retirement",
        "Signed by FR-75's retired key before retired_at (iat 2026-09-14), valid from 2026-10-02, after "
        "retired_at: the full code is valid.",
        AT, "valid", NULL);
    att_sign(v, &c, k75_old.sk);
    v = vec_add(b, "card_retired_key_validity_after_retirement",
                "Its card: no iat, and its nbf is after retired_at: refused as issued after the retirement.",
                AT, "untrusted_issuer", "issued_after_retirement");
    att_sign_card(v, &c, k75_old.sk);

    /* ---- bundles whose FR-75 feed is refused, or complete without a snapshot ---- */
    b = bundle_add("no_snapshot", "No snapshot: the replica replays segments 1 to 3.", NULL,
                   "2026-11-20T06:01:00Z", bundle_json(gen, &tl1, NULL, segs123, 3, &cp));
    bundle_expect(b, "FR-75", 1, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_a, AT, "valid", NULL, v_a->description);
    vec_copy(b, v_d, AT, "revoked", "revoked", "Revoked by segment 1, replayed.");
    vec_copy(b, v_g, AT, "valid", NULL, "Extended by segment 1, replayed.");
    vec_copy(b, v_r, AT, "valid", NULL, v_r->description);
    vec_copy(b, v_c, AT, "valid", NULL, v_c->description);

    b = bundle_add("tampered_segment",
                   "Segment 3 with one byte of its payload changed: FR-75's feed is refused.", NULL,
                   "2026-11-20T06:01:00Z", bundle_json(gen, &tl1, &snapshot, segs2t, 2, &cp));
    bundle_expect(b, "FR-75", 0, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_a, AT, "status_unknown", "no_status", "No status held for FR-75.");
    vec_copy(b, v_d, AT, "status_unknown", "no_status", "Revoked, but no status is held for FR-75.");
    vec_copy(b, v_b, AT, "expired", "expired", "Dates come before freshness (step 10).");

    b = bundle_add("segment_missing", "Segment 2 is missing: the chain cannot reach the checkpoint.", NULL,
                   "2026-11-20T06:01:00Z", bundle_json(gen, &tl1, &snapshot, segs3, 1, &cp));
    bundle_expect(b, "FR-75", 0, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_a, AT, "status_unknown", "no_status", "No status held for FR-75.");

    b = bundle_add("future_checkpoint",
                   "Loaded an hour before the checkpoint was signed: refused (5 minutes allowed).", NULL,
                   "2026-11-20T05:00:00Z", bundle_json(gen, &tl1, &snapshot, segs23, 2, &cp));
    bundle_expect(b, "FR-75", 0, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_a, "2026-11-20T05:10:00Z", "status_unknown", "no_status", "No status held for FR-75.");

    b = bundle_add("checkpoint_other_issuer", "FR-75's checkpoint signed with FR-13's key: refused.", NULL,
                   "2026-11-20T06:01:00Z", bundle_json(gen, &tl1, &snapshot, segs23, 2, &cp_other_key));
    bundle_expect(b, "FR-75", 0, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_a, AT, "status_unknown", "no_status", "No status held for FR-75.");

    b = bundle_add("checkpoint_iss_with_byte_order_mark",
                   "FR-75's checkpoint says iss U+FEFF followed by FR-75: not FR-75, refused.", NULL,
                   "2026-11-20T06:01:00Z", bundle_json(gen, &tl1, &snapshot, segs23, 2, &cp_bom));
    bundle_expect(b, "FR-75", 0, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_a, AT, "status_unknown", "no_status", "No status held for FR-75.");

    b = bundle_add("broken_chain",
                   "A checkpoint (properly signed) whose head the segments do not reach: refused.", NULL,
                   "2026-11-20T06:01:00Z", bundle_json(gen, &tl1, &snapshot, segs23, 2, &cp_wrong_head));
    bundle_expect(b, "FR-75", 0, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_a, AT, "status_unknown", "no_status", "No status held for FR-75.");

    /* ---- later bundles over an earlier state ---- */
    b = bundle_add(
        "rotated_root",
        "Over the state of `main`: trust list seq 2 signed by the next root that list 1 announced, "
        "segment 4 (revokes `revoked_later`, resumes `suspended`) and a new checkpoint.",
        "main", "2026-11-25T06:01:00Z",
        bundle_json("2026-11-25T06:00:30Z", &tl2, &snapshot, segs234, 3, &cp2));
    bundle_expect(b, "FR-75", 1, 0, 0);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_l, AT2, "revoked", "revoked", "Revoked by segment 4.");
    vec_copy(b, v_card_l, AT2, "revoked", "revoked",
             "The card of `revoked_later`, revoked by segment 4 too.");
    vec_copy(b, v_card_a, AT2, "valid", NULL, v_card_a->description);
    vec_copy(b, v_e, AT2, "valid", NULL, "Resumed by segment 4.");
    vec_copy(b, v_a, AT2, "valid", NULL, v_a->description);
    vec_copy(b, v_d, AT2, "revoked", "revoked", v_d->description);
    vec_copy(b, v_c, AT2, "valid", NULL, v_c->description);

    b = bundle_add("rotated_root_alone",
                   "The same bundle without the state of `main`: the list is signed by a root that is not "
                   "pinned and was never announced: no trust list can be held.",
                   NULL, "2026-11-25T06:01:00Z",
                   bundle_json("2026-11-25T06:00:30Z", &tl2, &snapshot, segs234, 3, &cp2));
    b->trust_accepted = 0;
    b->loadable = 0;

    b = bundle_add(
        "rollback",
        "The `main` bundle again over the state of `rotated_root`: the older trust list and the older "
        "checkpoint are refused as rollbacks, the state is kept.",
        "rotated_root", "2026-11-25T06:02:00Z", bundle_json(gen, &tl1, &snapshot, segs23, 2, &cp));
    b->trust_accepted = 0;
    bundle_expect(b, "FR-75", 0, 0, 1);
    bundle_expect(b, "FR-13", 0, 0, 0);
    vec_copy(b, v_l, AT2, "revoked", "revoked", "Still revoked: the rollback was refused.");
    vec_copy(b, v_a, AT2, "valid", NULL, v_a->description);

    free(tl1.cose);
    free(tl2.cose);
    free(snapshot.cose);
    free(cp.cose);
    free(cp_other_key.cose);
    free(cp_wrong_head.cose);
    free(cp_bom.cose);
    free(cp2.cose);
    free(seg3_tampered.cose);
    testkit_feed_free(&f);
}

/* ---- Ed25519 edge cases ---- */

typedef struct {
    const char *name, *description;
    uint8_t pk[32], sig[64], msg[32];
    size_t msg_len;
} sigvec;

#define SIGS_MAX 16
static sigvec sigs[SIGS_MAX];
static size_t n_sigs;

static sigvec *sig_add(const char *name, const char *description, const uint8_t pk[32], const char *msg)
{
    CHECK(n_sigs < SIGS_MAX);
    sigvec *s = &sigs[n_sigs++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->description = description;
    memcpy(s->pk, pk, 32);
    s->msg_len = strlen(msg);
    memcpy(s->msg, msg, s->msg_len);
    return s;
}

/* The first y in 2..18 whose canonical encoding is (want_on_curve) or is not a curve point. */
static void small_y(uint8_t p[32], int want_on_curve)
{
    static const uint8_t base[32] = {0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                     0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                     0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
    for (uint8_t y = 2; y <= 18; y++) {
        uint8_t sum[32];
        memset(p, 0, 32);
        p[0] = y;
        if ((crypto_core_ed25519_add(sum, p, base) == 0) == want_on_curve) return;
    }
    testkit_die("no small y found");
}

static void build_sigs(void)
{
    uint8_t pk[32];
    sigvec *s;
    s = sig_add("valid", "A plain signature by FR-75's key.", k75.pk, "attestation");
    crypto_sign_detached(s->sig, NULL, s->msg, s->msg_len, k75.sk);
    s = sig_add("valid_empty_message", "The empty message.", k75.pk, "");
    crypto_sign_detached(s->sig, NULL, s->msg, 0, k75.sk);
    s = sig_add("non_canonical_s", "S + L: the same point equation, S not below L.", k75.pk, "attestation");
    crypto_sign_detached(s->sig, NULL, s->msg, s->msg_len, k75.sk);
    {
        unsigned carry = 0;
        for (int i = 0; i < 32; i++) {
            unsigned sum = s->sig[32 + i] + group_order[i] + carry;
            s->sig[32 + i] = (uint8_t)sum;
            carry = sum >> 8;
        }
    }
    s = sig_add("s_equals_l", "S = L exactly.", k75.pk, "attestation");
    crypto_sign_detached(s->sig, NULL, s->msg, s->msg_len, k75.sk);
    memcpy(s->sig + 32, group_order, 32);
    s = sig_add("r_sign_flipped", "A valid signature with the sign bit of R flipped.", k75.pk, "attestation");
    crypto_sign_detached(s->sig, NULL, s->msg, s->msg_len, k75.sk);
    s->sig[31] ^= 0x80;
    memset(pk, 0, 32);
    pk[0] = 1;
    s = sig_add("small_order_key_identity",
                "The key is the identity (order 1): R = s * B, S = s satisfies even the cofactorless "
                "equation; libsodium refuses the key.",
                pk, "attestation");
    sig_r_is_sb(s->sig, "identity");
    pk[31] = 0x80;
    s = sig_add("small_order_key_identity_sign_bit", "The identity with the sign bit set.", pk,
                "attestation");
    sig_r_is_sb(s->sig, "identity");
    s = sig_add("small_order_key_order8",
                "The key is an order-8 point; R = s * B, S = s (cofactored: accepted).", order8,
                "attestation");
    sig_r_is_sb(s->sig, "order8");
    small_y(pk, 1);
    pk[0] = (uint8_t)(pk[0] + 0xed); /* y + p: the same y, not canonical */
    memset(pk + 1, 0xff, 30);
    pk[31] = 0x7f;
    s = sig_add("non_canonical_key", "A key encoded as y + p (a curve point with a small y).", pk,
                "attestation");
    sig_r_is_sb(s->sig, "non_canonical_key");
    small_y(pk, 0);
    s = sig_add("key_not_on_curve", "A y with no x on the curve.", pk, "attestation");
    sig_r_is_sb(s->sig, "not_on_curve");
    s = sig_add("small_order_r", "R an order-8 point, S = h * a: the cofactored equation holds.", k75.pk,
                "attestation");
    sig_small_r(s->sig, order8, &k75, s->msg, s->msg_len);
    memset(pk, 0, 32);
    pk[0] = 1;
    s = sig_add("small_order_r_identity",
                "R the identity, S = h * a: [S]B - [h]A is the identity, so even the cofactorless equation "
                "holds; libsodium refuses R.",
                k75.pk, "attestation");
    sig_small_r(s->sig, pk, &k75, s->msg, s->msg_len);
    s = sig_add("small_order_r_mixed_key",
                "The mixed-order key a * B + T8, R = -h * T8 (not the identity), S = h * a: [S]B - [h]A = R, "
                "the cofactorless equation holds; only libsodium's list of small-order R refuses it.",
                mixed_pk, "attestation");
    sig_small_r_mixed(s->sig, s->msg, &s->msg_len);
    s = sig_add("mixed_order_key_h_multiple_of_8",
                "The key a * B + T8; h a multiple of 8: the cofactorless equation holds.", mixed_pk,
                "attestation");
    sig_mixed(s->sig, s->msg, s->msg_len, 1, "sig_mixed_ok");
    s = sig_add("mixed_order_key_h_not_multiple_of_8",
                "The same key, h not a multiple of 8: only the cofactored equation holds.", mixed_pk,
                "attestation");
    sig_mixed(s->sig, s->msg, s->msg_len, 0, "sig_mixed_bad");
}

/* ---- zlib streams ---- */

typedef struct {
    char name[48];
    uint8_t *z;
    size_t len, max_out;
} zvec;

#define ZVECS_MAX 160
static zvec zvecs[ZVECS_MAX];
static size_t n_zvecs;

static void zvec_add(const char *name, const uint8_t *z, size_t len, size_t max_out)
{
    CHECK(n_zvecs < ZVECS_MAX);
    zvec *v = &zvecs[n_zvecs++];
    snprintf(v->name, sizeof v->name, "%s", name);
    v->z = malloc(len ? len : 1);
    CHECK(v->z != NULL);
    memcpy(v->z, z, len);
    v->len = len;
    v->max_out = max_out;
}

/* deflate with a strategy, optionally cut by a sync flush after `flush_at` input bytes. */
static size_t zdeflate(uint8_t *out, size_t cap, const uint8_t *in, size_t n, int level, int strategy,
                       size_t flush_at)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK(deflateInit2(&zs, level, Z_DEFLATED, 15, 8, strategy) == Z_OK);
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    zs.next_in = (Bytef *)(uintptr_t)in;
    if (flush_at) {
        zs.avail_in = (uInt)flush_at;
        CHECK(deflate(&zs, Z_SYNC_FLUSH) == Z_OK);
    }
    zs.avail_in = (uInt)(n - flush_at);
    CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    size_t len = zs.total_out;
    deflateEnd(&zs);
    return len;
}

static void build_zlib(void)
{
    uint8_t data[600], z[1024];
    uint64_t rnd = 0x5eed;
    /* some text with repeats, then a little noise */
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = i < 400 ? (uint8_t)("carte de sejour pluriannuelle salarie "[i % 38])
                          : (uint8_t)testkit_rand(&rnd);
    struct {
        const char *name;
        int level, strategy;
        size_t flush_at;
    } bases[] = {
        {"level9", 9, Z_DEFAULT_STRATEGY, 0},
        {"stored", 0, Z_DEFAULT_STRATEGY, 0},
        {"fixed", 9, Z_FIXED, 0},
        {"sync_flush", 6, Z_DEFAULT_STRATEGY, 300},
        {"huffman_only", 9, Z_HUFFMAN_ONLY, 0},
    };
    char name[48];
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        size_t n =
            zdeflate(z, sizeof z, data, sizeof data, bases[b].level, bases[b].strategy, bases[b].flush_at);
        zvec_add(bases[b].name, z, n, 4096);
        snprintf(name, sizeof name, "%s_exact_max", bases[b].name);
        zvec_add(name, z, n, sizeof data);
        snprintf(name, sizeof name, "%s_max_one_short", bases[b].name);
        zvec_add(name, z, n, sizeof data - 1);
        snprintf(name, sizeof name, "%s_trailing_byte", bases[b].name);
        z[n] = 0;
        zvec_add(name, z, n + 1, 4096);
        for (int k = 0; k < 20; k++) {
            uint8_t m[1024];
            memcpy(m, z, n);
            uint64_t x = testkit_rand(&rnd);
            size_t len = n;
            if (k < 14) {
                m[x % n] ^= (uint8_t)(1u << ((x >> 32) % 8));
                snprintf(name, sizeof name, "%s_bit_flip_%d", bases[b].name, k);
            } else if (k < 18) {
                len = (size_t)(x % n);
                snprintf(name, sizeof name, "%s_truncated_%d", bases[b].name, k - 14);
            } else {
                m[n - 5] ^= (uint8_t)(0x80u >> (k - 18)); /* the last deflate byte: its padding bits */
                snprintf(name, sizeof name, "%s_last_byte_%d", bases[b].name, k - 18);
            }
            zvec_add(name, m, len, 4096);
        }
    }
    /* hand-made: header variants and stored blocks */
    const uint8_t hello[] = "hello";
    uint32_t a = (uint32_t)adler32(1, hello, 5);
    uint8_t s[32] = {0x78,
                     0x01,
                     0x01,
                     5,
                     0,
                     0xfa,
                     0xff,
                     'h',
                     'e',
                     'l',
                     'l',
                     'o',
                     (uint8_t)(a >> 24),
                     (uint8_t)(a >> 16),
                     (uint8_t)(a >> 8),
                     (uint8_t)a};
    zvec_add("stored_hello", s, 16, 4096);
    s[2] = 0xf9;
    zvec_add("stored_nonzero_padding", s, 16, 4096);
    s[2] = 0x01;
    s[5] = 0xfb;
    zvec_add("stored_bad_nlen", s, 16, 4096);
    s[5] = 0xfa;
    s[0] = 0x68;
    s[1] = 0x81; /* CINFO 6: a 16 KiB window, header check right */
    zvec_add("cmf_not_0x78", s, 16, 4096);
    s[0] = 0x78;
    s[1] = 0x02;
    zvec_add("bad_header_check", s, 16, 4096);
    s[1] = 0xbb; /* FDICT */
    zvec_add("preset_dictionary", s, 16, 4096);
    s[1] = 0x01;
    s[15] ^= 1;
    zvec_add("bad_adler", s, 16, 4096);
    s[15] ^= 1;
    s[2] = 0x07; /* BFINAL, BTYPE 11 */
    zvec_add("block_type_3", s, 16, 4096);
    uint8_t empty[] = {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    zvec_add("empty_fixed", empty, sizeof empty, 4096);
    /* fixed codes: 'a', then length 3 at distance 2 after one byte of output (distance 1 would give "aaaa")
     */
    const uint8_t far[] = {0x78, 0x9c, 0x4b, 0x04, 0x42, 0x00, 0x03, 0xce, 0x01, 0x85};
    zvec_add("distance_too_far", far, sizeof far, 4096);
    /*
     * Dynamic and fixed blocks written bit by bit (each fails, or not, for one
     * of zlib's rules on Huffman codes: incomplete and over-subscribed sets,
     * missing end-of-block, bad repeats, too many codes, codes 286-287 and
     * 30-31 of the fixed set, a length of 258 written as code 284 plus 31).
     */
    static const struct {
        const char *name, *hex;
    } crafted[] = {
        {"dyn_single_distance_code", "789c0dc0010400000080200000000000000000000000000f00000000000000000000000"
                                     "0000000000000003e5c05be01ea"},
        {"dyn_distance_code_incomplete",
         "789c0d800104000000400000000000000000000000000c000000000000000000000000000000000000008e1305be01ea"},
        {"dyn_no_distance_code", "789c05c0010400000080200000000000000000000000000d000000000000000000000000000"
                                 "00000000000a601012600c4"},
        {"dyn_literal_code_incomplete",
         "789c05800104000000400000000000000000000000000c000000000000000000000000000000000000002200620062"},
        {"dyn_only_end_of_block",
         "789c05c00104000000001000000000000000000000000000000000000000000000000000000000000000800000000001"},
        {"dyn_no_end_of_block",
         "789c05c00104000000001000000000000000000000000001000000000000000000000000000000000000000000620062"},
        {"dyn_literal_code_oversubscribed",
         "789c05c00104000000001000000000000000000000000007000000000000000000000000000000000000800200000001"},
        {"dyn_code_length_code_incomplete",
         "789c05c0010800000080200000000000000000000000000000000000000000000000000c000000000000000000000000000"
         "000000000000000000000000000000000000000000000000080d0012600c4"},
        {"dyn_repeat_without_previous",
         "789c05c0050800000080a001000000000000000000000000000000000000000000000003000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000200c00620062"},
        {"dyn_repeat_too_long",
         "789c05c0010900000080200000000000000000000000000000000000000000000000000c000000000000000000000000000"
         "000000000000000000000000000000000000000000000000080fe1b00620062"},
        {"dyn_too_many_length_codes", "789cf5c001040000000010000000000000000000000000010000000000000000000000"
                                      "0000000000000080000000000100620062"},
        {"dyn_too_many_distance_codes", "789c05df010400000080200000000000000000000000000d00000000000000000000"
                                        "000000000000000000060000006400620062"},
        {"dyn_repeat_across_too_long",
         "789c0dc10508000000802000000000000000000000000000000000000000000000000004000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000801a0100620062"},
        {"dyn_length_258_as_284", "789ce5c0010400000080200000000000000000000000000100000000000000000000000000"
                                  "000000000000030000e0fc05d9a86224"},
        {"fixed_code_286", "789c4b1c030000620062"},
        {"fixed_distance_code_30", "789c4b043e0003ce0185"},
        {"fixed_match", "789c4b04020003ce0185"},
        {"dyn_single_distance_code_unused", "789c0dc0010400000080200000000000000000000000000f0000000000000000"
                                            "00000000000000000000003e3c05be01ea"},
        {"dyn_only_end_of_block_unused",
         "789c05c00104000000001000000000000000000000000000000000000000000000000000000000000000800200000001"},
        {"dyn_no_distance_code_used",
         "789c0d800104000000400000000000000000000000000c00000000000000000000000000000000000000860305be01ea"},
    };
    for (size_t i = 0; i < sizeof crafted / sizeof crafted[0]; i++) {
        uint8_t c[128];
        size_t cn;
        CHECK(sodium_hex2bin(c, sizeof c, crafted[i].hex, strlen(crafted[i].hex), NULL, &cn, NULL) == 0);
        zvec_add(crafted[i].name, c, cn, 4096);
    }
    uint8_t one[2] = {0x78, 0x9c};
    zvec_add("header_only", one, 2, 4096);
    zvec_add("one_byte", one, 1, 4096);
}

/* ---- explain ---- */

static cJSON *explain_json(explain_lang l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *verdicts = cJSON_AddObjectToObject(o, "verdict");
    cJSON *next = cJSON_AddObjectToObject(o, "next_step");
    for (int v = 0; v < VERDICT_COUNT; v++) {
        cJSON_AddStringToObject(verdicts, verdict_code((verdict)v), explain_verdict((verdict)v, l));
        cJSON_AddStringToObject(next, verdict_code((verdict)v), explain_next_step((verdict)v, l));
    }
    cJSON *rs = cJSON_AddObjectToObject(o, "reason");
    for (api_reason r = API_REASON_NONE + 1; r < API_REASON_COUNT; r++) {
        const char *t = explain_reason(r, l);
        CHECK(strcmp(t, reason_code(r)) != 0); /* a reason explain.c has a text for */
        cJSON_AddStringToObject(rs, reason_code(r), t);
    }
    cJSON *cmp = cJSON_AddArrayToObject(o, "compare");
    for (int i = 0; i < 2; i++) cJSON_AddItemToArray(cmp, cJSON_CreateString(explain_compare(i, l)));
    cJSON *work = cJSON_AddArrayToObject(o, "work");
    for (unsigned i = 0; i < 3; i++) cJSON_AddItemToArray(work, cJSON_CreateString(explain_work(i, l)));
    cJSON *app = cJSON_AddArrayToObject(o, "application");
    for (unsigned i = 0; i < 4; i++) cJSON_AddItemToArray(app, cJSON_CreateString(explain_application(i, l)));
    cJSON_AddStringToObject(o, "about", explain_about(l));
    cJSON_AddStringToObject(o, "disclaimer", explain_disclaimer(l));
    cJSON *pres = cJSON_AddObjectToObject(o, "presentation");
    cJSON_AddStringToObject(pres, claims_presentation_code(CLAIMS_PRESENTATION_REDUCED),
                            explain_presentation(CLAIMS_PRESENTATION_REDUCED, l));
    CHECK(explain_presentation(CLAIMS_PRESENTATION_FULL, l) == NULL);
    static const char *const dates[] = {"2026-12-01", "2026-12-15", "2027-02-28", "1990-04", "not a date"};
    cJSON *d = cJSON_AddObjectToObject(o, "dates");
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        char buf[64];
        explain_date(buf, sizeof buf, dates[i], l);
        cJSON_AddStringToObject(d, dates[i], buf);
    }
    return o;
}

/* ---- the file ---- */

static cJSON *file_json(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(
        o, "description",
        "Shared vectors of the offline web checker (docs/federation.md, 'The offline bundle'). Keys come "
        "from fixed Ed25519 seeds: 32 bytes of 0x01 (root), 0x08 (the next root), 0x02 (FR-75), 0x07 "
        "(FR-75's "
        "retired key), 0x03 (FR-13), 0x05 (FR-69, compromised), 0x04 (outside the trust list); FR-976's key "
        "is "
        "an order-8 point and FR-971's is a * B plus that point, a from seed 0x09. For each bundle: load it "
        "at "
        "loaded_at with root_public_key pinned, over the state its 'previous' bundle left, then verify each "
        "vector's qr at 'at' (max staleness 24 h): the result, reason and report are the C verifier's "
        "(report_json, REPORT_FULL). Made by tests/unit/test_bundle_vectors.c.");
    add_b64(o, "root_public_key", root_key.pk, 32);
    cJSON *arr = cJSON_AddArrayToObject(o, "bundles");
    for (size_t i = 0; i < n_bundles; i++) {
        vbundle *b = &bundles[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", b->name);
        cJSON_AddStringToObject(j, "description", b->description);
        if (b->previous)
            cJSON_AddStringToObject(j, "previous", b->previous);
        else
            cJSON_AddNullToObject(j, "previous");
        cJSON_AddStringToObject(j, "loaded_at", b->loaded_at);
        cJSON_AddBoolToObject(j, "trust_accepted", b->trust_accepted);
        cJSON_AddBoolToObject(j, "loadable", b->loadable);
        cJSON *s = cJSON_AddArrayToObject(j, "sync");
        for (size_t k = 0; k < b->n_sync; k++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "iss", b->sync[k].iss);
            cJSON_AddBoolToObject(e, "reached", b->sync[k].reached);
            cJSON_AddBoolToObject(e, "fork", b->sync[k].fork);
            cJSON_AddBoolToObject(e, "rollback", b->sync[k].rollback);
            cJSON_AddItemToArray(s, e);
        }
        cJSON_AddItemToObject(j, "bundle", cJSON_Duplicate(b->bundle, 1));
        cJSON *vs = cJSON_AddArrayToObject(j, "vectors");
        for (size_t k = 0; k < b->n_vecs; k++) {
            vvec *v = &b->vecs[k];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", v->name);
            cJSON_AddStringToObject(e, "description", v->description);
            cJSON_AddStringToObject(e, "qr", v->qr);
            cJSON_AddStringToObject(e, "at", v->at);
            cJSON_AddStringToObject(e, "result", v->result);
            if (v->reason)
                cJSON_AddStringToObject(e, "reason", v->reason);
            else
                cJSON_AddNullToObject(e, "reason");
            cJSON_AddItemToArray(vs, e);
        }
        cJSON_AddItemToArray(arr, j);
    }
    arr = cJSON_AddArrayToObject(o, "signatures");
    for (size_t i = 0; i < n_sigs; i++) {
        sigvec *s = &sigs[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", s->name);
        cJSON_AddStringToObject(j, "description", s->description);
        add_hex(j, "public_key", s->pk, 32);
        add_hex(j, "message", s->msg, s->msg_len);
        add_hex(j, "signature", s->sig, 64);
        cJSON_AddBoolToObject(j, "valid",
                              crypto_sign_verify_detached(s->sig, s->msg, s->msg_len, s->pk) == 0);
        cJSON_AddItemToArray(arr, j);
    }
    arr = cJSON_AddArrayToObject(o, "zlib");
    for (size_t i = 0; i < n_zvecs; i++) {
        zvec *z = &zvecs[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", z->name);
        add_hex(j, "stream", z->z, z->len);
        cJSON_AddNumberToObject(j, "max_out", (double)z->max_out);
        uint8_t *out = malloc(z->max_out);
        CHECK(out != NULL);
        size_t got = z->max_out;
        int ok = zc_inflate_strict(out, &got, z->z, z->len) == API_OK;
        cJSON_AddBoolToObject(j, "ok", ok);
        if (ok) {
            uint8_t h[32];
            crypto_hash_sha256(h, out, got);
            cJSON_AddNumberToObject(j, "length", (double)got);
            add_hex(j, "sha256", h, 32);
        }
        free(out);
        cJSON_AddItemToArray(arr, j);
    }
    cJSON *ex = cJSON_AddObjectToObject(o, "explain");
    cJSON_AddItemToObject(ex, "fr", explain_json(LANG_FR));
    cJSON_AddItemToObject(ex, "en", explain_json(LANG_EN));
    return o;
}

static void free_all(void)
{
    for (size_t i = 0; i < n_bundles; i++) {
        cJSON_Delete(bundles[i].bundle);
        free(bundles[i].vecs);
    }
    for (size_t i = 0; i < n_zvecs; i++) free(zvecs[i].z);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_bundle FILE   (e.g. docs/vectors/bundle.json)\n");
        return 2;
    }
    if (sodium_init() < 0) return 1;
    keys_init();
    build_bundles();
    build_sigs();
    build_zlib();
    cJSON *file = file_json();
    char err[4096];
    int rc = 0;
    if (testkit_bundle_run(file, 1, err, sizeof err) != 0) {
        fprintf(stderr, "gen_bundle: the C verifier over the new file: %s\n", err);
        rc = 1;
    } else if (testkit_vectors_write(argv[1], file) != 0) {
        fprintf(stderr, "gen_bundle: cannot write %s\n", argv[1]);
        rc = 1;
    }
    cJSON_Delete(file);
    free_all();
    return rc;
}
