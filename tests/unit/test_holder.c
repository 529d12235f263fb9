/*
 * test_holder.c: the issuer's input (JSON and CSV) to api_claims.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "issuer/holder.h"

/* ---- JSON ---- */

/* The example of the brief, one field per entry so tests can drop or replace one. */
static const struct {
    const char *key, *value;
} example[] = {
    {"family_name", "\"DIALLO\""},
    {"given_names", "\"Aminata\""},
    {"birth_date", "\"1990-04-12\""},
    {"nationality", "\"SEN\""},
    {"foreign_national_number", "\"7503123456\""},
    {"application", "\"renewal\""},
    {"title_requested", "\"carte de séjour pluriannuelle salarié\""},
    {"work_authorised", "true"},
    {"filed_on", "\"2026-09-01\""},
    {"valid_from", "\"2026-09-15\""},
    {"valid_until", "\"2026-12-15\""},
    {"previous_title", "{\"number\": \"7501234567\", \"expires_on\": \"2026-09-30\"}"},
};
#define NEX  (sizeof example / sizeof example[0])
#define NREQ (NEX - 1)

static char jbuf[16384];
static char err[256];

/* The example without field `skip` (or -1), with field `repl` set to `value`, plus `extra`. */
static const char *json_with(int skip, int repl, const char *value, const char *extra)
{
    size_t o = 0;
    o += (size_t)snprintf(jbuf + o, sizeof jbuf - o, "{");
    int first = 1;
    for (int i = 0; i < (int)NEX; i++) {
        if (i == skip) continue;
        o += (size_t)snprintf(jbuf + o, sizeof jbuf - o, "%s\"%s\": %s", first ? "" : ", ", example[i].key,
                              i == repl ? value : example[i].value);
        first = 0;
    }
    if (extra) o += (size_t)snprintf(jbuf + o, sizeof jbuf - o, ", %s", extra);
    snprintf(jbuf + o, sizeof jbuf - o, "}");
    return jbuf;
}

static api_err parse(api_claims *c, const char *json)
{
    err[0] = '\0';
    return holder_from_json(c, err, sizeof err, json, strlen(json));
}

static void expect_error(const char *json, const char *want_prefix)
{
    api_claims c;
    api_err e = parse(&c, json);
    if (e == API_OK) fail_msg("accepted: %s", json);
    if (strncmp(err, want_prefix, strlen(want_prefix)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\" for %s", err, want_prefix, json);
    /* claims are zeroed on failure */
    static const api_claims zero;
    assert_memory_equal(&c, &zero, sizeof c);
}

static int field_index(const char *key)
{
    for (int i = 0; i < (int)NEX; i++)
        if (!strcmp(example[i].key, key)) return i;
    fail_msg("no field %s", key);
    return -1;
}

static void expect_value_error(const char *key, const char *value, const char *want)
{
    expect_error(json_with(-1, field_index(key), value, NULL), want);
}

static void expect_value_ok(api_claims *c, const char *key, const char *value)
{
    api_err e = parse(c, json_with(-1, field_index(key), value, NULL));
    if (e != API_OK) fail_msg("%s = %s refused: %s", key, value, err);
}

static void test_example(void **state)
{
    (void)state;
    api_claims c;
    memset(&c, 0x55, sizeof c);
    assert_int_equal(parse(&c, json_with(-1, -1, NULL, NULL)), API_OK);
    assert_string_equal(err, "");
    assert_string_equal(c.fn, "DIALLO");
    assert_string_equal(c.gn, "Aminata");
    assert_string_equal(c.dob, "1990-04-12");
    assert_string_equal(c.nat, "SEN");
    assert_string_equal(c.fnn, "7503123456");
    assert_int_equal(c.app, CLAIMS_APP_RENEWAL);
    assert_string_equal(c.tit, "carte de séjour pluriannuelle salarié");
    assert_int_equal(c.wrk, CLAIMS_WRK_YES);
    assert_string_equal(c.fil, "2026-09-01");
    assert_int_equal(c.nbf, 1789423200); /* 2026-09-14T22:00:00Z */
    assert_int_equal(c.exp, 1797375599); /* 2026-12-15T22:59:59Z */
    assert_int_equal(c.has_prv, 1);
    assert_string_equal(c.prv_no, "7501234567");
    assert_string_equal(c.prv_exp, "2026-09-30");
    assert_int_equal(c.v, 1);
    /* left for the caller */
    assert_string_equal(c.iss, "");
    assert_int_equal(c.iat, 0);
    static const uint8_t zero_cti[CLAIMS_CTI_LEN];
    assert_memory_equal(c.cti, zero_cti, sizeof zero_cti);
    assert_int_equal(c.status_idx, 0);
    assert_string_equal(c.status_uri, "");

    /* the exact text of the brief, not built by the helper */
    static const char brief[] =
        "{\"family_name\": \"DIALLO\", \"given_names\": \"Aminata\", \"birth_date\": \"1990-04-12\", "
        "\"nationality\": \"SEN\", \"foreign_national_number\": \"7503123456\", \"application\": "
        "\"renewal\", \"title_requested\": \"carte de séjour pluriannuelle salarié\", "
        "\"work_authorised\": true, \"filed_on\": \"2026-09-01\", \"valid_from\": \"2026-09-15\", "
        "\"valid_until\": \"2026-12-15\", \"previous_title\": {\"number\": \"7501234567\", "
        "\"expires_on\": \"2026-09-30\"}}";
    api_claims c2;
    assert_int_equal(holder_from_json(&c2, err, sizeof err, brief, sizeof brief - 1), API_OK);
    assert_memory_equal(&c, &c2, sizeof c);
    /* not NUL-terminated: only len bytes are read */
    char *copy = malloc(sizeof brief - 1);
    assert_non_null(copy);
    memcpy(copy, brief, sizeof brief - 1);
    assert_int_equal(holder_from_json(&c2, err, sizeof err, copy, sizeof brief - 1), API_OK);
    free(copy);
}

static void test_without_previous_title(void **state)
{
    (void)state;
    api_claims c;
    assert_int_equal(parse(&c, json_with((int)NREQ, -1, NULL, NULL)), API_OK);
    assert_int_equal(c.has_prv, 0);
    assert_string_equal(c.prv_no, "");
    assert_string_equal(c.prv_exp, "");
    assert_int_equal(parse(&c, json_with(-1, (int)NREQ, "null", NULL)), API_OK);
    assert_int_equal(c.has_prv, 0);
}

static void test_each_required_field_missing(void **state)
{
    (void)state;
    char want[64];
    for (int i = 0; i < (int)NREQ; i++) {
        snprintf(want, sizeof want, "%s: missing", example[i].key);
        expect_error(json_with(i, -1, NULL, NULL), want);
    }
    expect_error(json_with(-1, (int)NREQ, "{\"number\": \"7501234567\"}", NULL),
                 "previous_title.expires_on: missing");
    expect_error(json_with(-1, (int)NREQ, "{\"expires_on\": \"2026-09-30\"}", NULL),
                 "previous_title.number: missing");
    expect_error(json_with(-1, (int)NREQ, "{}", NULL), "previous_title.number: missing");
    expect_error("{}", "family_name: missing");
}

static void test_each_wrong_type(void **state)
{
    (void)state;
    static const char *const wrong[] = {"12", "null", "true", "[]", "{}", "[\"DIALLO\"]", "1.5"};
    char want[64];
    for (int i = 0; i < (int)NREQ; i++) {
        for (size_t k = 0; k < sizeof wrong / sizeof wrong[0]; k++) {
            if (!strcmp(example[i].key, "work_authorised") && !strcmp(wrong[k], "true")) continue;
            snprintf(want, sizeof want, "%s: expected ", example[i].key);
            expect_error(json_with(-1, i, wrong[k], NULL), want);
        }
    }
    expect_value_error("work_authorised", "1", "work_authorised: expected true, false or \"previous\"");
    expect_value_error("work_authorised", "\"yes\"", "work_authorised: expected");
    expect_value_error("work_authorised", "\"true\"", "work_authorised: expected");
    expect_value_error("previous_title", "\"7501234567\"", "previous_title: expected an object");
    expect_value_error("previous_title", "[]", "previous_title: expected an object");
    expect_value_error("previous_title", "{\"number\": 7501234567, \"expires_on\": \"2026-09-30\"}",
                       "previous_title.number: expected a string");
    expect_value_error("previous_title", "{\"number\": \"7501234567\", \"expires_on\": null}",
                       "previous_title.expires_on: expected a string");
}

static void test_each_invalid_value(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value, *want;
    } cases[] = {
        {"family_name", "\"\"", "family_name: empty"},
        {"family_name", "\"   \"", "family_name: empty"},
        {"birth_date", "\"12/04/1990\"", "birth_date: expected YYYY-MM-DD, YYYY-MM or YYYY"},
        {"birth_date", "\"1990-02-30\"", "birth_date: expected YYYY-MM-DD, YYYY-MM or YYYY"},
        {"birth_date", "\"1990-13\"", "birth_date: expected YYYY-MM-DD, YYYY-MM or YYYY"},
        {"birth_date", "\"2026-09-02\"", "birth_date: after filed_on"},
        {"nationality", "\"SN\"", "nationality: expected 3 letters"},
        {"nationality", "\"SENE\"", "nationality: expected 3 letters"},
        {"nationality", "\"S3N\"", "nationality: expected 3 letters"},
        {"nationality", "\"SÉN\"", "nationality: expected 3 letters"},
        {"foreign_national_number", "\"750312345\"", "foreign_national_number: expected 10 digits"},
        {"foreign_national_number", "\"75031234567\"", "foreign_national_number: expected 10 digits"},
        {"foreign_national_number", "\"750312345a\"", "foreign_national_number: expected 10 digits"},
        {"foreign_national_number", "\"75031 3456\"", "foreign_national_number: expected 10 digits"},
        {"application", "\"new\"", "application: expected first, renewal or change"},
        {"application", "\"\"", "application: empty"},
        {"title_requested", "\"\"", "title_requested: empty"},
        {"work_authorised", "\"maybe\"", "work_authorised: expected"},
        {"filed_on", "\"2026-9-01\"", "filed_on: expected a real date YYYY-MM-DD"},
        {"filed_on", "\"2026-09-16\"", "filed_on: after valid_from"},
        {"valid_from", "\"2026-02-29\"", "valid_from: expected a real date YYYY-MM-DD"},
        {"valid_from", "\"2026-09-15T00:00:00Z\"", "valid_from: expected a real date YYYY-MM-DD"},
        {"valid_until", "\"2026-12-16\"", "valid_until: more than three months after valid_from"},
        {"valid_until", "\"2027-09-15\"", "valid_until: more than three months after valid_from"},
        {"valid_until", "\"2026-09-14\"", "valid_until: before valid_from"},
        {"valid_until", "\"15/12/2026\"", "valid_until: expected a real date YYYY-MM-DD"},
        {"previous_title", "{\"number\": \"7501 234567\", \"expires_on\": \"2026-09-30\"}",
         "previous_title.number: expected"},
        {"previous_title",
         "{\"number\": \"12345678901234567890123456789012\", \"expires_on\": \"2026-09-30\"}",
         "previous_title.number: expected"},
        {"previous_title", "{\"number\": \"7501234567\", \"expires_on\": \"2026-09-31\"}",
         "previous_title.expires_on: expected a real date YYYY-MM-DD"},
        {"previous_title", "{\"number\": \"\", \"expires_on\": \"2026-09-30\"}",
         "previous_title.number: empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_value_error(cases[i].key, cases[i].value, cases[i].want);
}

static void test_accepted_variants(void **state)
{
    (void)state;
    api_claims c;
    expect_value_ok(&c, "nationality", "\"sen\"");
    assert_string_equal(c.nat, "SEN");
    expect_value_ok(&c, "family_name", "\"  DIALLO  \"");
    assert_string_equal(c.fn, "DIALLO");
    /* Some people have no given name: an empty value is accepted (docs/format.md allows an empty gn). */
    api_claims no_given;
    expect_value_ok(&no_given, "given_names", "\"\"");
    assert_string_equal(no_given.gn, "");
    expect_value_ok(&c, "given_names", "\"Aminata Fatou\"");
    assert_string_equal(c.gn, "Aminata Fatou");
    expect_value_ok(&c, "family_name", "\"N\\u2019DIAYE\""); /* an escaped apostrophe U+2019 */
    assert_string_equal(c.fn, "N\xE2\x80\x99"
                              "DIAYE");
    expect_value_ok(&c, "birth_date", "\"1990-04\"");
    assert_string_equal(c.dob, "1990-04");
    expect_value_ok(&c, "birth_date", "\"1990\"");
    assert_string_equal(c.dob, "1990");
    expect_value_ok(&c, "birth_date", "\"2026\""); /* same year as filed_on */
    expect_value_ok(&c, "application", "\"first\"");
    assert_int_equal(c.app, CLAIMS_APP_FIRST);
    expect_value_ok(&c, "application", "\"change\"");
    assert_int_equal(c.app, CLAIMS_APP_CHANGE);
    expect_value_ok(&c, "application", "\"change_of_status\"");
    assert_int_equal(c.app, CLAIMS_APP_CHANGE);
    expect_value_ok(&c, "work_authorised", "false");
    assert_int_equal(c.wrk, CLAIMS_WRK_NO);
    expect_value_ok(&c, "work_authorised", "\"previous\"");
    assert_int_equal(c.wrk, CLAIMS_WRK_PREVIOUS);
    expect_value_ok(&c, "filed_on", "\"2026-09-15\"");    /* filed the day it starts */
    expect_value_ok(&c, "valid_until", "\"2026-09-15\""); /* one day */
    assert_int_equal(c.exp - c.nbf, 86399);

    /* clamping: 30 November + 3 months = 28 February */
    const char *j =
        "{\"family_name\": \"A\", \"given_names\": \"B\", \"birth_date\": \"1990\", "
        "\"nationality\": \"SEN\", \"foreign_national_number\": \"7503123456\", "
        "\"application\": \"first\", \"title_requested\": \"T\", \"work_authorised\": false, "
        "\"filed_on\": \"2026-11-01\", \"valid_from\": \"2026-11-30\", \"valid_until\": \"2027-02-28\"}";
    assert_int_equal(parse(&c, j), API_OK);
    const char *k =
        "{\"family_name\": \"A\", \"given_names\": \"B\", \"birth_date\": \"1990\", "
        "\"nationality\": \"SEN\", \"foreign_national_number\": \"7503123456\", "
        "\"application\": \"first\", \"title_requested\": \"T\", \"work_authorised\": false, "
        "\"filed_on\": \"2026-11-01\", \"valid_from\": \"2026-11-30\", \"valid_until\": \"2027-03-01\"}";
    expect_error(k, "valid_until: more than three months after valid_from");
}

static void test_name_bounds_and_utf8(void **state)
{
    (void)state;
    char v[400];
    api_claims c;
    /* 127 bytes accepted, 128 refused; with multi-byte characters too */
    memset(v, 0, sizeof v);
    v[0] = '"';
    memset(v + 1, 'A', 127);
    strcat(v, "\"");
    expect_value_ok(&c, "family_name", v);
    assert_int_equal(strlen(c.fn), 127);
    v[128] = 'A';
    v[129] = '"';
    expect_value_error("family_name", v, "family_name: longer than 127 bytes");
    memset(v, 0, sizeof v);
    v[0] = '"';
    for (int i = 0; i < 64; i++) strcat(v, "\xC3\xA9"); /* 128 bytes of é */
    strcat(v, "\"");
    expect_value_error("given_names", v, "given_names: longer than 127 bytes");
    memset(v, 0, sizeof v);
    v[0] = '"';
    memset(v + 1, 'T', 159);
    strcat(v, "\"");
    expect_value_ok(&c, "title_requested", v);
    v[160] = 'T';
    v[161] = '"';
    expect_value_error("title_requested", v, "title_requested: longer than 159 bytes");

    static const char *const bad_utf8[] = {
        "\"\xC0\xAF\"",         /* overlong '/' */
        "\"\xE0\x80\xAF\"",     /* overlong, 3 bytes */
        "\"\xF0\x80\x80\xAF\"", /* overlong, 4 bytes */
        "\"\xED\xA0\x80\"",     /* surrogate U+D800 */
        "\"\xED\xBF\xBF\"",     /* surrogate U+DFFF */
        "\"DIALLO\xC3\"",       /* cut short */
        "\"\xFF\"",
        "\"\x80\"",             /* lone continuation */
        "\"\xF4\x90\x80\x80\"", /* above U+10FFFF */
        "\"\xF8\x88\x80\x80\x80\"",
    };
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        expect_value_error("family_name", bad_utf8[i], "family_name: not valid UTF-8");
        expect_value_error("title_requested", bad_utf8[i], "title_requested: not valid UTF-8");
    }
    static const char *const controls[] = {"\"A\\u0001B\"",
                                           "\"A\\nB\"",
                                           "\"A\\tB\"",
                                           "\"A\x7f"
                                           "B\"",
                                           "\"A\xC2\x85"
                                           "B\"",
                                           "\"A\\u009fB\""};
    for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++)
        expect_value_error("given_names", controls[i], "given_names: contains a control character");
    /* the largest code point and a 4-byte character are fine */
    expect_value_ok(&c, "given_names", "\"\xF4\x8F\xBF\xBF \xF0\x9F\x98\x80\"");
    /* \u0000 would cut the string short in cJSON: refused */
    expect_value_error("family_name", "\"DIALLO\\u0000X\"", "json: \\u0000");
    /* but an escaped backslash followed by u0000 is just text */
    expect_value_ok(&c, "title_requested", "\"a\\\\u0000\"");
    assert_string_equal(c.tit, "a\\u0000");
}

static void test_unknown_and_duplicate_fields(void **state)
{
    (void)state;
    expect_error(json_with(-1, -1, NULL, "\"familyname\": \"DIALLO\""), "familyname: unknown field");
    expect_error(json_with(-1, -1, NULL, "\"Family_Name\": \"DIALLO\""), "Family_Name: unknown field");
    expect_error(json_with(-1, -1, NULL, "\"iss\": \"FR-75\""), "iss: unknown field");
    expect_error(json_with(-1, (int)NREQ,
                           "{\"number\": \"7501234567\", \"expires_on\": \"2026-09-30\", \"x\": 1}", NULL),
                 "previous_title.x: unknown field");
    expect_error(json_with(-1, -1, NULL, "\"family_name\": \"OTHER\""), "family_name: duplicate field");
    expect_error(json_with(-1, -1, NULL, "\"work_authorised\": false"), "work_authorised: duplicate field");
    expect_error(json_with(-1, -1, NULL, "\"previous_title\": null"), "previous_title: duplicate field");
    /* an unknown key is echoed only as printable ASCII, cut short */
    expect_error(json_with(-1, -1, NULL, "\"a\\u0001\\u00e9b\": 1"), "a???b: unknown field");
    char longkey[300];
    snprintf(longkey, sizeof longkey, "\"%0200d\": 1", 0);
    expect_error(json_with(-1, -1, NULL, longkey),
                 "0000000000000000000000000000000000000000...: unknown field");
}

static void test_json_syntax(void **state)
{
    (void)state;
    api_claims c;
    expect_error("", "json: syntax error");
    expect_error("{", "json: syntax error");
    expect_error("{\"family_name\": \"DIALLO\",}", "json: syntax error");
    expect_error("[]", "json: expected an object");
    expect_error("\"text\"", "json: expected an object");
    expect_error("null", "json: expected an object");
    expect_error("{} {}", "json: data after the object");
    assert_int_equal(parse(&c, json_with(-1, -1, NULL, NULL)), API_OK);
    char withspace[4096];
    snprintf(withspace, sizeof withspace, " \n%s\r\n ", json_with(-1, -1, NULL, NULL));
    assert_int_equal(parse(&c, withspace), API_OK);
    /* a NUL inside the input */
    const char *j = json_with(-1, -1, NULL, NULL);
    char buf[4096];
    size_t n = strlen(j);
    memcpy(buf, j, n);
    buf[n] = '\0';
    buf[n + 1] = ' ';
    assert_int_equal(holder_from_json(&c, err, sizeof err, buf, n + 2), API_ERR_CLAIMS);
    assert_string_equal(err, "json: contains a NUL byte");
    /* deep nesting is an error, not a crash */
    static char deep[5000];
    memset(deep, '[', 2000);
    assert_int_not_equal(holder_from_json(&c, err, sizeof err, deep, 2000), API_OK);
    /* too large */
    assert_int_equal(holder_from_json(&c, err, sizeof err, deep, HOLDER_JSON_MAX + 1), API_ERR_TOO_LARGE);
    /* small or absent error buffers */
    char tiny[8];
    assert_int_equal(holder_from_json(&c, tiny, sizeof tiny, "[]", 2), API_ERR_CLAIMS);
    assert_string_equal(tiny, "json: e");
    assert_int_equal(holder_from_json(&c, NULL, 0, "[]", 2), API_ERR_CLAIMS);
    assert_int_equal(holder_from_json(NULL, err, sizeof err, "[]", 2), API_ERR_ARG);
    assert_int_equal(holder_from_json(&c, err, sizeof err, NULL, 0), API_ERR_ARG);
}

/* The nesting and sizes are checked before cJSON builds anything, with the byte where it went wrong. */
static void test_json_depth_and_size(void **state)
{
    (void)state;
    api_claims c;
    /* the format nests two levels: the object, and previous_title in it */
    assert_int_equal(parse(&c, json_with(-1, -1, NULL, NULL)), API_OK);
    char want[96];
    const char *j =
        json_with(-1, (int)NREQ, "{\"number\": [\"7501234567\"], \"expires_on\": \"2026-09-30\"}", NULL);
    snprintf(want, sizeof want, "json: nested more than 2 levels deep at byte %zu",
             (size_t)(strchr(j, '[') - j));
    expect_error(j, want);
    expect_error("{\"family_name\": {\"a\": {}}}", "json: nested more than 2 levels deep at byte 22");
    expect_error("{\"x\": [[1]]}", "json: nested more than 2 levels deep at byte 7");
    expect_error("[[[", "json: nested more than 2 levels deep at byte 2");
    /* a too-deep holder file: refused at its third bracket, however deep it goes */
    static char deep[HOLDER_JSON_MAX];
    memset(deep, '[', sizeof deep);
    assert_int_equal(holder_from_json(&c, err, sizeof err, deep, sizeof deep), API_ERR_CLAIMS);
    assert_string_equal(err, "json: nested more than 2 levels deep at byte 2");
    for (size_t i = 0; i + 5 <= sizeof deep; i += 5) memcpy(deep + i, "{\"a\":", 5);
    assert_int_equal(holder_from_json(&c, err, sizeof err, deep, sizeof deep), API_ERR_CLAIMS);
    assert_string_equal(err, "json: nested more than 2 levels deep at byte 10");
    /* the same file on a small thread stack is the same error, not a crash: see test_jsonscan */

    /* at most 32 members in an object or items in an array */
    char big[4096];
    size_t o = (size_t)snprintf(big, sizeof big, "{\"x0\": 0");
    for (int i = 1; i < 32; i++) o += (size_t)snprintf(big + o, sizeof big - o, ", \"x%d\": 0", i);
    snprintf(big + o, sizeof big - o, "}");
    expect_error(big, "x0: unknown field"); /* 32: read, and the first unknown one named */
    size_t at = o + 2;
    snprintf(big + o, sizeof big - o, ", \"x32\": 0}");
    snprintf(want, sizeof want, "json: more than 32 members in one object or array at byte %zu", at);
    expect_error(big, want);
    o = (size_t)snprintf(big, sizeof big, "{\"family_name\": [0");
    for (int i = 1; i < 40; i++) o += (size_t)snprintf(big + o, sizeof big - o, ",0");
    snprintf(big + o, sizeof big - o, "]}");
    expect_error(big, "json: more than 32 members in one object or array at byte 81");
    /* a 1 MiB array is refused at its 33rd item */
    memset(deep, ' ', sizeof deep);
    memcpy(deep, "{\"a\":[0", 7);
    for (size_t i = 7; i + 2 <= sizeof deep; i += 2) memcpy(deep + i, ",0", 2);
    assert_int_equal(holder_from_json(&c, err, sizeof err, deep, sizeof deep), API_ERR_CLAIMS);
    assert_string_equal(err, "json: more than 32 members in one object or array at byte 70");
}

/* The syntax is JSON's, and the messages give the byte where it breaks. */
static void test_json_syntax_offsets(void **state)
{
    (void)state;
    api_claims c;
    expect_error("", "json: syntax error at byte 0");
    expect_error("{", "json: syntax error at byte 1");
    expect_error("{\"family_name\": \"DIALLO\",}", "json: syntax error at byte 25");
    expect_error("{\"family_name\" \"DIALLO\"}", "json: syntax error at byte 15");
    expect_error("{family_name: 1}", "json: syntax error at byte 1");
    expect_error("{\"family_name\": \"DIALLO}", "json: syntax error at byte 24");
    /* a raw control character in a string, and white space JSON does not have */
    expect_error("{\"family_name\": \"DI\tALLO\"}", "json: syntax error at byte 19");
    expect_error("\f{}", "json: syntax error at byte 0");
    expect_error("{}\v", "json: data after the object");
    expect_error("{}}", "json: data after the object");
    /* a UTF-8 byte-order mark is skipped; offsets still count it */
    char bom[4096];
    snprintf(bom, sizeof bom, "\xEF\xBB\xBF%s", json_with(-1, -1, NULL, NULL));
    assert_int_equal(parse(&c, bom), API_OK);
    expect_error("\xEF\xBB\xBF{", "json: syntax error at byte 4");
    expect_error("\xEF\xBB\xBF[[[", "json: nested more than 2 levels deep at byte 5");
    expect_error("\xEF\xBB\xBF\xEF\xBB\xBF{}", "json: syntax error at byte 3");
}

/* ---- CSV ---- */

#define HEADER                                                                                               \
    "family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,"    \
    "work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on"

#define ROW_GOOD                                                                                             \
    "DIALLO,Aminata,1990-04-12,SEN,7503123456,renewal,carte de séjour pluriannuelle salarié,true,"         \
    "2026-09-01,2026-09-15,2026-12-15,7501234567,2026-09-30"

static holder_csv *open_csv(const char *data)
{
    holder_csv *csv = NULL;
    err[0] = '\0';
    api_err e = holder_csv_open(&csv, err, sizeof err, data, strlen(data));
    if (e != API_OK) fail_msg("open failed: %s", err);
    return csv;
}

static void expect_open_error(const char *data, const char *want)
{
    holder_csv *csv = (holder_csv *)1;
    api_err e = holder_csv_open(&csv, err, sizeof err, data, strlen(data));
    if (e == API_OK) fail_msg("header accepted: %s", data);
    assert_int_equal(e, API_ERR_CLAIMS);
    assert_null(csv);
    if (!strstr(err, want)) fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void expect_row(holder_csv *csv, api_claims *c, size_t want_line)
{
    size_t line = 0;
    int r = holder_csv_next(csv, c, &line, err, sizeof err);
    if (r != 1) fail_msg("expected a good row at line %zu, got %d: %s", want_line, r, err);
    assert_int_equal(line, want_line);
}

static void expect_bad_row(holder_csv *csv, size_t want_line, const char *want)
{
    api_claims c;
    size_t line = 0;
    int r = holder_csv_next(csv, &c, &line, err, sizeof err);
    if (r != -1) fail_msg("expected a bad row at line %zu, got %d", want_line, r);
    assert_int_equal(line, want_line);
    if (strcmp(err, want) != 0) fail_msg("error \"%s\", expected \"%s\"", err, want);
}

static void expect_end(holder_csv *csv)
{
    api_claims c;
    size_t line = 0;
    assert_int_equal(holder_csv_next(csv, &c, &line, err, sizeof err), 0);
    assert_int_equal(holder_csv_next(csv, &c, &line, err, sizeof err), 0);
}

static void test_csv_good_and_bad_rows(void **state)
{
    (void)state;
    const char *data =
        HEADER "\n" ROW_GOOD "\n"
               "DIALLO,Aminata,1990-04-12,SEN,75031,renewal,T,true,2026-09-01,2026-09-15,2026-12-15,,\n"
               "MARTIN,Paul,1985,cod,1234567890,first,titre,OUI,2026-01-10,2026-01-15,2026-04-15,,\n"
               "\n"
               "X,Y,1990,SEN,1234567890,first,T,yes,2026-01-10,2026-01-15,2026-04-16,,\n"
               "KONÉ,Awa,1979-11,MLI,0987654321,change,titre,previous,2026-02-01,2026-02-02,2026-05-01,A-123,"
               "2027-01-01\n";
    holder_csv *csv = open_csv(data);
    api_claims c;
    expect_row(csv, &c, 2);
    assert_string_equal(c.fn, "DIALLO");
    assert_string_equal(c.tit, "carte de séjour pluriannuelle salarié");
    assert_int_equal(c.nbf, 1789423200);
    assert_int_equal(c.exp, 1797375599);
    assert_int_equal(c.has_prv, 1);
    assert_string_equal(c.prv_no, "7501234567");
    /* the same claims as the JSON example */
    api_claims j;
    assert_int_equal(parse(&j, json_with(-1, -1, NULL, NULL)), API_OK);
    assert_memory_equal(&c, &j, sizeof c);

    expect_bad_row(csv, 3, "line 3: foreign_national_number: expected 10 digits");
    expect_row(csv, &c, 4);
    assert_string_equal(c.fn, "MARTIN");
    assert_string_equal(c.nat, "COD");
    assert_int_equal(c.wrk, CLAIMS_WRK_YES);
    assert_int_equal(c.has_prv, 0);
    assert_int_equal(c.app, CLAIMS_APP_FIRST);
    expect_bad_row(csv, 6, "line 6: valid_until: more than three months after valid_from");
    expect_row(csv, &c, 7);
    assert_string_equal(c.fn, "KONÉ");
    assert_int_equal(c.wrk, CLAIMS_WRK_PREVIOUS);
    assert_int_equal(c.app, CLAIMS_APP_CHANGE);
    assert_string_equal(c.prv_no, "A-123");
    expect_end(csv);
    holder_csv_close(csv);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    const char *data = HEADER
        "\n"
        "\"DIALLO\",\"Aminata, Fatou\",1990-04-12,SEN,7503123456,renewal,"
        "\"carte de séjour \"\"salarié\"\", pluriannuelle\",true,2026-09-01,2026-09-15,2026-12-15,\"\",\"\"\n"
        /* a newline inside quotes: one row on lines 3-4, refused for its content */
        "DIALLO,\"Aminata\nFatou\",1990-04-12,SEN,7503123456,renewal,T,true,2026-09-01,2026-09-15,2026-12-15,"
        ",\n"
        "\"\",B,1990,SEN,7503123456,first,T,no,2026-09-01,2026-09-15,2026-12-15,,\n"
        "A,B,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,\n"
        "A,\"B\"x,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,\n"
        "A,B\"C,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,\n"
        "A,B,1990,SEN,7503123456,first,\"\",0,2026-09-01,2026-09-15,2026-12-15,,\n";
    holder_csv *csv = open_csv(data);
    api_claims c;
    expect_row(csv, &c, 2);
    assert_string_equal(c.gn, "Aminata, Fatou");
    assert_string_equal(c.tit, "carte de séjour \"salarié\", pluriannuelle");
    assert_int_equal(c.has_prv, 0);
    expect_bad_row(csv, 3, "line 3: given_names: contains a control character");
    expect_bad_row(csv, 5, "line 5: family_name: empty");
    expect_row(csv, &c, 6);
    assert_int_equal(c.wrk, CLAIMS_WRK_NO);
    expect_bad_row(csv, 7, "line 7: given_names: characters after a closing quote");
    expect_bad_row(csv, 8, "line 8: given_names: quote inside an unquoted field");
    expect_bad_row(csv, 9, "line 9: title_requested: empty");
    expect_end(csv);
    holder_csv_close(csv);
}

static void test_csv_crlf_bom_blank(void **state)
{
    (void)state;
    const char *data = "\xEF\xBB\xBF" HEADER "\r\n"
                       "\r\n" ROW_GOOD "\r\n"
                       "   \r\n"
                       "A,\"B\r\nC\",1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,\r\n"
                       "A,B,1990,SEN,7503123456,first,\" T \",No,2026-09-01,2026-09-15,2026-12-15,,\r\n"
                       "\r\n\r\n";
    holder_csv *csv = open_csv(data);
    api_claims c;
    expect_row(csv, &c, 3);
    assert_string_equal(c.fn, "DIALLO");
    assert_string_equal(c.prv_exp, "2026-09-30"); /* no '\r' kept at the end of the row */
    expect_bad_row(csv, 5, "line 5: given_names: contains a control character");
    expect_row(csv, &c, 7);
    assert_string_equal(c.tit, "T");
    assert_int_equal(c.wrk, CLAIMS_WRK_NO);
    expect_end(csv);
    holder_csv_close(csv);

    /* no final newline */
    csv = open_csv(HEADER "\n" ROW_GOOD);
    expect_row(csv, &c, 2);
    expect_end(csv);
    holder_csv_close(csv);
    /* header only */
    csv = open_csv(HEADER);
    expect_end(csv);
    holder_csv_close(csv);
    /* columns in another order, previous title columns left out */
    csv = open_csv(
        "valid_until,valid_from,filed_on,work_authorised,title_requested,application,"
        "foreign_national_number,nationality,birth_date,given_names,family_name\n"
        "2026-12-15,2026-09-15,2026-09-01,true,T,renewal,7503123456,SEN,1990-04-12,Aminata,DIALLO\n");
    expect_row(csv, &c, 2);
    assert_string_equal(c.fn, "DIALLO");
    assert_int_equal(c.exp, 1797375599);
    assert_int_equal(c.has_prv, 0);
    expect_end(csv);
    holder_csv_close(csv);
}

static void test_csv_header_errors(void **state)
{
    (void)state;
    expect_open_error("", "header: no header row");
    expect_open_error("\xEF\xBB\xBF", "header: no header row");
    expect_open_error("\n\n", "header: no header row");
    expect_open_error("family_name,given_names,birth_date,nationality,foreign_national_number,application,"
                      "title_requested,work_authorised,filed_on,valid_from\n",
                      "missing column \"valid_until\"");
    expect_open_error("family_name,given_names,birth_date,nationality,foreign_national_number,application,"
                      "title_requested,work_authorised,filed_on\n",
                      "missing column \"valid_from\"; missing column \"valid_until\"");
    expect_open_error(HEADER ",colour\n", "unknown column \"colour\"");
    expect_open_error("famly_name,given_names,birth_date,nationality,foreign_national_number,application,"
                      "title_requested,work_authorised,filed_on,valid_from,valid_until\n",
                      "header: unknown column \"famly_name\"; missing column \"family_name\"");
    expect_open_error(HEADER ",family_name\n", "duplicate column \"family_name\"");
    expect_open_error(
        "family_name,given_names,birth_date,nationality,foreign_national_number,application,"
        "title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number\n",
        "missing column \"previous_title_expires_on\"");
    expect_open_error("\"family_name,given_names\n", "header: unterminated quoted field");
    char many[2048] = HEADER;
    for (int i = 0; i < 40; i++) strcat(many, ",x");
    expect_open_error(many, "header: too many columns");

    holder_csv *csv = NULL;
    assert_int_equal(holder_csv_open(&csv, err, sizeof err, "", (size_t)HOLDER_CSV_MAX + 1),
                     API_ERR_TOO_LARGE);
    assert_null(csv);
    assert_int_equal(holder_csv_open(NULL, err, sizeof err, "", 0), API_ERR_ARG);
    holder_csv_close(NULL);
}

static void test_csv_ragged_and_unterminated(void **state)
{
    (void)state;
    char longfield[5000];
    memset(longfield, 'A', 4097);
    longfield[4097] = '\0';
    char *data = malloc(20000);
    assert_non_null(data);
    snprintf(data, 20000,
             HEADER
             "\n"
             "A,B,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15\n"    /* 11 fields */
             "A,B,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,,\n" /* 14 fields */
             ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"                    /* 51 fields */
             "%s,B,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,\n" /* 4097 bytes */
             "A,B,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,7501234567,\n" ROW_GOOD "\n"
             "A,\"B,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,\n" ROW_GOOD "\n",
             longfield);
    holder_csv *csv = open_csv(data);
    api_claims c;
    expect_bad_row(csv, 2, "line 2: expected 13 fields, found 11");
    expect_bad_row(csv, 3, "line 3: expected 13 fields, found 14");
    expect_bad_row(csv, 4, "line 4: expected 13 fields, found 51");
    expect_bad_row(csv, 5, "line 5: family_name: longer than 4096 bytes");
    expect_bad_row(csv, 6,
                   "line 6: previous_title_expires_on: missing (required with previous_title_number)");
    expect_row(csv, &c, 7);
    /* the quote never closes: the rest of the input is that row */
    expect_bad_row(csv, 8, "line 8: given_names: unterminated quoted field");
    expect_end(csv);
    holder_csv_close(csv);

    /* exactly 4096 bytes is fine for the reader (then too long for a name) */
    memset(longfield, 'A', 4096);
    longfield[4096] = '\0';
    snprintf(data, 20000, HEADER "\n%s,B,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,\n",
             longfield);
    csv = open_csv(data);
    expect_bad_row(csv, 2, "line 2: family_name: longer than 127 bytes");
    expect_end(csv);
    holder_csv_close(csv);

    /* a NUL byte inside a field */
    char withnul[1024];
    int n = snprintf(withnul, sizeof withnul,
                     HEADER "\nA,B,1990,SEN,7503123456,first,T,0,2026-09-01,2026-09-15,2026-12-15,,\n");
    char *at = strstr(withnul, "\nA,B") + 3;
    *at = '\0'; /* B -> NUL */
    holder_csv *csv2 = NULL;
    assert_int_equal(holder_csv_open(&csv2, err, sizeof err, withnul, (size_t)n), API_OK);
    expect_bad_row(csv2, 2, "line 2: given_names: contains a NUL byte");
    expect_end(csv2);
    holder_csv_close(csv2);
    free(data);
}

static void test_csv_work_authorised_words(void **state)
{
    (void)state;
    static const struct {
        const char *word;
        unsigned wrk;
    } words[] = {{"true", 1},  {"TRUE", 1}, {"yes", 1}, {"Oui", 1}, {"1", 1},        {"false", 0},
                 {"False", 0}, {"no", 0},   {"NON", 0}, {"0", 0},   {"previous", 2}, {"PREVIOUS", 2}};
    char data[1024];
    api_claims c;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        snprintf(data, sizeof data,
                 HEADER "\nA,B,1990,SEN,7503123456,first,T,%s,2026-09-01,2026-09-15,2026-12-15,,\n",
                 words[i].word);
        holder_csv *csv = open_csv(data);
        expect_row(csv, &c, 2);
        assert_int_equal(c.wrk, words[i].wrk);
        holder_csv_close(csv);
    }
    snprintf(data, sizeof data,
             HEADER "\nA,B,1990,SEN,7503123456,first,T,2,2026-09-01,2026-09-15,2026-12-15,,\n");
    holder_csv *csv = open_csv(data);
    expect_bad_row(csv, 2, "line 2: work_authorised: expected true, false or previous");
    holder_csv_close(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_without_previous_title),
        cmocka_unit_test(test_each_required_field_missing),
        cmocka_unit_test(test_each_wrong_type),
        cmocka_unit_test(test_each_invalid_value),
        cmocka_unit_test(test_accepted_variants),
        cmocka_unit_test(test_name_bounds_and_utf8),
        cmocka_unit_test(test_unknown_and_duplicate_fields),
        cmocka_unit_test(test_json_syntax),
        cmocka_unit_test(test_json_depth_and_size),
        cmocka_unit_test(test_json_syntax_offsets),
        cmocka_unit_test(test_csv_good_and_bad_rows),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_crlf_bom_blank),
        cmocka_unit_test(test_csv_header_errors),
        cmocka_unit_test(test_csv_ragged_and_unterminated),
        cmocka_unit_test(test_csv_work_authorised_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
