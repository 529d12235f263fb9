/*
 * bench_watch.c: figures of followed attestations (verifier/watch.h),
 * each beside its reference measured in the same run.
 *
 *   follow:  1,000,000 attestations followed across 10 API keys (100,000
 *            each), 10,000 to a transaction as POST /api/v1/watch with
 *            1,000 payloads does 1,000.
 *   sync:    a sync applying 100,000 status events (10 signed segments),
 *            10 % of them on followed attestations: replica_sync into a
 *            replica holding those watches, against the same sync into
 *            one that holds none (the reference); best of 3 rounds each,
 *            alternated, each from a fresh copy of its replica.
 *            Target: at most 1.5 times the reference.
 *   changes: what GET /api/v1/changes does for one key's first 1,000
 *            changes: watch_changes and the JSON of the answer (median of
 *            21). Target: under 50 ms.
 *   size:    the replica's file, with and without the watches.
 *
 * Every change written is checked against the events' model (one per
 * event that changed a followed attestation's status or end).
 * Everything runs in a temporary folder build/bench-watch.XXXXXX,
 * removed at exit. Usage: bench_watch
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/time.h"
#include "qr/feed.h"
#include "qr/status.h"
#include "qr/trust.h"
#include "tests/unit/testkit.c"
#include "tests/unit/testkit_feed.c"
#include "tests/unit/testkit_net.c"
#include "verifier/replica.h"
#include "verifier/watch.h"

#define BENCH_ISS      "FR-75"
#define BENCH_FEED     "http://feed-75.bench"
#define BENCH_T0       INT64_C(1790856000) /* 2026-10-01T12:00:00Z */
#define BENCH_DAY      86400
#define BENCH_WATCHES  1000000u
#define BENCH_KEYS     10u
#define BENCH_EVENTS   100000u
#define BENCH_SEGMENTS (BENCH_EVENTS / FEED_SEGMENT_MAX_EVENTS)
#define BENCH_ROUNDS   3
#define BENCH_ADD_TXN  10000u

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = UINT64_C(0x51ed2701f3a5c8b1);

static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(testkit_rand(&rng_state) % n);
}

static void die(const char *what, api_err e)
{
    fprintf(stderr, "bench_watch: %s: %s\n", what, api_strerror(e));
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench_watch: out of memory\n");
        exit(1);
    }
    return p;
}

static void path_join(char *out, size_t cap, const char *dir, const char *name)
{
    if (fs_join(out, cap, dir, name) != 0) {
        fprintf(stderr, "bench_watch: path too long\n");
        exit(1);
    }
}

static char bench_tmp[TESTKIT_DIR_MAX];

static void bench_cleanup(void)
{
    if (bench_tmp[0]) testkit_tmpdir_remove(bench_tmp);
}

static long long mdb_size(const char *dir)
{
    char path[512];
    struct stat st;
    path_join(path, sizeof path, dir, "data.mdb");
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Copies the replica in from (its data.mdb) to a fresh folder to. */
static void replica_copy(const char *from, const char *to)
{
    char src[512], dst[512];
    path_join(src, sizeof src, from, "data.mdb");
    if (fs_mkdirs(to, 0700) != API_OK) die(to, API_ERR_IO);
    path_join(dst, sizeof dst, to, "data.mdb");
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    if (!in || !out) die("copy", API_ERR_IO);
    static char buf[1 << 20];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) die("copy", API_ERR_IO);
    fclose(in);
    /* on disk before the measure: the sync's commit must not flush the copy */
    if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0) die("copy", API_ERR_IO);
}

/* ---- the federation and the feed ---- */

typedef struct {
    testkit_key root, issuer;
    uint8_t *trust_cose;
    size_t trust_len;
} bench_fed;

static void fed_init(bench_fed *f)
{
    memset(f, 0, sizeof *f);
    testkit_root(&f->root);
    testkit_fr75(&f->issuer);
    trust_entry entry;
    testkit_entry(&entry, BENCH_ISS, &f->issuer, TRUST_ACTIVE, 0);
    snprintf(entry.feed, sizeof entry.feed, "%s", BENCH_FEED);
    entry.epoch = 0;
    trust_list tl;
    if (testkit_trust_list_with(&tl, &entry, 1) != 0) die("trust list", API_ERR_NOMEM);
    tl.seq = 1;
    tl.iat = BENCH_T0 - BENCH_DAY;
    tl.exp = BENCH_T0 + 365 * BENCH_DAY;
    api_err e = trust_sign(&f->trust_cose, &f->trust_len, &tl, f->root.sk);
    trust_free(&tl);
    if (e != API_OK) die("trust_sign", e);
}

static replica *replica_with_trust(const char *dir, const bench_fed *fed)
{
    replica *r;
    char err[256];
    api_err e = replica_open(&r, dir);
    if (e != API_OK) die("replica_open", e);
    e = replica_offer_trust(r, fed->trust_cose, fed->trust_len, fed->root.pk, err, sizeof err);
    if (e != API_OK) {
        fprintf(stderr, "bench_watch: replica_offer_trust: %s\n", err);
        exit(1);
    }
    return r;
}

#define PRINTED_END (BENCH_T0 + 60 * BENCH_DAY)

/*
 * 100,000 events: 10 % on followed indices [0, BENCH_WATCHES), the rest
 * above; never on a revoked or superseded index. *expected gets the
 * changes they must give (each changes a followed attestation's status
 * or moves its end later).
 */
static void feed_build(testkit_feed *f, size_t *expected)
{
    *expected = 0;
    for (size_t s = 0; s < BENCH_SEGMENTS; s++) {
        for (size_t i = 0; i < FEED_SEGMENT_MAX_EVENTS; i++) {
            int followed = rng_below(10) == 0;
            uint32_t idx;
            unsigned st;
            do {
                idx = followed ? rng_below(BENCH_WATCHES)
                               : BENCH_WATCHES + rng_below(FEED_LIST_SIZE - BENCH_WATCHES);
                st = feed_bits_get(f->bits, idx);
            } while (st == STATUS_REVOKED || st == STATUS_SUPERSEDED);
            int64_t time = BENCH_T0 - (int64_t)BENCH_EVENTS + (int64_t)(f->seq + f->n_pend + 1);
            unsigned r = rng_below(100);
            if (r < 40) {
                int64_t end = f->ext[idx] ? f->ext[idx] : PRINTED_END;
                testkit_feed_event(f, idx, FEED_EVENT_EXTENSION,
                                   end + (int64_t)(30 + rng_below(61)) * BENCH_DAY, time);
            } else {
                unsigned v = r < 55   ? STATUS_REVOKED
                             : r < 85 ? (st == STATUS_SUSPENDED ? STATUS_VALID : STATUS_SUSPENDED)
                                      : STATUS_SUPERSEDED;
                testkit_feed_event(f, idx, FEED_EVENT_STATUS, v, time);
            }
            if (followed) (*expected)++; /* every event here changes something */
        }
        testkit_feed_cut(f);
    }
}

/* ---- figure 1: following 1,000,000 attestations ---- */

static void key_name(char out[16], unsigned k)
{
    snprintf(out, 16, "benchk%02u", k);
}

static double follow_all(replica *r)
{
    watch_target *t = xmalloc(BENCH_ADD_TXN * sizeof *t);
    uint8_t(*cti)[CLAIMS_CTI_LEN] = xmalloc(BENCH_ADD_TXN * sizeof *cti);
    watch_added *out = xmalloc(BENCH_ADD_TXN * sizeof *out);
    double t0 = bench_now();
    for (unsigned k = 0; k < BENCH_KEYS; k++) {
        char key[16];
        key_name(key, k);
        /* key k follows the indices i with i % BENCH_KEYS == k */
        for (uint32_t base = k; base < BENCH_WATCHES; base += BENCH_ADD_TXN * BENCH_KEYS) {
            size_t n = 0;
            for (uint32_t idx = base; idx < BENCH_WATCHES && n < BENCH_ADD_TXN; idx += BENCH_KEYS, n++) {
                memset(cti[n], 0, CLAIMS_CTI_LEN);
                memcpy(cti[n], &idx, sizeof idx);
                t[n] = (watch_target){.iss = BENCH_ISS,
                                      .idx = idx,
                                      .cti = cti[n],
                                      .printed_end = PRINTED_END,
                                      .effective_end = PRINTED_END,
                                      .status = STATUS_VALID};
            }
            api_err e = watch_add(r, key, t, n, BENCH_T0, WATCH_DEFAULT_MAX_PER_KEY, out);
            if (e != API_OK) die("watch_add", e);
            for (size_t i = 0; i < n; i++)
                if (out[i].err != API_OK || !out[i].created) die("watch_add: one not followed", out[i].err);
        }
    }
    double took = bench_now() - t0;
    free(t);
    free(cti);
    free(out);
    return took;
}

/* ---- figure 2: the sync ---- */

static double timed_sync(const char *base, const char *dir, testkit_net *net, uint64_t seq)
{
    testkit_tmpdir_remove(dir);
    replica_copy(base, dir);
    replica *r;
    api_err e = replica_open(&r, dir);
    if (e != API_OK) die("replica_open", e);
    replica_sync_report *rep = xmalloc(sizeof *rep);
    double t0 = bench_now();
    e = replica_sync(r, NULL, 0, testkit_net_fetch, net, BENCH_T0 + 10, NULL, rep);
    double t = bench_now() - t0;
    if (e != API_OK || rep->n != 1 || rep->issuers[0].seq_after != seq) die("replica_sync", e);
    free(rep);
    replica_close(r);
    return t;
}

/* ---- figure 3: GET /api/v1/changes ---- */

/* The answer's JSON as the route writes it (watchapi.c): the cost of the answer, without the socket. */
static size_t changes_answer(replica *r, const char *key, size_t *n)
{
    static watch_change ch[1000];
    uint64_t cursor;
    api_err e = watch_changes(r, key, 0, ch, 1000, n, &cursor);
    if (e != API_OK) die("watch_changes", e);
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "changes");
    for (size_t i = 0; i < *n; i++) {
        char id[WATCH_ID_TEXT], day[11], when[21];
        watch_id_format(id, ch[i].watch_id);
        time_paris_date(day, ch[i].effective_until);
        time_format_utc(when, ch[i].learned_at);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "watch_id", id);
        cJSON_AddStringToObject(o, "kind", watch_kind_code(ch[i].kind));
        cJSON_AddStringToObject(o, "effective_until", day);
        cJSON_AddStringToObject(o, "learned_at", when);
        cJSON_AddItemToArray(arr, o);
    }
    char cur[24];
    snprintf(cur, sizeof cur, "%" PRIu64, cursor);
    cJSON_AddStringToObject(out, "cursor", cur);
    char *text = cJSON_PrintUnformatted(out);
    size_t len = text ? strlen(text) : 0;
    free(text);
    cJSON_Delete(out);
    return len;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (sodium_init() < 0) return 1;
    if (argc != 1) {
        fprintf(stderr, "usage: bench_watch\n");
        return 2;
    }
    if (fs_mkdirs("build", 0755) != API_OK) return 1;
    char tmp[TESTKIT_DIR_MAX];
    if (testkit_tmpdir_in(tmp, "build", "bench-watch") != 0) {
        perror("bench_watch: mkdtemp");
        return 1;
    }
    snprintf(bench_tmp, sizeof bench_tmp, "%s", tmp);
    atexit(bench_cleanup);
    bench_fed fed;
    fed_init(&fed);
    char plain[512], followed[512], run[512];
    path_join(plain, sizeof plain, tmp, "replica-plain");
    path_join(followed, sizeof followed, tmp, "replica-followed");
    path_join(run, sizeof run, tmp, "replica-run");

    /* the issuer side, untimed */
    testkit_feed f;
    testkit_feed_init(&f, BENCH_ISS, 0, &fed.issuer);
    testkit_net net;
    testkit_net_init(&net);
    size_t expected;
    feed_build(&f, &expected);
    testkit_feed_publish(&f, &net, BENCH_FEED, BENCH_T0);

    replica *r = replica_with_trust(plain, &fed);
    replica_close(r);
    r = replica_with_trust(followed, &fed);
    printf("-- follow: %u attestations across %u keys, %u to a transaction\n", BENCH_WATCHES, BENCH_KEYS,
           BENCH_ADD_TXN);
    double t_follow = follow_all(r);
    replica_close(r);
    printf("watch_add: %.2f s, %.0f follows/s\n", t_follow, BENCH_WATCHES / t_follow);

    printf("-- sync: %u events in %u signed segments, %zu of them on followed attestations\n", BENCH_EVENTS,
           BENCH_SEGMENTS, expected);
    double best_plain = 1e9, best_followed = 1e9;
    for (int i = 0; i < BENCH_ROUNDS; i++) {
        double t = timed_sync(plain, run, &net, f.seq);
        if (t < best_plain) best_plain = t;
        t = timed_sync(followed, run, &net, f.seq);
        if (t < best_followed) best_followed = t;
    }
    long long size_plain_after = -1, size_followed_before = mdb_size(followed);
    {
        char p2[512];
        path_join(p2, sizeof p2, tmp, "replica-plain-synced");
        timed_sync(plain, p2, &net, f.seq);
        size_plain_after = mdb_size(p2);
    }
    printf("replica_sync with 1,000,000 followed: %6.3f s (best of %d)\n", best_followed, BENCH_ROUNDS);
    printf("  reference, the same sync, nobody followed: %6.3f s (best of %d)\n", best_plain, BENCH_ROUNDS);
    printf("  ratio %.2f  (target: at most 1.5)\n", best_followed / best_plain);

    /* the last run's replica holds the changes: check them, then time the answer */
    r = NULL;
    api_err e = replica_open(&r, run);
    if (e != API_OK) die("replica_open", e);
    size_t total = 0;
    static watch_change page[1000];
    for (unsigned k = 0; k < BENCH_KEYS; k++) {
        char key[16];
        key_name(key, k);
        uint64_t since = 0, cursor;
        size_t n;
        do {
            if ((e = watch_changes(r, key, since, page, 1000, &n, &cursor)) != API_OK)
                die("watch_changes", e);
            total += n;
            since = cursor;
        } while (n > 0);
    }
    printf("  check: %zu changes written, %zu expected from the events: %s\n", total, expected,
           total == expected ? "agree" : "MISMATCH");
    if (total != expected) return 1;

    printf("-- changes: one key's first 1,000 changes, as GET /api/v1/changes?limit=1000 answers them\n");
    double times[21];
    size_t n = 0, len = 0;
    for (int i = 0; i < 21; i++) {
        double t0 = bench_now();
        len = changes_answer(r, "benchk00", &n);
        times[i] = bench_now() - t0;
    }
    qsort(times, 21, sizeof times[0], cmp_double);
    printf("watch_changes + JSON: %.2f ms for %zu changes (%zu bytes of JSON; median of 21)  (target under "
           "50 ms)\n",
           times[10] * 1e3, n, len);
    replica_close(r);

    printf("-- size: the replica's file data.mdb\n");
    printf("  with 1,000,000 followed, before the sync: %.1f MB; after it: %.1f MB\n",
           size_followed_before / 1e6, mdb_size(run) / 1e6);
    printf("  reference, nobody followed, after the same sync: %.1f MB\n", size_plain_after / 1e6);

    testkit_net_free(&net);
    testkit_feed_free(&f);
    free(fed.trust_cose);
    return 0;
}
