/*
 * zc.h: zlib (RFC 1950) streams as the QR format wants them: written by
 * compress2, read back strictly so that no two streams carry the same data
 * with the same signature (see docs/format.md, "Canonical zlib").
 */
#ifndef API_ZC_H
#define API_ZC_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Compresses in into out (capacity *outlen) at level 9; sets *outlen. */
api_err zc_compress(uint8_t *out, size_t *outlen, const uint8_t *in, size_t inlen);

/* The same at another zlib level (0..9), for large objects where speed matters more. */
api_err zc_compress_level(uint8_t *out, size_t *outlen, const uint8_t *in, size_t inlen, int level);

/*
 * Inflates a zlib stream into out (capacity *outlen) and sets *outlen.
 * Returns API_ERR_ZLIB for a damaged stream, a header other than deflate
 * with a 32 KiB window (CMF 0x78), a preset dictionary, bytes
 * after the stream, non-zero padding bits after the final deflate block,
 * or output larger than the capacity (a zlib bomb stops there).
 */
api_err zc_inflate_strict(uint8_t *out, size_t *outlen, const uint8_t *in, size_t inlen);

#endif
