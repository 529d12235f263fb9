/*
 * bench_format.c: in-process figures of the format (issue path and verify
 * path), each with its reference measured in the same run.
 *
 *   verify:  decode + signature + claims of a pool of distinct valid QR
 *            texts, on one core, against libsodium's bare
 *            crypto_sign_verify_detached over the same messages.
 *   report:  the same verification and its JSON report written as the
 *            service writes it (unindented), with the explanation in two
 *            languages and without it (a compact answer), against the
 *            same reference.
 *   issue:   claims -> COSE -> QR text -> QR code -> PNG in memory, on one
 *            core (the registry and file writes are measured by run.sh
 *            through the command line).
 *
 * The attestations are the example of the docs (the test kit's, included
 * here as the fuzz targets do) with a distinct id, index, name and number
 * each; the keys are the kit's.
 *
 * Usage: bench_format [POOL] [SECONDS]   (defaults 10000, 3)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cli.h"
#include "issuer/issuer.h"
#include "qr/claims.h"
#include "qr/cose.h"
#include "qr/qrtext.h"
#include "qr/render.h"
#include "qr/trust.h"
#include "tests/unit/testkit.c"
#include "verifier/report.h"
#include "verifier/verify.h"

typedef struct {
    char text[QRTEXT_MAX_TEXT];
    size_t len;
    uint8_t tbs[1024]; /* the Sig_structure, for the reference */
    size_t tbs_len;
    uint8_t sig[64];
} bench_item;

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The example attestation of the docs, with an id, index, family name and number of its own. */
static void bench_claims(api_claims *c, unsigned i)
{
    testkit_claims(c);
    randombytes_buf(c->cti, sizeof c->cti);
    c->status_idx = i % (1u << 21);
    snprintf(c->fn, sizeof c->fn, "DIALLO%u", i % 1000);
    snprintf(c->fnn, sizeof c->fnn, "75%08u", i % 100000000);
}

/* The Sig_structure of a QR text's COSE, for the bare-verify reference. */
static void bench_tbs(bench_item *it)
{
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t n = sizeof cose;
    cose_sign1 msg;
    if (qrtext_decode(cose, &n, it->text, it->len) != API_OK ||
        cose_sign1_parse(&msg, cose, n, COSE_TYP_ATTESTATION) != API_OK) {
        fprintf(stderr, "bench: pool item does not decode\n");
        exit(1);
    }
    uint8_t *tbs;
    it->tbs_len =
        testkit_sig_structure(&tbs, msg.protected_bytes, msg.protected_len, msg.payload, msg.payload_len);
    if (it->tbs_len == 0 || it->tbs_len > sizeof it->tbs) exit(1);
    memcpy(it->tbs, tbs, it->tbs_len);
    free(tbs);
    memcpy(it->sig, msg.signature, 64);
}

int main(int argc, char **argv)
{
    unsigned pool = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    cli_malloc_tune(); /* as the tools do */
    if (sodium_init() < 0 || pool == 0) return 1;

    testkit_key fr75;
    testkit_fr75(&fr75);
    const uint8_t *pk = fr75.pk;
    api_signer sk;
    signer_init_key(&sk, fr75.sk);
    trust_entry e;
    testkit_entry(&e, "FR-75", &fr75, TRUST_ACTIVE, 0);
    trust_list tl = {.seq = 1, .iat = 0, .exp = 4102444800, .n = 1, .entries = &e};

    bench_item *items = calloc(pool, sizeof *items);
    if (!items) return 1;
    for (unsigned i = 0; i < pool; i++) {
        api_claims c;
        bench_claims(&c, i);
        items[i].len = sizeof items[i].text;
        if (issuer_sign(items[i].text, &items[i].len, &c, &sk) != API_OK) return 1;
        bench_tbs(&items[i]);
    }

    /*
     * The full verification (QR text -> verdict), the same with its JSON
     * report in two languages and without explanation, and their reference,
     * bare crypto_sign_verify_detached over the same messages, measured in
     * alternating rounds of 0.2 s, so that a busy machine slows all alike.
     */
    verify_ctx ctx = {.tl = &tl, .now = 1790000000};
    unsigned long n[4] = {0, 0, 0, 0};
    double t[4] = {0, 0, 0, 0}, t0, t1;
    size_t compact_bytes = 0, full_bytes = 0;
    while (t[0] < seconds || t[1] < seconds || t[2] < seconds || t[3] < seconds) {
        for (int kind = 0; kind < 4; kind++) {
            t0 = bench_now();
            do {
                for (unsigned k = 0; k < 64; k++, n[kind]++) {
                    bench_item *it = &items[n[kind] % pool];
                    if (kind == 0) {
                        if (crypto_sign_verify_detached(it->sig, it->tbs, it->tbs_len, pk) != 0) return 1;
                        continue;
                    }
                    verify_result r;
                    verify_qrtext(&r, &ctx, it->text, it->len);
                    if (r.verdict != VERDICT_VALID) {
                        fprintf(stderr, "bench: verdict %s\n", verdict_code(r.verdict));
                        return 1;
                    }
                    if (kind == 1) continue;
                    cJSON *j =
                        report_json_lang(&r, &ctx, REPORT_FULL,
                                         kind == 2 ? (REPORT_LANG_FR | REPORT_LANG_EN) : REPORT_LANG_NONE);
                    char *out = j ? cJSON_PrintUnformatted(j) : NULL;
                    if (!out) return 1;
                    *(kind == 2 ? &full_bytes : &compact_bytes) += strlen(out);
                    cJSON_free(out);
                    cJSON_Delete(j);
                }
                t1 = bench_now();
            } while (t1 - t0 < 0.2);
            t[kind] += t1 - t0;
        }
    }
    double ref_rate = (double)n[0] / t[0], ver_rate = (double)n[1] / t[1];
    double full_rate = (double)n[2] / t[2], compact_rate = (double)n[3] / t[3];

    /* Issuance with PNG output, in memory. */
    render_opts ro;
    render_opts_default(&ro);
    unsigned long iss_n = 0;
    size_t png_bytes = 0;
    int max_version = 0;
    t0 = bench_now();
    do {
        api_claims c;
        bench_claims(&c, (unsigned)iss_n);
        char text[QRTEXT_MAX_TEXT];
        size_t len = sizeof text;
        render_code *code;
        uint8_t *png;
        size_t png_len;
        if (issuer_sign(text, &len, &c, &sk) != API_OK || render_code_make(&code, text, 'M') != API_OK ||
            render_code_png(&png, &png_len, code, &ro) != API_OK)
            return 1;
        if (render_code_version(code) > max_version) max_version = render_code_version(code);
        png_bytes += png_len;
        free(png);
        render_code_free(code);
        iss_n++;
        t1 = bench_now();
    } while (t1 - t0 < seconds);
    double iss_rate = (double)iss_n / (t1 - t0);

    printf("pool of distinct valid QR texts: %u (%zu characters each on average)\n", pool,
           (size_t)(items[0].len));
    printf("bare crypto_sign_verify_detached: %10.0f /s (one core)\n", ref_rate);
    printf("full verification (QR text):      %10.0f /s (one core)\n", ver_rate);
    printf("ratio verification / bare verify: %10.2f   (target 0.80 or better)\n", ver_rate / ref_rate);
    printf("verification + report, fr and en: %10.0f /s (ratio to bare verify %.2f; %zu bytes of JSON)\n",
           full_rate, full_rate / ref_rate, full_bytes / (n[2] ? n[2] : 1));
    printf("verification + report, compact:   %10.0f /s (ratio to bare verify %.2f; %zu bytes of JSON)\n",
           compact_rate, compact_rate / ref_rate, compact_bytes / (n[3] ? n[3] : 1));
    printf("issuance with PNG output:         %10.0f /s (one core; in memory; target 1000)\n", iss_rate);
    printf("  average PNG %zu bytes, largest QR version %d\n", png_bytes / (iss_n ? iss_n : 1), max_version);
    free(items);
    return 0;
}
