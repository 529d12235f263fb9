/*
 * httpd_body.c: request bodies (see httpd.h, httpd_read_body).
 *
 * A body is read into a buffer that grows as bytes arrive (16 KiB, then
 * doubling), never sized from what Content-Length announces: a client that
 * announces 8 MB and sends ten bytes costs ten bytes and its 16 KiB. When
 * the route gives a budget (the memory of every body of its kind received
 * at once), each growth is reserved from it first, and released when the
 * request ends; a spent budget is a 503 for this body, not a wait.
 *
 * The deadline is the connection watcher's (connguard.h): when the body's
 * time is up it shuts the socket for reading, CivetWeb's read returns at
 * once, and the body is incomplete. No read here waits on its own clock.
 *
 * A declared length over the limit is refused before reading; when it is
 * only a little over (HTTPD_DRAIN_MAX) and the client is not waiting for
 * a 100 Continue, the body is read and dropped so that the 413 reaches a
 * client that sends its whole body before reading the answer.
 *
 * This file must not keep a body after the request, nor log one.
 */
#include "http/httpd_int.h"

#include <stdlib.h>
#include <string.h>

#define HTTPD_FIRST_ALLOC (16u << 10)
#define HTTPD_READ_CHUNK  (64u << 10)
#define HTTPD_DRAIN_MAX   (1u << 20)  /* dropped past a limit, so that the 413 arrives */
#define HTTPD_SETTLE_MAX  (64u << 10) /* an unread body this small is dropped before an answer */

static void httpd_body_finished(httpd_req *r)
{
    r->body_done = 1;
    if (r->hc) connguard_body_done(r->hc->gc);
}

static void httpd_continue(httpd_req *r)
{
    if (!r->expect_continue) return;
    r->expect_continue = 0;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    httpd_write_all(r->conn, cont, sizeof cont - 1);
}

int httpd_drain(httpd_req *r, size_t max)
{
    if (r->body_done) return 1;
    if (r->expect_continue) return 0; /* the client waits for a word before sending: none comes */
    char sink[8192];
    size_t dropped = 0;
    while (dropped <= max) {
        int n = mg_read(r->conn, sink, sizeof sink);
        if (n < 0) return 0;
        if (n == 0) {
            if (r->content_length >= 0 && (long long)dropped < r->content_length) return 0; /* ended early */
            httpd_body_finished(r);
            return 1;
        }
        dropped += (size_t)n;
        if (r->content_length >= 0 && (long long)dropped >= r->content_length) {
            httpd_body_finished(r);
            return 1;
        }
    }
    return 0;
}

void httpd_settle_body(httpd_req *r)
{
    if (!r->has_body || r->body_done || r->expect_continue || !r->body_route) return;
    if (r->content_length <= 0 || r->content_length > (long long)HTTPD_SETTLE_MAX) return;
    httpd_drain(r, HTTPD_SETTLE_MAX);
}

/* Reserves n more bytes of the budget; 0, or -1 when it is spent. */
static int httpd_reserve(httpd_req *r, httpd_budget *b, size_t n)
{
    if (!b) return 0;
    long long add = (long long)n;
    if (atomic_fetch_add(&b->used, add) + add > b->cap) {
        atomic_fetch_sub(&b->used, add);
        return -1;
    }
    r->budget = b;
    r->reserved += add;
    return 0;
}

void httpd_release_body(httpd_req *r)
{
    if (r->budget && r->reserved) atomic_fetch_sub(&r->budget->used, r->reserved);
    r->budget = NULL;
    r->reserved = 0;
}

httpd_body httpd_read_body(httpd_req *r, size_t max, httpd_budget *budget, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (max > SIZE_MAX / 4) max = SIZE_MAX / 4;
    if (!r->has_body || r->body_done) {
        if (!r->body_done) httpd_body_finished(r);
        *out = calloc(1, 1);
        return *out ? HTTPD_BODY_OK : HTTPD_BODY_NOMEM;
    }
    int chunked = r->content_length < 0;
    if (!chunked && (unsigned long long)r->content_length > max) {
        if ((unsigned long long)r->content_length - max <= HTTPD_DRAIN_MAX)
            httpd_drain(r, (size_t)r->content_length);
        return HTTPD_BODY_TOO_LARGE;
    }
    httpd_continue(r);
    size_t limit =
        chunked ? max + 1 : (size_t)r->content_length; /* max + 1: to see a chunked body over max */
    size_t cap = limit < HTTPD_FIRST_ALLOC ? limit : HTTPD_FIRST_ALLOC;
    if (httpd_reserve(r, budget, cap) != 0) return HTTPD_BODY_BUSY;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) return HTTPD_BODY_NOMEM;
    size_t n = 0;
    httpd_body result = HTTPD_BODY_OK;
    for (;;) {
        if (n == limit) break;
        if (n == cap) {
            size_t ncap = cap > limit / 2 ? limit : cap * 2;
            if (httpd_reserve(r, budget, ncap - cap) != 0) {
                result = HTTPD_BODY_BUSY;
                break;
            }
            uint8_t *nb = realloc(buf, ncap + 1);
            if (!nb) {
                result = HTTPD_BODY_NOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t ask = cap - n > HTTPD_READ_CHUNK ? HTTPD_READ_CHUNK : cap - n;
        int got = mg_read(r->conn, buf + n, ask);
        if (got < 0 || (got == 0 && !chunked)) {
            result = HTTPD_BODY_INCOMPLETE; /* closed, cut at its deadline, or ended before its length */
            break;
        }
        if (got == 0) { /* the last chunk */
            httpd_body_finished(r);
            break;
        }
        n += (size_t)got;
    }
    if (result == HTTPD_BODY_OK && !chunked) httpd_body_finished(r);
    if (result == HTTPD_BODY_OK && chunked && n > max) {
        result = HTTPD_BODY_TOO_LARGE;
        r->body_done = 0;
        httpd_drain(r, HTTPD_DRAIN_MAX); /* a little, so that the 413 arrives */
    }
    if (result == HTTPD_BODY_OK && chunked && !r->body_done) result = HTTPD_BODY_INCOMPLETE;
    if (result != HTTPD_BODY_OK) {
        free(buf);
        return result;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return HTTPD_BODY_OK;
}
