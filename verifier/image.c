/*
 * image.c: reads the QR text out of a photo or scan (PNG or JPEG bytes).
 *
 * It owns three steps: telling the format from the magic bytes (never from
 * a file name), decoding to 8-bit gray ("Y800") with libpng's simplified
 * API or libjpeg, and scanning that with a zbar scanner restricted to QR
 * codes (one scan gives every code of the picture; image_read_qr picks
 * one of them, image_read_codes and image_read_gray keep them all). It must not interpret the text (prefix,
 * Base45, signature are the verifier's business) and must not trust anything in the file: the input comes
 * from HTTP uploads and is fuzzed.
 *
 * Defences, in order: the pixel count is checked against IMAGE_MAX_PIXELS
 * from the header, before any pixel buffer exists; libjpeg's fatal errors
 * longjmp back here (it must never call exit()) and its messages are
 * silenced; a truncated JPEG (libjpeg's "premature end" warning) is an
 * error rather than a gray-padded picture; progressive JPEGs are bounded
 * in scans and in memory. Every call creates and destroys its own decoder
 * and scanner, so calls on different threads share nothing.
 */
#include "verifier/image.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <zbar.h>

#define IMAGE_PREFIX          "API1:"
#define IMAGE_JPEG_MAX_SCANS  256                  /* libjpeg-turbo's fuzzers use a few hundred */
#define IMAGE_JPEG_MAX_MEMORY (512L * 1024 * 1024) /* progressive coefficient buffers */

/* A decoded picture: width * height bytes of gray, no padding. */
typedef struct {
    uint8_t *pix;
    uint8_t *row; /* JPEG CMYK scratch row */
    unsigned w;
    unsigned h;
} image_gray;

static int image_too_large(unsigned long long w, unsigned long long h)
{
    return w * h > IMAGE_MAX_PIXELS; /* both < 2^32: no overflow in 64 bits */
}

/* ---- PNG ---- */

static api_err image_png(image_gray *g, const uint8_t *data, size_t len)
{
    png_image img;
    const png_color white = {255, 255, 255};

    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, len)) {
        png_image_free(&img);
        return API_ERR_IMAGE;
    }
    if (img.width == 0 || img.height == 0) {
        png_image_free(&img);
        return API_ERR_IMAGE;
    }
    if (image_too_large(img.width, img.height)) {
        png_image_free(&img);
        return API_ERR_TOO_LARGE;
    }
    img.format = PNG_FORMAT_GRAY; /* transparency is composited onto white */
    g->w = img.width;
    g->h = img.height;
    g->pix = malloc((size_t)g->w * g->h);
    if (!g->pix) {
        png_image_free(&img);
        return API_ERR_NOMEM;
    }
    if (!png_image_finish_read(&img, &white, g->pix, (png_int_32)g->w, NULL)) {
        png_image_free(&img);
        free(g->pix);
        g->pix = NULL;
        return API_ERR_IMAGE;
    }
    png_image_free(&img); /* a no-op after a successful finish */
    return API_OK;
}

/* ---- JPEG ---- */

typedef struct {
    struct jpeg_error_mgr pub; /* first: libjpeg hands back &pub */
    jmp_buf jmp;
    api_err err;
} image_jpeg_guard;

static void image_jpeg_fail(j_common_ptr c, api_err e)
{
    image_jpeg_guard *guard = (image_jpeg_guard *)(void *)c->err;
    guard->err = e;
    longjmp(guard->jmp, 1);
}

static void image_jpeg_error_exit(j_common_ptr c)
{
    switch (c->err->msg_code) {
    case JERR_OUT_OF_MEMORY:
        image_jpeg_fail(c, API_ERR_NOMEM);
        break;
    case JERR_NO_BACKING_STORE:
        image_jpeg_fail(c, API_ERR_TOO_LARGE);
        break; /* over the memory bound */
    default:
        image_jpeg_fail(c, API_ERR_IMAGE);
        break;
    }
}

/* Warnings are ignored, except running out of data: a truncated file. */
static void image_jpeg_emit(j_common_ptr c, int level)
{
    if (level < 0 && c->err->msg_code == JWRN_JPEG_EOF) image_jpeg_fail(c, API_ERR_IMAGE);
}

static void image_jpeg_output(j_common_ptr c)
{
    (void)c;
}

/* Bounds the scans of a progressive file (each one a pass over the image). */
static void image_jpeg_progress(j_common_ptr c)
{
    if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > IMAGE_JPEG_MAX_SCANS)
        image_jpeg_fail(c, API_ERR_IMAGE);
}

/* One row of CMYK (Adobe files store it inverted) to gray. */
static void image_cmyk_to_gray(uint8_t *out, const uint8_t *in, unsigned w, int inverted)
{
    for (unsigned x = 0; x < w; x++, in += 4) {
        unsigned c = in[0], m = in[1], y = in[2], k = in[3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        unsigned r = c * k / 255, g = m * k / 255, b = y * k / 255;
        out[x] = (uint8_t)((77 * r + 150 * g + 29 * b) >> 8);
    }
}

static api_err image_jpeg(image_gray *g, const uint8_t *data, size_t len)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr progress;
    image_jpeg_guard guard;

    if (len > ULONG_MAX) return API_ERR_TOO_LARGE;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&progress, 0, sizeof progress);
    cinfo.err = jpeg_std_error(&guard.pub);
    guard.pub.error_exit = image_jpeg_error_exit;
    guard.pub.emit_message = image_jpeg_emit;
    guard.pub.output_message = image_jpeg_output;
    guard.err = API_ERR_IMAGE;
    if (setjmp(guard.jmp)) {
        jpeg_destroy_decompress(&cinfo);
        free(g->pix);
        free(g->row);
        g->pix = g->row = NULL;
        return guard.err;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = IMAGE_JPEG_MAX_MEMORY;
    progress.progress_monitor = image_jpeg_progress;
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.image_width == 0 || cinfo.image_height == 0)
        image_jpeg_fail((j_common_ptr)&cinfo, API_ERR_IMAGE);
    if (image_too_large(cinfo.image_width, cinfo.image_height))
        image_jpeg_fail((j_common_ptr)&cinfo, API_ERR_TOO_LARGE);

    /* libjpeg converts everything to gray but CMYK: that one is done here. */
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != cinfo.image_width || cinfo.output_height != cinfo.image_height ||
        cinfo.output_components != (cmyk ? 4 : 1))
        image_jpeg_fail((j_common_ptr)&cinfo, API_ERR_IMAGE);

    g->w = cinfo.output_width;
    g->h = cinfo.output_height;
    g->pix = malloc((size_t)g->w * g->h);
    if (cmyk) g->row = malloc((size_t)g->w * 4);
    if (!g->pix || (cmyk && !g->row)) image_jpeg_fail((j_common_ptr)&cinfo, API_ERR_NOMEM);
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *dst = g->pix + (size_t)cinfo.output_scanline * g->w;
        JSAMPROW r = cmyk ? g->row : dst;
        if (jpeg_read_scanlines(&cinfo, &r, 1) != 1) image_jpeg_fail((j_common_ptr)&cinfo, API_ERR_IMAGE);
        if (cmyk) image_cmyk_to_gray(dst, g->row, g->w, cinfo.saw_Adobe_marker);
    }
    /* No jpeg_finish_decompress: every pixel is in, a missing EOI is harmless. */
    jpeg_destroy_decompress(&cinfo);
    free(g->row);
    g->row = NULL;
    return API_OK;
}

/* ---- zbar ---- */

static int image_has_prefix(const char *s, size_t n)
{
    return n >= sizeof IMAGE_PREFIX - 1 && memcmp(s, IMAGE_PREFIX, sizeof IMAGE_PREFIX - 1) == 0;
}

/* Every QR symbol of a gray picture into out (which the caller frees). */
static api_err image_scan_all(image_codes *out, const image_gray *g)
{
    api_err e = API_OK;
    zbar_image_scanner_t *scanner = zbar_image_scanner_create();
    zbar_image_t *zimg = zbar_image_create();
    if (!scanner || !zimg) {
        e = API_ERR_NOMEM;
        goto done;
    }
    zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(zimg, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zimg, g->w, g->h);
    zbar_image_set_data(zimg, g->pix, (unsigned long)g->w * g->h, NULL); /* we keep ownership */
    if (zbar_scan_image(scanner, zimg) < 0) {
        e = API_ERR_IMAGE;
        goto done;
    }
    for (const zbar_symbol_t *s = zbar_image_first_symbol(zimg); s && out->n < IMAGE_MAX_CODES;
         s = zbar_symbol_next(s)) {
        if (zbar_symbol_get_type(s) != ZBAR_QRCODE || !zbar_symbol_get_data(s)) continue;
        size_t n = zbar_symbol_get_data_length(s);
        if (n >= IMAGE_MAX_CODE_LEN) continue;
        char *t = malloc(n + 1);
        if (!t) {
            e = API_ERR_NOMEM;
            break;
        }
        memcpy(t, zbar_symbol_get_data(s), n);
        t[n] = '\0';
        out->text[out->n] = t;
        out->len[out->n++] = n;
    }
done:
    if (zimg) zbar_image_destroy(zimg);
    if (scanner) zbar_image_scanner_destroy(scanner);
    return e;
}

/* The text of the first QR symbol that starts with "API1:", or of the first one. */
static api_err image_scan(char *out, size_t outcap, size_t *outlen, const image_gray *g)
{
    image_codes codes;
    memset(&codes, 0, sizeof codes);
    api_err e = image_scan_all(&codes, g);
    size_t pick = 0;
    for (size_t i = 0; i < codes.n; i++)
        if (image_has_prefix(codes.text[i], codes.len[i])) {
            pick = i;
            break;
        }
    if (e == API_OK && codes.n == 0) e = API_ERR_NO_QR;
    if (e == API_OK && codes.len[pick] >= outcap) e = API_ERR_TOO_LARGE;
    if (e == API_OK) {
        memcpy(out, codes.text[pick], codes.len[pick] + 1);
        *outlen = codes.len[pick];
    }
    image_codes_free(&codes);
    return e;
}

void image_codes_free(image_codes *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n && i < IMAGE_MAX_CODES; i++) free(c->text[i]);
    memset(c, 0, sizeof *c);
}

api_err image_read_gray(image_codes *out, const uint8_t *gray, unsigned w, unsigned h)
{
    if (!out) return API_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (!gray || w == 0 || h == 0) return API_ERR_ARG;
    if (image_too_large(w, h)) return API_ERR_TOO_LARGE;
    image_gray g = {(uint8_t *)(uintptr_t)gray, NULL, w, h}; /* zbar only reads it */
    return image_scan_all(out, &g);
}

/* ---- entry points ---- */

/* PNG or JPEG bytes to gray, told apart by their magic bytes. */
static api_err image_decode(image_gray *g, const uint8_t *data, size_t len)
{
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const uint8_t jpeg_magic[3] = {0xff, 0xd8, 0xff};
    if (len >= sizeof png_magic && memcmp(data, png_magic, sizeof png_magic) == 0)
        return image_png(g, data, len);
    if (len >= sizeof jpeg_magic && memcmp(data, jpeg_magic, sizeof jpeg_magic) == 0)
        return image_jpeg(g, data, len);
    return API_ERR_IMAGE;
}

api_err image_read_codes(image_codes *out, const uint8_t *data, size_t len)
{
    image_gray g = {0};
    if (!out) return API_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (!data && len) return API_ERR_ARG;
    api_err e = image_decode(&g, data, len);
    if (e != API_OK) return e;
    e = image_scan_all(out, &g);
    free(g.pix);
    return e;
}

api_err image_read_qr(char *out, size_t outcap, size_t *outlen, const uint8_t *data, size_t len)
{
    image_gray g = {0};

    if (!out || !outcap || !outlen || (!data && len)) return API_ERR_ARG;
    out[0] = '\0';
    *outlen = 0;
    api_err e = image_decode(&g, data, len);
    if (e != API_OK) return e;

    e = image_scan(out, outcap, outlen, &g);
    free(g.pix);
    return e;
}
