/*
 * fuzz_b45.c: libFuzzer target for b45_decode (qr/b45.c), the first
 * decoder a QR text meets. Any bytes in; never a crash, and when decoding
 * succeeds the strict rules of b45.h promise one text per byte string:
 * encoding the bytes again must give back exactly the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qr/b45.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    size_t cap = size / 3 * 2 + 2;
    uint8_t *out = malloc(cap);
    char *back = malloc(size + 1);
    if (!out || !back) __builtin_trap();
    size_t outlen = cap;
    if (b45_decode(out, &outlen, (const char *)data, size) == 0) {
        if (outlen > cap) __builtin_trap();
        size_t backlen = size + 1;
        if (b45_encode(back, &backlen, out, outlen) != 0) __builtin_trap();
        if (backlen != size || memcmp(back, data, size) != 0) __builtin_trap();
        if (b45_encoded_len(outlen) != size) __builtin_trap();
    }
    /* a buffer one byte too small is refused, never overrun */
    if (cap > 2) {
        size_t small = cap - 3;
        uint8_t *tight = malloc(small ? small : 1);
        if (!tight) __builtin_trap();
        size_t tl = small;
        if (b45_decode(tight, &tl, (const char *)data, size) == 0 && tl > small) __builtin_trap();
        free(tight);
    }
    free(back);
    free(out);
    return 0;
}
