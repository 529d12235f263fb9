/*
 * qrtext.c: from COSE bytes to the QR text and back.
 *
 * The decoded bytes are COSE when they start with 0xd2 (tag 18, which no
 * zlib header can start with: a zlib CMF byte has 8 in its low nibble),
 * otherwise a zlib stream that must be canonical (zc_inflate_strict).
 * Writers compress; the holder's card, whose short COSE does not compress,
 * is written in whichever form is shorter (qrtext_encode_shortest).
 * Nothing is allocated: the buffers live on the stack and are bounded.
 */
#include "qr/qrtext.h"

#include <string.h>

#include "qr/b45.h"
#include "qr/zc.h"

#define QRTEXT_COSE_TAG_BYTE 0xd2

api_err qrtext_encode(char *out, size_t *outlen, const uint8_t *cose, size_t cose_len)
{
    return qrtext_encode_with(out, outlen, QRTEXT_PREFIX, cose, cose_len);
}

api_err qrtext_encode_with(char *out, size_t *outlen, const char *prefix, const uint8_t *cose,
                           size_t cose_len)
{
    if (!prefix || strlen(prefix) != QRTEXT_PREFIX_LEN) return API_ERR_ARG;
    if (cose_len == 0 || cose_len > QRTEXT_MAX_COSE) return API_ERR_TOO_LARGE;
    uint8_t z[QRTEXT_MAX_COSE + 64];
    size_t zlen = sizeof z;
    api_err e = zc_compress(z, &zlen, cose, cose_len);
    if (e != API_OK) return e;
    if (*outlen < QRTEXT_PREFIX_LEN) return API_ERR_TOO_LARGE;
    memcpy(out, prefix, QRTEXT_PREFIX_LEN);
    size_t room = *outlen - QRTEXT_PREFIX_LEN;
    if (b45_encode(out + QRTEXT_PREFIX_LEN, &room, z, zlen) != 0) return API_ERR_TOO_LARGE;
    *outlen = QRTEXT_PREFIX_LEN + room;
    return API_OK;
}

api_err qrtext_encode_shortest(char *out, size_t *outlen, const uint8_t *cose, size_t cose_len)
{
    size_t cap = *outlen;
    api_err e = qrtext_encode(out, outlen, cose, cose_len);
    if (e != API_OK) return e;
    size_t raw_len = QRTEXT_PREFIX_LEN + b45_encoded_len(cose_len);
    if (raw_len >= *outlen || raw_len + 1 > cap)
        return API_OK; /* zlib is as short, or the raw form does not fit */
    size_t room = cap - QRTEXT_PREFIX_LEN;
    if (b45_encode(out + QRTEXT_PREFIX_LEN, &room, cose, cose_len) != 0) return API_ERR_TOO_LARGE;
    *outlen = QRTEXT_PREFIX_LEN + room;
    return API_OK;
}

api_err qrtext_decode(uint8_t *cose, size_t *cose_len, const char *text, size_t text_len)
{
    return qrtext_decode_with(cose, cose_len, QRTEXT_PREFIX, text, text_len);
}

api_err qrtext_decode_with(uint8_t *cose, size_t *cose_len, const char *prefix, const char *text,
                           size_t text_len)
{
    if (!prefix || strlen(prefix) != QRTEXT_PREFIX_LEN) return API_ERR_ARG;
    if (text_len > QRTEXT_MAX_TEXT) return API_ERR_TOO_LARGE;
    if (text_len < QRTEXT_PREFIX_LEN || memcmp(text, prefix, QRTEXT_PREFIX_LEN) != 0) return API_ERR_PREFIX;
    uint8_t raw[QRTEXT_MAX_TEXT / 3 * 2 + 2];
    size_t raw_len = sizeof raw;
    if (b45_decode(raw, &raw_len, text + QRTEXT_PREFIX_LEN, text_len - QRTEXT_PREFIX_LEN) != 0 ||
        raw_len == 0)
        return API_ERR_BASE45;
    if (raw[0] == QRTEXT_COSE_TAG_BYTE) {
        if (raw_len > *cose_len) return API_ERR_TOO_LARGE;
        memcpy(cose, raw, raw_len);
        *cose_len = raw_len;
        return API_OK;
    }
    return zc_inflate_strict(cose, cose_len, raw, raw_len);
}
