/*
 * fuzz_claims.c: libFuzzer target for claims_decode and
 * claims_reduced_decode (qr/claims.c: the full code's claims and the
 * holder's card's). Never a crash; decoded claims are valid, so the
 * encoder of the same presentation must take them, and decoding that
 * encoding must give the same claims back; no input is both.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qr/claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The card: the same round trip with the reduced decoder and encoder. */
static void fuzz_card(const uint8_t *data, size_t size)
{
    api_claims c, d;
    if (claims_reduced_decode(&c, data, size) != API_OK) return;
    if (claims_reduced_validate(&c, NULL) != API_OK) __builtin_trap();
    if (c.nat[0] || c.fnn[0] || c.tit[0] || c.fil[0] || c.app || c.has_prv || c.iat || c.status_uri[0])
        __builtin_trap(); /* a card fills only the card's claims */
    uint8_t buf[4096];
    size_t len = sizeof buf;
    if (claims_reduced_encode(buf, &len, &c) != API_OK) __builtin_trap();
    if (claims_reduced_decode(&d, buf, len) != API_OK) __builtin_trap();
    if (memcmp(&c, &d, sizeof c) != 0) __builtin_trap();
    if (claims_decode(&d, data, size) == API_OK) __builtin_trap(); /* a card is never a full code's claims */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    api_claims c, d;
    fuzz_card(data, size);
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
