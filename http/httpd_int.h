/*
 * httpd_int.h: what the files of the server layer share (httpd.c: life,
 * callbacks and routing; httpd_gate.c: the checks of a request head;
 * httpd_reply.c: answers; httpd_body.c: bodies; httpd_static.c: the web
 * pages). Not for use outside http/httpd*.c.
 */
#ifndef API_HTTPD_INT_H
#define API_HTTPD_INT_H

#include <civetweb.h>
#include <stdatomic.h>
#include <time.h>

#include "http/connguard.h"
#include "http/httpd.h"

/* The headers every answer carries (the CSP of pages replaces the last one). */
#define HTTPD_SECURITY_HEADERS                                                                               \
    "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n"
#define HTTPD_CSP_NONE "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#define HTTPD_CSP_PAGES                                                                                      \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "                  \
    "media-src 'self' blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "                   \
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
#define HTTPD_CSP_MAX 8192

typedef struct {
    char path[HTTPD_PATH_MAX + 1];
    unsigned flags;
    unsigned methods; /* HTTPD_M_* */
    httpd_handler fn;
    void *arg;
} httpd_route_entry;

#define HTTPD_M_GET    1u
#define HTTPD_M_HEAD   2u
#define HTTPD_M_POST   4u
#define HTTPD_M_PUT    8u
#define HTTPD_M_DELETE 16u
#define HTTPD_M_PATCH  32u

struct httpd {
    httpd_config cfg;
    char *listen;
    char *web_root;
    char *cors[HTTPD_MAX_CORS_ORIGINS + 1];
    uint8_t (*trusted)[CLIENTADDR_LEN];
    char *csp_pages; /* the web pages' policy (web_root/csp.txt, or HTTPD_CSP_PAGES) */
    httpd_route_entry routes[HTTPD_MAX_ROUTES];
    size_t n_routes;
    struct mg_context *ctx;
    connguard *guard;
    _Atomic uint64_t too_many_headers, bad_framing, bad_target, misdirected;
    _Atomic int in_flight; /* requests between begin_request and end_request */
    _Atomic int draining;  /* SIGTERM came: no new connection, every answer closes its connection */
};

/* What the server keeps of a connection (CivetWeb's user connection data). */
typedef struct {
    connguard_conn *gc; /* NULL: no slot was left (its requests are refused) */
    int pending;        /* a request head was taken and no answer is known yet (see httpd.c) */
} httpd_conn;

struct httpd_req {
    httpd *h;
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    httpd_conn *hc;
    const char *method;
    char path[HTTPD_PATH_MAX + 1];
    uint8_t client[CLIENTADDR_LEN];
    int head; /* a HEAD request */
    int http10;
    long long content_length; /* -1: chunked */
    int has_body;
    int body_done;        /* read to its end (or there is none) */
    int client_close;     /* the client asked to close (or HTTP/1.0 without keep-alive) */
    int expect_continue;  /* "Expect: 100-continue" not answered yet */
    int body_route;       /* the route reads bodies (a small unread one may be dropped before an answer) */
    httpd_budget *budget; /* what the body reserved, released when the request ends */
    long long reserved;
    const char *cors_origin; /* the Origin of the request when it is configured */
    const char *csp;         /* the Content-Security-Policy of this answer */
    struct timespec t0;
    int active;
};

/* httpd_gate.c: checks the head; 0, or the status of the problem sent. Fills r. */
int httpd_gate(httpd_req *r);

/* httpd_reply.c */
int httpd_keep_alive(httpd_req *r);
void httpd_http_date(char out[32], time_t when);
int httpd_write_all(struct mg_connection *conn, const void *data, size_t len);
/* Sends the status line and headers of an answer whose body the caller writes; length < 0: none declared. */
int httpd_send_head(httpd_req *r, int status, const char *ctype, const httpd_header *extra, long long length);
/* A raw problem written straight to a socket CivetWeb has not answered on (refusals). */
void httpd_raw_problem(int fd, int status, const char *slug, const char *title, const char *detail,
                       const char *headers);

/* httpd_body.c: drops a small unread body before an answer, so that the answer is not lost to a reset. */
void httpd_settle_body(httpd_req *r);
/* Reads and drops the rest of the body, at most max bytes, within its deadline; 1 if it ended. */
int httpd_drain(httpd_req *r, size_t max);
/* Gives back what the request's body reserved of its budget. */
void httpd_release_body(httpd_req *r);

/* httpd_static.c: answers a GET or HEAD for a file of the web root. */
int httpd_static(httpd_req *r);
/* Reads web_root/csp.txt into h->csp_pages (or the default). */
api_err httpd_static_init(httpd *h, char *err, size_t errlen);

#endif
