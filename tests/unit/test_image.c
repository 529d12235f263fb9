/*
 * test_image.c: the photo reader (verifier/image.c) and zxing-cpp's C face
 * (verifier/zxread.cpp) on pictures made here.
 *
 * A code is drawn as a phone sees a printed page: turned by 20 degrees,
 * small (3.5 pixels a module), in uneven light, blurred, saved as JPEG
 * quality 45; it must be read through image_read_codes, image_read_qr and
 * image_read_gray. Then the paths of the photo budget (a PNG and a JPEG
 * over IMAGE_PHOTO_MAX_PIXELS, the JPEG shrunk while decoding), two codes
 * of one page and one code seen twice, zxread's argument checks and its
 * callback's stop, and hostile headers (20,000 x 20,000 PNG, a JPEG bomb
 * of 65,000 x 65,000), refused before any pixel is decoded, and a picture
 * tiled with finder patterns, where zxing-cpp's deadline ends the reading. The generated
 * photo set (tests/photos) is read in tests/cli/test_photos.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "common/bytes.h"
#include "qr/render.h"
#include "tests/unit/testkit.h"
#include "verifier/image.h"
#include "verifier/zxread.h"

#define TEXT_LEN 520

static const char b45_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* "API1:" then Base45 characters from a fixed LCG seeded with seed. */
static char *make_text(size_t total, uint32_t seed)
{
    char *t = malloc(total + 1);
    assert_non_null(t);
    memcpy(t, "API1:", 5);
    for (size_t i = 5; i < total; i++) {
        seed = seed * 1664525u + 1013904223u;
        t[i] = b45_alphabet[(seed >> 16) % 45];
    }
    t[total] = '\0';
    return t;
}

typedef testkit_gray gray;

/* The code of text as modules: one pixel a module, quiet zone included. */
static gray code_modules(const char *text)
{
    render_opts o;
    render_opts_default(&o);
    o.module_px = 1;
    uint8_t *png;
    size_t len;
    assert_int_equal(render_png(&png, &len, NULL, text, &o), API_OK);
    gray g = testkit_gray_from_png(png, len);
    assert_non_null(g.pix);
    free(png);
    return g;
}

static gray blank(unsigned w, unsigned h, uint8_t v)
{
    gray g = {malloc((size_t)w * h), w, h};
    assert_non_null(g.pix);
    memset(g.pix, v, (size_t)w * h);
    return g;
}

/*
 * Draws the modules m onto page, centred at (cx, cy), module px pixels,
 * turned by deg degrees; ink 40 on paper as it is (bilinear sampling of
 * the modules, so edges are gray as in a photo).
 */
static void draw_code(gray *page, const gray *m, double cx, double cy, double px, double deg)
{
    double th = deg * 3.14159265358979 / 180, c = cos(th), s = sin(th);
    double half = m->w * px / 2 * 1.5;
    for (int y = (int)(cy - half); y < (int)(cy + half); y++)
        for (int x = (int)(cx - half); x < (int)(cx + half); x++) {
            if (x < 0 || y < 0 || (unsigned)x >= page->w || (unsigned)y >= page->h) continue;
            double dx = x - cx, dy = y - cy;
            double u = (dx * c + dy * s) / px + m->w / 2.0 - 0.5,
                   v = (-dx * s + dy * c) / px + m->h / 2.0 - 0.5;
            if (u < -0.5 || v < -0.5 || u > m->w - 0.5 || v > m->h - 0.5) continue;
            int u0 = (int)floor(u), v0 = (int)floor(v);
            double fu = u - u0, fv = v - v0, dark = 0;
            for (int k = 0; k < 4; k++) {
                int uu = u0 + (k & 1), vv = v0 + (k >> 1);
                double wgt = ((k & 1) ? fu : 1 - fu) * ((k >> 1) ? fv : 1 - fv);
                if (uu >= 0 && vv >= 0 && (unsigned)uu < m->w && (unsigned)vv < m->h &&
                    m->pix[vv * m->w + uu] < 128)
                    dark += wgt;
            }
            uint8_t *p = &page->pix[(size_t)y * page->w + x];
            *p = (uint8_t)(*p - dark * (*p - 40));
        }
}

/* Light falling off from left to right (to 45 %), then a 3 x 3 box blur. */
static void photo_light_and_blur(gray *g)
{
    for (unsigned y = 0; y < g->h; y++)
        for (unsigned x = 0; x < g->w; x++) {
            uint8_t *p = &g->pix[(size_t)y * g->w + x];
            *p = (uint8_t)(*p * (1.0 - 0.55 * x / g->w));
        }
    uint8_t *b = malloc((size_t)g->w * g->h);
    assert_non_null(b);
    memcpy(b, g->pix, (size_t)g->w * g->h);
    for (unsigned y = 1; y + 1 < g->h; y++)
        for (unsigned x = 1; x + 1 < g->w; x++) {
            unsigned s = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) s += g->pix[(size_t)(y + dy) * g->w + x + dx];
            b[(size_t)y * g->w + x] = (uint8_t)(s / 9);
        }
    free(g->pix);
    g->pix = b;
}

static uint8_t *gray_to_jpeg(size_t *len, const gray *g, int quality)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *out = NULL;
    unsigned long n = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &n);
    c.image_width = g->w;
    c.image_height = g->h;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = g->pix + (size_t)c.next_scanline * g->w;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *len = n;
    return out;
}

static uint8_t *gray_to_png(size_t *len, const gray *g)
{
    uint8_t *out = testkit_gray_to_png(len, g);
    assert_non_null(out);
    return out;
}

static int codes_have(const image_codes *c, const char *text)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->len[i] == strlen(text) && strcmp(c->text[i], text) == 0) return 1;
    return 0;
}

/* A page 1,100 x 1,500 with the code turned by 20 degrees at 3.5 pixels a module. */
static gray phone_page(const char *text)
{
    gray m = code_modules(text);
    gray page = blank(1100, 1500, 235);
    for (unsigned y = 120; y < 700; y += 36) /* lines of text */
        for (unsigned yy = y; yy < y + 10; yy++)
            memset(page.pix + (size_t)yy * page.w + 120, 60, page.w - 240);
    draw_code(&page, &m, 760, 1100, 3.5, 20);
    photo_light_and_blur(&page);
    free(m.pix);
    return page;
}

static void test_phone_photo(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN, 7);
    gray page = phone_page(text);
    size_t jlen;
    uint8_t *jpg = gray_to_jpeg(&jlen, &page, 45);

    image_codes c;
    assert_int_equal(image_read_codes(&c, jpg, jlen), API_OK);
    assert_int_equal(c.n, 1);
    assert_true(codes_have(&c, text));
    assert_string_not_equal(image_attempt_name(c.attempt), "none");
    image_codes_free(&c);
    assert_int_equal(c.n, 0);

    char out[8192];
    size_t outlen = 0;
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, jpg, jlen), API_OK);
    assert_int_equal(outlen, TEXT_LEN);
    assert_string_equal(out, text);

    assert_int_equal(image_read_gray(&c, page.pix, page.w, page.h), API_OK);
    assert_true(codes_have(&c, text));
    image_codes_free(&c);

    uint8_t *g;
    unsigned w, h;
    assert_int_equal(image_decode_gray(&g, &w, &h, jpg, jlen), API_OK);
    assert_int_equal(w, page.w);
    assert_int_equal(h, page.h);
    free(g);
    free(jpg);
    free(page.pix);
    free(text);
}

/* Two attestations on one page are two codes; a page showing one code twice gives it once. */
static void test_several_codes(void **state)
{
    (void)state;
    char *a = make_text(TEXT_LEN, 1), *b = make_text(300, 2);
    gray ma = code_modules(a), mb = code_modules(b);
    gray page = blank(1400, 1000, 250);
    draw_code(&page, &ma, 350, 500, 4.0, 0);
    draw_code(&page, &mb, 1050, 500, 4.0, 0);
    image_codes c;
    assert_int_equal(image_read_gray(&c, page.pix, page.w, page.h), API_OK);
    assert_int_equal(c.n, 2);
    assert_true(codes_have(&c, a));
    assert_true(codes_have(&c, b));
    image_codes_free(&c);

    memset(page.pix, 250, (size_t)page.w * page.h);
    draw_code(&page, &ma, 350, 500, 4.0, 0);
    draw_code(&page, &ma, 1050, 500, 4.0, 0);
    assert_int_equal(image_read_gray(&c, page.pix, page.w, page.h), API_OK);
    assert_int_equal(c.n, 1);
    assert_true(codes_have(&c, a));
    image_codes_free(&c);
    free(page.pix);
    free(ma.pix);
    free(mb.pix);
    free(a);
    free(b);
}

/* Pictures over the photo budget are shrunk before reading: a PNG after decoding, a JPEG while. */
static void test_photo_budget(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN, 3);
    gray m = code_modules(text);
    gray page = blank(5000, 4000, 240); /* 20 megapixels */
    draw_code(&page, &m, 2500, 2000, 12.0, 10);
    image_codes c;
    assert_int_equal(image_read_gray(&c, page.pix, page.w, page.h), API_OK);
    assert_true(codes_have(&c, text));
    image_codes_free(&c);

    size_t len;
    uint8_t *png = gray_to_png(&len, &page);
    assert_int_equal(image_read_codes(&c, png, len), API_OK);
    assert_true(codes_have(&c, text));
    image_codes_free(&c);
    free(png);

    uint8_t *jpg = gray_to_jpeg(&len, &page, 70);
    uint8_t *g;
    unsigned w, h;
    assert_int_equal(image_decode_gray(&g, &w, &h, jpg, len), API_OK);
    assert_int_equal(w, 2500); /* 20 MP over a 16 MP budget: decoded at 1/2 */
    assert_int_equal(h, 2000);
    free(g);
    assert_int_equal(image_read_codes(&c, jpg, len), API_OK);
    assert_true(codes_have(&c, text));
    image_codes_free(&c);
    free(jpg);
    free(page.pix);
    free(m.pix);
    free(text);
}

/* No code: no error from image_read_codes, API_ERR_NO_QR from image_read_qr, after every attempt. */
static void test_no_code(void **state)
{
    (void)state;
    gray page = blank(1200, 1600, 200);
    photo_light_and_blur(&page);
    size_t len;
    uint8_t *jpg = gray_to_jpeg(&len, &page, 60);
    image_codes c;
    assert_int_equal(image_read_codes(&c, jpg, len), API_OK);
    assert_int_equal(c.n, 0);
    assert_string_equal(image_attempt_name(c.attempt), "none");
    image_codes_free(&c);
    char out[64];
    size_t outlen = 1;
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, jpg, len), API_ERR_NO_QR);
    assert_int_equal(outlen, 0);
    free(jpg);
    free(page.pix);
}

typedef struct {
    int calls;
    int stop_after;
} found_count;

static int count_found(void *ctx, const uint8_t *bytes, size_t len, const int corners[8])
{
    found_count *f = ctx;
    assert_true(len > 0 && bytes != NULL);
    assert_true(corners[0] >= 0 && corners[1] >= 0);
    f->calls++;
    return f->calls >= f->stop_after;
}

static void test_zxread(void **state)
{
    (void)state;
    char *a = make_text(200, 4), *b = make_text(200, 5);
    gray ma = code_modules(a), mb = code_modules(b);
    gray page = blank(900, 500, 255);
    draw_code(&page, &ma, 220, 250, 4.0, 0);
    draw_code(&page, &mb, 680, 250, 4.0, 0);
    zxread_opts o = {ZXREAD_LOCAL_AVERAGE, 1, 0, 0};
    found_count f = {0, 99};
    assert_int_equal(zxread_gray(page.pix, page.w, page.h, page.w, &o, count_found, &f), 2);
    assert_int_equal(f.calls, 2);
    f = (found_count){0, 1}; /* a non-zero answer stops */
    assert_int_equal(zxread_gray(page.pix, page.w, page.h, page.w, &o, count_found, &f), 1);
    /* A view: the left half only, through the stride. */
    f = (found_count){0, 99};
    assert_int_equal(zxread_gray(page.pix, 450, page.h, page.w, &o, count_found, &f), 1);

    assert_int_equal(zxread_gray(NULL, 10, 10, 10, &o, count_found, &f), -1);
    assert_int_equal(zxread_gray(page.pix, 0, 10, 10, &o, count_found, &f), -1);
    assert_int_equal(zxread_gray(page.pix, 10, 10, 9, &o, count_found, &f), -1); /* stride under width */
    assert_int_equal(zxread_gray(page.pix, 10, 10, 10, NULL, count_found, &f), -1);
    assert_int_equal(zxread_gray(page.pix, 10, 10, 10, &o, NULL, &f), -1);
    assert_int_equal(zxread_gray(page.pix, 70000, 70000, 70000, &o, count_found, &f), -1); /* over 2^31 */
    assert_true(strlen(zxread_version()) >= 5);
    free(page.pix);
    free(ma.pix);
    free(mb.pix);
    free(a);
    free(b);
}

/* Headers that claim more pixels than allowed are refused before any pixel buffer exists. */
static void test_hostile_headers(void **state)
{
    (void)state;
    gray small = blank(16, 16, 255);
    size_t len;
    uint8_t *png = gray_to_png(&len, &small);
    image_codes c;
    bytes_put_be32(png + 16, 20000); /* IHDR width, height, then its CRC */
    bytes_put_be32(png + 20, 20000);
    bytes_put_be32(png + 29, (uint32_t)crc32(0, png + 12, 17));
    assert_int_equal(image_read_codes(&c, png, len), API_ERR_TOO_LARGE);
    assert_int_equal(c.n, 0);
    free(png);

    /* The JPEG bomb: a few hundred bytes whose frame says 65,000 x 65,000. */
    uint8_t *jpg = gray_to_jpeg(&len, &small, 50);
    size_t i;
    for (i = 2; i + 9 < len; i++)
        if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) break;
    assert_true(i + 9 < len);
    jpg[i + 5] = jpg[i + 7] = 0xfd;
    jpg[i + 6] = jpg[i + 8] = 0xe8;
    assert_int_equal(image_read_codes(&c, jpg, len), API_ERR_TOO_LARGE);
    uint8_t *g = (uint8_t *)1;
    unsigned w = 1, h = 1;
    assert_int_equal(image_decode_gray(&g, &w, &h, jpg, len), API_ERR_TOO_LARGE);
    assert_null(g);
    assert_int_equal(w, 0);
    free(jpg);
    free(small.pix);

    assert_int_equal(image_decode_gray(NULL, &w, &h, (const uint8_t *)"x", 1), API_ERR_ARG);
    assert_int_equal(image_read_gray(&c, NULL, 10, 10), API_ERR_ARG);
    assert_string_equal(image_attempt_name(1000), "none");
}

/*
 * A picture tiled with finder patterns, which keeps zxing-cpp 1.4 busy for
 * minutes: the reading gives up on zxing-cpp at its deadline and answers
 * (zbar finds nothing either). The stragglers it leaves make the next
 * zxing-cpp readings answer ZXREAD_TIMEOUT at once: this test runs last.
 */
static void test_finder_tiling(void **state)
{
    (void)state;
    static const char *finder[9] = {"000000000", "011111110", "010000010", "010111010", "010111010",
                                    "010111010", "010000010", "011111110", "000000000"};
    gray g = blank(1000, 1000, 255);
    for (unsigned y = 0; y < g.h; y++)
        for (unsigned x = 0; x < g.w; x++)
            if (finder[(y / 3) % 9][(x / 3) % 9] == '1') g.pix[(size_t)y * g.w + x] = 0;
    image_codes c;
    assert_int_equal(image_read_gray(&c, g.pix, g.w, g.h), API_OK);
    assert_int_equal(c.n, 0);
    image_codes_free(&c);
    /* One straggler now; a second call makes two, and the limit is reached. */
    zxread_opts o = {ZXREAD_LOCAL_AVERAGE, 1, 0, 0};
    found_count f = {0, 99};
    for (int i = 1; i < ZXREAD_MAX_STRAGGLERS; i++)
        assert_int_equal(zxread_gray(g.pix, g.w, g.h, g.w, &o, count_found, &f), ZXREAD_TIMEOUT);
    uint8_t one[4 * 4];
    memset(one, 255, sizeof one);
    assert_int_equal(zxread_gray(one, 4, 4, 4, &o, count_found, &f), ZXREAD_TIMEOUT); /* at once */
    free(g.pix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phone_photo),   cmocka_unit_test(test_several_codes),
        cmocka_unit_test(test_photo_budget),  cmocka_unit_test(test_no_code),
        cmocka_unit_test(test_zxread),        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_finder_tiling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
