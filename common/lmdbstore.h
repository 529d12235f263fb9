/*
 * lmdbstore.h: what the small LMDB stores of the services share (the
 * verifier service's API keys, verifier/service/keystore; the issuer admin
 * API's clients, issuer/clients): an environment of their own in a folder,
 * a random secret drawn once and kept in it, every record of a database
 * read in one transaction, and the id of the last committed transaction, by
 * which a reader sees that another process (a command run while the service
 * runs) changed the store.
 */
#ifndef API_LMDBSTORE_H
#define API_LMDBSTORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Opens (creating its files) the environment in folder dir, which must
 * exist: MDB_NOTLS (threads share read transactions' slots), files 0600, at
 * most maxdbs named databases, a map of mapsize bytes; the reader slots of
 * dead processes cleared. 0, or LMDB's error code (then *env is NULL).
 */
int lmdbstore_env_open(MDB_env **env, const char *dir, size_t mapsize, unsigned maxdbs);

/*
 * In txn (the first write transaction after opening): opens, creating
 * them, the database "meta" into *meta and the database name into *db, and
 * stores version under "version" in meta unless one is there. 0, or
 * LMDB's error.
 */
int lmdbstore_dbs(MDB_txn *txn, MDB_dbi *meta, const char *name, MDB_dbi *db, uint8_t version);

/*
 * The secret of len bytes named name in database dbi, read into out; drawn
 * at random and stored in txn (a write transaction) when there is none. 0,
 * MDB_CORRUPTED for a stored value of another length, or LMDB's error.
 */
int lmdbstore_secret(MDB_txn *txn, MDB_dbi dbi, const char *name, uint8_t *out, size_t len);

/* Turns one record into an item; 0, or -1 for a record that is not one. */
typedef int (*lmdbstore_decode_fn)(void *item, const MDB_val *key, const MDB_val *val);

/*
 * Every record of dbi in txn, in key order, decoded into an array of
 * item_size items: *items is calloc'd (never NULL on success, even for no
 * record; the caller frees it, after wiping it if it holds secrets), *n its
 * count. 0; MDB_CORRUPTED when decode refuses a record; ENOMEM; or LMDB's
 * error (then *items is NULL and nothing is left allocated).
 */
int lmdbstore_read_all(MDB_txn *txn, MDB_dbi dbi, size_t item_size, lmdbstore_decode_fn decode, void **items,
                       size_t *n);

/* The id of the last transaction committed to env, by any process; 0 if it cannot be read. */
uint64_t lmdbstore_last_txnid(MDB_env *env);

#endif
