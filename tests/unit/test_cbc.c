/*
 * test_cbc.c: the canonical-CBOR gate (cbc_check, cbc_load) and the item
 * accessors. Every refusal here is input libcbor 0.8 alone would accept or
 * would allocate for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/text.h"
#include "qr/cbc.h"
#include "qr/cbw.h"
#include "tests/unit/testkit.h"

#define CHECK(bytes) cbc_check((const uint8_t *)(bytes), sizeof(bytes) - 1, CBC_MAX_DEPTH)

static void test_indefinite_lengths_refused(void **state)
{
    (void)state;
    assert_int_equal(CHECK("\x9f\x01\xff"), API_ERR_CBOR);     /* [_ 1] */
    assert_int_equal(CHECK("\x9f\xff"), API_ERR_CBOR);         /* [_ ] */
    assert_int_equal(CHECK("\xbf\x01\x02\xff"), API_ERR_CBOR); /* {_ 1: 2} */
    assert_int_equal(CHECK("\x5f\x41\x00\xff"), API_ERR_CBOR); /* (_ h'00') */
    assert_int_equal(CHECK("\x7f\x61\x61\xff"), API_ERR_CBOR); /* (_ "a") */
    assert_int_equal(CHECK("\x82\x01\x9f\xff"), API_ERR_CBOR); /* nested */
    assert_int_equal(CHECK("\xff"), API_ERR_CBOR);             /* a lone break */
    /* reserved additional information 28..30 */
    assert_int_equal(CHECK("\x1c"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x3d"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x5e"), API_ERR_CBOR);
    /* the definite forms are fine */
    assert_int_equal(CHECK("\x81\x01"), API_OK);
    assert_int_equal(CHECK("\xa1\x01\x02"), API_OK);
    assert_int_equal(CHECK("\x41\x00"), API_OK);
    assert_int_equal(CHECK("\x61\x61"), API_OK);
}

static void test_non_shortest_heads_refused(void **state)
{
    (void)state;
    assert_int_equal(CHECK("\x18\x05"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x18\x17"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x19\x00\x05"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x19\x00\xff"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x1a\x00\x00\xff\xff"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x1b\x00\x00\x00\x00\xff\xff\xff\xff"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x38\x05"), API_ERR_CBOR);         /* -6 in two bytes */
    assert_int_equal(CHECK("\x58\x01\x00"), API_ERR_CBOR);     /* bstr length 1 in two bytes */
    assert_int_equal(CHECK("\x78\x01\x61"), API_ERR_CBOR);     /* text */
    assert_int_equal(CHECK("\x98\x01\x00"), API_ERR_CBOR);     /* array */
    assert_int_equal(CHECK("\xb8\x01\x00\x00"), API_ERR_CBOR); /* map */
    assert_int_equal(CHECK("\xd8\x12\x00"), API_ERR_CBOR);     /* tag 18 in two bytes */
    /* the shortest forms at each boundary are accepted */
    assert_int_equal(CHECK("\x17"), API_OK);
    assert_int_equal(CHECK("\x18\x18"), API_OK);
    assert_int_equal(CHECK("\x18\xff"), API_OK);
    assert_int_equal(CHECK("\x19\x01\x00"), API_OK);
    assert_int_equal(CHECK("\x1a\x00\x01\x00\x00"), API_OK);
    assert_int_equal(CHECK("\x1b\x00\x00\x00\x01\x00\x00\x00\x00"), API_OK);
    assert_int_equal(CHECK("\x3b\xff\xff\xff\xff\xff\xff\xff\xff"), API_OK); /* -2^64 */
    assert_int_equal(CHECK("\xd2\x00"), API_OK);
    assert_int_equal(CHECK("\xd8\x18\x00"), API_OK);
    /* truncated heads */
    assert_int_equal(CHECK("\x19\x01"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x1b\x00\x00\x00\x01\x00\x00\x00"), API_ERR_CBOR);
}

static void test_duplicate_keys_refused(void **state)
{
    (void)state;
    assert_int_equal(CHECK("\xa2\x01\x01\x01\x02"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xa2\x61\x61\x01\x61\x61\x02"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xa3\x01\x00\x02\x00\x01\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xa2\x20\x00\x20\x00"), API_ERR_CBOR);
    /* nested map with a duplicate */
    assert_int_equal(CHECK("\xa1\x01\xa2\x02\x00\x02\x01"), API_ERR_CBOR);
    /* same value, different type: not duplicates */
    assert_int_equal(CHECK("\xa2\x01\x00\x21\x00"), API_OK);
    assert_int_equal(CHECK("\xa2\x61\x61\x00\x41\x61\x00"), API_OK);

    /* maps larger than the small-map array (32), with and without a duplicate */
    for (size_t n = 30; n <= 300; n += 27) {
        uint8_t buf[4096];
        cbw w;
        size_t len;
        cbw_init(&w, buf, sizeof buf);
        cbw_map(&w, n);
        for (size_t i = 0; i < n; i++) {
            cbw_uint(&w, i * 7);
            cbw_uint(&w, i);
        }
        assert_int_equal(cbw_finish(&w, &len), API_OK);
        assert_int_equal(cbc_check(buf, len, CBC_MAX_DEPTH), API_OK);

        for (size_t dup = 1; dup < n; dup += n / 5 + 1) {
            cbw_init(&w, buf, sizeof buf);
            cbw_map(&w, n);
            for (size_t i = 0; i < n; i++) {
                cbw_uint(&w, (i == dup ? 0 : i) * 7); /* key 0 twice */
                cbw_uint(&w, i);
            }
            assert_int_equal(cbw_finish(&w, &len), API_OK);
            assert_int_equal(cbc_check(buf, len, CBC_MAX_DEPTH), API_ERR_CBOR);
        }
    }
}

static void test_trailing_bytes_refused(void **state)
{
    (void)state;
    assert_int_equal(CHECK("\x01\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x81\x01\x01"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xa0\xa0"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x41\x00\x00"), API_ERR_CBOR);
    /* and missing bytes */
    assert_int_equal(CHECK("\x82\x01"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x42\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xa1\x01"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xd2"), API_ERR_CBOR);
    /* empty input */
    assert_int_equal(cbc_check((const uint8_t *)"", 0, CBC_MAX_DEPTH), API_ERR_CBOR);
    assert_int_equal(cbc_check(NULL, 0, CBC_MAX_DEPTH), API_ERR_CBOR);
}

static void test_huge_claimed_lengths_refused(void **state)
{
    (void)state;
    /* 2^37 items, bytes or pairs claimed by a 9-byte head: refused before any allocation */
    assert_int_equal(CHECK("\x9b\x00\x00\x00\x20\x00\x00\x00\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xbb\x00\x00\x00\x20\x00\x00\x00\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x5b\x00\x00\x00\x20\x00\x00\x00\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x7b\x00\x00\x00\x20\x00\x00\x00\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x9b\xff\xff\xff\xff\xff\xff\xff\xff"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xbb\xff\xff\xff\xff\xff\xff\xff\xff"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x5b\xff\xff\xff\xff\xff\xff\xff\xff"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x9a\xff\xff\xff\xff\x00\x00\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x82\x00\x9b\x00\x00\x00\x20\x00\x00\x00\x00"), API_ERR_CBOR);
    /* a map claiming more pairs than half the bytes left */
    assert_int_equal(CHECK("\xa3\x01\x02\x03\x04"), API_ERR_CBOR);

    /* the same through cbc_load, which must not reach libcbor's allocation */
    cbor_item_t *item = (cbor_item_t *)1;
    assert_int_equal(
        cbc_load(&item, (const uint8_t *)"\x9b\x00\x00\x00\x20\x00\x00\x00\x00", 9, CBC_MAX_DEPTH),
        API_ERR_CBOR);
    assert_null(item);
    assert_int_equal(
        cbc_load(&item, (const uint8_t *)"\xbb\x00\x00\x00\x20\x00\x00\x00\x00", 9, CBC_MAX_DEPTH),
        API_ERR_CBOR);
    assert_null(item);
    /* an array of 1000 zeros claims exactly what it holds: accepted */
    uint8_t buf[1003];
    buf[0] = 0x99;
    buf[1] = 0x03;
    buf[2] = 0xe8;
    memset(buf + 3, 0, 1000);
    assert_int_equal(cbc_check(buf, sizeof buf, CBC_MAX_DEPTH), API_OK);
    assert_int_equal(cbc_check(buf, sizeof buf - 1, CBC_MAX_DEPTH), API_ERR_CBOR);
}

/* n nested arrays, the innermost empty: [[...[]...]] */
static size_t nested_arrays(uint8_t *buf, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) buf[i] = 0x81;
    buf[n - 1] = 0x80;
    return n;
}

static void test_nesting_bound(void **state)
{
    (void)state;
    uint8_t buf[64];
    assert_int_equal(CBC_MAX_DEPTH, 16);
    for (size_t n = 1; n <= 16; n++)
        assert_int_equal(cbc_check(buf, nested_arrays(buf, n), CBC_MAX_DEPTH), API_OK);
    /* 16 arrays around a scalar: accepted; 17 arrays around a scalar: refused */
    memset(buf, 0x81, 16);
    buf[16] = 0x00;
    assert_int_equal(cbc_check(buf, 17, CBC_MAX_DEPTH), API_OK);
    memset(buf, 0x81, 17);
    buf[17] = 0x00;
    assert_int_equal(cbc_check(buf, 18, CBC_MAX_DEPTH), API_ERR_CBOR);
    assert_int_equal(cbc_check(buf, nested_arrays(buf, 18), CBC_MAX_DEPTH), API_ERR_CBOR);
    assert_int_equal(cbc_check(buf, nested_arrays(buf, 64), CBC_MAX_DEPTH), API_ERR_CBOR);
}

/*
 * "nesting at most max_depth" (cbc.h): 17 nested arrays are a nesting of 17
 * and must be refused with CBC_MAX_DEPTH (16), even when the innermost one
 * is empty. Known failure: cbc_item checks `depth > max_depth` on every
 * item, so an empty container at depth 16 (the 17th level) passes.
 */
static void test_nesting_17_empty_arrays_refused(void **state)
{
    (void)state;
    uint8_t buf[64];
    assert_int_equal(cbc_check(buf, nested_arrays(buf, 17), CBC_MAX_DEPTH), API_ERR_CBOR);
}

static void test_nesting_bound_maps_and_tags(void **state)
{
    (void)state;
    uint8_t buf[64];
    /* maps nested 16 deep, the innermost {}: {0: {0: ... {}}} */
    size_t n = 0;
    for (int i = 0; i < 15; i++) {
        buf[n++] = 0xa1;
        buf[n++] = 0x00;
    }
    buf[n++] = 0xa0;
    assert_int_equal(cbc_check(buf, n, CBC_MAX_DEPTH), API_OK);
    /* a very deep nesting is refused, whatever the container: no stack exhaustion */
    uint8_t deep[100000];
    memset(deep, 0x81, sizeof deep);
    deep[sizeof deep - 1] = 0x00;
    assert_int_equal(cbc_check(deep, sizeof deep, CBC_MAX_DEPTH), API_ERR_CBOR);
    for (size_t i = 0; i + 1 < sizeof deep; i += 2) {
        deep[i] = 0xa1;
        deep[i + 1] = 0x00;
    }
    deep[sizeof deep - 1] = 0x00;
    assert_int_equal(cbc_check(deep, sizeof deep, CBC_MAX_DEPTH), API_ERR_CBOR);
    memset(deep, 0xd2, sizeof deep); /* tag 18 of tag 18 of ... */
    deep[sizeof deep - 1] = 0x00;
    assert_int_equal(cbc_check(deep, sizeof deep, CBC_MAX_DEPTH), API_ERR_CBOR);
    /* a small max_depth is honoured: depth 0 means a single scalar */
    assert_int_equal(cbc_check((const uint8_t *)"\x01", 1, 0), API_OK);
    assert_int_equal(cbc_check((const uint8_t *)"\x81\x01", 2, 0), API_ERR_CBOR);
    assert_int_equal(cbc_check((const uint8_t *)"\x81\x01", 2, 1), API_OK);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_int_equal(CHECK("\x62\xc3\xa9"), API_OK);               /* é */
    assert_int_equal(CHECK("\x64\xf0\x9f\x98\x80"), API_OK);       /* U+1F600 */
    assert_int_equal(CHECK("\x63\xef\xbf\xbf"), API_OK);           /* U+FFFF */
    assert_int_equal(CHECK("\x64\xf4\x8f\xbf\xbf"), API_OK);       /* U+10FFFF */
    assert_int_equal(CHECK("\x62\xc3\x28"), API_ERR_CBOR);         /* bad continuation */
    assert_int_equal(CHECK("\x62\xc0\xaf"), API_ERR_CBOR);         /* overlong '/' */
    assert_int_equal(CHECK("\x62\xc1\xbf"), API_ERR_CBOR);         /* overlong */
    assert_int_equal(CHECK("\x63\xe0\x80\xaf"), API_ERR_CBOR);     /* overlong 3 bytes */
    assert_int_equal(CHECK("\x64\xf0\x80\x80\xaf"), API_ERR_CBOR); /* overlong 4 bytes */
    assert_int_equal(CHECK("\x63\xed\xa0\x80"), API_ERR_CBOR);     /* surrogate D800 */
    assert_int_equal(CHECK("\x63\xed\xbf\xbf"), API_ERR_CBOR);     /* surrogate DFFF */
    assert_int_equal(CHECK("\x64\xf4\x90\x80\x80"), API_ERR_CBOR); /* over U+10FFFF */
    assert_int_equal(CHECK("\x64\xf5\x80\x80\x80"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x61\xe2"), API_ERR_CBOR); /* truncated */
    assert_int_equal(CHECK("\x62\xe2\x82"), API_ERR_CBOR);
    assert_int_equal(CHECK("\x61\x80"), API_ERR_CBOR); /* lone continuation */
    assert_int_equal(CHECK("\x61\xff"), API_ERR_CBOR);
    /* byte strings are not text: anything goes */
    assert_int_equal(CHECK("\x42\xc3\x28"), API_OK);
    /* the validator on its own */
    assert_true(text_utf8_valid((const uint8_t *)"", 0));
    assert_true(text_utf8_valid((const uint8_t *)"S\xc3\xa9jour", 7));
    assert_false(text_utf8_valid((const uint8_t *)"\xe2\x82", 2));
    assert_false(text_utf8_valid((const uint8_t *)"a\xf0\x9f\x98", 4));
}

static void test_simple_values(void **state)
{
    (void)state;
    assert_int_equal(CHECK("\xf4"), API_OK); /* false */
    assert_int_equal(CHECK("\xf5"), API_OK); /* true */
    assert_int_equal(CHECK("\xf6"), API_OK); /* null */
    assert_int_equal(CHECK("\x83\xf4\xf5\xf6"), API_OK);
    assert_int_equal(CHECK("\xf7"), API_ERR_CBOR);                 /* undefined */
    assert_int_equal(CHECK("\xf0"), API_ERR_CBOR);                 /* simple(16) */
    assert_int_equal(CHECK("\xe0"), API_ERR_CBOR);                 /* simple(0) */
    assert_int_equal(CHECK("\xf8\x20"), API_ERR_CBOR);             /* simple(32) */
    assert_int_equal(CHECK("\xf8\x14"), API_ERR_CBOR);             /* false, non-shortest */
    assert_int_equal(CHECK("\xf9\x3c\x00"), API_ERR_CBOR);         /* 1.0 half */
    assert_int_equal(CHECK("\xfa\x3f\x80\x00\x00"), API_ERR_CBOR); /* 1.0 single */
    assert_int_equal(CHECK("\xfb\x3f\xf0\x00\x00\x00\x00\x00\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xf9\x7e\x00"), API_ERR_CBOR); /* NaN */
    assert_int_equal(CHECK("\x81\xf9\x00\x00"), API_ERR_CBOR);
    assert_int_equal(CHECK("\xa1\x01\xf7"), API_ERR_CBOR);
}

static cbor_item_t *load(const char *bytes, size_t len)
{
    cbor_item_t *item = NULL;
    assert_int_equal(cbc_load(&item, (const uint8_t *)bytes, len, CBC_MAX_DEPTH), API_OK);
    assert_non_null(item);
    return item;
}

static void test_load_and_map_getters(void **state)
{
    (void)state;
    /* {1: 5, 4: h'0102', -65537: {"fn": "X"}, "ab": "text", "a": -3, 65535: [1]} */
    uint8_t buf[128];
    cbw w;
    size_t len;
    cbw_init(&w, buf, sizeof buf);
    cbw_map(&w, 6);
    cbw_uint(&w, 1);
    cbw_uint(&w, 5);
    cbw_uint(&w, 4);
    cbw_bytes(&w, (const uint8_t *)"\x01\x02", 2);
    cbw_int(&w, -65537);
    cbw_map(&w, 1);
    cbw_text(&w, "fn");
    cbw_text(&w, "X");
    cbw_text(&w, "ab");
    cbw_text(&w, "text");
    cbw_text(&w, "a");
    cbw_int(&w, -3);
    cbw_uint(&w, 65535);
    cbw_array(&w, 1);
    cbw_uint(&w, 1);
    assert_int_equal(cbw_finish(&w, &len), API_OK);
    cbor_item_t *m = load((const char *)buf, len);

    int64_t i64;
    uint64_t u64;
    char text[8];
    const uint8_t *data;
    size_t dlen;
    assert_int_equal(cbc_get_int64(&i64, cbc_map_get_int(m, 1)), 0);
    assert_int_equal(i64, 5);
    assert_int_equal(cbc_get_uint(&u64, cbc_map_get_int(m, 1)), 0);
    assert_int_equal(u64, 5);
    assert_int_equal(cbc_get_bytes(&data, &dlen, cbc_map_get_int(m, 4)), 0);
    assert_int_equal(dlen, 2);
    assert_memory_equal(data, "\x01\x02", 2);
    cbor_item_t *inner = cbc_map_get_int(m, -65537);
    assert_non_null(inner);
    assert_int_equal(cbc_get_text(text, sizeof text, cbc_map_get_text(inner, "fn")), 0);
    assert_string_equal(text, "X");
    assert_int_equal(cbc_get_text(text, sizeof text, cbc_map_get_text(m, "ab")), 0);
    assert_string_equal(text, "text");
    assert_int_equal(cbc_get_int64(&i64, cbc_map_get_text(m, "a")), 0);
    assert_int_equal(i64, -3);
    assert_non_null(cbc_map_get_int(m, 65535));

    /* missing keys and keys of the other kind */
    assert_null(cbc_map_get_int(m, 2));
    assert_null(cbc_map_get_int(m, -1));
    assert_null(cbc_map_get_int(m, 65537));
    assert_null(cbc_map_get_text(m, "b"));
    assert_null(cbc_map_get_text(m, "abc")); /* not a prefix match */
    assert_null(cbc_map_get_text(m, ""));
    assert_null(cbc_map_get_text(m, "fn")); /* only in the inner map */
    /* getters on something that is not a map */
    assert_null(cbc_map_get_int(cbc_map_get_int(m, 1), 1));
    assert_null(cbc_map_get_text(cbc_map_get_int(m, 4), "a"));
    assert_null(cbc_map_get_int(NULL, 1));
    assert_null(cbc_map_get_text(NULL, "a"));

    /* item getters on wrong types and NULL */
    assert_int_equal(cbc_get_uint(&u64, cbc_map_get_text(m, "a")), -1);  /* negative */
    assert_int_equal(cbc_get_uint(&u64, cbc_map_get_text(m, "ab")), -1); /* text */
    assert_int_equal(cbc_get_uint(&u64, NULL), -1);
    assert_int_equal(cbc_get_int64(&i64, cbc_map_get_int(m, 4)), -1);     /* bytes */
    assert_int_equal(cbc_get_int64(&i64, cbc_map_get_int(m, 65535)), -1); /* array */
    assert_int_equal(cbc_get_int64(&i64, NULL), -1);
    assert_int_equal(cbc_get_text(text, sizeof text, cbc_map_get_int(m, 4)), -1); /* bytes */
    assert_int_equal(cbc_get_text(text, sizeof text, cbc_map_get_int(m, 1)), -1); /* uint */
    assert_int_equal(cbc_get_text(text, sizeof text, NULL), -1);
    assert_int_equal(cbc_get_text(text, 4, cbc_map_get_text(m, "ab")), -1); /* "text" needs 5 */
    assert_int_equal(cbc_get_text(text, 5, cbc_map_get_text(m, "ab")), 0);
    assert_int_equal(cbc_get_text(text, 0, cbc_map_get_text(m, "ab")), -1);
    assert_int_equal(cbc_get_bytes(&data, &dlen, cbc_map_get_text(m, "ab")), -1); /* text */
    assert_int_equal(cbc_get_bytes(&data, &dlen, NULL), -1);
    cbor_decref(&m);
}

static void test_getters_edge_values(void **state)
{
    (void)state;
    int64_t i64;
    uint64_t u64;
    cbor_item_t *it;

    it = load("\x1b\x7f\xff\xff\xff\xff\xff\xff\xff", 9); /* INT64_MAX */
    assert_int_equal(cbc_get_int64(&i64, it), 0);
    assert_true(i64 == INT64_MAX);
    cbor_decref(&it);
    it = load("\x1b\x80\x00\x00\x00\x00\x00\x00\x00", 9); /* INT64_MAX + 1 */
    assert_int_equal(cbc_get_int64(&i64, it), -1);
    assert_int_equal(cbc_get_uint(&u64, it), 0);
    assert_true(u64 == 0x8000000000000000ull);
    cbor_decref(&it);
    it = load("\x3b\x7f\xff\xff\xff\xff\xff\xff\xff", 9); /* INT64_MIN */
    assert_int_equal(cbc_get_int64(&i64, it), 0);
    assert_true(i64 == INT64_MIN);
    cbor_decref(&it);
    it = load("\x3b\x80\x00\x00\x00\x00\x00\x00\x00", 9); /* INT64_MIN - 1 */
    assert_int_equal(cbc_get_int64(&i64, it), -1);
    assert_int_equal(cbc_get_uint(&u64, it), -1);
    cbor_decref(&it);
    it = load("\x20", 1); /* -1 */
    assert_int_equal(cbc_get_int64(&i64, it), 0);
    assert_int_equal(i64, -1);
    cbor_decref(&it);
    /* a text with a NUL inside is refused by cbc_get_text */
    it = load("\x63\x61\x00\x62", 4);
    char text[8];
    assert_int_equal(cbc_get_text(text, sizeof text, it), -1);
    cbor_decref(&it);
    /* the empty text */
    it = load("\x60", 1);
    assert_int_equal(cbc_get_text(text, 1, it), 0);
    assert_string_equal(text, "");
    cbor_decref(&it);
    /* the empty byte string */
    it = load("\x40", 1);
    const uint8_t *data;
    size_t dlen = 99;
    assert_int_equal(cbc_get_bytes(&data, &dlen, it), 0);
    assert_int_equal(dlen, 0);
    cbor_decref(&it);
    /* a map with an integer key above INT64_MAX is still searchable for other keys */
    it = load("\xa2\x01\x02\x1b\xff\xff\xff\xff\xff\xff\xff\xff\x03", 13);
    assert_non_null(cbc_map_get_int(it, 1));
    assert_null(cbc_map_get_int(it, -1));
    cbor_decref(&it);
}

static void test_load_refusals(void **state)
{
    (void)state;
    cbor_item_t *it = (cbor_item_t *)1;
    assert_int_equal(cbc_load(&it, (const uint8_t *)"\x18\x05", 2, CBC_MAX_DEPTH), API_ERR_CBOR);
    assert_null(it);
    it = (cbor_item_t *)1;
    assert_int_equal(cbc_load(&it, (const uint8_t *)"\x01\x01", 2, CBC_MAX_DEPTH), API_ERR_CBOR);
    assert_null(it);
    it = (cbor_item_t *)1;
    assert_int_equal(cbc_load(&it, (const uint8_t *)"\xa2\x01\x01\x01\x02", 5, CBC_MAX_DEPTH), API_ERR_CBOR);
    assert_null(it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_indefinite_lengths_refused),
        cmocka_unit_test(test_non_shortest_heads_refused),
        cmocka_unit_test(test_duplicate_keys_refused),
        cmocka_unit_test(test_trailing_bytes_refused),
        cmocka_unit_test(test_huge_claimed_lengths_refused),
        cmocka_unit_test(test_nesting_bound),
        cmocka_unit_test(test_nesting_17_empty_arrays_refused),
        cmocka_unit_test(test_nesting_bound_maps_and_tags),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_simple_values),
        cmocka_unit_test(test_load_and_map_getters),
        cmocka_unit_test(test_getters_edge_values),
        cmocka_unit_test(test_load_refusals),
    };
    return cmocka_run_group_tests_name("cbc", tests, NULL, NULL);
}
