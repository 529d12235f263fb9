/*
 * bench_photos.c: the read rate and the time of the server's photo reader
 * (image_read_codes, verifier/image.c) on a set written by
 * tests/photos/gen_photos.py, beside zbar alone and zxing-cpp alone.
 *
 *   bench_photos DIR [LABEL]
 *
 * DIR holds photo-NNN.jpg and manifest.json. A photo counts as read when
 * one of the codes found is the manifest's "qr" text. "zbar alone" is one
 * zbar scan of the whole decoded picture (what the server did before);
 * "zxing-cpp alone" is one ReadBarcodes call with the library's defaults
 * (try harder, try rotate, try downscale, local-average binarizer). The
 * time is the server reader's whole call, JPEG decoding included:
 * wall-clock (run it pinned to one core: make bench does), and the CPU time
 * of the process (zxing-cpp reads on a thread of its own, verifier/zxread.h),
 * which other work on the machine does not inflate. Prints the rates, the
 * rates by page-width band, the median and 95th percentile time, which
 * attempt of the reader found each code, and the photos it missed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <zbar.h>

#include "common/fs.h"
#include "verifier/image.h"
#include "verifier/zxread.h"

#define MAX_PHOTOS 4096
#define BANDS      3

static double clock_ms(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int codes_have(const image_codes *c, const char *want)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->text[i], want) == 0) return 1;
    return 0;
}

static int zbar_reads(const uint8_t *gray, unsigned w, unsigned h, const char *want)
{
    int found = 0;
    zbar_image_scanner_t *s = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    zbar_image_scanner_set_config(s, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(s, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, w, h);
    zbar_image_set_data(img, gray, (unsigned long)w * h, NULL);
    if (zbar_scan_image(s, img) > 0)
        for (const zbar_symbol_t *y = zbar_image_first_symbol(img); y; y = zbar_symbol_next(y))
            if (zbar_symbol_get_data(y) && strcmp(zbar_symbol_get_data(y), want) == 0) found = 1;
    zbar_image_destroy(img);
    zbar_image_scanner_destroy(s);
    return found;
}

typedef struct {
    const char *want;
    int found;
} zx_want;

static int zx_found(void *ctx, const uint8_t *bytes, size_t len, const int corners[8])
{
    zx_want *z = ctx;
    (void)corners;
    if (len == strlen(z->want) && memcmp(bytes, z->want, len) == 0) z->found = 1;
    return 0;
}

static int zxing_reads(const uint8_t *gray, unsigned w, unsigned h, const char *want)
{
    zxread_opts o = {ZXREAD_LOCAL_AVERAGE, 1, 1, 1};
    zx_want z = {want, 0};
    zxread_gray(gray, w, h, w, &o, zx_found, &z);
    return z.found;
}

static double pct(int n, int of)
{
    return of ? 100.0 * n / of : 0.0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_photos DIR [LABEL]\n");
        return 2;
    }
    const char *dir = argv[1], *label = argc > 2 ? argv[2] : dir;
    char path[4096];
    uint8_t *mdata;
    size_t mlen;
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (fs_read_file(&mdata, &mlen, path, 64u << 20) != API_OK) {
        fprintf(stderr, "bench_photos: cannot read %s\n", path);
        return 2;
    }
    cJSON *m = cJSON_ParseWithLength((const char *)mdata, mlen);
    free(mdata);
    const cJSON *photos = cJSON_GetObjectItemCaseSensitive(m, "photos");
    if (!cJSON_IsArray(photos)) {
        fprintf(stderr, "bench_photos: %s: no \"photos\" array\n", path);
        return 2;
    }

    static double times[MAX_PHOTOS], cpu[MAX_PHOTOS];
    int n = 0, server = 0, zb = 0, zx = 0, either = 0;
    int band_n[BANDS] = {0}, band_ok[BANDS] = {0}, band_zx[BANDS] = {0}, band_zb[BANDS] = {0};
    unsigned by_attempt[64] = {0};
    char missed[8192] = "";
    const cJSON *p;
    cJSON_ArrayForEach(p, photos)
    {
        if (n >= MAX_PHOTOS) break;
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "file"));
        const char *want = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "qr"));
        const cJSON *pw = cJSON_GetObjectItemCaseSensitive(p, "page_width");
        if (!file || !want) continue;
        snprintf(path, sizeof path, "%s/%s", dir, file);
        uint8_t *data;
        size_t len;
        if (fs_read_file(&data, &len, path, 64u << 20) != API_OK) {
            fprintf(stderr, "bench_photos: cannot read %s\n", path);
            return 2;
        }
        image_codes codes;
        double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        api_err e = image_read_codes(&codes, data, len);
        times[n] = clock_ms(CLOCK_MONOTONIC) - t0;
        cpu[n] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        int ok = e == API_OK && codes_have(&codes, want);
        if (ok && codes.attempt < 64) by_attempt[codes.attempt]++;
        image_codes_free(&codes);

        uint8_t *gray;
        unsigned w, h;
        int ok_zb = 0, ok_zx = 0;
        if (image_decode_gray(&gray, &w, &h, data, len) == API_OK) {
            ok_zb = zbar_reads(gray, w, h, want);
            ok_zx = zxing_reads(gray, w, h, want);
            free(gray);
        }
        free(data);
        int band = -1;
        if (cJSON_IsNumber(pw)) {
            band = (int)((pw->valuedouble - 1000) / 500);
            band = band < 0 ? 0 : band >= BANDS ? BANDS - 1 : band;
            band_n[band]++;
            band_ok[band] += ok;
            band_zx[band] += ok_zx;
            band_zb[band] += ok_zb;
        }
        server += ok;
        zb += ok_zb;
        zx += ok_zx;
        either += ok_zb || ok_zx;
        if (!ok && strlen(missed) + strlen(file) + 2 < sizeof missed) {
            strcat(missed, " ");
            strcat(missed, file);
        }
        n++;
    }
    cJSON_Delete(m);
    if (n == 0) {
        fprintf(stderr, "bench_photos: no photos in %s\n", dir);
        return 2;
    }
    qsort(times, (size_t)n, sizeof times[0], cmp_double);
    qsort(cpu, (size_t)n, sizeof cpu[0], cmp_double);
    printf("%s: %d photos (zxing-cpp %s)\n", label, n, zxread_version());
    printf("  server's reader (image_read_codes): %d/%d read, %.1f %%\n", server, n, pct(server, n));
    printf("  zxing-cpp alone (one ReadBarcodes): %d/%d read, %.1f %%\n", zx, n, pct(zx, n));
    printf("  zbar alone (one scan):              %d/%d read, %.1f %%\n", zb, n, pct(zb, n));
    printf("  zxing-cpp or zbar, each once:       %d/%d read, %.1f %%\n", either, n, pct(either, n));
    static const char *band_name[BANDS] = {"1,000-1,500", "1,500-2,000", "2,000-2,500"};
    for (int b = 0; b < BANDS; b++)
        if (band_n[b])
            printf("  page %s px wide: server %d/%d (%.1f %%), zxing-cpp alone %d, zbar alone %d\n",
                   band_name[b], band_ok[b], band_n[b], pct(band_ok[b], band_n[b]), band_zx[b], band_zb[b]);
    printf("  time per photo (server's reader, decoding included): median %.0f ms, 95th percentile "
           "%.0f ms, max %.0f ms;\n    CPU time (what a busy machine does not inflate): median %.0f ms, "
           "95th "
           "percentile %.0f ms, max %.0f ms\n",
           times[n / 2], times[(n * 95 + 99) / 100 - 1], times[n - 1], cpu[n / 2],
           cpu[(n * 95 + 99) / 100 - 1], cpu[n - 1]);
    printf("  found by:");
    for (unsigned i = 0; i < 64; i++)
        if (by_attempt[i]) printf(" %u by \"%s\";", by_attempt[i], image_attempt_name(i));
    printf("\n  missed:%s\n", server == n ? " none" : missed);
    return 0;
}
