/*
 * ratelimit.c: token buckets in a fixed-size, set-associative table (see
 * ratelimit.h).
 *
 * A bucket's name (an API key id, a client address) is hashed with SipHash
 * under a random key drawn when the table is made, so that nobody can aim
 * many names at one set; the 64-bit hash stands for the name (a collision
 * merges two buckets, with odds of 2^-64). The hash picks a set of
 * RATELIMIT_WAYS buckets, each set under its own mutex, so threads contend
 * only when they touch the same set. A bucket records its tokens, when they
 * were counted, and when it will be full again: a full bucket holds no
 * information (a new one starts full), so it is the first to be reused; if
 * none is full, the one nearest to full is. Nothing is ever allocated after
 * ratelimit_new.
 *
 * This file must not know about HTTP, addresses or keys: it counts tokens
 * for opaque names. It keeps the names only as hashes.
 */
#include "common/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

#define RATELIMIT_MAX_DEBT 1e9 /* tokens: bounds a bucket's debt whatever is charged */

typedef struct {
    uint64_t id;   /* hash of the name; 0: an empty slot */
    double tokens; /* at updated_ms; may be negative (debt) */
    int64_t updated_ms;
    int64_t full_at_ms; /* when the refill makes it full again */
} ratelimit_bucket;

typedef struct {
    pthread_mutex_t lock;
    ratelimit_bucket b[RATELIMIT_WAYS];
} ratelimit_set;

struct ratelimit {
    size_t nsets;
    uint8_t hash_key[crypto_shorthash_KEYBYTES];
    ratelimit_set *sets;
};

api_err ratelimit_new(ratelimit **out, size_t slots)
{
    *out = NULL;
    if (sodium_init() < 0) return API_ERR_CRYPTO;
    size_t nsets = (slots + RATELIMIT_WAYS - 1) / RATELIMIT_WAYS;
    if (nsets == 0) nsets = 1;
    if (nsets > SIZE_MAX / sizeof(ratelimit_set)) return API_ERR_ARG;
    ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return API_ERR_NOMEM;
    rl->sets = calloc(nsets, sizeof *rl->sets);
    if (!rl->sets) {
        free(rl);
        return API_ERR_NOMEM;
    }
    for (size_t i = 0; i < nsets; i++) {
        if (pthread_mutex_init(&rl->sets[i].lock, NULL) != 0) {
            for (size_t j = 0; j < i; j++) pthread_mutex_destroy(&rl->sets[j].lock);
            free(rl->sets);
            free(rl);
            return API_ERR_NOMEM;
        }
    }
    rl->nsets = nsets;
    randombytes_buf(rl->hash_key, sizeof rl->hash_key);
    *out = rl;
    return API_OK;
}

void ratelimit_free(ratelimit *rl)
{
    if (!rl) return;
    for (size_t i = 0; i < rl->nsets; i++) pthread_mutex_destroy(&rl->sets[i].lock);
    free(rl->sets);
    sodium_memzero(rl->hash_key, sizeof rl->hash_key);
    free(rl);
}

size_t ratelimit_capacity(const ratelimit *rl)
{
    return rl ? rl->nsets * RATELIMIT_WAYS : 0;
}

static uint64_t ratelimit_hash(const ratelimit *rl, const void *key, size_t keylen)
{
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key, keylen, rl->hash_key);
    _Static_assert(crypto_shorthash_BYTES == 8, "a short hash is one 64-bit word");
    uint64_t v = bytes_get_be64(h);
    return v ? v : 1; /* 0 marks an empty slot */
}

/* The bucket of id in set s, or a slot made ready for it (full, as new). Called under s->lock. */
static ratelimit_bucket *ratelimit_find(ratelimit_set *s, uint64_t id, double burst, int64_t now_ms)
{
    ratelimit_bucket *victim = NULL;
    for (size_t i = 0; i < RATELIMIT_WAYS; i++) {
        ratelimit_bucket *b = &s->b[i];
        if (b->id == id) return b;
        if (b->id == 0) {
            if (!victim || victim->id != 0) victim = b;
        } else if (!victim || (victim->id != 0 && b->full_at_ms < victim->full_at_ms)) {
            victim = b;
        }
    }
    victim->id = id;
    victim->tokens = burst;
    victim->updated_ms = now_ms;
    victim->full_at_ms = now_ms;
    return victim;
}

/* Adds the refill since the bucket was last counted, up to burst. */
static void ratelimit_refill(ratelimit_bucket *b, double rate, double burst, int64_t now_ms)
{
    if (now_ms > b->updated_ms) {
        b->tokens += (double)(now_ms - b->updated_ms) * rate / 1000.0;
        b->updated_ms = now_ms;
    }
    if (b->tokens > burst) b->tokens = burst;
}

static void ratelimit_set_full_at(ratelimit_bucket *b, double rate, double burst)
{
    double ms = (burst - b->tokens) * 1000.0 / rate;
    b->full_at_ms = b->updated_ms + (ms > 0 ? (int64_t)ceil(ms) : 0);
}

static int ratelimit_args_ok(const void *key, size_t keylen, double burst)
{
    return key && keylen > 0 && keylen <= RATELIMIT_KEY_MAX && burst >= 1.0 && isfinite(burst);
}

int ratelimit_take(ratelimit *rl, const void *key, size_t keylen, double rate, double burst, int64_t now_ms,
                   unsigned *retry_after)
{
    if (retry_after) *retry_after = 0;
    if (!rl || !retry_after || !isfinite(rate)) return -1;
    if (rate <= 0) return 0;
    if (!ratelimit_args_ok(key, keylen, burst)) return -1;
    uint64_t id = ratelimit_hash(rl, key, keylen);
    ratelimit_set *s = &rl->sets[id % rl->nsets];
    pthread_mutex_lock(&s->lock);
    ratelimit_bucket *b = ratelimit_find(s, id, burst, now_ms);
    ratelimit_refill(b, rate, burst, now_ms);
    int refused = b->tokens < 1.0;
    if (refused) {
        double wait = ceil((1.0 - b->tokens) / rate - 1e-9); /* 2.9999... or 3.0000...1 is 3 */
        *retry_after = wait < 1 ? 1u : wait > 4e9 ? 4000000000u : (unsigned)wait;
    } else {
        b->tokens -= 1.0;
    }
    ratelimit_set_full_at(b, rate, burst);
    pthread_mutex_unlock(&s->lock);
    return refused;
}

void ratelimit_debit(ratelimit *rl, const void *key, size_t keylen, double rate, double burst, double cost,
                     int64_t now_ms)
{
    if (!rl || !isfinite(rate) || rate <= 0 || !isfinite(cost) || cost <= 0) return;
    if (!ratelimit_args_ok(key, keylen, burst)) return;
    uint64_t id = ratelimit_hash(rl, key, keylen);
    ratelimit_set *s = &rl->sets[id % rl->nsets];
    pthread_mutex_lock(&s->lock);
    ratelimit_bucket *b = ratelimit_find(s, id, burst, now_ms);
    ratelimit_refill(b, rate, burst, now_ms);
    b->tokens -= cost;
    if (b->tokens < -RATELIMIT_MAX_DEBT) b->tokens = -RATELIMIT_MAX_DEBT;
    ratelimit_set_full_at(b, rate, burst);
    pthread_mutex_unlock(&s->lock);
}
