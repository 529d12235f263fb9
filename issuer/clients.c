/*
 * clients.c: the admin API's clients in their own LMDB environment (see
 * clients.h).
 *
 * It owns ISS/clients/: the clients' records and the key of the token
 * hashes, drawn once. It must never store, print or log a token (only its
 * keyed hash), and never hand out the key.
 *
 * Layout: one environment (MDB_NOTLS, 0600), two named databases.
 *
 *   meta     "version"  1 byte: 1
 *            "key"      32 random bytes: the BLAKE2b key of the token hashes
 *   clients  name (1..64 bytes) -> version (1) | role (1) | rate u32 |
 *            created i64 | expires i64 | lifetime i64 | rotated i64 |
 *            overlap_ends i64 | revoked i64 | hash [32] | previous hash [32]
 *
 * Integers are big-endian. The previous hash is that of the token a
 * rotation replaced, valid until overlap_ends (zeros and 0 when there is
 * none); one rotation during another's overlap ends the older token.
 *
 * A token carries no id, so authentication hashes it and compares the hash
 * with every client's two hashes, in constant time each and without
 * stopping at a match: a préfecture has a handful of systems, and
 * CLIENTS_MAX bounds the scan. The records are read from a copy in memory
 * under a read-write lock, made again when LMDB's last committed
 * transaction id changed (another process ran `clients add`, `rotate` or
 * `revoke`), so serve sees a change at its next request and a request
 * costs no LMDB transaction (common/lmdbstore holds what this store shares
 * with the verifier's API keys). The rate limits are token buckets named by the
 * client (common/ratelimit), kept across reloads.
 */
#include "issuer/clients.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/fs.h"
#include "common/lmdbstore.h"
#include "common/ratelimit.h"
#include "common/text.h"
#include "common/token.h"

#define CLIENTS_MAP_SIZE    (16u << 20)
#define CLIENTS_REC_VERSION 1
#define CLIENTS_REC_LEN     (1 + 1 + 4 + 6 * 8 + 2 * TOKEN_HASH_LEN)
#define CLIENTS_RATE_SLOTS  (2 * CLIENTS_MAX)

typedef struct {
    client_record rec;
    uint8_t hash[TOKEN_HASH_LEN];
    uint8_t prev_hash[TOKEN_HASH_LEN];
} clients_entry;

struct clients {
    MDB_env *env;
    MDB_dbi meta, db;
    uint8_t key[TOKEN_KEY_LEN];
    ratelimit *rates;
    pthread_rwlock_t lock;  /* guards cache and n_cache */
    pthread_mutex_t reload; /* one reload at a time */
    _Atomic uint64_t cache_txnid;
    _Atomic int cache_ready;
    clients_entry *cache;
    size_t n_cache;
};

static const char *const clients_roles[] = {NULL, "read", "issue", "manage"};

const char *clients_role_name(client_role role)
{
    return role >= CLIENT_ROLE_READ && role <= CLIENT_ROLE_MANAGE ? clients_roles[role] : "unknown";
}

int clients_role_parse(client_role *role, const char *name)
{
    for (int r = CLIENT_ROLE_READ; name && r <= CLIENT_ROLE_MANAGE; r++)
        if (strcmp(name, clients_roles[r]) == 0) {
            *role = (client_role)r;
            return 0;
        }
    return -1;
}

const char *clients_state(const client_record *rec, int64_t now)
{
    if (rec->revoked) return "revoked";
    return now >= rec->expires ? "expired" : "active";
}

/* ---- encodings ---- */

static int clients_decode(void *item, const MDB_val *k, const MDB_val *v)
{
    clients_entry *e = item;
    const uint8_t *p = v->mv_data;
    if (k->mv_size < 1 || k->mv_size > CLIENTS_NAME_MAX || v->mv_size != CLIENTS_REC_LEN ||
        p[0] != CLIENTS_REC_VERSION || p[1] < CLIENT_ROLE_READ || p[1] > CLIENT_ROLE_MANAGE)
        return -1;
    memset(e, 0, sizeof *e);
    memcpy(e->rec.name, k->mv_data, k->mv_size);
    e->rec.role = (client_role)p[1];
    e->rec.rate = bytes_get_be32(p + 2);
    e->rec.created = bytes_get_be64s(p + 6);
    e->rec.expires = bytes_get_be64s(p + 14);
    e->rec.lifetime = bytes_get_be64s(p + 22);
    e->rec.rotated = bytes_get_be64s(p + 30);
    e->rec.overlap_ends = bytes_get_be64s(p + 38);
    e->rec.revoked = bytes_get_be64s(p + 46);
    memcpy(e->hash, p + 54, TOKEN_HASH_LEN);
    memcpy(e->prev_hash, p + 54 + TOKEN_HASH_LEN, TOKEN_HASH_LEN);
    return 0;
}

static int clients_put(clients *c, MDB_txn *txn, const clients_entry *e, unsigned flags)
{
    uint8_t buf[CLIENTS_REC_LEN];
    buf[0] = CLIENTS_REC_VERSION;
    buf[1] = (uint8_t)e->rec.role;
    bytes_put_be32(buf + 2, e->rec.rate);
    bytes_put_be64s(buf + 6, e->rec.created);
    bytes_put_be64s(buf + 14, e->rec.expires);
    bytes_put_be64s(buf + 22, e->rec.lifetime);
    bytes_put_be64s(buf + 30, e->rec.rotated);
    bytes_put_be64s(buf + 38, e->rec.overlap_ends);
    bytes_put_be64s(buf + 46, e->rec.revoked);
    memcpy(buf + 54, e->hash, TOKEN_HASH_LEN);
    memcpy(buf + 54 + TOKEN_HASH_LEN, e->prev_hash, TOKEN_HASH_LEN);
    MDB_val k = {strlen(e->rec.name), (void *)(uintptr_t)e->rec.name}, v = {sizeof buf, buf};
    return mdb_put(txn, c->db, &k, &v, flags);
}

/* ---- opening ---- */

api_err clients_open(clients **out, const char *issdir)
{
    *out = NULL;
    if (sodium_init() < 0) return API_ERR_CRYPTO;
    char dir[4096];
    if (fs_join(dir, sizeof dir, issdir, "clients") != 0) return API_ERR_ARG;
    api_err e = fs_mkdirs(dir, 0700);
    if (e != API_OK) return e;
    clients *c = calloc(1, sizeof *c);
    if (!c) return API_ERR_NOMEM;
    if (pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c);
        return API_ERR_NOMEM;
    }
    if (pthread_mutex_init(&c->reload, NULL) != 0) {
        pthread_rwlock_destroy(&c->lock);
        free(c);
        return API_ERR_NOMEM;
    }
    atomic_init(&c->cache_txnid, 0);
    atomic_init(&c->cache_ready, 0);
    if (ratelimit_new(&c->rates, CLIENTS_RATE_SLOTS) != API_OK) {
        clients_close(c);
        return API_ERR_NOMEM;
    }
    MDB_txn *txn = NULL;
    int rc = lmdbstore_env_open(&c->env, dir, CLIENTS_MAP_SIZE, 4);
    if (rc == 0) rc = mdb_txn_begin(c->env, NULL, 0, &txn);
    if (rc == 0) rc = lmdbstore_dbs(txn, &c->meta, "clients", &c->db, CLIENTS_REC_VERSION);
    if (rc == 0) rc = lmdbstore_secret(txn, c->meta, "key", c->key, sizeof c->key); /* drawn once */
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn) mdb_txn_abort(txn);
    if (rc != 0) {
        fprintf(stderr, "clients: %s: %s\n", dir, mdb_strerror(rc));
        clients_close(c);
        return rc == MDB_MAP_FULL ? API_ERR_FULL : API_ERR_DB;
    }
    *out = c;
    return API_OK;
}

void clients_close(clients *c)
{
    if (!c) return;
    if (c->env) mdb_env_close(c->env);
    sodium_memzero(c->key, sizeof c->key);
    if (c->cache) sodium_memzero(c->cache, c->n_cache * sizeof *c->cache);
    free(c->cache);
    ratelimit_free(c->rates);
    pthread_mutex_destroy(&c->reload);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* ---- reading ---- */

/* Every record in one read transaction: *entries malloc'd, in name order. */
static api_err clients_read_all(clients *c, clients_entry **entries, size_t *n, uint64_t *txnid)
{
    *entries = NULL;
    *n = 0;
    MDB_txn *txn;
    if (mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    if (txnid) *txnid = mdb_txn_id(txn);
    void *items;
    int rc = lmdbstore_read_all(txn, c->db, sizeof(clients_entry), clients_decode, &items, n);
    mdb_txn_abort(txn);
    if (rc != 0) return rc == ENOMEM ? API_ERR_NOMEM : API_ERR_DB;
    *entries = items;
    return API_OK;
}

/* Makes the copy in memory current; 0, or -1 when the store cannot be read (the old copy is kept). */
static int clients_refresh(clients *c)
{
    uint64_t last = lmdbstore_last_txnid(c->env);
    if (last != 0 && atomic_load(&c->cache_txnid) == last) return 0;
    pthread_mutex_lock(&c->reload);
    int out = 0;
    if (last == 0 || atomic_load(&c->cache_txnid) != last) {
        clients_entry *list;
        size_t n;
        uint64_t txnid;
        if (clients_read_all(c, &list, &n, &txnid) != API_OK) {
            out = -1;
        } else {
            pthread_rwlock_wrlock(&c->lock);
            clients_entry *old = c->cache;
            size_t old_n = c->n_cache;
            c->cache = list;
            c->n_cache = n;
            atomic_store(&c->cache_ready, 1);
            pthread_rwlock_unlock(&c->lock);
            if (old) sodium_memzero(old, old_n * sizeof *old);
            free(old);
            atomic_store(&c->cache_txnid, txnid);
        }
    }
    pthread_mutex_unlock(&c->reload);
    return out;
}

clients_result clients_authenticate(clients *c, const char *token, size_t tokenlen, int64_t now_ms,
                                    client_info *who)
{
    uint8_t secret[TOKEN_SECRET_LEN], hash[TOKEN_HASH_LEN];
    if (who) memset(who, 0, sizeof *who);
    if (!c || token_parse(secret, CLIENTS_PREFIX, token, tokenlen) != 0) return CLIENTS_UNKNOWN;
    token_hash(hash, secret, c->key);
    sodium_memzero(secret, sizeof secret);
    if (clients_refresh(c) != 0 && !atomic_load(&c->cache_ready)) return CLIENTS_ERROR;

    int64_t now = now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000); /* floor */
    client_record found;
    memset(&found, 0, sizeof found);
    int which = 0; /* 1: the current token, 2: the previous one */
    pthread_rwlock_rdlock(&c->lock);
    for (size_t i = 0; i < c->n_cache; i++) { /* every entry, whatever matched */
        const clients_entry *e = &c->cache[i];
        int cur = sodium_memcmp(e->hash, hash, TOKEN_HASH_LEN) == 0;
        int prev = sodium_memcmp(e->prev_hash, hash, TOKEN_HASH_LEN) == 0 && e->rec.overlap_ends != 0;
        if ((cur || prev) && !which) {
            found = e->rec;
            which = cur ? 1 : 2;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    if (!which || found.revoked) return CLIENTS_UNKNOWN;
    if (now >= (which == 1 ? found.expires : found.overlap_ends)) return CLIENTS_EXPIRED;
    client_info info;
    memset(&info, 0, sizeof info);
    memcpy(info.name, found.name, sizeof info.name);
    info.role = found.role;
    info.rate = found.rate;
    clients_result out = CLIENTS_OK;
    unsigned retry = 0;
    double rate = found.rate;
    if (found.rate &&
        ratelimit_take(c->rates, info.name, strlen(info.name), rate, rate, now_ms, &retry) != 0) {
        out = CLIENTS_RATE;
        info.retry_after = retry ? retry : 1;
    }
    if (who) *who = info;
    return out;
}

/* ---- changes ---- */

/* Commits txn if rc is 0, else aborts it; the api_err of rc. */
static api_err clients_finish(MDB_txn *txn, int rc)
{
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc == 0) return API_OK;
    return rc == MDB_MAP_FULL ? API_ERR_FULL : API_ERR_DB;
}

/* A new token: its text into token, its hash into hash. */
static int clients_new_token(const clients *c, char token[CLIENTS_TOKEN_LEN + 1],
                             uint8_t hash[TOKEN_HASH_LEN])
{
    uint8_t secret[TOKEN_SECRET_LEN];
    if (token_make(token, CLIENTS_TOKEN_LEN + 1, secret, CLIENTS_PREFIX) != 0) return -1;
    token_hash(hash, secret, c->key);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

static int clients_name_ok(const char *name)
{
    return name && text_plain_ok(name, 1, CLIENTS_NAME_MAX + 1);
}

api_err clients_add(clients *c, char token[CLIENTS_TOKEN_LEN + 1], client_record *rec, const char *name,
                    client_role role, uint32_t rate, int64_t lifetime, int64_t now)
{
    token[0] = '\0';
    if (!clients_name_ok(name) || role < CLIENT_ROLE_READ || role > CLIENT_ROLE_MANAGE ||
        rate > CLIENTS_MAX_RATE || lifetime < 1 || lifetime > CLIENTS_MAX_LIFETIME)
        return API_ERR_ARG;
    clients_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.rec.name, sizeof e.rec.name, "%s", name);
    e.rec.role = role;
    e.rec.rate = rate;
    e.rec.created = now;
    e.rec.lifetime = lifetime;
    e.rec.expires = now + lifetime;
    char text[CLIENTS_TOKEN_LEN + 1];
    if (clients_new_token(c, text, e.hash) != 0) return API_ERR_ARG;
    MDB_txn *txn;
    if (mdb_txn_begin(c->env, NULL, 0, &txn) != 0) {
        sodium_memzero(text, sizeof text);
        return API_ERR_DB;
    }
    MDB_stat st;
    int rc = mdb_stat(txn, c->db, &st);
    api_err out = API_OK;
    if (rc == 0 && st.ms_entries >= CLIENTS_MAX) {
        mdb_txn_abort(txn);
        out = API_ERR_FULL;
    } else {
        if (rc == 0) rc = clients_put(c, txn, &e, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) {
            mdb_txn_abort(txn);
            out = API_ERR_EXISTS;
        } else {
            out = clients_finish(txn, rc);
        }
    }
    if (out == API_OK) {
        memcpy(token, text, sizeof text);
        if (rec) *rec = e.rec;
    }
    sodium_memzero(text, sizeof text);
    sodium_memzero(&e, sizeof e);
    return out;
}

/* Reads client name for a change in txn: 0, MDB_NOTFOUND, or another LMDB error. */
static int clients_get(clients *c, MDB_txn *txn, const char *name, clients_entry *e)
{
    if (!clients_name_ok(name)) return MDB_NOTFOUND;
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v;
    int rc = mdb_get(txn, c->db, &k, &v);
    if (rc == 0 && clients_decode(e, &k, &v) != 0) rc = MDB_CORRUPTED;
    return rc;
}

api_err clients_rotate(clients *c, char token[CLIENTS_TOKEN_LEN + 1], client_record *rec, const char *name,
                       int64_t lifetime, int64_t overlap, int64_t now)
{
    token[0] = '\0';
    if (lifetime < 0 || lifetime > CLIENTS_MAX_LIFETIME || overlap < 0 || overlap > CLIENTS_MAX_OVERLAP)
        return API_ERR_ARG;
    MDB_txn *txn;
    if (mdb_txn_begin(c->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    clients_entry e;
    int rc = clients_get(c, txn, name, &e);
    if (rc != 0 || e.rec.revoked) {
        mdb_txn_abort(txn);
        if (rc == 0 && rec) *rec = e.rec;
        return rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND : rc == 0 ? API_ERR_EXISTS : API_ERR_DB;
    }
    char text[CLIENTS_TOKEN_LEN + 1];
    /* the current token becomes the previous one, until the overlap ends (never past its own end) */
    memcpy(e.prev_hash, e.hash, TOKEN_HASH_LEN);
    e.rec.overlap_ends = now + overlap < e.rec.expires ? now + overlap : e.rec.expires;
    if (e.rec.overlap_ends <= now) { /* no overlap: the old token stops now */
        e.rec.overlap_ends = 0;
        memset(e.prev_hash, 0, TOKEN_HASH_LEN);
    }
    if (lifetime) e.rec.lifetime = lifetime;
    e.rec.expires = now + e.rec.lifetime;
    e.rec.rotated = now;
    if (clients_new_token(c, text, e.hash) != 0) rc = EINVAL;
    if (rc == 0) rc = clients_put(c, txn, &e, 0);
    api_err out = clients_finish(txn, rc);
    if (out == API_OK) {
        memcpy(token, text, sizeof text);
        if (rec) *rec = e.rec;
    }
    sodium_memzero(text, sizeof text);
    sodium_memzero(&e, sizeof e);
    return out;
}

api_err clients_revoke(clients *c, const char *name, int64_t now, client_record *rec)
{
    MDB_txn *txn;
    if (mdb_txn_begin(c->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    clients_entry e;
    int rc = clients_get(c, txn, name, &e);
    if (rc != 0 || e.rec.revoked) {
        mdb_txn_abort(txn);
        if (rc == 0 && rec) *rec = e.rec;
        return rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND : rc == 0 ? API_ERR_EXISTS : API_ERR_DB;
    }
    e.rec.revoked = now > 0 ? now : 1;
    rc = clients_put(c, txn, &e, 0);
    api_err out = clients_finish(txn, rc);
    if (out == API_OK && rec) *rec = e.rec;
    return out;
}

api_err clients_list(clients *c, client_record **recs, size_t *n)
{
    *recs = NULL;
    *n = 0;
    clients_entry *list;
    size_t count;
    api_err e = clients_read_all(c, &list, &count, NULL);
    if (e != API_OK) return e;
    client_record *out = calloc(count ? count : 1, sizeof *out);
    if (!out) {
        sodium_memzero(list, count * sizeof *list);
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
