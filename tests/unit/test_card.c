/*
 * test_card.c: the reduced presentation of an attestation, the holder's
 * card (typ api-card+cwt, docs/format.md "The reduced presentation"):
 *
 *   - its claims: the canonical bytes, encode and decode, the validation
 *     of the card's fields only, every required claim, the claims a card
 *     refuses to carry, the ones it ignores, malformed CBOR;
 *   - its verification: the same fixed order as the full code, with the
 *     typ telling which kind was read, a reader of one kind refusing the
 *     other at the typ, the status, extensions and the retired-key rule
 *     applying by the same index (a card's nbf standing for its iat), and
 *     no single-character change of a card text ever valid;
 *   - its report: `presentation`, the members a card cannot fill left out
 *     and named in `not_presented` for each profile, never empty, the
 *     sentence in both languages, and the text report;
 *   - the issuer's signing of it (issuer_sign_card), shorter than the
 *     zlib form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "common/time.h"
#include "issuer/issuer.h"
#include "qr/b45.h"
#include "qr/cbw.h"
#include "qr/claims.h"
#include "qr/cose.h"
#include "qr/qrtext.h"
#include "tests/unit/testkit.h"
#include "verifier/report.h"
#include "verifier/verify.h"

/*
 * The card of the docs' example (testkit_claims): {1: "FR-75", 4: exp,
 * 5: nbf, 7: cti, 65535: {"status_list": {"idx": 1234567}}, -65537: {"v":
 * 1, "fn": "DIALLO", "gn": "Aminata", "dob": "1990-04-12", "wrk": 1}},
 * 110 bytes (docs/format.md, "The reduced presentation").
 */
static const char card_hex[] =
    "a6016546522d3735041a6b21c66f051a6aa86e60074ca0a1a2a3a4a5a6a7a8a9aaab19ffffa1"
    "6b7374617475735f6c697374a1636964781a0012d6873a00010000a561760162666e664449414c"
    "4c4f62676e67416d696e61746163646f626a313939302d30342d31326377726b01";

static trust_list g_tl;
static testkit_key g_k75, g_k13;

static int setup(void **state)
{
    (void)state;
    testkit_fr75(&g_k75);
    testkit_fr13(&g_k13);
    return testkit_trust_list(&g_tl);
}

static int teardown(void **state)
{
    (void)state;
    trust_free(&g_tl);
    return 0;
}

/* ---- the claims ---- */

static void test_card_encoding(void **state)
{
    (void)state;
    api_claims c, d;
    testkit_claims(&c);
    uint8_t buf[512];
    size_t n = sizeof buf;
    assert_int_equal(claims_reduced_encode(buf, &n, &c), API_OK);
    char *hex = testkit_hex(buf, n);
    assert_string_equal(hex, card_hex);
    free(hex);
    assert_int_equal(n, 110);

    /* decoded: the card's claims, every other field zero */
    assert_int_equal(claims_reduced_decode(&d, buf, n), API_OK);
    assert_string_equal(d.iss, "FR-75");
    assert_true(d.nbf == c.nbf && d.exp == c.exp);
    assert_memory_equal(d.cti, c.cti, CLAIMS_CTI_LEN);
    assert_int_equal(d.status_idx, TESTKIT_STATUS_IDX);
    assert_int_equal(d.v, 1);
    assert_string_equal(d.fn, "DIALLO");
    assert_string_equal(d.gn, "Aminata");
    assert_string_equal(d.dob, "1990-04-12");
    assert_int_equal(d.wrk, CLAIMS_WRK_YES);
    api_claims zero;
    memset(&zero, 0, sizeof zero);
    assert_true(d.iat == 0 && d.app == 0 && d.has_prv == 0);
    assert_memory_equal(d.status_uri, zero.status_uri, sizeof d.status_uri);
    assert_memory_equal(d.nat, zero.nat, sizeof d.nat);
    assert_memory_equal(d.fnn, zero.fnn, sizeof d.fnn);
    assert_memory_equal(d.tit, zero.tit, sizeof d.tit);
    assert_memory_equal(d.fil, zero.fil, sizeof d.fil);

    /* the decoded card encodes to the same bytes (a fixed point), and is no full set of claims */
    uint8_t again[512];
    size_t m = sizeof again;
    assert_int_equal(claims_reduced_encode(again, &m, &d), API_OK);
    assert_int_equal(m, n);
    assert_memory_equal(again, buf, n);
    assert_int_equal(claims_validate(&d, NULL), API_ERR_CLAIMS);
    assert_int_equal(claims_decode(&d, buf, n), API_ERR_CLAIMS);

    /* a buffer too small is an error, never a cut map */
    m = 60;
    assert_int_not_equal(claims_reduced_encode(again, &m, &c), API_OK);

    /* the presentation names */
    assert_int_equal(claims_presentation_of_typ(COSE_TYP_ATTESTATION), CLAIMS_PRESENTATION_FULL);
    assert_int_equal(claims_presentation_of_typ(COSE_TYP_CARD), CLAIMS_PRESENTATION_REDUCED);
    assert_int_equal(claims_presentation_of_typ(COSE_TYP_TRUST_LIST), CLAIMS_PRESENTATION_NONE);
    assert_int_equal(claims_presentation_of_typ(NULL), CLAIMS_PRESENTATION_NONE);
    assert_string_equal(claims_presentation_typ(CLAIMS_PRESENTATION_REDUCED), "api-card+cwt");
    assert_string_equal(claims_presentation_typ(CLAIMS_PRESENTATION_FULL), "api-attestation+cwt");
    assert_null(claims_presentation_typ(CLAIMS_PRESENTATION_NONE));
    assert_string_equal(claims_presentation_code(CLAIMS_PRESENTATION_FULL), "full");
    assert_string_equal(claims_presentation_code(CLAIMS_PRESENTATION_REDUCED), "reduced");
    assert_null(claims_presentation_code(CLAIMS_PRESENTATION_NONE));
}

static void test_card_validate(void **state)
{
    (void)state;
    api_claims c;
    const char *field;
    /* the fields a card does not carry are not checked: empty or wrong, the card is fine */
    testkit_claims(&c);
    strcpy(c.nat, "sen");
    c.fnn[0] = '\0';
    c.app = 9;
    c.tit[0] = '\0';
    strcpy(c.fil, "x");
    c.iat = -1;
    c.status_uri[0] = '\0';
    assert_int_equal(claims_reduced_validate(&c, &field), API_OK);
    assert_null(field);
    assert_int_equal(claims_validate(&c, &field), API_ERR_CLAIMS);
    assert_string_equal(field, "iat");

    /* each field the card carries, named as claims_validate names it */
    struct {
        const char *field;
        int what;
    } spoil[] = {{"iss", 0}, {"nbf", 1}, {"exp", 2}, {"status.idx", 3}, {"v", 4},   {"fn", 5},
                 {"fn", 6},  {"gn", 7},  {"dob", 8}, {"dob", 9},        {"wrk", 10}};
    for (size_t i = 0; i < sizeof spoil / sizeof spoil[0]; i++) {
        testkit_claims(&c);
        switch (spoil[i].what) {
        case 0:
            strcpy(c.iss, "fr-75");
            break;
        case 1:
            c.nbf = -1;
            break;
        case 2:
            c.exp = c.nbf - 1;
            break;
        case 3:
            c.status_idx = CLAIMS_STATUS_IDX_MAX + 1;
            break;
        case 4:
            c.v = 2;
            break;
        case 5:
            c.fn[0] = '\0';
            break;
        case 6:
            strcpy(c.fn, "DI\x07LLO");
            break;
        case 7:
            strcpy(c.gn, "Ami\xc2\x85nata");
            break; /* a C1 control (NEL) */
        case 8:
            strcpy(c.dob, "1990-13-01");
            break;
        case 9:
            strcpy(c.dob, "90-04-12");
            break;
        default:
            c.wrk = 3;
            break;
        }
        assert_int_equal(claims_reduced_validate(&c, &field), API_ERR_CLAIMS);
        assert_string_equal(field, spoil[i].field);
        uint8_t buf[512];
        size_t n = sizeof buf;
        assert_int_equal(claims_reduced_encode(buf, &n, &c), API_ERR_CLAIMS); /* encode validates first */
    }
    /* no given names, a birth year or month alone: fine */
    testkit_claims(&c);
    c.gn[0] = '\0';
    strcpy(c.dob, "1990");
    assert_int_equal(claims_reduced_validate(&c, NULL), API_OK);
    strcpy(c.dob, "1990-04");
    assert_int_equal(claims_reduced_validate(&c, NULL), API_OK);
}

/*
 * A card map written by hand, key by key, in the canonical order; omit
 * leaves one claim out, add_att adds an attestation claim (with a text
 * value, or a map for "prv"), and the flags add an iat, a status uri and
 * unknown claims.
 */
typedef struct {
    const char *omit; /* "iss", "exp", "nbf", "cti", "status", "status_list", "idx", "att", "v", "fn", "gn",
                         "dob", "wrk" */
    const char *add_att; /* e.g. "nat", "prv", "zzz" */
    int iat, uri, unknown;
    int wrk_as_text; /* "wrk": "1" instead of 1 */
} card_map;

static size_t card_write(uint8_t *out, size_t cap, const card_map *m)
{
    api_claims c;
    testkit_claims(&c);
#define KEEP(name) (!m->omit || strcmp(m->omit, name) != 0)
    cbw w;
    cbw_init(&w, out, cap);
    size_t top = KEEP("iss") + KEEP("exp") + KEEP("nbf") + KEEP("cti") + KEEP("status") + KEEP("att") +
                 (m->iat ? 1 : 0) + (m->unknown ? 2 : 0);
    cbw_map(&w, top);
    if (KEEP("iss")) cbw_uint(&w, 1), cbw_text(&w, c.iss);
    if (KEEP("exp")) cbw_uint(&w, 4), cbw_int(&w, c.exp);
    if (KEEP("nbf")) cbw_uint(&w, 5), cbw_int(&w, c.nbf);
    if (m->iat) cbw_uint(&w, 6), cbw_int(&w, c.iat);
    if (KEEP("cti")) cbw_uint(&w, 7), cbw_bytes(&w, c.cti, CLAIMS_CTI_LEN);
    if (m->unknown) cbw_uint(&w, 99), cbw_text(&w, "later");
    if (KEEP("status")) {
        cbw_uint(&w, 65535);
        cbw_map(&w, KEEP("status_list") ? 1 : 0);
        if (KEEP("status_list")) {
            cbw_text(&w, "status_list");
            cbw_map(&w, KEEP("idx") + (m->uri ? 1 : 0));
            if (KEEP("idx")) cbw_text(&w, "idx"), cbw_uint(&w, c.status_idx);
            if (m->uri) cbw_text(&w, "uri"), cbw_text(&w, c.status_uri);
        }
    }
    if (KEEP("att")) {
        cbw_int(&w, -65537);
        cbw_map(&w, KEEP("v") + KEEP("fn") + KEEP("gn") + KEEP("dob") + KEEP("wrk") + (m->add_att ? 1 : 0) +
                        (m->unknown ? 1 : 0));
        if (KEEP("v")) cbw_text(&w, "v"), cbw_uint(&w, 1);
        if (KEEP("fn")) cbw_text(&w, "fn"), cbw_text(&w, c.fn);
        if (KEEP("gn")) cbw_text(&w, "gn"), cbw_text(&w, c.gn);
        if (KEEP("dob")) cbw_text(&w, "dob"), cbw_text(&w, c.dob);
        if (KEEP("wrk")) {
            cbw_text(&w, "wrk");
            if (m->wrk_as_text)
                cbw_text(&w, "1");
            else
                cbw_uint(&w, c.wrk);
        }
        if (m->add_att && strcmp(m->add_att, "prv") == 0) {
            cbw_text(&w, "prv");
            cbw_map(&w, 2);
            cbw_text(&w, "no"), cbw_text(&w, c.prv_no);
            cbw_text(&w, "exp"), cbw_text(&w, c.prv_exp);
        } else if (m->add_att && strcmp(m->add_att, "app") == 0) {
            cbw_text(&w, "app"), cbw_uint(&w, c.app);
        } else if (m->add_att) {
            cbw_text(&w, m->add_att), cbw_text(&w, strcmp(m->add_att, "fnn") == 0 ? c.fnn : "SEN");
        }
        if (m->unknown) cbw_text(&w, "zzz"), cbw_uint(&w, 7);
    }
    if (m->unknown) cbw_text(&w, "unknown text key"), cbw_uint(&w, 1);
#undef KEEP
    size_t n;
    assert_int_equal(cbw_finish(&w, &n), API_OK);
    return n;
}

static void test_card_decode(void **state)
{
    (void)state;
    uint8_t buf[512], ref[512];
    api_claims c, d;
    card_map m;
    memset(&m, 0, sizeof m);
    size_t n = card_write(ref, sizeof ref, &m);
    char *hex = testkit_hex(ref, n);
    assert_string_equal(hex, card_hex); /* the writer here writes what claims_reduced_encode writes */
    free(hex);
    assert_int_equal(claims_reduced_decode(&c, ref, n), API_OK);

    /* every claim is required */
    static const char *const required[] = {"iss", "exp", "nbf", "cti", "status", "status_list", "idx",
                                           "att", "v",   "fn",  "gn",  "dob",    "wrk"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        memset(&m, 0, sizeof m);
        m.omit = required[i];
        n = card_write(buf, sizeof buf, &m);
        if (claims_reduced_decode(&d, buf, n) != API_ERR_CLAIMS)
            fail_msg("a card without %s decoded", m.omit);
    }
    /* the claims a card leaves out on purpose are refused */
    static const char *const refused[] = {"nat", "fnn", "app", "tit", "fil", "prv"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        memset(&m, 0, sizeof m);
        m.add_att = refused[i];
        n = card_write(buf, sizeof buf, &m);
        if (claims_reduced_decode(&d, buf, n) != API_ERR_CLAIMS)
            fail_msg("a card carrying %s decoded", m.add_att);
    }
    /* unknown claims, an iat and a status uri are ignored: the same claims */
    memset(&m, 0, sizeof m);
    m.iat = m.uri = m.unknown = 1;
    n = card_write(buf, sizeof buf, &m);
    assert_int_equal(claims_reduced_decode(&d, buf, n), API_OK);
    assert_memory_equal(&d, &c, sizeof c);
    /* a claim of the wrong type */
    memset(&m, 0, sizeof m);
    m.wrk_as_text = 1;
    n = card_write(buf, sizeof buf, &m);
    assert_int_equal(claims_reduced_decode(&d, buf, n), API_ERR_CLAIMS);

    /* a full code's claims are no card, and a card's are no full code */
    api_claims full;
    testkit_claims(&full);
    n = sizeof buf;
    assert_int_equal(claims_encode(buf, &n, &full), API_OK);
    assert_int_equal(claims_reduced_decode(&d, buf, n), API_ERR_CLAIMS);
    n = card_write(buf, sizeof buf, &(card_map){0});
    assert_int_equal(claims_decode(&d, buf, n), API_ERR_CLAIMS);

    /* malformed CBOR: cut anywhere, a trailing byte, a non-shortest head, not a map */
    n = card_write(buf, sizeof buf, &(card_map){0});
    for (size_t cut = 0; cut < n; cut++)
        if (claims_reduced_decode(&d, buf, cut) != API_ERR_CLAIMS) fail_msg("a card cut at %zu decoded", cut);
    buf[n] = 0x00;
    assert_int_equal(claims_reduced_decode(&d, buf, n + 1), API_ERR_CLAIMS);
    static const uint8_t long_head[] = {0xb8, 0x06}; /* map of 6 with a one-byte length: not the shortest */
    memcpy(buf + 1, ref, n);
    memcpy(buf, long_head, 2);
    memcpy(buf + 2, ref + 1, n - 1);
    assert_int_equal(claims_reduced_decode(&d, buf, n + 1), API_ERR_CLAIMS);
    static const uint8_t array[] = {0x81, 0x01};
    assert_int_equal(claims_reduced_decode(&d, array, sizeof array), API_ERR_CLAIMS);
    assert_int_equal(claims_reduced_decode(&d, NULL, 0), API_ERR_CLAIMS);
    /* every single-bit change of the map is refused or gives other valid claims, never a crash */
    for (size_t i = 0; i < 110 * 8; i++) {
        memcpy(buf, ref, 110);
        buf[i / 8] ^= (uint8_t)(1u << (i % 8));
        if (claims_reduced_decode(&d, buf, 110) == API_OK)
            assert_int_equal(claims_reduced_validate(&d, NULL), API_OK);
    }
}

/* ---- verification ---- */

typedef struct {
    verify_status st;
    int calls;
    uint32_t seen_idx;
} fake_status;

static int fake_status_fn(void *arg, const trust_entry *entry, uint32_t idx, verify_status *out)
{
    (void)entry;
    fake_status *f = arg;
    f->calls++;
    f->seen_idx = idx;
    *out = f->st;
    return 0;
}

/* The card of c signed by sk with typ, as the issuer writes it (the shorter form). */
static size_t card_text(char *text, size_t cap, const api_claims *c, const uint8_t *sk, const char *typ)
{
    uint8_t payload[512], cose[1024];
    size_t pl = sizeof payload, cl = sizeof cose, tl = cap;
    assert_int_equal(claims_reduced_encode(payload, &pl, c), API_OK);
    assert_int_equal(cose_sign1_sign(cose, &cl, typ, payload, pl, sk), API_OK);
    assert_int_equal(qrtext_encode_shortest(text, &tl, cose, cl), API_OK);
    return tl;
}

static void verify_at(verify_result *r, const trust_list *tl, const char *when, unsigned accept,
                      fake_status *fs, const char *text, size_t len)
{
    verify_ctx ctx = {.tl = tl,
                      .now = testkit_time(when),
                      .accept = accept,
                      .status_fn = fs ? fake_status_fn : NULL,
                      .status_arg = fs,
                      .max_staleness = VERIFY_DEFAULT_MAX_STALENESS};
    verify_qrtext(r, &ctx, text, len);
}

static void assert_verdict(const verify_result *r, verdict v, const char *reason)
{
    const char *got = reason_code(r->reason);
    if (r->verdict != v || (reason ? !got || strcmp(got, reason) != 0 : got != NULL))
        fail_msg("got %s (%s), expected %s (%s)", verdict_code(r->verdict), got ? got : "-", verdict_code(v),
                 reason ? reason : "-");
}

static void test_card_verify(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    char card[TESTKIT_QR_MAX], full[TESTKIT_QR_MAX];
    size_t card_len = card_text(card, sizeof card, &c, g_k75.sk, COSE_TYP_CARD);
    size_t full_len = sizeof full;
    assert_int_equal(testkit_sign_qr(full, &full_len, &c, g_k75.sk), API_OK);
    verify_result r;

    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, card, card_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    assert_int_equal(r.presentation, CLAIMS_PRESENTATION_REDUCED);
    assert_int_equal(r.has_claims, 1);
    assert_string_equal(r.claims.fn, "DIALLO");
    assert_string_equal(r.claims.fnn, "");
    assert_string_equal(r.cti_hex, TESTKIT_CTI_HEX);
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, full, full_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    assert_int_equal(r.presentation, CLAIMS_PRESENTATION_FULL);

    /* the same dates: the first and last second, one second outside */
    verify_at(&r, &g_tl, "2026-09-14T22:00:00Z", 0, NULL, card, card_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    verify_at(&r, &g_tl, "2026-09-14T21:59:59Z", 0, NULL, card, card_len);
    assert_verdict(&r, VERDICT_NOT_YET_VALID, "not_yet_valid");
    verify_at(&r, &g_tl, "2026-12-15T22:59:59Z", 0, NULL, card, card_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    verify_at(&r, &g_tl, "2026-12-15T23:00:00Z", 0, NULL, card, card_len);
    assert_verdict(&r, VERDICT_EXPIRED, "expired");

    /* a reader of one kind refuses the other at the typ; of the right kind, it reads it */
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", VERIFY_ACCEPT_FULL, NULL, card, card_len);
    assert_verdict(&r, VERDICT_MALFORMED, "typ");
    assert_int_equal(r.presentation, CLAIMS_PRESENTATION_NONE);
    assert_int_equal(r.has_issuer, 0);
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", VERIFY_ACCEPT_REDUCED, NULL, full, full_len);
    assert_verdict(&r, VERDICT_MALFORMED, "typ");
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", VERIFY_ACCEPT_REDUCED, NULL, card, card_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", VERIFY_ACCEPT_FULL | VERIFY_ACCEPT_REDUCED, NULL, card,
              card_len);
    assert_verdict(&r, VERDICT_VALID, NULL);

    /* one kind's claims under the other's typ: authentic, but not its claims */
    char text[TESTKIT_QR_MAX];
    size_t n = card_text(text, sizeof text, &c, g_k75.sk, COSE_TYP_ATTESTATION);
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, text, n);
    assert_verdict(&r, VERDICT_MALFORMED, "claims");
    assert_int_equal(r.presentation, CLAIMS_PRESENTATION_FULL);
    uint8_t payload[1024];
    size_t pl = sizeof payload;
    assert_int_equal(claims_encode(payload, &pl, &c), API_OK);
    n = sizeof text;
    assert_int_equal(testkit_sign_payload_qr(text, &n, COSE_TYP_CARD, payload, pl, g_k75.sk), API_OK);
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, text, n);
    assert_verdict(&r, VERDICT_MALFORMED, "claims");
    assert_int_equal(r.presentation, CLAIMS_PRESENTATION_REDUCED);
    assert_int_equal(r.has_claims, 0);

    /* another typ still is typ, the trust checks come in the same order */
    n = card_text(text, sizeof text, &c, g_k75.sk, COSE_TYP_TRUST_LIST);
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, text, n);
    assert_verdict(&r, VERDICT_MALFORMED, "typ");
    n = card_text(text, sizeof text, &c, g_k13.sk, COSE_TYP_CARD);
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, text, n);
    assert_verdict(&r, VERDICT_UNTRUSTED_ISSUER, "issuer_mismatch");
    testkit_key other;
    testkit_key_from_seed(&other, 0x04);
    n = card_text(text, sizeof text, &c, other.sk, COSE_TYP_CARD);
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, text, n);
    assert_verdict(&r, VERDICT_UNKNOWN_ISSUER, "unknown_kid");
    assert_int_equal(r.presentation, CLAIMS_PRESENTATION_REDUCED); /* the typ was read before the kid */
}

/* The status of an index reaches both kinds alike: revoked, suspended, superseded, extended, stale. */
static void test_card_status(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    char card[TESTKIT_QR_MAX], full[TESTKIT_QR_MAX];
    size_t card_len = card_text(card, sizeof card, &c, g_k75.sk, COSE_TYP_CARD);
    size_t full_len = sizeof full;
    assert_int_equal(testkit_sign_qr(full, &full_len, &c, g_k75.sk), API_OK);
    int64_t as_of = testkit_time("2026-12-20T06:00:00Z");
    const struct {
        unsigned status;
        int64_t extended_until, as_of;
        const char *at;
        verdict v;
        const char *reason;
    } cases[] = {
        {STATUS_VALID, 0, as_of, "2026-12-20T07:00:00Z", VERDICT_EXPIRED, "expired"},
        {STATUS_VALID, 1805061599 /* 2027-03-15 23:59:59 Paris */, as_of, "2026-12-20T07:00:00Z",
         VERDICT_VALID, NULL},
        {STATUS_REVOKED, 0, as_of, "2026-12-01T07:00:00Z", VERDICT_REVOKED, "revoked"},
        {STATUS_SUSPENDED, 0, as_of, "2026-12-01T07:00:00Z", VERDICT_SUSPENDED, "suspended"},
        {STATUS_SUPERSEDED, 0, as_of, "2026-12-01T07:00:00Z", VERDICT_SUPERSEDED, "superseded"},
        {STATUS_VALID, 0, as_of - 21 * 86400 /* 2026-11-29 */, "2026-12-01T07:00:00Z", VERDICT_STATUS_UNKNOWN,
         "status_stale"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_status fs = {.st = {.held = 1,
                                 .as_of = cases[i].as_of,
                                 .status = cases[i].status,
                                 .extended_until = cases[i].extended_until}};
        verify_result rc, rf;
        verify_at(&rc, &g_tl, cases[i].at, 0, &fs, card, card_len);
        uint32_t card_idx = fs.seen_idx;
        verify_at(&rf, &g_tl, cases[i].at, 0, &fs, full, full_len);
        assert_verdict(&rc, cases[i].v, cases[i].reason);
        assert_verdict(&rf, cases[i].v, cases[i].reason);
        assert_int_equal(card_idx, TESTKIT_STATUS_IDX);
        assert_int_equal(fs.seen_idx, TESTKIT_STATUS_IDX);
        assert_int_equal(fs.calls, 2);
        assert_true(rc.effective_exp == rf.effective_exp && rc.extended == rf.extended);
        assert_int_equal(rc.status_checked, 1);
    }
    /* no status held for the issuer */
    fake_status none = {.st = {.held = 0}};
    verify_result r;
    verify_at(&r, &g_tl, "2026-12-01T07:00:00Z", 0, &none, card, card_len);
    assert_verdict(&r, VERDICT_STATUS_UNKNOWN, "no_status");
}

/* A retired key: a card has no iat, its nbf (2026-09-14T22:00:00Z) is compared with retired_at. */
static void test_card_retired_key(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    char card[TESTKIT_QR_MAX], full[TESTKIT_QR_MAX];
    size_t card_len = card_text(card, sizeof card, &c, g_k75.sk, COSE_TYP_CARD);
    size_t full_len = sizeof full;
    assert_int_equal(testkit_sign_qr(full, &full_len, &c, g_k75.sk), API_OK); /* iat 2026-09-14T08:00:00Z */
    const struct {
        const char *retired_at;
        verdict card, full;
    } cases[] = {
        {"2026-09-14T08:00:00Z", VERDICT_UNTRUSTED_ISSUER, VERDICT_UNTRUSTED_ISSUER},
        {"2026-09-14T08:00:01Z", VERDICT_UNTRUSTED_ISSUER,
         VERDICT_VALID}, /* issued before, valid from after */
        {"2026-09-14T22:00:00Z", VERDICT_UNTRUSTED_ISSUER, VERDICT_VALID}, /* nbf == retired_at: not before */
        {"2026-09-14T22:00:01Z", VERDICT_VALID, VERDICT_VALID},
    };
    trust_entry e[2];
    testkit_entry(&e[1], "FR-13", &g_k13, TRUST_ACTIVE, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trust_list tl;
        testkit_entry(&e[0], "FR-75", &g_k75, TRUST_RETIRED, testkit_time(cases[i].retired_at));
        assert_int_equal(testkit_trust_list_with(&tl, e, 2), 0);
        verify_result r;
        verify_at(&r, &tl, "2026-10-01T12:00:00Z", 0, NULL, card, card_len);
        assert_verdict(&r, cases[i].card, cases[i].card == VERDICT_VALID ? NULL : "issued_after_retirement");
        verify_at(&r, &tl, "2026-10-01T12:00:00Z", 0, NULL, full, full_len);
        assert_verdict(&r, cases[i].full, cases[i].full == VERDICT_VALID ? NULL : "issued_after_retirement");
        trust_free(&tl);
    }
}

/* No change of one character of a card's text is ever valid. */
static void test_card_tamper_every_character(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    api_claims c;
    testkit_claims(&c);
    char card[TESTKIT_QR_MAX], t[TESTKIT_QR_MAX];
    size_t len = card_text(card, sizeof card, &c, g_k75.sk, COSE_TYP_CARD);
    size_t tried = 0;
    for (size_t i = 0; i < len; i++) {
        for (size_t k = 0; k < 3; k++) {
            memcpy(t, card, len + 1);
            const char *at = strchr(alphabet, card[i]);
            size_t pos = at ? (size_t)(at - alphabet) : 0;
            char repl =
                alphabet[(pos + 1 + k * 11) % (sizeof alphabet - 1)]; /* another of the 45 characters */
            if (repl == card[i]) continue;
            t[i] = repl;
            verify_result r;
            verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, t, len);
            if (r.verdict == VERDICT_VALID) fail_msg("character %zu changed to '%c' is still valid", i, repl);
            tried++;
        }
    }
    assert_true(tried > 2 * len);
}

/* ---- the report ---- */

static cJSON *report_of(const verify_result *r, report_profile p)
{
    verify_ctx ctx = {.tl = &g_tl, .now = testkit_time("2026-10-01T12:00:00Z")};
    cJSON *j = report_json(r, &ctx, p);
    assert_non_null(j);
    return j;
}

/* The names of an object's members, comma-separated, in order. */
static void members(char *out, size_t cap, const cJSON *o)
{
    size_t n = 0;
    out[0] = '\0';
    const cJSON *it;
    cJSON_ArrayForEach(it, o) n +=
        (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "", it->string);
}

static void strings(char *out, size_t cap, const cJSON *a)
{
    size_t n = 0;
    out[0] = '\0';
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        assert_true(cJSON_IsString(it));
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "", it->valuestring);
    }
}

static void test_card_report(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    char card[TESTKIT_QR_MAX], full[TESTKIT_QR_MAX];
    size_t card_len = card_text(card, sizeof card, &c, g_k75.sk, COSE_TYP_CARD);
    size_t full_len = sizeof full;
    assert_int_equal(testkit_sign_qr(full, &full_len, &c, g_k75.sk), API_OK);
    verify_result rc, rf;
    verify_at(&rc, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, card, card_len);
    verify_at(&rf, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, full, full_len);

    const struct {
        report_profile p;
        const char *top, *holder, *not_presented, *full_top;
    } cases[] = {
        {REPORT_FULL,
         "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,attestation_id,"
         "holder,"
         "rights,validity,not_presented,explanation",
         "family_name,given_names,birth_date",
         "issued_at,holder.nationality,holder.foreign_national_number,application",
         "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,attestation_id,"
         "issued_at,"
         "holder,application,rights,validity,explanation"},
        {REPORT_EMPLOYER,
         "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,attestation_id,"
         "holder,"
         "rights,validity,not_presented,explanation",
         "family_name,given_names,birth_date", "issued_at",
         "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,attestation_id,"
         "issued_at,"
         "holder,rights,validity,explanation"},
        {REPORT_IDENTITY,
         "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,attestation_id,"
         "holder,"
         "rights,validity,not_presented,explanation",
         "family_name,given_names,birth_date", "issued_at",
         "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,attestation_id,"
         "issued_at,"
         "holder,rights,validity,explanation"},
        {REPORT_ANONYMOUS,
         "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,holder,rights,"
         "validity,"
         "not_presented,explanation",
         "family_name,given_names", "issued_at",
         "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,issued_at,holder,"
         "rights,"
         "validity,explanation"},
    };
    char buf[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *j = report_of(&rc, cases[i].p);
        members(buf, sizeof buf, j);
        assert_string_equal(buf, cases[i].top);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "presentation")->valuestring, "reduced");
        members(buf, sizeof buf, cJSON_GetObjectItemCaseSensitive(j, "holder"));
        assert_string_equal(buf, cases[i].holder);
        strings(buf, sizeof buf, cJSON_GetObjectItemCaseSensitive(j, "not_presented"));
        assert_string_equal(buf, cases[i].not_presented);
        /* the right to work is carried: the profiles that see it get it */
        const cJSON *rights = cJSON_GetObjectItemCaseSensitive(j, "rights");
        int work = cases[i].p == REPORT_FULL || cases[i].p == REPORT_EMPLOYER;
        assert_int_equal(cJSON_HasObjectItem(rights, "work"), work);
        for (int l = 0; l < 2; l++) {
            const cJSON *ex = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(j, "explanation"), l ? "en" : "fr");
            const char *s = cJSON_GetObjectItemCaseSensitive(ex, "presentation")->valuestring;
            assert_non_null(strstr(s, l ? "Reduced code of the holder's card: "
                                        : "Code réduit de la carte du titulaire : "));
            assert_int_equal(cJSON_HasObjectItem(ex, "work"), work);
        }
        cJSON_Delete(j);

        /* the full code: every member of the profile, no not_presented, no presentation sentence */
        j = report_of(&rf, cases[i].p);
        members(buf, sizeof buf, j);
        assert_string_equal(buf, cases[i].full_top);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "presentation")->valuestring, "full");
        const cJSON *fr =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "explanation"), "fr");
        assert_false(cJSON_HasObjectItem(fr, "presentation"));
        cJSON_Delete(j);
    }

    /* never an empty value for what the card does not carry */
    cJSON *j = report_of(&rc, REPORT_FULL);
    char *s = cJSON_PrintUnformatted(j);
    assert_null(strstr(s, "\"\""));
    assert_null(strstr(s, "nationality\":"));
    free(s);
    cJSON_Delete(j);

    /* a forged card: the presentation was read, nothing of its content is echoed */
    char t[TESTKIT_QR_MAX];
    memcpy(t, card, card_len + 1);
    uint8_t cose[1024];
    size_t cl = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &cl, card, card_len), API_OK);
    cose[cl - 1] ^= 1; /* the signature's last byte */
    size_t tl = testkit_qr_raw(t, sizeof t, cose, cl);
    verify_result rb;
    verify_at(&rb, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, t, tl);
    assert_verdict(&rb, VERDICT_INVALID_SIGNATURE, "signature");
    j = report_of(&rb, REPORT_FULL);
    members(buf, sizeof buf, j);
    assert_string_equal(
        buf, "result,reason,valid,checked_at,status_checked,status_as_of,presentation,issuer,explanation");
    cJSON_Delete(j);
    /* malformed before the typ was read: no presentation */
    verify_malformed(&rb, API_ERR_PREFIX);
    j = report_of(&rb, REPORT_FULL);
    assert_false(cJSON_HasObjectItem(j, "presentation"));
    cJSON_Delete(j);
}

static void test_card_report_text(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    char card[TESTKIT_QR_MAX], full[TESTKIT_QR_MAX];
    size_t card_len = card_text(card, sizeof card, &c, g_k75.sk, COSE_TYP_CARD);
    size_t full_len = sizeof full;
    assert_int_equal(testkit_sign_qr(full, &full_len, &c, g_k75.sk), API_OK);
    verify_ctx ctx = {.tl = &g_tl, .now = testkit_time("2026-10-01T12:00:00Z")};
    for (int kind = 0; kind < 2; kind++) {
        verify_result r;
        verify_qrtext(&r, &ctx, kind ? full : card, kind ? full_len : card_len);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        report_text(f, &r, &ctx);
        assert_int_equal(fclose(f), 0);
        int reduced = kind == 0;
        assert_non_null(strstr(text, "Titulaire : DIALLO Aminata"));
        assert_non_null(strstr(text, "Né(e) le 12 avril 1990"));
        assert_int_equal(strstr(text, "Code réduit de la carte du titulaire : ") != NULL, reduced);
        assert_int_equal(strstr(text, "Reduced code of the holder's card: ") != NULL, reduced);
        assert_int_equal(strstr(text, "7503123456") != NULL, !reduced);
        assert_int_equal(strstr(text, "Nationalité") != NULL, !reduced);
        assert_int_equal(strstr(text, "Demande :") != NULL, !reduced);
        assert_int_equal(strstr(text, "7501234567") != NULL, !reduced);
        assert_non_null(strstr(text, "Travail : Autorise"));
        free(text);
    }
}

/* ---- the issuer ---- */

static void test_card_issuer_sign(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    char card[1024], zl[1024];
    size_t n = sizeof card;
    api_signer by;
    signer_init_key(&by, g_k75.sk);
    assert_int_equal(issuer_sign_card(card, &n, &c, &by), API_OK);
    assert_int_equal(strlen(card), n);
    verify_result r;
    verify_at(&r, &g_tl, "2026-10-01T12:00:00Z", 0, NULL, card, n);
    assert_verdict(&r, VERDICT_VALID, NULL);
    assert_int_equal(r.presentation, CLAIMS_PRESENTATION_REDUCED);
    /* the uncompressed form, shorter than zlib's for this short COSE; the same COSE both ways */
    uint8_t cose[1024], cose2[1024];
    size_t cl = sizeof cose, cl2 = sizeof cose2;
    assert_int_equal(qrtext_decode(cose, &cl, card, n), API_OK);
    assert_int_equal(cose[0], 0xd2);
    assert_int_equal(cl, 210);
    assert_int_equal(n, QRTEXT_PREFIX_LEN + b45_encoded_len(cl));
    size_t zn = sizeof zl;
    assert_int_equal(qrtext_encode(zl, &zn, cose, cl), API_OK);
    assert_true(n < zn);
    assert_int_equal(qrtext_decode(cose2, &cl2, zl, zn), API_OK);
    assert_int_equal(cl2, cl);
    assert_memory_equal(cose2, cose, cl);
    /* the full code stays compressed: zlib is shorter there */
    char fullq[2048];
    size_t fn = sizeof fullq, fz = sizeof zl;
    assert_int_equal(issuer_sign(fullq, &fn, &c, &by), API_OK);
    uint8_t fcose[2048];
    size_t fcl = sizeof fcose;
    assert_int_equal(qrtext_decode(fcose, &fcl, fullq, fn), API_OK);
    assert_int_equal(qrtext_encode_shortest(zl, &fz, fcose, fcl), API_OK);
    assert_int_equal(fz, fn);
    assert_string_equal(zl, fullq);
    /* a buffer too small for either form */
    n = 100;
    assert_int_not_equal(issuer_sign_card(card, &n, &c, &by), API_OK);
    /* bad claims are not signed */
    c.fn[0] = '\0';
    n = sizeof card;
    assert_int_equal(issuer_sign_card(card, &n, &c, &by), API_ERR_CLAIMS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_card_encoding),
        cmocka_unit_test(test_card_validate),
        cmocka_unit_test(test_card_decode),
        cmocka_unit_test(test_card_verify),
        cmocka_unit_test(test_card_status),
        cmocka_unit_test(test_card_retired_key),
        cmocka_unit_test(test_card_tamper_every_character),
        cmocka_unit_test(test_card_report),
        cmocka_unit_test(test_card_report_text),
        cmocka_unit_test(test_card_issuer_sign),
    };
    return cmocka_run_group_tests_name("card", tests, setup, teardown);
}
