/*
 * service.h: `api-verifier serve`: the long-running verifier. It keeps the
 * replica in sync in a background thread and serves over HTTP (CivetWeb)
 * the mirror paths of feedsrv.h (trust list and feeds, byte for byte), so
 * that verifiers can sync from each other.
 */
#ifndef API_SERVICE_H
#define API_SERVICE_H

#include "replica.h"
#include "syncer.h"

typedef struct {
    const char *listen;        /* "ADDR:PORT" */
    syncer_config sync;
    long sync_interval;        /* seconds between syncs */
    int64_t max_staleness;     /* seconds */
    int threads;               /* CivetWeb worker threads */
    const char *web_root;      /* folder of the built web pages (web/dist), served at / ; NULL: none */
} service_config;

/* Runs until SIGINT or SIGTERM; returns an exit code (0 after a clean stop). */
int service_run(replica *r, const service_config *cfg);

#endif
