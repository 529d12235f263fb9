/*
 * zc.c: compression and strict decompression of the QR payload.
 *
 * Decompression runs inflate with Z_BLOCK so that it stops at the end of
 * each deflate block; at the end of the final block zlib reports how many
 * bits of the last input byte are unused, and those bits must be zero
 * (deflate writes zeros there). The same holds for the padding that
 * follows the header of a stored block, checked at each block boundary.
 * The header must declare deflate with a 32 KiB window (CMF 0x78); its
 * FLEVEL bits are not checked. A stream that wants more output than the
 * buffer holds makes inflate stop with Z_BUF_ERROR: refused, so a zlib bomb
 * costs at most the buffer. After the Adler-32 trailer no input byte
 * may remain. Output is bounded by the caller's buffer: inflate never
 * writes past it, and a stream that wants more is refused.
 */
#include "qr/zc.h"

#include <string.h>
#include <zlib.h>

api_err zc_compress(uint8_t *out, size_t *outlen, const uint8_t *in, size_t inlen)
{
    return zc_compress_level(out, outlen, in, inlen, 9);
}

api_err zc_compress_level(uint8_t *out, size_t *outlen, const uint8_t *in, size_t inlen, int level)
{
    uLongf dst = (uLongf)*outlen;
    if (inlen > 0x7fffffff || level < 0 || level > 9) return API_ERR_TOO_LARGE;
    int rc = compress2(out, &dst, in, (uLong)inlen, level);
    if (rc == Z_BUF_ERROR) return API_ERR_TOO_LARGE;
    if (rc == Z_MEM_ERROR) return API_ERR_NOMEM;
    if (rc != Z_OK) return API_ERR_ZLIB;
    *outlen = (size_t)dst;
    return API_OK;
}

/* The unused high bits of the last byte consumed must all be zero. */
static int zc_padding_is_zero(const z_stream *zs, const uint8_t *in)
{
    unsigned unused = (unsigned)zs->data_type & 7u;
    if (unused == 0) return 1;
    size_t consumed = (size_t)(zs->next_in - in);
    if (consumed == 0) return 0;
    unsigned last = in[consumed - 1];
    return (last >> (8 - unused)) == 0;
}

/*
 * At a block boundary: when the next block is stored (BTYPE 00), the bits
 * between its 3-bit header and the next byte boundary are padding and must
 * be zero too. Deflate is LSB-first: the unused bits of the last byte
 * consumed come first, then the next input byte.
 */
static int zc_stored_header_is_canonical(const z_stream *zs, const uint8_t *in)
{
    unsigned unused = (unsigned)zs->data_type & 7u;
    size_t consumed = (size_t)(zs->next_in - in);
    uint32_t bits = 0;
    unsigned have = 0;
    if (unused && consumed) {
        bits = (uint32_t)in[consumed - 1] >> (8 - unused);
        have = unused;
    }
    if (have < 3) {
        if (zs->avail_in == 0) return 1; /* truncated: inflate will say so */
        bits |= (uint32_t)zs->next_in[0] << have;
        have += 8;
    }
    if (((bits >> 1) & 3u) != 0) return 1; /* not a stored block */
    unsigned pad = (have - 3) % 8;         /* bits up to the byte boundary */
    return ((bits >> 3) & ((1u << pad) - 1)) == 0;
}

api_err zc_inflate_strict(uint8_t *out, size_t *outlen, const uint8_t *in, size_t inlen)
{
    if (inlen == 0 || inlen > 0x7fffffff || *outlen > 0x7fffffff) return API_ERR_ZLIB;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK) return API_ERR_NOMEM;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)inlen;
    zs.next_out = out;
    zs.avail_out = (uInt)*outlen;

    /* CMF 0x78: deflate with a 32 KiB window. FLEVEL is informative and other writers set it otherwise. */
    if (in[0] != 0x78 || inlen < 2) {
        inflateEnd(&zs);
        return API_ERR_ZLIB;
    }
    api_err result = API_ERR_ZLIB;
    int padding_checked = 0;
    for (;;) {
        int rc = inflate(&zs, Z_BLOCK);
        if (rc == Z_STREAM_END) {
            if (padding_checked && zs.avail_in == 0) result = API_OK;
            break;
        }
        if (rc != Z_OK) break; /* Z_NEED_DICT, Z_DATA_ERROR, Z_BUF_ERROR, ... */
        /* 128: stopped at a block boundary; 64: the block just ended was the last. */
        if ((zs.data_type & 128) && (zs.data_type & 64) && !padding_checked) {
            if (!zc_padding_is_zero(&zs, in)) break;
            padding_checked = 1;
        } else if ((zs.data_type & 128) && !(zs.data_type & 64)) {
            if (!zc_stored_header_is_canonical(&zs, in)) break;
        }
        if (zs.avail_in == 0) break; /* truncated */
    }
    if (result == API_OK) *outlen = zs.total_out;
    inflateEnd(&zs);
    return result;
}
