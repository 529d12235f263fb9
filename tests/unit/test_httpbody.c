/*
 * test_httpbody.c: what a request body is (its Content-Type) and which
 * part of a multipart/form-data body is verified: the grammar's corners,
 * an image found by its type or its first bytes, the payload field, and
 * malformed or truncated forms refused without reading past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/httpbody.h"

static void test_media_types(void **state)
{
    (void)state;
    char b[HTTPBODY_BOUNDARY_MAX + 1];
    assert_int_equal(httpbody_media_type(NULL, b), HTTPBODY_NONE);
    assert_int_equal(httpbody_media_type("application/json", b), HTTPBODY_JSON);
    assert_int_equal(httpbody_media_type("Application/JSON; charset=utf-8", b), HTTPBODY_JSON);
    assert_int_equal(httpbody_media_type("text/plain", b), HTTPBODY_TEXT);
    assert_int_equal(httpbody_media_type(" text/plain ;charset=\"us-ascii\"", b), HTTPBODY_TEXT);
    assert_int_equal(httpbody_media_type("image/png", b), HTTPBODY_PNG);
    assert_int_equal(httpbody_media_type("image/jpeg", b), HTTPBODY_JPEG);
    assert_int_equal(httpbody_media_type("image/jpg", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("application/xml", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("application/jsonx", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("json", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("text/", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("text/plain; charset", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("text/plain; charset=\"open", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("text/plain garbage", b), HTTPBODY_OTHER);
}

static void test_boundaries(void **state)
{
    (void)state;
    char b[HTTPBODY_BOUNDARY_MAX + 1];
    assert_int_equal(httpbody_media_type("multipart/form-data; boundary=abc123", b), HTTPBODY_MULTIPART);
    assert_string_equal(b, "abc123");
    assert_int_equal(httpbody_media_type("multipart/form-data; boundary=\"with space:and/=\"", b),
                     HTTPBODY_MULTIPART);
    assert_string_equal(b, "with space:and/=");
    assert_int_equal(
        httpbody_media_type("Multipart/Form-Data; charset=x; BOUNDARY=----WebKitFormBoundary7MA4YWxk", b),
        HTTPBODY_MULTIPART);
    assert_string_equal(b, "----WebKitFormBoundary7MA4YWxk");
    assert_int_equal(httpbody_media_type("multipart/form-data", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("multipart/form-data; boundary=\"\"", b), HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("multipart/form-data; boundary=\"ends with space \"", b),
                     HTTPBODY_OTHER);
    assert_int_equal(httpbody_media_type("multipart/form-data; boundary=\"bad<char>\"", b), HTTPBODY_OTHER);
    char longb[128];
    snprintf(longb, sizeof longb, "multipart/form-data; boundary=%071d", 7); /* 71 characters */
    assert_int_equal(httpbody_media_type(longb, b), HTTPBODY_OTHER);
    snprintf(longb, sizeof longb, "multipart/form-data; boundary=%070d", 7); /* 70: the most */
    assert_int_equal(httpbody_media_type(longb, b), HTTPBODY_MULTIPART);
    assert_int_equal(strlen(b), 70);
    assert_int_equal(httpbody_media_type("multipart/mixed; boundary=x", b), HTTPBODY_OTHER);
}

static const uint8_t png_start[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};

/* A form body: parts given as (headers, content, content length). */
static size_t form(uint8_t *out, size_t cap, const char *boundary, size_t n, const char *const *headers,
                   const void *const *contents, const size_t *lens)
{
    size_t len = 0;
    len += (size_t)snprintf((char *)out + len, cap - len, "preamble to ignore\r\n");
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf((char *)out + len, cap - len, "--%s\r\n%s\r\n", boundary, headers[i]);
        memcpy(out + len, contents[i], lens[i]);
        len += lens[i];
        len += (size_t)snprintf((char *)out + len, cap - len, "\r\n");
    }
    len += (size_t)snprintf((char *)out + len, cap - len, "--%s--\r\nepilogue", boundary);
    return len;
}

static void test_multipart_image(void **state)
{
    (void)state;
    uint8_t body[2048];
    const char *h[] = {"Content-Disposition: form-data; name=\"note\"\r\n",
                       "Content-Disposition: form-data; name=\"file\"; "
                       "filename=\"scan.png\"\r\nContent-Type: image/png\r\n"};
    const void *c[] = {"hello", png_start};
    size_t l[] = {5, sizeof png_start};
    size_t len = form(body, sizeof body, "XyZ", 2, h, c, l);
    httpbody_part p;
    assert_int_equal(httpbody_multipart_find(&p, body, len, "XyZ"), API_OK);
    assert_true(p.is_image);
    assert_int_equal(p.len, sizeof png_start);
    assert_memory_equal(p.data, png_start, sizeof png_start);

    /* a file part whose type says nothing useful: found by its first bytes */
    const char *h2[] = {"Content-Disposition: form-data; name=\"upload\"; "
                        "filename=\"photo\"\r\nContent-Type: application/octet-stream\r\n"};
    const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 1, 2, 3};
    const void *c2[] = {jpeg};
    size_t l2[] = {sizeof jpeg};
    len = form(body, sizeof body, "b", 1, h2, c2, l2);
    assert_int_equal(httpbody_multipart_find(&p, body, len, "b"), API_OK);
    assert_true(p.is_image);
    assert_int_equal(p.len, sizeof jpeg);
}

static void test_multipart_payload(void **state)
{
    (void)state;
    uint8_t body[2048];
    const char *h[] = {"content-disposition: form-data; name=payload\r\n",
                       "Content-Disposition: form-data; name=\"payload\"\r\n"};
    const void *c[] = {"API1:FIRST", "API1:SECOND"};
    size_t l[] = {10, 11};
    size_t len = form(body, sizeof body, "--sep--", 2, h, c, l);
    httpbody_part p;
    assert_int_equal(httpbody_multipart_find(&p, body, len, "--sep--"), API_OK);
    assert_false(p.is_image);
    assert_int_equal(p.len, 10);
    assert_memory_equal(p.data, "API1:FIRST", 10);

    /* a file named payload is a file, not the field */
    const char *h2[] = {"Content-Disposition: form-data; name=\"payload\"; filename=\"x.txt\"\r\n"};
    const void *c2[] = {"API1:X"};
    size_t l2[] = {6};
    len = form(body, sizeof body, "q", 1, h2, c2, l2);
    assert_int_equal(httpbody_multipart_find(&p, body, len, "q"), API_ERR_NOT_FOUND);

    /* a part with no headers at all */
    const char *h3[] = {""};
    len = form(body, sizeof body, "q", 1, h3, c2, l2);
    assert_int_equal(httpbody_multipart_find(&p, body, len, "q"), API_ERR_NOT_FOUND);

    /* an empty form */
    static const char empty[] = "--q--\r\n";
    assert_int_equal(httpbody_multipart_find(&p, (const uint8_t *)empty, strlen(empty), "q"),
                     API_ERR_NOT_FOUND);
}

static void test_multipart_malformed(void **state)
{
    (void)state;
    httpbody_part p;
    static const char *const bad[] = {
        "",
        "no delimiter at all",
        "--q\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\nAPI1:X",        /* never closed */
        "--q\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\nAPI1:X\r\n--q", /* nothing after */
        "--q\r\nContent-Disposition: form-data; name=\"payload\"",                      /* headers cut */
        "--qX\r\n\r\nx\r\n--q--",                                                       /* another boundary */
        "--q garbage\r\n\r\nx\r\n--q--",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        api_err e = httpbody_multipart_find(&p, (const uint8_t *)bad[i], strlen(bad[i]), "q");
        if (e != API_ERR_ARG) fail_msg("case %zu: %d", i, e);
    }
    assert_int_equal(httpbody_multipart_find(&p, (const uint8_t *)"--q--", 5, NULL), API_ERR_ARG);
    assert_int_equal(httpbody_multipart_find(&p, (const uint8_t *)"--q--", 5, ""), API_ERR_ARG);
    /* headers longer than 8 KB */
    size_t n = 20000;
    uint8_t *big = malloc(n);
    assert_non_null(big);
    memcpy(big, "--q\r\nX-Long: ", 13);
    memset(big + 13, 'a', n - 13);
    assert_int_equal(httpbody_multipart_find(&p, big, n, "q"), API_ERR_ARG);
    /* every prefix of a good form is refused or parsed, never read past its end (ASan watches) */
    static const char good[] =
        "--q\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\nAPI1:X\r\n--q--\r\n";
    for (size_t len = 0; len < sizeof good - 1; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, good, len);
        api_err e = httpbody_multipart_find(&p, copy, len, "q");
        assert_true(e == API_ERR_ARG || (e == API_OK && len >= sizeof good - 3));
        free(copy);
    }
    free(big);
}

static void test_looks_like_image(void **state)
{
    (void)state;
    assert_true(httpbody_looks_like_image(png_start, sizeof png_start));
    assert_false(httpbody_looks_like_image(png_start, 7));
    const uint8_t jpeg[] = {0xff, 0xd8, 0xff};
    assert_true(httpbody_looks_like_image(jpeg, 3));
    assert_false(httpbody_looks_like_image(jpeg, 2));
    assert_false(httpbody_looks_like_image((const uint8_t *)"API1:", 5));
}

/* A PDF: application/pdf as the body's type, and a form's part found by its type or its first bytes. */
static void test_pdf(void **state)
{
    (void)state;
    char b[HTTPBODY_BOUNDARY_MAX + 1];
    assert_int_equal(httpbody_media_type("application/pdf", b), HTTPBODY_PDF);
    assert_int_equal(httpbody_media_type("Application/PDF; name=\"a.pdf\"", b), HTTPBODY_PDF);
    assert_int_equal(httpbody_media_type("application/pdfx", b), HTTPBODY_OTHER);
    assert_true(httpbody_looks_like_pdf((const uint8_t *)"%PDF-1.7\n", 9));
    assert_false(httpbody_looks_like_pdf((const uint8_t *)"%PDF", 4));
    assert_false(httpbody_looks_like_image((const uint8_t *)"%PDF-1.7\n", 9));

    uint8_t body[2048];
    static const char pdf[] = "%PDF-1.4\n%\xe2\xe3\n1 0 obj";
    const char *h[] = {"Content-Disposition: form-data; name=\"payload\"\r\n",
                       "Content-Disposition: form-data; name=\"file\"; filename=\"api.pdf\"\r\n"
                       "Content-Type: application/pdf\r\n"};
    const void *c[] = {"API1:X", pdf};
    size_t l[] = {6, sizeof pdf - 1};
    size_t len = form(body, sizeof body, "pdfb", 2, h, c, l);
    httpbody_part p;
    assert_int_equal(httpbody_multipart_find(&p, body, len, "pdfb"), API_OK);
    assert_true(p.is_pdf);
    assert_false(p.is_image);
    assert_int_equal(p.len, sizeof pdf - 1);
    assert_memory_equal(p.data, pdf, sizeof pdf - 1);

    /* told by its first bytes under a type that says nothing useful */
    const char *h2[] = {"Content-Disposition: form-data; name=\"upload\"; filename=\"scan\"\r\n"
                        "Content-Type: application/octet-stream\r\n"};
    const void *c2[] = {pdf};
    size_t l2[] = {sizeof pdf - 1};
    len = form(body, sizeof body, "b", 1, h2, c2, l2);
    assert_int_equal(httpbody_multipart_find(&p, body, len, "b"), API_OK);
    assert_true(p.is_pdf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_media_types),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_multipart_image),
        cmocka_unit_test(test_multipart_payload),
        cmocka_unit_test(test_multipart_malformed),
        cmocka_unit_test(test_looks_like_image),
        cmocka_unit_test(test_pdf),
    };
    return cmocka_run_group_tests_name("httpbody", tests, NULL, NULL);
}
