/*
 * httpc.h: a small, bounded HTTP/1.1 GET client over CivetWeb's client
 * API, for fetching signed objects (trust lists, feeds) from issuers and
 * mirrors. Plain http only: everything fetched is signed, and TLS is the
 * business of a reverse proxy (docs/federation.md).
 */
#ifndef API_HTTPC_H
#define API_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct {
    int status;        /* HTTP status code, 0 if no response */
    uint8_t *body;     /* malloc'd, NUL-terminated (not counted in len) */
    size_t len;
    char etag[128];    /* the ETag header, if any */
} httpc_response;

/*
 * GET url ("http://host[:port]/path"). Refuses bodies over max bytes
 * (API_ERR_TOO_LARGE) and gives up after timeout_ms for connect and for
 * the whole response (API_ERR_IO). Returns API_OK whenever a response
 * arrived, whatever its status; API_ERR_ARG for a URL it cannot use.
 * The caller frees resp->body with httpc_response_free.
 */
api_err httpc_get(httpc_response *resp, const char *url, size_t max, int timeout_ms);

void httpc_response_free(httpc_response *resp);

/*
 * Joins a base URL and a path: "http://h:1/base/" + "/feed/v1/x" ->
 * "http://h:1/base/feed/v1/x". -1 if it does not fit.
 */
int httpc_join(char *out, size_t cap, const char *base, const char *path);

#endif
