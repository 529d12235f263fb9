/*
 * test_b45.c: Base45 (RFC 9285) against the RFC's vectors, the strictness
 * rules of b45.h (one text per byte string) and random round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qr/b45.h"
#include "tests/unit/testkit.h"

static void check_vector(const char *bytes, const char *text)
{
    size_t blen = strlen(bytes), tlen = strlen(text);
    char enc[64];
    size_t enclen = sizeof enc;
    assert_int_equal(b45_encoded_len(blen), tlen);
    assert_int_equal(b45_encode(enc, &enclen, (const uint8_t *)bytes, blen), 0);
    assert_int_equal(enclen, tlen);
    assert_memory_equal(enc, text, tlen);
    assert_int_equal(enc[enclen], '\0');

    uint8_t dec[64];
    size_t declen = sizeof dec;
    assert_int_equal(b45_decode(dec, &declen, text, tlen), 0);
    assert_int_equal(declen, blen);
    assert_memory_equal(dec, bytes, blen);
}

static void test_rfc9285_vectors(void **state)
{
    (void)state;
    check_vector("AB", "BB8");
    check_vector("Hello!!", "%69 VD92EX0");
    check_vector("base-45", "UJCLQE7W581");
    check_vector("ietf!", "QED8WEX0");
    check_vector("", "");
}

static int decode_str(const char *text)
{
    uint8_t out[64];
    size_t outlen = sizeof out;
    return b45_decode(out, &outlen, text, strlen(text));
}

static void test_invalid_inputs(void **state)
{
    (void)state;
    /* "GGW" = 16 + 16*45 + 32*2025 = 65536: one over a 16-bit triple */
    assert_int_equal(decode_str("GGW"), -1);
    /* "FGW" = 65535 is the largest triple: accepted, bytes ff ff */
    {
        uint8_t out[2];
        size_t n = sizeof out;
        assert_int_equal(b45_decode(out, &n, "FGW", 3), 0);
        assert_int_equal(n, 2);
        assert_int_equal(out[0], 0xff);
        assert_int_equal(out[1], 0xff);
    }
    assert_int_equal(decode_str("ZZZ"), -1);
    /* lower case is outside the alphabet */
    assert_int_equal(decode_str("bb8"), -1);
    assert_int_equal(decode_str("BB8qed"), -1);
    assert_int_equal(decode_str("%69 vD92EX0"), -1);
    /* lengths 3n+1 */
    assert_int_equal(decode_str("B"), -1);
    assert_int_equal(decode_str("BB8B"), -1);
    assert_int_equal(decode_str("BB8BB8B"), -1);
    /* characters outside the alphabet, in each position of a triple and a pair */
    const char *outside = "!\"#&'(),;<=>?@[\\]^_`{|}~\t\n\x7f\x80\xff";
    for (const char *p = outside; *p; p++) {
        char text[4] = "BB8";
        for (int pos = 0; pos < 3; pos++) {
            memcpy(text, "BB8", 3);
            text[pos] = *p;
            assert_int_equal(decode_str(text), -1);
        }
        char pair[3] = "U5";
        pair[1] = *p;
        assert_int_equal(decode_str(pair), -1);
    }
    /* an embedded NUL is outside the alphabet too */
    {
        uint8_t out[4];
        size_t n = sizeof out;
        assert_int_equal(b45_decode(out, &n,
                                    "B\0"
                                    "8",
                                    3),
                         -1);
    }
    /* a final pair over 255: "ZZ" = 35 + 35*45 = 1610; "U5" = 30 + 5*45 = 255 is the largest */
    assert_int_equal(decode_str("ZZ"), -1);
    assert_int_equal(decode_str("V5"), -1); /* 256 */
    assert_int_equal(decode_str("BB8ZZ"), -1);
    {
        uint8_t out[1];
        size_t n = sizeof out;
        assert_int_equal(b45_decode(out, &n, "U5", 2), 0);
        assert_int_equal(n, 1);
        assert_int_equal(out[0], 255);
    }
}

static void test_out_too_small(void **state)
{
    (void)state;
    const uint8_t in[7] = {'H', 'e', 'l', 'l', 'o', '!', '!'};
    char enc[16];
    for (size_t cap = 0; cap < 11; cap++) {
        size_t n = cap;
        memset(enc, '#', sizeof enc);
        assert_int_equal(b45_encode(enc, &n, in, sizeof in), -1);
        /* nothing written past the capacity */
        for (size_t i = cap; i < sizeof enc; i++) assert_int_equal(enc[i], '#');
    }
    /* exactly the length: no room for the NUL, still fine */
    size_t n = 11;
    memset(enc, '#', sizeof enc);
    assert_int_equal(b45_encode(enc, &n, in, sizeof in), 0);
    assert_int_equal(n, 11);
    assert_memory_equal(enc, "%69 VD92EX0", 11);
    assert_int_equal(enc[11], '#');

    uint8_t dec[16];
    for (size_t cap = 0; cap < 7; cap++) {
        size_t m = cap;
        memset(dec, 0xee, sizeof dec);
        assert_int_equal(b45_decode(dec, &m, "%69 VD92EX0", 11), -1);
        for (size_t i = cap; i < sizeof dec; i++) assert_int_equal(dec[i], 0xee);
    }
    size_t m = 7;
    assert_int_equal(b45_decode(dec, &m, "%69 VD92EX0", 11), 0);
    assert_int_equal(m, 7);
}

static void test_random_round_trips(void **state)
{
    (void)state;
    uint64_t rng = 45;
    uint8_t in[300], dec[300];
    char enc[451];
    for (size_t len = 0; len <= 300; len++) {
        for (int rep = 0; rep < 8; rep++) {
            for (size_t i = 0; i < len; i++) in[i] = (uint8_t)testkit_rand(&rng);
            if (rep == 1) memset(in, 0xff, len);
            if (rep == 2) memset(in, 0x00, len);
            size_t enclen = sizeof enc;
            assert_int_equal(b45_encode(enc, &enclen, in, len), 0);
            assert_int_equal(enclen, b45_encoded_len(len));
            assert_int_equal(enclen % 3 == 1, 0);
            size_t declen = sizeof dec;
            assert_int_equal(b45_decode(dec, &declen, enc, enclen), 0);
            assert_int_equal(declen, len);
            if (len) assert_memory_equal(dec, in, len);
            /* every character of the text is in the QR alphanumeric set */
            for (size_t i = 0; i < enclen; i++)
                assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", enc[i]));
        }
    }
}

/* Every one of the 45^2 pairs and a sample of the 45^3 triples decodes iff in range, and re-encodes to
 * itself. */
static void test_canonical_texts(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    int accepted = 0;
    for (int a = 0; a < 45; a++)
        for (int b = 0; b < 45; b++) {
            char t[2] = {alpha[a], alpha[b]};
            uint8_t out[1];
            size_t n = 1;
            int rc = b45_decode(out, &n, t, 2);
            assert_int_equal(rc == 0, a + 45 * b <= 255);
            if (rc == 0) {
                accepted++;
                char back[3];
                size_t bl = sizeof back;
                assert_int_equal(b45_encode(back, &bl, out, 1), 0);
                assert_memory_equal(back, t, 2);
            }
        }
    assert_int_equal(accepted, 256);
    for (int a = 0; a < 45; a++)
        for (int b = 0; b < 45; b++)
            for (int c = 0; c < 45; c += 4) {
                char t[3] = {alpha[a], alpha[b], alpha[c]};
                uint8_t out[2];
                size_t n = 2;
                int rc = b45_decode(out, &n, t, 3);
                assert_int_equal(rc == 0, a + 45 * b + 2025 * c <= 65535);
                if (rc == 0) {
                    char back[4];
                    size_t bl = sizeof back;
                    assert_int_equal(b45_encode(back, &bl, out, 2), 0);
                    assert_memory_equal(back, t, 3);
                }
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9285_vectors), cmocka_unit_test(test_invalid_inputs),
        cmocka_unit_test(test_out_too_small),   cmocka_unit_test(test_random_round_trips),
        cmocka_unit_test(test_canonical_texts),
    };
    return cmocka_run_group_tests_name("b45", tests, NULL, NULL);
}
