/*
 * fuzz_zlib.c: libFuzzer target for zc_inflate_strict (qr/zc.c) into a
 * 4096-byte buffer, as qrtext_decode uses it. Never a crash; what the
 * strict reader accepts, stock zlib must accept too, with the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "qr/zc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[4096], ref[4096 + 1];
    size_t outlen = sizeof out;
    if (zc_inflate_strict(out, &outlen, data, size) == API_OK) {
        if (outlen > sizeof out) __builtin_trap();
        uLongf rl = sizeof ref;
        uLong srclen = (uLong)size;
        if (uncompress2(ref, &rl, data, &srclen) != Z_OK) __builtin_trap();
        if (srclen != size) __builtin_trap(); /* no trailing bytes */
        if (rl != outlen || memcmp(ref, out, outlen) != 0) __builtin_trap();
    }
    return 0;
}
