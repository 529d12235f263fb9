/*
 * test_reason.c: the verdict reasons as a protocol (qr/reason.h): every
 * code byte for byte, as docs/format.md and the published vectors spell
 * them; the one mapping from a decoder's api_err to a reason; a text in
 * each language for every reason (verifier/explain.c); and the internal
 * codes of common/err.h kept apart from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "common/err.h"
#include "qr/reason.h"
#include "verifier/explain.h"
#include "verifier/verify.h"

static void test_codes(void **state)
{
    (void)state;
    static const char *const codes[API_REASON_COUNT] = {
        NULL,
        "prefix",
        "base45",
        "zlib",
        "too_large",
        "cbor",
        "not_cose_sign1",
        "typ",
        "alg",
        "claims",
        "signature",
        "unknown_kid",
        "key_compromised",
        "issuer_mismatch",
        "issued_after_retirement",
        "revoked",
        "superseded",
        "suspended",
        "expired",
        "not_yet_valid",
        "no_status",
        "status_stale",
        "trust_list_expired",
        "status_error",
        "internal_error",
    };
    assert_null(reason_code(API_REASON_NONE));
    for (unsigned i = 1; i < API_REASON_COUNT; i++) {
        const char *got = reason_code((api_reason)i);
        if (!got || strcmp(got, codes[i]) != 0)
            fail_msg("reason %u: %s, wanted %s", i, got ? got : "NULL", codes[i]);
        for (unsigned j = 1; j < i; j++)
            if (strcmp(codes[j], got) == 0) fail_msg("reasons %u and %u share the code %s", j, i, got);
    }
    assert_string_equal(reason_code(API_REASON_COUNT), "unknown");
}

static void test_from_err(void **state)
{
    (void)state;
    static const struct {
        api_err e;
        api_reason r;
    } map[] = {
        {API_OK, API_REASON_NONE},
        {API_ERR_PREFIX, API_REASON_PREFIX},
        {API_ERR_BASE45, API_REASON_BASE45},
        {API_ERR_ZLIB, API_REASON_ZLIB},
        {API_ERR_TOO_LARGE, API_REASON_TOO_LARGE},
        {API_ERR_CBOR, API_REASON_CBOR},
        {API_ERR_NOT_COSE_SIGN1, API_REASON_NOT_COSE_SIGN1},
        {API_ERR_TYP, API_REASON_TYP},
        {API_ERR_ALG, API_REASON_ALG},
        {API_ERR_CLAIMS, API_REASON_CLAIMS},
        {API_ERR_SIGNATURE, API_REASON_SIGNATURE},
        /* operational failures say nothing of the input */
        {API_ERR_NOMEM, API_REASON_INTERNAL_ERROR},
        {API_ERR_IO, API_REASON_INTERNAL_ERROR},
        {API_ERR_DB, API_REASON_INTERNAL_ERROR},
        {API_ERR_ARG, API_REASON_INTERNAL_ERROR},
        {API_ERR_FORBIDDEN, API_REASON_INTERNAL_ERROR},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (reason_from_err(map[i].e) != map[i].r)
            fail_msg("%s: reason %s, wanted %s", api_err_code(map[i].e),
                     reason_code(reason_from_err(map[i].e)), reason_code(map[i].r));
    /* the decoders' failures keep the code they had as api_err codes: the JSON reason is unchanged */
    for (api_err e = API_ERR_PREFIX; e <= API_ERR_CLAIMS; e++)
        assert_string_equal(reason_code(reason_from_err(e)), api_err_code(e));
    assert_string_equal(reason_code(reason_from_err(API_ERR_TOO_LARGE)), api_err_code(API_ERR_TOO_LARGE));
    /* a verification refused before decoding */
    verify_result r;
    verify_malformed(&r, API_ERR_TOO_LARGE);
    assert_int_equal(r.verdict, VERDICT_MALFORMED);
    assert_int_equal(r.reason, API_REASON_TOO_LARGE);
}

static void test_texts(void **state)
{
    (void)state;
    for (unsigned l = 0; l < LANG_COUNT; l++) {
        assert_string_equal(explain_reason(API_REASON_NONE, (explain_lang)l), "");
        for (unsigned i = 1; i < API_REASON_COUNT; i++) {
            const char *t = explain_reason((api_reason)i, (explain_lang)l);
            if (!t || !*t || strcmp(t, reason_code((api_reason)i)) == 0)
                fail_msg("reason %s has no text in language %u", reason_code((api_reason)i), l);
        }
        assert_string_equal(explain_reason(API_REASON_COUNT, (explain_lang)l), "unknown");
    }
    assert_string_equal(explain_reason(API_REASON_STATUS_STALE, LANG_EN), "status data too old");
    assert_string_equal(explain_reason(API_REASON_BASE45, LANG_FR), "caractères invalides dans le code");
}

static void test_forbidden(void **state)
{
    (void)state;
    assert_string_equal(api_err_code(API_ERR_FORBIDDEN), "forbidden");
    assert_string_equal(api_strerror(API_ERR_FORBIDDEN), "the rules forbid this change");
    assert_int_not_equal(API_ERR_FORBIDDEN, API_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_from_err),
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_forbidden),
    };
    return cmocka_run_group_tests_name("reason", tests, NULL, NULL);
}
