/*
 * idempotency.h: the first answers of the issuance API's POST requests
 * that carry an Idempotency-Key, kept so that a retry (the client timed
 * out, the network dropped) gets the same answer and nothing is done
 * twice (docs/privacy.md, "The issuance API").
 *
 * A key belongs to one client: the same key sent by two clients names two
 * requests. A record is kept under ISS/idempotency/ (0700), one file per
 * key whose name is a keyed hash of the client's name and the key (the
 * names of files say nothing), holding, encrypted with crypto_secretbox
 * under ISS/idempotency/secret.key (32 random bytes made at first start,
 * 0600): when it was made, the SHA-256 of the request's method, path and
 * body, and the answer's status and body. An answer holds personal data
 * (a QR text carries the holder's name): that is why it is kept apart
 * from the registry, encrypted, and deleted after IDEMPOTENCY_KEEP_S.
 *
 * A request is first recorded as pending (status 0) before it acts; a
 * pending record that no request of this process holds was left by a
 * crash: its outcome is unknown, and the retry is told so rather than
 * acting twice. Concurrent requests with the same key wait for the first.
 * Thread-safe.
 */
#ifndef API_ISSUER_IDEMPOTENCY_H
#define API_ISSUER_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define IDEMPOTENCY_KEEP_S     (24 * 3600) /* seconds an answer is kept */
#define IDEMPOTENCY_KEY_MAX    255         /* bytes of an Idempotency-Key: printable ASCII */
#define IDEMPOTENCY_ANSWER_MAX (64u << 20)

typedef struct idempotency idempotency;

/* Opens (creating) the store of the issuer folder issdir. */
api_err idempotency_open(idempotency **out, const char *issdir);
void idempotency_close(idempotency *s);

typedef enum {
    IDEMPOTENCY_NEW,         /* act, then idempotency_finish (or idempotency_abandon) */
    IDEMPOTENCY_REPLAY,      /* *status, *answer: the first answer, to send again */
    IDEMPOTENCY_MISMATCH,    /* the key was used with another request: 422 */
    IDEMPOTENCY_INTERRUPTED, /* a request with this key was cut by a crash: its outcome is unknown */
    IDEMPOTENCY_ERROR,       /* the store failed */
} idempotency_result;

/* Whether key (NUL-terminated) may be an Idempotency-Key: 1 to 255 bytes of printable ASCII. */
int idempotency_key_valid(const char *key);

/* The request being answered under a key (filled by idempotency_begin). */
typedef struct {
    char file[65];
    uint8_t request_hash[32];
} idempotency_slot;

/*
 * Looks up (client, key) for the request whose method, path and body are
 * given. IDEMPOTENCY_REPLAY sets *status and *answer (malloc'd,
 * NUL-terminated, the caller frees and wipes it) and *len. Waits while
 * another request of this process holds the same key.
 */
idempotency_result idempotency_begin(idempotency *s, idempotency_slot *slot, const char *client,
                                     const char *key, const char *method, const char *path,
                                     const uint8_t *body, size_t bodylen, int *status, char **answer,
                                     size_t *len);

/* Keeps the answer of the request begun in slot, and releases the key. */
api_err idempotency_finish(idempotency *s, const idempotency_slot *slot, int status, const char *answer,
                           size_t len);

/* Forgets the request begun in slot (it did nothing: a retry may act), and releases the key. */
void idempotency_abandon(idempotency *s, const idempotency_slot *slot);

/* Deletes the records older than max_age seconds at instant now (seconds); the number deleted. */
size_t idempotency_sweep(idempotency *s, int64_t now, int64_t max_age);

#endif
