/*
 * httpd.c: the server's life, CivetWeb's callbacks, routing and the run
 * loop (see httpd.h for what the layer owns).
 *
 * Everything is answered from CivetWeb's begin_request callback: the gate
 * (httpd_gate.c), then the first route whose path matches, else the web
 * pages, else a 404. CivetWeb is left no request to process itself, so its
 * own static files, directory redirects, WebDAV methods, Digest challenges
 * and CORS answers never run, and its URL decoding is off (decode_url=no):
 * the gate decodes the path once, strictly.
 *
 * A connection's life: init_connection (on its worker thread, before its
 * first request head is read) hands it to the connection guard, which may
 * refuse it (a raw 503, written on the socket, then shut); begin_request
 * and end_request move it through the guard's phases; connection_close
 * ends the watch before CivetWeb closes the socket. CivetWeb drops without
 * a word a request whose absolute-form target names another port; the
 * connection_close callback notices a request taken but never answered and
 * writes a 421 on the socket itself.
 *
 * Per request state (httpd_req) lives in a thread-local variable: CivetWeb
 * runs one request at a time on a worker thread, begin_request to
 * end_request. The observer is told of every answer, the gate's refusals
 * and CivetWeb's own errors (malformed heads, heads too large) included.
 *
 * A stop drains first (httpd_drain_now): CivetWeb 1.15 can only stop
 * everything at once, and once mg_stop has begun it writes no more answers,
 * so the listening socket is taken away from it before: shutdown stops it
 * listening (the port refuses connections from that moment), and dup2 puts
 * in its place a listener on a loopback port nobody knows (nonblocking, so
 * that CivetWeb's accept never waits on it, and its poll sleeps again), and mg_stop comes only once the
 * requests in progress were answered and their connections closed.
 *
 * This file must not log what a client sent, and must not answer anything
 * on its own but the fixed refusals above: routes answer.
 */
#include "common/bytes.h"
#include "http/httpd_int.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static _Thread_local httpd_req httpd_cur;

/* ---- set-up ---- */

int httpd_default_max_per_address(int threads)
{
    int n = threads / 4;
    if (n > 32) n = 32;
    if (n < 2) n = 2;
    return n;
}

static unsigned httpd_method_bit(const char *m, size_t n)
{
    static const struct {
        const char *name;
        unsigned bit;
    } known[] = {{"GET", HTTPD_M_GET | HTTPD_M_HEAD},
                 {"HEAD", HTTPD_M_HEAD},
                 {"POST", HTTPD_M_POST},
                 {"PUT", HTTPD_M_PUT},
                 {"DELETE", HTTPD_M_DELETE},
                 {"PATCH", HTTPD_M_PATCH}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == n && strncmp(known[i].name, m, n) == 0) return known[i].bit;
    return 0;
}

/* "GET, POST" -> bits; 0 for an unknown name. */
static unsigned httpd_methods_parse(const char *list)
{
    unsigned bits = 0;
    const char *p = list;
    while (p && *p) {
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, ", ");
        if (n == 0) break;
        unsigned b = httpd_method_bit(p, n);
        if (!b) return 0;
        bits |= b;
        p += n;
    }
    return bits;
}

/* The Allow header's value for a set of methods (OPTIONS always). */
static void httpd_allow_text(char *out, size_t cap, unsigned m)
{
    snprintf(out, cap, "%s%s%s%s%s%sOPTIONS", (m & HTTPD_M_GET) ? "GET, " : "",
             (m & HTTPD_M_HEAD) ? "HEAD, " : "", (m & HTTPD_M_POST) ? "POST, " : "",
             (m & HTTPD_M_PUT) ? "PUT, " : "", (m & HTTPD_M_PATCH) ? "PATCH, " : "",
             (m & HTTPD_M_DELETE) ? "DELETE, " : "");
}

static void httpd_free_parts(httpd *h)
{
    free(h->listen);
    free(h->web_root);
    for (size_t i = 0; i < HTTPD_MAX_CORS_ORIGINS; i++) free(h->cors[i]);
    free(h->trusted);
    free(h->csp_pages);
}

api_err httpd_new(httpd **out, const httpd_config *cfg, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = '\0';
    if (!cfg || !cfg->listen || cfg->threads <= 0 || cfg->request_timeout <= 0 || cfg->max_per_address < 0 ||
        cfg->n_trusted > CLIENTADDR_MAX_TRUSTED) {
        if (err) snprintf(err, errlen, "bad server configuration");
        return API_ERR_ARG;
    }
    httpd *h = calloc(1, sizeof *h);
    if (!h) return API_ERR_NOMEM;
    h->cfg = *cfg;
    h->listen = strdup(cfg->listen);
    h->web_root = cfg->web_root ? strdup(cfg->web_root) : NULL;
    int ok = h->listen && (!cfg->web_root || h->web_root);
    if (ok && cfg->n_trusted) {
        h->trusted = calloc(cfg->n_trusted, sizeof *h->trusted);
        ok = h->trusted != NULL;
        if (ok) memcpy(h->trusted, cfg->trusted, cfg->n_trusted * sizeof *h->trusted);
    }
    for (size_t i = 0; ok && cfg->cors_origins && cfg->cors_origins[i]; i++) {
        const char *o = cfg->cors_origins[i];
        size_t n = strlen(o);
        if (i >= HTTPD_MAX_CORS_ORIGINS || n == 0 || n > HTTPD_CORS_ORIGIN_MAX ||
            strcspn(o, " \t\r\n,\"\\") != n) {
            if (err)
                snprintf(err, errlen, "a CORS origin is empty, too long, or there are more than %d",
                         HTTPD_MAX_CORS_ORIGINS);
            httpd_free_parts(h);
            free(h);
            return API_ERR_ARG;
        }
        h->cors[i] = strdup(o);
        ok = h->cors[i] != NULL;
    }
    if (!ok) {
        httpd_free_parts(h);
        free(h);
        return API_ERR_NOMEM;
    }
    h->cfg.listen = h->listen;
    h->cfg.web_root = h->web_root;
    h->cfg.trusted = (const uint8_t(*)[CLIENTADDR_LEN])h->trusted;
    h->cfg.cors_origins = (const char *const *)h->cors;
    api_err e = httpd_static_init(h, err, errlen);
    if (e != API_OK) {
        httpd_free_parts(h);
        free(h);
        return e;
    }
    *out = h;
    return API_OK;
}

api_err httpd_route(httpd *h, const char *path, unsigned flags, const char *methods, httpd_handler fn,
                    void *arg)
{
    if (!h || !path || path[0] != '/' || !fn || h->ctx) return API_ERR_ARG;
    size_t n = strlen(path);
    if (n > HTTPD_PATH_MAX || ((flags & HTTPD_PREFIX) && path[n - 1] != '/')) return API_ERR_ARG;
    unsigned m = httpd_methods_parse(methods);
    if (!m) return API_ERR_ARG;
    if (h->n_routes >= HTTPD_MAX_ROUTES) return API_ERR_FULL;
    httpd_route_entry *r = &h->routes[h->n_routes++];
    memcpy(r->path, path, n + 1);
    r->flags = flags;
    r->methods = m;
    r->fn = fn;
    r->arg = arg;
    return API_OK;
}

/* ---- callbacks ---- */

static httpd *httpd_of(const struct mg_connection *conn)
{
    return mg_get_user_data(mg_get_context(conn));
}

static int httpd_on_init_connection(const struct mg_connection *conn, void **conn_data)
{
    *conn_data = NULL;
    httpd *h = httpd_of(conn);
    if (!h || !h->guard) return 0;
    httpd_conn *hc = calloc(1, sizeof *hc);
    if (!hc) return 0;
    hc->gc = connguard_open(h->guard, conn);
    *conn_data = hc;
    return 0;
}

/* The guard's resolve: who is at the other end, once CivetWeb's worker has started on the connection. */
static int httpd_resolve(const void *handle, char peer[CONNGUARD_PEER_TEXT], int *peer_port, int *local_port)
{
    const struct mg_request_info *ri = mg_get_request_info(handle);
    if (!ri) return -1;
    snprintf(peer, CONNGUARD_PEER_TEXT, "%s", ri->remote_addr);
    *peer_port = ri->remote_port;
    *local_port = ri->server_port;
    return 0;
}

static void httpd_refuse(int fd, int per_address)
{
    httpd_raw_problem(fd, 503, "too-many-connections", "Service Unavailable",
                      per_address ? "this address holds as many connections as this service allows at once; "
                                    "close some or try again later"
                                  : "this service holds as many connections as it can; try again later",
                      "Retry-After: 5\r\n");
}

static void httpd_on_connection_close(const struct mg_connection *conn)
{
    httpd_conn *hc = mg_get_user_connection_data(conn);
    if (!hc) return;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    httpd *h = httpd_of(conn);
    /* A request CivetWeb took and dropped unanswered: an absolute-form target for another port, or "*". */
    int dropped = !hc->pending && ri && ri->request_uri && !ri->local_uri;
    /* the watcher may not know the socket yet: CivetWeb called no other callback for this request */
    if (dropped && connguard_fd(hc->gc) < 0) connguard_identify(hc->gc);
    int fd = connguard_fd(hc->gc);
    if (dropped && fd >= 0 && connguard_was_cut(hc->gc) == CONNGUARD_CUT_NONE) {
        if (ri->request_uri[0] == '*') {
            char date[32], head[256];
            httpd_http_date(date, time(NULL));
            int n = snprintf(head, sizeof head,
                             "HTTP/1.1 204 No Content\r\nDate: %s\r\nAllow: GET, HEAD, POST, OPTIONS\r\n"
                             "Connection: close\r\n" HTTPD_SECURITY_HEADERS "\r\n",
                             date);
            if (n > 0 && (size_t)n < sizeof head)
                (void)send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else {
            if (h) atomic_fetch_add(&h->misdirected, 1);
            httpd_raw_problem(fd, 421, "misdirected-request", "Misdirected Request",
                              "this server does not answer for the host or port named in the request target",
                              NULL);
        }
    }
    connguard_close(hc->gc);
    free(hc);
}

static double httpd_seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void httpd_req_start(httpd_req *r, httpd *h, struct mg_connection *conn)
{
    memset(r, 0, sizeof *r);
    r->h = h;
    r->conn = conn;
    r->ri = mg_get_request_info(conn);
    r->hc = mg_get_user_connection_data(conn);
    r->method = r->ri && r->ri->request_method ? r->ri->request_method : "";
    r->csp = HTTPD_CSP_NONE;
    r->body_done = 1;
    r->active = 1;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    if (r->hc) r->hc->pending = 1;
    if (h->cfg.observer.begin) h->cfg.observer.begin(r, h->cfg.observer.arg);
}

static const httpd_route_entry *httpd_find_route(const httpd *h, const char *path)
{
    for (size_t i = 0; i < h->n_routes; i++) {
        const httpd_route_entry *e = &h->routes[i];
        if ((e->flags & HTTPD_PREFIX) ? strncmp(path, e->path, strlen(e->path)) == 0
                                      : strcmp(path, e->path) == 0)
            return e;
    }
    return NULL;
}

static unsigned httpd_request_bit(const char *m)
{
    return httpd_method_bit(m, strlen(m));
}

static int httpd_method_not_allowed(httpd_req *r, unsigned methods);

/*
 * OPTIONS. A CORS preflight (Origin and Access-Control-Request-Method) is
 * answered 204, with the CORS headers only for an origin the operator
 * configured and a method the route takes; any other OPTIONS is a method
 * this service does not offer (405, with Allow).
 */
static int httpd_options(httpd_req *r, unsigned methods)
{
    const char *want = httpd_header_get(r, "Access-Control-Request-Method");
    if (!want || !httpd_header_get(r, "Origin")) return httpd_method_not_allowed(r, methods);
    char allow[96];
    httpd_allow_text(allow, sizeof allow, methods);
    unsigned want_bit = httpd_request_bit(want);
    if (r->cors_origin && want_bit && (methods & want_bit) == want_bit) {
        httpd_header h[] = {{"Access-Control-Allow-Methods", allow},
                            {"Access-Control-Allow-Headers", "Content-Type, X-API-Key"},
                            {"Access-Control-Max-Age", "600"},
                            {"Cache-Control", "no-store"},
                            {NULL, NULL}};
        return httpd_send(r, 204, NULL, h, NULL, 0);
    }
    r->cors_origin = NULL; /* not a preflight this server allows: no CORS header at all */
    httpd_header h[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};
    return httpd_send(r, 204, NULL, h, NULL, 0);
}

static int httpd_method_not_allowed(httpd_req *r, unsigned methods)
{
    char allow[96];
    httpd_allow_text(allow, sizeof allow, methods);
    /* the Allow of a 405 names what may be asked, OPTIONS left out as before */
    size_t n = strlen(allow);
    if (n >= 9 && strcmp(allow + n - 9, ", OPTIONS") == 0) allow[n - 9] = '\0';
    char detail[128];
    snprintf(detail, sizeof detail, "only %s allowed here", allow);
    httpd_header h[] = {{"Allow", allow}, {NULL, NULL}};
    return httpd_problem(r, 405, "method-not-allowed", "Method Not Allowed", detail, h, NULL);
}

static int httpd_dispatch(httpd_req *r)
{
    httpd *h = r->h;
    const httpd_route_entry *e = httpd_find_route(h, r->path);
    unsigned bit = httpd_request_bit(r->method);
    int options = strcmp(r->method, "OPTIONS") == 0;
    if (e) {
        if (options) return httpd_options(r, e->methods);
        if (!bit || !(e->methods & bit)) return httpd_method_not_allowed(r, e->methods);
        r->body_route = (e->flags & HTTPD_BODY) != 0;
        return e->fn(r, e->arg);
    }
    if (h->web_root) {
        if (options) return httpd_options(r, HTTPD_M_GET | HTTPD_M_HEAD);
        if (!(bit & (HTTPD_M_GET | HTTPD_M_HEAD)))
            return httpd_method_not_allowed(r, HTTPD_M_GET | HTTPD_M_HEAD);
        return httpd_static(r);
    }
    return httpd_problem(r, 404, "not-found", "Not Found", "there is no such resource", NULL, NULL);
}

static int httpd_on_begin_request(struct mg_connection *conn)
{
    httpd *h = httpd_of(conn);
    if (!h) return 500;
    httpd_req *r = &httpd_cur;
    httpd_req_start(r, h, conn);
    atomic_fetch_add(&h->in_flight, 1);
    int status = 0;
    if (!r->hc || !connguard_identify(r->hc->gc)) {
        r->client_close = 1;
        status = httpd_problem(r, 503, "too-many-connections", "Service Unavailable",
                               "this address holds as many connections as this service allows at once; close "
                               "some or try again later",
                               (const httpd_header[]){{"Retry-After", "5"}, {NULL, NULL}}, NULL);
    }
    if (status == 0) status = httpd_gate(r);
    if (status == 0) status = httpd_dispatch(r);
    if (!r->body_done) mg_disable_connection_keep_alive(conn);
    return status > 0 ? status : 500;
}

static void httpd_on_end_request(const struct mg_connection *conn, int status)
{
    httpd *h = httpd_of(conn);
    httpd_req *r = &httpd_cur;
    if (!h || !r->active) return;
    httpd_release_body(r);
    if (h->cfg.observer.end) h->cfg.observer.end(r, status, httpd_seconds_since(&r->t0), h->cfg.observer.arg);
    if (r->hc) {
        r->hc->pending = 0;
        connguard_answered(r->hc->gc);
    }
    r->active = 0;
    atomic_fetch_sub(&h->in_flight, 1);
}

/*
 * CivetWeb's own errors, before any begin_request: a head it cannot parse
 * (400), too large (its 413, which is a 431 here), a bad version (505).
 * Answered as problems, never with CivetWeb's text, and the connection
 * closes.
 */
static int httpd_on_http_error(struct mg_connection *conn, int status, const char *msg)
{
    (void)msg;
    httpd *h = httpd_of(conn);
    if (!h || status < 400) return 1;
    httpd_conn *hc = mg_get_user_connection_data(conn);
    if (hc && connguard_was_cut(hc->gc) != CONNGUARD_CUT_NONE) return 0; /* cut: nothing more is owed */
    httpd_req *r = &httpd_cur;
    httpd_req_start(r, h, conn);
    const char *slug = "bad-request", *title = "Bad Request", *detail = "the request is not well-formed HTTP";
    switch (status) {
    case 413:
    case 431:
        status = 431;
        slug = "request-header-fields-too-large";
        title = "Request Header Fields Too Large";
        detail = "the request's head is larger than this service reads";
        atomic_fetch_add(&h->too_many_headers, 1);
        break;
    case 505:
        slug = "http-version-not-supported";
        title = "HTTP Version Not Supported";
        detail = "this service speaks HTTP/1.0 and HTTP/1.1";
        break;
    case 400:
        break;
    default:
        slug = status >= 500 ? "internal-error" : "error";
        title = mg_get_response_code_text(conn, status);
        detail = "the request could not be served";
        break;
    }
    r->client_close = 1;
    mg_disable_connection_keep_alive(conn);
    httpd_problem(r, status, slug, title ? title : "Error", detail, NULL, NULL);
    if (h->cfg.observer.end) h->cfg.observer.end(r, status, httpd_seconds_since(&r->t0), h->cfg.observer.arg);
    r->active = 0;
    return 0;
}

static int httpd_on_log(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    (void)message;
    return 1; /* CivetWeb's messages may quote a request: never logged */
}

/* ---- running ---- */

api_err httpd_start(httpd *h, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!h || h->ctx) return API_ERR_ARG;
    long request_ms = h->cfg.request_timeout * 1000;
    long keep_ms = request_ms < HTTPD_DEFAULT_KEEP_ALIVE_MS ? request_ms : HTTPD_DEFAULT_KEEP_ALIVE_MS;
    connguard_config gc = {
        .slots = (size_t)h->cfg.threads,
        .max_per_address = h->cfg.max_per_address,
        .head_timeout_ms = request_ms,
        .keep_alive_ms = keep_ms,
        .body_timeout_ms = request_ms,
        .answer_timeout_ms = (int64_t)HTTPD_ANSWER_TIMEOUT_S * 1000,
        .shed_grace_ms = HTTPD_SHED_GRACE_MS,
        .resolve = httpd_resolve,
        .refuse = httpd_refuse,
        .trusted = h->cfg.trusted,
        .n_trusted = h->cfg.n_trusted,
    };
    api_err e = connguard_new(&h->guard, &gc);
    if (e != API_OK) {
        if (err) snprintf(err, errlen, "cannot start the connection watcher: %s", api_strerror(e));
        return e;
    }
    char threads[16], timeout[24], keep[24];
    snprintf(threads, sizeof threads, "%d", h->cfg.threads);
    /* CivetWeb's own timer restarts at every byte: twice ours, so that ours (exact) cuts first */
    snprintf(timeout, sizeof timeout, "%ld", 2 * request_ms);
    snprintf(keep, sizeof keep, "%ld", keep_ms);
    const char *options[] = {"listening_ports",
                             h->listen,
                             "num_threads",
                             threads,
                             "request_timeout_ms",
                             timeout,
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             keep,
                             "decode_url",
                             "no",
                             "enable_auth_domain_check",
                             "no",
                             "access_control_allow_origin",
                             "",
                             "access_control_allow_methods",
                             "",
                             "access_control_allow_headers",
                             "",
                             "enable_directory_listing",
                             "no",
                             NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.begin_request = httpd_on_begin_request;
    cb.end_request = httpd_on_end_request;
    cb.http_error = httpd_on_http_error;
    cb.init_connection = httpd_on_init_connection;
    cb.connection_close = httpd_on_connection_close;
    cb.log_message = httpd_on_log;
    /*
     * No log_access callback: with neither one nor an access_log_file
     * option, CivetWeb skips its access line (which it would format with
     * the C library's local time, under that library's lock, on every
     * request, only for httpd_on_log to drop it). The service writes its
     * own access log (end_request).
     */
    mg_init_library(0);
    h->ctx = mg_start(&cb, h, options);
    if (!h->ctx) {
        mg_exit_library();
        connguard_free(h->guard);
        h->guard = NULL;
        if (err) snprintf(err, errlen, "cannot listen on %s (address in use, or not ADDR:PORT?)", h->listen);
        return API_ERR_IO;
    }
    return API_OK;
}

int httpd_port(httpd *h)
{
    struct mg_server_port ports[4];
    if (!h || !h->ctx || mg_get_server_ports(h->ctx, 4, ports) < 1) return 0;
    return ports[0].port;
}

/* Stops listening and waits for the requests in progress. */
static void httpd_stop(httpd *h)
{
    if (!h || !h->ctx) return;
    mg_stop(h->ctx);
    h->ctx = NULL;
    connguard_free(h->guard);
    h->guard = NULL;
    mg_exit_library();
}

void httpd_free(httpd *h)
{
    if (!h) return;
    httpd_stop(h);
    httpd_free_parts(h);
    free(h);
}

/* ---- the drain ---- */

#define HTTPD_ACCEPT_WAIT_MS 200 /* the longest wait for CivetWeb to accept what the kernel queued */
#define HTTPD_DRAIN_GRACE_MS 100 /* before a drain may end: CivetWeb's workers take the last accepted */

int httpd_draining(const httpd *h)
{
    return h && atomic_load(&((httpd *)(uintptr_t)h)->draining);
}

/* A listener on a loopback port of the kernel's choice, nonblocking, of the family fam; or -1. */
static int httpd_dummy_listener(int fam)
{
    int s = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (fam == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    }
    if (bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 1) != 0) {
        close(s);
        return -1;
    }
    return s;
}

/* Replaces this process's listening sockets on port (CivetWeb's) with dummies: the port refuses from now on.
 */
static void httpd_stop_listening(int port)
{
    struct rlimit rl;
    int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    for (int fd = 0; fd < max; fd++) {
        int acc = 0;
        socklen_t l = sizeof acc;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) != 0 || !acc) continue;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) continue;
        int p = ss.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                : ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : -1;
        if (p != port) continue;
        /*
         * Connections the kernel completed but CivetWeb has not accepted yet
         * would be reset with the socket: give it a moment to take them (for
         * a listening socket, tcpi_unacked is the length of that queue).
         */
        for (int i = 0; i < HTTPD_ACCEPT_WAIT_MS; i++) {
            struct tcp_info ti;
            socklen_t tl = sizeof ti;
            if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) != 0 || ti.tcpi_unacked == 0) break;
            struct timespec ms = {0, 1000 * 1000};
            nanosleep(&ms, NULL);
        }
        /* at once, even while CivetWeb's poll still holds the socket: SYNs are refused from here on */
        (void)shutdown(fd, SHUT_RDWR);
        int d = httpd_dummy_listener(ss.ss_family);
        if (d < 0) continue; /* CivetWeb then polls a closed socket until the stop: busy, but correct */
        (void)dup2(d, fd);   /* the dummy in its place: CivetWeb's poll sleeps again */
        close(d);
    }
}

int httpd_drain_now(httpd *h, int timeout_s, int (*stop)(void))
{
    if (!h || !h->ctx) return 0;
    int port = httpd_port(h);
    atomic_store(&h->draining, 1);
    if (port > 0) httpd_stop_listening(port);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        connguard_stats g;
        connguard_stats_get(h->guard, &g);
        /* a connection accepted just before is counted once a worker takes it: a short grace first */
        int settled = httpd_seconds_since(&t0) >= HTTPD_DRAIN_GRACE_MS / 1000.0;
        if ((settled && g.open == 0 && atomic_load(&h->in_flight) == 0) || (stop && stop()) ||
            httpd_seconds_since(&t0) >= timeout_s)
            break;
        struct timespec nap = {0, 20 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    return atomic_load(&h->in_flight);
}

/* ---- the run loop ---- */

static volatile sig_atomic_t httpd_stop_flag;
static volatile sig_atomic_t httpd_reopen_flag;

static void httpd_on_signal(int sig)
{
    if (sig == SIGHUP)
        httpd_reopen_flag = 1;
    else if (httpd_stop_flag < 2)
        httpd_stop_flag++;
}

/* A second SIGINT or SIGTERM during the drain: stop at once. */
static int httpd_stop_again(void)
{
    return httpd_stop_flag >= 2;
}

int httpd_run(httpd *h, void (*tick)(void *arg, int reopen), void *arg, int tick_ms)
{
    if (tick_ms <= 0) tick_ms = 200;
    httpd_stop_flag = 0;
    httpd_reopen_flag = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = httpd_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    while (!httpd_stop_flag) {
        struct timespec nap = {tick_ms / 1000, (long)(tick_ms % 1000) * 1000000L};
        nanosleep(&nap, NULL);
        int reopen = httpd_reopen_flag;
        httpd_reopen_flag = 0;
        if (tick) tick(arg, reopen);
    }
    httpd_drain_now(h, HTTPD_DRAIN_TIMEOUT_S, httpd_stop_again);
    return 0;
}

void httpd_stats_get(httpd *h, httpd_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!h) return;
    connguard_stats g;
    connguard_stats_get(h->guard, &g);
    out->refused_per_address = g.refused_per_address;
    out->refused_full = g.refused_full;
    out->head_timeouts = g.cut[CONNGUARD_CUT_HEAD];
    out->body_timeouts = g.cut[CONNGUARD_CUT_BODY];
    out->answer_timeouts = g.cut[CONNGUARD_CUT_ANSWER];
    out->evicted = g.cut[CONNGUARD_CUT_EVICTED];
    out->shed = g.cut[CONNGUARD_CUT_SHED];
    out->untracked = g.untracked;
    out->open = g.open;
    out->too_many_headers = atomic_load(&h->too_many_headers);
    out->bad_framing = atomic_load(&h->bad_framing);
    out->bad_target = atomic_load(&h->bad_target);
    out->misdirected = atomic_load(&h->misdirected);
}

/* ---- the request, for routes ---- */

const char *httpd_method(const httpd_req *r)
{
    return r->method;
}

const char *httpd_path(const httpd_req *r)
{
    return r->path;
}

const char *httpd_header_get(const httpd_req *r, const char *name)
{
    return r->conn ? mg_get_header(r->conn, name) : NULL;
}

int httpd_query_get(const httpd_req *r, const char *name, char *out, size_t cap)
{
    if (!cap) return -1;
    out[0] = '\0';
    const char *q = r->ri ? r->ri->query_string : NULL;
    size_t nlen = strlen(name);
    while (q && *q) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len >= nlen && memcmp(q, name, nlen) == 0 && (len == nlen || q[nlen] == '=')) {
            const char *v = len == nlen ? q + len : q + nlen + 1;
            size_t vlen = (size_t)(q + len - v), o = 0;
            for (size_t i = 0; i < vlen; i++) {
                int c = (unsigned char)v[i];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    int hi, lo;
                    if (i + 2 >= vlen || (hi = bytes_hex_digit((unsigned char)v[i + 1])) < 0 ||
                        (lo = bytes_hex_digit((unsigned char)v[i + 2])) < 0)
                        return -1;
                    c = hi << 4 | lo;
                    i += 2;
                }
                if (c < 0x20 || c == 0x7f || o + 1 >= cap) return -1;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return 1;
        }
        q = end ? end + 1 : NULL;
    }
    return 0;
}

const uint8_t *httpd_client(const httpd_req *r)
{
    return r->client;
}
