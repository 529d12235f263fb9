/*
 * service.c: the verifier service's process: the server (httpd.h) with the
 * verification API (webapi.h) and the mirror paths (feedsrv.h), the sync
 * thread, and a clean stop on SIGINT/SIGTERM: the server drains first (no
 * new connection; the requests in progress are answered: httpd_drain_now),
 * so that a load balancer in front loses no request. SIGHUP reopens the
 * access log after a rotation and reads the API keys again (an import or a
 * revocation is seen at the next request anyway: SIGHUP makes it certain)
 * and, with a configuration file, reads it again: the sync interval and
 * --stale-after change at once (service_live); the rest needs a restart.
 *
 * The sync thread writes the replica; request handlers only read it (LMDB
 * read transactions, MDB_NOTLS), so requests never wait for a sync, except
 * a social agency's POST /api/v1/watch (watchapi.h), which writes its
 * watches and may wait for a sync's batch to commit. After each sync the
 * thread derives the changes time brings (watch_tick) and wakes the
 * parked changes requests (watchapi_notify). The API keys live in their own LMDB environment (keystore.h),
 * which `api-verifier keys` changes while the service runs.
 *
 * The server gives each open connection a worker thread for as long as it
 * stays open, so the number of threads is the number of connections served
 * at once (256 by default); --request-timeout bounds the whole head of a
 * request and then its whole body, --max-connections-per-address what one
 * address may hold (trusted proxies exempt), and idle kept-alive
 * connections are dropped after 5 s. Logs go to stderr and hold no
 * personal data.
 */
#include "verifier/service/service.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "verifier/service/accesslog.h"
#include "common/cli.h"
#include "verifier/service/fedview.h"
#include "http/feedsrv.h"
#include "http/httpd.h"
#include "verifier/service/keystore.h"
#include "verifier/service/metrics.h"
#include "common/ratelimit.h"
#include "verifier/service/share.h"
#include "verifier/service/watchapi.h"
#include "verifier/service/webapi.h"
#include "verifier/watch.h"

/* A changes request may park one worker thread in this many (watchapi.h). */
#define SERVICE_PARKED_SHARE 4

typedef struct {
    replica *r;
    const service_config *cfg;
    accesslog *log;
    keystore *keys;
    watchapi *watch;
    webapi *api;
    _Atomic long sync_interval; /* cfg->sync_interval, or what SIGHUP read */
    service_live live;          /* the live settings in force (main thread only) */
    _Atomic int stop;
} service_state;

static void *service_sync_loop(void *arg)
{
    service_state *s = arg;
    time_t last = 0;
    while (!atomic_load(&s->stop)) {
        time_t now = time(NULL);
        if (now - last >= atomic_load(&s->sync_interval)) {
            syncer_result res;
            api_err e = syncer_run(s->r, &s->cfg->sync, cli_now(), stderr, &res);
            if (e != API_OK) fprintf(stderr, "%s: sync incomplete (see above)\n", cli_program());
            if (e != API_ERR_TRUST_LIST && watch_tick(s->r, cli_now(), NULL) != API_OK)
                fprintf(stderr, "%s: the followed attestations could not be brought up to date\n",
                        cli_program());
            watchapi_notify(s->watch);
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
    watchapi *watch;
} service_parts;

static void service_parts_free(service_parts *p)
{
    watchapi_free(p->watch);
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
        fprintf(stderr, "%s: cannot open the API keys in %s: %s\n", cli_program(), cfg->access_dir,
                api_strerror(e));
        return -1;
    }
    e = accesslog_open(&p->log, cfg->access_log);
    if (e != API_OK) {
        fprintf(stderr, "%s: cannot open the access log %s: %s\n", cli_program(), cfg->access_log,
                api_strerror(e));
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
        .stale_after = cfg->stale_after,
        .max_body = cfg->max_body,
        .max_image = cfg->max_image,
        .anonymous_rate = cfg->anonymous_rate,
        .web_pages = cfg->web_root != NULL,
        .pdf_renderer = cfg->pdf_renderer,
        .render_timeout_ms = cfg->render_timeout_ms,
        .receipts = cfg->receipts,
    };
    if (webapi_new(&p->api, &wc) != API_OK) {
        fprintf(stderr, "%s: out of memory\n", cli_program());
        return -1;
    }
    int threads = cfg->threads > 0 ? cfg->threads : SERVICE_DEFAULT_THREADS;
    watchapi_config wac = {
        .r = r,
        .fv = p->fv,
        .api = p->api,
        .max_watch = cfg->max_watch,
        .max_body = cfg->max_body,
        .max_parked = threads / SERVICE_PARKED_SHARE,
    };
    if (watchapi_new(&p->watch, &wac) != API_OK) {
        fprintf(stderr, "%s: out of memory\n", cli_program());
        return -1;
    }
    return 0;
}

/* Every 200 ms, on the main thread: after SIGHUP, the access log reopened and the API keys read again. */
static void service_tick(void *arg, int reopen)
{
    service_state *s = arg;
    if (!reopen) return;
    if (accesslog_reopen(s->log) != API_OK)
        fprintf(stderr, "%s: cannot reopen the access log %s\n", cli_program(), s->cfg->access_log);
    if (keystore_reload(s->keys) != 0)
        fprintf(stderr, "%s: cannot read the API keys in %s again\n", cli_program(), s->cfg->access_dir);
    fprintf(stderr, "%s: SIGHUP: access log reopened, API keys read again\n", cli_program());
    if (!s->cfg->reread) return;
    char err[512];
    service_live live = s->live;
    if (s->cfg->reread(&live, err, sizeof err) != 0) {
        fprintf(stderr, "%s: SIGHUP: the configuration is kept as it was: %s\n", cli_program(), err);
        return;
    }
    s->live = live;
    atomic_store(&s->sync_interval, live.sync_interval);
    webapi_set_stale_after(s->api, live.stale_after);
    fprintf(
        stderr,
        "%s: SIGHUP: configuration read again: sync-interval %ld s, stale-after %lld s (other settings at "
        "the next start)\n",
        cli_program(), live.sync_interval, (long long)live.stale_after);
}

int service_run(replica *r, const service_config *cfg)
{
    service_parts parts;
    if (service_parts_make(&parts, r, cfg) != 0) {
        service_parts_free(&parts);
        return CLI_IO;
    }
    int threads = cfg->threads > 0 ? cfg->threads : SERVICE_DEFAULT_THREADS;
    httpd_config hc = {
        .listen = cfg->listen,
        .threads = threads,
        .request_timeout = cfg->request_timeout > 0 ? cfg->request_timeout : SERVICE_DEFAULT_REQUEST_TIMEOUT,
        .max_per_address =
            cfg->max_per_address >= 0 ? cfg->max_per_address : httpd_default_max_per_address(threads),
        .trusted = (const uint8_t(*)[CLIENTADDR_LEN])cfg->trusted_proxies,
        .n_trusted = cfg->n_trusted_proxies,
        .web_root = cfg->web_root,
        .cors_origins = cfg->cors_origins,
    };
    webapi_observer(parts.api, &hc.observer);
    static feedsrv_store store;
    store.get = replica_feed_get;
    store.arg = r;
    char err[512];
    httpd *h = NULL;
    api_err e = httpd_new(&h, &hc, err, sizeof err);
    if (e == API_OK) e = webapi_register(parts.api, h);
    if (e == API_OK) e = watchapi_register(parts.watch, h);
    if (e == API_OK) e = feedsrv_register(h, &store);
    if (e == API_OK) e = share_register(h, cfg->max_image);
    if (e != API_OK) {
        fprintf(stderr, "%s: %s\n", cli_program(), err[0] ? err : api_strerror(e));
        httpd_free(h);
        service_parts_free(&parts);
        return CLI_USAGE;
    }
    if (httpd_start(h, err, sizeof err) != API_OK) {
        fprintf(stderr, "%s: %s\n", cli_program(), err);
        httpd_free(h);
        service_parts_free(&parts);
        return CLI_USAGE;
    }
    service_state st = {
        .r = r, .cfg = cfg, .log = parts.log, .keys = parts.keys, .watch = parts.watch, .api = parts.api};
    st.live.sync_interval = cfg->sync_interval;
    st.live.stale_after = cfg->stale_after;
    atomic_init(&st.sync_interval, cfg->sync_interval);
    atomic_init(&st.stop, 0);
    pthread_t sync_thread;
    if (pthread_create(&sync_thread, NULL, service_sync_loop, &st) != 0) {
        httpd_free(h);
        service_parts_free(&parts);
        fprintf(stderr, "%s: cannot start the sync thread\n", cli_program());
        return CLI_IO;
    }
    fprintf(stderr,
            "%s: serving on http://%s/ (sync every %ld s, %d worker threads, %d connections per address)\n",
            cli_program(), cfg->listen, cfg->sync_interval, threads, hc.max_per_address);
    httpd_run(h, service_tick, &st, 200); /* returns after the drain */
    watchapi_stop(parts.watch);
    atomic_store(&st.stop, 1);
    pthread_join(sync_thread, NULL);
    httpd_free(h);
    service_parts_free(&parts);
    fprintf(stderr, "%s: stopped\n", cli_program());
    return CLI_OK;
}
