/*
 * httpc.c: a bounded HTTP/1.1 GET on plain POSIX sockets (see httpc.h).
 *
 * What it owns. One call = one connection, and one monotonic deadline
 * taken at the start that covers every step that may wait: the name
 * lookup, the connect, sending the request, and every read. Nothing
 * blocks without a bound: the socket is non-blocking, and each wait is a
 * poll() for what is left of the deadline; a server that trickles a byte
 * now and then gets no more time than one that says nothing. The socket is
 * closed on every path; SIGPIPE is never raised (MSG_NOSIGNAL).
 *
 * Name lookup. A dotted IPv4 address needs none. A name goes to glibc's
 * getaddrinfo_a and is waited for with gai_suspend; at the deadline the
 * request is cancelled. A lookup already running cannot be cancelled, and
 * its helper thread will still write into the request block, so that
 * block lives on the heap with two references: this call's and the
 * completion notification's (a SIGEV_THREAD callback). Whoever lets go
 * last frees it. Only when glibc cannot queue the lookup or start its
 * notification (no memory, no thread) is the small block left allocated
 * rather than risk freeing memory a helper may still use.
 *
 * Parsing (the pure steps are in httpc_int.h, for the tests and the fuzz
 * target). The head is read into one buffer of HTTPC_HEAD_MAX bytes and
 * parsed once its blank line is there (or once it cannot be a head: too
 * long, not "HTTP/1."). 1xx interim responses (100 Continue, 103 Early
 * Hints) are skipped, at most HTTPC_INTERIM_MAX; 101 is an error, nothing
 * asked to switch protocols. The body ends where the server says: at
 * Content-Length (fewer bytes before the close is an error), at the last
 * chunk of a chunked body, or at the close when neither was given; 204
 * and 304 have none. It grows in one buffer up to the caller's max.
 *
 * The status reaches the caller once a head was read whole and
 * well-formed, also when its framing headers then turn out unusable; a
 * head that is malformed leaves it at 0.
 *
 * This file must not keep any state between calls (it is called from
 * several threads at once), print anything, or follow redirects: a 3xx is
 * returned to the caller like any other status.
 */
#define _GNU_SOURCE 1 /* getaddrinfo_a, gai_suspend, gai_cancel, memmem */

#include "http/httpc.h"
#include "http/httpc_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"

#define HTTPC_HOST_MAX    253   /* a DNS name */
#define HTTPC_ETAG_MAX    127   /* fits httpc_response.etag */
#define HTTPC_FIRST_ALLOC 65536 /* the body buffer grows from there */
#define HTTPC_ADDRS_MAX   4     /* addresses of a name tried in turn */
#define HTTPC_REQUEST_MAX (HTTPC_URL_MAX + HTTPC_HOST_MAX + HTTPC_ETAG_MAX + 256)

/* ---- the pure steps: the response head ---- */

static int httpc_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static int httpc_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* A tchar of RFC 9110: the bytes of a token (a field name). */
static int httpc_tchar(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || httpc_digit(c)) return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A byte of a field value or reason phrase: HTAB, SP, VCHAR, obs-text; no other control. */
static int httpc_vchar(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int httpc_name_is(const uint8_t *name, size_t len, const char *want)
{
    return len == strlen(want) && strncasecmp((const char *)name, want, len) == 0;
}

/* "HTTP/1.x NNN[ reason]" in p[0..n). 0 or -1. */
static int httpc_status_line(httpc_head *h, const uint8_t *p, size_t n)
{
    if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !httpc_digit(p[7]) || p[8] != ' ') return -1;
    if (!httpc_digit(p[9]) || !httpc_digit(p[10]) || !httpc_digit(p[11])) return -1;
    int status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (status < 100 || status > 599) return -1;
    if (n > 12 && p[12] != ' ') return -1;
    for (size_t i = 13; i < n; i++)
        if (!httpc_vchar(p[i])) return -1;
    h->minor = p[7] - '0';
    h->status = status;
    return 0;
}

/* What the header lines said about framing, while they are read. */
typedef struct {
    int has_length, has_chunked, has_etag, unusable;
    uint64_t length;
} httpc_fields;

/* A Content-Length value v[0..n), blanks trimmed. 0, or -1 when it does not start with a digit. */
static int httpc_field_length(httpc_fields *f, const uint8_t *v, size_t n)
{
    if (n == 0 || !httpc_digit(v[0])) return -1;
    uint64_t x = 0;
    size_t i = 0;
    for (; i < n && httpc_digit(v[i]); i++) {
        unsigned d = (unsigned)(v[i] - '0');
        x = (x > (UINT64_MAX - d) / 10) ? UINT64_MAX : x * 10 + d;
    }
    if (i != n || (f->has_length && f->length != x)) f->unusable = 1; /* "12abc", "5, 5", two lengths */
    f->has_length = 1;
    f->length = x;
    return 0;
}

static void httpc_field_etag(httpc_head *h, httpc_fields *f, const uint8_t *v, size_t n)
{
    if (f->has_etag) return;
    f->has_etag = 1;
    if (n == 0 || n >= sizeof h->etag) return;
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x20 || v[i] >= 0x7f) return; /* only what could be sent back in If-None-Match */
    memcpy(h->etag, v, n);
    h->etag[n] = '\0';
}

/* One header line p[0..n) (no CRLF). 0 or -1 (malformed). */
static int httpc_field(httpc_head *h, httpc_fields *f, const uint8_t *p, size_t n)
{
    size_t name = 0;
    while (name < n && httpc_tchar(p[name])) name++;
    if (name == 0 || name == n || p[name] != ':') return -1; /* also a blank before the colon, obs-fold */
    const uint8_t *v = p + name + 1;
    size_t vlen = n - name - 1;
    for (size_t i = 0; i < vlen; i++)
        if (!httpc_vchar(v[i])) return -1;
    while (vlen > 0 && httpc_blank(v[0])) v++, vlen--;
    while (vlen > 0 && httpc_blank(v[vlen - 1])) vlen--;

    if (httpc_name_is(p, name, "Content-Length")) return httpc_field_length(f, v, vlen);
    if (httpc_name_is(p, name, "Transfer-Encoding")) {
        if (f->has_chunked || vlen != 7 || strncasecmp((const char *)v, "chunked", 7) != 0) f->unusable = 1;
        f->has_chunked = 1;
    } else if (httpc_name_is(p, name, "ETag")) {
        httpc_field_etag(h, f, v, vlen);
    }
    return 0;
}

httpc_head_result httpc_head_parse(httpc_head *h, const uint8_t *buf, size_t len)
{
    memset(h, 0, sizeof *h);
    if (!buf) return HTTPC_HEAD_BAD;
    if (memcmp(buf, "HTTP/1.", len < 7 ? len : 7) != 0) return HTTPC_HEAD_BAD;
    size_t scan = len < HTTPC_HEAD_MAX ? len : HTTPC_HEAD_MAX;
    const uint8_t *end = memmem(buf, scan, "\r\n\r\n", 4);
    if (!end) return len >= HTTPC_HEAD_MAX ? HTTPC_HEAD_BAD : HTTPC_HEAD_MORE;
    size_t head_len = (size_t)(end - buf) + 4;

    /* every line up to the blank one ends with the first CRLF after it: the head holds one at its end */
    const uint8_t *p = buf, *stop = buf + head_len - 2;
    const uint8_t *eol = memmem(p, head_len, "\r\n", 2);
    if (httpc_status_line(h, p, (size_t)(eol - p)) != 0) goto bad;
    httpc_fields f;
    memset(&f, 0, sizeof f);
    unsigned lines = 0;
    for (p = eol + 2; p < stop; p = eol + 2) {
        eol = memmem(p, (size_t)(buf + head_len - p), "\r\n", 2);
        if (++lines > HTTPC_HEADERS_MAX || httpc_field(h, &f, p, (size_t)(eol - p)) != 0) goto bad;
    }
    if (f.has_chunked && (f.has_length || h->minor == 0)) f.unusable = 1;
    h->head_len = head_len;
    h->framing = f.has_chunked  ? HTTPC_FRAMING_CHUNKED
                 : f.has_length ? HTTPC_FRAMING_LENGTH
                                : HTTPC_FRAMING_CLOSE;
    h->length = f.has_length ? f.length : 0;
    return f.unusable ? HTTPC_HEAD_FRAMING : HTTPC_HEAD_OK;
bad:
    memset(h, 0, sizeof *h);
    return HTTPC_HEAD_BAD;
}

/* ---- the pure steps: the chunked body ---- */

enum {
    CH_SIZE = 0, /* hex digits of a chunk size */
    CH_BWS,      /* blanks after the size, before ';' */
    CH_EXT,      /* chunk extensions, up to CR */
    CH_SIZE_LF,  /* the LF of the size line */
    CH_DATA,     /* the chunk's data */
    CH_DATA_CR,  /* the CRLF after the data */
    CH_DATA_LF,
    CH_TRAILER, /* the start of a trailer line, or of the final CRLF */
    CH_TRAILER_NAME,
    CH_TRAILER_VALUE,
    CH_TRAILER_LF,
    CH_END_LF, /* the LF of the final CRLF */
    CH_DONE,
    CH_BAD,
};

void httpc_chunked_init(httpc_chunked *c)
{
    memset(c, 0, sizeof *c);
    c->state = CH_SIZE;
}

/* One byte outside the data: the next state, or CH_BAD. */
static int httpc_chunked_byte(httpc_chunked *c, uint8_t b)
{
    if (c->state <= CH_EXT && ++c->line > HTTPC_CHUNK_LINE_MAX) return CH_BAD;
    if (c->state >= CH_TRAILER && c->state <= CH_END_LF && ++c->trailer > HTTPC_TRAILER_MAX) return CH_BAD;
    switch (c->state) {
    case CH_SIZE: {
        int v = bytes_hex_digit(b);
        if (v >= 0) {
            if (++c->digits > HTTPC_CHUNK_DIGITS_MAX) return CH_BAD;
            c->left = c->left * 16 + (uint64_t)v; /* 16 digits at most: no overflow */
            return CH_SIZE;
        }
        if (c->digits == 0) return CH_BAD; /* no size, a sign, a blank first */
        return b == '\r' ? CH_SIZE_LF : b == ';' ? CH_EXT : httpc_blank(b) ? CH_BWS : CH_BAD;
    }
    case CH_BWS:
        return httpc_blank(b) ? CH_BWS : b == ';' ? CH_EXT : CH_BAD;
    case CH_EXT:
        return b == '\r' ? CH_SIZE_LF : httpc_vchar(b) ? CH_EXT : CH_BAD;
    case CH_SIZE_LF:
        if (b != '\n') return CH_BAD;
        c->line = 0;
        c->digits = 0;
        return c->left == 0 ? CH_TRAILER : CH_DATA;
    case CH_DATA_CR:
        return b == '\r' ? CH_DATA_LF : CH_BAD;
    case CH_DATA_LF:
        return b == '\n' ? CH_SIZE : CH_BAD;
    case CH_TRAILER:
        if (b == '\r') return CH_END_LF;
        if (++c->trailer_lines > HTTPC_HEADERS_MAX || !httpc_tchar(b)) return CH_BAD;
        return CH_TRAILER_NAME;
    case CH_TRAILER_NAME:
        return httpc_tchar(b) ? CH_TRAILER_NAME : b == ':' ? CH_TRAILER_VALUE : CH_BAD;
    case CH_TRAILER_VALUE:
        return b == '\r' ? CH_TRAILER_LF : httpc_vchar(b) ? CH_TRAILER_VALUE : CH_BAD;
    case CH_TRAILER_LF:
        return b == '\n' ? CH_TRAILER : CH_BAD;
    case CH_END_LF:
        return b == '\n' ? CH_DONE : CH_BAD;
    default:
        return CH_BAD;
    }
}

httpc_chunked_result httpc_chunked_feed(httpc_chunked *c, const uint8_t *in, size_t len, size_t *used,
                                        const uint8_t **data, size_t *data_len)
{
    size_t i = 0;
    *data = NULL;
    *data_len = 0;
    while (i < len && c->state != CH_DONE && c->state != CH_BAD) {
        if (c->state == CH_DATA) {
            size_t n = len - i;
            if (n > c->left) n = (size_t)c->left;
            *data = in + i;
            *data_len = n;
            i += n;
            c->left -= n;
            if (c->left == 0) c->state = CH_DATA_CR;
            break; /* hand this run over before going on */
        }
        c->state = httpc_chunked_byte(c, in[i]);
        i++;
    }
    *used = i;
    return c->state == CH_DONE  ? HTTPC_CHUNKED_DONE
           : c->state == CH_BAD ? HTTPC_CHUNKED_BAD
                                : HTTPC_CHUNKED_MORE;
}

/* ---- the URL ---- */

typedef struct {
    char host[HTTPC_HOST_MAX + 1];
    char host_header[HTTPC_HOST_MAX + 16]; /* host, or host:port */
    int port;
    char target[HTTPC_URL_MAX + 2]; /* path and query, from "/" */
} httpc_url;

static int httpc_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Splits an http URL into host, port and request target; API_ERR_ARG for anything else. */
static api_err httpc_parse_url(httpc_url *u, const char *url)
{
    size_t n = strnlen(url, HTTPC_URL_MAX + 1);
    if (n == 0 || n > HTTPC_URL_MAX) return API_ERR_ARG;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f) return API_ERR_ARG; /* space, control, non-ASCII */
    }
    if (strncasecmp(url, "https://", 8) == 0) return API_ERR_ARG; /* not supported here: TLS is a proxy's */
    if (strncasecmp(url, "http://", 7) != 0) return API_ERR_ARG;

    const char *auth = url + 7;
    size_t auth_len = strcspn(auth, "/?#");
    if (memchr(auth, '@', auth_len)) return API_ERR_ARG; /* userinfo */
    const char *colon = memchr(auth, ':', auth_len);
    size_t host_len = colon ? (size_t)(colon - auth) : auth_len;
    if (host_len == 0 || host_len > HTTPC_HOST_MAX) return API_ERR_ARG;
    for (size_t i = 0; i < host_len; i++)
        if (!httpc_host_char(auth[i])) return API_ERR_ARG; /* also refuses "[::1]" */
    memcpy(u->host, auth, host_len);
    u->host[host_len] = '\0';

    u->port = 80;
    if (colon) {
        const char *p = colon + 1;
        size_t digits = auth_len - host_len - 1;
        if (digits == 0 || digits > 5) return API_ERR_ARG;
        long port = 0;
        for (size_t i = 0; i < digits; i++) {
            if (p[i] < '0' || p[i] > '9') return API_ERR_ARG;
            port = port * 10 + (p[i] - '0');
        }
        if (port < 1 || port > 65535) return API_ERR_ARG;
        u->port = (int)port;
    }
    if (u->port == 80)
        snprintf(u->host_header, sizeof u->host_header, "%s", u->host);
    else
        snprintf(u->host_header, sizeof u->host_header, "%s:%d", u->host, u->port);

    const char *rest = auth + auth_len;
    size_t rest_len = strcspn(rest, "#"); /* the fragment stays here */
    size_t off = 0;
    if (rest[0] != '/') u->target[off++] = '/';
    memcpy(u->target + off, rest, rest_len);
    u->target[off + rest_len] = '\0';
    return API_OK;
}

static int httpc_etag_ok(const char *etag)
{
    size_t n = strnlen(etag, HTTPC_ETAG_MAX + 1);
    if (n == 0 || n > HTTPC_ETAG_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)etag[i] < 0x20 || (unsigned char)etag[i] >= 0x7f) return 0;
    return 1;
}

/* ---- time ---- */

static int64_t httpc_now_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail: a valid clock and address */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes. 0 (ready, or in error: the next call says) or
 * -1. */
static int httpc_wait(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - httpc_now_ms();
        if (left <= 0) return -1;
        struct pollfd pf = {fd, events, 0};
        int r = poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return -1;
    }
}

/* ---- name lookup ---- */

typedef struct {
    struct sockaddr_storage sa[HTTPC_ADDRS_MAX];
    socklen_t sa_len[HTTPC_ADDRS_MAX];
    size_t n;
} httpc_addrs;

/* One asynchronous lookup, shared with glibc's notification thread (see the file comment). */
typedef struct {
    struct gaicb cb;
    struct addrinfo hints;
    char name[HTTPC_HOST_MAX + 1];
    char service[8];
    atomic_int refs;
} httpc_lookup;

static void httpc_lookup_release(httpc_lookup *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1) return;
    if (l->cb.ar_result) freeaddrinfo(l->cb.ar_result);
    free(l);
}

static void httpc_lookup_done(union sigval sv)
{
    httpc_lookup_release(sv.sival_ptr);
}

static void httpc_addrs_take(httpc_addrs *a, const struct addrinfo *ai)
{
    for (; ai && a->n < HTTPC_ADDRS_MAX; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) || !ai->ai_addr ||
            ai->ai_addrlen > sizeof a->sa[0])
            continue;
        memcpy(&a->sa[a->n], ai->ai_addr, ai->ai_addrlen);
        a->sa_len[a->n++] = ai->ai_addrlen;
    }
}

/* Resolves a name with getaddrinfo_a, waiting at most until the deadline. */
static api_err httpc_lookup_name(httpc_addrs *a, const httpc_url *u, int64_t deadline)
{
    httpc_lookup *l = calloc(1, sizeof *l);
    if (!l) return API_ERR_NOMEM;
    snprintf(l->name, sizeof l->name, "%s", u->host);
    snprintf(l->service, sizeof l->service, "%d", u->port);
    l->hints.ai_family = AF_UNSPEC;
    l->hints.ai_socktype = SOCK_STREAM;
    l->hints.ai_flags = AI_NUMERICSERV;
    l->cb.ar_name = l->name;
    l->cb.ar_service = l->service;
    l->cb.ar_request = &l->hints;
    atomic_init(&l->refs, 2); /* this call, the notification */
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = httpc_lookup_done;
    sev.sigev_value.sival_ptr = l;
    struct gaicb *list[1] = {&l->cb};
    if (getaddrinfo_a(GAI_NOWAIT, list, 1, &sev) != 0) return API_ERR_IO; /* l left allocated: see above */

    for (;;) {
        int64_t left = deadline - httpc_now_ms();
        if (left <= 0) break;
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
        int st = gai_suspend((const struct gaicb *const *)list, 1, &ts);
        if (st == 0 || st == EAI_ALLDONE) break;
        /* EAI_AGAIN (its time ran out), EAI_INTR, EAI_SYSTEM: the deadline decides */
    }
    int rc = gai_error(&l->cb);
    if (rc == EAI_INPROGRESS) {
        if (gai_cancel(&l->cb) == EAI_CANCELED) {
            free(l); /* dequeued before it ran: no notification will come */
            return API_ERR_IO;
        }
        httpc_lookup_release(l); /* running or just done: the notification frees it */
        return API_ERR_IO;
    }
    if (rc == 0) httpc_addrs_take(a, l->cb.ar_result);
    httpc_lookup_release(l);
    return a->n > 0 ? API_OK : API_ERR_IO;
}

static api_err httpc_resolve(httpc_addrs *a, const httpc_url *u, int64_t deadline)
{
    memset(a, 0, sizeof *a);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    if (inet_pton(AF_INET, u->host, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)u->port);
        memcpy(&a->sa[0], &sin, sizeof sin);
        a->sa_len[0] = sizeof sin;
        a->n = 1;
        return API_OK;
    }
    return httpc_lookup_name(a, u, deadline);
}

/* ---- the connection ---- */

typedef struct {
    int fd;
    int64_t deadline;
    size_t off, len; /* unread bytes are buf[off..len) */
    uint8_t buf[HTTPC_HEAD_MAX];
} httpc_conn;

/* Connects to one address before the deadline: the socket, or -1. */
static int httpc_connect_one(const struct sockaddr *sa, socklen_t sl, int64_t deadline)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, sa, sl) == 0) return fd;
    if (errno != EINPROGRESS && errno != EINTR) goto fail;
    if (httpc_wait(fd, POLLOUT, deadline) != 0) goto fail;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

/* Tries each address in turn until one connects; the time left decides. */
static int httpc_connect(const httpc_addrs *a, int64_t deadline)
{
    for (size_t i = 0; i < a->n && httpc_now_ms() < deadline; i++) {
        int fd = httpc_connect_one((const struct sockaddr *)&a->sa[i], a->sa_len[i], deadline);
        if (fd >= 0) return fd;
    }
    return -1;
}

static api_err httpc_send_all(const httpc_conn *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            httpc_wait(c->fd, POLLOUT, c->deadline) == 0)
            continue;
        return API_ERR_IO;
    }
    return API_OK;
}

/*
 * Reads what has come into buf after len (moving the unread bytes to the
 * front when the end is reached). 1: bytes read; 0: the server closed;
 * -1: an error, the deadline, or no room (an unread head fills buf).
 */
static int httpc_fill(httpc_conn *c)
{
    if (httpc_now_ms() >= c->deadline) return -1; /* also when bytes keep coming */
    if (c->off == c->len) {
        c->off = c->len = 0;
    } else if (c->len == sizeof c->buf && c->off > 0) {
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    if (c->len == sizeof c->buf) return -1;
    for (;;) {
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r > 0) {
            c->len += (size_t)r;
            return 1;
        }
        if (r == 0) return 0;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (httpc_wait(c->fd, POLLIN, c->deadline) != 0) return -1;
    }
}

/*
 * Whether the unread bytes p[0..n) are worth a parse: short enough to be
 * judged by their start, not starting like a head, as long as a head may
 * be, or holding a blank line that was not there at the last look
 * (*scanned: how many bytes that look saw).
 */
static int httpc_head_ready(const uint8_t *p, size_t n, size_t *scanned)
{
    size_t from = *scanned > 3 ? *scanned - 3 : 0;
    *scanned = n;
    if (n < 8 || n >= HTTPC_HEAD_MAX || memcmp(p, "HTTP/1.", 7) != 0) return 1;
    return from < n && memmem(p + from, n - from, "\r\n\r\n", 4) != NULL;
}

static void httpc_report_head(httpc_response *resp, const httpc_head *h)
{
    if (h->status < 200) return;
    resp->status = h->status;
    memcpy(resp->etag, h->etag, sizeof resp->etag);
}

/* Reads heads until the final one (1xx skipped); its bytes are consumed, the body's are next. */
static api_err httpc_read_head(httpc_conn *c, httpc_head *h, httpc_response *resp)
{
    unsigned interim = 0;
    size_t scanned = 0;
    for (;;) {
        const uint8_t *p = c->buf + c->off;
        size_t n = c->len - c->off;
        httpc_head_result r = HTTPC_HEAD_MORE;
        if (n > 0 && httpc_head_ready(p, n, &scanned)) r = httpc_head_parse(h, p, n);
        if (r == HTTPC_HEAD_BAD) return API_ERR_IO;
        if (r == HTTPC_HEAD_FRAMING) {
            httpc_report_head(resp, h);
            return API_ERR_IO;
        }
        if (r == HTTPC_HEAD_OK) {
            c->off += h->head_len;
            scanned = 0;
            if (h->status >= 200) {
                httpc_report_head(resp, h);
                return API_OK;
            }
            if (h->status == 101 || ++interim > HTTPC_INTERIM_MAX) return API_ERR_IO;
            continue; /* the next head may be there already */
        }
        if (httpc_fill(c) <= 0) return API_ERR_IO;
    }
}

/* ---- the body ---- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
    size_t limit; /* no more than this */
} httpc_body;

static api_err httpc_body_append(httpc_body *b, const uint8_t *d, size_t n)
{
    if (n > b->limit - b->len) return API_ERR_TOO_LARGE;
    size_t need = b->len + n;
    if (need > b->cap) {
        size_t ncap = b->cap ? b->cap : (b->limit < HTTPC_FIRST_ALLOC ? b->limit : HTTPC_FIRST_ALLOC);
        while (ncap < need) ncap = (ncap > b->limit / 2) ? b->limit : ncap * 2;
        uint8_t *np = realloc(b->p, ncap + 1); /* + 1: the NUL; limit <= SIZE_MAX - 2 */
        if (!np) return API_ERR_NOMEM;
        b->p = np;
        b->cap = ncap;
    }
    if (n) memcpy(b->p + b->len, d, n);
    b->len = need;
    return API_OK;
}

/* Exactly limit bytes: a close before them is a short body. */
static api_err httpc_read_length(httpc_conn *c, httpc_body *b)
{
    for (;;) {
        size_t take = c->len - c->off;
        if (take > b->limit - b->len) take = b->limit - b->len; /* what follows the body is dropped */
        api_err e = httpc_body_append(b, c->buf + c->off, take);
        if (e != API_OK) return e;
        c->off += take;
        if (b->len == b->limit) return API_OK;
        if (httpc_fill(c) <= 0) return API_ERR_IO;
    }
}

/* Everything until the server closes, at most limit bytes. */
static api_err httpc_read_to_close(httpc_conn *c, httpc_body *b)
{
    for (;;) {
        api_err e = httpc_body_append(b, c->buf + c->off, c->len - c->off);
        if (e != API_OK) return e;
        c->off = c->len;
        int got = httpc_fill(c);
        if (got < 0) return API_ERR_IO;
        if (got == 0) return API_OK;
    }
}

static api_err httpc_read_chunked(httpc_conn *c, httpc_body *b)
{
    httpc_chunked ch;
    httpc_chunked_init(&ch);
    for (;;) {
        while (c->off < c->len) {
            size_t used, dlen;
            const uint8_t *d;
            httpc_chunked_result r =
                httpc_chunked_feed(&ch, c->buf + c->off, c->len - c->off, &used, &d, &dlen);
            c->off += used; /* d stays valid: nothing moves buf before the next fill */
            if (dlen > 0) {
                api_err e = httpc_body_append(b, d, dlen);
                if (e != API_OK) return e;
            }
            if (r == HTTPC_CHUNKED_DONE) return API_OK;
            if (r == HTTPC_CHUNKED_BAD) return API_ERR_IO;
        }
        if (httpc_fill(c) <= 0) return API_ERR_IO; /* a close before the last chunk is a short body */
    }
}

/* Reads the body of the response whose head is h into resp (see the file comment for where it ends). */
static api_err httpc_read_body(httpc_conn *c, const httpc_head *h, httpc_response *resp, size_t max)
{
    httpc_body b = {NULL, 0, 0, max};
    api_err e = API_OK;
    if (h->status != 204 && h->status != 304) {
        switch (h->framing) {
        case HTTPC_FRAMING_LENGTH:
            if (h->length > max) return API_ERR_TOO_LARGE;
            b.limit = (size_t)h->length;
            e = httpc_read_length(c, &b);
            break;
        case HTTPC_FRAMING_CHUNKED:
            e = httpc_read_chunked(c, &b);
            break;
        case HTTPC_FRAMING_CLOSE:
            e = httpc_read_to_close(c, &b);
            break;
        }
    }
    if (e == API_OK && !b.p && !(b.p = malloc(1))) e = API_ERR_NOMEM;
    if (e != API_OK) {
        free(b.p);
        return e;
    }
    b.p[b.len] = '\0';
    resp->body = b.p;
    resp->len = b.len;
    return API_OK;
}

/* ---- the API ---- */

api_err httpc_get_if_none_match(httpc_response *resp, const char *url, const char *etag, size_t max,
                                int timeout_ms)
{
    if (!resp) return API_ERR_ARG;
    memset(resp, 0, sizeof *resp);
    if (!url || timeout_ms <= 0) return API_ERR_ARG;
    if (etag && !httpc_etag_ok(etag)) return API_ERR_ARG;
    if (max > SIZE_MAX - 2) max = SIZE_MAX - 2;

    httpc_url u;
    api_err err = httpc_parse_url(&u, url);
    if (err != API_OK) return err;
    char req[HTTPC_REQUEST_MAX];
    int rl = snprintf(req, sizeof req,
                      "GET %s HTTP/1.1\r\n"
                      "Host: %s\r\n"
                      "Connection: close\r\n"
                      "Accept: application/cose, application/json\r\n"
                      "%s%s%s"
                      "\r\n",
                      u.target, u.host_header, etag ? "If-None-Match: " : "", etag ? etag : "",
                      etag ? "\r\n" : "");
    if (rl < 0 || (size_t)rl >= sizeof req) return API_ERR_ARG; /* cannot happen with the bounds above */

    httpc_conn *c = malloc(sizeof *c);
    if (!c) return API_ERR_NOMEM;
    c->fd = -1;
    c->off = c->len = 0;
    c->deadline = httpc_now_ms() + timeout_ms;

    httpc_addrs addrs;
    err = httpc_resolve(&addrs, &u, c->deadline);
    if (err == API_OK && (c->fd = httpc_connect(&addrs, c->deadline)) < 0) err = API_ERR_IO;
    if (err == API_OK) err = httpc_send_all(c, req, (size_t)rl);
    httpc_head h;
    if (err == API_OK) err = httpc_read_head(c, &h, resp);
    if (err == API_OK) err = httpc_read_body(c, &h, resp, max);

    if (c->fd >= 0) close(c->fd);
    free(c);
    return err;
}

api_err httpc_get(httpc_response *resp, const char *url, size_t max, int timeout_ms)
{
    return httpc_get_if_none_match(resp, url, NULL, max, timeout_ms);
}

void httpc_response_free(httpc_response *resp)
{
    if (!resp) return;
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

int httpc_join(char *out, size_t cap, const char *base, const char *path)
{
    if (!out || cap == 0) return -1;
    out[0] = '\0';
    if (!base || !path) return -1;

    size_t blen = strlen(base);
    const char *scheme_end = strstr(base, "://");
    size_t keep = scheme_end ? (size_t)(scheme_end - base) + 3 : 0;
    while (blen > keep && base[blen - 1] == '/') blen--;
    while (*path == '/') path++;
    size_t plen = strlen(path);

    if (blen > cap || cap - blen < plen + 2) return -1; /* base "/" path NUL */
    memcpy(out, base, blen);
    out[blen] = '/';
    memcpy(out + blen + 1, path, plen);
    out[blen + 1 + plen] = '\0';
    return 0;
}
