/*
 * test_fedview.c: what the service derives from its replica: the trust
 * list decoded once and its JSON view, refreshed when the replica takes a
 * newer list; the offline bundle, built once per change of the replica
 * (replica_version) in the format of docs/federation.md; and both handed
 * to many threads while the replica changes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "common/b64url.h"
#include "verifier/service/fedview.h"
#include "verifier/replica.h"
#include "tests/unit/testkit.h"

typedef struct {
    char dir[TESTKIT_DIR_MAX];
    replica *r;
    fedview *fv;
    testkit_key root;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    if (testkit_tmpdir(f->dir, "api-fedview") != 0) return -1;
    testkit_root(&f->root);
    if (replica_open(&f->r, f->dir) != API_OK) return -1;
    if (fedview_new(&f->fv, f->r, f->root.pk) != API_OK) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fedview_free(f->fv);
    replica_close(f->r);
    testkit_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Signs the usual list (FR-75, FR-13; FR-13 retired) with that seq and offers it; returns the COSE
 * (malloc'd). */
static uint8_t *offer(fixture *f, uint64_t seq, size_t *len)
{
    testkit_key k75, k13;
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    trust_entry e[2];
    testkit_entry(&e[0], "FR-75", &k75, TRUST_ACTIVE, 0);
    testkit_entry(&e[1], "FR-13", &k13, TRUST_RETIRED, testkit_time("2026-10-01T00:00:00Z"));
    snprintf(e[1].name, sizeof e[1].name,
             "Pr\xc3\xa9"
             "fecture \"13\"");
    trust_list tl;
    assert_int_equal(testkit_trust_list_with(&tl, e, 2), 0);
    tl.seq = seq;
    uint8_t *cose;
    assert_int_equal(trust_sign(&cose, len, &tl, f->root.sk), API_OK);
    trust_free(&tl);
    char err[256];
    assert_int_equal(replica_offer_trust(f->r, cose, *len, f->root.pk, err, sizeof err), API_OK);
    return cose;
}

static char *b64(const uint8_t *data, size_t len)
{
    size_t n = b64url_encoded_size(len);
    char *s = malloc(n);
    assert_non_null(s);
    assert_int_equal(b64url_encode(s, n, data, len), 0);
    return s;
}

static void test_nothing_held(void **state)
{
    fixture *f = *state;
    assert_null(fedview_trust_get(f->fv));
    api_err e = API_OK;
    assert_null(fedview_bundle_get(f->fv, 1, &e));
    assert_int_equal(e, API_ERR_NOT_FOUND);
}

static void test_trust_view(void **state)
{
    fixture *f = *state;
    uint64_t v0 = replica_version(f->r);
    size_t len;
    uint8_t *cose = offer(f, 7, &len);
    assert_true(replica_version(f->r) != v0);
    fedview_trust *t = fedview_trust_get(f->fv);
    assert_non_null(t);
    assert_int_equal(t->tl.seq, 7);
    assert_int_equal(t->tl.n, 2);
    assert_int_equal(t->signed_len, len);
    assert_memory_equal(t->signed_bytes, cose, len);
    cJSON *j = cJSON_ParseWithLength(t->json->body, t->json->len);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "seq")->valueint, 7);
    assert_string_equal(cJSON_GetObjectItem(j, "issued_at")->valuestring, "2026-09-01T00:00:00Z");
    assert_string_equal(cJSON_GetObjectItem(j, "expires_at")->valuestring, "2027-03-01T00:00:00Z");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "next_root")));
    char *signed_b64 = b64(cose, len);
    assert_string_equal(cJSON_GetObjectItem(j, "signed")->valuestring, signed_b64);
    const cJSON *iss = cJSON_GetObjectItem(j, "issuers");
    assert_int_equal(cJSON_GetArraySize(iss), 2);
    const cJSON *a = cJSON_GetArrayItem(iss, 0), *b = cJSON_GetArrayItem(iss, 1);
    assert_string_equal(cJSON_GetObjectItem(a, "id")->valuestring, "FR-75");
    assert_string_equal(cJSON_GetObjectItem(a, "state")->valuestring, "active");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(a, "retired_at")));
    assert_int_equal(strlen(cJSON_GetObjectItem(a, "kid")->valuestring), 16);
    testkit_key k75;
    testkit_fr75(&k75);
    char *pk = b64(k75.pk, sizeof k75.pk);
    assert_string_equal(cJSON_GetObjectItem(a, "public_key")->valuestring, pk);
    assert_string_equal(cJSON_GetObjectItem(b, "name")->valuestring, "Pr\xc3\xa9"
                                                                     "fecture \"13\"");
    assert_string_equal(cJSON_GetObjectItem(b, "state")->valuestring, "retired");
    assert_string_equal(cJSON_GetObjectItem(b, "retired_at")->valuestring, "2026-10-01T00:00:00Z");
    assert_int_equal(cJSON_GetObjectItem(b, "epoch")->valueint, 1);
    assert_non_null(cJSON_GetObjectItem(b, "feed"));
    assert_int_equal(strlen(t->json->etag), FEDVIEW_ETAG_LEN);
    cJSON_Delete(j);

    /* unchanged replica: the same object; a newer list: a new one, the old still usable by its holder */
    fedview_trust *again = fedview_trust_get(f->fv);
    assert_ptr_equal(again, t);
    fedview_trust_put(again);
    free(offer(f, 8, &len));
    fedview_trust *newer = fedview_trust_get(f->fv);
    assert_non_null(newer);
    assert_int_equal(newer->tl.seq, 8);
    assert_int_equal(t->tl.seq, 7);
    assert_string_not_equal(newer->json->etag, t->json->etag);
    fedview_trust_put(newer);
    fedview_trust_put(t);
    free(pk);
    free(signed_b64);
    free(cose);
}

static void test_bundle(void **state)
{
    fixture *f = *state;
    size_t len;
    uint8_t *cose = offer(f, 7, &len);
    api_err e;
    fedview_doc *d = fedview_bundle_get(f->fv, testkit_time("2026-11-22T05:40:00Z"), &e);
    assert_non_null(d);
    cJSON *j = cJSON_ParseWithLength(d->body, d->len);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "version")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(j, "generated_at")->valuestring, "2026-11-22T05:40:00Z");
    char *root = b64(f->root.pk, sizeof f->root.pk), *tl = b64(cose, len);
    assert_string_equal(cJSON_GetObjectItem(j, "root_public_key")->valuestring, root);
    assert_string_equal(cJSON_GetObjectItem(j, "trust_list")->valuestring, tl);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "issuers")), 0); /* no feed held yet */
    cJSON_Delete(j);
    /* made once while the replica does not change */
    fedview_doc *again = fedview_bundle_get(f->fv, testkit_time("2026-11-22T05:41:00Z"), &e);
    assert_ptr_equal(again, d);
    fedview_doc_put(again);
    free(offer(f, 9, &len));
    fedview_doc *newer = fedview_bundle_get(f->fv, testkit_time("2026-11-22T05:42:00Z"), &e);
    assert_non_null(newer);
    assert_ptr_not_equal(newer, d);
    assert_string_not_equal(newer->etag, d->etag);
    fedview_doc_put(newer);
    fedview_doc_put(d);
    free(root);
    free(tl);
    free(cose);
}

/* ---- threads ---- */

typedef struct {
    fedview *fv;
    atomic_int *stop;
    atomic_int seen;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    while (!atomic_load(a->stop)) {
        fedview_trust *t = fedview_trust_get(a->fv);
        if (t) {
            if (t->tl.n != 2 || t->json->len == 0) fail_msg("a torn trust view");
            atomic_fetch_add(&a->seen, 1);
            fedview_trust_put(t);
        }
        api_err e;
        fedview_doc *d = fedview_bundle_get(a->fv, 1, &e);
        if (d) {
            if (d->body[0] != '{' || d->body[d->len - 1] != '}') fail_msg("a torn bundle");
            fedview_doc_put(d);
        }
    }
    return NULL;
}

/* The four readers took a trust view, between them. */
static int readers_saw_a_view(void *p)
{
    reader_arg *args = p;
    int seen = 0;
    for (int i = 0; i < 4; i++) seen += atomic_load(&args[i].seen);
    return seen > 0;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    atomic_int stop;
    atomic_init(&stop, 0);
    pthread_t t[4];
    reader_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].fv = f->fv;
        args[i].stop = &stop;
        atomic_init(&args[i].seen, 0);
        assert_int_equal(pthread_create(&t[i], NULL, reader, &args[i]), 0);
    }
    size_t len;
    for (uint64_t seq = 10; seq < 40; seq++) {
        free(offer(f, seq, &len));
        usleep(2000); /* spreads the changes among the reads */
    }
    (void)testkit_wait_until(readers_saw_a_view, args, TESTKIT_BOUND_MS); /* however slow the machine */
    atomic_store(&stop, 1);
    int seen = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        seen += atomic_load(&args[i].seen);
    }
    print_message("trust views taken: %d\n", seen);
    assert_true(seen > 0);
    fedview_trust *last = fedview_trust_get(f->fv);
    assert_non_null(last);
    assert_int_equal(last->tl.seq, 39);
    fedview_trust_put(last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nothing_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trust_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests_name("fedview", tests, NULL, NULL);
}
