/*
 * test_receiptpdf.c: the proof of verification as a page
 * (verifier/receiptpdf.c) and the page kit it shares with the attestation
 * (qr/pdfkit.c).
 *
 * A page is a one-page PDF whose bytes depend only on the receipt; every
 * receipt the format allows fits, from the anonymous one that holds only
 * a verdict to the one whose every text is at its longest; a name that no
 * installed font can draw is refused with its field. The page is read
 * back by pdftotext and zbarimg in tests/cli/test_receipt_pdf.sh, through
 * the service.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "qr/pdfkit.h"
#include "qr/receipt.h"
#include "tests/unit/testkit.h"
#include "verifier/receiptpdf.h"

static char tmp[TESTKIT_DIR_MAX];

static int setup(void **state)
{
    (void)state;
    return testkit_tmpdir(tmp, "test_receiptpdf");
}

static int teardown(void **state)
{
    (void)state;
    testkit_tmpdir_remove(tmp);
    return 0;
}

/* r signed with the examples' receipt key, drawn; the PDF is kept as tmp/name.pdf. */
static api_err draw(const api_receipt *r, const char *name, uint8_t **pdf, size_t *len, const char **field)
{
    testkit_key k;
    testkit_receipt_key(&k);
    char text[RECEIPT_TEXT_MAX];
    size_t tlen = sizeof text;
    api_receipt copy = *r;
    assert_int_equal(receipt_sign(text, &tlen, &copy, k.sk), API_OK);
    api_err e = receiptpdf_render(pdf, len, r, text, tlen, "0011223344556677", field);
    if (e == API_OK) {
        char path[TESTKIT_DIR_MAX + 64];
        snprintf(path, sizeof path, "%s/%s.pdf", tmp, name);
        assert_int_equal(fs_write_atomic(path, *pdf, *len, 0600, 0), API_OK);
    }
    return e;
}

static int has_bytes(const uint8_t *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(hay + i, needle, m)) return 1;
    return 0;
}

static void test_employer_page(void **state)
{
    (void)state;
    api_receipt r;
    testkit_receipt(&r);
    uint8_t *a, *b;
    size_t na, nb;
    const char *field = "x";
    assert_int_equal(draw(&r, "employer", &a, &na, &field), API_OK);
    assert_null(field);
    assert_true(na > 1000 && !memcmp(a, "%PDF-", 5));
    assert_true(has_bytes(a + na - 8, 8, "%%EOF"));
    assert_true(has_bytes(a, na, "/Count 1"));        /* one page */
    assert_true(has_bytes(a, na, "/StructTreeRoot")); /* tagged */
    /* The dates are the check's time in Paris, never the clock's. */
    assert_true(has_bytes(a, na, "/CreationDate (20261001140000+02'00)"));
    /* The same receipt gives the same bytes. */
    assert_int_equal(draw(&r, "employer2", &b, &nb, NULL), API_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

static void test_every_shape_fits(void **state)
{
    (void)state;
    api_receipt r;
    uint8_t *pdf;
    size_t len;
    /* Anonymous, a negative verdict with its reason, nothing from the attestation. */
    memset(&r, 0, sizeof r);
    snprintf(r.verifier, sizeof r.verifier, "%s", TESTKIT_RECEIPT_ORG);
    r.checked_at = testkit_time("2026-10-01T12:00:00Z");
    snprintf(r.result, sizeof r.result, "malformed");
    snprintf(r.reason, sizeof r.reason, "base45");
    snprintf(r.profile, sizeof r.profile, "anonymous");
    snprintf(r.org, sizeof r.org, "anonymous");
    assert_int_equal(draw(&r, "anonymous", &pdf, &len, NULL), API_OK);
    free(pdf);

    /* Every text at its longest, extended, a revoked verdict with its reason. */
    testkit_receipt(&r);
    memset(r.verifier, 'V', RECEIPT_ORG_MAX - 1);
    r.verifier[RECEIPT_ORG_MAX - 1] = '\0';
    memset(r.org, 'O', RECEIPT_ORG_MAX - 1);
    r.org[RECEIPT_ORG_MAX - 1] = '\0';
    memset(r.issuer_name, 'P', RECEIPT_ORG_MAX - 1);
    r.issuer_name[RECEIPT_ORG_MAX - 1] = '\0';
    memset(r.fn, 'W', CLAIMS_NAME_MAX - 1);
    r.fn[CLAIMS_NAME_MAX - 1] = '\0';
    memset(r.gn, 'M', CLAIMS_NAME_MAX - 1);
    r.gn[CLAIMS_NAME_MAX - 1] = '\0';
    snprintf(r.result, sizeof r.result, "revoked");
    snprintf(r.reason, sizeof r.reason, "revoked");
    snprintf(r.profile, sizeof r.profile, "social");
    r.extended = 1;
    r.wrk = CLAIMS_WRK_PREVIOUS;
    api_err e = draw(&r, "longest", &pdf, &len, NULL);
    if (e != API_OK) fail_msg("the longest receipt: error %d", (int)e);
    free(pdf);
}

static void test_unknown_glyph_refused(void **state)
{
    (void)state;
    api_receipt r;
    testkit_receipt(&r);
    snprintf(r.fn, sizeof r.fn, "DIALLO \xee\x80\x80"); /* U+E000, a private-use character no font has */
    uint8_t *pdf = (uint8_t *)"x";
    size_t len = 1;
    const char *field = NULL;
    assert_int_equal(draw(&r, "unknown", &pdf, &len, &field), API_ERR_ARG);
    assert_string_equal(field, "holder names");
    assert_null(pdf);
    assert_int_equal(len, 0);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    api_receipt r;
    testkit_receipt(&r);
    uint8_t *pdf;
    size_t len;
    assert_int_equal(receiptpdf_render(NULL, &len, &r, "APR1:", 5, NULL, NULL), API_ERR_ARG);
    assert_int_equal(receiptpdf_render(&pdf, &len, &r, "APR1:", 0, NULL, NULL), API_ERR_ARG);
    assert_int_equal(receiptpdf_render(&pdf, &len, NULL, "APR1:", 5, NULL, NULL), API_ERR_ARG);
}

static void test_kit(void **state)
{
    (void)state;
    assert_int_equal(pdfkit_units(1.0), PANGO_SCALE);
    assert_true(pdfkit_module_size(1.3) == 1.5); /* up to a quarter point */
    assert_true(pdfkit_module_size(1.5) == 1.5);
    pdfkit_style st[] = {{"DejaVu Sans", 10.0, 6.0, 0}};
    pdfkit_fonts f;
    assert_int_equal(pdfkit_fonts_init(&f, st, 0), API_ERR_ARG);
    assert_int_equal(pdfkit_fonts_init(&f, st, 1), API_OK);
    /* A text too wide shrinks to fit, then wraps at the floor: never wider than asked, never cut. */
    PangoLayout *one = pdfkit_layout_fit(&f, 0, "COURT", 200.0, PANGO_ALIGN_LEFT);
    PangoLayout *shrunk =
        pdfkit_layout_fit(&f, 0, "UN NOM ASSEZ LONG POUR RETRECIR", 150.0, PANGO_ALIGN_LEFT);
    PangoLayout *wrapped = pdfkit_layout_fit(
        &f, 0, "UN NOM BIEN TROP LONG POUR TENIR SUR UNE LIGNE MEME RETRECI", 60.0, PANGO_ALIGN_LEFT);
    assert_true(pdfkit_layout_width(one) <= 200.0 && pango_layout_get_line_count(one) == 1);
    assert_true(pdfkit_layout_width(shrunk) <= 150.0 && pango_layout_get_line_count(shrunk) == 1);
    assert_true(pdfkit_layout_width(wrapped) <= 60.0 && pango_layout_get_line_count(wrapped) > 1);
    assert_false(pdfkit_layout_unknown(one));
    g_object_unref(one);
    g_object_unref(shrunk);
    g_object_unref(wrapped);
    pdfkit_fonts_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_employer_page),
        cmocka_unit_test(test_every_shape_fits),
        cmocka_unit_test(test_unknown_glyph_refused),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_kit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
