/*
 * cmd_feed.c: api-issuer's publish and serve (cmd_int.h): the registry's
 * pending status events cut into signed segments, a signed checkpoint (and
 * snapshot), once (publish) or every heartbeat while the feed is served
 * over HTTP (serve, through http/feedsrv).
 *
 * serve keeps the signing key in locked memory for as long as it runs and
 * publishes from the server's tick, on the main thread, so that the
 * registry has one writer; requests only read it. It stops on SIGINT or
 * SIGTERM.
 *
 * With --admin-listen, serve also answers the issuance API (adminapi.h) on
 * a second listener, never on the feed's: both servers share the registry
 * and the unlocked key; the tick also reopens the audit log after SIGHUP
 * and deletes the API's files and idempotency records past their time.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/cli.h"
#include "http/clientaddr.h"
#include "http/feedsrv.h"
#include "http/httpd.h"
#include "issuer/adminapi.h"
#include "issuer/audit.h"
#include "issuer/clients.h"
#include "issuer/cmd_int.h"
#include "issuer/registry.h"
#include "qr/feed.h"

int iss_cmd_publish(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->dir, "--dir");
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    issuer_key *key = iss_unlock(o, &cfg);
    registry *reg = iss_open_registry(o);
    size_t cut = 0;
    api_err e = registry_feed_publish(reg, cfg.id, cfg.epoch, &key->sign, cli_now(), &cut);
    iss_lock(key);
    uint64_t last = 0, published = 0;
    registry_feed_counts(reg, &last, &published);
    registry_close(reg);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot publish the feed: %s", api_strerror(e));
    printf("feed of %s: %zu new segments, %llu events published, checkpoint signed\n", cfg.id, cut,
           (unsigned long long)published);
    return ISS_EXIT_OK;
}

/* What the feed server's tick needs: the registry, the key, the feed's identity. */
typedef struct {
    registry *reg;
    const issuer_config *cfg;
    const api_signer *by;
    long heartbeat;
    time_t last;
    adminapi *api; /* the issuance API, or NULL */
    audit *audit;
    const char *audit_path;
} iss_serving;

/* Every 200 ms: cuts and signs when a heartbeat passed or a segment is full. */
static void iss_serve_tick(void *arg, int reopen)
{
    iss_serving *s = arg;
    if (reopen && s->audit && audit_reopen(s->audit) != API_OK)
        fprintf(stderr, "%s: cannot reopen the audit log %s\n", cli_program(), s->audit_path);
    adminapi_sweep(s->api, (int64_t)time(NULL));
    uint64_t events = 0, published = 0;
    registry_feed_counts(s->reg, &events, &published);
    time_t now = time(NULL);
    if (now - s->last < s->heartbeat && events - published < FEED_SEGMENT_MAX_EVENTS) return;
    size_t cut = 0;
    api_err e = registry_feed_publish(s->reg, s->cfg->id, s->cfg->epoch, s->by, cli_now(), &cut);
    if (e != API_OK)
        fprintf(stderr, "%s: publishing failed: %s\n", cli_program(), api_strerror(e));
    else if (cut)
        fprintf(stderr, "%s: published %zu segments, up to event %llu\n", cli_program(), cut,
                (unsigned long long)events);
    s->last = now;
}

int iss_cmd_serve(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->dir, "--dir");
    iss_require(o->listen, "--listen");
    static uint8_t trusted[CLIENTADDR_MAX_TRUSTED][CLIENTADDR_LEN];
    for (size_t i = 0; i < o->n_proxies; i++)
        if (clientaddr_parse(trusted[i], o->proxies[i], strlen(o->proxies[i])) != 0)
            cli_fail(ISS_EXIT_USAGE, "--trusted-proxy: not an IP address: '%s'", o->proxies[i]);
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    issuer_key *key = iss_unlock(o, &cfg); /* locked memory, for as long as serve runs */
    registry *reg = iss_open_registry(o);
    size_t cut = 0;
    api_err e = registry_feed_publish(reg, cfg.id, cfg.epoch, &key->sign, cli_now(), &cut);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot publish the feed: %s", api_strerror(e));

    static registry_feed_source src;
    src.reg = reg;
    snprintf(src.iss, sizeof src.iss, "%s", cfg.id);
    static feedsrv_store store;
    store.get = registry_feed_get;
    store.arg = &src;
    httpd_config hc = {
        .listen = o->listen,
        .threads = (int)o->threads,
        .request_timeout = o->request_timeout,
        .max_per_address = o->max_per_address >= 0 ? (int)o->max_per_address
                                                   : httpd_default_max_per_address((int)o->threads),
        .trusted = (const uint8_t(*)[CLIENTADDR_LEN])trusted,
        .n_trusted = o->n_proxies,
    };
    char err[512] = "";
    httpd *h = NULL, *admin = NULL;
    e = httpd_new(&h, &hc, err, sizeof err);
    if (e == API_OK) e = feedsrv_register(h, &store);
    if (e == API_OK) e = httpd_start(h, err, sizeof err);
    if (e != API_OK) {
        httpd_free(h);
        cli_fail(ISS_EXIT_USAGE, "%s", err[0] ? err : api_strerror(e));
    }
    fprintf(stderr, "%s: feed of %s on http://%s/feed/v1/%s/ (heartbeat %ld s)\n", cli_program(), cfg.id,
            o->listen, cfg.id, o->heartbeat);
    iss_serving st = {.reg = reg,
                      .cfg = &cfg,
                      .by = &key->sign,
                      .heartbeat = o->heartbeat,
                      .last = time(NULL),
                      .audit_path = o->audit_log};
    clients *cl = NULL;
    if (o->admin_listen) {
        if (o->audit_log && audit_open(&st.audit, o->audit_log) != API_OK)
            cli_fail(ISS_EXIT_IO, "cannot open the audit log %s", o->audit_log);
        if (clients_open(&cl, o->dir) != API_OK)
            cli_fail(ISS_EXIT_IO, "cannot open the clients of %s", o->dir);
        adminapi_config ac = {.dir = o->dir,
                              .cfg = &cfg,
                              .key = key,
                              .reg = reg,
                              .clients = cl,
                              .audit = st.audit,
                              .holder_base = o->holder_base,
                              .formats = o->formats,
                              .render = o->render,
                              .keep_files = o->keep_files};
        hc.listen = o->admin_listen;
        e = httpd_new(&admin, &hc, err, sizeof err);
        if (e == API_OK) e = adminapi_new(&st.api, admin, &ac);
        if (e == API_OK) e = httpd_start(admin, err, sizeof err);
        if (e != API_OK) {
            httpd_free(admin);
            httpd_free(h);
            cli_fail(e == API_ERR_IO && !err[0] ? ISS_EXIT_IO : ISS_EXIT_USAGE, "--admin-listen: %s",
                     err[0] ? err : api_strerror(e));
        }
        fprintf(stderr, "%s: issuance API on http://%s/api/v1/ (files kept %lld s)\n", cli_program(),
                o->admin_listen, (long long)o->keep_files);
    }
    httpd_run(h, iss_serve_tick, &st, 200);
    httpd_free(admin);
    httpd_free(h);
    adminapi_free(st.api);
    audit_close(st.audit);
    clients_close(cl);
    registry_close(reg);
    iss_lock(key);
    fprintf(stderr, "%s: stopped\n", cli_program());
    return ISS_EXIT_OK;
}
