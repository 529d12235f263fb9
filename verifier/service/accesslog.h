/*
 * accesslog.h: the service's access log, one JSON object a line, with no
 * personal data (docs/privacy.md): when, which route, the HTTP status, the
 * organisation of the API key (none for anonymous callers), the verdict,
 * a keyed hash of the attestation id (never the id), and the latency.
 *
 * Lines go to a file opened for appending (created 0600) or to standard
 * error; each line leaves in one write(2), so lines of concurrent requests
 * never mix. accesslog_reopen() follows a rotation (logrotate, then SIGHUP).
 * Safe to share between threads.
 */
#ifndef API_ACCESSLOG_H
#define API_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "verifier/verify.h"

#define ACCESSLOG_HASH_LEN 16

typedef struct accesslog accesslog;

/* Opens path for appending (created 0600), or standard error when path is NULL. */
api_err accesslog_open(accesslog **out, const char *path);

/* Opens the file again (after a rotation); nothing for standard error. */
api_err accesslog_reopen(accesslog *l);
void accesslog_close(accesslog *l);

/* What one line says. Strings may be NULL (written as null), except route. */
typedef struct {
    int64_t time;       /* when the request arrived, seconds */
    const char *method; /* written only when one of the usual methods, else "OTHER" */
    const char *route;  /* a fixed route name, never the path the client sent */
    int status;
    const char *org;     /* the API key's organisation, NULL for anonymous callers */
    const char *key_id;  /* the API key's public id */
    const char *profile; /* what the answer echoed */
    int has_verdict;     /* one verification: verdict is set */
    verdict verdict;
    const uint32_t *verdicts;                 /* a batch: VERDICT_COUNT counts, else NULL */
    const uint8_t (*att)[ACCESSLOG_HASH_LEN]; /* keyed hashes of the attestation ids verified */
    size_t n_att;
    double latency_ms;
} accesslog_entry;

/* The line of e, malloc'd and ending with a newline (*len without the NUL); NULL when out of memory. */
char *accesslog_format(const accesslog_entry *e, size_t *len);

/* Formats e and writes its line. */
void accesslog_write(accesslog *l, const accesslog_entry *e);

#endif
