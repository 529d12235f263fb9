/*
 * syncer.h: one synchronisation of a replica, as `api-verifier sync` and
 * the service's background thread run it: get the signed trust list (file
 * or URL), offer it to the replica, then pull every issuer's feed over HTTP
 * from its feed URL and the mirrors.
 */
#ifndef API_SYNCER_H
#define API_SYNCER_H

#include <stdio.h>

#include "verifier/replica.h"

typedef struct {
    uint8_t root_pk[COSE_PK_LEN];   /* the pinned root key */
    const char *trust_file;         /* one of these two, or neither (held list only) */
    const char *trust_url;
    const char *const *mirrors;     /* base URLs of mirrors, tried after each issuer's feed */
    size_t n_mirrors;
    int mirrors_only;               /* never contact the issuers' feed URLs directly */
    int timeout_ms;                 /* per HTTP request */
} syncer_config;

typedef struct {
    int trust_refused;              /* the offered trust list was refused (rollback, bad signature) */
    char trust_error[256];
    replica_sync_report feeds;
    api_err feeds_result;           /* API_OK when every issuer was reached */
} syncer_result;

/*
 * Runs one sync at time now, printing one line per step to log (may be
 * NULL). Returns API_OK when the trust list was accepted or already held
 * and every issuer was reached; API_ERR_TRUST_LIST when no trust list is
 * held at all; API_ERR_IO otherwise (see res).
 */
api_err syncer_run(replica *r, const syncer_config *cfg, int64_t now, FILE *log, syncer_result *res);

#endif
