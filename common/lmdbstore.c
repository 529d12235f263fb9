/*
 * lmdbstore.c: the shared mechanics of the services' small LMDB stores
 * (see lmdbstore.h). It knows no record layout: the stores decode their
 * own records and keep their own copies in memory. Every LMDB return code
 * is checked and handed back; a failed read leaves nothing allocated and
 * wipes what it had decoded (records may hold hashes of secrets).
 */
#include "common/lmdbstore.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int lmdbstore_env_open(MDB_env **env, const char *dir, size_t mapsize, unsigned maxdbs)
{
    *env = NULL;
    MDB_env *e;
    int rc = mdb_env_create(&e);
    if (rc != 0) return rc;
    rc = mdb_env_set_maxdbs(e, (MDB_dbi)maxdbs);
    if (rc == 0) rc = mdb_env_set_mapsize(e, mapsize);
    if (rc == 0) rc = mdb_env_open(e, dir, MDB_NOTLS, 0600);
    if (rc == 0) {
        int dead = 0;
        rc = mdb_reader_check(e, &dead);
    }
    if (rc != 0) {
        mdb_env_close(e);
        return rc;
    }
    *env = e;
    return 0;
}

int lmdbstore_dbs(MDB_txn *txn, MDB_dbi *meta, const char *name, MDB_dbi *db, uint8_t version)
{
    int rc = mdb_dbi_open(txn, "meta", MDB_CREATE, meta);
    if (rc == 0) rc = mdb_dbi_open(txn, name, MDB_CREATE, db);
    if (rc == 0) {
        MDB_val k = {7, "version"}, v = {1, &version};
        rc = mdb_put(txn, *meta, &k, &v, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) rc = 0;
    }
    return rc;
}

int lmdbstore_secret(MDB_txn *txn, MDB_dbi dbi, const char *name, uint8_t *out, size_t len)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == 0) {
        if (v.mv_size != len) return MDB_CORRUPTED;
        memcpy(out, v.mv_data, len);
        return 0;
    }
    if (rc != MDB_NOTFOUND) return rc;
    randombytes_buf(out, len);
    v.mv_size = len;
    v.mv_data = out;
    return mdb_put(txn, dbi, &k, &v, 0);
}

int lmdbstore_read_all(MDB_txn *txn, MDB_dbi dbi, size_t item_size, lmdbstore_decode_fn decode, void **items,
                       size_t *n)
{
    *items = NULL;
    *n = 0;
    MDB_stat st;
    int rc = mdb_stat(txn, dbi, &st);
    if (rc != 0) return rc;
    size_t cap = st.ms_entries;
    if (cap > SIZE_MAX / item_size - 1) return ENOMEM;
    uint8_t *list = calloc(cap ? cap : 1, item_size);
    if (!list) return ENOMEM;
    MDB_cursor *cur = NULL;
    rc = mdb_cursor_open(txn, dbi, &cur);
    size_t count = 0;
    MDB_val k, v;
    for (MDB_cursor_op op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
        rc = mdb_cursor_get(cur, &k, &v, op);
        if (rc != 0) break;
        if (count == cap || decode(list + count * item_size, &k, &v) != 0) {
            rc = MDB_CORRUPTED;
            break;
        }
        count++;
    }
    if (cur) mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        sodium_memzero(list, (cap ? cap : 1) * item_size);
        free(list);
        return rc;
    }
    *items = list;
    *n = count;
    return 0;
}

uint64_t lmdbstore_last_txnid(MDB_env *env)
{
    MDB_envinfo info;
    if (mdb_env_info(env, &info) != 0) return 0;
    return (uint64_t)info.me_last_txnid;
}
