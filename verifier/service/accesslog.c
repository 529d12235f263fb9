/*
 * accesslog.c: the access log's lines and the file they go to (see
 * accesslog.h).
 *
 * It must never write anything a client chose freely: the route is one of
 * the service's fixed names, the method one of the usual ones, the
 * organisation a name the operator gave to `keys add` (checked text,
 * escaped here anyway by buf_json_string), the attestation ids only as keyed hashes made by
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

#include "common/buf.h"
#include "common/bytes.h"
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

/* A keyed hash as a JSON string of lowercase hex. */
static void accesslog_hash(buf *b, const uint8_t h[ACCESSLOG_HASH_LEN])
{
    char hex[2 * ACCESSLOG_HASH_LEN + 1];
    buf_printf(b, "\"%s\"", bytes_to_hex(hex, h, ACCESSLOG_HASH_LEN));
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
    buf b;
    buf_init(&b, 0);
    char when[21];
    time_format_utc(when, e->time);
    buf_printf(&b, "{\"time\":\"%s\",\"method\":\"%s\",\"route\":", when, accesslog_method(e->method));
    buf_json_string(&b, e->route ? e->route : "other");
    buf_printf(&b, ",\"status\":%d,\"org\":", e->status);
    buf_json_string(&b, e->org);
    buf_puts(&b, ",\"key\":");
    buf_json_string(&b, e->key_id);
    buf_puts(&b, ",\"profile\":");
    buf_json_string(&b, e->profile);
    buf_puts(&b, ",\"verdict\":");
    buf_json_string(&b, e->has_verdict ? verdict_code(e->verdict) : NULL);
    if (e->verdicts) {
        buf_puts(&b, ",\"verdicts\":{");
        int first = 1;
        for (unsigned v = 0; v < VERDICT_COUNT; v++) {
            if (!e->verdicts[v]) continue;
            buf_printf(&b, "%s\"%s\":%u", first ? "" : ",", verdict_code((verdict)v), e->verdicts[v]);
            first = 0;
        }
        buf_puts(&b, "}");
    }
    buf_puts(&b, ",\"att\":");
    if (e->verdicts) {
        buf_puts(&b, "[");
        for (size_t i = 0; i < e->n_att; i++) {
            if (i) buf_puts(&b, ",");
            accesslog_hash(&b, e->att[i]);
        }
        buf_puts(&b, "]");
    } else if (e->n_att > 0) {
        accesslog_hash(&b, e->att[0]);
    } else {
        buf_puts(&b, "null");
    }
    buf_printf(&b, ",\"ms\":%.3f}\n", e->latency_ms >= 0 ? e->latency_ms : 0.0);
    return buf_take(&b, len);
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
