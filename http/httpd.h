/*
 * httpd.h: the one HTTP server layer of the project, on CivetWeb 1.15,
 * used by the issuer's feed server and by the verification service.
 *
 * What it owns:
 *   - the listener, the worker threads and the run loop (SIGINT and SIGTERM
 *     stop it after a drain: no new connection is taken, the requests in
 *     progress are answered; SIGHUP is passed to the caller's tick);
 *   - the gate every request goes through before any route sees it:
 *     ambiguous or malformed HTTP is refused (conflicting or malformed
 *     Content-Length, Content-Length with Transfer-Encoding, a head that
 *     reaches CivetWeb's 64-header maximum, header lines CivetWeb would
 *     drop, a path with a control character, a NUL, a backslash or a bad
 *     percent escape; "//" and dot segments are 404s); deadlines for the
 *     whole head, the whole body and
 *     the answer, and a bound on the connections of one address
 *     (connguard.h);
 *   - routing by exact path or prefix, methods (405 with Allow, OPTIONS,
 *     CORS only for configured origins);
 *   - the answers: every one carries X-Content-Type-Options, Referrer-Policy
 *     and frame protection, problems are RFC 9457 application/problem+json,
 *     keep-alive follows the client and the body's state;
 *   - reading a body within its limit, its deadline and a shared memory
 *     budget (Expect: 100-continue answered);
 *   - the web pages from a folder (GET and HEAD, gzip negotiated, ETags,
 *     single ranges, the pages' Content-Security-Policy).
 * What it must not own: any route's meaning, verdicts, keys, logs.
 *
 * Use: httpd_new, httpd_route for each route, httpd_start, httpd_run (or
 * your own loop), httpd_free. Handlers run on CivetWeb's
 * worker threads, whose stacks are HTTPD_WORKER_STACK bytes: keep every
 * parse well inside it.
 */
#ifndef API_HTTPD_H
#define API_HTTPD_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "http/clientaddr.h"
#include "common/err.h"

/* The stack of a Debian CivetWeb 1.15 worker thread (measured with pthread_getattr_np in a handler). */
#define HTTPD_WORKER_STACK          102400

#define HTTPD_PATH_MAX              1024 /* decoded path; longer is 414 */
#define HTTPD_MAX_CORS_ORIGINS      8
#define HTTPD_CORS_ORIGIN_MAX       255
#define HTTPD_DEFAULT_KEEP_ALIVE_MS 5000
#define HTTPD_ANSWER_TIMEOUT_S      120  /* handling a request and taking its answer */
#define HTTPD_SHED_GRACE_MS         1000 /* under pressure, a head waited for longer is dropped */
#define HTTPD_DRAIN_TIMEOUT_S       30   /* after SIGTERM, the longest wait for requests in progress */

typedef struct httpd httpd;
typedef struct httpd_req httpd_req;

/* A header line to add to an answer; arrays end with {NULL, NULL}. */
typedef struct {
    const char *name;
    const char *value;
} httpd_header;

/* A route's handler: answers the request (httpd_send, httpd_problem) and returns the status sent. */
typedef int (*httpd_handler)(httpd_req *r, void *arg);

/*
 * Told of every request the server answers, the gate's refusals included:
 * begin before anything is done (routing included), end after the answer
 * with its status and the seconds it took. Both on the worker thread.
 */
typedef struct {
    void (*begin)(httpd_req *r, void *arg);
    void (*end)(httpd_req *r, int status, double seconds, void *arg);
    void *arg;
} httpd_observer;

typedef struct {
    const char *listen;                       /* "ADDR:PORT" */
    int threads;                              /* worker threads: connections served at once */
    long request_timeout;                     /* seconds: the head, then the body, each within it */
    int max_per_address;                      /* connections of one address; 0: no limit */
    const uint8_t (*trusted)[CLIENTADDR_LEN]; /* reverse proxies: exempt, X-Forwarded-For believed */
    size_t n_trusted;
    const char *web_root; /* the web pages' folder, served at "/"; NULL: none */
    const char *const
        *cors_origins; /* origins allowed to call from a browser; NULL-terminated, may be NULL */
    httpd_observer observer;
} httpd_config;

/* The default of max_per_address for a given number of threads: a quarter of them, at most 32, at least 2. */
int httpd_default_max_per_address(int threads);

/* Counters for /metrics: the gate's and the connection guard's. */
typedef struct {
    uint64_t refused_per_address; /* connections refused: their address held max_per_address */
    uint64_t refused_full;
    uint64_t head_timeouts;    /* connections closed: the request head was too slow */
    uint64_t body_timeouts;    /* bodies cut by their deadline */
    uint64_t answer_timeouts;  /* answers not taken in time */
    uint64_t evicted;          /* idle connections closed for their address's newest */
    uint64_t shed;             /* idle connections closed because the workers were nearly all taken */
    uint64_t untracked;        /* connections whose socket could not be watched */
    uint64_t too_many_headers; /* 431 */
    uint64_t bad_framing;      /* 400: Content-Length or Transfer-Encoding refused */
    uint64_t bad_target;       /* 400: the request target refused */
    uint64_t misdirected;      /* 421: absolute-form for another server */
    size_t open;               /* connections open now */
} httpd_stats;

/* Makes a server (nothing listens yet). API_ERR_ARG with err set for a bad configuration. */
api_err httpd_new(httpd **out, const httpd_config *cfg, char *err, size_t errlen);

/* Flags of httpd_route. */
#define HTTPD_PREFIX 1u /* path is a prefix ending with '/': every path under it */
#define HTTPD_BODY   2u /* the route reads a request body (others refuse a body unread and close) */

/*
 * Adds a route before httpd_start: path (exact, or a prefix with
 * HTTPD_PREFIX), methods (a comma-separated list of GET, POST, PUT,
 * DELETE, PATCH; GET implies HEAD), handler and its argument. The first
 * route that matches wins. API_ERR_FULL past HTTPD_MAX_ROUTES.
 */
#define HTTPD_MAX_ROUTES 32
api_err httpd_route(httpd *h, const char *path, unsigned flags, const char *methods, httpd_handler fn,
                    void *arg);

/* Listens and serves. API_ERR_IO with err set when the address cannot be used. */
api_err httpd_start(httpd *h, char *err, size_t errlen);

/*
 * Runs until SIGINT or SIGTERM, calling tick(arg, reopen) every tick_ms
 * (reopen is 1 once after each SIGHUP), then drains (httpd_drain_now).
 * Returns 0.
 */
int httpd_run(httpd *h, void (*tick)(void *arg, int reopen), void *arg, int tick_ms);

/*
 * The drain before a stop: stops listening at once (a new connection is
 * refused, so a load balancer sends it to another server), answers every
 * request in progress and those that arrive on connections already open,
 * each with "Connection: close", and returns when no connection is left
 * open, or after timeout_s seconds, or when stop() returns nonzero (a
 * second SIGTERM: httpd_run passes its own). The server is then stopped
 * by httpd_free. Returns the number of requests still in progress.
 */
int httpd_drain_now(httpd *h, int timeout_s, int (*stop)(void));

/* Whether the server is draining: a long-poll may answer early. */
int httpd_draining(const httpd *h);

/* The port the server listens on (the first, when several), or 0: for a server started on port 0. */
int httpd_port(httpd *h);

/* Stops listening, waits for the requests in progress, and frees h. */
void httpd_free(httpd *h);

void httpd_stats_get(httpd *h, httpd_stats *out);

/* ---- the request ---- */

const char *httpd_method(const httpd_req *r);
/* The path, percent-decoded and checked (no control character, NUL, backslash, "//" or dot segment). */
const char *httpd_path(const httpd_req *r);
/* A request header (the first of that name), or NULL. */
const char *httpd_header_get(const httpd_req *r, const char *name);
/* The client's address: the TCP peer, or what a trusted proxy says in X-Forwarded-For. */
const uint8_t *httpd_client(const httpd_req *r);
/*
 * A query-string parameter (the first of that name), percent-decoded into
 * out (capacity cap, NUL-terminated): 1 when present, 0 when absent, -1
 * when its value does not fit or decodes to a control character (a bad
 * request: answer 400 or 422 naming the parameter). "?a" and "?a=" give
 * an empty value. The server already refuses a query longer than
 * HTTPD_QUERY_MAX or holding a byte that is not printable ASCII.
 */
int httpd_query_get(const httpd_req *r, const char *name, char *out, size_t cap);

/* ---- answers ---- */

/*
 * Sends an answer in one write: status line, Date, Connection, the
 * security headers, Content-Type and Content-Length (not for 204 or 304),
 * the extra headers, then the body unless the request is a HEAD or the
 * status is 204 or 304. Returns status.
 */
int httpd_send(httpd_req *r, int status, const char *ctype, const httpd_header *extra, const void *body,
               size_t len);

/* Sends body as application/json (cJSON, consumed). A 500 problem if it is NULL or cannot be printed. */
int httpd_send_json(httpd_req *r, int status, const httpd_header *extra, cJSON *body);

/*
 * Sends an RFC 9457 problem: type "/problems/<slug>", title, status,
 * detail, and the members of extra (a cJSON object, consumed, may be
 * NULL; never over the standard members), with extra headers and
 * "Cache-Control: no-store". A small body not read yet is read and dropped
 * first, so that the answer is not lost to a reset. Returns status.
 */
int httpd_problem(httpd_req *r, int status, const char *slug, const char *title, const char *detail,
                  const httpd_header *extra, cJSON *members);

/* Whether an If-None-Match value (a list of entity tags, weak or strong, or "*") names etag. */
int httpd_etag_listed(const char *inm, const char *etag);

/* Whether the request's If-None-Match names etag. */
int httpd_not_modified(const httpd_req *r, const char *etag);

/* ---- bodies ---- */

/*
 * Memory shared by the bodies being received at once: cap bytes in all. A
 * body reserves what it receives as it arrives, so a stalled upload holds
 * only what it sent.
 */
typedef struct {
    _Atomic long long used;
    long long cap;
} httpd_budget;

typedef enum {
    HTTPD_BODY_OK,
    HTTPD_BODY_TOO_LARGE,  /* over max: refused (drained a little, so that the 413 arrives) */
    HTTPD_BODY_INCOMPLETE, /* ended before its length, or did not arrive within its deadline */
    HTTPD_BODY_BUSY,       /* the budget is spent: try again */
    HTTPD_BODY_NOMEM,
} httpd_body;

/*
 * Reads the whole body, at most max bytes, into *out (malloc'd and
 * NUL-terminated; *len without the NUL), within the body's deadline;
 * budget may be NULL. Answers "Expect: 100-continue" before the first read.
 */
httpd_body httpd_read_body(httpd_req *r, size_t max, httpd_budget *budget, uint8_t **out, size_t *len);

/* ---- for tests and fuzzing: the pure parts of the gate ---- */

/*
 * Decodes and checks a request target's path (raw: percent-encoded) into
 * out (HTTPD_PATH_MAX + 1 bytes). 0, or the status to refuse it with: 400
 * (bad escape, control character, NUL, backslash, not starting with "/"),
 * 404 ("//", a "." or ".." segment, a byte over 0x7e), 414 (too long).
 */
int httpd_decode_path(char out[HTTPD_PATH_MAX + 1], const char *raw);

/* Whether a Content-Length value is 1 to 18 digits with optional trailing blanks; sets *n. */
int httpd_parse_length(const char *v, long long *n);

/* Whether a comma-separated header value holds token (case-insensitive). */
int httpd_has_token(const char *value, const char *token);

/* Whether an Accept-Encoding value allows gzip (q=0 refuses it; "*" stands for it when it is not named). */
int httpd_accepts_gzip(const char *accept_encoding);

/*
 * The language of offered (count codes such as "fr", "en") that an
 * Accept-Language value prefers: the one named with the highest weight
 * ("fr-FR" names "fr"; q=0 refuses; the first listed wins a tie), or -1
 * when it names none of them ("*" names none: the caller keeps its default).
 */
int httpd_pick_language(const char *accept_language, const char *const *offered, int count);

/*
 * A Range header for a file of size bytes: 1 with the single range
 * [*from, *to] (inclusive), 0 to ignore it (absent, not "bytes=", malformed,
 * or several ranges), -1 when it cannot be satisfied (416).
 */
int httpd_parse_range(const char *value, long long size, long long *from, long long *to);

#endif
