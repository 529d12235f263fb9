/*
 * accesslog.c: the access log's lines and the file they go to (see
 * accesslog.h).
 *
 * It must never write anything a client chose freely: the route is one of
 * the service's fixed names, the method one of the usual ones, the
 * organisation a name the operator gave to `keys add` (checked UTF-8,
 * escaped here anyway), the attestation ids only as keyed hashes made by
 * the caller. No address, no path, no query, no header, no QR text.
 *
 * Lines are JSON objects, so that any log tool reads them:
 *   {"time":"2026-11-22T05:40:00Z","method":"POST","route":"verify","status":200,
 *    "org":"CAF 93","key":"Ab3dEf9x","profile":"social","verdict":"valid",
 *    "att":"9f2c...","ms":0.412}
 * A batch has "verdicts" (counts by verdict) and "att" as an array.
 *
 * The file descriptor sits under a read-write lock: writers share it,
 * accesslog_reopen takes it alone to swap the descriptor.
 */
#include "verifier/service/accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/time.h"

struct accesslog {
    pthread_rwlock_t lock;
    int fd;
    char *path; /* NULL: standard error */
};

static int accesslog_open_fd(const char *path)
{
    int fd;
    do {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

api_err accesslog_open(accesslog **out, const char *path)
{
    *out = NULL;
    accesslog *l = calloc(1, sizeof *l);
    if (!l) return API_ERR_NOMEM;
    if (pthread_rwlock_init(&l->lock, NULL) != 0) {
        free(l);
        return API_ERR_NOMEM;
    }
    l->fd = STDERR_FILENO;
    if (path) {
        l->path = strdup(path);
        l->fd = l->path ? accesslog_open_fd(path) : -1;
        if (l->fd < 0) {
            api_err e = l->path ? API_ERR_IO : API_ERR_NOMEM;
            pthread_rwlock_destroy(&l->lock);
            free(l->path);
            free(l);
            return e;
        }
    }
    *out = l;
    return API_OK;
}

api_err accesslog_reopen(accesslog *l)
{
    if (!l || !l->path) return API_OK;
    int fd = accesslog_open_fd(l->path);
    if (fd < 0) return API_ERR_IO;
    pthread_rwlock_wrlock(&l->lock);
    int old = l->fd;
    l->fd = fd;
    pthread_rwlock_unlock(&l->lock);
    close(old);
    return API_OK;
}

void accesslog_close(accesslog *l)
{
    if (!l) return;
    if (l->path) close(l->fd);
    pthread_rwlock_destroy(&l->lock);
    free(l->path);
    free(l);
}

/* ---- formatting ---- */

typedef struct {
    char *p;
    size_t n, cap;
    int failed;
} accesslog_buf;

static void buf_add(accesslog_buf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (n > b->cap - b->n - 1) {
        size_t cap = b->cap;
        while (n > cap - b->n - 1) {
            if (cap > SIZE_MAX / 2) {
                b->failed = 1;
                return;
            }
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_str(accesslog_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* A JSON string, escaped (quotes, backslashes and every control character), or null. */
static void buf_json(accesslog_buf *b, const char *s)
{
    if (!s) {
        buf_str(b, "null");
        return;
    }
    buf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            buf_add(b, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            buf_add(b, esc, 6);
        } else {
            buf_add(b, (const char *)p, 1);
        }
    }
    buf_add(b, "\"", 1);
}

static void buf_hash(accesslog_buf *b, const uint8_t h[ACCESSLOG_HASH_LEN])
{
    static const char hex[] = "0123456789abcdef";
    char out[2 * ACCESSLOG_HASH_LEN + 2];
    out[0] = '"';
    for (size_t i = 0; i < ACCESSLOG_HASH_LEN; i++) {
        out[1 + 2 * i] = hex[h[i] >> 4];
        out[2 + 2 * i] = hex[h[i] & 15];
    }
    out[2 * ACCESSLOG_HASH_LEN + 1] = '"';
    buf_add(b, out, sizeof out);
}

static const char *accesslog_method(const char *m)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    for (size_t i = 0; m && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0) return known[i];
    return "OTHER";
}

char *accesslog_format(const accesslog_entry *e, size_t *len)
{
    accesslog_buf b = {malloc(512), 0, 512, 0};
    if (!b.p) return NULL;
    b.p[0] = '\0';
    char num[64];
    char when[21];
    time_format_utc(when, e->time);
    buf_str(&b, "{\"time\":\"");
    buf_str(&b, when);
    buf_str(&b, "\",\"method\":\"");
    buf_str(&b, accesslog_method(e->method));
    buf_str(&b, "\",\"route\":");
    buf_json(&b, e->route ? e->route : "other");
    snprintf(num, sizeof num, ",\"status\":%d,\"org\":", e->status);
    buf_str(&b, num);
    buf_json(&b, e->org);
    buf_str(&b, ",\"key\":");
    buf_json(&b, e->key_id);
    buf_str(&b, ",\"profile\":");
    buf_json(&b, e->profile);
    buf_str(&b, ",\"verdict\":");
    buf_json(&b, e->has_verdict ? verdict_code(e->verdict) : NULL);
    if (e->verdicts) {
        buf_str(&b, ",\"verdicts\":{");
        int first = 1;
        for (unsigned v = 0; v < VERDICT_COUNT; v++) {
            if (!e->verdicts[v]) continue;
            snprintf(num, sizeof num, "%s\"%s\":%u", first ? "" : ",", verdict_code((verdict)v),
                     e->verdicts[v]);
            buf_str(&b, num);
            first = 0;
        }
        buf_str(&b, "}");
    }
    buf_str(&b, ",\"att\":");
    if (e->verdicts) {
        buf_str(&b, "[");
        for (size_t i = 0; i < e->n_att; i++) {
            if (i) buf_str(&b, ",");
            buf_hash(&b, e->att[i]);
        }
        buf_str(&b, "]");
    } else if (e->n_att > 0) {
        buf_hash(&b, e->att[0]);
    } else {
        buf_str(&b, "null");
    }
    snprintf(num, sizeof num, ",\"ms\":%.3f}\n", e->latency_ms >= 0 ? e->latency_ms : 0.0);
    buf_str(&b, num);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return b.p;
}

void accesslog_write(accesslog *l, const accesslog_entry *e)
{
    if (!l || !e) return;
    size_t len;
    char *line = accesslog_format(e, &len);
    if (!line) return;
    pthread_rwlock_rdlock(&l->lock);
    const char *p = line;
    while (len > 0) {
        ssize_t w = write(l->fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break; /* a full disk loses log lines, never answers */
        p += w;
        len -= (size_t)w;
    }
    pthread_rwlock_unlock(&l->lock);
    free(line);
}
