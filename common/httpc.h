/*
 * httpc.h: a small, bounded HTTP/1.1 GET client over CivetWeb's client
 * API, for fetching signed objects (trust lists, feeds) from issuers and
 * mirrors. Plain http only: everything fetched is signed, and TLS is the
 * business of a reverse proxy (docs/federation.md).
 *
 * Thread-safe: no global state, one CivetWeb client connection per call.
 * The program must call mg_init_library(0) once, before the first request
 * (CivetWeb's rule; its client calls are not safe before it).
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

/*
 * Like httpc_get, sending "If-None-Match: etag" when etag is not NULL (an
 * ETag from an earlier response: 1..127 printable ASCII characters, else
 * API_ERR_ARG). A "304 Not Modified" is API_OK with status 304 and an
 * empty body. httpc_get(r, u, m, t) is httpc_get_if_none_match(r, u, NULL, m, t).
 *
 * URLs: "http" only (https is API_ERR_ARG: not supported here, TLS belongs
 * to a reverse proxy); a host name or IPv4 address; an optional port
 * 1..65535; no userinfo, spaces, control or non-ASCII characters; at most
 * HTTPC_URL_MAX characters. A fragment is not sent.
 *
 * Limits of CivetWeb 1.15's client, which hides its socket, so this
 * module cannot lift them: the name lookup (getaddrinfo) is not bounded;
 * connecting gives up after CivetWeb's fixed 10 s, not timeout_ms. The
 * status line and headers are bounded by timeout_ms (a server trickling
 * them can stretch that to twice timeout_ms). The body is read in
 * mg_read calls of at most 16 KiB with timeout_ms checked between them,
 * but one call returns only when all its bytes came, the body ended, or
 * 30 s (CivetWeb's built-in request timeout) passed with nothing: a
 * server that stalls mid-body costs up to 30 s more than timeout_ms, one
 * that trickles a byte now and then can hold a call much longer.
 * On an error resp->body is NULL; status and etag say what had arrived.
 */
#define HTTPC_URL_MAX 2048
api_err httpc_get_if_none_match(httpc_response *resp, const char *url, const char *etag, size_t max,
                                int timeout_ms);

void httpc_response_free(httpc_response *resp);

/*
 * Joins a base URL and a path: "http://h:1/base/" + "/feed/v1/x" ->
 * "http://h:1/base/feed/v1/x". -1 if it does not fit.
 */
int httpc_join(char *out, size_t cap, const char *base, const char *path);

#endif
