/*
 * bench_receipt.c: what a signed receipt costs the service, in process,
 * each figure beside its reference measured in the same run:
 *
 *   report:   verification + compact JSON report (the employer's profile),
 *             the answer without a receipt: the reference;
 *   receipt:  the same, then the receipt made from that report and signed
 *             (receipt_of_report, Ed25519, zlib, Base45): receipt=true;
 *   check:    receipt_verify of those receipts against a key set of one
 *             key, as `receipt check` does, beside bare
 *             crypto_sign_verify_detached.
 *
 * Alternating rounds of 0.2 s, so that a busy machine slows all alike.
 * The attestations are the docs' example (the test kit's, included here as
 * the fuzz targets do), each with an id and a name of its own.
 *
 * Usage: bench_receipt [POOL] [SECONDS]   (defaults 2000, 2)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cli.h"
#include "issuer/issuer.h"
#include "qr/receipt.h"
#include "tests/unit/testkit.c"
#include "tests/unit/testkit_receipt.c"
#include "verifier/receiptkey.h"
#include "verifier/report.h"
#include "verifier/verify.h"

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned pool = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    cli_malloc_tune(); /* as the tools do */
    if (sodium_init() < 0 || pool == 0) return 1;
    testkit_key fr75, rk;
    testkit_fr75(&fr75);
    testkit_receipt_key(&rk);
    api_signer sk;
    signer_init_key(&sk, fr75.sk);
    trust_entry e;
    testkit_entry(&e, "FR-75", &fr75, TRUST_ACTIVE, 0);
    trust_list tl = {.seq = 1, .iat = 0, .exp = 4102444800, .n = 1, .entries = &e};
    receipt_key set;
    testkit_receipt_keyset(&set, &rk, TESTKIT_RECEIPT_ORG);

    typedef struct {
        char text[QRTEXT_MAX_TEXT];
        size_t len;
        char receipt[RECEIPT_TEXT_MAX];
        size_t rlen;
    } item;
    item *items = calloc(pool, sizeof *items);
    if (!items) return 1;
    for (unsigned i = 0; i < pool; i++) {
        api_claims c;
        testkit_claims(&c);
        randombytes_buf(c.cti, sizeof c.cti);
        snprintf(c.fn, sizeof c.fn, "DIALLO%u", i % 1000);
        items[i].len = sizeof items[i].text;
        if (issuer_sign(items[i].text, &items[i].len, &c, &sk) != API_OK) return 1;
    }
    verify_ctx ctx = {.tl = &tl, .now = 1790000000};
    unsigned long n[4] = {0, 0, 0, 0};
    double t[4] = {0, 0, 0, 0}, t0, t1;
    size_t receipt_chars = 0;
    while (t[0] < seconds || t[1] < seconds || t[2] < seconds || t[3] < seconds) {
        for (int kind = 0; kind < 4; kind++) {
            t0 = bench_now();
            do {
                for (unsigned k = 0; k < 32; k++, n[kind]++) {
                    item *it = &items[n[kind] % pool];
                    if (kind >= 2) {
                        if (!it->rlen) continue; /* made by a receipt round first */
                        if (kind == 2) {
                            api_receipt r;
                            if (receipt_verify(&r, NULL, NULL, it->receipt, it->rlen, &set, 1) !=
                                RECEIPT_VALID)
                                return 1;
                        } else {
                            uint8_t cose[QRTEXT_MAX_COSE];
                            cose_sign1 msg;
                            api_receipt r;
                            if (receipt_open(&r, &msg, cose, it->receipt, it->rlen) != API_OK) return 1;
                            uint8_t *tbs;
                            size_t tl_len = testkit_sig_structure(
                                &tbs, msg.protected_bytes, msg.protected_len, msg.payload, msg.payload_len);
                            int bad = crypto_sign_verify_detached(msg.signature, tbs, tl_len, rk.pk) != 0;
                            free(tbs);
                            if (bad) return 1;
                        }
                        continue;
                    }
                    verify_result r;
                    verify_qrtext(&r, &ctx, it->text, it->len);
                    cJSON *j = report_json_lang(&r, &ctx, REPORT_EMPLOYER, REPORT_LANG_NONE);
                    if (!j) return 1;
                    if (kind == 1) {
                        api_receipt rc;
                        it->rlen = sizeof it->receipt;
                        if (receipt_of_report(&rc, j, TESTKIT_RECEIPT_ORG, "Boulangerie Martin",
                                              "employer") != API_OK ||
                            receipt_sign(it->receipt, &it->rlen, &rc, rk.sk) != API_OK ||
                            !cJSON_AddStringToObject(j, "receipt", it->receipt))
                            return 1;
                        receipt_chars += it->rlen;
                    }
                    char *out = cJSON_PrintUnformatted(j);
                    if (!out) return 1;
                    cJSON_free(out);
                    cJSON_Delete(j);
                }
                t1 = bench_now();
            } while (t1 - t0 < 0.2);
            t[kind] += t1 - t0;
        }
    }
    double rep = n[0] / t[0], rec = n[1] / t[1], chk = n[2] / t[2], bare = n[3] / t[3];
    printf("verification + compact report (employer):  %8.0f /s (one core; the reference)\n", rep);
    printf("the same with a signed receipt:            %8.0f /s (ratio %.2f; receipts of %zu characters)\n",
           rec, rec / rep, receipt_chars / (n[1] ? n[1] : 1));
    printf("receipt check (decode + verify):           %8.0f /s (ratio to the bare signature check below "
           "%.2f)\n",
           chk, chk / bare);
    printf("  decode + bare crypto_sign_verify_detached: %8.0f /s\n", bare);
    free(items);
    return 0;
}
