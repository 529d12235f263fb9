/*
 * syncer.h: one synchronisation of a replica, as `api-verifier sync` and
 * the service's background thread run it: get the signed trust list (file
 * or URL), offer it to the replica, then pull every issuer's feed over HTTP
 * from its feed URL and the mirrors. The syncer owns the network side: the
 * replica asks it for a path at a source (syncer_get), never for a URL.
 */
#ifndef API_SYNCER_H
#define API_SYNCER_H

#include <stdio.h>

#include "verifier/replica.h"

typedef struct {
    uint8_t root_pk[COSE_PK_LEN]; /* the pinned root key */
    const char *trust_file;       /* one of these two, or neither (held list only) */
    const char *trust_url;
    const char *const *mirrors; /* base URLs of mirrors, tried after each issuer's feed */
    size_t n_mirrors;
    int mirrors_only; /* never contact the issuers' feed URLs directly */
    int timeout_ms;   /* per HTTP request */
} syncer_config;

typedef struct {
    int trust_refused; /* the offered trust list was refused (rollback, bad signature) */
    char trust_error[256];
    replica_sync_report feeds;
    api_err feeds_result; /* API_OK when every issuer was reached */
} syncer_result;

/* What a source answered for one path (syncer_get). */
typedef struct {
    api_err err;   /* what the fetch function returned: API_OK, or why the source was not reached */
    int status;    /* the HTTP status, when err is API_OK */
    uint8_t *body; /* malloc'd (the caller frees it); NULL when err is not API_OK */
    size_t len;
} syncer_answer;

/* The longest URL of a feed object a sync asks for, its NUL included. */
#define SYNCER_URL_MAX (TRUST_FEED_MAX + TRUST_ID_MAX + 64)

/*
 * Asks fetch for path (e.g. "/feed/v1/FR-75/checkpoint") at the source
 * whose base URL is base: the one place where a sync turns a source and a
 * path into a URL (httpc_join: a base may carry a path of its own and a
 * trailing slash). Returns 0 with *a filled, or -1 when the URL would be
 * longer than SYNCER_URL_MAX (fetch not called, *a empty).
 */
int syncer_get(syncer_answer *a, replica_fetch_fn fetch, void *arg, const char *base, const char *path);

/*
 * Runs one sync at time now, printing one line per step to log (may be
 * NULL). Returns API_OK when the trust list was accepted or already held
 * and every issuer was reached; API_ERR_TRUST_LIST when no trust list is
 * held at all; API_ERR_IO otherwise (see res).
 */
api_err syncer_run(replica *r, const syncer_config *cfg, int64_t now, FILE *log, syncer_result *res);

#endif
