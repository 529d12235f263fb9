/*
 * service.h: `api-verifier serve`: the long-running verifier. It keeps the
 * replica in sync in a background thread and serves over HTTP (CivetWeb):
 * the verification API of webapi.h (verify, batch, trust list, bundle,
 * health, metrics) for relying parties' systems and the web pages, and the
 * mirror paths of feedsrv.h (trust list and feeds, byte for byte), so that
 * verifiers can sync from each other; the server layer (httpd.h) bounds
 * what one client may hold.
 */
#ifndef API_SERVICE_H
#define API_SERVICE_H

#include "http/clientaddr.h"
#include "verifier/receiptkey.h"
#include "verifier/replica.h"
#include "verifier/syncer.h"

#define SERVICE_DEFAULT_THREADS         256
#define SERVICE_DEFAULT_REQUEST_TIMEOUT 10 /* seconds */

/* The settings that may change while the service runs: read again from the configuration file on SIGHUP. */
typedef struct {
    long sync_interval;  /* seconds */
    int64_t stale_after; /* seconds; 0: never stale */
} service_live;

typedef struct {
    const char *listen; /* "ADDR:PORT" */
    syncer_config sync;
    long sync_interval;     /* seconds between syncs */
    int64_t max_staleness;  /* seconds */
    int64_t stale_after;    /* seconds: /healthz says "stale" past it; 0: never */
    int threads;            /* CivetWeb worker threads: one per open connection */
    const char *web_root;   /* folder of the built web pages (web/dist), served at / ; NULL: none */
    const char *access_dir; /* the API keys' store (DIR/access) */
    const char *access_log; /* file of the access log; NULL: standard error */
    double anonymous_rate;  /* requests a second per address without a key; 0: no limit */
    uint8_t trusted_proxies[CLIENTADDR_MAX_TRUSTED][CLIENTADDR_LEN];
    size_t n_trusted_proxies;
    size_t max_body;                 /* bytes of a JSON or text body */
    size_t max_image;                /* bytes of an image body */
    long request_timeout;            /* seconds to receive a request's head, then as many for its body */
    int max_per_address;             /* connections of one address; 0: no limit; < 0: the default */
    const char *const *cors_origins; /* browser origins allowed to call the API (NULL-terminated), or NULL */
    const char *pdf_renderer;        /* api-pdfrender (verifier/pdfread.h); NULL: PDF bodies are refused */
    int render_timeout_ms;           /* for one PDF, all its pages; 0: the default (10 s) */
    uint64_t max_watch;              /* attestations one social key may follow (--max-watch) */
    /*
     * On SIGHUP, when not NULL: fills live (holding the settings in force)
     * from the configuration file again; 0, or -1 with err set, live then
     * unchanged. The other settings need a restart.
     */
    int (*reread)(service_live *live, char *err, size_t errcap);
    const receiptkey *receipts; /* the verifier's receipt key (receiptkey.h); NULL: no receipts */
} service_config;

/*
 * Runs until SIGINT or SIGTERM; SIGHUP reopens the access log. Returns the
 * exit code of api-verifier(1)'s serve: CLI_OK after a clean stop,
 * CLI_USAGE when it cannot listen, CLI_IO when the keys or the access log
 * cannot be opened or a thread cannot start.
 */
int service_run(replica *r, const service_config *cfg);

#endif
