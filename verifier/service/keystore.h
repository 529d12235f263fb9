/*
 * keystore.h: the relying parties' API keys of `api-verifier serve`, in an
 * LMDB environment of their own (DIR/access/), so that `api-verifier keys`
 * can add and revoke keys while the service runs.
 *
 * A key is "apik_" followed by the base64url of 32 random bytes; it is
 * shown once, when made, and never stored: the store keeps its keyed hash
 * (BLAKE2b-256 keyed with a random salt of the store) and a public id, the
 * first KEYSTORE_ID_LEN characters after "apik_". Each key names an
 * organisation, a profile (what answers echo) and a rate limit.
 *
 * The store also keeps the secret key of the access log's hashes of
 * attestation ids (keystore_log_hash), so that the log never holds an id.
 *
 * Readers (the service) check keys against a copy in memory, read again
 * whenever the environment changed (LMDB's last transaction id), so a
 * revocation takes effect at the next request and a check costs no LMDB
 * transaction. Safe to share between threads.
 *
 * Several replicas share their keys by export and import (keystore_export,
 * keystore_import): the export carries the records, their hashes and the
 * store's two secrets, so a key made on one replica is checked on another
 * with the same result. The export is a secret (anyone holding it can
 * tell a key's hash from a guess and read the access logs' hashes): it is
 * written 0600 and should be moved like a private key.
 */
#ifndef API_KEYSTORE_H
#define API_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define KEYSTORE_PREFIX       "apik_"
#define KEYSTORE_SECRET_LEN   32
#define KEYSTORE_TEXT_LEN     (5 + 43) /* "apik_" + base64url of 32 bytes */
#define KEYSTORE_ID_LEN       8        /* characters of the public id */
#define KEYSTORE_ORG_MAX      128      /* organisation name: 1..127 bytes of UTF-8 */
#define KEYSTORE_MAX_RATE     1000000u /* requests a second */
#define KEYSTORE_DEFAULT_RATE 100u     /* a new key's, unless --rate says otherwise (0: no limit) */
#define KEYSTORE_MAX_KEYS     100000
#define KEYSTORE_LOG_HASH_LEN 16 /* bytes of an access-log hash */

typedef enum {
    KEYSTORE_SOCIAL = 0, /* social agencies: every claim */
    KEYSTORE_EMPLOYER,   /* identity, validity and the right to work */
    KEYSTORE_BANK,       /* identity and validity */
    KEYSTORE_LANDLORD,   /* identity and validity */
    KEYSTORE_PROFILE_COUNT
} keystore_profile;

typedef struct {
    char id[KEYSTORE_ID_LEN + 1];
    char org[KEYSTORE_ORG_MAX];
    keystore_profile profile;
    uint32_t rate; /* requests a second, 0: no limit */
    int64_t created;
    int64_t revoked; /* 0: in force */
} keystore_record;

typedef struct keystore keystore;

/* Opens (creating) the store in folder dir (made 0700), drawing its salt and log key the first time. */
api_err keystore_open(keystore **out, const char *dir);
void keystore_close(keystore *ks);

/* "social", "employer", "bank", "landlord"; and back (0, or -1 if unknown). */
const char *keystore_profile_name(keystore_profile p);
int keystore_profile_parse(keystore_profile *p, const char *name);

/*
 * Makes a key for org (1..127 bytes of UTF-8 without control characters)
 * with a profile and a rate (0..KEYSTORE_MAX_RATE), created at now. Writes
 * the key text into key (NUL-terminated), the only time it exists, and its
 * record into rec (may be NULL). API_ERR_ARG for a bad org or rate,
 * API_ERR_FULL past KEYSTORE_MAX_KEYS.
 */
api_err keystore_add(keystore *ks, char key[KEYSTORE_TEXT_LEN + 1], keystore_record *rec, const char *org,
                     keystore_profile profile, uint32_t rate, int64_t now);

/*
 * Revokes the key with that id (the id, or "apik_" and the id) at now.
 * API_ERR_NOT_FOUND if there is none; API_ERR_EXISTS if it was already
 * revoked (rec then says when).
 */
api_err keystore_revoke(keystore *ks, const char *id, int64_t now, keystore_record *rec);

/* Every key, in id order: *recs is malloc'd (the caller frees it), *n its count. */
api_err keystore_list(keystore *ks, keystore_record **recs, size_t *n);

/* How a presented key fared. */
typedef enum {
    KEYSTORE_VALID = 0,
    KEYSTORE_UNKNOWN, /* not a key of this store (or not a key at all) */
    KEYSTORE_REVOKED,
    KEYSTORE_ERROR, /* the store could not be read */
} keystore_check_result;

/* Checks a presented key (the X-API-Key header, len bytes); on KEYSTORE_VALID fills rec. */
keystore_check_result keystore_check(keystore *ks, const char *key, size_t len, keystore_record *rec);

/* out = BLAKE2b-128 of data keyed with the store's log key: for the access log, never reversible. */
void keystore_log_hash(keystore *ks, uint8_t out[KEYSTORE_LOG_HASH_LEN], const uint8_t *data, size_t len);

/*
 * The whole store as a JSON text (malloc'd into *text, the caller wipes
 * and frees it; *len its length with the final newline):
 *   {"format": "api-verifier-keys", "version": 1, "salt": B64, "log_key": B64,
 *    "keys": [{"id", "org", "profile", "rate", "created", "revoked", "hash"}]}
 * with the secrets and hashes in base64url and instants in seconds since
 * 1970 (revoked 0: in force). It holds no key, only what checks them.
 */
api_err keystore_export(keystore *ks, char **text, size_t *len);

/* What an import did. */
typedef struct {
    size_t added;      /* keys not held before */
    size_t revoked;    /* keys held in force, revoked in the file: now revoked here */
    size_t updated;    /* keys held whose organisation, profile or rate changed */
    size_t unchanged;  /* keys held as the file has them (or revoked here already) */
    int secrets_taken; /* the store was empty: it took the file's salt and log key */
} keystore_import_report;

/*
 * Merges an export (text, len bytes) into the store, in one transaction:
 * every key of the file is added or brought up to date; a revocation is
 * never undone (a key revoked here stays revoked whatever the file says,
 * one revoked in the file is revoked here). An empty store takes the
 * file's salt and log key; a store with keys takes only a file with its
 * own salt (API_ERR_EXISTS otherwise: the hashes could not match).
 * API_ERR_ARG when the text is not such an export (err says why),
 * API_ERR_EXISTS also when an id of the file is held here with another
 * hash. On any error nothing is changed. The running service sees the
 * result at its next request.
 */
api_err keystore_import(keystore *ks, const char *text, size_t len, keystore_import_report *rep, char *err,
                        size_t errcap);

/* Reads the store again now (SIGHUP), even if LMDB says nothing changed. 0, or -1. */
int keystore_reload(keystore *ks);

#endif
