/*
 * image.h: finds the QR text in a photo or scan of a document (PNG or
 * JPEG), with libzbar.
 *
 * Safe on hostile input (HTTP uploads): bounded in pixels, never exits,
 * returns an error code; thread-safe (all state is per call).
 */
#ifndef API_IMAGE_H
#define API_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define IMAGE_MAX_PIXELS 50000000u /* width * height bound, checked before decoding */

/*
 * Decodes the image in data (PNG or JPEG, told apart by their magic bytes),
 * scans it for QR codes and copies into out (capacity outcap, always
 * NUL-terminated when outcap > 0) the text of the first QR symbol that
 * starts with "API1:", or failing that of the first QR symbol. *outlen is
 * the text's length without the NUL. The text is zbar's: bytes from a
 * byte-mode symbol may contain a NUL; an API text is ASCII.
 *
 * Errors: API_ERR_ARG (NULL out, outlen, or data with len > 0; outcap 0),
 * API_ERR_IMAGE (empty, not PNG or JPEG, corrupt or truncated),
 * API_ERR_TOO_LARGE (over IMAGE_MAX_PIXELS, or a text that does not fit in
 * outcap), API_ERR_NO_QR (no QR symbol found), API_ERR_NOMEM.
 */
api_err image_read_qr(char *out, size_t outcap, size_t *outlen, const uint8_t *data, size_t len);

#endif
