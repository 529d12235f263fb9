/*
 * registry.c: LMDB storage of the issuer's registry.
 *
 * Databases: "meta" (named counters), "att" (cti -> entry record), "idx"
 * (status index, 4 bytes big-endian -> cti). Records have a fixed
 * big-endian layout with a version byte, so any tool can read them and a
 * later version can extend them. Every LMDB return code is checked; a
 * write is one transaction, so a crash leaves either all or nothing.
 */
#include "registry.h"

#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

#define REGISTRY_RECORD_VERSION 1
#define REGISTRY_RECORD_LEN 38

struct registry {
    MDB_env *env;
    MDB_dbi meta;
    MDB_dbi att;
    MDB_dbi idx;
};

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static void put_i64(uint8_t *p, int64_t s)
{
    uint64_t v = (uint64_t)s;
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t get_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return (int64_t)v;
}

static void registry_pack(uint8_t rec[REGISTRY_RECORD_LEN], const registry_entry *e)
{
    rec[0] = REGISTRY_RECORD_VERSION;
    put_u32(rec + 1, e->idx);
    put_i64(rec + 5, e->iat);
    put_i64(rec + 13, e->nbf);
    put_i64(rec + 21, e->exp);
    rec[29] = (uint8_t)e->status;
    put_i64(rec + 30, e->extended_until);
}

static int registry_unpack(registry_entry *e, const MDB_val *v)
{
    const uint8_t *rec = v->mv_data;
    if (v->mv_size < REGISTRY_RECORD_LEN || rec[0] != REGISTRY_RECORD_VERSION) return -1;
    e->idx = get_u32(rec + 1);
    e->iat = get_i64(rec + 5);
    e->nbf = get_i64(rec + 13);
    e->exp = get_i64(rec + 21);
    e->status = rec[29];
    e->extended_until = get_i64(rec + 30);
    return 0;
}

api_err registry_open(registry **out, const char *dir)
{
    *out = NULL;
    char path[4096];
    if (fs_join(path, sizeof path, dir, "registry") != 0) return API_ERR_ARG;
    api_err e = fs_mkdirs(path, 0700);
    if (e != API_OK) return e;
    registry *reg = calloc(1, sizeof *reg);
    if (!reg) return API_ERR_NOMEM;
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&reg->env);
    if (rc == 0) rc = mdb_env_set_maxdbs(reg->env, 8);
    if (rc == 0) rc = mdb_env_set_mapsize(reg->env, (size_t)REGISTRY_MAP_SIZE);
    if (rc == 0) rc = mdb_env_open(reg->env, path, MDB_NOTLS, 0600);
    if (rc == 0) {
        int dead = 0;
        rc = mdb_reader_check(reg->env, &dead);
    }
    if (rc == 0) rc = mdb_txn_begin(reg->env, NULL, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &reg->meta);
    if (rc == 0) rc = mdb_dbi_open(txn, "att", MDB_CREATE, &reg->att);
    if (rc == 0) rc = mdb_dbi_open(txn, "idx", MDB_CREATE, &reg->idx);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn) mdb_txn_abort(txn);
    if (rc != 0) {
        fprintf(stderr, "registry: %s\n", mdb_strerror(rc));
        registry_close(reg);
        return API_ERR_DB;
    }
    *out = reg;
    return API_OK;
}

void registry_close(registry *reg)
{
    if (!reg) return;
    if (reg->env) mdb_env_close(reg->env);
    free(reg);
}

static int registry_get_counter(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *value)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *value = 0;
        return 0;
    }
    if (rc != 0) return rc;
    if (v.mv_size != 8) return MDB_CORRUPTED;
    *value = (uint64_t)get_i64(v.mv_data);
    return 0;
}

static int registry_put_counter(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t value)
{
    uint8_t buf[8];
    put_i64(buf, (int64_t)value);
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v = {sizeof buf, buf};
    return mdb_put(txn, dbi, &k, &v, 0);
}

/* Stores one entry with a fresh cti and the next index. */
static int registry_allocate_one(registry *reg, MDB_txn *txn, const uint8_t seed[IDXPERM_SEED_LEN],
                                 uint64_t *counter, registry_entry *e)
{
    if (*counter >= IDXPERM_SIZE) return MDB_MAP_FULL;
    e->idx = idxperm_map(seed, (uint32_t)(*counter)++);
    e->status = 0;
    e->extended_until = 0;
    uint8_t idxkey[4];
    put_u32(idxkey, e->idx);
    MDB_val ik = {sizeof idxkey, idxkey}, k = {CLAIMS_CTI_LEN, e->cti}, v;
    int rc;
    for (int tries = 0;; tries++) {
        randombytes_buf(e->cti, CLAIMS_CTI_LEN);
        rc = mdb_get(txn, reg->att, &k, &v);
        if (rc == MDB_NOTFOUND) break;
        if (rc != 0) return rc;
        if (tries > 8) return MDB_KEYEXIST; /* 96 random bits: never in practice */
    }
    uint8_t rec[REGISTRY_RECORD_LEN];
    registry_pack(rec, e);
    v.mv_size = sizeof rec;
    v.mv_data = rec;
    rc = mdb_put(txn, reg->att, &k, &v, MDB_NOOVERWRITE);
    if (rc != 0) return rc;
    MDB_val cv = {CLAIMS_CTI_LEN, e->cti};
    return mdb_put(txn, reg->idx, &ik, &cv, MDB_NOOVERWRITE);
}

api_err registry_allocate(registry *reg, const uint8_t seed[IDXPERM_SEED_LEN], registry_entry *entries, size_t n)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(reg->env, NULL, 0, &txn);
    if (rc != 0) return API_ERR_DB;
    uint64_t counter;
    rc = registry_get_counter(txn, reg->meta, "index_counter", &counter);
    for (size_t i = 0; rc == 0 && i < n; i++) rc = registry_allocate_one(reg, txn, seed, &counter, &entries[i]);
    if (rc == 0) rc = registry_put_counter(txn, reg->meta, "index_counter", counter);
    if (rc != 0) {
        mdb_txn_abort(txn);
        if (rc == MDB_MAP_FULL) return API_ERR_FULL;
        fprintf(stderr, "registry: %s\n", mdb_strerror(rc));
        return API_ERR_DB;
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        fprintf(stderr, "registry: %s\n", mdb_strerror(rc));
        return API_ERR_DB;
    }
    return API_OK;
}

api_err registry_get(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], registry_entry *out)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    MDB_val k = {CLAIMS_CTI_LEN, (void *)(uintptr_t)cti}, v;
    int rc = mdb_get(txn, reg->att, &k, &v);
    api_err e = API_OK;
    if (rc == MDB_NOTFOUND) e = API_ERR_NOT_FOUND;
    else if (rc != 0 || registry_unpack(out, &v) != 0) e = API_ERR_DB;
    else memcpy(out->cti, cti, CLAIMS_CTI_LEN);
    mdb_txn_abort(txn);
    return e;
}

api_err registry_count(registry *reg, uint64_t *count)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    MDB_stat st;
    int rc = mdb_stat(txn, reg->att, &st);
    mdb_txn_abort(txn);
    if (rc != 0) return API_ERR_DB;
    *count = st.ms_entries;
    return API_OK;
}
