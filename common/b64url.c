/*
 * b64url.c: base64url helpers over sodium_bin2base64 / sodium_base642bin.
 *
 * Decoding is exact: the text must decode to the expected number of bytes
 * and carry no padding, so a key has one spelling.
 */
#include "common/b64url.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"

#define B64URL_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

size_t b64url_encoded_size(size_t len)
{
    return sodium_base64_ENCODED_LEN(len, B64URL_VARIANT);
}

int b64url_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
    if (cap < b64url_encoded_size(len)) return -1;
    sodium_bin2base64(out, cap, in, len, B64URL_VARIANT);
    return 0;
}

static int b64url_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int b64url_decode_exact(uint8_t *out, size_t outlen, const char *text, size_t textlen)
{
    while (textlen && b64url_space(text[0])) {
        text++;
        textlen--;
    }
    while (textlen && b64url_space(text[textlen - 1])) textlen--;
    size_t got = 0;
    const char *end = NULL;
    if (textlen == 0 ||
        sodium_base642bin(out, outlen, text, textlen, NULL, &got, &end, B64URL_VARIANT) != 0 ||
        got != outlen || end != text + textlen)
        return -1;
    return 0;
}

api_err b64url_read_key_file(uint8_t pk[32], const char *path)
{
    uint8_t *data;
    size_t len;
    api_err e = fs_read_file(&data, &len, path, 4096);
    if (e != API_OK) return e;
    int rc = b64url_decode_exact(pk, 32, (const char *)data, len);
    free(data);
    return rc == 0 ? API_OK : API_ERR_KEYFILE;
}
