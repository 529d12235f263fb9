/*
 * test_bundle_vectors.c: the shared vectors of the offline web checker
 * (docs/vectors/bundle.json), written by tests/vectors/gen_bundle.c from
 * fixed seeds and checked here with the C verifier; web/test runs the same
 * file through web/src/lib, which must give the very same answers.
 *
 * The test (1) runs the generator and compares what it writes with the
 * committed file: byte for byte when this zlib writes the file's streams
 * (it compresses the first QR text's COSE to the same text); else QR texts
 * and snapshot lists, which hold zlib bytes, by what they decode to, the
 * zlib section only by names; (2) runs the C code over the committed file
 * (testkit_bundle_run): each bundle goes into a fresh replica through
 * replica_offer_trust and replica_sync, over a fake network serving the
 * bundle's objects, then every vector is verified with that replica as
 * status source at its time, for its result, reason and whole report;
 * (3) gives every signature to libsodium and every zlib stream to
 * zc_inflate_strict for their committed answers. `make vectors` writes
 * the file again.
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

#include "common/fs.h"
#include "qr/cose.h"
#include "qr/feed.h"
#include "qr/qrtext.h"
#include "qr/zc.h"
#include "tests/unit/testkit.h"

#define VEC_FILE "docs/vectors/bundle.json"
#define VEC_GEN  "gen_bundle"
#define VEC_MAX  (8 << 20)

static cJSON *file_parse(const uint8_t *data, size_t len)
{
    cJSON *j = cJSON_ParseWithLength((const char *)data, len);
    assert_non_null(j);
    return j;
}

static cJSON *file_load(void)
{
    uint8_t *data;
    size_t len;
    assert_int_equal(testkit_source_read(&data, &len, VEC_FILE, VEC_MAX), API_OK);
    cJSON *j = file_parse(data, len);
    free(data);
    return j;
}

/* The generator's file, and the committed one, as bytes. */
static void file_generate(uint8_t **fresh, size_t *fresh_len, uint8_t **committed, size_t *committed_len)
{
    char dir[TESTKIT_DIR_MAX], path[TESTKIT_DIR_MAX + 32];
    assert_int_equal(testkit_tmpdir(dir, "api-bundle-vectors"), 0);
    snprintf(path, sizeof path, "%s/bundle.json", dir);
    assert_int_equal(testkit_run_generator(VEC_GEN, path), 0);
    assert_int_equal(fs_read_file(fresh, fresh_len, path, VEC_MAX), API_OK);
    assert_int_equal(testkit_tmpdir_remove(dir), 0);
    assert_int_equal(testkit_source_read(committed, committed_len, VEC_FILE, VEC_MAX), API_OK);
}

static const char *jstr(const cJSON *o, const char *k)
{
    return testkit_json_str(o, k);
}

static int jbool(const cJSON *o, const char *k)
{
    return testkit_json_bool(o, k);
}

static int unb64(uint8_t **out, size_t *len, const char *s)
{
    return testkit_unb64(out, len, s);
}

/* Two COSE objects are equal, or two snapshots describe the same state (their lst is zlib). */
static void assert_same_object(const char *what, const char *want, const char *got, int is_snapshot)
{
    if (!want || !got) {
        assert_true(!want && !got);
        return;
    }
    if (!is_snapshot) {
        if (strcmp(want, got) != 0) fail_msg("%s differs from the seeds' build", what);
        return;
    }
    uint8_t *a, *b;
    size_t an, bn;
    assert_int_equal(unb64(&a, &an, want), 0);
    assert_int_equal(unb64(&b, &bn, got), 0);
    feed_snapshot sa, sb;
    cose_sign1 ma, mb;
    assert_int_equal(feed_snapshot_parse(&sa, &ma, a, an), API_OK);
    assert_int_equal(feed_snapshot_parse(&sb, &mb, b, bn), API_OK);
    assert_memory_equal(&sa.at, &sb.at, sizeof sa.at);
    assert_memory_equal(sa.bits, sb.bits, FEED_LIST_BYTES);
    assert_int_equal(sa.n_ext, sb.n_ext);
    assert_memory_equal(sa.ext, sb.ext, sa.n_ext * sizeof *sa.ext);
    feed_snapshot_free(&sa);
    feed_snapshot_free(&sb);
    free(a);
    free(b);
}

/* The COSE a QR text decodes to. */
static char *qr_cose_hex(const char *qr)
{
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t n = sizeof cose;
    assert_int_equal(qrtext_decode(cose, &n, qr, strlen(qr)), API_OK);
    return testkit_hex(cose, n);
}

/* This zlib writes the file's streams: it compresses the first QR text's COSE to that very text. */
static int same_zlib(const cJSON *file)
{
    const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(file, "bundles"), 0);
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "vectors"), 0);
    const char *qr = jstr(v, "qr");
    assert_non_null(qr);
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t n = sizeof cose, tlen = QRTEXT_MAX_TEXT;
    assert_int_equal(qrtext_decode(cose, &n, qr, strlen(qr)), API_OK);
    char *text = malloc(tlen);
    assert_non_null(text);
    assert_int_equal(qrtext_encode(text, &tlen, cose, n), API_OK);
    int same = strcmp(text, qr) == 0;
    free(text);
    return same;
}

/* The committed file is what the generator writes from the seeds. */
static void test_bundle_vectors_reproducible(void **state)
{
    (void)state;
    uint8_t *fresh_bytes, *committed;
    size_t fresh_len, committed_len;
    file_generate(&fresh_bytes, &fresh_len, &committed, &committed_len);
    cJSON *file = file_parse(committed, committed_len), *fresh = file_parse(fresh_bytes, fresh_len);
    if (same_zlib(file)) {
        if (fresh_len != committed_len || memcmp(fresh_bytes, committed, fresh_len) != 0)
            fail_msg("%s is not what %s writes (make vectors writes it again)", VEC_FILE, VEC_GEN);
    } else {
        print_message("zlib %s writes other streams than the file's: compared by what they decode to\n",
                      zlibVersion());
    }
    assert_string_equal(jstr(file, "root_public_key"), jstr(fresh, "root_public_key"));
    const cJSON *fb = cJSON_GetObjectItemCaseSensitive(file, "bundles"),
                *nbs = cJSON_GetObjectItemCaseSensitive(fresh, "bundles");
    int n_bundles = cJSON_GetArraySize(nbs);
    assert_int_equal(cJSON_GetArraySize(fb), n_bundles);
    for (int i = 0; i < n_bundles; i++) {
        const cJSON *b = cJSON_GetArrayItem(fb, i), *nb = cJSON_GetArrayItem(nbs, i);
        const char *name = jstr(nb, "name");
        assert_string_equal(jstr(b, "name"), name);
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(b, "bundle"),
                    *y = cJSON_GetObjectItemCaseSensitive(nb, "bundle");
        assert_same_object("trust_list", jstr(x, "trust_list"), jstr(y, "trust_list"), 0);
        const cJSON *xi = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x, "issuers"), 0),
                    *yi = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(y, "issuers"), 0);
        assert_same_object("checkpoint", jstr(xi, "checkpoint"), jstr(yi, "checkpoint"), 0);
        assert_same_object("snapshot", jstr(xi, "snapshot"), jstr(yi, "snapshot"), 1);
        assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(xi, "segments"),
                                  cJSON_GetObjectItemCaseSensitive(yi, "segments"), 1));
        /* everything else but the vectors' QR texts and reports is the same */
        const char *fields[] = {"description", "previous", "loaded_at", "trust_accepted", "loadable", "sync"};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(b, fields[k]),
                               cJSON_GetObjectItemCaseSensitive(nb, fields[k]), 1))
                fail_msg("bundle %s: %s differs", name, fields[k]);
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(b, "vectors"),
                    *nvs = cJSON_GetObjectItemCaseSensitive(nb, "vectors");
        int n_vecs = cJSON_GetArraySize(nvs);
        assert_int_equal(cJSON_GetArraySize(vs), n_vecs);
        for (int k = 0; k < n_vecs; k++) {
            const cJSON *v = cJSON_GetArrayItem(vs, k), *w = cJSON_GetArrayItem(nvs, k);
            const char *vname = jstr(w, "name");
            assert_string_equal(jstr(v, "name"), vname);
            assert_string_equal(jstr(v, "at"), jstr(w, "at"));
            assert_string_equal(jstr(v, "result"), jstr(w, "result"));
            if (jstr(w, "reason"))
                assert_string_equal(jstr(v, "reason"), jstr(w, "reason"));
            else
                assert_null(jstr(v, "reason"));
            char *a = qr_cose_hex(jstr(v, "qr")), *bb = qr_cose_hex(jstr(w, "qr"));
            if (strcmp(a, bb) != 0) fail_msg("%s/%s: the QR text's COSE differs", name, vname);
            free(a);
            free(bb);
        }
    }
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(file, "signatures"),
                              cJSON_GetObjectItemCaseSensitive(fresh, "signatures"), 1));
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(file, "explain"),
                              cJSON_GetObjectItemCaseSensitive(fresh, "explain"), 1));
    const cJSON *z = cJSON_GetObjectItemCaseSensitive(file, "zlib"),
                *nz = cJSON_GetObjectItemCaseSensitive(fresh, "zlib");
    int n_zvecs = cJSON_GetArraySize(nz);
    assert_int_equal(cJSON_GetArraySize(z), n_zvecs);
    for (int i = 0; i < n_zvecs; i++)
        assert_string_equal(jstr(cJSON_GetArrayItem(z, i), "name"), jstr(cJSON_GetArrayItem(nz, i), "name"));
    cJSON_Delete(fresh);
    cJSON_Delete(file);
    free(fresh_bytes);
    free(committed);
}

/* Every committed bundle loads as the file says and every vector gets its result, reason and report. */
static void test_bundle_vectors_verdicts(void **state)
{
    (void)state;
    cJSON *file = file_load();
    char err[8192];
    if (testkit_bundle_run(file, 0, err, sizeof err) != 0) fail_msg("%s", err);
    cJSON_Delete(file);
}

/* libsodium gives every committed signature its committed answer. */
static void test_bundle_vectors_signatures(void **state)
{
    (void)state;
    cJSON *file = file_load();
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(file, "signatures"))
    {
        uint8_t pk[32], sig[64], msg[64];
        size_t n;
        const char *m = jstr(s, "message");
        assert_int_equal(sodium_hex2bin(pk, 32, jstr(s, "public_key"), 64, NULL, NULL, NULL), 0);
        assert_int_equal(sodium_hex2bin(sig, 64, jstr(s, "signature"), 128, NULL, NULL, NULL), 0);
        assert_int_equal(sodium_hex2bin(msg, sizeof msg, m, strlen(m), NULL, &n, NULL), 0);
        int valid = crypto_sign_verify_detached(sig, msg, n, pk) == 0;
        if (valid != jbool(s, "valid")) fail_msg("%s: libsodium says %d", jstr(s, "name"), valid);
    }
    cJSON_Delete(file);
}

/* zc_inflate_strict gives every committed stream its committed answer. */
static void test_bundle_vectors_zlib(void **state)
{
    (void)state;
    cJSON *file = file_load();
    const cJSON *z;
    cJSON_ArrayForEach(z, cJSON_GetObjectItemCaseSensitive(file, "zlib"))
    {
        const char *h = jstr(z, "stream");
        size_t n, max = (size_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(z, "max_out"));
        uint8_t in[2048], *out = malloc(max);
        assert_non_null(out);
        assert_int_equal(sodium_hex2bin(in, sizeof in, h, strlen(h), NULL, &n, NULL), 0);
        size_t got = max;
        int ok = zc_inflate_strict(out, &got, in, n) == API_OK;
        if (ok != jbool(z, "ok")) fail_msg("%s: zc_inflate_strict says %d", jstr(z, "name"), ok);
        if (ok) {
            uint8_t d[32];
            crypto_hash_sha256(d, out, got);
            char *hx = testkit_hex(d, 32);
            assert_string_equal(hx, jstr(z, "sha256"));
            free(hx);
        }
        free(out);
    }
    cJSON_Delete(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_vectors_reproducible),
        cmocka_unit_test(test_bundle_vectors_verdicts),
        cmocka_unit_test(test_bundle_vectors_signatures),
        cmocka_unit_test(test_bundle_vectors_zlib),
    };
    return cmocka_run_group_tests_name("bundle vectors", tests, NULL, NULL);
}
