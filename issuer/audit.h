/*
 * audit.h: the audit log of the issuance API (api-issuer serve
 * --audit-log FILE): one line per request on the admin listener, saying
 * when, which client (its name in the client store, or "-" before one is
 * known), which action, which attestation id (or "-"), and the HTTP status
 * answered. Never holder data: the API's bodies are not logged, and an id
 * is not personal data (the registry holds the same ids).
 *
 * A line is a JSON object, written in one write(2) to a file opened for
 * appending (created 0600), so that lines of concurrent requests never mix.
 * audit_reopen follows a rotation (logrotate, then SIGHUP). Thread-safe.
 */
#ifndef API_ISSUER_AUDIT_H
#define API_ISSUER_AUDIT_H

#include <stdint.h>

#include "common/err.h"

typedef struct audit audit;

/* Opens path for appending (created 0600). API_ERR_IO when it cannot be opened. */
api_err audit_open(audit **out, const char *path);

/* Opens the file again under its name (after a rotation). */
api_err audit_reopen(audit *a);

void audit_close(audit *a);

/*
 * Writes one line: time (seconds, written as UTC), client (NULL: "-"),
 * action (a fixed word such as "issue", "revoke", "get"), id (NULL: "-"),
 * status. A NULL audit writes nothing.
 */
void audit_write(audit *a, int64_t time, const char *client, const char *action, const char *id, int status);

#endif
