/*
 * image.c: reads the QR text out of a photo or scan (PNG or JPEG bytes).
 *
 * It owns three steps: telling the format from the magic bytes (never from
 * a file name), decoding to 8-bit gray with libpng's simplified API or
 * libjpeg, and reading that with a fixed list of attempts until one finds a
 * code (every code that attempt finds is kept, each once; image_read_qr
 * picks one). It must not interpret the text (prefix, Base45, signature are
 * the verifier's business) and must not trust anything in the file: the
 * input comes from HTTP uploads and is fuzzed.
 *
 * The reading is made for phone photos of a whole printed page (the code
 * 45-50 mm wide, so 2.5 to 6.5 pixels a module), measured on the photos of
 * tests/photos (make bench). zxing-cpp (verifier/zxread.cpp, try harder) at
 * the picture's size reads about nine photos in ten; then a half-size copy
 * (large noisy pictures), then, for pictures of at most
 * IMAGE_DOUBLE_MAX_PIXELS, a copy doubled after an unsharp mask and a
 * doubled one (small, blurred modules: the most reads added), zxing-cpp's
 * global-histogram binarizer, zbar, which still reads a few photos
 * zxing-cpp misses in every form (about 1.5 %), and for small pictures
 * again: the overlapping quarters of the picture, each sharpened and
 * doubled, and a doubled copy smoothed before it is sharpened (dim photos,
 * whose noise the plain unsharp mask amplifies). On 400 photos of two
 * generated sets these last two added 9 reads (from 382 to 391). Contrast
 * normalisation and crops around the codes zxing-cpp sees but cannot decode
 * were measured and dropped: the first added no read, and zxing-cpp 1.4
 * reports no position for a code it fails to decode. EXIF orientation is
 * not read: a QR code reads the same turned, and both engines find it at
 * any angle.
 *
 * Defences, in order: the pixel count is checked against IMAGE_MAX_PIXELS
 * from the header, before any pixel buffer exists; a JPEG over the photo
 * budget (IMAGE_PHOTO_MAX_PIXELS) is decoded shrunk by libjpeg's DCT
 * scaling, a PNG is shrunk after decoding; libjpeg's fatal errors longjmp
 * back here (it must never call exit()) and its messages are silenced; a
 * truncated JPEG (libjpeg's "premature end" warning) is an error rather
 * than a gray-padded picture; progressive JPEGs are bounded in scans and in
 * memory. The attempts are a fixed list, each on at most 16 MP (a doubled
 * copy at most 24 MP, zbar at most 6 MP). zxing-cpp 1.4 on a picture tiled
 * with thousands of finder patterns tries their combinations for minutes:
 * each of its readings has a deadline (zxread.h), past which the attempts
 * left are zbar's. Every call creates and
 * destroys its own decoders and copies, so calls on different threads
 * share nothing but zxread's count of readings past their deadline.
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

#include "verifier/zxread.h"

#define IMAGE_PREFIX            "API1:"
#define IMAGE_JPEG_MAX_SCANS    256                  /* libjpeg-turbo's fuzzers use a few hundred */
#define IMAGE_JPEG_MAX_MEMORY   (512L * 1024 * 1024) /* progressive coefficient buffers */
#define IMAGE_HALF_MIN_SIDE     2000u    /* a half-size copy is read when the long side is this or more */
#define IMAGE_DOUBLE_MAX_PIXELS 6000000u /* a doubled copy is read when the picture is this or less */
#define IMAGE_ZBAR_MAX_PIXELS   6000000u /* zbar reads a larger picture at half size */

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
    /* Over the photo budget, libjpeg shrinks while decoding (1/2, 1/4, 1/8 in its DCT): cheaper than after.
     */
    cinfo.scale_num = 1;
    cinfo.scale_denom = 1;
    while (cinfo.scale_denom < 8 &&
           (unsigned long long)cinfo.image_width * cinfo.image_height >
               IMAGE_PHOTO_MAX_PIXELS * (unsigned long long)cinfo.scale_denom * cinfo.scale_denom)
        cinfo.scale_denom *= 2;
    jpeg_calc_output_dimensions(&cinfo);
    unsigned want_w = cinfo.output_width, want_h = cinfo.output_height;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != want_w || cinfo.output_height != want_h || cinfo.output_width == 0 ||
        cinfo.output_height == 0 || cinfo.output_components != (cmyk ? 4 : 1))
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

/* ---- copies of the picture ---- */

/* A copy shrunk by k in both directions, each pixel the mean of a k x k block. */
static api_err image_shrink(image_gray *dst, const image_gray *src, unsigned k)
{
    dst->w = src->w / k;
    dst->h = src->h / k;
    dst->row = NULL;
    dst->pix = NULL;
    if (dst->w == 0 || dst->h == 0) return API_ERR_IMAGE;
    dst->pix = malloc((size_t)dst->w * dst->h);
    uint32_t *acc = calloc(dst->w, sizeof *acc);
    if (!dst->pix || !acc) {
        free(dst->pix);
        free(acc);
        dst->pix = NULL;
        return API_ERR_NOMEM;
    }
    const uint32_t area = k * k, half = k * k / 2;
    for (unsigned y = 0; y < dst->h; y++) {
        memset(acc, 0, dst->w * sizeof *acc);
        for (unsigned dy = 0; dy < k; dy++) {
            const uint8_t *s = src->pix + (size_t)(y * k + dy) * src->w;
            for (unsigned x = 0; x < dst->w; x++, s += k)
                for (unsigned dx = 0; dx < k; dx++) acc[x] += s[dx];
        }
        uint8_t *d = dst->pix + (size_t)y * dst->w;
        for (unsigned x = 0; x < dst->w; x++) d[x] = (uint8_t)((acc[x] + half) / area);
    }
    free(acc);
    return API_OK;
}

static uint8_t image_clamp(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/*
 * A copy twice as large (bilinear), sharpened first when sharpen is 1 (the
 * pixel plus its difference to its four neighbours: an unsharp mask against
 * the blur of a photo out of focus), or smoothed then sharpened more gently
 * when it is 2 (for a dim photo, whose sensor noise the first would
 * amplify). For small pictures, whose
 * modules are 2 or 3 pixels: zxing-cpp samples a module better at 5.
 */
static api_err image_double(image_gray *dst, const image_gray *src, int sharpen)
{
    unsigned w = src->w, h = src->h;
    const uint8_t *s = src->pix;
    uint8_t *sharp = NULL;
    dst->w = 2 * w;
    dst->h = 2 * h;
    dst->row = NULL;
    dst->pix = malloc((size_t)dst->w * dst->h);
    if (sharpen) sharp = malloc((size_t)w * h);
    if (!dst->pix || (sharpen && !sharp)) {
        free(dst->pix);
        free(sharp);
        dst->pix = NULL;
        return API_ERR_NOMEM;
    }
    if (sharpen == 1) {
        memcpy(sharp, s, (size_t)w * h);
        for (unsigned y = 1; y + 1 < h; y++)
            for (unsigned x = 1; x + 1 < w; x++) {
                size_t i = (size_t)y * w + x;
                int c = s[i], around = s[i - w] + s[i + w] + s[i - 1] + s[i + 1];
                sharp[i] = image_clamp(c + (4 * c - around));
            }
        s = sharp;
    } else if (sharpen == 2) {
        /* Noise first: each pixel smoothed over its 3 x 3 neighbours (1 2 1), then the smoothed
         * picture given back the half of its difference to a wider blur (5 x 5 box). */
        memcpy(sharp, s, (size_t)w * h);
        for (unsigned y = 1; y + 1 < h; y++)
            for (unsigned x = 1; x + 1 < w; x++) {
                size_t i = (size_t)y * w + x;
                int v = 4 * s[i] + 2 * (s[i - w] + s[i + w] + s[i - 1] + s[i + 1]) + s[i - w - 1] +
                        s[i - w + 1] + s[i + w - 1] + s[i + w + 1];
                sharp[i] = (uint8_t)((v + 8) / 16);
            }
        uint8_t *out = malloc((size_t)w * h);
        if (!out) {
            free(dst->pix);
            free(sharp);
            dst->pix = NULL;
            return API_ERR_NOMEM;
        }
        memcpy(out, sharp, (size_t)w * h);
        for (unsigned y = 2; y + 2 < h; y++)
            for (unsigned x = 2; x + 2 < w; x++) {
                int sum = 0;
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++)
                        sum += sharp[(size_t)((int)y + dy) * w + (unsigned)((int)x + dx)];
                int c = sharp[(size_t)y * w + x];
                out[(size_t)y * w + x] = image_clamp(c + (3 * (25 * c - sum)) / 50);
            }
        free(sharp);
        sharp = out;
        s = sharp;
    }
    for (unsigned y = 0; y < dst->h; y++) {
        unsigned sy = y / 2, sy1 = sy + 1 < h ? sy + 1 : sy;
        const uint8_t *a = s + (size_t)sy * w, *b = s + (size_t)sy1 * w;
        uint8_t *d = dst->pix + (size_t)y * dst->w;
        for (unsigned x = 0; x < dst->w; x++) {
            unsigned sx = x / 2, sx1 = sx + 1 < w ? sx + 1 : sx;
            unsigned top = (x & 1) ? (a[sx] + a[sx1] + 1) / 2 : a[sx];
            unsigned bot = (x & 1) ? (b[sx] + b[sx1] + 1) / 2 : b[sx];
            d[x] = (uint8_t)((y & 1) ? (top + bot + 1) / 2 : top);
        }
    }
    free(sharp);
    return API_OK;
}

/* ---- the attempts ---- */

static int image_has_prefix(const char *s, size_t n)
{
    return n >= sizeof IMAGE_PREFIX - 1 && memcmp(s, IMAGE_PREFIX, sizeof IMAGE_PREFIX - 1) == 0;
}

typedef enum { IMAGE_ZXING, IMAGE_ZBAR } image_engine;
typedef enum {
    IMAGE_FULL,
    IMAGE_HALF,
    IMAGE_DOUBLE_SHARP,
    IMAGE_DOUBLE,
    IMAGE_CROPS,
    IMAGE_DOUBLE_SMOOTH
} image_copy;

typedef struct {
    const char *name;
    image_engine engine;
    image_copy copy;
    zxread_binarizer binarizer;
} image_attempt;

/*
 * The fixed list; reading stops after the first attempt that decodes a
 * code. Each one was kept because it reads photos the ones before it miss
 * on the generated set (make bench prints which attempt read each photo).
 */
static const image_attempt image_attempts[] = {
    {"zxing", IMAGE_ZXING, IMAGE_FULL, ZXREAD_LOCAL_AVERAGE},
    {"zxing, half size", IMAGE_ZXING, IMAGE_HALF, ZXREAD_LOCAL_AVERAGE},
    {"zxing, sharpened and doubled", IMAGE_ZXING, IMAGE_DOUBLE_SHARP, ZXREAD_LOCAL_AVERAGE},
    {"zxing, doubled", IMAGE_ZXING, IMAGE_DOUBLE, ZXREAD_LOCAL_AVERAGE},
    {"zxing, global histogram", IMAGE_ZXING, IMAGE_FULL, ZXREAD_GLOBAL_HISTOGRAM},
    {"zbar", IMAGE_ZBAR, IMAGE_FULL, ZXREAD_LOCAL_AVERAGE},
    {"zxing, quarters sharpened and doubled", IMAGE_ZXING, IMAGE_CROPS, ZXREAD_LOCAL_AVERAGE},
    {"zxing, smoothed, sharpened and doubled", IMAGE_ZXING, IMAGE_DOUBLE_SMOOTH, ZXREAD_LOCAL_AVERAGE},
};
#define IMAGE_N_ATTEMPTS (sizeof image_attempts / sizeof image_attempts[0])

/* One reading: the picture within the photo budget, the copies made so far, what was found. */
typedef struct {
    image_gray full;    /* the picture, or a shrunk copy of it over IMAGE_PHOTO_MAX_PIXELS */
    image_gray half;    /* made when first needed */
    image_gray doubled; /* the last doubled copy */
    image_codes *out;
    api_err err;
    int zxing_late; /* zxing-cpp overran its deadline (zxread.h): the attempts left are zbar's */
} image_reader;

static void image_add_code(image_reader *r, const uint8_t *bytes, size_t n)
{
    image_codes *out = r->out;
    if (n >= IMAGE_MAX_CODE_LEN || out->n >= IMAGE_MAX_CODES) return;
    for (size_t i = 0; i < out->n; i++) /* the same code seen twice (one page, two copies) is one code */
        if (out->len[i] == n && memcmp(out->text[i], bytes, n) == 0) return;
    char *t = malloc(n + 1);
    if (!t) {
        r->err = API_ERR_NOMEM;
        return;
    }
    if (n) memcpy(t, bytes, n);
    t[n] = '\0';
    out->text[out->n] = t;
    out->len[out->n++] = n;
}

static int image_zxing_found(void *ctx, const uint8_t *bytes, size_t len, const int corners[8])
{
    image_reader *r = ctx;
    (void)corners;
    image_add_code(r, bytes, len);
    return r->err != API_OK;
}

static api_err image_zbar(image_reader *r, const image_gray *g)
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
    for (const zbar_symbol_t *s = zbar_image_first_symbol(zimg); s && r->err == API_OK;
         s = zbar_symbol_next(s)) {
        if (zbar_symbol_get_type(s) != ZBAR_QRCODE || !zbar_symbol_get_data(s)) continue;
        image_add_code(r, (const uint8_t *)zbar_symbol_get_data(s), zbar_symbol_get_data_length(s));
    }
    e = r->err;
done:
    if (zimg) zbar_image_destroy(zimg);
    if (scanner) zbar_image_scanner_destroy(scanner);
    return e;
}

static api_err image_read_with(image_reader *r, const image_attempt *a, const image_gray *g)
{
    if (a->engine == IMAGE_ZBAR) return image_zbar(r, g);
    if (r->zxing_late) return API_OK;
    zxread_opts o = {a->binarizer, 1, 0, 0};
    int n = zxread_gray(g->pix, g->w, g->h, g->w, &o, image_zxing_found, r);
    if (n == ZXREAD_TIMEOUT) r->zxing_late = 1;
    if (n == -1 && r->err == API_OK) return API_ERR_IMAGE;
    return r->err;
}

static api_err image_half(image_reader *r)
{
    return r->half.pix ? API_OK : image_shrink(&r->half, &r->full, 2);
}

/*
 * The picture's quarters, overlapping (a 3 x 3 grid of half-width,
 * half-height windows, a quarter apart), each sharpened and doubled, until
 * one reads: in a small photo of a whole page the code is a few hundred
 * pixels across, and zxing-cpp finds its finder patterns in a window where
 * the text of the page no longer outnumbers them.
 */
static api_err image_crops(image_reader *r, const image_attempt *a)
{
    const image_gray *f = &r->full;
    image_gray crop = {NULL, NULL, f->w / 2, f->h / 2};
    api_err e = API_OK;
    if (crop.w < 64 || crop.h < 64) return API_OK;
    crop.pix = malloc((size_t)crop.w * crop.h);
    if (!crop.pix) return API_ERR_NOMEM;
    for (unsigned t = 0; t < 9 && e == API_OK && r->out->n == 0 && !r->zxing_late; t++) {
        unsigned x0 = (t % 3) * (f->w / 4), y0 = (t / 3) * (f->h / 4);
        for (unsigned y = 0; y < crop.h; y++)
            memcpy(crop.pix + (size_t)y * crop.w, f->pix + (size_t)(y0 + y) * f->w + x0, crop.w);
        free(r->doubled.pix);
        r->doubled.pix = NULL;
        e = image_double(&r->doubled, &crop, 1);
        if (e == API_OK) e = image_read_with(r, a, &r->doubled);
    }
    free(crop.pix);
    return e;
}

/* One attempt; an attempt that does not apply to this picture's size reads nothing. */
static api_err image_attempt_run(image_reader *r, const image_attempt *a)
{
    if (a->engine == IMAGE_ZXING && r->zxing_late) return API_OK;
    const image_gray *g = &r->full;
    unsigned long long px = (unsigned long long)r->full.w * r->full.h;
    unsigned side = r->full.w > r->full.h ? r->full.w : r->full.h;
    api_err e = API_OK;
    switch (a->copy) {
    case IMAGE_FULL:
        /* zbar's time grows faster with the pixels than zxing's: a large picture it reads at half size. */
        if (a->engine == IMAGE_ZBAR && px > IMAGE_ZBAR_MAX_PIXELS) {
            e = image_half(r);
            g = &r->half;
        }
        break;
    case IMAGE_HALF:
        if (side < IMAGE_HALF_MIN_SIDE) return API_OK;
        e = image_half(r);
        g = &r->half;
        break;
    case IMAGE_DOUBLE_SHARP:
    case IMAGE_DOUBLE:
    case IMAGE_DOUBLE_SMOOTH:
        if (px > IMAGE_DOUBLE_MAX_PIXELS) return API_OK;
        free(r->doubled.pix);
        r->doubled.pix = NULL;
        e = image_double(&r->doubled, &r->full,
                         a->copy == IMAGE_DOUBLE_SHARP    ? 1
                         : a->copy == IMAGE_DOUBLE_SMOOTH ? 2
                                                          : 0);
        g = &r->doubled;
        break;
    case IMAGE_CROPS:
        return px > IMAGE_DOUBLE_MAX_PIXELS ? API_OK : image_crops(r, a);
    }
    return e == API_OK ? image_read_with(r, a, g) : e;
}

/*
 * Reads g with the attempts of image_attempts until one finds a code. Fills
 * out (which the caller frees); *attempt is the index of that attempt, or
 * IMAGE_N_ATTEMPTS when none found one.
 */
static api_err image_find(image_codes *out, const image_gray *g, unsigned *attempt)
{
    image_reader r;
    memset(&r, 0, sizeof r);
    r.out = out;
    r.full = *g;
    *attempt = IMAGE_N_ATTEMPTS;
    api_err e = API_OK;

    unsigned long long px = (unsigned long long)g->w * g->h;
    if (px > IMAGE_PHOTO_MAX_PIXELS) { /* the smallest k with px / (k * k) within the budget */
        unsigned k = 2;
        while ((unsigned long long)k * k * IMAGE_PHOTO_MAX_PIXELS < px) k++;
        e = image_shrink(&r.full, g, k);
    }
    for (unsigned i = 0; e == API_OK && i < IMAGE_N_ATTEMPTS && out->n == 0; i++) {
        e = image_attempt_run(&r, &image_attempts[i]);
        if (out->n > 0) *attempt = i;
    }
    if (r.full.pix != g->pix) free(r.full.pix);
    free(r.half.pix);
    free(r.doubled.pix);
    return e;
}

/* The text of the first code that starts with "API1:", or of the first one. */
static api_err image_pick(char *out, size_t outcap, size_t *outlen, const image_codes *codes)
{
    size_t pick = 0;
    for (size_t i = 0; i < codes->n; i++)
        if (image_has_prefix(codes->text[i], codes->len[i])) {
            pick = i;
            break;
        }
    if (codes->n == 0) return API_ERR_NO_QR;
    if (codes->len[pick] >= outcap) return API_ERR_TOO_LARGE;
    memcpy(out, codes->text[pick], codes->len[pick] + 1);
    *outlen = codes->len[pick];
    return API_OK;
}

void image_codes_free(image_codes *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n && i < IMAGE_MAX_CODES; i++) free(c->text[i]);
    memset(c, 0, sizeof *c);
}

const char *image_attempt_name(unsigned attempt)
{
    return attempt < IMAGE_N_ATTEMPTS ? image_attempts[attempt].name : "none";
}

api_err image_read_gray(image_codes *out, const uint8_t *gray, unsigned w, unsigned h)
{
    if (!out) return API_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (!gray || w == 0 || h == 0) return API_ERR_ARG;
    if (image_too_large(w, h)) return API_ERR_TOO_LARGE;
    image_gray g = {(uint8_t *)(uintptr_t)gray, NULL, w, h}; /* only read */
    return image_find(out, &g, &out->attempt);
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

api_err image_decode_gray(uint8_t **gray, unsigned *w, unsigned *h, const uint8_t *data, size_t len)
{
    image_gray g = {0};
    if (!gray || !w || !h) return API_ERR_ARG;
    *gray = NULL;
    *w = *h = 0;
    if (!data && len) return API_ERR_ARG;
    api_err e = image_decode(&g, data, len);
    if (e != API_OK) return e;
    *gray = g.pix;
    *w = g.w;
    *h = g.h;
    return API_OK;
}

api_err image_read_codes(image_codes *out, const uint8_t *data, size_t len)
{
    image_gray g = {0};
    if (!out) return API_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (!data && len) return API_ERR_ARG;
    api_err e = image_decode(&g, data, len);
    if (e != API_OK) return e;
    e = image_find(out, &g, &out->attempt);
    free(g.pix);
    return e;
}

api_err image_read_qr(char *out, size_t outcap, size_t *outlen, const uint8_t *data, size_t len)
{
    image_codes codes;

    if (!out || !outcap || !outlen || (!data && len)) return API_ERR_ARG;
    out[0] = '\0';
    *outlen = 0;
    api_err e = image_read_codes(&codes, data, len);
    if (e == API_OK) e = image_pick(out, outcap, outlen, &codes);
    image_codes_free(&codes);
    return e;
}
