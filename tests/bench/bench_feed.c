/*
 * bench_feed.c: figures of the status feed (docs/federation.md), each with
 * its reference measured in the same run.
 *
 *   apply:    1,000,000 events (100 signed segments of 10,000) applied to a
 *             fresh verifier replica by replica_sync, from an in-memory
 *             fetch function; against the 100 segment signatures verified
 *             alone (cose_sign1_verify) and the 100 segments parsed alone.
 *   snapshot: the signed snapshot of an issuer with 2,000,000 attestations
 *             (1% revoked, 1% suspended, 3% superseded), without and with
 *             an extension table (20% extended).
 *   memory:   a verifier process that opens the replica holding that state
 *             and answers 1,000,000 replica_status lookups (VmRSS, VmHWM,
 *             the replica's file); and, apart, the process that synced
 *             it from empty (snapshot without, then with, extensions).
 *             Each runs in a fresh process (this program, re-executed), so
 *             that what this one allocated does not count.
 *
 * Events, indices and lists come from a fixed seed (the same on every run);
 * each replica is checked against the issuer's model after its figure.
 * The keys, the feed (testkit_feed, whose model the replica is checked
 * against), the network (testkit_net) and the temporary folder are the
 * test kit's (tests/unit/testkit.h, included here as the fuzz targets do).
 * Everything runs in a temporary folder build/bench-feed.XXXXXX (not /tmp:
 * file creation there is slow on some machines), removed at exit.
 *
 * Usage: bench_feed     (--sync-rss DIR SNAPSHOT REPLICA and --lookup-rss DIR
 *                        are the child modes, for its own use)
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "qr/cose.h"
#include "qr/feed.h"
#include "qr/status.h"
#include "qr/trust.h"
#include "tests/unit/testkit.c"
#include "tests/unit/testkit_feed.c"
#include "tests/unit/testkit_net.c"
#include "verifier/replica.h"
#include "verifier/verify.h"

#define BENCH_ISS      "FR-75"
#define BENCH_FEED     "http://feed-75.bench"
#define BENCH_T0       INT64_C(1790856000) /* 2026-10-01T12:00:00Z */
#define BENCH_DAY      86400
#define BENCH_EVENTS   1000000u
#define BENCH_SEGMENTS (BENCH_EVENTS / FEED_SEGMENT_MAX_EVENTS)
#define BENCH_LIVE     2000000u
#define BENCH_LOOKUPS  1000000u
#define BENCH_SNAP_SEQ UINT64_C(5000000) /* any seq: the snapshot and its checkpoint agree */

/* ---- small helpers ---- */

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

/* the kit's generator: the same events and lists on every run */
static uint64_t rng_next(void)
{
    return testkit_rand(&rng_state);
}

static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(rng_next() % n);
}

static void die(const char *what, api_err e)
{
    fprintf(stderr, "bench_feed: %s: %s\n", what, api_strerror(e));
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench_feed: out of memory\n");
        exit(1);
    }
    return p;
}

/* A line of /proc/self/status in kB ("VmRSS", "VmHWM", "RssAnon", "RssFile"); -1 if absent. */
static long proc_kb(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(name);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static double mib(long kb)
{
    return (double)kb / 1024.0;
}

static void path_join(char *out, size_t cap, const char *dir, const char *name)
{
    if (fs_join(out, cap, dir, name) != 0) {
        fprintf(stderr, "bench_feed: path too long\n");
        exit(1);
    }
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    path_join(path, sizeof path, dir, name);
    api_err e = fs_write_batched(path, data, len, 0600, 0);
    if (e != API_OK) die(path, e);
}

static void read_file(const char *dir, const char *name, uint8_t **data, size_t *len)
{
    char path[512];
    path_join(path, sizeof path, dir, name);
    api_err e = fs_read_file(data, len, path, FEED_MAX_SNAPSHOT_COSE);
    if (e != API_OK) die(path, e);
}

/* The temporary folder, removed at exit even after a failure (the children, exec'd, do not inherit this). */
static char bench_tmp[TESTKIT_DIR_MAX];

static void bench_cleanup(void)
{
    if (bench_tmp[0]) testkit_tmpdir_remove(bench_tmp);
}

/* ---- the federation: the kit's root, FR-75 (feed epoch 0), a signed trust list ---- */

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

/* Serves data at {BENCH_FEED}/feed/v1/{BENCH_ISS}/{what} on the kit's network. */
static void net_serve(testkit_net *net, const char *what, const uint8_t *data, size_t len)
{
    char url[320];
    testkit_feed_url(url, sizeof url, BENCH_FEED, BENCH_ISS, what);
    testkit_net_put(net, url, data, len);
}

static replica *replica_with_trust(const char *dir, const bench_fed *fed)
{
    replica *r;
    char err[256];
    api_err e = replica_open(&r, dir);
    if (e != API_OK) die("replica_open", e);
    e = replica_offer_trust(r, fed->trust_cose, fed->trust_len, fed->root.pk, err, sizeof err);
    if (e != API_OK) {
        fprintf(stderr, "bench_feed: replica_offer_trust: %s\n", err);
        exit(1);
    }
    return r;
}

static api_err sync_once(replica *r, testkit_net *net, replica_sync_report *rep)
{
    return replica_sync(r, NULL, 0, testkit_net_fetch, net, BENCH_T0 + 10, NULL, rep);
}

/* Every index of the replica against the issuer's model; returns the number that differ. */
static size_t replica_check(replica *r, const uint8_t *bits, const int64_t *ext)
{
    trust_entry entry;
    memset(&entry, 0, sizeof entry);
    strcpy(entry.id, BENCH_ISS);
    size_t bad = 0;
    for (uint32_t i = 0; i < FEED_LIST_SIZE; i++) {
        verify_status vs;
        if (replica_status(r, &entry, i, &vs) != 0 || !vs.held ||
            !verify_status_fresh(&vs, BENCH_T0 + 10, REPLICA_DEFAULT_MAX_STALENESS) ||
            vs.status != feed_bits_get(bits, i) || vs.extended_until != ext[i])
            bad++;
    }
    return bad;
}

static long long file_size(const char *dir, const char *name, long long *on_disk)
{
    char path[512];
    struct stat st;
    path_join(path, sizeof path, dir, name);
    *on_disk = -1;
    if (stat(path, &st) != 0) return -1;
    *on_disk = (long long)st.st_blocks * 512;
    return (long long)st.st_size;
}

/* ---- figure 1: applying 1,000,000 events ---- */

/*
 * The next event of the mix, on an index that may still take it (the
 * issuer's rules), queued on f: its model (bits, ext) follows.
 */
static void next_event(testkit_feed *f, int64_t time, size_t counts[5])
{
    for (;;) {
        uint32_t idx = rng_below(FEED_LIST_SIZE);
        unsigned st = feed_bits_get(f->bits, idx);
        if (st == STATUS_REVOKED || st == STATUS_SUPERSEDED) continue; /* final */
        unsigned r = rng_below(100);
        if (r < 20) { /* extension: up to three months after the current end */
            int64_t end = f->ext[idx] ? f->ext[idx] : BENCH_T0 + 60 * BENCH_DAY;
            testkit_feed_event(f, idx, FEED_EVENT_EXTENSION, end + (int64_t)(30 + rng_below(61)) * BENCH_DAY,
                               time);
            counts[4]++;
            return;
        }
        unsigned value;
        if (r < 36) /* 16% revoked */
            value = STATUS_REVOKED;
        else if (r < 52) /* 16% suspended, or resumed when suspended */
            value = st == STATUS_SUSPENDED ? STATUS_VALID : STATUS_SUSPENDED;
        else /* 48% superseded */
            value = STATUS_SUPERSEDED;
        testkit_feed_event(f, idx, FEED_EVENT_STATUS, value, time);
        counts[value]++;
        return;
    }
}

static void figure_apply(const char *tmp, const bench_fed *fed)
{
    testkit_feed f;
    testkit_feed_init(&f, BENCH_ISS, 0, &fed->issuer);
    testkit_net net;
    testkit_net_init(&net);
    size_t counts[5] = {0}; /* valid, revoked, suspended, superseded, extension */

    /* The issuer side, untimed: 100 segments chained and signed, one checkpoint, served. */
    size_t seg_bytes = 0;
    for (size_t s = 0; s < BENCH_SEGMENTS; s++) {
        for (size_t i = 0; i < FEED_SEGMENT_MAX_EVENTS; i++) {
            uint64_t seq = f.seq + f.n_pend + 1;
            next_event(&f, BENCH_T0 - (int64_t)BENCH_EVENTS + (int64_t)seq, counts);
        }
        testkit_feed_cut(&f);
        seg_bytes += f.segs[s].len;
    }
    testkit_feed_publish(&f, &net, BENCH_FEED, BENCH_T0);
    uint64_t seq = f.seq;
    api_err e;

    /* The measure: replica_sync from empty (no snapshot: it replays the segments from seq 1). */
    char dir[512];
    path_join(dir, sizeof dir, tmp, "replica-apply");
    replica *r = replica_with_trust(dir, fed);
    replica_sync_report *rep = xmalloc(sizeof *rep);
    double t0 = bench_now();
    e = sync_once(r, &net, rep);
    double t_sync = bench_now() - t0;
    if (e != API_OK || rep->n != 1 || !rep->issuers[0].reached || rep->issuers[0].seq_after != seq) {
        fprintf(stderr, "bench_feed: sync: %s (%s), seq %" PRIu64 "\n", api_strerror(e),
                rep->n ? rep->issuers[0].error : "", rep->n ? rep->issuers[0].seq_after : 0);
        exit(1);
    }
    size_t bad = replica_check(r, f.bits, f.ext);
    replica_close(r);
    long long disk, mdb = file_size(dir, "data.mdb", &disk);

    /* References, same run: the 100 signatures alone, the 100 segments parsed alone. */
    cose_sign1 *msgs = xmalloc(BENCH_SEGMENTS * sizeof *msgs);
    for (size_t s = 0; s < BENCH_SEGMENTS; s++)
        if ((e = cose_sign1_parse(&msgs[s], f.segs[s].cose, f.segs[s].len, COSE_TYP_SEGMENT)) != API_OK)
            die("cose_sign1_parse", e);
    double best_sig = 1e9, best_parse = 1e9;
    for (int rep_i = 0; rep_i < 3; rep_i++) {
        t0 = bench_now();
        for (size_t s = 0; s < BENCH_SEGMENTS; s++)
            if ((e = cose_sign1_verify(&msgs[s], fed->issuer.pk)) != API_OK) die("cose_sign1_verify", e);
        double t = bench_now() - t0;
        if (t < best_sig) best_sig = t;
        t0 = bench_now();
        for (size_t s = 0; s < BENCH_SEGMENTS; s++) {
            feed_segment seg;
            cose_sign1 m;
            if ((e = feed_segment_parse(&seg, &m, f.segs[s].cose, f.segs[s].len)) != API_OK)
                die("feed_segment_parse", e);
            feed_segment_free(&seg);
        }
        t = bench_now() - t0;
        if (t < best_parse) best_parse = t;
    }

    printf("events: %u in %u signed segments of %u (%.1f MB of COSE), random indices in [0, 2^21)\n",
           BENCH_EVENTS, BENCH_SEGMENTS, FEED_SEGMENT_MAX_EVENTS, (double)seg_bytes / 1e6);
    printf("  mix: %zu revoked, %zu suspended, %zu resumed (valid), %zu superseded, %zu extensions\n",
           counts[1], counts[2], counts[0], counts[3], counts[4]);
    printf("replica_sync from empty (verify, parse, chain, apply, commit): %6.3f s  (target under 2 s)\n",
           t_sync);
    printf("  events applied per second:                %12.0f /s\n", (double)BENCH_EVENTS / t_sync);
    printf("  reference, 100 segment signatures alone:   %6.3f s  (cose_sign1_verify; %.0f%% of the sync)\n",
           best_sig, 100.0 * best_sig / t_sync);
    printf("  reference, 100 segments parsed alone:      %6.3f s  (feed_segment_parse; %.0f%% of the sync)\n",
           best_parse, 100.0 * best_parse / t_sync);
    printf("  replica file data.mdb: %.1f MB (%.1f MB allocated on disk); %zu fetches\n", (double)mdb / 1e6,
           (double)disk / 1e6, net.fetches);
    printf("  check: %s\n", bad == 0 ? "all 2,097,152 indices agree with the issuer's model"
                                     : "MISMATCH between the replica and the issuer's model");
    if (bad) {
        fprintf(stderr, "bench_feed: %zu indices differ\n", bad);
        exit(1);
    }

    testkit_net_free(&net);
    testkit_feed_free(&f);
    free(msgs);
    free(rep);
}

/* ---- figure 2: the snapshot of 2,000,000 attestations ---- */

typedef struct {
    uint8_t *bits;
    int64_t *ext; /* per index, 0 when never extended */
    size_t n_ext;
    feed_extension *table;
} live_state;

static int ext_order(const void *a, const void *b)
{
    const feed_extension *x = a, *y = b;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void live_build(live_state *ls)
{
    uint32_t *perm = xmalloc(FEED_LIST_SIZE * sizeof *perm);
    for (uint32_t i = 0; i < FEED_LIST_SIZE; i++) perm[i] = i;
    for (uint32_t i = 0; i < BENCH_LIVE; i++) { /* partial Fisher-Yates: 2,000,000 distinct indices */
        uint32_t j = i + rng_below(FEED_LIST_SIZE - i);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    ls->bits = xmalloc(FEED_LIST_BYTES);
    ls->ext = xmalloc(FEED_LIST_SIZE * sizeof *ls->ext);
    ls->table = xmalloc(BENCH_LIVE / 5 * sizeof *ls->table);
    ls->n_ext = 0;
    const uint32_t rev = BENCH_LIVE / 100, sus = BENCH_LIVE / 100, sup = 3 * BENCH_LIVE / 100;
    for (uint32_t i = 0; i < BENCH_LIVE; i++) {
        uint32_t idx = perm[i]; /* perm is random: positions give random subsets */
        unsigned st = i < rev               ? STATUS_REVOKED
                      : i < rev + sus       ? STATUS_SUSPENDED
                      : i < rev + sus + sup ? STATUS_SUPERSEDED
                                            : STATUS_VALID;
        feed_bits_set(ls->bits, idx, st);
        if (i % 5 == 0) { /* 20% extended (ever: the entry stays once revoked or superseded) */
            int64_t until = BENCH_T0 + (int64_t)(30 + rng_below(150)) * BENCH_DAY;
            ls->ext[idx] = until;
            ls->table[ls->n_ext].idx = idx;
            ls->table[ls->n_ext++].until = until;
        }
    }
    qsort(ls->table, ls->n_ext, sizeof *ls->table, ext_order);
    free(perm);
}

static void live_free(live_state *ls)
{
    free(ls->bits);
    free(ls->ext);
    free(ls->table);
}

static void snapshot_sign(uint8_t **cose, size_t *len, const live_state *ls, size_t n_ext,
                          const bench_fed *fed, const uint8_t head[FEED_HEAD_LEN])
{
    feed_snapshot s;
    memset(&s, 0, sizeof s);
    strcpy(s.at.iss, BENCH_ISS);
    s.at.seq = BENCH_SNAP_SEQ;
    memcpy(s.at.head, head, FEED_HEAD_LEN);
    s.at.signed_at = BENCH_T0;
    s.bits = ls->bits;
    s.n_ext = n_ext;
    s.ext = ls->table;
    api_err e = feed_snapshot_sign(cose, len, &s, fed->issuer.sk);
    if (e != API_OK) die("feed_snapshot_sign", e);
}

/* Signs the snapshots; leaves the one with extensions, its checkpoint and the trust list in tmp. */
static void figure_snapshot(const char *tmp, const bench_fed *fed, const live_state *ls)
{
    uint8_t head[FEED_HEAD_LEN];
    crypto_hash_sha256(head, (const uint8_t *)"bench_feed", 10);
    uint8_t *plain, *full, *cp;
    size_t plain_len, full_len, cp_len;
    double t0 = bench_now();
    snapshot_sign(&plain, &plain_len, ls, 0, fed, head);
    double t_plain = bench_now() - t0;
    t0 = bench_now();
    snapshot_sign(&full, &full_len, ls, ls->n_ext, fed, head);
    double t_full = bench_now() - t0;
    feed_checkpoint c;
    memset(&c, 0, sizeof c);
    strcpy(c.iss, BENCH_ISS);
    c.seq = BENCH_SNAP_SEQ;
    memcpy(c.head, head, FEED_HEAD_LEN);
    c.signed_at = BENCH_T0;
    api_err e = feed_checkpoint_sign(&cp, &cp_len, &c, fed->issuer.sk);
    if (e != API_OK) die("feed_checkpoint_sign", e);

    size_t non_valid = 0;
    for (uint32_t i = 0; i < FEED_LIST_SIZE; i++) non_valid += feed_bits_get(ls->bits, i) != 0;
    double per_ext = (double)(full_len - plain_len) / (double)ls->n_ext;
    double fits = (double)(FEED_MAX_SNAPSHOT_COSE - plain_len) / per_ext;
    printf("attestations: %u (distinct random indices), %zu not valid: 1%% revoked, 1%% suspended, 3%% "
           "superseded\n",
           BENCH_LIVE, non_valid);
    printf("signed snapshot, no extension:        %9zu bytes = %6.1f KB  (target under 150 KB; signed in "
           "%.3f s)\n",
           plain_len, (double)plain_len / 1000.0, t_plain);
    printf("signed snapshot, %zu extensions (20%%): %9zu bytes = %6.1f KB  (signed in %.3f s)\n", ls->n_ext,
           full_len, (double)full_len / 1000.0, t_full);
    printf("  extension table: %zu bytes, %.2f bytes per extension (CBOR [idx, until], not compressed)\n",
           full_len - plain_len, per_ext);
    printf("  FEED_MAX_SNAPSHOT_COSE (%u bytes) holds at most about %.0f extensions (%.0f%% of %u)\n",
           FEED_MAX_SNAPSHOT_COSE, fits, 100.0 * fits / BENCH_LIVE, BENCH_LIVE);

    write_file(tmp, "trust.cose", fed->trust_cose, fed->trust_len);
    write_file(tmp, "root.pub", fed->root.pk, COSE_PK_LEN);
    write_file(tmp, "checkpoint.cose", cp, cp_len);
    write_file(tmp, "snapshot.cose", full, full_len);
    write_file(tmp, "snapshot-plain.cose", plain, plain_len);
    free(plain);
    free(full);
    free(cp);
}

/* ---- figure 3: the verifier's memory, in fresh processes ---- */

static void print_rss(const char *when)
{
    printf("  %-22s VmRSS %6.1f MB (anon %5.1f, file %5.1f)  VmHWM %6.1f MB\n", when, mib(proc_kb("VmRSS")),
           mib(proc_kb("RssAnon")), mib(proc_kb("RssFile")), mib(proc_kb("VmHWM")));
}

/* Child: syncs an empty replica (folder replica_name) from snapshot (a file in dir) and its checkpoint. */
static int child_sync(const char *dir, const char *snapshot, const char *replica_name)
{
    bench_fed fed;
    memset(&fed, 0, sizeof fed);
    uint8_t *root, *cp, *snap;
    size_t root_len, cp_len, snap_len;
    read_file(dir, "trust.cose", &fed.trust_cose, &fed.trust_len);
    read_file(dir, "root.pub", &root, &root_len);
    if (root_len != COSE_PK_LEN) return 1;
    memcpy(fed.root.pk, root, COSE_PK_LEN);
    read_file(dir, "checkpoint.cose", &cp, &cp_len);
    read_file(dir, snapshot, &snap, &snap_len);
    testkit_net net;
    testkit_net_init(&net);
    net_serve(&net, "checkpoint", cp, cp_len);
    net_serve(&net, "snapshot", snap, snap_len);
    free(cp);
    free(snap);
    printf("syncing process: replica_sync from empty of %s (%zu bytes)\n", snapshot, snap_len);
    print_rss("before replica_open:");
    char rdir[512];
    path_join(rdir, sizeof rdir, dir, replica_name);
    replica *r = replica_with_trust(rdir, &fed);
    replica_sync_report *rep = xmalloc(sizeof *rep);
    double t0 = bench_now();
    api_err e = sync_once(r, &net, rep);
    double t = bench_now() - t0;
    if (e != API_OK || rep->issuers[0].seq_after != BENCH_SNAP_SEQ) {
        fprintf(stderr, "bench_feed: snapshot sync: %s (%s)\n", api_strerror(e), rep->issuers[0].error);
        return 1;
    }
    print_rss("after replica_sync:");
    replica_close(r);
    print_rss("after replica_close:");
    printf("  replica_sync: %.3f s (parse, signature, apply, commit)\n", t);
    free(rep);
    free(root);
    free(fed.trust_cose);
    testkit_net_free(&net);
    return 0;
}

/* Child: opens the replica synced by child_sync and answers 1,000,000 lookups. */
static int child_lookup(const char *dir)
{
    char rdir[512];
    path_join(rdir, sizeof rdir, dir, "replica-live");
    printf(
        "verifier process: replica_open of that replica, then %u replica_status lookups at random indices\n",
        BENCH_LOOKUPS);
    print_rss("before replica_open:");
    replica *r;
    api_err e = replica_open(&r, rdir);
    if (e != API_OK) die("replica_open", e);
    trust_entry entry;
    memset(&entry, 0, sizeof entry);
    strcpy(entry.id, BENCH_ISS);
    size_t counts[4] = {0}, extended = 0;
    double t0 = bench_now();
    for (uint32_t i = 0; i < BENCH_LOOKUPS; i++) {
        verify_status vs;
        if (replica_status(r, &entry, (uint32_t)(rng_next() & (FEED_LIST_SIZE - 1)), &vs) != 0 || !vs.held ||
            !verify_status_fresh(&vs, BENCH_T0 + 10, REPLICA_DEFAULT_MAX_STALENESS)) {
            fprintf(stderr, "bench_feed: replica_status failed\n");
            return 1;
        }
        counts[vs.status & 3]++;
        extended += vs.extended_until != 0;
    }
    double t = bench_now() - t0;
    print_rss("after the lookups:");
    long rss = proc_kb("VmRSS"), hwm = proc_kb("VmHWM");
    long long disk, size = file_size(rdir, "data.mdb", &disk);
    printf("  verifier RSS after the lookups: %.1f MB, VmHWM %.1f MB  (target under 64 MB)\n", mib(rss),
           mib(hwm));
    printf("  replica file data.mdb: %.1f MB (%.1f MB allocated on disk); LMDB maps it, RssFile counts the "
           "pages read\n",
           (double)size / 1e6, (double)disk / 1e6);
    printf("  lookups: %.3f s, %.0f /s (one core, one read transaction each); found %zu revoked, %zu "
           "suspended,\n"
           "           %zu superseded, %zu extended\n",
           t, (double)BENCH_LOOKUPS / t, counts[1], counts[2], counts[3], extended);
    replica_close(r);
    return 0;
}

/* Runs this program again with mode, dir and up to two more arguments; its lines go to our stdout. */
static void run_child(const char *mode, const char *dir, const char *a, const char *b)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_feed: fork");
        exit(1);
    }
    if (pid == 0) {
        char *args[] = {"bench_feed", (char *)mode, (char *)dir, (char *)a, (char *)b, NULL};
        execv("/proc/self/exe", args);
        perror("bench_feed: execv");
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_feed: %s failed\n", mode);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) return 1;
    if (argc == 5 && strcmp(argv[1], "--sync-rss") == 0) return child_sync(argv[2], argv[3], argv[4]);
    if (argc == 3 && strcmp(argv[1], "--lookup-rss") == 0) {
        rng_state = UINT64_C(0x1234567);
        return child_lookup(argv[2]);
    }
    if (argc != 1) {
        fprintf(stderr, "usage: bench_feed\n");
        return 2;
    }
    if (fs_mkdirs("build", 0755) != API_OK) return 1;
    char tmp[TESTKIT_DIR_MAX]; /* not /tmp: file creation there is slow on some machines */
    if (testkit_tmpdir_in(tmp, "build", "bench-feed") != 0) {
        perror("bench_feed: mkdtemp");
        return 1;
    }
    snprintf(bench_tmp, sizeof bench_tmp, "%s", tmp);
    atexit(bench_cleanup);
    bench_fed fed;
    fed_init(&fed);

    printf("-- apply: %u status events into a fresh replica\n", BENCH_EVENTS);
    figure_apply(tmp, &fed);

    printf("-- snapshot: %u attestations\n", BENCH_LIVE);
    live_state ls;
    live_build(&ls);
    figure_snapshot(tmp, &fed, &ls);

    printf("-- memory: a verifier holding those %u attestations' statuses (each process started afresh)\n",
           BENCH_LIVE);
    run_child("--sync-rss", tmp, "snapshot-plain.cose", "replica-plain");
    run_child("--sync-rss", tmp, "snapshot.cose", "replica-live");
    run_child("--lookup-rss", tmp, NULL, NULL);
    char rdir[512];
    path_join(rdir, sizeof rdir, tmp, "replica-live");
    replica *r;
    api_err e = replica_open(&r, rdir);
    if (e != API_OK) die("replica_open", e);
    size_t bad = replica_check(r, ls.bits, ls.ext);
    replica_close(r);
    printf("  check: %s\n", bad == 0 ? "all 2,097,152 indices agree with the snapshot"
                                     : "MISMATCH between the replica and the snapshot");

    live_free(&ls);
    free(fed.trust_cose);
    return bad == 0 ? 0 : 1; /* bench_cleanup removes tmp */
}
