/*
 * test_textbytes.c: the small shared helpers of common/: big-endian
 * integers and hex (bytes.h), the UTF-8 and control-character policy
 * (text.h), the growable buffer (buf.h), the tools' JSON files
 * (jsonfile.h), and the issuer-id grammar (qr/claims.h); and that the formats apply the one policy: a C1
 * control in a name is refused by the claims and by the trust list alike (before common/text.h, both accepted
 * U+0080..U+009F while the issuer's input refused them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/bytes.h"
#include "common/jsonfile.h"
#include "common/text.h"
#include "qr/claims.h"
#include "qr/trust.h"

static void test_bytes(void **state)
{
    (void)state;
    uint8_t b[8];
    bytes_put_be32(b, 0x01020304u);
    assert_memory_equal(b, "\x01\x02\x03\x04", 4);
    assert_int_equal(bytes_get_be32(b), 0x01020304u);
    bytes_put_be64(b, 0x0102030405060708ull);
    assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true(bytes_get_be64(b) == 0x0102030405060708ull);
    const int64_t signed_values[] = {0, 1, -1, INT64_MAX, INT64_MIN, 1700000000, -1700000000};
    for (size_t i = 0; i < sizeof signed_values / sizeof signed_values[0]; i++) {
        bytes_put_be64s(b, signed_values[i]);
        assert_true(bytes_get_be64s(b) == signed_values[i]);
    }
    char hex[17];
    const uint8_t in[8] = {0x00, 0x01, 0xab, 0xcd, 0xef, 0x10, 0x99, 0xff};
    assert_string_equal(bytes_to_hex(hex, in, 8), "0001abcdef1099ff");
    uint8_t back[8];
    assert_int_equal(bytes_from_hex(back, 8, hex, 16), 0);
    assert_memory_equal(back, in, 8);
    assert_int_equal(bytes_from_hex(back, 8, "0001ABCDEF1099FF", 16), 0);
    assert_memory_equal(back, in, 8);
    assert_int_equal(bytes_from_hex(back, 8, hex, 15), -1);
    assert_int_equal(bytes_from_hex(back, 8, "0001abcdef1099fg", 16), -1);
    assert_int_equal(bytes_from_hex(back, 1, NULL, 2), -1);
    assert_string_equal(bytes_to_hex(hex, in, 0), "");
    assert_int_equal(bytes_hex_digit('0'), 0);
    assert_int_equal(bytes_hex_digit('9'), 9);
    assert_int_equal(bytes_hex_digit('a'), 10);
    assert_int_equal(bytes_hex_digit('F'), 15);
    assert_int_equal(bytes_hex_digit('g'), -1);
    assert_int_equal(bytes_hex_digit('/'), -1);
    assert_int_equal(bytes_hex_digit(0xc3), -1);
}

static void test_text(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        text_check want;
    } cases[] = {
        {"DIALLO", TEXT_OK},
        {"Aminata Fatou", TEXT_OK},
        {"Ngô Thị Lan", TEXT_OK},
        {"Ζωή", TEXT_OK},
        {"Юлия", TEXT_OK},
        {"أمينة", TEXT_OK},
        {"\xf0\x9f\x98\x80", TEXT_OK},       /* U+1F600 */
        {"a\tb", TEXT_CONTROL},              /* C0 */
        {"a\x7f", TEXT_CONTROL},             /* DEL */
        {"a\xc2\x85", TEXT_CONTROL},         /* U+0085, C1 */
        {"a\xc2\x9f", TEXT_CONTROL},         /* U+009F, C1 */
        {"a\xc2\xa0", TEXT_OK},              /* U+00A0 */
        {"\xc0\xaf", TEXT_BAD_UTF8},         /* overlong */
        {"\xe0\x80\xaf", TEXT_BAD_UTF8},     /* overlong */
        {"\xed\xa0\x80", TEXT_BAD_UTF8},     /* a surrogate */
        {"\xf4\x90\x80\x80", TEXT_BAD_UTF8}, /* over U+10FFFF */
        {"\xc3", TEXT_BAD_UTF8},             /* cut */
        {"\x80", TEXT_BAD_UTF8},             /* a lone continuation */
        {"\xc3\x28", TEXT_BAD_UTF8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        text_check got = text_check_plain((const uint8_t *)cases[i].s, strlen(cases[i].s));
        if (got != cases[i].want) fail_msg("case %zu: %d, wanted %d", i, got, cases[i].want);
        assert_int_equal(text_utf8_valid((const uint8_t *)cases[i].s, strlen(cases[i].s)),
                         cases[i].want != TEXT_BAD_UTF8);
    }
    assert_true(text_utf8_valid((const uint8_t *)"a\0b", 3));
    assert_int_equal(text_check_plain((const uint8_t *)"a\0b", 3), TEXT_CONTROL);
    assert_true(text_plain_ok("abc", 1, 4));
    assert_false(text_plain_ok("abcd", 1, 4));
    assert_false(text_plain_ok("", 1, 4));
    assert_true(text_plain_ok("", 0, 4));
    assert_false(text_plain_ok(NULL, 0, 4));
}

static void test_buf(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    buf_puts(&b, "api_");
    buf_printf(&b, "%s_%d", "x", 42);
    for (int i = 0; i < 1000; i++) buf_append(&b, "0123456789", 10);
    size_t len;
    char *s = buf_take(&b, &len);
    assert_non_null(s);
    assert_int_equal(len, 4 + 4 + 10000);
    assert_memory_equal(s, "api_x_42", 8);
    assert_int_equal(s[len], '\0');
    free(s);
    buf_init(&b, 10);
    buf_puts(&b, "12345");
    buf_puts(&b, "678901"); /* past max: fails, and so does the rest */
    buf_puts(&b, "x");
    assert_true(b.failed);
    assert_null(buf_take(&b, &len));
    buf_init(&b, 0);
    s = buf_take(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    buf_init(&b, 0);
    buf_printf(&b, "%0300d", 7); /* longer than the small stack buffer */
    s = buf_take(&b, &len);
    assert_int_equal(len, 300);
    assert_int_equal(s[299], '7');
    free(s);
    /* JSON strings: quotes, backslashes, every C0 control and DEL as \u00XX; UTF-8 as it is; NULL is null */
    buf_init(&b, 0);
    buf_json_string(&b, "Caf \"93\" \\ \n\x01\x7f/\xc3\xa9");
    buf_puts(&b, ",");
    buf_json_string(&b, NULL);
    buf_puts(&b, ",");
    buf_json_string(&b, "");
    s = buf_take(&b, &len);
    assert_string_equal(s, "\"Caf \\\"93\\\" \\\\ \\u000a\\u0001\\u007f/\xc3\xa9\",null,\"\"");
    free(s);
}

static void test_issuer_id(void **state)
{
    (void)state;
    static const char *const good[] = {"FR-75", "FR-13", "A-", "AB", "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!claims_iss_valid(good[i], strlen(good[i]))) fail_msg("'%s' refused", good[i]);
    static const char *const bad[] = {
        "", "F", "fr-75", "FR_75", "FR 75", "FR-75/", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "FR-7\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (claims_iss_valid(bad[i], strlen(bad[i]))) fail_msg("'%s' accepted", bad[i]);
    assert_false(claims_iss_valid("FR\0-75", 6));
    assert_false(claims_iss_valid(NULL, 3));
}

/* Claims that pass claims_validate, written field by field (no test kit: this file tests the helpers). */
static void textbytes_claims(api_claims *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->iss, "FR-75");
    c->iat = 1789372800;
    c->nbf = 1789423200;
    c->exp = 1797375599;
    memset(c->cti, 0xa5, sizeof c->cti);
    c->status_idx = 7;
    strcpy(c->status_uri, "https://api.example/feed/v1/FR-75");
    c->v = 1;
    strcpy(c->fn, "DIALLO");
    strcpy(c->gn, "Aminata");
    strcpy(c->dob, "1990-04-12");
    strcpy(c->nat, "SEN");
    strcpy(c->fnn, "7503123456");
    c->app = CLAIMS_APP_RENEWAL;
    strcpy(c->tit, "carte de s\xc3\xa9jour pluriannuelle");
    c->wrk = CLAIMS_WRK_YES;
    strcpy(c->fil, "2026-09-01");
}

static void test_claims_refuse_c1(void **state)
{
    (void)state;
    api_claims c;
    textbytes_claims(&c);
    const char *field = NULL;
    assert_int_equal(claims_validate(&c, &field), API_OK);
    uint8_t enc[1024];
    size_t len = sizeof enc;
    assert_int_equal(claims_encode(enc, &len, &c), API_OK);
    /* the same bytes with "IA" of DIALLO turned into U+0085 (two bytes too): signed-looking, but a C1 control
     */
    uint8_t *at = NULL;
    for (size_t i = 0; !at && i + 6 <= len; i++)
        if (memcmp(enc + i, "DIALLO", 6) == 0) at = enc + i;
    assert_non_null(at);
    memcpy(at + 1, "\xc2\x85", 2);
    api_claims d;
    assert_int_equal(claims_decode(&d, enc, len), API_ERR_CLAIMS);
    memcpy(at + 1, "IA", 2);
    assert_int_equal(claims_decode(&d, enc, len), API_OK);
    /* and on encode, field by field */
    static const char *const c1[] = {"\xc2\x80", "\xc2\x85", "\xc2\x9f"};
    for (size_t i = 0; i < sizeof c1 / sizeof c1[0]; i++) {
        textbytes_claims(&c);
        snprintf(c.gn, sizeof c.gn, "Ami%snata", c1[i]);
        assert_int_equal(claims_validate(&c, &field), API_ERR_CLAIMS);
        assert_string_equal(field, "gn");
        textbytes_claims(&c);
        snprintf(c.tit, sizeof c.tit, "carte%s", c1[i]);
        assert_int_equal(claims_validate(&c, &field), API_ERR_CLAIMS);
        assert_string_equal(field, "tit");
    }
    textbytes_claims(&c);
    strcpy(c.gn, "Ami\xc2\xa0nata"); /* U+00A0, the first character after C1: text */
    assert_int_equal(claims_validate(&c, &field), API_OK);
}

static void test_trust_refuses_c1(void **state)
{
    (void)state;
    trust_entry e;
    memset(&e, 0, sizeof e);
    strcpy(e.id, "FR-75");
    strcpy(e.name, "Pr\xc3\xa9"
                   "fecture de police");
    memset(e.pub, 0x42, sizeof e.pub);
    cose_kid(e.kid, e.pub);
    trust_list tl = {.seq = 1, .iat = 1, .exp = 2, .n = 1, .entries = &e};
    char err[64];
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_OK);
    strcpy(e.name, "Pr\xc2\x85"
                   "fecture");
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    assert_string_equal(err, "entry 1: bad name");
    strcpy(e.name, "Pr\xc3\xa9"
                   "fecture");
    strcpy(e.feed, "https://api.example/\xc2\x9f");
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    assert_string_equal(err, "entry 1: bad feed");
    /* the id is an issuer id: claims_iss_valid, the same 31 characters at most */
    e.feed[0] = '\0';
    strcpy(e.id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234");
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_OK);
    strcpy(e.id, "fr-75");
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    assert_string_equal(err, "entry 1: bad id");
}

static void test_jsonfile(void **state)
{
    (void)state;
    char dir[64], path[96];
    snprintf(dir, sizeof dir, "%s/api-jsonfile.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state.json", dir);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name",
                            "Pr\xc3\xa9"
                            "fecture");
    cJSON_AddNumberToObject(o, "seq", 42);
    assert_int_equal(jsonfile_write(path, o, 0644, 1), API_OK);
    assert_int_equal(jsonfile_write(path, o, 0644, 1), API_ERR_EXISTS);
    cJSON_Delete(o);
    cJSON *r;
    assert_int_equal(jsonfile_read(&r, path, 4096), API_OK);
    assert_non_null(r);
    char name[16], small[4];
    assert_int_equal(jsonfile_text(name, sizeof name, r, "name"), 0);
    assert_string_equal(name, "Pr\xc3\xa9"
                              "fecture");
    assert_int_equal(jsonfile_text(small, sizeof small, r, "name"), -1);
    assert_int_equal(jsonfile_text(name, sizeof name, r, "seq"), -1);
    assert_int_equal(jsonfile_text(name, sizeof name, r, "missing"), -1);
    uint64_t u = 7;
    assert_int_equal(jsonfile_uint(&u, r, "seq"), 0);
    assert_true(u == 42);
    assert_int_equal(jsonfile_uint(&u, r, "name"), -1);
    cJSON_Delete(r);
    /* the file ends with a newline; a bound is kept */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, -1, SEEK_END), 0);
    assert_int_equal(fgetc(f), '\n');
    fclose(f);
    assert_int_equal(jsonfile_read(&r, path, 8), API_ERR_TOO_LARGE);
    /* whole numbers up to 2^53 - 1, where a double is exact */
    f = fopen(path, "wb");
    fputs("{\"big\": 9007199254740991, \"over\": 9007199254740992, \"neg\": -1}", f);
    fclose(f);
    assert_int_equal(jsonfile_read(&r, path, 4096), API_OK);
    assert_int_equal(jsonfile_uint(&u, r, "big"), 0);
    assert_true(u == 9007199254740991ull);
    assert_int_equal(jsonfile_uint(&u, r, "over"), -1);
    assert_int_equal(jsonfile_uint(&u, r, "neg"), -1);
    cJSON_Delete(r);
    /* a text that is not JSON gives no tree; a missing file its error */
    f = fopen(path, "wb");
    fputs("{\"name\":", f);
    fclose(f);
    assert_int_equal(jsonfile_read(&r, path, 4096), API_OK);
    assert_null(r);
    remove(path);
    assert_int_not_equal(jsonfile_read(&r, path, 4096), API_OK);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_jsonfile),
        cmocka_unit_test(test_issuer_id),
        cmocka_unit_test(test_claims_refuse_c1),
        cmocka_unit_test(test_trust_refuses_c1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
