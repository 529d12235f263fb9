/*
 * gen_corpus.c: writes the seed corpora of the format's fuzz targets into
 * tests/fuzz/corpus/<target>/, from the testkit's fixed keys and
 * attestation. Run once from the repository root; the output is committed,
 * the binary is not (the seeds predate the kit's attestation taking the
 * docs' id: a run now writes seeds with that id, as good for the fuzzer):
 *
 *   cc -std=c11 -D_DEFAULT_SOURCE -I. $(pkg-config --cflags libcjson) \
 *      tests/fuzz/gen_corpus.c build/release/libapi.a \
 *      $(pkg-config --libs libsodium zlib libcbor lmdb libcjson) -lm -o /tmp/gen_corpus && /tmp/gen_corpus
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "tests/unit/testkit.c"

static void put(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "tests/fuzz/corpus/%s", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "tests/fuzz/corpus/%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void put_text(const char *dir, const char *name, const char *text)
{
    put(dir, name, text, strlen(text));
}

int main(void)
{
    api_claims c;
    testkit_key k75, k13, root;
    testkit_claims(&c);
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    testkit_root(&root);

    /* claims payloads */
    uint8_t payload[2048];
    size_t pl = sizeof payload;
    if (claims_encode(payload, &pl, &c) != API_OK) return 1;
    put("claims", "testkit", payload, pl);
    api_claims c2 = c;
    c2.has_prv = 0;
    c2.app = CLAIMS_APP_FIRST;
    c2.wrk = CLAIMS_WRK_NO;
    strcpy(c2.fn, "NGUYEN THI");
    strcpy(c2.gn, "Minh Khai");
    strcpy(c2.dob, "1995-11");
    uint8_t p2[2048];
    size_t p2l = sizeof p2;
    if (claims_encode(p2, &p2l, &c2) != API_OK) return 1;
    put("claims", "first_no_prv", p2, p2l);
    put("claims", "empty_map", "\xa0", 1);

    /* COSE: the attestation, a -19 one, an FR-13 one, a trust list */
    uint8_t cose[TESTKIT_COSE_MAX];
    size_t cl = sizeof cose;
    if (testkit_sign_cose(cose, &cl, &c, k75.sk) != API_OK) return 1;
    put("cose", "attestation", cose, cl);
    uint8_t prot[128], c19[TESTKIT_COSE_MAX];
    size_t prl = testkit_protected(prot, sizeof prot, 1, COSE_ALG_ED25519, k75.kid, COSE_TYP_ATTESTATION, 0);
    size_t c19l = testkit_cose_signed_with_protected(c19, sizeof c19, prot, prl, payload, pl, k75.sk);
    put("cose", "alg_minus_19", c19, c19l);
    uint8_t c13[TESTKIT_COSE_MAX];
    size_t c13l = sizeof c13;
    if (testkit_sign_cose(c13, &c13l, &c2, k13.sk) != API_OK) return 1;
    put("cose", "fr13_wrong_iss", c13, c13l);

    /* trust lists: the usual one, and one with every state and a next root */
    trust_list tl;
    if (testkit_trust_list(&tl) != 0) return 1;
    uint8_t *tp;
    size_t tpl;
    if (trust_encode(&tp, &tpl, &tl) != API_OK) return 1;
    put("trust", "fr75_fr13", tp, tpl);
    free(tp);
    uint8_t *tc;
    size_t tcl;
    if (trust_sign(&tc, &tcl, &tl, root.sk) != API_OK) return 1;
    put("cose", "trust_list", tc, tcl);
    free(tc);
    trust_free(&tl);
    testkit_key k69;
    testkit_key_from_seed(&k69, 0x04);
    trust_entry e[3];
    testkit_entry(&e[0], "FR-75", &k75, TRUST_ACTIVE, 0);
    testkit_entry(&e[1], "FR-13", &k13, TRUST_RETIRED, 1790000000);
    testkit_entry(&e[2], "FR-69", &k69, TRUST_COMPROMISED, 0);
    if (testkit_trust_list_with(&tl, e, 3) != 0) return 1;
    tl.has_next_root = 1;
    memcpy(tl.next_root, root.pk, COSE_PK_LEN);
    if (trust_encode(&tp, &tpl, &tl) != API_OK) return 1;
    put("trust", "all_states_next_root", tp, tpl);
    free(tp);
    trust_free(&tl);
    if (testkit_trust_list_with(&tl, NULL, 0) != 0) return 1;
    if (trust_encode(&tp, &tpl, &tl) != API_OK) return 1;
    put("trust", "empty", tp, tpl);
    free(tp);
    trust_free(&tl);

    /* zlib streams */
    uint8_t z[TESTKIT_COSE_MAX];
    uLongf zl = sizeof z;
    if (compress2(z, &zl, cose, (uLong)cl, 9) != Z_OK) return 1;
    put("zlib", "attestation_level9", z, zl);
    zl = sizeof z;
    if (compress2(z, &zl, cose, (uLong)cl, 0) != Z_OK) return 1;
    put("zlib", "attestation_stored", z, zl);
    zl = sizeof z;
    if (compress2(z, &zl, (const uint8_t *)"", 0, 9) != Z_OK) return 1;
    put("zlib", "empty", z, zl);

    /* QR texts: compressed, uncompressed, FR-13 */
    char text[TESTKIT_QR_MAX];
    size_t tlen = sizeof text;
    if (testkit_sign_qr(text, &tlen, &c, k75.sk) != API_OK) return 1;
    put("qrtext", "attestation", text, tlen);
    /* Base45 corpus: the QR text body, and the RFC 9285 examples */
    put("b45", "attestation_body", text + 5, tlen - 5);
    put_text("b45", "rfc_ab", "BB8");
    put_text("b45", "rfc_hello", "%69 VD92EX0");
    put_text("b45", "rfc_ietf", "QED8WEX0");
    tlen = testkit_qr_raw(text, sizeof text, cose, cl);
    put("qrtext", "attestation_raw", text, tlen);
    api_claims c3 = c;
    strcpy(c3.iss, "FR-13");
    strcpy(c3.status_uri, "/feed/v1/FR-13/snapshot");
    tlen = sizeof text;
    if (testkit_sign_qr(text, &tlen, &c3, k13.sk) != API_OK) return 1;
    put("qrtext", "fr13", text, tlen);
    tlen = testkit_qr_zlib(text, sizeof text, c19, c19l, 9);
    put("qrtext", "alg_minus_19", text, tlen);
    /* the holder's card (typ api-card+cwt): its claims, its COSE, its QR text as the issuer writes it */
    uint8_t cp[512], cc[1024];
    size_t cpl = sizeof cp, ccl = sizeof cc;
    if (claims_reduced_encode(cp, &cpl, &c) != API_OK) return 1;
    put("claims", "card", cp, cpl);
    if (cose_sign1_sign(cc, &ccl, COSE_TYP_CARD, cp, cpl, k75.sk) != API_OK) return 1;
    put("cose", "card", cc, ccl);
    tlen = sizeof text;
    if (qrtext_encode_shortest(text, &tlen, cc, ccl) != API_OK) return 1;
    put("qrtext", "card", text, tlen);
    tlen = testkit_qr_zlib(text, sizeof text, cc, ccl, 9);
    put("qrtext", "card_zlib", text, tlen);
    puts("corpus written under tests/fuzz/corpus/");
    return 0;
}
