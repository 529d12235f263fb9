/*
 * test_qrtext.c: the QR text "API1:" + Base45(zlib(COSE_Sign1)): round
 * trip, the reader's refusals (prefix, Base45, size), the uncompressed
 * form it also accepts, and the size of real attestations in a QR code
 * (version 15 or lower at level M, so that a phone camera reads them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/time.h"
#include "qr/qrtext.h"
#include "qr/render.h"
#include "tests/unit/testkit.h"

static const char b45_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

static api_err decode_text(const char *text, uint8_t *cose, size_t *cose_len)
{
    return qrtext_decode(cose, cose_len, text, strlen(text));
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t cose[TESTKIT_COSE_MAX], back[QRTEXT_MAX_COSE];
    size_t cose_len = sizeof cose;
    assert_int_equal(testkit_default_cose(cose, &cose_len), API_OK);
    char text[TESTKIT_QR_MAX];
    size_t text_len = sizeof text;
    assert_int_equal(qrtext_encode(text, &text_len, cose, cose_len), API_OK);
    assert_int_equal(text_len, strlen(text));
    assert_memory_equal(text, "API1:", 5);
    for (size_t i = 5; i < text_len; i++) assert_non_null(strchr(b45_alphabet, text[i]));
    size_t back_len = sizeof back;
    assert_int_equal(qrtext_decode(back, &back_len, text, text_len), API_OK);
    assert_int_equal(back_len, cose_len);
    assert_memory_equal(back, cose, cose_len);
    /* the same as the testkit's QR text */
    char t2[TESTKIT_QR_MAX];
    size_t t2_len = sizeof t2;
    assert_int_equal(testkit_default_qr(t2, &t2_len), API_OK);
    assert_int_equal(t2_len, text_len);
    assert_memory_equal(t2, text, text_len);
    /* a text that is exactly the right size, without room for a NUL */
    char exact[TESTKIT_QR_MAX];
    size_t exact_len = text_len;
    assert_int_equal(qrtext_encode(exact, &exact_len, cose, cose_len), API_OK);
    assert_int_equal(exact_len, text_len);
    assert_memory_equal(exact, text, text_len);
    print_message("testkit QR text: %zu characters, COSE %zu bytes\n", text_len, cose_len);
}

static void test_encode_errors(void **state)
{
    (void)state;
    uint8_t cose[QRTEXT_MAX_COSE + 1];
    memset(cose, 0xd2, sizeof cose);
    char text[TESTKIT_QR_MAX];
    size_t n = sizeof text;
    assert_int_equal(qrtext_encode(text, &n, cose, 0), API_ERR_TOO_LARGE);
    n = sizeof text;
    assert_int_equal(qrtext_encode(text, &n, cose, QRTEXT_MAX_COSE + 1), API_ERR_TOO_LARGE);
    n = sizeof text;
    assert_int_equal(qrtext_encode(text, &n, cose, QRTEXT_MAX_COSE), API_OK);
    /* output too small, down to smaller than the prefix */
    uint8_t small_cose[TESTKIT_COSE_MAX];
    size_t cl = sizeof small_cose;
    assert_int_equal(testkit_default_cose(small_cose, &cl), API_OK);
    size_t full = sizeof text;
    assert_int_equal(qrtext_encode(text, &full, small_cose, cl), API_OK);
    const size_t caps[] = {0, 1, 4, 5, 6, 100, full - 1};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        n = caps[i];
        assert_int_equal(qrtext_encode(text, &n, small_cose, cl), API_ERR_TOO_LARGE);
    }
}

static void test_prefix_errors(void **state)
{
    (void)state;
    char good[TESTKIT_QR_MAX];
    size_t good_len = sizeof good;
    assert_int_equal(testkit_default_qr(good, &good_len), API_OK);
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t cl;
    const char *prefixes[] = {"api1:", "API2:",  "API0:", "Api1:", "API1;",
                              "API1 ", " API1:", "HC1:",  "APl1:"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char t[TESTKIT_QR_MAX + 8];
        size_t pl = strlen(prefixes[i]);
        memcpy(t, prefixes[i], pl);
        memcpy(t + pl, good + 5, good_len - 5 + 1);
        cl = sizeof cose;
        assert_int_equal(decode_text(t, cose, &cl), API_ERR_PREFIX);
    }
    cl = sizeof cose;
    assert_int_equal(decode_text("", cose, &cl), API_ERR_PREFIX);
    cl = sizeof cose;
    assert_int_equal(decode_text("API1", cose, &cl), API_ERR_PREFIX);
    cl = sizeof cose;
    assert_int_equal(decode_text("A", cose, &cl), API_ERR_PREFIX);
    cl = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &cl, "API1:", 4), API_ERR_PREFIX); /* length counts, not the NUL */
}

static void test_base45_errors(void **state)
{
    (void)state;
    char good[TESTKIT_QR_MAX];
    size_t good_len = sizeof good;
    assert_int_equal(testkit_default_qr(good, &good_len), API_OK);
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t cl = sizeof cose;
    /* nothing after the prefix */
    assert_int_equal(decode_text("API1:", cose, &cl), API_ERR_BASE45);
    /* a lowercase letter, a character outside the alphabet, in the middle and at the end */
    char t[TESTKIT_QR_MAX];
    const char bad[] = {'a', 'z', '#', '=', '\n', '\0', (char)0xc3};
    for (size_t b = 0; b < sizeof bad; b++) {
        const size_t positions[] = {5, good_len / 2, good_len - 1};
        for (size_t p = 0; p < 3; p++) {
            memcpy(t, good, good_len);
            t[positions[p]] = bad[b];
            cl = sizeof cose;
            assert_int_equal(qrtext_decode(cose, &cl, t, good_len), API_ERR_BASE45);
        }
    }
    /* a length of 3n+1 after the prefix */
    size_t body = good_len - 5;
    size_t cut = good_len - ((body % 3) == 1 ? 0 : (body % 3) == 2 ? 1 : 2);
    assert_int_equal((cut - 5) % 3, 1);
    cl = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &cl, good, cut), API_ERR_BASE45);
    /* a triple over 65535, a final pair over 255 */
    cl = sizeof cose;
    assert_int_equal(decode_text("API1:GGW", cose, &cl), API_ERR_BASE45);
    cl = sizeof cose;
    assert_int_equal(decode_text("API1:ZZ", cose, &cl), API_ERR_BASE45);
}

static void test_uncompressed_accepted(void **state)
{
    (void)state;
    uint8_t cose[TESTKIT_COSE_MAX], back[QRTEXT_MAX_COSE];
    size_t cose_len = sizeof cose;
    assert_int_equal(testkit_default_cose(cose, &cose_len), API_OK);
    char text[TESTKIT_QR_MAX];
    size_t tl = testkit_qr_raw(text, sizeof text, cose, cose_len);
    assert_true(tl > 0);
    size_t bl = sizeof back;
    assert_int_equal(qrtext_decode(back, &bl, text, tl), API_OK);
    assert_int_equal(bl, cose_len);
    assert_memory_equal(back, cose, cose_len);
    /* zlib at level 9 by hand is the encoder's text; other levels: accepted with the same bytes, or zlib */
    for (int level = 0; level <= 9; level++) {
        tl = testkit_qr_zlib(text, sizeof text, cose, cose_len, level);
        assert_true(tl > 0);
        bl = sizeof back;
        api_err e = qrtext_decode(back, &bl, text, tl);
        if (level == 9) assert_int_equal(e, API_OK);
        assert_true(e == API_OK || e == API_ERR_ZLIB);
        if (e == API_OK) {
            assert_int_equal(bl, cose_len);
            assert_memory_equal(back, cose, cose_len);
        }
    }
    /* an uncompressed COSE larger than the caller's buffer */
    bl = cose_len - 1;
    tl = testkit_qr_raw(text, sizeof text, cose, cose_len);
    assert_int_equal(qrtext_decode(back, &bl, text, tl), API_ERR_TOO_LARGE);
    /* bytes that are neither COSE (0xd2) nor zlib */
    tl = testkit_qr_raw(text, sizeof text, (const uint8_t *)"\x84\x40\xa0\x40\x40", 5);
    bl = sizeof back;
    assert_int_equal(qrtext_decode(back, &bl, text, tl), API_ERR_ZLIB);
}

static void test_too_large(void **state)
{
    (void)state;
    static char text[QRTEXT_MAX_TEXT + 100];
    memcpy(text, "API1:", 5);
    memset(text + 5, 'A', sizeof text - 5);
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t cl = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &cl, text, QRTEXT_MAX_TEXT + 1), API_ERR_TOO_LARGE);
    cl = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &cl, text, sizeof text), API_ERR_TOO_LARGE);
    /* at the bound it is decoded (and refused for what it is) */
    cl = sizeof cose;
    api_err e = qrtext_decode(cose, &cl, text, QRTEXT_MAX_TEXT);
    assert_true(e != API_ERR_TOO_LARGE && e != API_OK);
    /* even with a bad prefix, the size check comes first */
    text[0] = 'x';
    cl = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &cl, text, QRTEXT_MAX_TEXT + 1), API_ERR_TOO_LARGE);
    /* a zlib stream of more than QRTEXT_MAX_COSE bytes */
    static uint8_t big[QRTEXT_MAX_COSE + 1];
    memset(big, 0x41, sizeof big);
    big[0] = 0xd2;
    static char t2[TESTKIT_QR_MAX];
    size_t tl = testkit_qr_zlib(t2, sizeof t2, big, sizeof big, 9);
    cl = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &cl, t2, tl), API_ERR_ZLIB);
    /* an uncompressed one of the same size */
    tl = testkit_qr_raw(t2, sizeof t2, big, sizeof big);
    assert_true(tl <= QRTEXT_MAX_TEXT);
    cl = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &cl, t2, tl), API_ERR_TOO_LARGE);
}

static int version_of(const api_claims *c, const uint8_t sk[COSE_SK_LEN], size_t *chars)
{
    char text[TESTKIT_QR_MAX];
    size_t tl = sizeof text;
    assert_int_equal(testkit_sign_qr(text, &tl, c, sk), API_OK);
    *chars = tl;
    return render_version_for(text, 'M');
}

static void test_fits_qr_version_15(void **state)
{
    (void)state;
    testkit_key k75, k13;
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    api_claims c;
    size_t chars;

    testkit_claims(&c);
    int v = version_of(&c, k75.sk, &chars);
    print_message("testkit attestation: %zu characters, QR version %d-M\n", chars, v);
    assert_true(v >= 1 && v <= 15);

    /* NGUYEN THI Minh Khai: first application, temporary card, no previous permit */
    testkit_claims(&c);
    strcpy(c.fn, "NGUYEN THI");
    strcpy(c.gn, "Minh Khai");
    strcpy(c.dob, "1995-11-03");
    strcpy(c.nat, "VNM");
    strcpy(c.fnn, "7512345678");
    c.app = CLAIMS_APP_FIRST;
    strcpy(c.tit, "carte de s\xc3\xa9jour temporaire vie priv\xc3\xa9"
                  "e et familiale");
    c.wrk = CLAIMS_WRK_NO;
    c.has_prv = 0;
    memset(c.prv_no, 0, sizeof c.prv_no);
    memset(c.prv_exp, 0, sizeof c.prv_exp);
    c.status_idx = 1048576;
    v = version_of(&c, k75.sk, &chars);
    print_message("NGUYEN THI Minh Khai: %zu characters, QR version %d-M\n", chars, v);
    assert_true(v >= 1 && v <= 15);

    /* MARTINEZ GARCIA Ana Lucia: renewal of a salaried worker's card, issued in Marseille */
    testkit_claims(&c);
    strcpy(c.iss, "FR-13");
    strcpy(c.status_uri, "/feed/v1/FR-13/snapshot");
    strcpy(c.fn, "MARTINEZ GARCIA");
    strcpy(c.gn, "Ana Lucia");
    strcpy(c.dob, "1992-07");
    strcpy(c.nat, "COL");
    strcpy(c.fnn, "1303456789");
    c.app = CLAIMS_APP_RENEWAL;
    strcpy(c.tit, "carte de s\xc3\xa9jour temporaire salari\xc3\xa9");
    c.wrk = CLAIMS_WRK_PREVIOUS;
    strcpy(c.prv_no, "1309876543");
    strcpy(c.prv_exp, "2026-10-31");
    c.status_idx = CLAIMS_STATUS_IDX_MAX;
    c.nbf = time_paris_start_of_day(2026, 10, 1);
    c.exp = time_paris_end_of_day(2027, 1, 31);
    v = version_of(&c, k13.sk, &chars);
    print_message("MARTINEZ GARCIA Ana Lucia: %zu characters, QR version %d-M\n", chars, v);
    assert_true(v >= 1 && v <= 15);

    /* OKAFOR Chukwuemeka: first application as a student */
    testkit_claims(&c);
    strcpy(c.fn, "OKAFOR");
    strcpy(c.gn, "Chukwuemeka");
    strcpy(c.dob, "2004-01-30");
    strcpy(c.nat, "NGA");
    strcpy(c.fnn, "7500000001");
    c.app = CLAIMS_APP_FIRST;
    strcpy(c.tit, "carte de s\xc3\xa9jour temporaire \xc3\xa9tudiant");
    c.wrk = CLAIMS_WRK_YES;
    c.has_prv = 0;
    memset(c.prv_no, 0, sizeof c.prv_no);
    memset(c.prv_exp, 0, sizeof c.prv_exp);
    v = version_of(&c, k75.sk, &chars);
    print_message("OKAFOR Chukwuemeka: %zu characters, QR version %d-M\n", chars, v);
    assert_true(v >= 1 && v <= 15);
}

/*
 * How much room version 15-M leaves: names made longer with letters that
 * do not compress, until the text needs version 16. Informational (the
 * lead decides what the target is); it only checks that the testkit
 * attestation itself fits, and prints the margin and two long-name cases.
 */
static void test_qr_headroom(void **state)
{
    (void)state;
    testkit_key k75;
    testkit_fr75(&k75);
    api_claims c;
    size_t chars;
    uint64_t rng = 15;
    int extra;
    for (extra = 0; extra < 100; extra++) {
        testkit_claims(&c);
        size_t n = strlen(c.fn);
        for (int i = 0; i < extra; i++) c.fn[n + (size_t)i] = (char)('A' + testkit_rand(&rng) % 26);
        c.fn[n + (size_t)extra] = '\0';
        if (version_of(&c, k75.sk, &chars) > 15) break;
    }
    print_message("version 15-M headroom over the testkit attestation: %d more bytes of name\n", extra - 1);
    assert_true(extra >= 1);

    testkit_claims(&c);
    strcpy(c.fn, "AL-HASSAN BEN ABDELKADER");
    strcpy(c.gn, "Mohammed Abdelrahman Youssef");
    strcpy(c.tit, "certificat de r\xc3\xa9sidence alg\xc3\xa9rien de dix ans");
    int v = version_of(&c, k75.sk, &chars);
    print_message(
        "long names (AL-HASSAN BEN ABDELKADER Mohammed Abdelrahman Youssef): %zu characters, version %d-M\n",
        chars, v);
    assert_true(v >= 1 && v <= 40);
    testkit_claims(&c);
    strcpy(c.fn, "KOUASSI-N'GUESSAN DE LA FONTAINE");
    strcpy(c.gn, "Jean-Baptiste Emmanuel Kouadio");
    strcpy(c.tit, "carte de s\xc3\xa9jour pluriannuelle passeport talent chercheur");
    v = version_of(&c, k75.sk, &chars);
    print_message(
        "long names (KOUASSI-N'GUESSAN DE LA FONTAINE Jean-Baptiste Emmanuel Kouadio): %zu characters, "
        "version %d-M\n",
        chars, v);
    assert_true(v >= 1 && v <= 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_prefix_errors),
        cmocka_unit_test(test_base45_errors),
        cmocka_unit_test(test_uncompressed_accepted),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_fits_qr_version_15),
        cmocka_unit_test(test_qr_headroom),
    };
    return cmocka_run_group_tests_name("qrtext", tests, NULL, NULL);
}
