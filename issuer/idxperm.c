/*
 * idxperm.c: a keyed permutation of 21-bit integers.
 *
 * A balanced Feistel network over 22 bits (two 11-bit halves, 8 rounds,
 * round function SipHash-2-4 from libsodium keyed by the seed) permutes
 * [0, 2^22); cycle-walking (apply again while the result is 2^21 or more)
 * restricts it to [0, 2^21) and keeps it a permutation. Expected walks
 * are two; the loop is bounded because a permutation's cycle through a
 * point always returns to the domain.
 */
#include "issuer/idxperm.h"

#include <sodium.h>
#include <string.h>

#define IDXPERM_HALF      11
#define IDXPERM_HALF_MASK ((1u << IDXPERM_HALF) - 1)
#define IDXPERM_ROUNDS    8

static uint32_t idxperm_round(const uint8_t key[crypto_shorthash_KEYBYTES], unsigned round, uint32_t half)
{
    uint8_t in[5] = {(uint8_t)round, (uint8_t)(half >> 16), (uint8_t)(half >> 8), (uint8_t)half, 0x49};
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, in, sizeof in, key);
    return ((uint32_t)out[0] | (uint32_t)out[1] << 8) & IDXPERM_HALF_MASK;
}

static uint32_t idxperm_feistel(const uint8_t key[crypto_shorthash_KEYBYTES], uint32_t x)
{
    uint32_t left = x >> IDXPERM_HALF, right = x & IDXPERM_HALF_MASK;
    for (unsigned r = 0; r < IDXPERM_ROUNDS; r++) {
        uint32_t next = left ^ idxperm_round(key, r, right);
        left = right;
        right = next;
    }
    return left << IDXPERM_HALF | right;
}

/* The Feistel network backwards: the rounds in reverse order. */
static uint32_t idxperm_feistel_inverse(const uint8_t key[crypto_shorthash_KEYBYTES], uint32_t y)
{
    uint32_t left = y >> IDXPERM_HALF, right = y & IDXPERM_HALF_MASK;
    for (unsigned r = IDXPERM_ROUNDS; r-- > 0;) {
        uint32_t prev = right ^ idxperm_round(key, r, left);
        right = left;
        left = prev;
    }
    return left << IDXPERM_HALF | right;
}

static void idxperm_key(uint8_t key[crypto_shorthash_KEYBYTES], const uint8_t seed[IDXPERM_SEED_LEN])
{
    crypto_generichash(key, crypto_shorthash_KEYBYTES, seed, IDXPERM_SEED_LEN,
                       (const uint8_t *)"api-status-index", 16);
}

uint32_t idxperm_unmap(const uint8_t seed[IDXPERM_SEED_LEN], uint32_t idx)
{
    uint8_t key[crypto_shorthash_KEYBYTES];
    idxperm_key(key, seed);
    uint32_t x = idx & (IDXPERM_SIZE - 1);
    do {
        x = idxperm_feistel_inverse(key, x);
    } while (x >= IDXPERM_SIZE);
    sodium_memzero(key, sizeof key);
    return x;
}

uint32_t idxperm_map(const uint8_t seed[IDXPERM_SEED_LEN], uint32_t counter)
{
    uint8_t key[crypto_shorthash_KEYBYTES];
    idxperm_key(key, seed);
    uint32_t x = counter & (IDXPERM_SIZE - 1);
    do {
        x = idxperm_feistel(key, x);
    } while (x >= IDXPERM_SIZE);
    sodium_memzero(key, sizeof key);
    return x;
}
