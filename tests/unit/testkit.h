/*
 * testkit.h: the one kit of the unit tests, fuzz targets, benchmarks and
 * vector generators, so that every test builds its inputs the same way and
 * none keeps a copy of its own.
 *
 *   testkit.c       keys from fixed seeds, the example attestation of the
 *                   docs, trust lists, envelopes forged by hand, hex and
 *                   base64url, temporary folders, the source tree and the
 *                   vector generators, time and waits, a reproducible
 *                   random generator, whether the long variants run
 *                   (SOAK);
 *   testkit_feed.c  an issuer's status feed built event by event (segments,
 *                   checkpoints, snapshots) beside its model of every status;
 *   testkit_net.c   a fake network: the fetch callback of replica_sync
 *                   serving a map of URLs to bytes, with failures injected
 *                   (hosts down, statuses, a byte flipped) and replicas
 *                   serving as mirrors;
 *   testkit_vectors.c  what the generators of docs/vectors/ (tests/vectors/)
 *                   and the tests of those files share: JSON fields, the
 *                   files as written, a bundle file run through the C
 *                   verifier.
 *
 * Keys come from fixed seeds (root 0x01, FR-75 0x02, FR-13 0x03: 32 bytes
 * of that value each); the attestation is the one of docs/format.md
 * (DIALLO Aminata, id a0a1a2a3a4a5a6a7a8a9aaab, status index 1234567).
 *
 * Nothing here uses cmocka, so that programs without it use the kit too:
 * the Makefile links it into every unit test and vector generator; fuzz
 * targets and benchmarks #include the .c files they need. Helpers whose
 * failure a test may want to see return 0 / -1 or an api_err; helpers that
 * can only fail when the test itself is broken (memory, a signature that
 * cannot be made) stop the program through testkit_die, which tests/run.sh
 * counts as a failed test.
 */
#ifndef API_TESTKIT_H
#define API_TESTKIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "qr/claims.h"
#include "qr/cose.h"
#include "qr/receipt.h"
#include "qr/feed.h"
#include "qr/trust.h"

/* ---- stopping (testkit.c) ---- */

/* Prints "testkit: " and the message to stderr, then aborts. */
void testkit_die(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((noreturn, format(printf, 1, 2)))
#endif
    ;

/* malloc that never returns NULL (testkit_die instead); n = 0 gives 1 byte. */
void *testkit_malloc(size_t n);

/* ---- keys ---- */

#define TESTKIT_SEED_ROOT 0x01
#define TESTKIT_SEED_FR75 0x02
#define TESTKIT_SEED_FR13 0x03

#define TESTKIT_QR_MAX    16384 /* a QR text buffer large enough for any test */
#define TESTKIT_COSE_MAX  8192  /* a COSE buffer large enough for any test */

typedef struct {
    uint8_t pk[COSE_PK_LEN];
    uint8_t sk[COSE_SK_LEN];
    uint8_t kid[COSE_KID_LEN];
} testkit_key;

/* The Ed25519 key pair of 32 bytes of seed_byte, and its kid. */
void testkit_key_from_seed(testkit_key *k, uint8_t seed_byte);

/* The federation root (seed 0x01), FR-75 (0x02) and FR-13 (0x03). */
void testkit_root(testkit_key *k);
void testkit_fr75(testkit_key *k);
void testkit_fr13(testkit_key *k);

/* An instant from time_parse_instant's forms ("2026-10-01T12:00:00Z"); INT64_MIN if bad. */
int64_t testkit_time(const char *s);

/* ---- the example attestation of the docs ---- */

/* Its id (cti) and status index, as docs/format.md ("Worked example") shows them. */
#define TESTKIT_CTI_HEX    "a0a1a2a3a4a5a6a7a8a9aaab"
#define TESTKIT_STATUS_IDX 1234567u

extern const uint8_t testkit_cti[CLAIMS_CTI_LEN];

/*
 * The attestation of docs/format.md: DIALLO Aminata, born 1990-04-12, SEN,
 * fnn 7503123456, renewal of a "carte de séjour pluriannuelle salarié",
 * right to work, filed 2026-09-01, valid 2026-09-15 00:00 to 2026-12-15
 * 23:59:59 Paris time, previous permit 7501234567 until 2026-09-30, issued
 * by FR-75 at 2026-09-14T08:00:00Z, id TESTKIT_CTI_HEX, status index
 * TESTKIT_STATUS_IDX in /feed/v1/FR-75/snapshot.
 */
void testkit_claims(api_claims *c);

/* claims_encode into out (capacity *len). */
api_err testkit_payload(uint8_t *out, size_t *len, const api_claims *c);

/* claims -> COSE_Sign1 (typ attestation) signed with sk. */
api_err testkit_sign_cose(uint8_t *cose, size_t *cose_len, const api_claims *c,
                          const uint8_t sk[COSE_SK_LEN]);

/* claims -> COSE_Sign1 -> QR text (NUL-terminated) signed with sk. */
api_err testkit_sign_qr(char *text, size_t *text_len, const api_claims *c, const uint8_t sk[COSE_SK_LEN]);

/* Any payload bytes -> COSE_Sign1 of typ -> QR text: reaches claims decoding with bad claims. */
api_err testkit_sign_payload_qr(char *text, size_t *text_len, const char *typ, const uint8_t *payload,
                                size_t payload_len, const uint8_t sk[COSE_SK_LEN]);

/* The testkit attestation signed by FR-75, as QR text and as COSE bytes. */
api_err testkit_default_qr(char *text, size_t *text_len);
api_err testkit_default_cose(uint8_t *cose, size_t *cose_len);

/* ---- trust lists ---- */

/*
 * A trust-list entry for key k: id, a display name, kid = cose_kid(pk),
 * feed URL, epoch 1, state and retired_at.
 */
void testkit_entry(trust_entry *e, const char *id, const testkit_key *k, trust_state state,
                   int64_t retired_at);

/*
 * A trust list (seq 7, iat 2026-09-01T00:00:00Z, exp 2027-03-01T00:00:00Z,
 * no next root) holding a copy of entries[0..n). Returns 0 or -1; the
 * caller trust_free()s tl.
 */
int testkit_trust_list_with(trust_list *tl, const trust_entry *entries, size_t n);

/* The usual list: FR-75 (seed 0x02) and FR-13 (seed 0x03), both active. */
int testkit_trust_list(trust_list *tl);

/* ---- envelopes forged by hand ---- */

/*
 * A protected header map written by hand: {1: alg, 4: kid, 16: typ} with
 * each part left out when has_alg is 0, kid is NULL or typ is NULL, plus an
 * extra label (value 0) when extra_label is not 0. Returns its length or 0.
 */
size_t testkit_protected(uint8_t *out, size_t cap, int has_alg, int64_t alg, const uint8_t *kid,
                         const char *typ, int64_t extra_label);

/*
 * A COSE_Sign1-like message written by hand: tag (none when tag < 0), an
 * array of nitems (1..6) whose items are, in order, bstr(prot), the raw
 * CBOR unprot (e.g. "\xa0" for {}), bstr(payload), bstr(sig), then
 * unsigned zeros for any item past the fourth. Returns the length or 0.
 */
size_t testkit_cose_raw(uint8_t *out, size_t cap, int64_t tag, size_t nitems, const uint8_t *prot,
                        size_t prot_len, const uint8_t *unprot, size_t unprot_len, const uint8_t *payload,
                        size_t payload_len, const uint8_t *sig, size_t sig_len);

/*
 * The Sig_structure ["Signature1", prot, h'', payload] that a COSE_Sign1
 * signs (RFC 9052 section 4.4), into a malloc'd buffer: its length, or 0.
 * Written by hand, as qr/cose.c keeps its own to itself.
 */
size_t testkit_sig_structure(uint8_t **out, const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                             size_t payload_len);

/*
 * A tagged COSE_Sign1 over the given protected bytes (any content, e.g. an
 * alg of -19 or -7) with a real Ed25519 signature of the Sig_structure by
 * sk. Returns the length or 0.
 */
size_t testkit_cose_signed_with_protected(uint8_t *out, size_t cap, const uint8_t *prot, size_t prot_len,
                                          const uint8_t *payload, size_t payload_len,
                                          const uint8_t sk[COSE_SK_LEN]);

/* "API1:" + Base45(bytes), no zlib, NUL-terminated. Returns the length or 0. */
size_t testkit_qr_raw(char *out, size_t cap, const uint8_t *bytes, size_t len);

/* "API1:" + Base45(compress2(bytes, level)), NUL-terminated. Returns the length or 0. */
size_t testkit_qr_zlib(char *out, size_t cap, const uint8_t *bytes, size_t len, int level);

/* ---- hex and base64url ---- */

/* Lowercase hex, base64url without padding: malloc'd, never NULL (testkit_die). */
char *testkit_hex(const uint8_t *p, size_t n);
char *testkit_b64(const uint8_t *p, size_t n);

/* base64url text -> malloc'd bytes; -1 (and *out NULL) if not base64url. */
int testkit_unb64(uint8_t **out, size_t *len, const char *s);

/* ---- temporary folders ---- */

#define TESTKIT_DIR_MAX 256

/*
 * Makes a new folder parent/name.XXXXXX (mkdtemp) and writes its path into
 * dir (TESTKIT_DIR_MAX bytes). testkit_tmpdir puts it in $TMPDIR, or /tmp.
 * Returns 0 or -1.
 */
int testkit_tmpdir(char dir[TESTKIT_DIR_MAX], const char *name);
int testkit_tmpdir_in(char dir[TESTKIT_DIR_MAX], const char *parent, const char *name);

/* Removes dir and everything under it (links are removed, never followed). Returns 0 or -1. */
int testkit_tmpdir_remove(const char *dir);

/* ---- the source tree and the vector generators ---- */

/*
 * Reads rel, a path from the repository's root ($API_SOURCE_DIR, else ..,
 * else the current folder), into a malloc'd buffer of at most max bytes.
 */
api_err testkit_source_read(uint8_t **data, size_t *len, const char *rel, size_t max);

/*
 * Runs the vector generator name (tests/vectors/<name>.c, built into
 * $BUILD/vectors/ beside this program's $BUILD/tests/) with out as its one
 * argument. Returns 0 when it exited 0, -1 otherwise.
 */
int testkit_run_generator(const char *name, const char *out);

/* ---- time and waits ---- */

/*
 * A test asserts what must be true on any machine, never how fast it is
 * (a figure of speed is a benchmark, tests/bench/). It waits for what
 * should happen at once with a bound no working machine comes near:
 *
 *   TESTKIT_BOUND_MS  how long a test waits for something to happen, or
 *                     for a deadline to cut (10 s);
 *   TESTKIT_NEVER_MS  a timeout that a test sets when it checks that
 *                     something does not wait for it: an answer before
 *                     TESTKIT_BOUND_MS proves it (60 s).
 */
#define TESTKIT_BOUND_MS 10000
#define TESTKIT_NEVER_MS 60000

/* Milliseconds of the monotonic clock. */
int64_t testkit_now_ms(void);

/* Calls done(arg) every millisecond or so until it returns non-zero (then 0) or bound_ms passed (-1). */
int testkit_wait_until(int (*done)(void *arg), void *arg, int64_t bound_ms);

/* A deterministic pseudo-random generator (xorshift64*), for reproducible tests. */
uint64_t testkit_rand(uint64_t *state);

/*
 * Whether the long variants run: 1 when $SOAK is set to anything but ""
 * or "0" (`make soak` sets SOAK=1), else 0. A test with a long variant
 * (more rounds, more data) runs its short one by default, so that
 * tests/run.sh stays within its time on any machine.
 */
int testkit_soak(void);

/* ---- an issuer's status feed (testkit_feed.c) ---- */

typedef struct {
    uint64_t first; /* seq of its first event */
    size_t n;       /* events */
    uint8_t *cose;  /* signed */
    size_t len;
} testkit_segment;

/*
 * A feed as an issuer writes it: events are queued, cut into signed and
 * chained segments; checkpoints and snapshots are signed on demand. Beside
 * it, the model: the status (bits) and extension end (ext, 0 if none) of
 * every index, as a replica that applied the events must hold them.
 */
typedef struct {
    char iss[CLAIMS_ISS_MAX];
    uint64_t epoch;
    testkit_key key;
    uint8_t head[FEED_HEAD_LEN]; /* after the last segment */
    uint64_t seq;                /* the last event cut */
    feed_event *pend;            /* queued, FEED_SEGMENT_MAX_EVENTS at most */
    size_t n_pend;
    testkit_segment *segs;
    size_t n_segs, cap_segs;
    uint8_t *bits; /* FEED_LIST_BYTES */
    int64_t *ext;  /* FEED_LIST_SIZE */
} testkit_feed;

void testkit_feed_init(testkit_feed *f, const char *iss, uint64_t epoch, const testkit_key *key);
void testkit_feed_free(testkit_feed *f);

/* Queues an event (FEED_EVENT_STATUS or FEED_EVENT_EXTENSION) and applies it to the model. */
void testkit_feed_event(testkit_feed *f, uint32_t idx, unsigned kind, int64_t value, int64_t time);

/* Cuts the queued events into a segment signed with sk (the feed's key when NULL). */
void testkit_feed_cut_with(testkit_feed *f, const uint8_t *sk);
void testkit_feed_cut(testkit_feed *f);

/*
 * A checkpoint of the feed as it stands, signed at signed_at with sk (the
 * feed's key when NULL) over head (the feed's head when NULL): a malloc'd
 * COSE.
 */
void testkit_feed_checkpoint_with(const testkit_feed *f, uint8_t **cose, size_t *len, int64_t signed_at,
                                  const uint8_t *sk, const uint8_t *head);
void testkit_feed_checkpoint(const testkit_feed *f, uint8_t **cose, size_t *len, int64_t signed_at);

/* A snapshot of the model as it stands (every extension, in index order), signed by the feed's key. */
void testkit_feed_snapshot(const testkit_feed *f, uint8_t **cose, size_t *len, int64_t signed_at);

/* ---- a fake network (testkit_net.c) ---- */

struct replica;

typedef struct {
    char url[320];
    uint8_t *body;
    size_t len;
} testkit_net_obj;

/*
 * URLs and the bytes served there, and the failures to inject. A URL that
 * is not in the map is a 404. Failures, in the order they are looked at:
 * a host down (every URL under a prefix fails as a network error), a
 * status (every URL under a prefix answers it with no body), a mirror (a
 * replica serving its feeds under a base, as http/feedsrv would), a URL
 * served with one byte flipped.
 */
typedef struct {
    testkit_net_obj *objs;
    size_t n, cap;
    const char *down[8];
    size_t n_down;
    struct {
        const char *prefix;
        int status;
    } statuses[8];
    size_t n_statuses;
    struct {
        const char *base;
        struct replica *r;
    } mirrors[4];
    size_t n_mirrors;
    char tamper_url[320];
    size_t tamper_at;
    size_t fetches; /* calls of testkit_net_fetch */
} testkit_net;

void testkit_net_init(testkit_net *n);
void testkit_net_free(testkit_net *n);

/* Serves a copy of body at url (replacing what was there). */
void testkit_net_put(testkit_net *n, const char *url, const uint8_t *body, size_t len);
void testkit_net_remove(testkit_net *n, const char *url);

/* What url serves, or NULL. */
const testkit_net_obj *testkit_net_find(const testkit_net *n, const char *url);

/* Failures: prefix (base) is kept as given, not copied. */
void testkit_net_down(testkit_net *n, const char *prefix);
void testkit_net_status(testkit_net *n, const char *prefix, int status);
void testkit_net_mirror(testkit_net *n, const char *base, struct replica *r);

/*
 * From now on url is served with its byte at offset `at` flipped (nothing
 * flipped when at is past its end); one URL at a time, a new call replaces
 * the last. url NULL: nothing is flipped any more.
 */
void testkit_net_tamper(testkit_net *n, const char *url, size_t at);

/* The replica_fetch_fn over n (arg). */
api_err testkit_net_fetch(void *arg, const char *url, uint8_t **body, size_t *len, int *status);

/* base + "/feed/v1/" + iss + "/" + what (e.g. "checkpoint"), and a segment's URL. */
void testkit_feed_url(char *out, size_t cap, const char *base, const char *iss, const char *what);
void testkit_segment_url(char *out, size_t cap, const char *base, const char *iss, uint64_t first);

/* Serves f's segments from segs[from] and a checkpoint signed at signed_at under base. */
void testkit_feed_publish_from(const testkit_feed *f, testkit_net *n, const char *base, int64_t signed_at,
                               size_t from);
void testkit_feed_publish(const testkit_feed *f, testkit_net *n, const char *base, int64_t signed_at);

/* Serves a snapshot of f signed at signed_at under base. */
void testkit_feed_publish_snapshot(const testkit_feed *f, testkit_net *n, const char *base,
                                   int64_t signed_at);

/* ---- the published vectors (testkit_vectors.c) ---- */

struct cJSON;

/* o[k] if a string, else NULL; o[k] is true. */
const char *testkit_json_str(const struct cJSON *o, const char *k);
int testkit_json_bool(const struct cJSON *o, const char *k);

/* A file as the generators write it: cJSON_Print and a newline, atomically, mode 0644. 0 or -1. */
int testkit_vectors_write(const char *path, const struct cJSON *file);

/*
 * Runs every bundle of a bundle file (docs/vectors/bundle.json) through the
 * C verifier: each one, after its previous ones, into a fresh replica in a
 * temporary folder (replica_offer_trust with the pinned root, then
 * replica_sync over a testkit_net serving the bundle's objects at the
 * issuers' feed URLs), then every vector through verify_qrtext with that
 * replica as status source at its time (24 hours of staleness allowed).
 * The trust list taken, what the sync says of each issuer, each verdict
 * and reason must be the file's. fill: each vector's report (report_json,
 * REPORT_FULL) is written into the file; otherwise it must equal the
 * file's. Returns 0, or -1 with the first difference in err.
 */
int testkit_bundle_run(struct cJSON *file, int fill, char *err, size_t errcap);

/* ---- gray pictures (testkit_image.c, libpng) ---- */

/* w * h bytes of gray, 0 black, row after row, no padding. */
typedef struct {
    uint8_t *pix;
    unsigned w, h;
} testkit_gray;

/* A PNG decoded to gray; pix NULL when it cannot be. Free pix. */
testkit_gray testkit_gray_from_png(const uint8_t *png, size_t len);

/* g as a PNG (*len bytes), or NULL. Free the result. */
uint8_t *testkit_gray_to_png(size_t *len, const testkit_gray *g);

/* ---- verification receipts (testkit_receipt.c) ---- */

#define TESTKIT_SEED_RECEIPT 0x52
#define TESTKIT_RECEIPT_ORG  "Vérificateur public de démonstration"

/* The receipt key of the examples (seed TESTKIT_SEED_RECEIPT). */
void testkit_receipt_key(testkit_key *k);

/*
 * The receipt of docs/format.md ("Verification receipts"): the testkit
 * attestation checked valid at 2026-10-01T12:00:00Z by the verifier
 * TESTKIT_RECEIPT_ORG for "Boulangerie Martin" with the employer profile:
 * every field an employer sees (issuer, cti, names, right to work,
 * effective end, status time).
 */
void testkit_receipt(api_receipt *r);

/* A key set of one receipt key: k under name, current (not_before 0, retired_at 0). */
void testkit_receipt_keyset(receipt_key *out, const testkit_key *k, const char *name);

#endif
