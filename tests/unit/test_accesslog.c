/*
 * test_accesslog.c: the access log's lines (JSON, escaped, fixed names
 * only, hashes and no ids) and its file (0600, appended, reopened after a
 * rotation); and the metrics' exposition, which is counted beside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testkit.h"
#include "verifier/service/accesslog.h"
#include "verifier/service/metrics.h"

static void test_line_anonymous(void **state)
{
    (void)state;
    const uint8_t att[1][ACCESSLOG_HASH_LEN] = {{0x9f, 0x2c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xff}};
    accesslog_entry e = {.time = 1790000000,
                         .method = "POST",
                         .route = "verify",
                         .status = 200,
                         .profile = "anonymous",
                         .has_verdict = 1,
                         .verdict = VERDICT_EXPIRED,
                         .att = att,
                         .n_att = 1,
                         .latency_ms = 0.4124};
    size_t len;
    char *line = accesslog_format(&e, &len);
    assert_non_null(line);
    assert_int_equal(strlen(line), len);
    assert_string_equal(
        line, "{\"time\":\"2026-09-21T14:13:20Z\",\"method\":\"POST\",\"route\":\"verify\",\"status\":200,"
              "\"org\":null,\"key\":null,\"profile\":\"anonymous\",\"verdict\":\"expired\","
              "\"att\":\"9f2c000102030405060708090a0b0cff\",\"ms\":0.412}\n");
    free(line);
}

static void test_line_keyed_batch(void **state)
{
    (void)state;
    const uint8_t att[2][ACCESSLOG_HASH_LEN] = {{1}, {2}};
    uint32_t counts[VERDICT_COUNT] = {0};
    counts[VERDICT_VALID] = 2;
    counts[VERDICT_MALFORMED] = 1;
    accesslog_entry e = {.time = 0,
                         .method = "BREW",
                         .route = "verify_batch",
                         .status = 200,
                         .org = "Caf \"93\" \\ \n\x01",
                         .key_id = "Ab3d-_9x",
                         .profile = "social",
                         .verdicts = counts,
                         .att = att,
                         .n_att = 2,
                         .latency_ms = 12};
    size_t len;
    char *line = accesslog_format(&e, &len);
    assert_non_null(line);
    assert_string_equal(line,
                        "{\"time\":\"1970-01-01T00:00:00Z\",\"method\":\"OTHER\",\"route\":\"verify_batch\","
                        "\"status\":200,\"org\":\"Caf \\\"93\\\" \\\\ \\u000a\\u0001\",\"key\":\"Ab3d-_9x\","
                        "\"profile\":\"social\",\"verdict\":null,\"verdicts\":{\"valid\":2,\"malformed\":1},"
                        "\"att\":[\"01000000000000000000000000000000\",\"02000000000000000000000000000000\"],"
                        "\"ms\":12.000}\n");
    free(line);
    /* nothing verified: att is null */
    accesslog_entry g = {.time = 0, .method = "GET", .route = "healthz", .status = 200};
    line = accesslog_format(&g, &len);
    assert_non_null(strstr(line, "\"verdict\":null,\"att\":null,"));
    free(line);
}

static void test_file(void **state)
{
    (void)state;
    char dir[TESTKIT_DIR_MAX], path[TESTKIT_DIR_MAX + 32], rotated[TESTKIT_DIR_MAX + 32];
    assert_int_equal(testkit_tmpdir(dir, "api-accesslog"), 0);
    snprintf(path, sizeof path, "%s/access.log", dir);
    snprintf(rotated, sizeof rotated, "%s/access.log.1", dir);
    accesslog *l;
    assert_int_equal(accesslog_open(&l, path), API_OK);
    accesslog_entry e = {.time = 1, .method = "GET", .route = "bundle", .status = 200};
    accesslog_write(l, &e);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(rename(path, rotated), 0);
    accesslog_write(l, &e); /* still the old file until reopened */
    assert_int_equal(accesslog_reopen(l), API_OK);
    accesslog_write(l, &e);
    accesslog_close(l);
    FILE *f = fopen(rotated, "r");
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF) lines += c == '\n';
    fclose(f);
    assert_int_equal(lines, 2);
    f = fopen(path, "r");
    lines = 0;
    while ((c = fgetc(f)) != EOF) lines += c == '\n';
    fclose(f);
    assert_int_equal(lines, 1);
    assert_int_equal(testkit_tmpdir_remove(dir), 0);
    assert_int_equal(accesslog_open(&l, "/nonexistent-folder/x.log"), API_ERR_IO);
}

static void test_metrics(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    assert_non_null(m);
    metrics_request(m, METRICS_ROUTE_VERIFY, 200, 0.0004);
    metrics_request(m, METRICS_ROUTE_VERIFY, 200, 0.003);
    metrics_request(m, METRICS_ROUTE_VERIFY, 429, 0.00005);
    metrics_request(m, METRICS_ROUTE_COUNT, 999, 10); /* out of range: other, 500 */
    metrics_verdict(m, VERDICT_VALID, 2);
    metrics_rate_limited(m);
    metrics_issuer iss[2] = {{"FR-75", 1, 42}, {"FR-13", 0, 0}};
    metrics_replica rep = {1, 7, 1, 3, iss, 2, NULL};
    size_t len;
    char *text = metrics_render(m, &rep, &len);
    assert_non_null(text);
    static const char *const want[] = {
        "api_verifier_requests_total{route=\"verify\",status=\"200\"} 2\n",
        "api_verifier_requests_total{route=\"verify\",status=\"429\"} 1\n",
        "api_verifier_requests_total{route=\"other\",status=\"500\"} 1\n",
        "api_verifier_verdicts_total{result=\"valid\"} 2\n",
        "api_verifier_verdicts_total{result=\"malformed\"} 0\n",
        "api_verifier_request_duration_seconds_bucket{route=\"verify\",le=\"0.0001\"} 1\n",
        "api_verifier_request_duration_seconds_bucket{route=\"verify\",le=\"0.0005\"} 2\n",
        "api_verifier_request_duration_seconds_bucket{route=\"verify\",le=\"0.005\"} 3\n",
        "api_verifier_request_duration_seconds_bucket{route=\"verify\",le=\"+Inf\"} 3\n",
        "api_verifier_request_duration_seconds_count{route=\"verify\"} 3\n",
        "api_verifier_rate_limited_total 1\n",
        "api_verifier_forks_detected_total 1\n",
        "api_verifier_rollbacks_refused_total 3\n",
        "api_verifier_trust_list_seq 7\n",
        "api_verifier_sync_age_seconds{issuer=\"FR-75\"} 42\n",
        "# TYPE api_verifier_request_duration_seconds histogram\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i])) fail_msg("missing: %s", want[i]);
    assert_null(strstr(text, "FR-13")); /* no checkpoint held: no age */
    assert_int_equal(strlen(text), len);
    free(text);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_anonymous),
        cmocka_unit_test(test_line_keyed_batch),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests_name("accesslog", tests, NULL, NULL);
}
