/*
 * bytes.c: hex for identifiers shown to people and written in file names,
 * and hex digits wherever a protocol has them (chunk sizes, percent
 * escapes); see bytes.h. The big-endian helpers are inline in the header.
 */
#include "common/bytes.h"

char *bytes_to_hex(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

int bytes_hex_digit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int bytes_from_hex(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
    if (!hex || hexlen != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = bytes_hex_digit((unsigned char)hex[2 * i]),
            lo = bytes_hex_digit((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
