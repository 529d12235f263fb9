/*
 * b45.c: Base45 encoder and strict decoder (RFC 9285).
 *
 * Two bytes become three characters (c + 45*d + 45*45*e, least significant
 * first), a final byte two. The decoder is strict so that every byte string
 * has exactly one text: values that do not fit are errors, not wrapped.
 * No allocation; lengths are checked before every write.
 */
#include "qr/b45.h"

static const char b45_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

static int b45_value(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'A' && ch <= 'Z') return ch - 'A' + 10;
    switch (ch) {
    case ' ':
        return 36;
    case '$':
        return 37;
    case '%':
        return 38;
    case '*':
        return 39;
    case '+':
        return 40;
    case '-':
        return 41;
    case '.':
        return 42;
    case '/':
        return 43;
    case ':':
        return 44;
    default:
        return -1;
    }
}

size_t b45_encoded_len(size_t inlen)
{
    return inlen / 2 * 3 + (inlen % 2) * 2;
}

int b45_encode(char *out, size_t *outlen, const uint8_t *in, size_t inlen)
{
    size_t need = b45_encoded_len(inlen);
    if (inlen > (SIZE_MAX - 2) / 3 * 2 || *outlen < need) return -1;
    size_t o = 0;
    for (size_t i = 0; i + 1 < inlen; i += 2) {
        unsigned n = (unsigned)in[i] * 256u + in[i + 1];
        out[o++] = b45_alphabet[n % 45];
        out[o++] = b45_alphabet[n / 45 % 45];
        out[o++] = b45_alphabet[n / 2025];
    }
    if (inlen % 2) {
        unsigned n = in[inlen - 1];
        out[o++] = b45_alphabet[n % 45];
        out[o++] = b45_alphabet[n / 45];
    }
    if (o < *outlen) out[o] = '\0';
    *outlen = o;
    return 0;
}

int b45_decode(uint8_t *out, size_t *outlen, const char *in, size_t inlen)
{
    if (inlen % 3 == 1) return -1;
    size_t need = inlen / 3 * 2 + (inlen % 3 == 2);
    if (*outlen < need) return -1;
    size_t o = 0;
    for (size_t i = 0; i < inlen; i += 3) {
        size_t take = inlen - i >= 3 ? 3 : 2;
        unsigned n = 0, mul = 1;
        for (size_t k = 0; k < take; k++) {
            int v = b45_value((unsigned char)in[i + k]);
            if (v < 0) return -1;
            n += (unsigned)v * mul;
            mul *= 45;
        }
        if (take == 3) {
            if (n > 0xffff) return -1;
            out[o++] = (uint8_t)(n >> 8);
            out[o++] = (uint8_t)(n & 0xff);
        } else {
            if (n > 0xff) return -1;
            out[o++] = (uint8_t)n;
        }
    }
    *outlen = o;
    return 0;
}
