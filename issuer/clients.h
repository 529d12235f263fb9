/*
 * clients.h: the clients of the issuer's admin API (`api-issuer serve
 * --admin-listen`): the préfecture's systems that issue and change
 * attestations, each with a name, a role, a rate limit and a bearer token.
 * They live in an LMDB environment of their own, ISS/clients/, so that
 * `api-issuer clients add|list|revoke|rotate` can change them while serve
 * runs; serve sees each change at its next request.
 *
 * A token is "apit_" and the base64url of 32 random bytes (common/token).
 * It is shown once, when made, and never stored: the store keeps its keyed
 * hash (BLAKE2b-256 keyed with a random key of the store). A token expires
 * (every token does: CLIENTS_MAX_LIFETIME at most). Rotating a client gives
 * it a new token and keeps the old one valid for an overlap period (at most
 * CLIENTS_MAX_OVERLAP, and never past the old token's own end), so that a
 * system can change its token without a pause. A revoked client's tokens
 * stop working at the next request, and its name is never given again (the
 * audit log names clients).
 *
 * Roles, from the least to the most: read (GET only), issue (and create
 * attestations), manage (and change their statuses). A new client is
 * `read` unless told otherwise.
 *
 * Instants are epoch seconds in the records; clients_authenticate takes
 * milliseconds since the epoch, the clock of both the expiries and the rate
 * limits (one token bucket per client, burst = one second of its rate).
 */
#ifndef API_ISSUER_CLIENTS_H
#define API_ISSUER_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CLIENTS_PREFIX           "apit_"
#define CLIENTS_TOKEN_LEN        (5 + 43)     /* "apit_" + base64url of 32 bytes */
#define CLIENTS_NAME_MAX         64           /* bytes of a name: 1..64 of plain text (common/text) */
#define CLIENTS_MAX_RATE         1000000u     /* requests a second */
#define CLIENTS_DEFAULT_RATE     100u         /* a new client's, unless --rate says otherwise (0: no limit) */
#define CLIENTS_DEFAULT_LIFETIME (90 * 86400) /* seconds a token lasts, unless --expires says otherwise */
#define CLIENTS_MAX_LIFETIME     (730 * 86400)
#define CLIENTS_DEFAULT_OVERLAP  (7 * 86400) /* rotate: how long the old token still works */
#define CLIENTS_MAX_OVERLAP      (30 * 86400)
#define CLIENTS_MAX              10000 /* clients in a store, revoked ones included */

typedef enum { CLIENT_ROLE_READ = 1, CLIENT_ROLE_ISSUE = 2, CLIENT_ROLE_MANAGE = 3 } client_role;

/* Who called: filled by clients_authenticate on CLIENTS_OK and CLIENTS_RATE. */
typedef struct {
    char name[CLIENTS_NAME_MAX + 1];
    client_role role;
    uint32_t rate;        /* requests a second, 0 none */
    uint32_t retry_after; /* on CLIENTS_RATE: whole seconds (at least 1) before a request is admitted */
} client_info;

typedef enum { CLIENTS_OK = 0, CLIENTS_UNKNOWN, CLIENTS_EXPIRED, CLIENTS_RATE, CLIENTS_ERROR } clients_result;

/* "read", "issue", "manage"; and back (0, or -1 if unknown). */
const char *clients_role_name(client_role role);
int clients_role_parse(client_role *role, const char *name);

/* A client as listed: never a token or a hash. */
typedef struct {
    char name[CLIENTS_NAME_MAX + 1];
    client_role role;
    uint32_t rate;
    int64_t created;      /* epoch seconds */
    int64_t expires;      /* when its current token stops working */
    int64_t lifetime;     /* seconds a token of this client lasts (rotate gives the new one as long) */
    int64_t rotated;      /* last rotation, 0: never */
    int64_t overlap_ends; /* the previous token works until then; 0: no previous token */
    int64_t revoked;      /* 0: in force */
} client_record;

/* "active", "expired" or "revoked" at instant now (seconds). */
const char *clients_state(const client_record *rec, int64_t now);

typedef struct clients clients;

/* Opens (creating, 0700) the store of the issuer folder issdir: issdir/clients/. */
api_err clients_open(clients **out, const char *issdir);
void clients_close(clients *c);

/*
 * Adds a client named name (1..CLIENTS_NAME_MAX bytes of plain text), with
 * a role, a rate (0..CLIENTS_MAX_RATE) and a token lifetime in seconds
 * (1..CLIENTS_MAX_LIFETIME), at now (seconds). Writes its token into token
 * (NUL-terminated), the only time it exists, and its record into rec (may
 * be NULL). API_ERR_ARG for a bad argument, API_ERR_EXISTS for a name
 * already given (revoked clients included), API_ERR_FULL past CLIENTS_MAX.
 */
api_err clients_add(clients *c, char token[CLIENTS_TOKEN_LEN + 1], client_record *rec, const char *name,
                    client_role role, uint32_t rate, int64_t lifetime, int64_t now);

/*
 * A new token for client name, at now: it lasts lifetime seconds (0: the
 * client's own lifetime); the current token keeps working for overlap
 * seconds (0..CLIENTS_MAX_OVERLAP, cut at its own end), and a token older
 * than that stops. API_ERR_NOT_FOUND for no such client, API_ERR_EXISTS if
 * it is revoked, API_ERR_ARG for a bad lifetime or overlap.
 */
api_err clients_rotate(clients *c, char token[CLIENTS_TOKEN_LEN + 1], client_record *rec, const char *name,
                       int64_t lifetime, int64_t overlap, int64_t now);

/*
 * Revokes client name (every token it has) at now. API_ERR_NOT_FOUND if
 * there is none; API_ERR_EXISTS if it was already revoked (rec then says
 * when).
 */
api_err clients_revoke(clients *c, const char *name, int64_t now, client_record *rec);

/* Every client, in name order: *recs is malloc'd (the caller frees it), *n its count. */
api_err clients_list(clients *c, client_record **recs, size_t *n);

/*
 * Checks a presented token (the bearer token of a request, tokenlen bytes)
 * at now_ms (milliseconds since the epoch) and counts the request against
 * the client's rate. CLIENTS_OK: *who is the client. CLIENTS_UNKNOWN: not a
 * token of this store (or not a token), or one of a revoked client.
 * CLIENTS_EXPIRED: the token's lifetime is over, or it is a previous token
 * whose overlap ended.
 * CLIENTS_RATE: the client is over its rate (*who filled, with
 * retry_after). CLIENTS_ERROR: the store cannot be read. Thread-safe; sees
 * clients added, rotated or revoked by another process at the next call.
 * Hashes are compared in constant time; the token is never kept.
 */
clients_result clients_authenticate(clients *c, const char *token, size_t tokenlen, int64_t now_ms,
                                    client_info *who);

#endif
