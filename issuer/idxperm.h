/*
 * idxperm.h: status-list index allocation that leaks neither issuance
 * order nor volume: the n-th attestation gets index P(n), where P is a
 * keyed pseudo-random permutation of [0, 2^21) derived from a secret seed.
 */
#ifndef API_IDXPERM_H
#define API_IDXPERM_H

#include <stdint.h>

#define IDXPERM_BITS     21
#define IDXPERM_SIZE     (1u << IDXPERM_BITS)
#define IDXPERM_SEED_LEN 32

/* P(counter) for counter < IDXPERM_SIZE; distinct counters give distinct indices. */
uint32_t idxperm_map(const uint8_t seed[IDXPERM_SEED_LEN], uint32_t counter);

/* The counter whose index is idx: idxperm_unmap(seed, idxperm_map(seed, c)) == c (a restore's allocator). */
uint32_t idxperm_unmap(const uint8_t seed[IDXPERM_SEED_LEN], uint32_t idx);

#endif
