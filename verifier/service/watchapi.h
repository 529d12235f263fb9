/*
 * watchapi.h: the routes of `api-verifier serve` by which a social agency
 * follows attestations (verifier/watch.h holds them):
 *
 *   POST   /api/v1/watch        {"payload": "API1:..."} or {"payloads": [...]}
 *                               (at most 1,000): verified, and followed when
 *                               valid or suspended: 201 with watch_id and the
 *                               report (200 when the key followed it already)
 *   GET    /api/v1/watch        the key's watches (?after=ID&limit=N)
 *   GET    /api/v1/watch/{id}   one watch
 *   DELETE /api/v1/watch/{id}   stop following it (204)
 *   GET    /api/v1/changes      ?since=CURSOR&limit=N&wait=SECONDS: the
 *                               changes of the key's watches after the cursor
 *
 * Only a key of profile social may call them (403 for another profile,
 * 401 without a key). A key sees only its own watches: another key's id
 * is 404. With wait, a request that finds no change is parked until the
 * sync commits one (watchapi_notify) or the wait ends; at most max_parked
 * requests are parked at once, the others answered at once.
 *
 * Problem slugs of this file: unauthorized, forbidden, not-followable,
 * too-many-watches, insufficient-storage, not-found, invalid-request,
 * invalid-parameter, unsupported-media-type, body-too-large,
 * batch-too-large, malformed-json, incomplete-body, no-trust-list,
 * unavailable, internal-error.
 */
#ifndef API_WATCHAPI_H
#define API_WATCHAPI_H

#include <stdint.h>

#include "http/httpd.h"
#include "verifier/replica.h"
#include "verifier/service/fedview.h"
#include "verifier/service/webapi.h"

#define WATCHAPI_MAX_WAIT      60  /* seconds a changes request may be held */
#define WATCHAPI_DEFAULT_LIMIT 100 /* changes or watches in one answer, unless limit says */
#define WATCHAPI_MAX_LIMIT     1000

typedef struct {
    replica *r;
    fedview *fv;
    webapi *api;        /* the caller's admission (webapi_admit) and the verification context */
    uint64_t max_watch; /* watches of one key (--max-watch) */
    size_t max_body;    /* bytes of a JSON body of one payload (a list may take 4 times as many) */
    int max_parked;     /* changes requests parked at once */
} watchapi_config;

typedef struct watchapi watchapi;

api_err watchapi_new(watchapi **out, const watchapi_config *cfg);
void watchapi_free(watchapi *wa);

/* Adds the routes to a server not started yet. */
api_err watchapi_register(watchapi *wa, httpd *h);

/* The replica changed (a sync or a tick committed): the parked requests look again. */
void watchapi_notify(watchapi *wa);

/* The service stops: parked requests answer now, and no request parks any more. */
void watchapi_stop(watchapi *wa);

#endif
