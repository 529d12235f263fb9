/*
 * fuzz_claims.c: libFuzzer target for claims_decode (qr/claims.c). Never a
 * crash; decoded claims are valid, so claims_encode must take them, and
 * decoding that encoding must give the same claims back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qr/claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    api_claims c, d;
    if (claims_decode(&c, data, size) != API_OK) return 0;
    if (claims_validate(&c, NULL) != API_OK) __builtin_trap();
    uint8_t buf[4096];
    size_t len = sizeof buf;
    if (claims_encode(buf, &len, &c) != API_OK) __builtin_trap();
    if (claims_decode(&d, buf, len) != API_OK) __builtin_trap();
    /* both structs were zeroed by claims_decode before being filled */
    if (memcmp(&c, &d, sizeof c) != 0) __builtin_trap();
    /* the encoding is a fixed point */
    uint8_t again[4096];
    size_t alen = sizeof again;
    if (claims_encode(again, &alen, &d) != API_OK || alen != len || memcmp(again, buf, len) != 0)
        __builtin_trap();
    return 0;
}
