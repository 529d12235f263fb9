/*
 * registry.h: the issuer's registry of issued attestations, in LMDB under
 * ISS/registry/ (docs/federation.md describes it with the feed).
 *
 * It holds, per attestation id (cti): the status-list index, the printed
 * validity and the status. It holds no personal data: names and numbers
 * stay on the paper and in the QR code. It is shared by concurrent
 * processes (MDB_NOTLS, reader-table clean-up at open).
 */
#ifndef API_REGISTRY_H
#define API_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "claims.h"
#include "err.h"
#include "idxperm.h"

#define REGISTRY_MAP_SIZE (16ull << 30) /* 16 GiB of address space, sparse on disk */

typedef struct registry registry;

typedef struct {
    uint8_t cti[CLAIMS_CTI_LEN];
    uint32_t idx;
    int64_t iat;
    int64_t nbf;
    int64_t exp;
    unsigned status;         /* 0 valid, 1 revoked, 2 suspended, 3 superseded */
    int64_t extended_until;  /* 0 if never extended */
} registry_entry;

/* Opens (creating if needed) the registry of the issuer folder dir. */
api_err registry_open(registry **reg, const char *dir);
void registry_close(registry *reg);

/*
 * Gives each of the n entries a fresh random cti and the next status-list
 * indices (idxperm of a counter, from seed), and stores them, all in one
 * transaction: either every entry is registered or none. The caller sets
 * iat, nbf and exp. API_ERR_FULL when the list's 2^21 indices are used.
 */
api_err registry_allocate(registry *reg, const uint8_t seed[IDXPERM_SEED_LEN], registry_entry *entries, size_t n);

/* Reads one entry by attestation id; API_ERR_NOT_FOUND if unknown. */
api_err registry_get(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], registry_entry *out);

/* Number of attestations registered. */
api_err registry_count(registry *reg, uint64_t *count);

#endif
