/*
 * buf.h: a growable byte buffer that remembers a failure, so that a long
 * sequence of appends is checked once, at the end (as SQLite's
 * sqlite3_str): the metrics exposition, access-log lines, the offline
 * bundle, PNG and SVG images, texts built piece by piece. The content is
 * always NUL-terminated.
 */
#ifndef API_BUF_H
#define API_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *p;    /* the bytes, NUL-terminated; NULL before the first append */
    size_t len; /* without the NUL */
    size_t cap;
    size_t max; /* 0: no bound; else appends that would pass it fail */
    int failed; /* an append failed (out of memory, over max, bad format): p holds what came before */
} buf;

/* An empty buffer that may grow to max bytes (0: no bound). */
void buf_init(buf *b, size_t max);

void buf_append(buf *b, const void *data, size_t n);
void buf_puts(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * Appends s as a JSON string, or null when s is NULL: quotes and
 * backslashes escaped, every C0 control and DEL as \u00XX, other bytes as
 * they are (the caller hands UTF-8). For lines written piece by piece
 * where cJSON cannot serve (a log line, a document of megabytes).
 */
void buf_json_string(buf *b, const char *s);

/* The content (malloc'd, NUL-terminated; the caller frees it) and its length, or NULL if an append failed. */
char *buf_take(buf *b, size_t *len);

void buf_free(buf *b);

#endif
