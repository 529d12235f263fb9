/*
 * zxread.h: zxing-cpp's QR reader behind a small C interface (zxread.cpp).
 *
 * One call reads one gray bitmap with one set of options and hands every
 * QR code found to a callback. Nothing of C++ crosses this line: the
 * implementation catches every exception and answers with a return code.
 * Thread-safe: zxing-cpp keeps no state between calls.
 */
#ifndef API_ZXREAD_H
#define API_ZXREAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How gray becomes black and white (zxing-cpp's Binarizer). */
typedef enum {
    ZXREAD_LOCAL_AVERAGE = 0,    /* the threshold of each block from its neighbours: uneven light */
    ZXREAD_GLOBAL_HISTOGRAM = 1, /* one threshold, the valley of the histogram: blur, noise */
    ZXREAD_FIXED_THRESHOLD = 2   /* 127: an already normalised picture */
} zxread_binarizer;

typedef struct {
    zxread_binarizer binarizer;
    int try_harder;    /* every line and more finder candidates: slower, reads more */
    int try_rotate;    /* also the picture turned by 90 degrees (the lines' direction) */
    int try_downscale; /* also zxing-cpp's own smaller copies, for large codes */
} zxread_opts;

/*
 * Called once per code decoded: its bytes (not NUL-terminated) and its
 * corners in the bitmap's pixels (x0 y0 .. x3 y3, clockwise from the top
 * left of the symbol). A non-zero return stops the reading.
 */
typedef int (*zxread_found)(void *ctx, const uint8_t *bytes, size_t len, const int corners[8]);

#define ZXREAD_TIMEOUT        (-2)
#define ZXREAD_DEADLINE_MS    3000 /* one reading's wall-clock bound (a photo takes well under 0.5 s) */
#define ZXREAD_MAX_STRAGGLERS 2    /* readings past their deadline still running: over it, none starts */

/*
 * Reads the gray bitmap gray (w * h bytes reachable as rows of stride
 * bytes, 0 black) with o, and calls found for each QR code. Returns the
 * number of codes handed to found, -1 when zxing-cpp failed (an exception,
 * out of memory, a bitmap over 2^31 pixels), or ZXREAD_TIMEOUT.
 *
 * zxing-cpp cannot be interrupted, and a picture tiled with thousands of
 * finder patterns keeps it busy for minutes. So the reading runs on a
 * thread of its own, on a copy of the pixels, and the call waits for it at
 * most ZXREAD_DEADLINE_MS: past that it answers ZXREAD_TIMEOUT and leaves
 * the thread to end alone (a straggler). While ZXREAD_MAX_STRAGGLERS are
 * running, every call answers ZXREAD_TIMEOUT at once: hostile pictures
 * take at most that many cores, for as long as zxing-cpp needs.
 */
int zxread_gray(const uint8_t *gray, unsigned w, unsigned h, size_t stride, const zxread_opts *o,
                zxread_found found, void *ctx);

/* zxing-cpp's version, e.g. "1.4.0". */
const char *zxread_version(void);

#ifdef __cplusplus
}
#endif

#endif
