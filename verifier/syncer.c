/*
 * syncer.c: glue between the replica, the HTTP client and the sources.
 *
 * It owns the network side of a sync: the URLs (syncer_get joins a
 * source's base URL and the path the replica asks for) and the fetch
 * function handed to replica_sync, which is httpc_get with the largest
 * bound of any feed object; with mirrors_only it refuses every URL that is
 * not under a mirror, so a verifier can be made to depend on mirrors alone.
 * Nothing here decides trust: the replica checks every signature.
 */
#include "verifier/syncer.h"

#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "http/httpc.h"

typedef struct {
    const syncer_config *cfg;
} syncer_fetch_ctx;

int syncer_get(syncer_answer *a, replica_fetch_fn fetch, void *arg, const char *base, const char *path)
{
    char url[SYNCER_URL_MAX];
    memset(a, 0, sizeof *a);
    if (httpc_join(url, sizeof url, base, path) != 0) return -1;
    a->err = fetch(arg, url, &a->body, &a->len, &a->status);
    if (a->err != API_OK) {
        free(a->body);
        a->body = NULL;
        a->len = 0;
    }
    return 0;
}

static api_err syncer_fetch(void *arg, const char *url, uint8_t **body, size_t *len, int *status)
{
    const syncer_fetch_ctx *f = arg;
    *body = NULL;
    *len = 0;
    *status = 0;
    if (f->cfg->mirrors_only) {
        int allowed = 0;
        for (size_t i = 0; i < f->cfg->n_mirrors && !allowed; i++)
            allowed = strncmp(url, f->cfg->mirrors[i], strlen(f->cfg->mirrors[i])) == 0;
        if (!allowed) return API_ERR_IO;
    }
    httpc_response resp;
    api_err e = httpc_get(&resp, url, FEED_MAX_SNAPSHOT_COSE, f->cfg->timeout_ms);
    if (e != API_OK) return e;
    *status = resp.status;
    *body = resp.body;
    *len = resp.len;
    resp.body = NULL;
    httpc_response_free(&resp);
    return API_OK;
}

/* The trust list bytes from the file or URL; NULL when neither is set. */
static api_err syncer_trust_bytes(const syncer_config *cfg, uint8_t **data, size_t *len, char *err,
                                  size_t errcap)
{
    *data = NULL;
    if (cfg->trust_file) {
        api_err e = fs_read_file(data, len, cfg->trust_file, TRUST_MAX_COSE);
        if (e != API_OK) snprintf(err, errcap, "cannot read %s: %s", cfg->trust_file, api_strerror(e));
        return e;
    }
    if (cfg->trust_url) {
        httpc_response resp;
        api_err e = httpc_get(&resp, cfg->trust_url, TRUST_MAX_COSE, cfg->timeout_ms);
        if (e != API_OK) {
            snprintf(err, errcap, "cannot fetch %s: %s", cfg->trust_url, api_strerror(e));
            return e;
        }
        if (resp.status != 200) {
            snprintf(err, errcap, "%s answered HTTP %d", cfg->trust_url, resp.status);
            httpc_response_free(&resp);
            return API_ERR_IO;
        }
        *data = resp.body;
        *len = resp.len;
        resp.body = NULL;
        httpc_response_free(&resp);
    }
    return API_OK;
}

api_err syncer_run(replica *r, const syncer_config *cfg, int64_t now, FILE *log, syncer_result *res)
{
    memset(res, 0, sizeof *res);
    uint8_t *data;
    size_t len = 0;
    api_err e = syncer_trust_bytes(cfg, &data, &len, res->trust_error, sizeof res->trust_error);
    if (e != API_OK) {
        res->trust_refused = 1;
        if (log) fprintf(log, "trust list: %s\n", res->trust_error);
    } else if (data) {
        e = replica_offer_trust(r, data, len, cfg->root_pk, res->trust_error, sizeof res->trust_error);
        free(data);
        if (e != API_OK) {
            res->trust_refused = 1;
            if (log) fprintf(log, "trust list REFUSED: %s\n", res->trust_error);
        }
    }
    trust_list tl;
    if (replica_trust(r, &tl) != API_OK) {
        if (log) fprintf(log, "no trust list is held: nothing to sync\n");
        return API_ERR_TRUST_LIST;
    }
    if (log) fprintf(log, "trust list: sequence %llu, %zu keys\n", (unsigned long long)tl.seq, tl.n);
    trust_free(&tl);
    syncer_fetch_ctx f = {cfg};
    res->feeds_result =
        replica_sync(r, cfg->mirrors, cfg->n_mirrors, syncer_fetch, &f, now, log, &res->feeds);
    return res->feeds_result == API_OK && !res->trust_refused ? API_OK : API_ERR_IO;
}
