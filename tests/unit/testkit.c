/*
 * testkit.c: keys, the example attestation, trust lists, forged envelopes,
 * hex and base64url, temporary folders, the source tree and the vector
 * generators, time and waits, whether the long variants run (SOAK) (see
 * testkit.h).
 *
 * Everything is deterministic: fixed seeds, a fixed attestation, a fixed
 * trust list. The forging helpers bypass the library's writers on purpose
 * (except cbw for heads) so that tests can build envelopes the library
 * would never produce. This file is linked into every unit test binary and
 * may be #included by fuzz targets and benchmarks: it has no main and no
 * static state. Waits poll a condition: a slow machine makes a test
 * slower, never wrong.
 */
#include "tests/unit/testkit.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/b64url.h"
#include "common/bytes.h"
#include "common/fs.h"
#include "common/time.h"
#include "qr/b45.h"
#include "qr/cbw.h"
#include "qr/qrtext.h"

void testkit_die(const char *fmt, ...)
{
    va_list ap;
    fputs("testkit: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void *testkit_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) testkit_die("out of memory (%zu bytes)", n);
    return p;
}

const uint8_t testkit_cti[CLAIMS_CTI_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                             0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

void testkit_key_from_seed(testkit_key *k, uint8_t seed_byte)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    memset(seed, seed_byte, sizeof seed);
    if (sodium_init() < 0) abort();
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    cose_kid(k->kid, k->pk);
}

void testkit_root(testkit_key *k)
{
    testkit_key_from_seed(k, TESTKIT_SEED_ROOT);
}

void testkit_fr75(testkit_key *k)
{
    testkit_key_from_seed(k, TESTKIT_SEED_FR75);
}

void testkit_fr13(testkit_key *k)
{
    testkit_key_from_seed(k, TESTKIT_SEED_FR13);
}

int64_t testkit_time(const char *s)
{
    int64_t t;
    if (time_parse_instant(&t, s) != 0) return INT64_MIN;
    return t;
}

void testkit_claims(api_claims *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->iss, "FR-75");
    c->iat = testkit_time("2026-09-14T08:00:00Z");
    c->nbf = time_paris_start_of_day(2026, 9, 15);
    c->exp = time_paris_end_of_day(2026, 12, 15);
    memcpy(c->cti, testkit_cti, CLAIMS_CTI_LEN);
    c->status_idx = TESTKIT_STATUS_IDX;
    strcpy(c->status_uri, "/feed/v1/FR-75/snapshot");
    c->v = 1;
    strcpy(c->fn, "DIALLO");
    strcpy(c->gn, "Aminata");
    strcpy(c->dob, "1990-04-12");
    strcpy(c->nat, "SEN");
    strcpy(c->fnn, "7503123456");
    c->app = CLAIMS_APP_RENEWAL;
    strcpy(c->tit, "carte de s\xc3\xa9jour pluriannuelle salari\xc3\xa9");
    c->wrk = CLAIMS_WRK_YES;
    strcpy(c->fil, "2026-09-01");
    c->has_prv = 1;
    strcpy(c->prv_no, "7501234567");
    strcpy(c->prv_exp, "2026-09-30");
}

api_err testkit_payload(uint8_t *out, size_t *len, const api_claims *c)
{
    return claims_encode(out, len, c);
}

api_err testkit_sign_cose(uint8_t *cose, size_t *cose_len, const api_claims *c, const uint8_t sk[COSE_SK_LEN])
{
    uint8_t payload[2048];
    size_t payload_len = sizeof payload;
    api_err e = claims_encode(payload, &payload_len, c);
    if (e != API_OK) return e;
    return cose_sign1_sign(cose, cose_len, COSE_TYP_ATTESTATION, payload, payload_len, sk);
}

api_err testkit_sign_payload_qr(char *text, size_t *text_len, const char *typ, const uint8_t *payload,
                                size_t payload_len, const uint8_t sk[COSE_SK_LEN])
{
    uint8_t cose[TESTKIT_COSE_MAX];
    size_t cose_len = sizeof cose;
    api_err e = cose_sign1_sign(cose, &cose_len, typ, payload, payload_len, sk);
    if (e != API_OK) return e;
    return qrtext_encode(text, text_len, cose, cose_len);
}

api_err testkit_sign_qr(char *text, size_t *text_len, const api_claims *c, const uint8_t sk[COSE_SK_LEN])
{
    uint8_t cose[TESTKIT_COSE_MAX];
    size_t cose_len = sizeof cose;
    api_err e = testkit_sign_cose(cose, &cose_len, c, sk);
    if (e != API_OK) return e;
    return qrtext_encode(text, text_len, cose, cose_len);
}

api_err testkit_default_qr(char *text, size_t *text_len)
{
    api_claims c;
    testkit_key k;
    testkit_claims(&c);
    testkit_fr75(&k);
    return testkit_sign_qr(text, text_len, &c, k.sk);
}

api_err testkit_default_cose(uint8_t *cose, size_t *cose_len)
{
    api_claims c;
    testkit_key k;
    testkit_claims(&c);
    testkit_fr75(&k);
    return testkit_sign_cose(cose, cose_len, &c, k.sk);
}

void testkit_entry(trust_entry *e, const char *id, const testkit_key *k, trust_state state,
                   int64_t retired_at)
{
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->name, sizeof e->name,
             "Pr\xc3\xa9"
             "fecture %s",
             id);
    memcpy(e->pub, k->pk, COSE_PK_LEN);
    cose_kid(e->kid, k->pk);
    e->state = state;
    e->retired_at = state == TRUST_RETIRED ? retired_at : 0;
    snprintf(e->feed, sizeof e->feed, "https://%s.issuer.example", id);
    e->epoch = 1;
}

int testkit_trust_list_with(trust_list *tl, const trust_entry *entries, size_t n)
{
    memset(tl, 0, sizeof *tl);
    tl->seq = 7;
    tl->iat = testkit_time("2026-09-01T00:00:00Z");
    tl->exp = testkit_time("2027-03-01T00:00:00Z");
    tl->entries = calloc(n ? n : 1, sizeof *tl->entries);
    if (!tl->entries) return -1;
    if (n) memcpy(tl->entries, entries, n * sizeof *entries);
    tl->n = n;
    return 0;
}

int testkit_trust_list(trust_list *tl)
{
    testkit_key k75, k13;
    trust_entry e[2];
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    testkit_entry(&e[0], "FR-75", &k75, TRUST_ACTIVE, 0);
    testkit_entry(&e[1], "FR-13", &k13, TRUST_ACTIVE, 0);
    return testkit_trust_list_with(tl, e, 2);
}

size_t testkit_protected(uint8_t *out, size_t cap, int has_alg, int64_t alg, const uint8_t *kid,
                         const char *typ, int64_t extra_label)
{
    size_t n = (has_alg ? 1u : 0u) + (kid ? 1u : 0u) + (typ ? 1u : 0u) + (extra_label ? 1u : 0u);
    cbw w;
    cbw_init(&w, out, cap);
    cbw_map(&w, n);
    if (has_alg) {
        cbw_uint(&w, 1);
        cbw_int(&w, alg);
    }
    if (kid) {
        cbw_uint(&w, 4);
        cbw_bytes(&w, kid, COSE_KID_LEN);
    }
    if (typ) {
        cbw_uint(&w, 16);
        cbw_text(&w, typ);
    }
    if (extra_label) {
        cbw_int(&w, extra_label);
        cbw_uint(&w, 0);
    }
    size_t len;
    return cbw_finish(&w, &len) == API_OK ? len : 0;
}

size_t testkit_cose_raw(uint8_t *out, size_t cap, int64_t tag, size_t nitems, const uint8_t *prot,
                        size_t prot_len, const uint8_t *unprot, size_t unprot_len, const uint8_t *payload,
                        size_t payload_len, const uint8_t *sig, size_t sig_len)
{
    if (nitems < 1 || nitems > 6) return 0;
    cbw w;
    cbw_init(&w, out, cap);
    if (tag >= 0) cbw_tag(&w, (uint64_t)tag);
    cbw_array(&w, nitems);
    cbw_bytes(&w, prot, prot_len);
    if (nitems >= 2) cbw_raw(&w, unprot, unprot_len);
    if (nitems >= 3) cbw_bytes(&w, payload, payload_len);
    if (nitems >= 4) cbw_bytes(&w, sig, sig_len);
    for (size_t i = 4; i < nitems; i++) cbw_uint(&w, 0);
    size_t len;
    return cbw_finish(&w, &len) == API_OK ? len : 0;
}

size_t testkit_sig_structure(uint8_t **out, const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                             size_t payload_len)
{
    cbw tbs;
    cbw_init_dynamic(&tbs, prot_len + payload_len + 64);
    cbw_array(&tbs, 4);
    cbw_text(&tbs, "Signature1");
    cbw_bytes(&tbs, prot, prot_len);
    cbw_bytes(&tbs, NULL, 0);
    cbw_bytes(&tbs, payload, payload_len);
    size_t len;
    if (cbw_finish(&tbs, &len) != API_OK) {
        cbw_free(&tbs);
        *out = NULL;
        return 0;
    }
    *out = tbs.buf;
    return len;
}

size_t testkit_cose_signed_with_protected(uint8_t *out, size_t cap, const uint8_t *prot, size_t prot_len,
                                          const uint8_t *payload, size_t payload_len,
                                          const uint8_t sk[COSE_SK_LEN])
{
    uint8_t *tbs, sig[COSE_SIG_LEN];
    size_t tbs_len = testkit_sig_structure(&tbs, prot, prot_len, payload, payload_len);
    int ok = tbs_len > 0 && crypto_sign_detached(sig, NULL, tbs, tbs_len, sk) == 0;
    free(tbs);
    if (!ok) return 0;
    return testkit_cose_raw(out, cap, 18, 4, prot, prot_len, (const uint8_t *)"\xa0", 1, payload, payload_len,
                            sig, sizeof sig);
}

size_t testkit_qr_raw(char *out, size_t cap, const uint8_t *bytes, size_t len)
{
    if (cap < QRTEXT_PREFIX_LEN + 1) return 0;
    memcpy(out, QRTEXT_PREFIX, QRTEXT_PREFIX_LEN);
    size_t room = cap - QRTEXT_PREFIX_LEN - 1; /* keep room for the NUL */
    if (b45_encode(out + QRTEXT_PREFIX_LEN, &room, bytes, len) != 0) return 0;
    out[QRTEXT_PREFIX_LEN + room] = '\0';
    return QRTEXT_PREFIX_LEN + room;
}

size_t testkit_qr_zlib(char *out, size_t cap, const uint8_t *bytes, size_t len, int level)
{
    uLongf zlen = compressBound((uLong)len);
    uint8_t *z = malloc(zlen ? zlen : 1);
    if (!z) return 0;
    size_t n = 0;
    if (compress2(z, &zlen, bytes, (uLong)len, level) == Z_OK) n = testkit_qr_raw(out, cap, z, zlen);
    free(z);
    return n;
}

/* ---- hex and base64url ---- */

char *testkit_hex(const uint8_t *p, size_t n)
{
    return bytes_to_hex(testkit_malloc(2 * n + 1), p, n);
}

char *testkit_b64(const uint8_t *p, size_t n)
{
    size_t cap = b64url_encoded_size(n);
    char *s = testkit_malloc(cap);
    if (b64url_encode(s, cap, p, n) != 0) testkit_die("b64url_encode of %zu bytes", n);
    return s;
}

int testkit_unb64(uint8_t **out, size_t *len, const char *s)
{
    size_t n = strlen(s), cap = n * 3 / 4 + 3;
    const char *end;
    *out = testkit_malloc(cap);
    if (sodium_base642bin(*out, cap, s, n, NULL, len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != s + n) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* ---- temporary folders ---- */

int testkit_tmpdir_in(char dir[TESTKIT_DIR_MAX], const char *parent, const char *name)
{
    int n = snprintf(dir, TESTKIT_DIR_MAX, "%s/%s.XXXXXX", parent, name);
    if (n < 0 || n >= TESTKIT_DIR_MAX || !mkdtemp(dir)) {
        dir[0] = '\0';
        return -1;
    }
    return 0;
}

int testkit_tmpdir(char dir[TESTKIT_DIR_MAX], const char *name)
{
    const char *tmp = getenv("TMPDIR");
    return testkit_tmpdir_in(dir, tmp && *tmp ? tmp : "/tmp", name);
}

int testkit_tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    int rc = 0;
    if (d) {
        struct dirent *de;
        char path[4096];
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            int n = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            struct stat st;
            if (n < 0 || (size_t)n >= sizeof path)
                rc = -1;
            else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                rc |= testkit_tmpdir_remove(path);
            else if (unlink(path) != 0)
                rc = -1;
        }
        closedir(d);
    }
    if (rmdir(dir) != 0) rc = -1;
    return rc;
}

/* ---- the source tree and the vector generators ---- */

api_err testkit_source_read(uint8_t **data, size_t *len, const char *rel, size_t max)
{
    const char *root = getenv("API_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root && *root ? root : "..", rel);
    api_err e = fs_read_file(data, len, path, max);
    if (e != API_OK) e = fs_read_file(data, len, rel, max);
    return e;
}

int testkit_run_generator(const char *name, const char *out)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) { /* $BUILD/tests/test_x -> $BUILD */
        char *slash = strrchr(exe, '/');
        if (!slash) return -1;
        *slash = '\0';
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/vectors/%s", exe, name);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        char *args[] = {(char *)name, (char *)out, NULL};
        execv(path, args);
        fprintf(stderr, "testkit: cannot run %s\n", path);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- time and waits ---- */

int64_t testkit_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int testkit_wait_until(int (*done)(void *arg), void *arg, int64_t bound_ms)
{
    int64_t end = testkit_now_ms() + bound_ms;
    for (;;) {
        if (done(arg)) return 0;
        if (testkit_now_ms() >= end) return done(arg) ? 0 : -1;
        struct timespec pause = {0, 1000000};
        while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {}
    }
}

uint64_t testkit_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

int testkit_soak(void)
{
    const char *s = getenv("SOAK");
    return s && *s && strcmp(s, "0") != 0;
}
