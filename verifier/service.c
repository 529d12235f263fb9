/*
 * service.c: the verifier service's process: CivetWeb, the handlers, the
 * sync thread, and a clean stop on SIGINT/SIGTERM.
 *
 * The sync thread is the only writer of the replica; request handlers only
 * read it (LMDB read transactions, MDB_NOTLS), so requests never wait for a
 * sync. Logs go to stderr and hold no personal data.
 */
#include "service.h"

#include <civetweb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "feedsrv.h"

static volatile sig_atomic_t service_stop;

static void service_on_signal(int sig)
{
    (void)sig;
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

int service_run(replica *r, const service_config *cfg)
{
    char threads[16];
    snprintf(threads, sizeof threads, "%d", cfg->threads > 0 ? cfg->threads : 32);
    /* The web pages (checker, holder card) are static files; the API and mirror paths are handlers. */
    const char *options[16] = {"listening_ports", cfg->listen, "num_threads", threads, "request_timeout_ms", "10000",
                               "enable_keep_alive", "yes", "keep_alive_timeout_ms", "5000",
                               "enable_directory_listing", "no"};
    if (cfg->web_root) {
        options[12] = "document_root";
        options[13] = cfg->web_root;
    }
    mg_init_library(0);
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    struct mg_context *ctx = mg_start(&cb, NULL, options);
    if (!ctx) {
        fprintf(stderr, "%s: cannot listen on %s (address in use, or not ADDR:PORT?)\n", cli_program(),
                cfg->listen);
        return 2;
    }
    feedsrv_register(ctx, replica_feed_get, r);
    signal(SIGINT, service_on_signal);
    signal(SIGTERM, service_on_signal);
    service_state st = {r, cfg};
    pthread_t sync_thread;
    if (pthread_create(&sync_thread, NULL, service_sync_loop, &st) != 0) {
        mg_stop(ctx);
        fprintf(stderr, "%s: cannot start the sync thread\n", cli_program());
        return 4;
    }
    fprintf(stderr, "%s: serving on http://%s/ (sync every %ld s)\n", cli_program(), cfg->listen,
            cfg->sync_interval);
    while (!service_stop) {
        struct timespec nap = {0, 200 * 1000 * 1000};
        nanosleep(&nap, NULL);
        replica_set_policy(r, cfg->max_staleness, cli_now());
    }
    pthread_join(sync_thread, NULL);
    mg_stop(ctx);
    fprintf(stderr, "%s: stopped\n", cli_program());
    return 0;
}
