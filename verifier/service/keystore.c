/*
 * keystore.c: the API keys of the service in their own LMDB environment
 * (see keystore.h).
 *
 * It owns DIR/access/: the keys' records and two secrets drawn once, the
 * salt of the key hashes and the key of the access log's hashes. It must
 * never store or print a key (only its hash and public id), and never hand
 * out the secrets.
 *
 * Layout: one environment (MDB_NOTLS, 0600), two named databases.
 *
 *   meta   "version"  1 byte: 1
 *          "salt"     32 random bytes: the BLAKE2b key of the key hashes
 *          "log_key"  32 random bytes: the BLAKE2b key of the access log's hashes
 *   keys   id (KEYSTORE_ID_LEN bytes) -> version (1) | profile (1) |
 *          rate u32 | created i64 | revoked i64 (0: in force) |
 *          hash [32] | organisation (the rest, UTF-8)
 *
 * Integers are big-endian. A key's hash is BLAKE2b-256 of its 32 secret
 * bytes keyed with the salt (common/token: the bytes are random, so a fast
 * hash is enough, and the salt keeps the hashes useless outside this store).
 *
 * Checks (the service's path) read a sorted copy of the records kept in
 * memory under a read-write lock; the copy is made again when LMDB's last
 * committed transaction id differs from the one it was made at, which the
 * service sees at its next request after `keys add` or `keys revoke` ran in
 * another process. The secrets are read again with the copy (an import
 * into an empty store changes them), and used under the same lock.
 *
 * Export and import (keystore_export, keystore_import) move the records
 * with their hashes and the two secrets between the stores of replicas:
 * a JSON text, checked by jsonscan before cJSON reads it, every member
 * checked before anything is written, merged in one write transaction
 * where a revocation always wins.
 */
#include "verifier/service/keystore.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/b64url.h"
#include "common/bytes.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/lmdbstore.h"
#include "common/jsonscan.h"
#include "common/text.h"
#include "common/token.h"

#define KEYSTORE_MAP_SIZE    (64u << 20)
#define KEYSTORE_REC_VERSION 1
#define KEYSTORE_REC_FIXED   (1 + 1 + 4 + 8 + 8 + 32)
#define KEYSTORE_HASH_LEN    32

typedef struct {
    keystore_record rec;
    uint8_t hash[KEYSTORE_HASH_LEN];
} keystore_entry;

struct keystore {
    MDB_env *env;
    MDB_dbi meta, keys;
    uint8_t salt[KEYSTORE_SECRET_LEN];
    uint8_t log_key[KEYSTORE_SECRET_LEN];
    pthread_rwlock_t lock;  /* guards cache, n_cache, salt and log_key */
    pthread_mutex_t reload; /* one reload at a time */
    _Atomic uint64_t cache_txnid;
    _Atomic int cache_ready;
    keystore_entry *cache;
    size_t n_cache;
};

static const char *const keystore_profiles[KEYSTORE_PROFILE_COUNT] = {"social", "employer", "bank",
                                                                      "landlord"};

const char *keystore_profile_name(keystore_profile p)
{
    return (unsigned)p < KEYSTORE_PROFILE_COUNT ? keystore_profiles[p] : "unknown";
}

int keystore_profile_parse(keystore_profile *p, const char *name)
{
    for (unsigned i = 0; name && i < KEYSTORE_PROFILE_COUNT; i++)
        if (strcmp(name, keystore_profiles[i]) == 0) {
            *p = (keystore_profile)i;
            return 0;
        }
    return -1;
}

/* ---- encodings ---- */

static int keystore_decode(void *item, const MDB_val *k, const MDB_val *v)
{
    keystore_entry *e = item;
    const uint8_t *p = v->mv_data;
    if (k->mv_size != KEYSTORE_ID_LEN || v->mv_size < KEYSTORE_REC_FIXED + 1 ||
        v->mv_size - KEYSTORE_REC_FIXED >= KEYSTORE_ORG_MAX || p[0] != KEYSTORE_REC_VERSION ||
        p[1] >= KEYSTORE_PROFILE_COUNT)
        return -1;
    memset(e, 0, sizeof *e);
    memcpy(e->rec.id, k->mv_data, KEYSTORE_ID_LEN);
    e->rec.profile = (keystore_profile)p[1];
    e->rec.rate = bytes_get_be32(p + 2);
    e->rec.created = bytes_get_be64s(p + 6);
    e->rec.revoked = bytes_get_be64s(p + 14);
    memcpy(e->hash, p + 22, KEYSTORE_HASH_LEN);
    memcpy(e->rec.org, p + KEYSTORE_REC_FIXED, v->mv_size - KEYSTORE_REC_FIXED);
    return 0;
}

static int keystore_put(keystore *ks, MDB_txn *txn, const keystore_entry *e, unsigned flags)
{
    size_t orglen = strlen(e->rec.org);
    uint8_t buf[KEYSTORE_REC_FIXED + KEYSTORE_ORG_MAX];
    buf[0] = KEYSTORE_REC_VERSION;
    buf[1] = (uint8_t)e->rec.profile;
    bytes_put_be32(buf + 2, e->rec.rate);
    bytes_put_be64s(buf + 6, e->rec.created);
    bytes_put_be64s(buf + 14, e->rec.revoked);
    memcpy(buf + 22, e->hash, KEYSTORE_HASH_LEN);
    memcpy(buf + KEYSTORE_REC_FIXED, e->rec.org, orglen);
    MDB_val k = {KEYSTORE_ID_LEN, (void *)(uintptr_t)e->rec.id}, v = {KEYSTORE_REC_FIXED + orglen, buf};
    return mdb_put(txn, ks->keys, &k, &v, flags);
}

static void keystore_hash(const keystore *ks, uint8_t out[KEYSTORE_HASH_LEN],
                          const uint8_t secret[KEYSTORE_SECRET_LEN])
{
    token_hash(out, secret, ks->salt);
}

/* ---- opening ---- */

api_err keystore_open(keystore **out, const char *dir)
{
    *out = NULL;
    if (sodium_init() < 0) return API_ERR_CRYPTO;
    api_err e = fs_mkdirs(dir, 0700);
    if (e != API_OK) return e;
    keystore *ks = calloc(1, sizeof *ks);
    if (!ks) return API_ERR_NOMEM;
    if (pthread_rwlock_init(&ks->lock, NULL) != 0) {
        free(ks);
        return API_ERR_NOMEM;
    }
    if (pthread_mutex_init(&ks->reload, NULL) != 0) {
        pthread_rwlock_destroy(&ks->lock);
        free(ks);
        return API_ERR_NOMEM;
    }
    atomic_init(&ks->cache_txnid, 0);
    atomic_init(&ks->cache_ready, 0);
    MDB_txn *txn = NULL;
    int rc = lmdbstore_env_open(&ks->env, dir, KEYSTORE_MAP_SIZE, 4);
    if (rc == 0) rc = mdb_txn_begin(ks->env, NULL, 0, &txn);
    if (rc == 0) rc = lmdbstore_dbs(txn, &ks->meta, "keys", &ks->keys, KEYSTORE_REC_VERSION);
    if (rc == 0) rc = lmdbstore_secret(txn, ks->meta, "salt", ks->salt, sizeof ks->salt); /* drawn once */
    if (rc == 0) rc = lmdbstore_secret(txn, ks->meta, "log_key", ks->log_key, sizeof ks->log_key);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn) mdb_txn_abort(txn);
    if (rc != 0) {
        fprintf(stderr, "keystore: %s: %s\n", dir, mdb_strerror(rc));
        keystore_close(ks);
        return rc == MDB_MAP_FULL ? API_ERR_FULL : API_ERR_DB;
    }
    *out = ks;
    return API_OK;
}

void keystore_close(keystore *ks)
{
    if (!ks) return;
    if (ks->env) mdb_env_close(ks->env);
    sodium_memzero(ks->salt, sizeof ks->salt);
    sodium_memzero(ks->log_key, sizeof ks->log_key);
    if (ks->cache) sodium_memzero(ks->cache, ks->n_cache * sizeof *ks->cache);
    free(ks->cache);
    pthread_mutex_destroy(&ks->reload);
    pthread_rwlock_destroy(&ks->lock);
    free(ks);
}

/* ---- the cache of records ---- */

static int keystore_entry_cmp(const void *a, const void *b)
{
    return memcmp(((const keystore_entry *)a)->rec.id, ((const keystore_entry *)b)->rec.id, KEYSTORE_ID_LEN);
}

/* A secret of meta as it is in txn (0, or an LMDB error). */
static int keystore_secret_get(keystore *ks, MDB_txn *txn, const char *name, uint8_t out[KEYSTORE_SECRET_LEN])
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v;
    int rc = mdb_get(txn, ks->meta, &k, &v);
    if (rc == 0 && v.mv_size != KEYSTORE_SECRET_LEN) rc = MDB_CORRUPTED;
    if (rc == 0) memcpy(out, v.mv_data, KEYSTORE_SECRET_LEN);
    return rc;
}

/*
 * Reads every record in one read transaction: *entries malloc'd, sorted by
 * id (LMDB's key order); with secrets (2 x KEYSTORE_SECRET_LEN bytes, may
 * be NULL), the salt and the log key of the same transaction.
 */
static api_err keystore_read_all(keystore *ks, keystore_entry **entries, size_t *n, uint64_t *txnid,
                                 uint8_t *secrets)
{
    *entries = NULL;
    *n = 0;
    MDB_txn *txn;
    if (mdb_txn_begin(ks->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    if (txnid) *txnid = mdb_txn_id(txn);
    int rc = 0;
    if (secrets) rc = keystore_secret_get(ks, txn, "salt", secrets);
    if (rc == 0 && secrets) rc = keystore_secret_get(ks, txn, "log_key", secrets + KEYSTORE_SECRET_LEN);
    void *items = NULL;
    if (rc == 0) rc = lmdbstore_read_all(txn, ks->keys, sizeof(keystore_entry), keystore_decode, &items, n);
    mdb_txn_abort(txn);
    if (rc != 0) return rc == ENOMEM ? API_ERR_NOMEM : API_ERR_DB;
    *entries = items;
    return API_OK;
}

static uint64_t keystore_last_txnid(keystore *ks)
{
    return lmdbstore_last_txnid(ks->env);
}

/* Makes the cache current (always with force); 0, or -1 when the store cannot be read (the old cache is
 * kept). */
static int keystore_refresh_if(keystore *ks, int force)
{
    uint64_t last = keystore_last_txnid(ks);
    if (!force && atomic_load(&ks->cache_txnid) == last && last != 0) return 0;
    pthread_mutex_lock(&ks->reload);
    int out = 0;
    if (force || atomic_load(&ks->cache_txnid) != last || last == 0) {
        keystore_entry *list;
        size_t n;
        uint64_t txnid;
        uint8_t secrets[2 * KEYSTORE_SECRET_LEN];
        if (keystore_read_all(ks, &list, &n, &txnid, secrets) != API_OK) {
            out = -1;
        } else {
            pthread_rwlock_wrlock(&ks->lock);
            keystore_entry *old = ks->cache;
            size_t old_n = ks->n_cache;
            ks->cache = list;
            ks->n_cache = n;
            memcpy(ks->salt, secrets, KEYSTORE_SECRET_LEN);
            memcpy(ks->log_key, secrets + KEYSTORE_SECRET_LEN, KEYSTORE_SECRET_LEN);
            atomic_store(&ks->cache_ready, 1);
            pthread_rwlock_unlock(&ks->lock);
            if (old) sodium_memzero(old, old_n * sizeof *old);
            free(old);
            atomic_store(&ks->cache_txnid, txnid);
        }
        sodium_memzero(secrets, sizeof secrets);
    }
    pthread_mutex_unlock(&ks->reload);
    return out;
}

static int keystore_refresh(keystore *ks)
{
    return keystore_refresh_if(ks, 0);
}

int keystore_reload(keystore *ks)
{
    return ks ? keystore_refresh_if(ks, 1) : -1;
}

keystore_check_result keystore_check(keystore *ks, const char *key, size_t len, keystore_record *rec)
{
    const size_t plen = sizeof KEYSTORE_PREFIX - 1;
    uint8_t secret[KEYSTORE_SECRET_LEN], hash[KEYSTORE_HASH_LEN];
    if (!ks || token_parse(secret, KEYSTORE_PREFIX, key, len) != 0) return KEYSTORE_UNKNOWN;
    if (keystore_refresh(ks) != 0 && !atomic_load(&ks->cache_ready)) {
        sodium_memzero(secret, sizeof secret);
        return KEYSTORE_ERROR;
    }

    keystore_entry probe;
    memcpy(probe.rec.id, key + plen, KEYSTORE_ID_LEN);
    keystore_check_result out = KEYSTORE_UNKNOWN;
    pthread_rwlock_rdlock(&ks->lock);
    keystore_hash(ks, hash, secret);
    sodium_memzero(secret, sizeof secret);
    const keystore_entry *e =
        ks->n_cache ? bsearch(&probe, ks->cache, ks->n_cache, sizeof *ks->cache, keystore_entry_cmp) : NULL;
    if (e && sodium_memcmp(e->hash, hash, KEYSTORE_HASH_LEN) == 0) {
        out = e->rec.revoked ? KEYSTORE_REVOKED : KEYSTORE_VALID;
        if (rec) *rec = e->rec;
    }
    pthread_rwlock_unlock(&ks->lock);
    return out;
}

void keystore_log_hash(keystore *ks, uint8_t out[KEYSTORE_LOG_HASH_LEN], const uint8_t *data, size_t len)
{
    pthread_rwlock_rdlock(&ks->lock);
    crypto_generichash(out, KEYSTORE_LOG_HASH_LEN, data, len, ks->log_key, sizeof ks->log_key);
    pthread_rwlock_unlock(&ks->lock);
}

/* ---- changes ---- */

api_err keystore_add(keystore *ks, char key[KEYSTORE_TEXT_LEN + 1], keystore_record *rec, const char *org,
                     keystore_profile profile, uint32_t rate, int64_t now)
{
    key[0] = '\0';
    if (!text_plain_ok(org, 1, KEYSTORE_ORG_MAX) || (unsigned)profile >= KEYSTORE_PROFILE_COUNT ||
        rate > KEYSTORE_MAX_RATE)
        return API_ERR_ARG;
    keystore_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.rec.org, sizeof e.rec.org, "%s", org);
    e.rec.profile = profile;
    e.rec.rate = rate;
    e.rec.created = now;
    MDB_txn *txn;
    if (mdb_txn_begin(ks->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    MDB_stat st;
    int rc = mdb_stat(txn, ks->keys, &st);
    if (rc == 0 && st.ms_entries >= KEYSTORE_MAX_KEYS) {
        mdb_txn_abort(txn);
        return API_ERR_FULL;
    }
    uint8_t secret[KEYSTORE_SECRET_LEN];
    char text[KEYSTORE_TEXT_LEN + 1];
    const size_t plen = sizeof KEYSTORE_PREFIX - 1;
    rc = rc ? rc : MDB_KEYEXIST;
    for (int attempt = 0; attempt < 16 && rc == MDB_KEYEXIST; attempt++) {
        if (token_make(text, sizeof text, secret, KEYSTORE_PREFIX) != 0) {
            rc = EINVAL;
            break;
        }
        memcpy(e.rec.id, text + plen, KEYSTORE_ID_LEN);
        e.rec.id[KEYSTORE_ID_LEN] = '\0';
        keystore_hash(ks, e.hash, secret);
        rc = keystore_put(ks, txn, &e, MDB_NOOVERWRITE); /* a new id each time: ids are public */
    }
    sodium_memzero(secret, sizeof secret);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc != 0) {
        sodium_memzero(text, sizeof text);
        return rc == MDB_MAP_FULL ? API_ERR_FULL : API_ERR_DB;
    }
    memcpy(key, text, sizeof text);
    sodium_memzero(text, sizeof text);
    if (rec) *rec = e.rec;
    return API_OK;
}

api_err keystore_revoke(keystore *ks, const char *id, int64_t now, keystore_record *rec)
{
    const size_t plen = sizeof KEYSTORE_PREFIX - 1;
    if (!id) return API_ERR_ARG;
    if (strncmp(id, KEYSTORE_PREFIX, plen) == 0) id += plen;
    if (strlen(id) != KEYSTORE_ID_LEN) return API_ERR_NOT_FOUND;
    MDB_txn *txn;
    if (mdb_txn_begin(ks->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    MDB_val k = {KEYSTORE_ID_LEN, (void *)(uintptr_t)id}, v;
    keystore_entry e;
    int rc = mdb_get(txn, ks->keys, &k, &v);
    api_err out = API_OK;
    if (rc == MDB_NOTFOUND) {
        out = API_ERR_NOT_FOUND;
    } else if (rc != 0 || keystore_decode(&e, &k, &v) != 0) {
        out = API_ERR_DB;
    } else if (e.rec.revoked) {
        out = API_ERR_EXISTS;
        if (rec) *rec = e.rec;
    } else {
        e.rec.revoked = now > 0 ? now : 1;
        if (keystore_put(ks, txn, &e, 0) != 0) out = API_ERR_DB;
        if (rec) *rec = e.rec;
    }
    if (out == API_OK) {
        if (mdb_txn_commit(txn) != 0) out = API_ERR_DB;
    } else {
        mdb_txn_abort(txn);
    }
    return out;
}

api_err keystore_list(keystore *ks, keystore_record **recs, size_t *n)
{
    *recs = NULL;
    *n = 0;
    keystore_entry *list;
    size_t count;
    api_err e = keystore_read_all(ks, &list, &count, NULL, NULL);
    if (e != API_OK) return e;
    keystore_record *out = calloc(count ? count : 1, sizeof *out);
    if (!out) {
        free(list);
        return API_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++) out[i] = list[i].rec;
    sodium_memzero(list, count * sizeof *list);
    free(list);
    *recs = out;
    *n = count;
    return API_OK;
}

/* ---- export and import ---- */

#define KEYSTORE_EXPORT_FORMAT  "api-verifier-keys"
#define KEYSTORE_EXPORT_VERSION 1
#define KEYSTORE_B64_SECRET     44 /* base64url of 32 bytes (43) and its NUL */

static int keystore_add_b64(cJSON *o, const char *name, const uint8_t *b, size_t len)
{
    char text[KEYSTORE_B64_SECRET];
    if (b64url_encode(text, sizeof text, b, len) != 0) return -1;
    int ok = cJSON_AddStringToObject(o, name, text) != NULL;
    sodium_memzero(text, sizeof text);
    return ok ? 0 : -1;
}

api_err keystore_export(keystore *ks, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    keystore_entry *list;
    size_t n;
    uint8_t secrets[2 * KEYSTORE_SECRET_LEN];
    api_err e = keystore_read_all(ks, &list, &n, NULL, secrets);
    if (e != API_OK) return e;
    cJSON *root = cJSON_CreateObject(), *keys = NULL;
    int ok = root && cJSON_AddStringToObject(root, "format", KEYSTORE_EXPORT_FORMAT) &&
             cJSON_AddNumberToObject(root, "version", KEYSTORE_EXPORT_VERSION) &&
             keystore_add_b64(root, "salt", secrets, KEYSTORE_SECRET_LEN) == 0 &&
             keystore_add_b64(root, "log_key", secrets + KEYSTORE_SECRET_LEN, KEYSTORE_SECRET_LEN) == 0 &&
             (keys = cJSON_AddArrayToObject(root, "keys")) != NULL;
    sodium_memzero(secrets, sizeof secrets);
    for (size_t i = 0; ok && i < n; i++) {
        const keystore_record *r = &list[i].rec;
        cJSON *k = cJSON_CreateObject();
        ok = k && cJSON_AddItemToArray(keys, k);
        if (!ok) {
            cJSON_Delete(k);
            break;
        }
        ok = cJSON_AddStringToObject(k, "id", r->id) && cJSON_AddStringToObject(k, "org", r->org) &&
             cJSON_AddStringToObject(k, "profile", keystore_profile_name(r->profile)) &&
             cJSON_AddNumberToObject(k, "rate", r->rate) &&
             cJSON_AddNumberToObject(k, "created", (double)r->created) &&
             cJSON_AddNumberToObject(k, "revoked", (double)r->revoked) &&
             keystore_add_b64(k, "hash", list[i].hash, KEYSTORE_HASH_LEN) == 0;
    }
    if (list) sodium_memzero(list, n * sizeof *list);
    free(list);
    char *s = ok ? cJSON_Print(root) : NULL;
    if (root) {
        /* the secrets' texts inside the tree: wiped before it is freed */
        cJSON *it;
        cJSON_ArrayForEach(it, root) if (cJSON_IsString(it))
            sodium_memzero(it->valuestring, strlen(it->valuestring));
        cJSON_Delete(root);
    }
    if (!s) return API_ERR_NOMEM;
    size_t l = strlen(s);
    char *out = realloc(s, l + 2);
    if (!out) {
        sodium_memzero(s, l);
        free(s);
        return API_ERR_NOMEM;
    }
    out[l] = '\n';
    out[l + 1] = '\0';
    *text = out;
    *len = l + 1;
    return API_OK;
}

/* A base64url member of exactly len bytes: 0, or -1. */
static int keystore_get_b64(uint8_t *out, size_t len, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || !v->valuestring) return -1;
    size_t n = strlen(v->valuestring);
    for (size_t i = 0; i < n; i++) /* b64url_decode_exact allows white space: these have none */
        if (v->valuestring[i] == ' ' || v->valuestring[i] == '\t' || v->valuestring[i] == '\r' ||
            v->valuestring[i] == '\n')
            return -1;
    return b64url_decode_exact(out, len, v->valuestring, n);
}

/* A whole number member from 0 to max (jsonfile_uint, which would take 1.5 as 1, and no fraction): 0, or -1.
 */
static int keystore_get_uint(uint64_t *out, const cJSON *o, const char *name, uint64_t max)
{
    if (jsonfile_uint(out, o, name) != 0 || *out > max) return -1;
    return (double)*out == cJSON_GetObjectItemCaseSensitive(o, name)->valuedouble ? 0 : -1;
}

/* One key of an export into e: 0, or -1 with err set. */
static int keystore_parse_entry(keystore_entry *e, const cJSON *k, size_t i, char *err, size_t errcap)
{
    memset(e, 0, sizeof *e);
    uint64_t rate, created, revoked;
    char profile[16];
    const char *what = NULL;
    if (!cJSON_IsObject(k))
        what = "is not an object";
    else if (jsonfile_text(e->rec.id, sizeof e->rec.id, k, "id") != 0 ||
             strlen(e->rec.id) != KEYSTORE_ID_LEN ||
             strspn(e->rec.id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
                 KEYSTORE_ID_LEN)
        what = "has no id of 8 base64url characters";
    else if (jsonfile_text(e->rec.org, sizeof e->rec.org, k, "org") != 0 ||
             !text_plain_ok(e->rec.org, 1, KEYSTORE_ORG_MAX))
        what = "has no organisation of 1 to 127 bytes of plain text";
    else if (jsonfile_text(profile, sizeof profile, k, "profile") != 0 ||
             keystore_profile_parse(&e->rec.profile, profile) != 0)
        what = "has no profile social, employer, bank or landlord";
    else if (keystore_get_uint(&rate, k, "rate", KEYSTORE_MAX_RATE) != 0)
        what = "has no rate from 0 to 1000000";
    else if (keystore_get_uint(&created, k, "created", INT64_MAX / 2) != 0)
        what = "has no creation instant";
    else if (keystore_get_uint(&revoked, k, "revoked", INT64_MAX / 2) != 0)
        what = "has no revocation instant (0 when in force)";
    else if (keystore_get_b64(e->hash, KEYSTORE_HASH_LEN, k, "hash") != 0)
        what = "has no hash of 32 bytes in base64url";
    if (what) {
        snprintf(err, errcap, "key %zu %s", i + 1, what);
        return -1;
    }
    e->rec.rate = (uint32_t)rate;
    e->rec.created = (int64_t)created;
    e->rec.revoked = (int64_t)revoked;
    return 0;
}

/* The export's secrets and entries (*list malloc'd, *n): 0, or -1 with err set. */
static int keystore_parse_export(uint8_t secrets[2 * KEYSTORE_SECRET_LEN], keystore_entry **list, size_t *n,
                                 const char *text, size_t len, char *err, size_t errcap)
{
    *list = NULL;
    *n = 0;
    size_t at = 0;
    jsonscan_result sr = jsonscan_check(text, len, 3, KEYSTORE_MAX_KEYS, &at);
    if (sr != JSONSCAN_OK) {
        snprintf(err, errcap, "not an export of API keys: %s at byte %zu", jsonscan_strerror(sr), at);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    char format[32];
    uint64_t version = 0;
    const cJSON *keys = root ? cJSON_GetObjectItemCaseSensitive(root, "keys") : NULL;
    int rc = -1;
    if (!cJSON_IsObject(root) || jsonfile_text(format, sizeof format, root, "format") != 0 ||
        strcmp(format, KEYSTORE_EXPORT_FORMAT) != 0) {
        snprintf(err, errcap, "not an export of API keys (no \"format\": \"%s\")", KEYSTORE_EXPORT_FORMAT);
    } else if (jsonfile_uint(&version, root, "version") != 0 || version != KEYSTORE_EXPORT_VERSION) {
        snprintf(err, errcap, "an export of version %llu: this program reads version %d",
                 (unsigned long long)version, KEYSTORE_EXPORT_VERSION);
    } else if (keystore_get_b64(secrets, KEYSTORE_SECRET_LEN, root, "salt") != 0 ||
               keystore_get_b64(secrets + KEYSTORE_SECRET_LEN, KEYSTORE_SECRET_LEN, root, "log_key") != 0) {
        snprintf(err, errcap, "the salt or the log key is missing or not 32 bytes in base64url");
    } else if (!cJSON_IsArray(keys)) {
        snprintf(err, errcap, "no \"keys\" array");
    } else {
        size_t count = (size_t)cJSON_GetArraySize(keys);
        keystore_entry *l = calloc(count ? count : 1, sizeof *l);
        if (!l) {
            snprintf(err, errcap, "out of memory");
        } else {
            size_t i = 0;
            const cJSON *k;
            rc = 0;
            cJSON_ArrayForEach(k, keys)
            {
                if (keystore_parse_entry(&l[i], k, i, err, errcap) != 0) {
                    rc = -1;
                    break;
                }
                for (size_t j = 0; j < i && rc == 0; j++)
                    if (memcmp(l[j].rec.id, l[i].rec.id, KEYSTORE_ID_LEN) == 0) {
                        snprintf(err, errcap, "key %zu: the id %s appears twice", i + 1, l[i].rec.id);
                        rc = -1;
                    }
                if (rc != 0) break;
                i++;
            }
            if (rc == 0) {
                *list = l;
                *n = i;
            } else {
                sodium_memzero(l, count * sizeof *l);
                free(l);
            }
        }
    }
    if (root) {
        cJSON *it;
        cJSON_ArrayForEach(it, root) if (cJSON_IsString(it))
            sodium_memzero(it->valuestring, strlen(it->valuestring));
    }
    cJSON_Delete(root);
    if (rc != 0) sodium_memzero(secrets, 2 * KEYSTORE_SECRET_LEN);
    return rc;
}

/* Merges the entries into txn; API_ERR_EXISTS with err set when an id is held with another hash. */
static api_err keystore_merge(keystore *ks, MDB_txn *txn, const keystore_entry *list, size_t n,
                              keystore_import_report *rep, char *err, size_t errcap)
{
    for (size_t i = 0; i < n; i++) {
        const keystore_entry *in = &list[i];
        MDB_val k = {KEYSTORE_ID_LEN, (void *)(uintptr_t)in->rec.id}, v;
        keystore_entry held;
        int rc = mdb_get(txn, ks->keys, &k, &v);
        if (rc == MDB_NOTFOUND) {
            if (keystore_put(ks, txn, in, MDB_NOOVERWRITE) != 0) return API_ERR_DB;
            rep->added++;
            continue;
        }
        if (rc != 0 || keystore_decode(&held, &k, &v) != 0) return API_ERR_DB;
        if (sodium_memcmp(held.hash, in->hash, KEYSTORE_HASH_LEN) != 0) {
            snprintf(err, errcap, "the key %s is held here with another hash: not the same key", in->rec.id);
            return API_ERR_EXISTS;
        }
        keystore_entry next = held;
        int changed = 0;
        if (in->rec.revoked && !held.rec.revoked) {
            next.rec.revoked = in->rec.revoked;
            rep->revoked++;
            changed = 1;
        } else if (strcmp(held.rec.org, in->rec.org) != 0 || held.rec.profile != in->rec.profile ||
                   held.rec.rate != in->rec.rate) {
            rep->updated++;
        } else {
            rep->unchanged++;
        }
        if (strcmp(held.rec.org, in->rec.org) != 0 || held.rec.profile != in->rec.profile ||
            held.rec.rate != in->rec.rate) {
            memcpy(next.rec.org, in->rec.org, sizeof next.rec.org);
            next.rec.profile = in->rec.profile;
            next.rec.rate = in->rec.rate;
            changed = 1;
        }
        if (changed && keystore_put(ks, txn, &next, 0) != 0) return API_ERR_DB;
    }
    return API_OK;
}

api_err keystore_import(keystore *ks, const char *text, size_t len, keystore_import_report *rep, char *err,
                        size_t errcap)
{
    memset(rep, 0, sizeof *rep);
    if (errcap) err[0] = '\0';
    uint8_t secrets[2 * KEYSTORE_SECRET_LEN], held[KEYSTORE_SECRET_LEN];
    keystore_entry *list;
    size_t n;
    if (keystore_parse_export(secrets, &list, &n, text, len, err, errcap) != 0) return API_ERR_ARG;
    MDB_txn *txn;
    api_err out = API_OK;
    if (mdb_txn_begin(ks->env, NULL, 0, &txn) != 0) {
        out = API_ERR_DB;
        txn = NULL;
    }
    MDB_stat st;
    if (out == API_OK &&
        (mdb_stat(txn, ks->keys, &st) != 0 || keystore_secret_get(ks, txn, "salt", held) != 0))
        out = API_ERR_DB;
    if (out == API_OK && sodium_memcmp(held, secrets, KEYSTORE_SECRET_LEN) != 0) {
        if (st.ms_entries > 0) {
            snprintf(err, errcap,
                     "this store has keys of its own, hashed with another salt: import into a new replica's "
                     "empty store, or export from this one");
            out = API_ERR_EXISTS;
        } else {
            MDB_val ks1 = {4, "salt"}, v1 = {KEYSTORE_SECRET_LEN, secrets};
            MDB_val ks2 = {7, "log_key"}, v2 = {KEYSTORE_SECRET_LEN, secrets + KEYSTORE_SECRET_LEN};
            if (mdb_put(txn, ks->meta, &ks1, &v1, 0) != 0 || mdb_put(txn, ks->meta, &ks2, &v2, 0) != 0)
                out = API_ERR_DB;
            rep->secrets_taken = 1;
        }
    }
    if (out == API_OK) out = keystore_merge(ks, txn, list, n, rep, err, errcap);
    if (out == API_OK) {
        if (mdb_stat(txn, ks->keys, &st) != 0 || st.ms_entries > KEYSTORE_MAX_KEYS) out = API_ERR_FULL;
    }
    if (out == API_OK) {
        int rc = mdb_txn_commit(txn);
        if (rc != 0) out = rc == MDB_MAP_FULL ? API_ERR_FULL : API_ERR_DB;
    } else if (txn) {
        mdb_txn_abort(txn);
    }
    sodium_memzero(secrets, sizeof secrets);
    sodium_memzero(held, sizeof held);
    sodium_memzero(list, (n ? n : 1) * sizeof *list);
    free(list);
    if (out != API_OK) memset(rep, 0, sizeof *rep);
    if (out == API_OK) keystore_refresh_if(ks, 1);
    return out;
}
