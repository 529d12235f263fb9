/*
 * testkit_image.c: gray pictures for the tests of the QR reading and
 * rendering, through libpng's simplified API, independent of the code
 * under test (verifier/image.c decodes pictures its own way).
 */
#include "tests/unit/testkit.h"
#include <png.h>
#include <stdlib.h>
#include <string.h>

testkit_gray testkit_gray_from_png(const uint8_t *png, size_t len)
{
    testkit_gray g = {NULL, 0, 0};
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, png, len)) return g;
    img.format = PNG_FORMAT_GRAY;
    g.pix = malloc(PNG_IMAGE_SIZE(img));
    if (!g.pix || !png_image_finish_read(&img, NULL, g.pix, 0, NULL)) {
        png_image_free(&img);
        free(g.pix);
        g.pix = NULL;
        return g;
    }
    g.w = img.width;
    g.h = img.height;
    return g;
}

uint8_t *testkit_gray_to_png(size_t *len, const testkit_gray *g)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = g->w;
    img.height = g->h;
    img.format = PNG_FORMAT_GRAY;
    png_alloc_size_t n = 0;
    if (!png_image_write_to_memory(&img, NULL, &n, 0, g->pix, 0, NULL)) return NULL;
    uint8_t *out = malloc(n);
    if (!out || !png_image_write_to_memory(&img, out, &n, 0, g->pix, 0, NULL)) {
        free(out);
        return NULL;
    }
    *len = n;
    return out;
}
