/*
 * idempotency.c: the store of first answers (idempotency.h), one
 * encrypted file per (client, key) in ISS/idempotency/.
 *
 * File: nonce (24 bytes) || secretbox(plain), plain = version (1) ||
 * created (8, big-endian seconds) || request hash (32) || status (4,
 * big-endian; 0 = pending) || answer. Files are written with
 * fs_write_atomic (durable before the request acts, or before its answer
 * leaves), so a record is whole or absent.
 *
 * In-flight keys are a list under one lock; a request that finds its key
 * in the list waits on the condition variable until the holder finishes
 * or abandons, then looks again. The list is short: one entry per request
 * being answered.
 */
#include "issuer/idempotency.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/fs.h"

#define IDEM_VERSION 1
#define IDEM_HEAD    (1 + 8 + 32 + 4)

typedef struct idem_flight {
    char file[65];
    struct idem_flight *next;
} idem_flight;

struct idempotency {
    char dir[4096];
    uint8_t key[crypto_secretbox_KEYBYTES];
    pthread_mutex_t lock;
    pthread_cond_t done;
    idem_flight *flying;
};

static api_err idem_load_key(idempotency *s)
{
    char path[4200];
    if (fs_join(path, sizeof path, s->dir, "secret.key") != 0) return API_ERR_ARG;
    uint8_t *data = NULL;
    size_t len = 0;
    api_err e = fs_read_file(&data, &len, path, 64);
    if (e == API_OK) {
        if (len != sizeof s->key)
            e = API_ERR_CRYPTO;
        else
            memcpy(s->key, data, sizeof s->key);
        sodium_memzero(data, len);
        free(data);
        return e;
    }
    if (errno != ENOENT) return API_ERR_IO;
    randombytes_buf(s->key, sizeof s->key);
    e = fs_write_atomic(path, s->key, sizeof s->key, 0600, 1);
    if (e == API_ERR_EXISTS) return idem_load_key(s); /* another process made it first */
    return e;
}

api_err idempotency_open(idempotency **out, const char *issdir)
{
    *out = NULL;
    idempotency *s = sodium_malloc(sizeof *s);
    if (!s) return API_ERR_NOMEM;
    memset(s, 0, sizeof *s);
    api_err e = fs_join(s->dir, sizeof s->dir, issdir, "idempotency") == 0 ? API_OK : API_ERR_ARG;
    if (e == API_OK) e = fs_mkdirs(s->dir, 0700);
    if (e == API_OK) e = idem_load_key(s);
    if (e != API_OK) {
        sodium_free(s);
        return e;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->done, NULL);
    *out = s;
    return API_OK;
}

void idempotency_close(idempotency *s)
{
    if (!s) return;
    while (s->flying) {
        idem_flight *f = s->flying;
        s->flying = f->next;
        free(f);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->done);
    sodium_free(s); /* wipes the key */
}

int idempotency_key_valid(const char *key)
{
    size_t n = key ? strnlen(key, IDEMPOTENCY_KEY_MAX + 1) : 0;
    if (n == 0 || n > IDEMPOTENCY_KEY_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (key[i] < 0x21 || key[i] > 0x7e) return 0;
    return 1;
}

/* Whether file is in flight (the lock held). */
static int idem_flying(const idempotency *s, const char *file)
{
    for (const idem_flight *f = s->flying; f; f = f->next)
        if (!strcmp(f->file, file)) return 1;
    return 0;
}

static void idem_release(idempotency *s, const char *file)
{
    pthread_mutex_lock(&s->lock);
    for (idem_flight **p = &s->flying; *p; p = &(*p)->next)
        if (!strcmp((*p)->file, file)) {
            idem_flight *f = *p;
            *p = f->next;
            free(f);
            break;
        }
    pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->lock);
}

static int idem_path(const idempotency *s, char *out, size_t cap, const char *file)
{
    return fs_join(out, cap, s->dir, file);
}

/* Writes the record of slot: status (0 pending) and answer. */
static api_err idem_store(idempotency *s, const idempotency_slot *slot, int status, const char *answer,
                          size_t len)
{
    if (len > IDEMPOTENCY_ANSWER_MAX) return API_ERR_TOO_LARGE;
    size_t plen = IDEM_HEAD + len;
    uint8_t *plain = malloc(plen),
            *box = malloc(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plen);
    api_err e = API_ERR_NOMEM;
    if (plain && box) {
        plain[0] = IDEM_VERSION;
        bytes_put_be64s(plain + 1, (int64_t)time(NULL));
        memcpy(plain + 9, slot->request_hash, 32);
        bytes_put_be32(plain + 41, (uint32_t)status);
        if (len) memcpy(plain + IDEM_HEAD, answer, len);
        randombytes_buf(box, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, plen, box, s->key);
        char path[4200];
        e = idem_path(s, path, sizeof path, slot->file) == 0
                ? fs_write_atomic(path, box, crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plen,
                                  0600, 0)
                : API_ERR_ARG;
        sodium_memzero(plain, plen);
    }
    free(plain);
    free(box);
    return e;
}

/* Reads and opens the record of file: 1 found (*plain malloc'd), 0 absent or expired, -1 damaged. */
static int idem_load(idempotency *s, const char *file, uint8_t **plain, size_t *plen)
{
    char path[4200];
    if (idem_path(s, path, sizeof path, file) != 0) return -1;
    uint8_t *data = NULL;
    size_t len = 0;
    api_err e = fs_read_file(&data, &len, path, IDEMPOTENCY_ANSWER_MAX + 4096);
    if (e == API_ERR_NOT_FOUND || (e != API_OK && errno == ENOENT)) return 0;
    if (e != API_OK) return -1;
    int rc = -1;
    if (len >= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + IDEM_HEAD) {
        *plen = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
        *plain = malloc(*plen + 1);
        if (*plain &&
            crypto_secretbox_open_easy(*plain, data + crypto_secretbox_NONCEBYTES,
                                       len - crypto_secretbox_NONCEBYTES, data, s->key) == 0 &&
            (*plain)[0] == IDEM_VERSION) {
            (*plain)[*plen] = 0;
            rc = 1;
            if ((int64_t)time(NULL) - bytes_get_be64s(*plain + 1) > IDEMPOTENCY_KEEP_S) {
                unlink(path);
                rc = 0;
            }
        }
        if (rc != 1 && *plain) {
            sodium_memzero(*plain, *plen);
            free(*plain);
            *plain = NULL;
        }
    }
    free(data);
    return rc;
}

idempotency_result idempotency_begin(idempotency *s, idempotency_slot *slot, const char *client,
                                     const char *key, const char *method, const char *path,
                                     const uint8_t *body, size_t bodylen, int *status, char **answer,
                                     size_t *len)
{
    uint8_t name[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, s->key, sizeof s->key, sizeof name);
    crypto_generichash_update(&st, (const uint8_t *)"idempotency-file", 17);
    crypto_generichash_update(&st, (const uint8_t *)client, strlen(client) + 1);
    crypto_generichash_update(&st, (const uint8_t *)key, strlen(key));
    crypto_generichash_final(&st, name, sizeof name);
    sodium_bin2hex(slot->file, sizeof slot->file, name, sizeof name);
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const uint8_t *)method, strlen(method) + 1);
    crypto_hash_sha256_update(&h, (const uint8_t *)path, strlen(path) + 1);
    if (bodylen) crypto_hash_sha256_update(&h, body, bodylen);
    crypto_hash_sha256_final(&h, slot->request_hash);

    pthread_mutex_lock(&s->lock);
    while (idem_flying(s, slot->file)) pthread_cond_wait(&s->done, &s->lock);
    idem_flight *f = calloc(1, sizeof *f);
    if (!f) {
        pthread_mutex_unlock(&s->lock);
        return IDEMPOTENCY_ERROR;
    }
    memcpy(f->file, slot->file, sizeof f->file);
    f->next = s->flying;
    s->flying = f;
    pthread_mutex_unlock(&s->lock);

    uint8_t *plain = NULL;
    size_t plen = 0;
    int found = idem_load(s, slot->file, &plain, &plen);
    if (found < 0) {
        idem_release(s, slot->file);
        return IDEMPOTENCY_ERROR;
    }
    if (found == 0) {
        if (idem_store(s, slot, 0, NULL, 0) != API_OK) { /* pending: written before anything is done */
            idem_release(s, slot->file);
            return IDEMPOTENCY_ERROR;
        }
        return IDEMPOTENCY_NEW;
    }
    idempotency_result r;
    if (sodium_memcmp(plain + 9, slot->request_hash, 32) != 0)
        r = IDEMPOTENCY_MISMATCH;
    else if (bytes_get_be32(plain + 41) == 0)
        r = IDEMPOTENCY_INTERRUPTED;
    else {
        r = IDEMPOTENCY_REPLAY;
        *status = (int)bytes_get_be32(plain + 41);
        *len = plen - IDEM_HEAD;
        *answer = malloc(*len + 1);
        if (!*answer)
            r = IDEMPOTENCY_ERROR;
        else {
            memcpy(*answer, plain + IDEM_HEAD, *len);
            (*answer)[*len] = '\0';
        }
    }
    sodium_memzero(plain, plen);
    free(plain);
    idem_release(s, slot->file);
    return r;
}

api_err idempotency_finish(idempotency *s, const idempotency_slot *slot, int status, const char *answer,
                           size_t len)
{
    api_err e = idem_store(s, slot, status, answer, len);
    idem_release(s, slot->file);
    return e;
}

void idempotency_abandon(idempotency *s, const idempotency_slot *slot)
{
    char path[4200];
    if (idem_path(s, path, sizeof path, slot->file) == 0) unlink(path);
    idem_release(s, slot->file);
}

size_t idempotency_sweep(idempotency *s, int64_t now, int64_t max_age)
{
    DIR *d = opendir(s->dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strlen(de->d_name) != 64) continue; /* records only: not secret.key, not temporary files */
        char path[4200];
        struct stat sb;
        if (idem_path(s, path, sizeof path, de->d_name) != 0 || stat(path, &sb) != 0) continue;
        if (now - (int64_t)sb.st_mtime <= max_age) continue;
        pthread_mutex_lock(&s->lock);
        int busy = idem_flying(s, de->d_name);
        if (!busy && unlink(path) == 0) n++;
        pthread_mutex_unlock(&s->lock);
    }
    closedir(d);
    return n;
}
