/*
 * qrtext.h: the QR text, "API1:" + Base45(zlib(COSE_Sign1)).
 *
 * This is the fixed interchange format (docs/format.md): a reader accepts
 * the zlib form and an uncompressed COSE, and refuses anything else.
 */
#ifndef API_QRTEXT_H
#define API_QRTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define QRTEXT_PREFIX     "API1:"
#define QRTEXT_PREFIX_LEN 5
#define QRTEXT_MAX_TEXT   8192 /* characters of QR text accepted (a QR holds at most 4,296) */
#define QRTEXT_MAX_COSE   4096 /* bytes of COSE after decompression */

/*
 * Compresses cose with zlib and writes "API1:" + Base45 into out
 * (capacity *outlen; NUL-terminated when room remains) and sets *outlen.
 */
api_err qrtext_encode(char *out, size_t *outlen, const uint8_t *cose, size_t cose_len);

/*
 * The same, but writes the uncompressed form ("API1:" + Base45(COSE)) when
 * it is shorter than the zlib one, as it is for a short COSE whose
 * signature and ids do not compress: the holder's card (docs/format.md,
 * "The reduced presentation"). Readers accept both forms.
 */
api_err qrtext_encode_shortest(char *out, size_t *outlen, const uint8_t *cose, size_t cose_len);

/*
 * Decodes a QR text into the COSE bytes (capacity *cose_len, at least
 * QRTEXT_MAX_COSE is enough) and sets *cose_len. Errors are the design's
 * malformed reasons: API_ERR_PREFIX, API_ERR_BASE45, API_ERR_ZLIB, and
 * API_ERR_TOO_LARGE for a text over QRTEXT_MAX_TEXT.
 */
api_err qrtext_decode(uint8_t *cose, size_t *cose_len, const char *text, size_t text_len);

/*
 * The same encoding under another prefix of QRTEXT_PREFIX_LEN characters,
 * for the other signed objects that travel as QR texts (a verification
 * receipt, "APR1:", qr/receipt.h). qrtext_encode and qrtext_decode are
 * these with "API1:".
 */
api_err qrtext_encode_with(char *out, size_t *outlen, const char *prefix, const uint8_t *cose,
                           size_t cose_len);
api_err qrtext_decode_with(uint8_t *cose, size_t *cose_len, const char *prefix, const char *text,
                           size_t text_len);

#endif
