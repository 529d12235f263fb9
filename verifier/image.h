/*
 * image.h: finds the QR text in a photo or scan of a document (PNG or
 * JPEG), with zxing-cpp (verifier/zxread.h) and libzbar.
 *
 * Safe on hostile input (HTTP uploads): bounded in pixels, never exits,
 * returns an error code; thread-safe (all state is per call).
 *
 * Two ways in: image_read_qr, the one code of a photo (the first API
 * text); and image_read_codes / image_read_gray, every QR code of an image
 * or of a gray bitmap (a PDF page drawn by verifier/pdfread.h), for
 * documents that carry several.
 */
#ifndef API_IMAGE_H
#define API_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define IMAGE_MAX_PIXELS 50000000u /* width * height bound, checked before decoding */
/* The photo budget: a larger picture is shrunk to within it before it is read (a JPEG while decoding). */
#define IMAGE_PHOTO_MAX_PIXELS 16000000u

/*
 * Decodes the image in data (PNG or JPEG, told apart by their magic bytes),
 * scans it for QR codes and copies into out (capacity outcap, always
 * NUL-terminated when outcap > 0) the text of the first QR symbol that
 * starts with "API1:", or failing that of the first QR symbol. *outlen is
 * the text's length without the NUL. The text is the symbol's bytes: a
 * byte-mode symbol may contain a NUL; an API text is ASCII.
 *
 * Errors: API_ERR_ARG (NULL out, outlen, or data with len > 0; outcap 0),
 * API_ERR_IMAGE (empty, not PNG or JPEG, corrupt or truncated),
 * API_ERR_TOO_LARGE (over IMAGE_MAX_PIXELS, or a text that does not fit in
 * outcap), API_ERR_NO_QR (no QR symbol found), API_ERR_NOMEM.
 */
api_err image_read_qr(char *out, size_t outcap, size_t *outlen, const uint8_t *data, size_t len);

#define IMAGE_MAX_CODES 16 /* codes kept of one image; more are dropped */
#define IMAGE_MAX_CODE_LEN                                                                                   \
    16384 /* bytes of one code's text (a QR code holds at most 7,089); longer are dropped */

/*
 * The QR codes found in one image, in the reader's order, each once; each
 * text malloc'd and NUL-terminated. attempt: which of the reader's fixed
 * attempts found them (image_attempt_name), for measurements.
 */
typedef struct {
    size_t n;
    char *text[IMAGE_MAX_CODES];
    size_t len[IMAGE_MAX_CODES];
    unsigned attempt;
} image_codes;

/*
 * Scans a gray bitmap (w * h bytes, 0 black, row after row, no padding)
 * for QR codes and fills out with every one found (out->n may be 0: no
 * code is not an error here). Free with image_codes_free, also after an
 * error. Errors: API_ERR_ARG (NULL out, or a bitmap of no pixels),
 * API_ERR_TOO_LARGE (over IMAGE_MAX_PIXELS), API_ERR_IMAGE (a reader failed),
 * API_ERR_NOMEM.
 */
api_err image_read_gray(image_codes *out, const uint8_t *gray, unsigned w, unsigned h);

/* The same for PNG or JPEG bytes; image_read_qr's errors, but no code is out->n == 0. */
api_err image_read_codes(image_codes *out, const uint8_t *data, size_t len);

void image_codes_free(image_codes *c);

/* The name of attempt i of the reader ("zxing, small copy", ...), or "none" past the last. */
const char *image_attempt_name(unsigned attempt);

/*
 * Decodes PNG or JPEG bytes to a gray bitmap (*gray malloc'd, w * h bytes,
 * 0 black), as the reader sees them: a JPEG over IMAGE_PHOTO_MAX_PIXELS comes
 * out shrunk by 2, 4 or 8. image_read_qr's errors but API_ERR_NO_QR.
 */
api_err image_decode_gray(uint8_t **gray, unsigned *w, unsigned *h, const uint8_t *data, size_t len);

#endif
