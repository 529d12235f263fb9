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
 * bytes keyed with the salt: the bytes are random, so a fast hash is
 * enough, and the salt keeps the hashes useless outside this store.
 *
 * Checks (the service's path) read a sorted copy of the records kept in
 * memory under a read-write lock; the copy is made again when LMDB's last
 * committed transaction id differs from the one it was made at, which the
 * service sees at its next request after `keys add` or `keys revoke` ran in
 * another process.
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

#include "common/b64url.h"
#include "common/bytes.h"
#include "common/fs.h"
#include "common/text.h"

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
    pthread_rwlock_t lock;  /* guards cache and n_cache */
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

static int keystore_decode(keystore_entry *e, const MDB_val *k, const MDB_val *v)
{
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
    crypto_generichash(out, KEYSTORE_HASH_LEN, secret, KEYSTORE_SECRET_LEN, ks->salt, sizeof ks->salt);
}

/* ---- opening ---- */

/* The secret named name in meta, drawn and stored if missing. */
static int keystore_secret(keystore *ks, MDB_txn *txn, const char *name, uint8_t out[KEYSTORE_SECRET_LEN])
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v;
    int rc = mdb_get(txn, ks->meta, &k, &v);
    if (rc == 0) {
        if (v.mv_size != KEYSTORE_SECRET_LEN) return MDB_CORRUPTED;
        memcpy(out, v.mv_data, KEYSTORE_SECRET_LEN);
        return 0;
    }
    if (rc != MDB_NOTFOUND) return rc;
    randombytes_buf(out, KEYSTORE_SECRET_LEN);
    v.mv_size = KEYSTORE_SECRET_LEN;
    v.mv_data = out;
    return mdb_put(txn, ks->meta, &k, &v, 0);
}

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
    int rc = mdb_env_create(&ks->env);
    if (rc == 0) rc = mdb_env_set_maxdbs(ks->env, 4);
    if (rc == 0) rc = mdb_env_set_mapsize(ks->env, KEYSTORE_MAP_SIZE);
    if (rc == 0) rc = mdb_env_open(ks->env, dir, MDB_NOTLS, 0600);
    if (rc == 0) {
        int dead = 0;
        rc = mdb_reader_check(ks->env, &dead);
    }
    if (rc == 0) rc = mdb_txn_begin(ks->env, NULL, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &ks->meta);
    if (rc == 0) rc = mdb_dbi_open(txn, "keys", MDB_CREATE, &ks->keys);
    if (rc == 0) {
        uint8_t version = KEYSTORE_REC_VERSION;
        MDB_val k = {7, "version"}, v = {1, &version};
        rc = mdb_put(txn, ks->meta, &k, &v, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) rc = 0;
    }
    if (rc == 0) rc = keystore_secret(ks, txn, "salt", ks->salt);
    if (rc == 0) rc = keystore_secret(ks, txn, "log_key", ks->log_key);
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

/* Reads every record in one read transaction: *entries malloc'd, sorted by id (LMDB's key order). */
static api_err keystore_read_all(keystore *ks, keystore_entry **entries, size_t *n, uint64_t *txnid)
{
    *entries = NULL;
    *n = 0;
    MDB_txn *txn;
    if (mdb_txn_begin(ks->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    if (txnid) *txnid = mdb_txn_id(txn);
    MDB_stat st;
    int rc = mdb_stat(txn, ks->keys, &st);
    size_t cap = rc == 0 ? st.ms_entries : 0;
    keystore_entry *list = cap ? calloc(cap, sizeof *list) : NULL;
    if (rc == 0 && cap && !list) {
        mdb_txn_abort(txn);
        return API_ERR_NOMEM;
    }
    MDB_cursor *cur = NULL;
    if (rc == 0) rc = mdb_cursor_open(txn, ks->keys, &cur);
    size_t count = 0;
    MDB_val k, v;
    for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
        rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op);
        if (rc != 0) break;
        if (count == cap || keystore_decode(&list[count], &k, &v) != 0) {
            rc = MDB_CORRUPTED;
            break;
        }
        count++;
    }
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != MDB_NOTFOUND) {
        free(list);
        return API_ERR_DB;
    }
    *entries = list;
    *n = count;
    return API_OK;
}

static uint64_t keystore_last_txnid(keystore *ks)
{
    MDB_envinfo info;
    if (mdb_env_info(ks->env, &info) != 0) return 0;
    return (uint64_t)info.me_last_txnid;
}

/* Makes the cache current; 0, or -1 when the store cannot be read (the old cache is kept). */
static int keystore_refresh(keystore *ks)
{
    uint64_t last = keystore_last_txnid(ks);
    if (atomic_load(&ks->cache_txnid) == last && last != 0) return 0;
    pthread_mutex_lock(&ks->reload);
    int out = 0;
    if (atomic_load(&ks->cache_txnid) != last || last == 0) {
        keystore_entry *list;
        size_t n;
        uint64_t txnid;
        if (keystore_read_all(ks, &list, &n, &txnid) != API_OK) {
            out = -1;
        } else {
            pthread_rwlock_wrlock(&ks->lock);
            keystore_entry *old = ks->cache;
            size_t old_n = ks->n_cache;
            ks->cache = list;
            ks->n_cache = n;
            atomic_store(&ks->cache_ready, 1);
            pthread_rwlock_unlock(&ks->lock);
            if (old) sodium_memzero(old, old_n * sizeof *old);
            free(old);
            atomic_store(&ks->cache_txnid, txnid);
        }
    }
    pthread_mutex_unlock(&ks->reload);
    return out;
}

keystore_check_result keystore_check(keystore *ks, const char *key, size_t len, keystore_record *rec)
{
    const size_t plen = sizeof KEYSTORE_PREFIX - 1;
    uint8_t secret[KEYSTORE_SECRET_LEN], hash[KEYSTORE_HASH_LEN];
    if (!ks || !key || len != KEYSTORE_TEXT_LEN || memcmp(key, KEYSTORE_PREFIX, plen) != 0)
        return KEYSTORE_UNKNOWN;
    for (size_t i = plen; i < len; i++) /* b64url_decode_exact allows white space: a key has none */
        if (key[i] == ' ' || key[i] == '\t' || key[i] == '\r' || key[i] == '\n') return KEYSTORE_UNKNOWN;
    if (b64url_decode_exact(secret, sizeof secret, key + plen, len - plen) != 0) return KEYSTORE_UNKNOWN;
    keystore_hash(ks, hash, secret);
    sodium_memzero(secret, sizeof secret);
    if (keystore_refresh(ks) != 0 && !atomic_load(&ks->cache_ready)) return KEYSTORE_ERROR;

    keystore_entry probe;
    memcpy(probe.rec.id, key + plen, KEYSTORE_ID_LEN);
    keystore_check_result out = KEYSTORE_UNKNOWN;
    pthread_rwlock_rdlock(&ks->lock);
    const keystore_entry *e =
        ks->n_cache ? bsearch(&probe, ks->cache, ks->n_cache, sizeof *ks->cache, keystore_entry_cmp) : NULL;
    if (e && sodium_memcmp(e->hash, hash, KEYSTORE_HASH_LEN) == 0) {
        out = e->rec.revoked ? KEYSTORE_REVOKED : KEYSTORE_VALID;
        if (rec) *rec = e->rec;
    }
    pthread_rwlock_unlock(&ks->lock);
    return out;
}

void keystore_log_hash(const keystore *ks, uint8_t out[KEYSTORE_LOG_HASH_LEN], const uint8_t *data,
                       size_t len)
{
    crypto_generichash(out, KEYSTORE_LOG_HASH_LEN, data, len, ks->log_key, sizeof ks->log_key);
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
        randombytes_buf(secret, sizeof secret);
        memcpy(text, KEYSTORE_PREFIX, plen);
        if (b64url_encode(text + plen, sizeof text - plen, secret, sizeof secret) != 0) {
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
    api_err e = keystore_read_all(ks, &list, &count, NULL);
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
