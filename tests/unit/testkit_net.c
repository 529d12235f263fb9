/*
 * testkit_net.c: a fake network for replica_sync and the syncer's fetch
 * callback (see testkit.h).
 *
 * The network is a map of absolute URLs to bytes, looked up by exact
 * string; whatever is not there is a 404, as a feed server answers. A test
 * injects failures: a host down (a network error for every URL under a
 * prefix), a status (e.g. 500 or 503 under a prefix), a URL whose answer
 * has one byte flipped, or a replica mirroring its feeds under a base URL
 * the way http/feedsrv serves them (replica_feed_get). Feeds built with
 * testkit_feed are published here under the paths of docs/federation.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/httpc.h"
#include "tests/unit/testkit.h"
#include "verifier/replica.h"

void testkit_net_init(testkit_net *n)
{
    memset(n, 0, sizeof *n);
}

void testkit_net_free(testkit_net *n)
{
    for (size_t i = 0; i < n->n; i++) free(n->objs[i].body);
    free(n->objs);
    memset(n, 0, sizeof *n);
}

const testkit_net_obj *testkit_net_find(const testkit_net *n, const char *url)
{
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->objs[i].url, url) == 0) return &n->objs[i];
    return NULL;
}

void testkit_net_put(testkit_net *n, const char *url, const uint8_t *body, size_t len)
{
    if (strlen(url) >= sizeof n->objs[0].url) testkit_die("URL too long: %s", url);
    testkit_net_obj *o = (testkit_net_obj *)testkit_net_find(n, url);
    if (!o) {
        if (n->n == n->cap) {
            size_t cap = n->cap ? 2 * n->cap : 64;
            testkit_net_obj *objs = realloc(n->objs, cap * sizeof *objs);
            if (!objs) testkit_die("out of memory for %s", url);
            n->objs = objs;
            n->cap = cap;
        }
        o = &n->objs[n->n++];
        memset(o, 0, sizeof *o);
        snprintf(o->url, sizeof o->url, "%s", url);
    }
    free(o->body);
    o->body = testkit_malloc(len);
    if (len) memcpy(o->body, body, len);
    o->len = len;
}

void testkit_net_remove(testkit_net *n, const char *url)
{
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->objs[i].url, url) == 0) {
            free(n->objs[i].body);
            n->objs[i] = n->objs[--n->n];
            return;
        }
}

void testkit_net_down(testkit_net *n, const char *prefix)
{
    if (n->n_down == sizeof n->down / sizeof n->down[0]) testkit_die("too many hosts down");
    n->down[n->n_down++] = prefix;
}

void testkit_net_status(testkit_net *n, const char *prefix, int status)
{
    if (n->n_statuses == sizeof n->statuses / sizeof n->statuses[0]) testkit_die("too many statuses");
    n->statuses[n->n_statuses].prefix = prefix;
    n->statuses[n->n_statuses++].status = status;
}

void testkit_net_mirror(testkit_net *n, const char *base, struct replica *r)
{
    if (n->n_mirrors == sizeof n->mirrors / sizeof n->mirrors[0]) testkit_die("too many mirrors");
    n->mirrors[n->n_mirrors].base = base;
    n->mirrors[n->n_mirrors++].r = r;
}

void testkit_net_tamper(testkit_net *n, const char *url, size_t at)
{
    if (url && strlen(url) >= sizeof n->tamper_url) testkit_die("URL too long: %s", url);
    snprintf(n->tamper_url, sizeof n->tamper_url, "%s", url ? url : "");
    n->tamper_at = at;
}

static int net_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A replica serving its feeds at path (below the mirror's base), as http/feedsrv does. */
static api_err net_mirror_get(replica *r, const char *path, uint8_t **body, size_t *len, int *status)
{
    uint64_t first = 0, containing = 0;
    api_err e;
    if (strcmp(path, "/trust/v1/trust-list.cose") == 0) {
        e = replica_feed_get(r, FEED_OBJ_TRUST_LIST, NULL, 0, body, len, &containing);
    } else {
        char iss[64], what[64];
        feed_obj kind;
        if (sscanf(path, "/feed/v1/%63[^/]/%63s", iss, what) != 2) {
            *status = 404;
            return API_OK;
        }
        if (strcmp(what, "checkpoint") == 0)
            kind = FEED_OBJ_CHECKPOINT;
        else if (strcmp(what, "snapshot") == 0)
            kind = FEED_OBJ_SNAPSHOT;
        else if (sscanf(what, "segments/%" SCNu64, &first) == 1)
            kind = FEED_OBJ_SEGMENT;
        else {
            *status = 404;
            return API_OK;
        }
        e = replica_feed_get(r, kind, iss, first, body, len, &containing);
    }
    *status = e == API_OK ? 200 : e == API_ERR_NOT_FOUND ? 404 : 500;
    return API_OK;
}

api_err testkit_net_fetch(void *arg, const char *url, uint8_t **body, size_t *len, int *status)
{
    testkit_net *n = arg;
    *body = NULL;
    *len = 0;
    *status = 0;
    n->fetches++;
    for (size_t i = 0; i < n->n_down; i++)
        if (net_starts_with(url, n->down[i])) return API_ERR_IO;
    for (size_t i = 0; i < n->n_statuses; i++)
        if (net_starts_with(url, n->statuses[i].prefix)) {
            *status = n->statuses[i].status;
            return API_OK;
        }
    for (size_t i = 0; i < n->n_mirrors; i++)
        if (net_starts_with(url, n->mirrors[i].base))
            return net_mirror_get(n->mirrors[i].r, url + strlen(n->mirrors[i].base), body, len, status);
    const testkit_net_obj *o = testkit_net_find(n, url);
    if (!o) {
        *status = 404;
        return API_OK;
    }
    *body = malloc(o->len ? o->len : 1);
    if (!*body) return API_ERR_NOMEM;
    memcpy(*body, o->body, o->len);
    *len = o->len;
    if (n->tamper_url[0] && strcmp(url, n->tamper_url) == 0 && n->tamper_at < o->len)
        (*body)[n->tamper_at] ^= 0x01;
    *status = 200;
    return API_OK;
}

/* ---- feeds published ---- */

void testkit_feed_url(char *out, size_t cap, const char *base, const char *iss, const char *what)
{
    char path[128];
    snprintf(path, sizeof path, "/feed/v1/%s/%s", iss, what);
    if (httpc_join(out, cap, base, path) != 0) testkit_die("URL too long: %s%s", base, path);
}

void testkit_segment_url(char *out, size_t cap, const char *base, const char *iss, uint64_t first)
{
    char what[64];
    snprintf(what, sizeof what, "segments/%" PRIu64, first);
    testkit_feed_url(out, cap, base, iss, what);
}

void testkit_feed_publish_from(const testkit_feed *f, testkit_net *n, const char *base, int64_t signed_at,
                               size_t from)
{
    char url[320];
    for (size_t i = from; i < f->n_segs; i++) {
        testkit_segment_url(url, sizeof url, base, f->iss, f->segs[i].first);
        testkit_net_put(n, url, f->segs[i].cose, f->segs[i].len);
    }
    uint8_t *cose;
    size_t len;
    testkit_feed_checkpoint(f, &cose, &len, signed_at);
    testkit_feed_url(url, sizeof url, base, f->iss, "checkpoint");
    testkit_net_put(n, url, cose, len);
    free(cose);
}

void testkit_feed_publish(const testkit_feed *f, testkit_net *n, const char *base, int64_t signed_at)
{
    testkit_feed_publish_from(f, n, base, signed_at, 0);
}

void testkit_feed_publish_snapshot(const testkit_feed *f, testkit_net *n, const char *base, int64_t signed_at)
{
    char url[320];
    uint8_t *cose;
    size_t len;
    testkit_feed_snapshot(f, &cose, &len, signed_at);
    testkit_feed_url(url, sizeof url, base, f->iss, "snapshot");
    testkit_net_put(n, url, cose, len);
    free(cose);
}
