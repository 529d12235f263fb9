/*
 * test_jsonscan.c: the JSON check in front of cJSON (common/jsonscan.c).
 *
 * The inputs that crashed the verification service (deep brackets, a huge
 * batch), the limits at and one past their bounds, every malformed shape
 * we could think of with the offset where the scan must stop, and
 * agreement with cJSON: on a corpus of documents and on random mutations
 * of them, a text jsonscan accepts is one cJSON parses to its end, with the
 * depth and sizes jsonscan measured.
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
#include <pthread.h>

#include "common/jsonscan.h"
#include "tests/unit/testkit.h"

#define NO_LIMIT ((size_t)-1)

static jsonscan_result scan_n(const char *t, size_t len, unsigned depth, size_t members, size_t *off)
{
    size_t o = (size_t)-2;
    jsonscan_result r = jsonscan_check(t, len, depth, members, &o);
    assert_true(o <= len); /* always inside the text */
    if (r == JSONSCAN_OK) assert_int_equal(o, len);
    if (off) *off = o;
    return r;
}

static void expect_n(const char *t, size_t len, unsigned depth, size_t members, jsonscan_result want,
                     size_t want_off)
{
    size_t off;
    jsonscan_result r = scan_n(t, len, depth, members, &off);
    if (r != want || off != want_off)
        fail_msg("%.60s%s: got %s at %zu, wanted %s at %zu", t, len > 60 ? "..." : "", jsonscan_strerror(r),
                 off, jsonscan_strerror(want), want_off);
}

static void expect(const char *t, jsonscan_result want, size_t want_off)
{
    expect_n(t, strlen(t), JSONSCAN_MAX_DEPTH, NO_LIMIT, want, want_off);
}

static void expect_ok(const char *t)
{
    expect(t, JSONSCAN_OK, strlen(t));
}

/* n copies of unit, then tail, NUL-terminated; the caller frees it. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *b = malloc(hl + ul * n + tl + 1);
    assert_non_null(b);
    memcpy(b, head, hl);
    for (size_t i = 0; i < n; i++) memcpy(b + hl + i * ul, unit, ul);
    memcpy(b + hl + ul * n, tail, tl + 1);
    return b;
}

/* n nested arrays or objects around "1": [[1]] or {"a":{"a":1}} */
static char *nested(size_t n, int objects)
{
    char *open = repeat("", objects ? "{\"a\":" : "[", n, "1");
    char *all = repeat(open, objects ? "}" : "]", n, "");
    free(open);
    return all;
}

/* ---- the inputs that crashed the service ---- */

static void test_crash_inputs(void **state)
{
    (void)state;
    /* 800 '[' (POST /api/v1/verify): refused at the ninth bracket */
    char *b = repeat("", "[", 800, "");
    expect_n(b, 800, 8, 1000, JSONSCAN_TOO_DEEP, 8);
    /* the caller may ask for more than the scan can follow: clamped */
    expect_n(b, 800, 1000, 1000, JSONSCAN_TOO_DEEP, JSONSCAN_MAX_DEPTH);
    /* deep enough to be refused before the text is seen to be unterminated */
    expect_n(b, 800, JSONSCAN_MAX_DEPTH, 1000, JSONSCAN_TOO_DEEP, JSONSCAN_MAX_DEPTH);
    free(b);
    /* {"payloads": then 999 '[' (POST /api/v1/verify/batch): the object is depth 1 */
    b = repeat("{\"payloads\":", "[", 999, "");
    expect_n(b, strlen(b), 8, 1000, JSONSCAN_TOO_DEEP, 12 + 7);
    free(b);
    /* the same, closed: well-formed but too deep */
    b = repeat("{\"payloads\":", "[", 999, "");
    char *c = repeat(b, "]", 999, "}");
    expect_n(c, strlen(c), 8, 1000, JSONSCAN_TOO_DEEP, 12 + 7);
    expect_n(c, strlen(c), JSONSCAN_MAX_DEPTH, 1000, JSONSCAN_TOO_DEEP, 12 + JSONSCAN_MAX_DEPTH - 1);
    free(c);
    free(b);
    /* deep objects: {"a":{"a":...}} */
    b = nested(1000, 1);
    expect_n(b, strlen(b), 8, 1000, JSONSCAN_TOO_DEEP, 8 * 5);
    free(b);
    b = repeat("", "{\"a\":", 100000, "");
    expect_n(b, strlen(b), 8, 1000, JSONSCAN_TOO_DEEP, 8 * 5);
    free(b);
    /* mixed: [{"a":[{"a":...]}] */
    b = repeat("", "[{\"a\":", 500, "");
    expect_n(b, strlen(b), 8, 1000, JSONSCAN_TOO_DEEP, 4 * 6);
    expect_n(b, strlen(b), 9, 1000, JSONSCAN_TOO_DEEP, 4 * 6 + 1);
    free(b);
}

/* 1 MiB of {"payloads":[0,0,...,0]}: refused at the 1,001st item, nothing built */
static void test_large_batch(void **state)
{
    (void)state;
    size_t items = ((1u << 20) - 14) / 2;
    char *b = repeat("{\"payloads\":[0", ",0", items - 1, "]}");
    size_t len = strlen(b);
    assert_true(len <= (1u << 20) && len > (1u << 20) - 4);
    expect_n(b, len, 8, 1000, JSONSCAN_TOO_MANY_MEMBERS, 13 + 1000 * 2);
    expect_n(b, len, 8, items - 1, JSONSCAN_TOO_MANY_MEMBERS, 13 + (items - 1) * 2);
    expect_n(b, len, 8, items, JSONSCAN_OK, len);
    expect_n(b, len, 2, NO_LIMIT, JSONSCAN_OK, len);
    expect_n(b, len, 1, NO_LIMIT, JSONSCAN_TOO_DEEP, 12);
    free(b);
}

/* ---- limits ---- */

static void test_depth_limit(void **state)
{
    (void)state;
    for (int objects = 0; objects < 2; objects++) {
        for (unsigned d = 1; d <= JSONSCAN_MAX_DEPTH + 1; d++) {
            char *b = nested(d, objects);
            size_t len = strlen(b), at = (size_t)(d - 1) * (objects ? 5 : 1);
            /* exactly at the limit, then one past it: refused at the innermost bracket */
            if (d <= JSONSCAN_MAX_DEPTH) expect_n(b, len, d, NO_LIMIT, JSONSCAN_OK, len);
            expect_n(b, len, d - 1, NO_LIMIT, JSONSCAN_TOO_DEEP, at);
            /* over JSONSCAN_MAX_DEPTH: clamped */
            expect_n(b, len, 100000, NO_LIMIT, d <= JSONSCAN_MAX_DEPTH ? JSONSCAN_OK : JSONSCAN_TOO_DEEP,
                     d <= JSONSCAN_MAX_DEPTH ? len : at);
            free(b);
        }
    }
    /* depth 0: scalars only */
    expect_n("\"x\"", 3, 0, NO_LIMIT, JSONSCAN_OK, 3);
    expect_n("12", 2, 0, NO_LIMIT, JSONSCAN_OK, 2);
    expect_n(" []", 3, 0, NO_LIMIT, JSONSCAN_TOO_DEEP, 1);
    expect_n("{}", 2, 0, NO_LIMIT, JSONSCAN_TOO_DEEP, 0);
    /* siblings do not add up: depth is the deepest path */
    const char *wide = "[[1],[2],{\"a\":[3]},[[]]]";
    expect_n(wide, strlen(wide), 3, NO_LIMIT, JSONSCAN_OK, strlen(wide));
    expect_n(wide, strlen(wide), 2, NO_LIMIT, JSONSCAN_TOO_DEEP, 14);
    /* the depth goes down again after a container closes */
    const char *down = "[[[]],[[]],[[]]]";
    expect_n(down, strlen(down), 3, NO_LIMIT, JSONSCAN_OK, strlen(down));
}

static void test_member_limit(void **state)
{
    (void)state;
    for (size_t m = 0; m <= 40; m++) {
        /* an array of m + 1 items and an object of m + 1 members */
        char *a = repeat("[ 7", ", 7", m, " ]");
        char *o = repeat("{\"k\": 1", ", \"k\": 1", m, "}");
        size_t al = strlen(a), ol = strlen(o);
        expect_n(a, al, 1, m + 1, JSONSCAN_OK, al);
        expect_n(a, al, 1, m, JSONSCAN_TOO_MANY_MEMBERS, 2 + m * 3); /* at the (m+1)th item */
        expect_n(o, ol, 1, m + 1, JSONSCAN_OK, ol);
        expect_n(o, ol, 1, m, JSONSCAN_TOO_MANY_MEMBERS, 1 + m * 8); /* at its key */
        free(a);
        free(o);
    }
    /* empty containers hold nothing */
    expect_n("[]", 2, 1, 0, JSONSCAN_OK, 2);
    expect_n("{ }", 3, 1, 0, JSONSCAN_OK, 3);
    expect_n("[[],{}]", 7, 2, 2, JSONSCAN_OK, 7);
    expect_n("[[],{}]", 7, 2, 1, JSONSCAN_TOO_MANY_MEMBERS, 4);
    /* the bound is per container, not a total */
    const char *per = "[[1,2,3],[4,5,6],{\"a\":1,\"b\":2,\"c\":3}]";
    expect_n(per, strlen(per), 2, 3, JSONSCAN_OK, strlen(per));
    expect_n(per, strlen(per), 2, 2, JSONSCAN_TOO_MANY_MEMBERS, 6);
    /* a container's count starts again when a sibling opens */
    const char *sib = "[[1,2],[3,4],[5,6]]";
    expect_n(sib, strlen(sib), 2, 3, JSONSCAN_OK, strlen(sib));
    /* the outer count goes on after an inner container closes */
    const char *outer = "[[1,2],3,4]";
    expect_n(outer, strlen(outer), 2, 2, JSONSCAN_TOO_MANY_MEMBERS, 9);
    /* a scalar at the top level is not counted */
    expect_n("7", 1, 0, 0, JSONSCAN_OK, 1);
    /* a trailing comma at the bound is malformed, not one too many */
    expect_n("[1,2,]", 6, 1, 2, JSONSCAN_MALFORMED, 5);
    expect_n("{\"a\":1,}", 8, 1, 1, JSONSCAN_MALFORMED, 7);
    /* the bound holds deep inside */
    char *b = repeat("[[[[", "0,", 1500, "0]]]]");
    expect_n(b, strlen(b), 4, 1000, JSONSCAN_TOO_MANY_MEMBERS, 4 + 1000 * 2);
    expect_n(b, strlen(b), 4, 1501, JSONSCAN_OK, strlen(b));
    free(b);
}

/* ---- well-formed texts ---- */

static const char *const valid_docs[] = {
    "0",
    "-0",
    "1",
    "-12.5e+3",
    "1E-7",
    "0.000001",
    "123456789012345678901234567890",
    "1e999",
    "true",
    "false",
    "null",
    "\"\"",
    "\"text\"",
    "\"[[[\\\"]]]\"",
    "\"{\\\"a\\\":[1,2}\"",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    "\"\\u0041\\u00e9\\u20AC\\uD83D\\uDE00\"",
    "\"\\u0000\"",
    "\"caf\xC3\xA9 \x7F\"",
    "[]",
    "{}",
    "[ ]",
    "{ }",
    " \t\r\n[1, 2 ,3 ]\n ",
    "[\"]\", \"[\", \"}\", \"{\", \",\", \":\"]",
    "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
    "{\"payload\": \"API1:6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTLRR+%3\"}",
    "{\"payloads\": [\"API1:A\", \"API1:B\", \"API1:C\"]}",
    "{\"\":0, \"\":1}",
    "[[[[[[[[]]]]]]]]",
    "[{\"a\":[{\"b\":[{}]}]}]",
    "[-0.0e0, 0e+1, 10E-01, 9.99]",
    "{\"family_name\": \"DIALLO\", \"given_names\": \"Aminata\", \"work_authorised\": true, "
    "\"previous_title\": {\"number\": \"7501234567\", \"expires_on\": \"2026-09-30\"}}",
};
#define NVALID (sizeof valid_docs / sizeof valid_docs[0])

static void test_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVALID; i++) expect_ok(valid_docs[i]);
    /* a number of any length */
    char *b = repeat("[", "9", 5000, ".5e-3]");
    expect_ok(b);
    free(b);
    /* stop_offset may be NULL */
    assert_int_equal(jsonscan_check("[1]", 3, 1, 1, NULL), JSONSCAN_OK);
    assert_int_equal(jsonscan_check("[1", 2, 1, 1, NULL), JSONSCAN_MALFORMED);
    /* only len bytes are read: what follows does not count */
    assert_int_equal(jsonscan_check("[1]]]]", 3, 1, 1, NULL), JSONSCAN_OK);
    assert_int_equal(jsonscan_check("[1]", 2, 1, 1, NULL), JSONSCAN_MALFORMED);
}

/* ---- malformed texts ---- */

static const struct {
    const char *text;
    size_t off; /* where the scan must stop */
} malformed[] = {
    /* nothing, or only white space */
    {"", 0},
    {" \t\r\n", 4},
    /* truncated */
    {"[", 1},
    {"{", 1},
    {"[1,", 3},
    {"[1", 2},
    {"{\"a\"", 4},
    {"{\"a\":", 5},
    {"{\"a\":1", 6},
    {"{\"a\":1,", 7},
    {"\"abc", 4},
    {"[\"abc\\", 6},
    {"\"\\u12", 5},
    {"\"\\uD83D", 7},
    {"\"\\uD83D\\u", 9},
    {"\"\\uD83D\\uDE0", 12},
    {"tr", 2},
    {"[fals", 5},
    {"-", 1},
    {"[1.", 3},
    {"1e", 2},
    {"1e+", 3},
    /* brackets */
    {"]", 0},
    {"}", 0},
    {"[}", 1},
    {"{]", 1},
    {"[]]", 2},
    {"{}}", 2},
    {"[[]", 3},
    {"[1]]", 3},
    /* commas and colons */
    {"[1,]", 3},
    {"[,1]", 1},
    {"[1,,2]", 3},
    {"[1 2]", 3},
    {"{,}", 1},
    {"{\"a\":1,}", 7},
    {"{\"a\":1 \"b\":2}", 7},
    {"{\"a\"}", 4},
    {"{\"a\" 1}", 5},
    {"{\"a\"::1}", 5},
    {"{\"a\":}", 5},
    {"{:1}", 1},
    {"[1:2]", 2},
    {"{\"a\",1}", 4},
    /* keys must be strings */
    {"{a:1}", 1},
    {"{1:1}", 1},
    {"{null:1}", 1},
    {"{'a':1}", 1},
    /* bare words and other values that are not JSON */
    {"abc", 0},
    {"True", 0},
    {"NULL", 0},
    {"truex", 4},
    {"nulll", 4},
    {"[tru]", 1},
    {"undefined", 0},
    {"NaN", 0},
    {"Infinity", 0},
    {"-Infinity", 1},
    {"'single'", 0},
    {"/* comment */ 1", 0},
    {"1 // comment", 2},
    /* numbers outside the grammar (cJSON takes some of these: see test_cjson_is_laxer) */
    {"+1", 0},
    {".5", 0},
    {"-.5", 1},
    {"01", 1},
    {"-01", 2},
    {"00", 1},
    {"1.", 2},
    {"1.e3", 2},
    {"1e5.5", 3},
    {"0x1F", 1},
    {"1_000", 1},
    {"--1", 1},
    {"1-", 1},
    {"[1e]", 3},
    /* more than one value */
    {"1 2", 2},
    {"{} {}", 3},
    {"[]x", 2},
    {"\"a\"\"b\"", 3},
    /* strings */
    {"\"a\tb\"", 2},
    {"\"a\nb\"", 2},
    {"\"\x01\"", 1},
    {"\"\x1f\"", 1},
    {"[\"ok\", \"a\rb\"]", 9},
    {"\"\\x41\"", 1},
    {"\"\\a\"", 1},
    {"\"\\U0041\"", 1},
    {"\"\\u12G4\"", 1},
    {"\"\\u12\"", 1},
    {"\"\\ \"", 1},
    {"\"\\uDC00\"", 1},
    {"\"\\uDFFF\"", 1},
    {"\"a\\uD800\"", 2},
    {"\"\\uD800x\"", 1},
    {"\"\\uD800\\n\"", 1},
    {"\"\\uD800\\u0041\"", 1},
    {"\"\\uDBFF\\uDBFF\"", 1},
    {"\"\\uD800\\uE000\"", 1},
    {"\"\\uD800\\uD800\\uDC00\"", 1},
    /* a byte-order mark is the caller's business */
    {"\xEF\xBB\xBF{}", 0},
    /* white space JSON does not have */
    {"\f[]", 0},
    {"[\v1]", 1},
    {"[1]\x0B", 3},
    {"\xC2\xA0[]", 0},
};
#define NMALFORMED (sizeof malformed / sizeof malformed[0])

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < NMALFORMED; i++) expect(malformed[i].text, JSONSCAN_MALFORMED, malformed[i].off);
    /* the same, where the limits would let everything through but the text */
    for (size_t i = 0; i < NMALFORMED; i++)
        assert_int_equal(scan_n(malformed[i].text, strlen(malformed[i].text), 1, 3, NULL) == JSONSCAN_OK, 0);
    /* a NULL text */
    size_t off = 99;
    assert_int_equal(jsonscan_check(NULL, 10, 8, 8, &off), JSONSCAN_MALFORMED);
    assert_int_equal(off, 0);
}

/* NUL bytes inside the length are never white space and never string content */
static void test_nul_bytes(void **state)
{
    (void)state;
    expect_n("\0", 1, 8, 8, JSONSCAN_MALFORMED, 0);
    expect_n("\0[]", 3, 8, 8, JSONSCAN_MALFORMED, 0);
    expect_n("[]\0", 3, 8, 8, JSONSCAN_MALFORMED, 2);
    expect_n("[1,\0 2]", 7, 8, 8, JSONSCAN_MALFORMED, 3);
    expect_n("[\"a\0b\"]", 7, 8, 8, JSONSCAN_MALFORMED, 3);
    expect_n("{\"a\0\":1}", 8, 8, 8, JSONSCAN_MALFORMED, 3);
    expect_n("[tr\0e]", 6, 8, 8, JSONSCAN_MALFORMED, 1);
    expect_n("[1\0]", 4, 8, 8, JSONSCAN_MALFORMED, 2);
    expect_n("{}\0{}", 5, 8, 8, JSONSCAN_MALFORMED, 2);
}

/* every proper prefix of a container, string or literal is malformed, and the scan stops at its end */
static void test_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVALID; i++) {
        const char *d = valid_docs[i];
        size_t start = strspn(d, " \t\r\n");
        if (!strchr("[{\"tfn", d[start])) continue; /* a prefix of a number may be a number */
        size_t end = strlen(d);
        while (end > 0 && strchr(" \t\r\n", d[end - 1])) end--;
        for (size_t n = 0; n < end; n++) expect_n(d, n, JSONSCAN_MAX_DEPTH, NO_LIMIT, JSONSCAN_MALFORMED, n);
    }
}

/* ---- agreement with cJSON ---- */

/* cJSON parses t[0..len) as one value followed by JSON white space only. */
static cJSON *cjson_whole(const char *t, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(t, len, &end, 0);
    if (!j) return NULL;
    while (end && end < t + len && *end && strchr(" \t\r\n", *end)) end++;
    if (end != t + len) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/*
 * The nesting of a cJSON tree and its largest container, without
 * recursion: a stack of (item, level) holding, per level, at most the next
 * sibling still to visit and one child.
 */
static void cjson_shape(const cJSON *root, unsigned *depth, size_t *widest)
{
    enum { CAP = 2 * JSONSCAN_MAX_DEPTH + 4 };
    const cJSON *items[CAP];
    unsigned levels[CAP];
    size_t n = 0;
    *depth = 0;
    *widest = 0;
    items[n] = root;
    levels[n++] = 0;
    while (n > 0) {
        const cJSON *it = items[--n];
        unsigned level = levels[n];
        if (it != root && it->next) {
            assert_true(n < CAP);
            items[n] = it->next;
            levels[n++] = level;
        }
        if (!cJSON_IsArray(it) && !cJSON_IsObject(it)) continue;
        if (level + 1 > *depth) *depth = level + 1;
        size_t count = 0;
        for (const cJSON *c = it->child; c; c = c->next) count++;
        if (count > *widest) *widest = count;
        if (it->child) {
            assert_true(n < CAP);
            items[n] = it->child;
            levels[n++] = level + 1;
        }
    }
}

/* t is accepted by jsonscan exactly when cJSON parses all of it, with the same depth and widths. */
static void check_agrees(const char *t, size_t len)
{
    size_t off;
    jsonscan_result r = scan_n(t, len, JSONSCAN_MAX_DEPTH, NO_LIMIT, &off);
    cJSON *j = cjson_whole(t, len);
    if ((r == JSONSCAN_OK) != (j != NULL))
        fail_msg("jsonscan %s at %zu, cJSON %s: %.*s", jsonscan_strerror(r), off, j ? "parses" : "refuses",
                 (int)(len > 80 ? 80 : len), t);
    if (!j) return;
    unsigned depth;
    size_t widest;
    cjson_shape(j, &depth, &widest);
    cJSON_Delete(j);
    assert_int_equal(scan_n(t, len, depth, widest, NULL), JSONSCAN_OK);
    if (depth > 0) assert_int_equal(scan_n(t, len, depth - 1, widest, NULL), JSONSCAN_TOO_DEEP);
    if (widest > 0) assert_int_equal(scan_n(t, len, depth, widest - 1, NULL), JSONSCAN_TOO_MANY_MEMBERS);
}

static void test_agrees_with_cjson(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVALID; i++) check_agrees(valid_docs[i], strlen(valid_docs[i]));
    /* malformed shapes that cJSON also refuses (not those of test_cjson_is_laxer) */
    for (size_t i = 0; i < NMALFORMED; i++) {
        const char *t = malformed[i].text;
        size_t n = strlen(t);
        cJSON *j = cjson_whole(t, n);
        if (j) { /* cJSON is laxer here: jsonscan refuses, never the other way round */
            cJSON_Delete(j);
            continue;
        }
        check_agrees(t, n);
    }
    /* deep texts within the scan's reach, and a long number */
    for (unsigned d = 1; d <= JSONSCAN_MAX_DEPTH; d++) {
        char *b = nested(d, d % 2);
        check_agrees(b, strlen(b));
        free(b);
    }
    char *b = repeat("[", "9", 5000, ".5e-3]");
    check_agrees(b, strlen(b));
    free(b);
}

/* What cJSON 1.7.15 takes and jsonscan refuses: the scan is stricter, never laxer. */
static void test_cjson_is_laxer(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
    } lax[] = {
        {"01", 2},
        {"[1.]", 4},
        {"[-.5]", 5},
        {"[1.e3]", 6},
        {"[\"a\tb\"]", 7},        /* a raw control character in a string */
        {"[\"\\uZZZZ\"]", 10},    /* read as U+0000 */
        {"[1,\f2]", 6},           /* any byte up to 0x20 is white space */
        {"[1,\0 2]", 7},          /* even NUL */
        {"\xEF\xBB\xBF[1]\0", 7}, /* a BOM, skipped when 4 bytes follow it */
    };
    for (size_t i = 0; i < sizeof lax / sizeof lax[0]; i++) {
        const char *end = NULL;
        cJSON *j = cJSON_ParseWithLengthOpts(lax[i].text, lax[i].len, &end, 0);
        if (!j) fail_msg("cJSON now refuses case %zu: update jsonscan.h", i);
        cJSON_Delete(j);
        assert_int_equal(scan_n(lax[i].text, lax[i].len, JSONSCAN_MAX_DEPTH, NO_LIMIT, NULL),
                         JSONSCAN_MALFORMED);
    }
}

/* Random edits of the corpus: whatever jsonscan accepts, cJSON parses to the end. */
static void test_mutations_agree(void **state)
{
    (void)state;
    static const char alphabet[] = "[]{}\",:\\ 0123456789-+.eEtrufalsn/bu\x01\x7f\xff";
    uint64_t seed = 0x6a736f6e7363616eull;
    char buf[512];
    size_t accepted = 0, runs = 0;
    for (size_t round = 0; round < 4000; round++) {
        const char *d = valid_docs[testkit_rand(&seed) % NVALID];
        size_t n = strlen(d);
        if (n > sizeof buf - 8) continue;
        memcpy(buf, d, n);
        unsigned edits = 1 + (unsigned)(testkit_rand(&seed) % 3);
        for (unsigned e = 0; e < edits; e++) {
            size_t at = n ? (size_t)(testkit_rand(&seed) % n) : 0;
            char ch = alphabet[testkit_rand(&seed) % (sizeof alphabet - 1)];
            switch (testkit_rand(&seed) % 3) {
            case 0: /* replace */
                if (n) buf[at] = ch;
                break;
            case 1: /* insert */
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = ch;
                n++;
                break;
            default: /* delete */
                if (n) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
                break;
            }
        }
        runs++;
        if (scan_n(buf, n, JSONSCAN_MAX_DEPTH, NO_LIMIT, NULL) != JSONSCAN_OK) continue;
        accepted++;
        cJSON *j = cjson_whole(buf, n);
        if (!j) fail_msg("jsonscan accepts, cJSON refuses: %.*s", (int)n, buf);
        cJSON_Delete(j);
    }
    assert_true(runs > 3000);
    assert_true(accepted > 100); /* the test does exercise acceptance */
}

/* ---- the scan itself needs little stack ---- */

typedef struct {
    const char *text;
    size_t len;
    jsonscan_result r;
    size_t off;
} scan_job;

static void *scan_thread(void *arg)
{
    scan_job *job = arg;
    job->r = jsonscan_check(job->text, job->len, 1000, 1000, &job->off);
    return NULL;
}

static void test_small_stack(void **state)
{
    (void)state;
    char *b = repeat("", "[", 1u << 20, "");
    scan_job job = {b, 1u << 20, JSONSCAN_OK, 0};
    pthread_attr_t attr;
    pthread_t t;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, 65536), 0);
    assert_int_equal(pthread_create(&t, &attr, scan_thread, &job), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(pthread_attr_destroy(&attr), 0);
    assert_int_equal(job.r, JSONSCAN_TOO_DEEP);
    assert_int_equal(job.off, JSONSCAN_MAX_DEPTH);
    free(b);
}

static void test_strerror(void **state)
{
    (void)state;
    const char *texts[4];
    for (int i = 0; i < 4; i++) {
        texts[i] = jsonscan_strerror((jsonscan_result)i);
        assert_non_null(texts[i]);
        for (int k = 0; k < i; k++) assert_string_not_equal(texts[i], texts[k]);
    }
    assert_string_equal(jsonscan_strerror(JSONSCAN_TOO_DEEP), "nested too deeply");
    assert_non_null(jsonscan_strerror((jsonscan_result)42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_inputs),      cmocka_unit_test(test_large_batch),
        cmocka_unit_test(test_depth_limit),       cmocka_unit_test(test_member_limit),
        cmocka_unit_test(test_well_formed),       cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nul_bytes),         cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_agrees_with_cjson), cmocka_unit_test(test_cjson_is_laxer),
        cmocka_unit_test(test_mutations_agree),   cmocka_unit_test(test_small_stack),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests_name("jsonscan", tests, NULL, NULL);
}
