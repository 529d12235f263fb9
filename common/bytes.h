/*
 * bytes.h: integers as big-endian bytes, and bytes as lowercase hex: one
 * definition for every file and database record of the project (LMDB keys
 * sort as their big-endian bytes, so record layouts use these).
 */
#ifndef API_BYTES_H
#define API_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline void bytes_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void bytes_put_be64(uint8_t *p, uint64_t v)
{
    bytes_put_be32(p, (uint32_t)(v >> 32));
    bytes_put_be32(p + 4, (uint32_t)v);
}

static inline uint32_t bytes_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t bytes_get_be64(const uint8_t *p)
{
    return (uint64_t)bytes_get_be32(p) << 32 | bytes_get_be32(p + 4);
}

/* A signed value as its two's complement (times and dates: order is kept for values of one sign). */
static inline void bytes_put_be64s(uint8_t *p, int64_t v)
{
    bytes_put_be64(p, (uint64_t)v);
}

static inline int64_t bytes_get_be64s(const uint8_t *p)
{
    uint64_t u = bytes_get_be64(p);
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

/*
 * Writes the lowercase hex of in[0..n) and a NUL into out, which holds
 * 2n + 1 bytes. Returns out.
 */
char *bytes_to_hex(char *out, const uint8_t *in, size_t n);

/* The value of one hex digit (either case), or -1. */
int bytes_hex_digit(int c);

/*
 * Reads exactly 2n hex digits (either case) of hex[0..hexlen) into out[0..n).
 * 0, or -1 when hexlen is not 2n or a character is not a hex digit.
 */
int bytes_from_hex(uint8_t *out, size_t n, const char *hex, size_t hexlen);

#endif
