/*
 * ratelimit.h: token buckets for rate limits, in a table of fixed size,
 * safe to share between threads: the verifier service's (one bucket per API
 * key, one per client address for anonymous callers) and the issuer's admin
 * API's (one per client, issuer/clients).
 *
 * A bucket holds up to `burst` tokens and refills at `rate` tokens a
 * second. A request is admitted when its bucket holds at least one token;
 * it then costs one token, and ratelimit_debit() may charge more later (a
 * batch of n verifications costs n), so a bucket can go into debt: the
 * caller is refused until the debt is paid back by the refill. Memory is
 * bounded: when the table is full, a bucket that has refilled completely
 * (it is the same as a new one) is reused first, else the one closest to
 * full.
 *
 * Time is given by the caller in milliseconds of a monotonic clock, so that
 * tests control it.
 */
#ifndef API_RATELIMIT_H
#define API_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RATELIMIT_WAYS          8     /* buckets per set (the table is set-associative) */
#define RATELIMIT_DEFAULT_SLOTS 65536 /* about 2.5 MB */
#define RATELIMIT_KEY_MAX       64    /* bytes of a bucket's name */

typedef struct ratelimit ratelimit;

/* A table of at least `slots` buckets (rounded up to a whole number of sets; at least one set). */
api_err ratelimit_new(ratelimit **out, size_t slots);
void ratelimit_free(ratelimit *rl);

/* Buckets the table holds (for tests and metrics). */
size_t ratelimit_capacity(const ratelimit *rl);

/*
 * One request on the bucket named key (1..RATELIMIT_KEY_MAX bytes), with
 * that bucket's rate (tokens a second) and burst (capacity, at least 1), at
 * time now_ms. Returns 0 when admitted (one token taken), 1 when refused,
 * with *retry_after set to the whole seconds (at least 1) after which a
 * request would be admitted. A rate <= 0 means no limit: always 0. -1 on a
 * bad argument.
 */
int ratelimit_take(ratelimit *rl, const void *key, size_t keylen, double rate, double burst, int64_t now_ms,
                   unsigned *retry_after);

/* Charges cost more tokens to the bucket (it may go into debt); nothing when rate <= 0. */
void ratelimit_debit(ratelimit *rl, const void *key, size_t keylen, double rate, double burst, double cost,
                     int64_t now_ms);

#endif
