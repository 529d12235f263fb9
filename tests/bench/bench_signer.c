/*
 * bench_signer.c: Ed25519 signatures per second through the one signing
 * type (common/signer.h), with the key in a SoftHSM2 token (common/p11.h:
 * CKM_EDDSA, each signature verified against the public key) beside a file
 * key in memory (libsodium), measured in the same run, on one thread and
 * on four threads sharing the token's session (its mutex serialises them).
 *
 * The token is made in a temporary folder (SOFTHSM2_CONF); without
 * SoftHSM2 only the file key is measured.
 *
 * Usage: bench_signer [SECONDS]   (default 2 a figure)
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/p11.h"
#include "common/signer.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define MSG_LEN        400 /* about a COSE Sig_structure of an attestation */

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    const api_signer *s;
    double seconds;
    unsigned long n;
    int failed;
} bench_run;

static void *bench_sign(void *arg)
{
    bench_run *r = arg;
    uint8_t m[MSG_LEN], sig[SIGNER_SIG_LEN];
    randombytes_buf(m, sizeof m);
    double end = bench_now() + r->seconds;
    while (bench_now() < end) {
        m[r->n % MSG_LEN] ^= 1;
        if (signer_sign(r->s, sig, m, sizeof m) != API_OK) {
            r->failed = 1;
            return NULL;
        }
        r->n++;
    }
    return NULL;
}

/* Signatures per second of s over seconds, on threads threads. */
static double bench_rate(const api_signer *s, int threads, double seconds)
{
    pthread_t th[8];
    bench_run runs[8];
    double t0 = bench_now();
    for (int i = 0; i < threads; i++) {
        runs[i] = (bench_run){.s = s, .seconds = seconds};
        pthread_create(&th[i], NULL, bench_sign, &runs[i]);
    }
    unsigned long n = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        if (runs[i].failed) return -1;
        n += runs[i].n;
    }
    return (double)n / (bench_now() - t0);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2;
    if (sodium_init() < 0 || seconds <= 0) return 1;
    uint8_t pk[SIGNER_PK_LEN], sk[SIGNER_SK_LEN];
    crypto_sign_keypair(pk, sk);
    api_signer file;
    signer_init_key(&file, sk);
    double f1 = bench_rate(&file, 1, seconds);
    printf("file key (libsodium), 1 thread:          %8.0f signatures/s (reference)\n", f1);
    if (access(SOFTHSM_MODULE, R_OK) != 0 || system("command -v softhsm2-util >/dev/null 2>&1") != 0) {
        printf("SoftHSM2 is not installed: no token figure\n");
        return 0;
    }
    char dir[] = "/tmp/bench-signer.XXXXXX", conf[64], cmd[256];
    if (!mkdtemp(dir)) return 1;
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", dir);
    FILE *c = fopen(conf, "w");
    if (!c) return 1;
    fprintf(c, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", dir);
    fclose(c);
    setenv("SOFTHSM2_CONF", conf, 1);
    int rc = 1;
    p11_token *t = NULL;
    if (system("softhsm2-util --init-token --free --label bench --pin 123456 --so-pin 654321 >/dev/null") ==
        0) {
        char err[256];
        uint8_t id[P11_ID_LEN], tpk[SIGNER_PK_LEN];
        p11_key k;
        if (p11_open(&t, SOFTHSM_MODULE, "bench", "123456", 6, err, sizeof err) == API_OK &&
            p11_ed25519_generate(t, "bench", id, tpk, err, sizeof err) == API_OK &&
            p11_ed25519_find(&k, tpk, t, id, err, sizeof err) == API_OK) {
            api_signer token;
            signer_init_device(&token, tpk, p11_key_sign, &k);
            double t1 = bench_rate(&token, 1, seconds), t4 = bench_rate(&token, 4, seconds);
            printf("key in a SoftHSM2 token, 1 thread:       %8.0f signatures/s (%.1f %% of the file key)\n",
                   t1, 100 * t1 / f1);
            printf("key in a SoftHSM2 token, 4 threads:      %8.0f signatures/s (one session, its mutex)\n",
                   t4);
            rc = t1 > 0 && t4 > 0 ? 0 : 1;
        } else
            fprintf(stderr, "bench_signer: %s\n", err);
    }
    p11_close(t);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) rc = 1;
    return rc;
}
