/*
 * test_httpd.c: the server layer (http/httpd.h) and its connection watcher
 * (http/connguard.h): the pure parts of the gate (path decoding, lengths,
 * tokens, entity tags, ranges, gzip), then a real server on 127.0.0.1
 * driven with raw sockets: routes, methods, problems, the security
 * headers, bodies and their deadline, the per-address limit, finding a
 * connection's socket from its two ends, and the drain before a stop (a
 * request in progress answered, a kept-alive connection's next request
 * answered and closed, a new connection refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/connguard.h"
#include "http/httpd.h"
#include "http/httpd_int.h"
#include "tests/unit/testkit.h"

/* ---- the pure parts ---- */

/* httpd_query_get over a request that holds only a query string. */
static int query(const char *qs, const char *name, char *out, size_t cap)
{
    struct mg_request_info ri;
    memset(&ri, 0, sizeof ri);
    ri.query_string = qs;
    httpd_req r;
    memset(&r, 0, sizeof r);
    r.ri = &ri;
    return httpd_query_get(&r, name, out, cap);
}

static void test_query(void **state)
{
    (void)state;
    char v[16];
    assert_int_equal(query(NULL, "lang", v, sizeof v), 0);
    assert_int_equal(query("", "lang", v, sizeof v), 0);
    assert_int_equal(query("lang=fr", "lang", v, sizeof v), 1);
    assert_string_equal(v, "fr");
    assert_int_equal(query("explain=false&lang=en&lang=fr", "lang", v, sizeof v), 1);
    assert_string_equal(v, "en"); /* the first of that name */
    assert_int_equal(query("language=fr", "lang", v, sizeof v), 0);
    assert_int_equal(query("xlang=fr", "lang", v, sizeof v), 0);
    assert_int_equal(query("receipt", "receipt", v, sizeof v), 1);
    assert_string_equal(v, "");
    assert_int_equal(query("a=1&receipt=&b=2", "receipt", v, sizeof v), 1);
    assert_string_equal(v, "");
    assert_int_equal(query("since=%41B%2bc+d", "since", v, sizeof v), 1);
    assert_string_equal(v, "AB+c d");
    assert_int_equal(query("since=%4", "since", v, sizeof v), -1);               /* cut escape */
    assert_int_equal(query("since=%zz", "since", v, sizeof v), -1);              /* not hex */
    assert_int_equal(query("since=%00", "since", v, sizeof v), -1);              /* NUL */
    assert_int_equal(query("since=%0a", "since", v, sizeof v), -1);              /* control */
    assert_int_equal(query("since=%7F", "since", v, sizeof v), -1);              /* DEL */
    assert_int_equal(query("since=0123456789abcdef", "since", v, sizeof v), -1); /* does not fit */
    assert_int_equal(query("since=0123456789abcde", "since", v, sizeof v), 1);   /* fits exactly */
    assert_int_equal(query("since=1", "since", v, 0), -1);
}

static void test_decode_path(void **state)
{
    (void)state;
    char out[HTTPD_PATH_MAX + 1];
    assert_int_equal(httpd_decode_path(out, "/feed/v1/%46R-75/checkpoint"), 0);
    assert_string_equal(out, "/feed/v1/FR-75/checkpoint");
    assert_int_equal(httpd_decode_path(out, "/"), 0);
    assert_string_equal(out, "/");
    assert_int_equal(httpd_decode_path(out, "/check/"), 0);
    static const struct {
        const char *raw;
        int status;
    } cases[] = {
        {"/metrics%00", 400}, /* a NUL cuts nothing: refused */
        {"/check/index.html%00.png", 400},
        {"/%0d%0aSet-Cookie:%20x=1", 400},    /* a header through a redirect */
        {"/%2fevil.example/..%2fcheck", 404}, /* "//" once decoded: no such resource */
        {"//evil.example", 404},
        {"/a%5cb", 400}, /* a backslash */
        {"/a\\b", 400},
        {"/a%zz", 400}, /* a bad escape */
        {"/a%4", 400},
        {"/a%", 400},
        {"/a b", 400}, /* raw bytes: printable ASCII only */
        {"/a\x7f", 400},
        {"/\xc3\xa9", 400},
        {"relative", 400},
        {"", 400},
        {"/./check", 404}, /* dot segments are not aliases */
        {"/check/..", 404},
        {"/check/%2e%2e/holder/", 404},
        {"/%2E/x", 404},
        {"/%c3%a9", 404},      /* no route is named outside ASCII */
        {"/.well-known/x", 0}, /* a segment may start with a dot */
        {"/a..b", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (httpd_decode_path(out, cases[i].raw) != cases[i].status)
            fail_msg("'%s': %d, wanted %d", cases[i].raw, httpd_decode_path(out, cases[i].raw),
                     cases[i].status);
    assert_int_equal(httpd_decode_path(out, NULL), 400);
    char *longp = malloc(HTTPD_PATH_MAX + 3);
    assert_non_null(longp);
    memset(longp, 'a', HTTPD_PATH_MAX + 2);
    longp[0] = '/';
    longp[HTTPD_PATH_MAX + 2] = '\0';
    assert_int_equal(httpd_decode_path(out, longp), 414);
    longp[HTTPD_PATH_MAX] = '\0';
    assert_int_equal(httpd_decode_path(out, longp), 0);
    free(longp);
}

static void test_lengths_and_tokens(void **state)
{
    (void)state;
    long long n = -1;
    assert_true(httpd_parse_length("0", &n) && n == 0);
    assert_true(httpd_parse_length("12345", &n) && n == 12345);
    assert_true(httpd_parse_length("5  ", &n) && n == 5);
    static const char *const bad[] = {
        "", "+5", "-5", "0x5", "5abc", "5,5", " 5", "5 6", "1234567890123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (httpd_parse_length(bad[i], &n)) fail_msg("'%s' accepted", bad[i]);
    assert_false(httpd_parse_length(NULL, &n));

    assert_true(httpd_has_token("keep-alive", "keep-alive"));
    assert_true(httpd_has_token("Upgrade, Close", "close"));
    assert_true(httpd_has_token(" x ,\tclose\t", "close"));
    assert_false(httpd_has_token("closed", "close"));
    assert_false(httpd_has_token("", "close"));
    assert_false(httpd_has_token(NULL, "close"));
}

static void test_etags(void **state)
{
    (void)state;
    assert_true(httpd_etag_listed("\"abc\"", "\"abc\""));
    assert_true(httpd_etag_listed("\"x\", \"abc\"", "\"abc\""));
    assert_true(httpd_etag_listed("W/\"abc\"", "\"abc\"")); /* weak comparison for If-None-Match */
    assert_true(httpd_etag_listed("*", "\"abc\""));
    assert_true(httpd_etag_listed(" * ", "\"abc\""));
    assert_false(httpd_etag_listed("\"abcd\"", "\"abc\""));
    assert_false(httpd_etag_listed("\"ab\"", "\"abc\""));
    assert_false(httpd_etag_listed("abc", "\"abc\""));
    assert_false(httpd_etag_listed("\"abc", "\"abc\""));
    assert_false(httpd_etag_listed("*x", "\"abc\""));
    assert_false(httpd_etag_listed("", "\"abc\""));
    assert_false(httpd_etag_listed(NULL, "\"abc\""));
}

static void test_ranges_and_gzip(void **state)
{
    (void)state;
    long long a, b;
    assert_int_equal(httpd_parse_range("bytes=0-9", 100, &a, &b), 1);
    assert_true(a == 0 && b == 9);
    assert_int_equal(httpd_parse_range("bytes=90-", 100, &a, &b), 1);
    assert_true(a == 90 && b == 99);
    assert_int_equal(httpd_parse_range("bytes=-10", 100, &a, &b), 1);
    assert_true(a == 90 && b == 99);
    assert_int_equal(httpd_parse_range("bytes=-1000", 100, &a, &b), 1);
    assert_true(a == 0 && b == 99);
    assert_int_equal(httpd_parse_range("bytes=50-1000", 100, &a, &b), 1);
    assert_true(a == 50 && b == 99);
    assert_int_equal(httpd_parse_range("bytes=100-", 100, &a, &b), -1);
    assert_int_equal(httpd_parse_range("bytes=99999999-", 100, &a, &b), -1);
    assert_int_equal(httpd_parse_range("bytes=-0", 100, &a, &b), -1);
    assert_int_equal(httpd_parse_range("bytes=0-1,5-6", 100, &a, &b), 0); /* several: the whole file */
    assert_int_equal(httpd_parse_range("bytes=5-1", 100, &a, &b), 0);
    assert_int_equal(httpd_parse_range("items=0-1", 100, &a, &b), 0);
    assert_int_equal(httpd_parse_range("bytes=x-1", 100, &a, &b), 0);
    assert_int_equal(httpd_parse_range("bytes=-", 100, &a, &b), 0);
    assert_int_equal(httpd_parse_range("bytes=99999999999999999999-", 100, &a, &b), 0);
    assert_int_equal(httpd_parse_range(NULL, 100, &a, &b), 0);

    assert_true(httpd_accepts_gzip("gzip"));
    assert_true(httpd_accepts_gzip("gzip, deflate, br"));
    assert_true(httpd_accepts_gzip("br;q=1.0, gzip;q=0.8"));
    assert_true(httpd_accepts_gzip("*"));
    assert_false(httpd_accepts_gzip("gzip;q=0"));
    assert_false(httpd_accepts_gzip("gzip;q=0.000, *"));
    assert_false(httpd_accepts_gzip("identity"));
    assert_false(httpd_accepts_gzip("*;q=0"));

    static const char *const langs[] = {"fr", "en"};
    assert_int_equal(httpd_pick_language(NULL, langs, 2), -1);
    assert_int_equal(httpd_pick_language("", langs, 2), -1);
    assert_int_equal(httpd_pick_language("*", langs, 2), -1);
    assert_int_equal(httpd_pick_language("de-DE, de;q=0.9", langs, 2), -1);
    assert_int_equal(httpd_pick_language("fr", langs, 2), 0);
    assert_int_equal(httpd_pick_language("EN-gb", langs, 2), 1);
    assert_int_equal(httpd_pick_language("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", langs, 2), 0);
    assert_int_equal(httpd_pick_language("de, en;q=0.5, fr;q=0.4", langs, 2), 1);
    assert_int_equal(httpd_pick_language("fr;q=0.3, en;q=0.300", langs, 2), 0); /* a tie: the first listed */
    assert_int_equal(httpd_pick_language("fr;q=0, en;q=0.001", langs, 2), 1);
    assert_int_equal(httpd_pick_language("fr;q=0", langs, 2), -1);
    assert_int_equal(httpd_pick_language("french, eng", langs, 2), -1); /* a prefix is not a language */
    assert_int_equal(httpd_pick_language("en;q=1.0, fr;q=0.99", langs, 2), 1);
    assert_false(httpd_accepts_gzip("gzipx"));
    assert_false(httpd_accepts_gzip(""));
    assert_false(httpd_accepts_gzip(NULL));
}

/* ---- a server ---- */

static int echo_handler(httpd_req *r, void *arg)
{
    (void)arg;
    uint8_t *body;
    size_t len;
    httpd_body b = httpd_read_body(r, 1024, NULL, &body, &len);
    if (b == HTTPD_BODY_TOO_LARGE)
        return httpd_problem(r, 413, "body-too-large", "Content Too Large", "over 1024 bytes", NULL, NULL);
    if (b != HTTPD_BODY_OK)
        return httpd_problem(r, 400, "incomplete-body", "Bad Request", "incomplete", NULL, NULL);
    int status = httpd_send(r, 200, "application/octet-stream", NULL, body, len);
    free(body);
    return status;
}

static int hello_handler(httpd_req *r, void *arg)
{
    (void)arg;
    httpd_header h[] = {{"ETag", "\"v1\""}, {"X-Bad", "a\r\nSet-Cookie: x=1"}, {NULL, NULL}};
    if (httpd_not_modified(r, "\"v1\"")) return httpd_send(r, 304, NULL, h, NULL, 0);
    return httpd_send(r, 200, "text/plain", h, "hello", 5);
}

typedef struct {
    httpd *h;
    int port;
} server;

static void server_start(server *s, int max_per_address)
{
    httpd_config cfg = {
        .listen = "127.0.0.1:0",
        .threads = 16,
        .request_timeout = 1,
        .max_per_address = max_per_address,
    };
    char err[256];
    assert_int_equal(httpd_new(&s->h, &cfg, err, sizeof err), API_OK);
    assert_int_equal(httpd_route(s->h, "/echo", HTTPD_BODY, "POST", echo_handler, NULL), API_OK);
    assert_int_equal(httpd_route(s->h, "/hello", 0, "GET", hello_handler, NULL), API_OK);
    assert_int_equal(httpd_start(s->h, err, sizeof err), API_OK);
    s->port = httpd_port(s->h);
    assert_true(s->port > 0);
}

static int connect_from(int port, const char *source)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (source) {
        inet_pton(AF_INET, source, &a.sin_addr);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    }
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads until the server closes or 10 s pass; the bytes, NUL-terminated (malloc'd). */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    double until = now_s() + 10;
    while (n < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)((until - now_s()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0) break;
        ssize_t got = recv(fd, buf + n, cap - n, 0);
        if (got <= 0) break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

/* Sends a request on a new connection and reads the answer until the server closes. */
static char *exchange(int port, const char *req)
{
    int fd = connect_from(port, NULL);
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    char *out = read_all(fd, NULL);
    close(fd);
    return out;
}

static void expect_status(const char *answer, const char *status_line)
{
    if (strncmp(answer, status_line, strlen(status_line)) != 0)
        fail_msg("wanted '%s', got '%.80s'", status_line, answer);
}

static void test_routes_methods_headers(void **state)
{
    (void)state;
    server s;
    server_start(&s, 0);
    char *a = exchange(s.port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 200 ");
    assert_non_null(strstr(a, "\r\nX-Content-Type-Options: nosniff\r\n"));
    assert_non_null(strstr(a, "\r\nX-Frame-Options: DENY\r\n"));
    assert_non_null(strstr(a, "\r\nReferrer-Policy: no-referrer\r\n"));
    assert_non_null(strstr(a, "frame-ancestors 'none'"));
    assert_non_null(strstr(a, "\r\nConnection: close\r\n"));
    assert_null(strstr(a, "Set-Cookie")); /* a header value with a line break is never sent */
    assert_non_null(strstr(a, "\r\n\r\nhello"));
    free(a);
    a = exchange(s.port,
                 "GET /hello HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 304 ");
    assert_null(strstr(a, "Content-Length"));
    free(a);
    a = exchange(s.port, "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 200 ");
    assert_non_null(strstr(a, "Content-Length: 5\r\n"));
    assert_null(strstr(a, "hello"));
    free(a);
    a = exchange(s.port, "DELETE /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 405 ");
    assert_non_null(strstr(a, "\r\nAllow: GET, HEAD\r\n"));
    assert_non_null(strstr(a, "/problems/method-not-allowed"));
    free(a);
    a = exchange(s.port, "PROPFIND /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 405 ");
    assert_null(strstr(a, "WWW-Authenticate"));
    free(a);
    a = exchange(s.port, "OPTIONS /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 405 "); /* not a method of this service */
    assert_non_null(strstr(a, "\r\nAllow: GET, HEAD\r\n"));
    assert_null(strstr(a, "DAV"));
    free(a);
    /* a CORS preflight without a configured origin: answered, without any CORS header */
    a = exchange(s.port, "OPTIONS /hello HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\n"
                         "Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 204 ");
    assert_null(strstr(a, "Access-Control-"));
    free(a);
    a = exchange(s.port, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 404 ");
    assert_non_null(strstr(a, "application/problem+json"));
    free(a);
    a = exchange(s.port, "GET /hello%00 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_status(a, "HTTP/1.1 400 ");
    free(a);
    a = exchange(s.port, "GET /hello HTTP/1.1\r\n\r\n");
    expect_status(a, "HTTP/1.1 400 "); /* HTTP/1.1 without Host */
    free(a);
    a = exchange(s.port, "GET /hello HTTP/1.0\r\n\r\n");
    expect_status(a, "HTTP/1.0 200 ");
    free(a);
    a = exchange(s.port, "GET /hello HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n");
    expect_status(a, "HTTP/1.1 417 ");
    free(a);
    httpd_free(s.h);
}

static void test_framing(void **state)
{
    (void)state;
    server s;
    server_start(&s, 0);
    static const char *const refused[] = {
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhelloGET /hello "
        "HTTP/1.1\r\n"
        "Host: x\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
        "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\nContent-Length: 5\r\n\r\nhello",
        "GET /hello HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char *a = exchange(s.port, refused[i]);
        expect_status(a, "HTTP/1.1 400 ");
        /* one answer, and the connection closed: nothing was read as a second request */
        if (strstr(a, "}HTTP/1.")) fail_msg("case %zu: a second answer: %s", i, a);
        free(a);
    }
    /* 64 headers or more: the last ones may have been dropped, so the request is refused */
    char req[8192];
    size_t n = (size_t)snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 70; i++) n += (size_t)snprintf(req + n, sizeof req - n, "X-H%d: %d\r\n", i, i);
    snprintf(req + n, sizeof req - n, "\r\n");
    char *a = exchange(s.port, req);
    expect_status(a, "HTTP/1.1 431 ");
    free(a);
    /* the same request with 60 headers is served */
    n = (size_t)snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (int i = 0; i < 60; i++) n += (size_t)snprintf(req + n, sizeof req - n, "X-H%d: %d\r\n", i, i);
    snprintf(req + n, sizeof req - n, "\r\n");
    a = exchange(s.port, req);
    expect_status(a, "HTTP/1.1 200 ");
    free(a);
    /* a body, kept alive, then a second request on the same connection */
    a = exchange(s.port,
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /hello HTTP/1.1\r\n"
                 "Host: x\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 200 ");
    assert_non_null(strstr(a, "\r\n\r\nhelloHTTP/1.1 200 "));
    free(a);
    /* chunked */
    a = exchange(s.port,
                 "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                 "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n");
    expect_status(a, "HTTP/1.1 200 ");
    assert_non_null(strstr(a, "\r\n\r\nhello"));
    free(a);
    /* over the limit */
    a = exchange(s.port,
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    expect_status(a, "HTTP/1.1 413 ");
    free(a);
    httpd_free(s.h);
}

static void test_expect_continue(void **state)
{
    (void)state;
    server s;
    server_start(&s, 0);
    int fd = connect_from(s.port, NULL);
    const char *head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                       "Connection: close\r\n\r\n";
    assert_int_equal(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
    char buf[256];
    struct pollfd p = {fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 10000), 1);
    ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
    assert_true(got > 0);
    buf[got] = '\0';
    expect_status(buf, "HTTP/1.1 100 Continue\r\n\r\n");
    assert_int_equal(send(fd, "hello", 5, 0), 5);
    char *a = read_all(fd, NULL);
    expect_status(a, "HTTP/1.1 200 ");
    free(a);
    close(fd);
    httpd_free(s.h);
}

static void test_body_deadline(void **state)
{
    (void)state;
    server s;
    server_start(&s, 0); /* request_timeout 1 s */
    int fd = connect_from(s.port, NULL);
    const char *head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nabc";
    assert_int_equal(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
    double t0 = now_s();
    /* a byte every 200 ms would keep a per-read timer alive forever */
    char *a = NULL;
    for (int i = 0; i < 100; i++) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) > 0) {
            a = read_all(fd, NULL);
            break;
        }
        if (send(fd, "x", 1, MSG_NOSIGNAL) != 1) break;
    }
    double took = now_s() - t0;
    assert_non_null(a);
    expect_status(a, "HTTP/1.1 400 ");
    assert_non_null(strstr(a, "incomplete-body"));
    assert_true(took < 10.0); /* a bound, not a timing: the body is cut near 1 s */
    free(a);
    close(fd);
    httpd_stats st;
    httpd_stats_get(s.h, &st);
    assert_true(st.body_timeouts >= 1);
    httpd_free(s.h);
}

static void test_head_deadline_and_limit(void **state)
{
    (void)state;
    server s;
    server_start(&s, 3);
    /* five connections from 127.0.0.2 saying half a head: at most 3 stay */
    int fds[5];
    for (int i = 0; i < 5; i++) {
        fds[i] = connect_from(s.port, "127.0.0.2");
        assert_int_equal(send(fds[i], "GET /hel", 8, 0), 8);
    }
    /* another address is served meanwhile */
    char *a = exchange(s.port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 200 ");
    free(a);
    /* every one of them ends, refused, evicted or cut at the head deadline (1 s) */
    int refused = 0;
    for (int i = 0; i < 5; i++) {
        char *b = read_all(fds[i], NULL);
        if (strstr(b, "too-many-connections")) refused++;
        free(b);
        close(fds[i]);
    }
    httpd_stats st;
    httpd_stats_get(s.h, &st);
    assert_true(st.refused_per_address + st.evicted >= 2);
    assert_true(st.head_timeouts >= 1);
    assert_int_equal((int)st.refused_per_address, refused);
    httpd_free(s.h);
}

static void test_cors(void **state)
{
    (void)state;
    static const char *const origins[] = {"https://caf.example", NULL};
    httpd_config cfg = {.listen = "127.0.0.1:0", .threads = 8, .request_timeout = 5, .cors_origins = origins};
    httpd *h;
    char err[256];
    assert_int_equal(httpd_new(&h, &cfg, err, sizeof err), API_OK);
    assert_int_equal(httpd_route(h, "/echo", HTTPD_BODY, "POST", echo_handler, NULL), API_OK);
    assert_int_equal(httpd_start(h, err, sizeof err), API_OK);
    int port = httpd_port(h);
    char *a =
        exchange(port, "OPTIONS /echo HTTP/1.1\r\nHost: x\r\nOrigin: https://caf.example\r\n"
                       "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-api-key\r\n"
                       "Connection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 204 ");
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Origin: https://caf.example\r\n"));
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Headers: Content-Type, X-API-Key\r\n"));
    assert_non_null(strstr(a, "\r\nVary: Origin\r\n"));
    free(a);
    /* a method the route does not take, another origin: no CORS header */
    a = exchange(port, "OPTIONS /echo HTTP/1.1\r\nHost: x\r\nOrigin: https://caf.example\r\n"
                       "Access-Control-Request-Method: DELETE\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 204 ");
    assert_null(strstr(a, "Access-Control-Allow-Origin"));
    free(a);
    a = exchange(port, "OPTIONS /echo HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n"
                       "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
    expect_status(a, "HTTP/1.1 204 ");
    assert_null(strstr(a, "Access-Control-Allow-Origin"));
    free(a);
    /* the request itself */
    a = exchange(port,
                 "POST /echo HTTP/1.1\r\nHost: x\r\nOrigin: https://caf.example\r\nContent-Length: 2\r\n"
                 "Connection: close\r\n\r\nhi");
    expect_status(a, "HTTP/1.1 200 ");
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Origin: https://caf.example\r\n"));
    free(a);
    a = exchange(port,
                 "POST /echo HTTP/1.1\r\nHost: x\r\nOrigin: https://caf.example.evil\r\nContent-Length: 2\r\n"
                 "Connection: close\r\n\r\nhi");
    expect_status(a, "HTTP/1.1 200 ");
    assert_null(strstr(a, "Access-Control-Allow-Origin"));
    free(a);
    httpd_free(h);
    /* a bad origin is refused at start */
    static const char *const bad[] = {"https://a.example, https://b.example", NULL};
    cfg.cors_origins = bad;
    assert_int_equal(httpd_new(&h, &cfg, err, sizeof err), API_ERR_ARG);
}

static void test_find_socket(void **state)
{
    (void)state;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    int port = ntohs(a.sin_port);
    int c = connect_from(port, "127.0.0.5");
    struct sockaddr_in peer;
    len = sizeof peer;
    int s = accept(lfd, (struct sockaddr *)&peer, &len);
    assert_true(s >= 0);
    assert_int_equal(connguard_find_socket("127.0.0.5", ntohs(peer.sin_port), port), s);
    assert_int_equal(connguard_find_socket("127.0.0.6", ntohs(peer.sin_port), port), -1);
    assert_int_equal(
        connguard_find_socket("127.0.0.5", ntohs(peer.sin_port), port + 1 > 65535 ? 1 : port + 1), -1);
    assert_int_equal(connguard_find_socket("nonsense", 1, port), -1);
    assert_int_equal(connguard_find_socket(NULL, 1, port), -1);
    close(c);
    close(s);
    close(lfd);
}

typedef struct {
    httpd *h;
    int left; /* requests still in progress when the drain returned */
} drain_arg;

static void *drain_thread(void *arg)
{
    drain_arg *d = arg;
    d->left = httpd_drain_now(d->h, 20, NULL);
    return NULL;
}

static int drain_started(void *arg)
{
    return httpd_draining(arg);
}

static void test_drain(void **state)
{
    (void)state;
    server s;
    server_start(&s, 0);
    /* a kept-alive connection, idle after one answer */
    int idle = connect_from(s.port, NULL);
    const char *get = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(idle, get, strlen(get), 0), (ssize_t)strlen(get));
    char buf[2048];
    struct pollfd p = {idle, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 10000), 1);
    ssize_t got = recv(idle, buf, sizeof buf - 1, 0);
    assert_true(got > 0);
    buf[got] = '\0';
    expect_status(buf, "HTTP/1.1 200 ");
    assert_non_null(strstr(buf, "\r\nConnection: keep-alive\r\n"));
    /* a request in progress: its head and half its body */
    int busy = connect_from(s.port, NULL);
    const char *head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello";
    assert_int_equal(send(busy, head, strlen(head), 0), (ssize_t)strlen(head));
    assert_false(httpd_draining(s.h));

    pthread_t t;
    drain_arg d = {s.h, -1};
    assert_int_equal(pthread_create(&t, NULL, drain_thread, &d), 0);
    assert_int_equal(testkit_wait_until(drain_started, s.h, 10000), 0);
    /* new connections are refused within a moment (CivetWeb first takes what the kernel queued) */
    int refused = 0;
    for (int64_t until = testkit_now_ms() + TESTKIT_BOUND_MS; !refused && testkit_now_ms() < until;) {
        int fresh = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s.port)};
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        refused = connect(fresh, (struct sockaddr *)&a, sizeof a) == -1 && errno == ECONNREFUSED;
        close(fresh);
        if (!refused) usleep(1000);
    }
    assert_true(refused);
    /* the request in progress gets its answer, and its connection closes */
    assert_int_equal(send(busy, "world", 5, 0), 5);
    char *ans = read_all(busy, NULL);
    expect_status(ans, "HTTP/1.1 200 ");
    assert_non_null(strstr(ans, "\r\nConnection: close\r\n"));
    assert_non_null(strstr(ans, "\r\n\r\nhelloworld"));
    free(ans);
    close(busy);
    /* a request on the kept-alive connection is answered too, and that connection closes */
    assert_int_equal(send(idle, get, strlen(get), 0), (ssize_t)strlen(get));
    ans = read_all(idle, NULL);
    expect_status(ans, "HTTP/1.1 200 ");
    assert_non_null(strstr(ans, "\r\nConnection: close\r\n"));
    free(ans);
    close(idle);
    /* the drain returns once no connection is left, nothing in progress */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(d.left, 0);
    httpd_free(s.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_path),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_lengths_and_tokens),
        cmocka_unit_test(test_etags),
        cmocka_unit_test(test_ranges_and_gzip),
        cmocka_unit_test(test_routes_methods_headers),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_body_deadline),
        cmocka_unit_test(test_head_deadline_and_limit),
        cmocka_unit_test(test_cors),
        cmocka_unit_test(test_find_socket),
        cmocka_unit_test(test_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
