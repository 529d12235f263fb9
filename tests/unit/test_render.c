/*
 * test_render.c: the QR renderers (qr/render.c) and the image reader
 * (verifier/image.c), checked against each other and against zbarimg.
 *
 * Every format is rendered from a realistic 520-character text and read
 * back: PNG directly, SVG and terminal text by redrawing their modules,
 * JPEG (quality 90), a small module size, transparency, CMYK, and a code
 * placed on a large page as a scanned document would be. zbarimg, a
 * separate program, is the referee for the PNG. Then the error paths:
 * bad options, oversized texts, and hostile or broken images.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "common/bytes.h"
#include "qr/render.h"
#include "tests/unit/testkit.h"
#include "verifier/image.h"

#define TEXT_LEN 520
#define ZBARIMG  "/usr/bin/zbarimg"

static const char b45_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* "API1:" then Base45 characters from a fixed LCG: the same text every run. */
static char *make_text(size_t total)
{
    char *t = malloc(total + 1);
    assert_non_null(t);
    memcpy(t, "API1:", 5);
    uint32_t s = 20240601u;
    for (size_t i = 5; i < total; i++) {
        s = s * 1664525u + 1013904223u;
        t[i] = b45_alphabet[(s >> 16) % 45];
    }
    t[total] = '\0';
    return t;
}

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (uint8_t)(seed >> 24);
    }
}

/* ---- image helpers (independent of the code under test) ---- */

typedef testkit_gray gray;

static gray png_to_gray(const uint8_t *png, size_t len)
{
    gray g = testkit_gray_from_png(png, len);
    assert_non_null(g.pix);
    return g;
}

static uint8_t *gray_to_png(size_t *len, const gray *g)
{
    uint8_t *out = testkit_gray_to_png(len, g);
    assert_non_null(out);
    return out;
}

/* components 1: gray input; 4: Adobe (inverted) CMYK made from the gray. */
static uint8_t *gray_to_jpeg(size_t *len, const gray *g, int quality, int components)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *out = NULL;
    unsigned long n = 0;
    uint8_t *row = malloc((size_t)g->w * 4);
    assert_non_null(row);

    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &n);
    c.image_width = g->w;
    c.image_height = g->h;
    c.input_components = components;
    c.in_color_space = components == 4 ? JCS_CMYK : JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        const uint8_t *src = g->pix + (size_t)c.next_scanline * g->w;
        if (components == 4) {
            for (unsigned x = 0; x < g->w; x++) {
                row[4 * x] = row[4 * x + 1] = row[4 * x + 2] = 255; /* no C, M, Y ink */
                row[4 * x + 3] = src[x];                            /* inverted K */
            }
        } else {
            memcpy(row, src, g->w);
        }
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    *len = n;
    return out;
}

/* A w x h white page with a few "text lines" and img pasted at (x0, y0). */
static gray page_with(const gray *img, unsigned w, unsigned h, unsigned x0, unsigned y0)
{
    gray p = {malloc((size_t)w * h), w, h};
    assert_non_null(p.pix);
    memset(p.pix, 255, (size_t)w * h);
    for (unsigned y = 100; y < 900; y += 40)
        for (unsigned yy = y; yy < y + 12; yy++) memset(p.pix + (size_t)yy * w + 100, 40, w - 200);
    assert_true(x0 + img->w <= w && y0 + img->h <= h);
    for (unsigned y = 0; y < img->h; y++)
        memcpy(p.pix + (size_t)(y0 + y) * w + x0, img->pix + (size_t)y * img->w, img->w);
    return p;
}

/* An n x n module matrix (1 = dark) drawn at px pixels per module. */
static gray matrix_to_gray(const uint8_t *m, unsigned n, unsigned px)
{
    gray g = {malloc((size_t)n * px * n * px), n * px, n * px};
    assert_non_null(g.pix);
    for (unsigned y = 0; y < g.h; y++)
        for (unsigned x = 0; x < g.w; x++) g.pix[(size_t)y * g.w + x] = m[(y / px) * n + x / px] ? 0 : 255;
    return g;
}

static void expect_read(const uint8_t *img, size_t len, const char *text)
{
    char out[8192];
    size_t outlen = 99;
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, img, len), API_OK);
    assert_int_equal(outlen, strlen(text));
    assert_string_equal(out, text);
}

static void expect_gray_reads(const gray *g, const char *text)
{
    size_t len;
    uint8_t *png = gray_to_png(&len, g);
    expect_read(png, len, text);
    free(png);
}

/* ---- rendering ---- */

static void test_png_render(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN);
    render_opts o;
    render_opts_default(&o);
    assert_int_equal(o.module_px, 4);
    assert_int_equal(o.margin, 4);
    assert_int_equal(o.level, 'M');

    uint8_t *png;
    size_t len;
    int version = 0;
    assert_int_equal(render_png(&png, &len, &version, text, &o), API_OK);
    assert_true(version >= 1 && version <= 15);
    assert_int_equal(render_version_for(text, 'M'), version);
    assert_true(len > 33);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(png + 12, "IHDR", 4);
    uint32_t side = (uint32_t)(17 + 4 * version + 2 * o.margin) * (uint32_t)o.module_px;
    assert_int_equal(bytes_get_be32(png + 16), side);
    assert_int_equal(bytes_get_be32(png + 20), side);
    assert_int_equal(png[24], 1); /* bit depth */
    assert_int_equal(png[25], 0); /* grayscale */

    /* NULL options are the defaults: the same bytes. */
    uint8_t *png2;
    size_t len2;
    assert_int_equal(render_png(&png2, &len2, NULL, text, NULL), API_OK);
    assert_int_equal(len2, len);
    assert_memory_equal(png2, png, len);
    free(png2);
    free(png);
    free(text);
}

static void test_levels(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN);
    int l = render_version_for(text, 'L'), m = render_version_for(text, 'M');
    int q = render_version_for(text, 'Q'), h = render_version_for(text, 'H');
    assert_true(l >= 1 && l <= m && m <= q && q <= h && h <= 40);
    assert_true(m <= 15);
    assert_int_equal(render_version_for(text, 'X'), 0);
    assert_int_equal(render_version_for("", 'M'), 0);
    assert_int_equal(render_version_for(NULL, 'M'), 0);

    render_opts o;
    render_opts_default(&o);
    o.level = 'H';
    uint8_t *png;
    size_t len;
    int v;
    assert_int_equal(render_png(&png, &len, &v, text, &o), API_OK);
    assert_int_equal(v, h);
    expect_read(png, len, text);
    free(png);
    free(text);
}

/* Reads back the one path this renderer writes: "Mx yhNv1h-Nz" runs. */
static uint8_t *svg_to_matrix(const char *svg, unsigned n)
{
    uint8_t *m = calloc((size_t)n * n, 1);
    assert_non_null(m);
    const char *d = strstr(svg, " d=\"");
    assert_non_null(d);
    d += 4;
    while (*d != '"') {
        int x, y, run, run2, used = 0;
        assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &used), 4);
        assert_true(used > 0);
        assert_int_equal(run, run2);
        assert_true(x >= 0 && y >= 0 && run > 0 && (unsigned)(x + run) <= n && (unsigned)y < n);
        memset(m + (size_t)y * n + (unsigned)x, 1, (size_t)run);
        d += used;
    }
    return m;
}

static void test_svg_render(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN);
    char *svg;
    size_t len;
    int version;
    render_opts o;
    render_opts_default(&o);
    o.module_px = 3;
    assert_int_equal(render_svg(&svg, &len, &version, text, &o), API_OK);
    assert_true(version >= 1 && version <= 15);
    assert_int_equal(strlen(svg), len);
    assert_true(strncmp(svg, "<svg", 4) == 0 || strncmp(svg, "<?xml", 5) == 0);

    unsigned n = (unsigned)(17 + 4 * version + 2 * o.margin);
    char want[128];
    snprintf(want, sizeof want, "viewBox=\"0 0 %u %u\"", n, n);
    assert_non_null(strstr(svg, want));
    snprintf(want, sizeof want, "width=\"%u\" height=\"%u\"", n * 3, n * 3);
    assert_non_null(strstr(svg, want));
    assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, "shape-rendering=\"crispEdges\""));
    assert_non_null(strstr(svg, "<title>"));
    assert_non_null(strstr(svg, "fill=\"#fff\""));
    const char *p1 = strstr(svg, "<path");
    assert_non_null(p1);
    assert_null(strstr(p1 + 1, "<path"));
    assert_true(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0);

    uint8_t *m = svg_to_matrix(svg, n);
    gray g = matrix_to_gray(m, n, 4);
    expect_gray_reads(&g, text);
    free(g.pix);
    free(m);
    free(svg);
    free(text);
}

/* Reads the half blocks back into modules; checks the line shape. */
static uint8_t *terminal_to_matrix(const char *s, unsigned n, int invert)
{
    uint8_t *m = calloc((size_t)n * n, 1);
    assert_non_null(m);
    unsigned lines = 0;
    while (*s) {
        unsigned col = 0;
        while (*s != '\n') {
            int top, bot;
            if (*s == ' ') {
                top = bot = 0;
                s += 1;
            } else {
                assert_true((uint8_t)s[0] == 0xe2 && (uint8_t)s[1] == 0x96);
                switch ((uint8_t)s[2]) {
                case 0x80:
                    top = 1, bot = 0;
                    break;
                case 0x84:
                    top = 0, bot = 1;
                    break;
                case 0x88:
                    top = 1, bot = 1;
                    break;
                default:
                    fail_msg("unexpected glyph 0x%02x", (uint8_t)s[2]);
                    return m;
                }
                s += 3;
            }
            assert_true(col < n);
            unsigned y = 2 * lines;
            m[y * n + col] = (uint8_t)(top ^ (invert != 0));
            if (y + 1 < n)
                m[(y + 1) * n + col] = (uint8_t)(bot ^ (invert != 0));
            else
                assert_int_equal(bot, 0); /* nothing drawn below the picture */
            col++;
        }
        assert_int_equal(col, n);
        s++;
        lines++;
    }
    assert_int_equal(lines, (n + 1) / 2);
    return m;
}

static void test_terminal_render(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN);
    for (int invert = 0; invert <= 1; invert++) {
        for (int margin = 3; margin <= 4; margin++) { /* odd and even sides */
            render_opts o;
            render_opts_default(&o);
            o.margin = margin;
            char *t;
            size_t len;
            int version;
            assert_int_equal(render_terminal(&t, &len, &version, text, &o, invert), API_OK);
            assert_true(version >= 1 && version <= 15);
            assert_int_equal(strlen(t), len);
            assert_true(len > 0 && t[len - 1] == '\n');
            unsigned n = (unsigned)(17 + 4 * version + 2 * margin);
            size_t nl = 0;
            for (size_t i = 0; i < len; i++) nl += t[i] == '\n';
            assert_int_equal(nl, (n + 1) / 2);

            uint8_t *m = terminal_to_matrix(t, n, invert);
            gray g = matrix_to_gray(m, n, 4);
            expect_gray_reads(&g, text);
            free(g.pix);
            free(m);
            free(t);
        }
    }
    free(text);
}

/* ---- round trips through image_read_qr ---- */

static void test_roundtrip_png(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN);
    uint8_t *png;
    size_t len;
    assert_int_equal(render_png(&png, &len, NULL, text, NULL), API_OK);
    expect_read(png, len, text);
    free(png);

    render_opts o;
    render_opts_default(&o);
    o.module_px = 2;
    o.margin = 4;
    assert_int_equal(render_png(&png, &len, NULL, text, &o), API_OK);
    expect_read(png, len, text);
    free(png);

    /* Case is kept (byte mode for the lower-case part). */
    assert_int_equal(render_png(&png, &len, NULL, "API1:Mixed case, not Base45", NULL), API_OK);
    expect_read(png, len, "API1:Mixed case, not Base45");
    free(png);
    free(text);
}

static void test_roundtrip_jpeg(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN);
    uint8_t *png, *jpg;
    size_t len, jlen;
    assert_int_equal(render_png(&png, &len, NULL, text, NULL), API_OK);
    gray g = png_to_gray(png, len);

    jpg = gray_to_jpeg(&jlen, &g, 90, 1);
    assert_memory_equal(jpg, "\xff\xd8\xff", 3);
    expect_read(jpg, jlen, text);
    free(jpg);

    jpg = gray_to_jpeg(&jlen, &g, 90, 4); /* CMYK, as some scanners write */
    expect_read(jpg, jlen, text);
    free(jpg);

    free(g.pix);
    free(png);
    free(text);
}

static void test_roundtrip_page(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN);
    uint8_t *png;
    size_t len;
    assert_int_equal(render_png(&png, &len, NULL, text, NULL), API_OK);
    gray code = png_to_gray(png, len);
    gray page = page_with(&code, 1200, 1600, 780, 1180);

    expect_gray_reads(&page, text);
    size_t jlen;
    uint8_t *jpg = gray_to_jpeg(&jlen, &page, 90, 1);
    expect_read(jpg, jlen, text);
    free(jpg);

    free(page.pix);
    free(code.pix);
    free(png);
    free(text);
}

/* Dark modules opaque black, light ones transparent *black*: composited on white. */
static void test_roundtrip_transparent(void **state)
{
    (void)state;
    char *text = make_text(TEXT_LEN);
    uint8_t *png;
    size_t len;
    assert_int_equal(render_png(&png, &len, NULL, text, NULL), API_OK);
    gray g = png_to_gray(png, len);

    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = g.w;
    img.height = g.h;
    img.format = PNG_FORMAT_GA;
    uint8_t *ga = malloc((size_t)g.w * g.h * 2);
    assert_non_null(ga);
    for (size_t i = 0; i < (size_t)g.w * g.h; i++) {
        ga[2 * i] = 0;
        ga[2 * i + 1] = g.pix[i] < 128 ? 255 : 0;
    }
    png_alloc_size_t n = 0;
    assert_true(png_image_write_to_memory(&img, NULL, &n, 0, ga, 0, NULL));
    uint8_t *out = malloc(n);
    assert_non_null(out);
    assert_true(png_image_write_to_memory(&img, out, &n, 0, ga, 0, NULL));
    expect_read(out, n, text);

    free(out);
    free(ga);
    free(g.pix);
    free(png);
    free(text);
}

/* zbarimg, a separate program, must read exactly the same text. */
static void test_zbarimg_referee(void **state)
{
    (void)state;
    if (access(ZBARIMG, X_OK) != 0) {
        print_message("SKIP: %s is absent (apt-get install zbar-tools): no independent check\n", ZBARIMG);
        skip();
    }
    char *text = make_text(TEXT_LEN);
    uint8_t *png;
    size_t len;
    assert_int_equal(render_png(&png, &len, NULL, text, NULL), API_OK);

    char dir[TESTKIT_DIR_MAX];
    assert_int_equal(testkit_tmpdir(dir, "api-render"), 0);
    char path[TESTKIT_DIR_MAX + 16];
    snprintf(path, sizeof path, "%s/qr.png", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(png, 1, len, f), len);
    assert_int_equal(fclose(f), 0);

    char cmd[sizeof path + 64];
    snprintf(cmd, sizeof cmd, ZBARIMG " --raw -q '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    char out[8192];
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    int status = p ? pclose(p) : -1;
    out[n] = '\0';
    assert_int_equal(testkit_tmpdir_remove(dir), 0);

    assert_int_equal(status, 0);
    if (n > 0 && out[n - 1] == '\n') out[--n] = '\0';
    assert_string_equal(out, text);
    free(png);
    free(text);
}

/* ---- errors ---- */

static void test_render_errors(void **state)
{
    (void)state;
    uint8_t *png = (uint8_t *)"x";
    char *s = "x";
    size_t len = 7;
    int v = 7;
    render_opts o;

    assert_int_equal(render_png(&png, &len, &v, NULL, NULL), API_ERR_ARG);
    assert_null(png);
    assert_int_equal(len, 0);
    assert_int_equal(render_png(&png, &len, &v, "", NULL), API_ERR_ARG);
    assert_int_equal(render_svg(&s, &len, &v, "", NULL), API_ERR_ARG);
    assert_null(s);
    assert_int_equal(render_terminal(&s, &len, &v, NULL, NULL, 0), API_ERR_ARG);
    assert_int_equal(render_png(NULL, &len, &v, "API1:", NULL), API_ERR_ARG);
    assert_int_equal(render_png(&png, NULL, &v, "API1:", NULL), API_ERR_ARG);

    render_opts_default(&o);
    o.module_px = 0;
    assert_int_equal(render_png(&png, &len, &v, "API1:", &o), API_ERR_ARG);
    o.module_px = 65;
    assert_int_equal(render_png(&png, &len, &v, "API1:", &o), API_ERR_ARG);
    assert_int_equal(render_svg(&s, &len, &v, "API1:", &o), API_ERR_ARG);
    o.module_px = 64; /* the bound itself is fine */
    assert_int_equal(render_png(&png, &len, &v, "API1:", &o), API_OK);
    free(png);

    render_opts_default(&o);
    o.margin = -1;
    assert_int_equal(render_png(&png, &len, &v, "API1:", &o), API_ERR_ARG);
    o.margin = 65;
    assert_int_equal(render_terminal(&s, &len, &v, "API1:", &o, 0), API_ERR_ARG);
    o.margin = 0;
    assert_int_equal(render_png(&png, &len, &v, "API1:", &o), API_OK);
    free(png);

    render_opts_default(&o);
    o.level = 'X';
    assert_int_equal(render_png(&png, &len, &v, "API1:", &o), API_ERR_ARG);
    o.level = 'm';
    assert_int_equal(render_svg(&s, &len, &v, "API1:", &o), API_ERR_ARG);

    char *big = make_text(5000);
    assert_int_equal(render_png(&png, &len, &v, big, NULL), API_ERR_TOO_LARGE);
    assert_null(png);
    assert_int_equal(render_svg(&s, &len, &v, big, NULL), API_ERR_TOO_LARGE);
    assert_int_equal(render_terminal(&s, &len, &v, big, NULL, 1), API_ERR_TOO_LARGE);
    assert_int_equal(render_version_for(big, 'M'), 0);
    free(big);
    big = make_text(100000); /* refused before libqrencode sees it */
    assert_int_equal(render_png(&png, &len, &v, big, NULL), API_ERR_TOO_LARGE);
    free(big);
}

static void test_image_errors(void **state)
{
    (void)state;
    char out[8192];
    size_t outlen = 0;
    uint8_t junk[100];

    assert_int_equal(image_read_qr(out, sizeof out, &outlen, NULL, 0), API_ERR_IMAGE);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, junk, 0), API_ERR_IMAGE);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, NULL, 10), API_ERR_ARG);
    assert_int_equal(image_read_qr(NULL, sizeof out, &outlen, junk, sizeof junk), API_ERR_ARG);
    assert_int_equal(image_read_qr(out, 0, &outlen, junk, sizeof junk), API_ERR_ARG);
    assert_int_equal(image_read_qr(out, sizeof out, NULL, junk, sizeof junk), API_ERR_ARG);

    fill_random(junk, sizeof junk, 7);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, junk, sizeof junk), API_ERR_IMAGE);
    assert_int_equal(outlen, 0);
    assert_string_equal(out, "");
    memcpy(junk, "\x89PNG\r\n\x1a\n", 8); /* right magic, garbage after */
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, junk, sizeof junk), API_ERR_IMAGE);
    memcpy(junk, "\xff\xd8\xff", 3);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, junk, sizeof junk), API_ERR_IMAGE);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, junk, 3), API_ERR_IMAGE);

    char *text = make_text(TEXT_LEN);
    uint8_t *png;
    size_t len;
    assert_int_equal(render_png(&png, &len, NULL, text, NULL), API_OK);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, png, len / 2), API_ERR_IMAGE);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, png, 40), API_ERR_IMAGE);

    /* The text must fit with its NUL. */
    assert_int_equal(image_read_qr(out, TEXT_LEN, &outlen, png, len), API_ERR_TOO_LARGE);
    assert_int_equal(image_read_qr(out, TEXT_LEN + 1, &outlen, png, len), API_OK);
    assert_int_equal(outlen, TEXT_LEN);

    gray g = png_to_gray(png, len);
    size_t jlen;
    uint8_t *jpg = gray_to_jpeg(&jlen, &g, 90, 1);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, jpg, jlen / 2), API_ERR_IMAGE);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, jpg, 200), API_ERR_IMAGE);

    /* A JPEG whose frame header claims 60000 x 60000 pixels. */
    size_t i;
    for (i = 2; i + 9 < jlen; i++)
        if (jpg[i] == 0xff && (jpg[i + 1] == 0xc0 || jpg[i + 1] == 0xc2)) break;
    assert_true(i + 9 < jlen);
    jpg[i + 5] = jpg[i + 7] = 0xea;
    jpg[i + 6] = jpg[i + 8] = 0x60;
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, jpg, jlen), API_ERR_TOO_LARGE);
    free(jpg);

    /* A valid picture without any QR code. */
    memset(g.pix, 255, (size_t)g.w * g.h);
    size_t wlen;
    uint8_t *white = gray_to_png(&wlen, &g);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, white, wlen), API_ERR_NO_QR);
    free(white);
    jpg = gray_to_jpeg(&jlen, &g, 90, 1);
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, jpg, jlen), API_ERR_NO_QR);
    free(jpg);
    free(g.pix);

    /* A PNG header claiming 100000 x 100000 pixels (valid CRC). */
    memcpy(png + 16, "\0\0\0\0\0\0\0\0", 8);
    bytes_put_be32(png + 16, 100000);
    bytes_put_be32(png + 20, 100000);
    bytes_put_be32(png + 29, (uint32_t)crc32(0, png + 12, 17));
    api_err e = image_read_qr(out, sizeof out, &outlen, png, len);
    assert_true(e == API_ERR_TOO_LARGE || e == API_ERR_IMAGE);
    bytes_put_be32(png + 16, 7072); /* just over 50 megapixels */
    bytes_put_be32(png + 20, 7072);
    bytes_put_be32(png + 29, (uint32_t)crc32(0, png + 12, 17));
    assert_int_equal(image_read_qr(out, sizeof out, &outlen, png, len), API_ERR_TOO_LARGE);

    free(png);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_render),      cmocka_unit_test(test_levels),
        cmocka_unit_test(test_svg_render),      cmocka_unit_test(test_terminal_render),
        cmocka_unit_test(test_roundtrip_png),   cmocka_unit_test(test_roundtrip_jpeg),
        cmocka_unit_test(test_roundtrip_page),  cmocka_unit_test(test_roundtrip_transparent),
        cmocka_unit_test(test_zbarimg_referee), cmocka_unit_test(test_render_errors),
        cmocka_unit_test(test_image_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
