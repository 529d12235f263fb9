/*
 * service.c: the verifier service's process: CivetWeb, the handlers, the
 * sync thread, and a clean stop on SIGINT/SIGTERM (SIGHUP reopens the
 * access log after a rotation).
 *
 * The sync thread is the only writer of the replica; request handlers only
 * read it (LMDB read transactions, MDB_NOTLS), so requests never wait for a
 * sync. The API keys live in their own LMDB environment (keystore.h), which
 * `api-verifier keys` changes while the service runs.
 *
 * CivetWeb 1.15 gives each open connection a worker thread for as long as
 * it stays open, idle or not: the number of threads is the number of
 * connections served at once, so it is large (256 by default), and
 * request_timeout_ms bounds how long a slow or silent client may hold one
 * (its headers, then its body: webapi.c reads a body against the same
 * deadline); kept-alive connections are dropped after 5 s of silence.
 * Logs go to stderr and hold no personal data.
 */
#include "service.h"

#include <civetweb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accesslog.h"
#include "cli.h"
#include "fedview.h"
#include "feedsrv.h"
#include "keystore.h"
#include "metrics.h"
#include "ratelimit.h"
#include "webapi.h"

#define SERVICE_KEEP_ALIVE_MS 5000

static volatile sig_atomic_t service_stop;
static volatile sig_atomic_t service_reopen;

static void service_on_signal(int sig)
{
    if (sig == SIGHUP)
        service_reopen = 1;
    else
        service_stop = 1;
}

typedef struct {
    replica *r;
    const service_config *cfg;
} service_state;

static void *service_sync_loop(void *arg)
{
    service_state *s = arg;
    time_t last = 0;
    while (!service_stop) {
        time_t now = time(NULL);
        if (now - last >= s->cfg->sync_interval) {
            syncer_result res;
            api_err e = syncer_run(s->r, &s->cfg->sync, cli_now(), stderr, &res);
            if (e != API_OK) fprintf(stderr, "%s: sync incomplete (see above)\n", cli_program());
            last = now;
        }
        struct timespec nap = {0, 200 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    return NULL;
}

/* Everything the handlers use, made before the server starts and freed after it stopped. */
typedef struct {
    keystore *keys;
    accesslog *log;
    ratelimit *rl;
    metrics *m;
    fedview *fv;
    webapi *api;
} service_parts;

static void service_parts_free(service_parts *p)
{
    webapi_free(p->api);
    fedview_free(p->fv);
    metrics_free(p->m);
    ratelimit_free(p->rl);
    accesslog_close(p->log);
    keystore_close(p->keys);
    memset(p, 0, sizeof *p);
}

static int service_parts_make(service_parts *p, replica *r, const service_config *cfg)
{
    memset(p, 0, sizeof *p);
    api_err e = keystore_open(&p->keys, cfg->access_dir);
    if (e != API_OK) {
        fprintf(stderr, "%s: cannot open the API keys in %s: %s\n", cli_program(), cfg->access_dir, api_strerror(e));
        return -1;
    }
    e = accesslog_open(&p->log, cfg->access_log);
    if (e != API_OK) {
        fprintf(stderr, "%s: cannot open the access log %s: %s\n", cli_program(), cfg->access_log, api_strerror(e));
        return -1;
    }
    p->m = metrics_new();
    if (ratelimit_new(&p->rl, RATELIMIT_DEFAULT_SLOTS) != API_OK || !p->m ||
        fedview_new(&p->fv, r, cfg->sync.root_pk) != API_OK) {
        fprintf(stderr, "%s: out of memory\n", cli_program());
        return -1;
    }
    webapi_config wc = {
        .r = r,
        .fv = p->fv,
        .keys = p->keys,
        .log = p->log,
        .rl = p->rl,
        .m = p->m,
        .max_staleness = cfg->max_staleness,
        .max_body = cfg->max_body,
        .max_image = cfg->max_image,
        .anonymous_rate = cfg->anonymous_rate,
        .trusted_proxies = (const uint8_t(*)[CLIENTADDR_LEN])cfg->trusted_proxies,
        .n_trusted_proxies = cfg->n_trusted_proxies,
        .body_timeout_ms = (int64_t)cfg->request_timeout * 1000,
        .web_pages = cfg->web_root != NULL,
    };
    if (webapi_new(&p->api, &wc) != API_OK) {
        fprintf(stderr, "%s: out of memory\n", cli_program());
        return -1;
    }
    return 0;
}

int service_run(replica *r, const service_config *cfg)
{
    service_parts parts;
    if (service_parts_make(&parts, r, cfg) != 0) {
        service_parts_free(&parts);
        return 4;
    }
    char threads[16], timeout[24], keep_alive[24];
    snprintf(threads, sizeof threads, "%d", cfg->threads > 0 ? cfg->threads : SERVICE_DEFAULT_THREADS);
    long request_ms = (cfg->request_timeout > 0 ? cfg->request_timeout : SERVICE_DEFAULT_REQUEST_TIMEOUT) * 1000;
    snprintf(timeout, sizeof timeout, "%ld", request_ms);
    snprintf(keep_alive, sizeof keep_alive, "%ld", request_ms < SERVICE_KEEP_ALIVE_MS ? request_ms : SERVICE_KEEP_ALIVE_MS);
    /* The web pages (checker, holder card) are static files; the API and mirror paths are handlers. */
    const char *options[20] = {"listening_ports", cfg->listen, "num_threads", threads, "request_timeout_ms", timeout,
                               "enable_keep_alive", "yes", "keep_alive_timeout_ms", keep_alive,
                               "enable_directory_listing", "no"};
    if (cfg->web_root) {
        options[12] = "document_root";
        options[13] = cfg->web_root;
    }
    mg_init_library(0);
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    webapi_callbacks(&cb);
    struct mg_context *ctx = mg_start(&cb, parts.api, options);
    if (!ctx) {
        fprintf(stderr, "%s: cannot listen on %s (address in use, or not ADDR:PORT?)\n", cli_program(),
                cfg->listen);
        service_parts_free(&parts);
        return 2;
    }
    feedsrv_register(ctx, replica_feed_get, r);
    webapi_register(parts.api, ctx);
    signal(SIGINT, service_on_signal);
    signal(SIGTERM, service_on_signal);
    signal(SIGHUP, service_on_signal);
    service_state st = {r, cfg};
    pthread_t sync_thread;
    if (pthread_create(&sync_thread, NULL, service_sync_loop, &st) != 0) {
        webapi_unregister(ctx);
        feedsrv_unregister(ctx);
        mg_stop(ctx);
        service_parts_free(&parts);
        fprintf(stderr, "%s: cannot start the sync thread\n", cli_program());
        return 4;
    }
    fprintf(stderr, "%s: serving on http://%s/ (sync every %ld s, %s worker threads)\n", cli_program(), cfg->listen,
            cfg->sync_interval, threads);
    while (!service_stop) {
        struct timespec nap = {0, 200 * 1000 * 1000};
        nanosleep(&nap, NULL);
        replica_set_policy(r, cfg->max_staleness, cli_now());
        if (service_reopen) {
            service_reopen = 0;
            if (accesslog_reopen(parts.log) != API_OK)
                fprintf(stderr, "%s: cannot reopen the access log %s\n", cli_program(), cfg->access_log);
        }
    }
    pthread_join(sync_thread, NULL);
    webapi_unregister(ctx);
    feedsrv_unregister(ctx);
    mg_stop(ctx);
    service_parts_free(&parts);
    fprintf(stderr, "%s: stopped\n", cli_program());
    return 0;
}
