/*
 * test_vectors.c: the published test vectors (docs/vectors/attestations.json),
 * written by tests/vectors/gen_attestations.c from fixed seeds.
 *
 * The test (1) runs the generator and compares what it writes with the
 * committed file: byte for byte when this zlib compresses the first vector
 * as the file does; else each COSE byte string (Ed25519 and our CBOR are
 * deterministic, the zlib bytes depend on the zlib version, so the QR
 * texts are then compared only through what they decode to); and (2) runs
 * the verifier on every committed QR text and checks its verdict and
 * reason (as a reader of both kinds of code, or of the one kind a vector's
 * "accept" names). `make vectors` writes the file again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/b64url.h"
#include "common/bytes.h"
#include "common/fs.h"
#include "common/time.h"
#include "qr/qrtext.h"
#include "qr/trust.h"
#include "tests/unit/testkit.h"
#include "verifier/verify.h"

#define VEC_FILE "docs/vectors/attestations.json"
#define VEC_GEN  "gen_attestations"

static cJSON *vec_parse(const uint8_t *data, size_t len)
{
    cJSON *j = cJSON_ParseWithLength((const char *)data, len);
    assert_non_null(j);
    return j;
}

static cJSON *vec_load(void)
{
    uint8_t *data;
    size_t len;
    assert_int_equal(testkit_source_read(&data, &len, VEC_FILE, 1 << 20), API_OK);
    cJSON *j = vec_parse(data, len);
    free(data);
    return j;
}

/* The generator's file, and the committed one, as bytes. */
static void vec_generate(uint8_t **fresh, size_t *fresh_len, uint8_t **committed, size_t *committed_len)
{
    char dir[TESTKIT_DIR_MAX], path[TESTKIT_DIR_MAX + 32];
    assert_int_equal(testkit_tmpdir(dir, "api-vectors"), 0);
    snprintf(path, sizeof path, "%s/attestations.json", dir);
    assert_int_equal(testkit_run_generator(VEC_GEN, path), 0);
    assert_int_equal(fs_read_file(fresh, fresh_len, path, 1 << 20), API_OK);
    assert_int_equal(testkit_tmpdir_remove(dir), 0);
    assert_int_equal(testkit_source_read(committed, committed_len, VEC_FILE, 1 << 20), API_OK);
}

/* This zlib writes the committed QR text of the first vector from its COSE: it writes the file's streams. */
static int same_zlib(const cJSON *file)
{
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(file, "vectors"), 0);
    const char *hex = testkit_json_str(v, "cose_hex"), *qr = testkit_json_str(v, "qr");
    assert_non_null(hex);
    assert_non_null(qr);
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t n = strlen(hex) / 2, tlen = QRTEXT_MAX_TEXT;
    assert_int_equal(bytes_from_hex(cose, n, hex, strlen(hex)), 0);
    char *text = malloc(tlen);
    assert_non_null(text);
    assert_int_equal(qrtext_encode(text, &tlen, cose, n), API_OK);
    int same = strcmp(text, qr) == 0;
    free(text);
    return same;
}

/* The committed file is what the generator writes from the seeds. */
static void test_vectors_reproducible(void **state)
{
    (void)state;
    uint8_t *fresh_bytes, *committed;
    size_t fresh_len, committed_len;
    vec_generate(&fresh_bytes, &fresh_len, &committed, &committed_len);
    cJSON *j = vec_parse(committed, committed_len), *fresh = vec_parse(fresh_bytes, fresh_len);
    if (same_zlib(j)) {
        if (fresh_len != committed_len || memcmp(fresh_bytes, committed, fresh_len) != 0)
            fail_msg("%s is not what %s writes (make vectors writes it again)", VEC_FILE, VEC_GEN);
    } else {
        print_message("zlib %s writes other streams than the file's: QR texts compared by their COSE\n",
                      zlibVersion());
    }
    assert_string_equal(testkit_json_str(j, "trust_list_cose_hex"),
                        testkit_json_str(fresh, "trust_list_cose_hex"));
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "vectors"),
                *fresh_arr = cJSON_GetObjectItemCaseSensitive(fresh, "vectors");
    assert_int_equal(cJSON_GetArraySize(arr), cJSON_GetArraySize(fresh_arr));
    for (int i = 0; i < cJSON_GetArraySize(arr); i++) {
        const cJSON *v = cJSON_GetArrayItem(arr, i), *w = cJSON_GetArrayItem(fresh_arr, i);
        assert_string_equal(testkit_json_str(v, "name"), testkit_json_str(w, "name"));
        assert_string_equal(testkit_json_str(v, "cose_hex"), testkit_json_str(w, "cose_hex"));
        assert_string_equal(testkit_json_str(v, "result"), testkit_json_str(w, "result"));
    }
    cJSON_Delete(fresh);
    cJSON_Delete(j);
    free(fresh_bytes);
    free(committed);
}

/* Every committed QR text gets its expected verdict and reason. */
static void test_vectors_verdicts(void **state)
{
    (void)state;
    cJSON *j = vec_load();
    uint8_t root[32], tl_bytes[8192];
    const char *rk = testkit_json_str(j, "root_public_key");
    assert_int_equal(b64url_decode_exact(root, 32, rk, strlen(rk)), 0);
    size_t tl_len;
    const char *th = testkit_json_str(j, "trust_list_cose_hex");
    assert_int_equal(sodium_hex2bin(tl_bytes, sizeof tl_bytes, th, strlen(th), NULL, &tl_len, NULL), 0);
    trust_list tl;
    assert_int_equal(trust_verify(&tl, NULL, 0, tl_bytes, tl_len, root), API_OK);
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "vectors"))
    {
        verify_ctx ctx = {.tl = &tl};
        assert_int_equal(time_parse_instant(&ctx.now, testkit_json_str(v, "at")), 0);
        const char *accept = testkit_json_str(v, "accept"); /* a reader of one kind only */
        if (accept && strcmp(accept, "full") == 0)
            ctx.accept = VERIFY_ACCEPT_FULL;
        else if (accept && strcmp(accept, "reduced") == 0)
            ctx.accept = VERIFY_ACCEPT_REDUCED;
        else
            assert_null(accept);
        const char *qr = testkit_json_str(v, "qr");
        verify_result r;
        verify_qrtext(&r, &ctx, qr, strlen(qr));
        if (strcmp(verdict_code(r.verdict), testkit_json_str(v, "result")) != 0)
            fail_msg("%s: got %s (%s), wanted %s", testkit_json_str(v, "name"), verdict_code(r.verdict),
                     reason_code(r.reason) ? reason_code(r.reason) : "-", testkit_json_str(v, "result"));
        const char *reason = testkit_json_str(v, "reason");
        if (reason)
            assert_string_equal(reason_code(r.reason), reason);
        else
            assert_null(reason_code(r.reason));
        /* The QR text decodes to the published COSE bytes. */
        const char *ch = testkit_json_str(v, "cose_hex");
        if (*ch && strcmp(testkit_json_str(v, "reason") ? testkit_json_str(v, "reason") : "", "zlib") != 0) {
            uint8_t cose[QRTEXT_MAX_COSE];
            size_t n = sizeof cose;
            assert_int_equal(qrtext_decode(cose, &n, qr, strlen(qr)), API_OK);
            char *h = testkit_hex(cose, n);
            assert_string_equal(h, ch);
            free(h);
        }
    }
    trust_free(&tl);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_reproducible),
        cmocka_unit_test(test_vectors_verdicts),
    };
    return cmocka_run_group_tests_name("vectors", tests, NULL, NULL);
}
