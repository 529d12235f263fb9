/*
 * httpc.h: a small, bounded HTTP/1.1 GET client on plain POSIX sockets,
 * for fetching signed objects (trust lists, feeds) from issuers and
 * mirrors. Plain http only: everything fetched is signed, and TLS is the
 * business of a reverse proxy (docs/federation.md).
 *
 * Thread-safe: no global state, one connection per call; nothing to
 * initialise first. Host names are looked up with glibc's getaddrinfo_a
 * (libanl before glibc 2.34).
 */
#ifndef API_HTTPC_H
#define API_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct {
    int status;    /* HTTP status code, 0 if no response */
    uint8_t *body; /* malloc'd, NUL-terminated (not counted in len) */
    size_t len;
    char etag[128]; /* the first ETag header, if any and 1..127 printable ASCII */
} httpc_response;

/*
 * GET url ("http://host[:port]/path"). Refuses bodies over max bytes
 * (API_ERR_TOO_LARGE) and gives up after timeout_ms for the whole call
 * (API_ERR_IO). Returns API_OK whenever a response arrived, whatever its
 * status; API_ERR_ARG for a URL it cannot use. The caller frees
 * resp->body with httpc_response_free.
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
 * The deadline: timeout_ms, counted once from the start on the monotonic
 * clock, covers the whole call: the name lookup (none for a dotted IPv4
 * address; a name's lookup is abandoned at the deadline), the connect,
 * sending the request, the head and every byte of the body. Whatever the
 * server does (silence, a byte now and then, a stall mid-body, an accept
 * queue that never takes the connection) the call returns within
 * timeout_ms and a few milliseconds.
 *
 * What is read, strictly (httpc_int.h has the details): a head of at most
 * 16 KiB and 100 header lines, CRLF line ends, header names that are
 * tokens, no obs-fold; Content-Length in digits only, never two that
 * differ, never with Transfer-Encoding; "chunked" the only transfer
 * coding, decoded with its CRLFs checked; 1xx interim responses skipped
 * (at most 4), 101 refused. The body ends at Content-Length, at the last
 * chunk, or at the close when neither is given; one that ends early is
 * API_ERR_IO. 204 and 304 have none.
 *
 * On an error resp->body is NULL; status and etag say what had arrived: a
 * head read whole and well-formed, even when its framing headers were then
 * unusable; 0 and "" otherwise.
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
