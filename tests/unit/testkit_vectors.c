/*
 * testkit_vectors.c: what the generators of the published vectors
 * (tests/vectors/gen_*.c, which write docs/vectors/) and the tests that
 * check those files share (see testkit.h): JSON fields, writing a file the
 * way the generators do, and running a bundle file through the C verifier.
 *
 * A bundle is loaded the way the offline checker and a verifier load one:
 * the trust list offered with the pinned root, then a sync that fetches
 * each issuer's checkpoint, snapshot and segments. Here the fetches go to a
 * fake network (testkit_net) holding the bundle's objects at the URLs the
 * held trust list gives each issuer's feed; anything else is a 404.
 */
#include <cjson/cJSON.h>

#include "tests/unit/testkit.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64url.h"
#include "common/fs.h"
#include "qr/feed.h"
#include "verifier/replica.h"
#include "verifier/report.h"
#include "verifier/verify.h"

#define TESTKIT_BUNDLE_MAX_STALENESS 86400 /* the offline checker's 24 hours */

int testkit_vectors_write(const char *path, const cJSON *file)
{
    char *s = cJSON_Print(file);
    if (!s) return -1;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return -1;
    }
    t[n] = '\n';
    api_err e = fs_write_atomic(path, t, n + 1, 0644, 0);
    free(t);
    return e == API_OK ? 0 : -1;
}

const char *testkit_json_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int testkit_json_bool(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* ---- running a bundle file ---- */

static int run_fail(char *err, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int run_fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* An instant of the file, or INT64_MIN. */
static int64_t run_time(const cJSON *o, const char *k)
{
    const char *s = testkit_json_str(o, k);
    return s ? testkit_time(s) : INT64_MIN;
}

/* Serves one issuer of the bundle under base: its checkpoint, its snapshot if any, each segment by its first.
 */
static void run_serve_issuer(testkit_net *net, const cJSON *obj, const char *iss, const char *base)
{
    static const char *const single[] = {"checkpoint", "snapshot"};
    char url[320];
    uint8_t *bytes;
    size_t len;
    for (size_t i = 0; i < 2; i++) {
        const char *text = testkit_json_str(obj, single[i]);
        if (!text || testkit_unb64(&bytes, &len, text) != 0) continue;
        testkit_feed_url(url, sizeof url, base, iss, single[i]);
        testkit_net_put(net, url, bytes, len);
        free(bytes);
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(obj, "segments"))
    {
        if (!cJSON_IsString(it) || testkit_unb64(&bytes, &len, it->valuestring) != 0) continue;
        feed_segment s;
        cose_sign1 msg;
        if (feed_segment_parse(&s, &msg, bytes, len) == API_OK) {
            testkit_segment_url(url, sizeof url, base, iss, s.first);
            testkit_net_put(net, url, bytes, len);
        }
        feed_segment_free(&s);
        free(bytes);
    }
}

/* The bundle's objects at the feed URLs that tl gives their issuers. */
static void run_serve(testkit_net *net, const cJSON *bundle, const trust_list *tl)
{
    const cJSON *obj;
    cJSON_ArrayForEach(obj, cJSON_GetObjectItemCaseSensitive(bundle, "issuers"))
    {
        const char *iss = testkit_json_str(obj, "iss");
        if (!iss) continue;
        for (size_t i = 0; i < tl->n; i++) {
            const trust_entry *e = &tl->entries[i];
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(tl->entries[j].id, e->id) == 0 && strcmp(tl->entries[j].feed, e->feed) == 0;
            if (!seen && e->feed[0] && strcmp(e->id, iss) == 0) run_serve_issuer(net, obj, iss, e->feed);
        }
    }
}

static const cJSON *run_bundle_named(const cJSON *file, const char *name)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(file, "bundles"))
    {
        const char *s = testkit_json_str(b, "name");
        if (s && strcmp(s, name) == 0) return b;
    }
    return NULL;
}

/*
 * Loads bundle entry b (after its previous ones) into r as a verifier
 * would: offer the trust list with the pinned root, then sync. *accepted:
 * the trust list was taken; *loadable: a list is held afterwards. 0, or -1
 * with err.
 */
static int run_load(replica *r, const cJSON *file, const cJSON *b, const uint8_t root[32],
                    replica_sync_report *rep, int *accepted, int *loadable, char *err, size_t errcap)
{
    const char *prev = testkit_json_str(b, "previous");
    if (prev) {
        const cJSON *p = run_bundle_named(file, prev);
        int taken, held;
        if (!p) return run_fail(err, errcap, "no bundle %s", prev);
        if (run_load(r, file, p, root, rep, &taken, &held, err, errcap) != 0) return -1;
        if (!held)
            return run_fail(err, errcap, "%s: no trust list held after %s", testkit_json_str(b, "name"),
                            prev);
        memset(rep, 0, sizeof *rep);
    }
    const cJSON *bundle = cJSON_GetObjectItemCaseSensitive(b, "bundle");
    const char *tl_text = testkit_json_str(bundle, "trust_list");
    uint8_t *tl_bytes;
    size_t tl_len;
    char why[256];
    if (!tl_text || testkit_unb64(&tl_bytes, &tl_len, tl_text) != 0)
        return run_fail(err, errcap, "%s: the trust list is not base64url", testkit_json_str(b, "name"));
    *accepted = replica_offer_trust(r, tl_bytes, tl_len, root, why, sizeof why) == API_OK;
    free(tl_bytes);
    trust_list tl;
    *loadable = replica_trust(r, &tl) == API_OK;
    if (!*loadable) return 0;
    testkit_net net;
    testkit_net_init(&net);
    run_serve(&net, bundle, &tl);
    trust_free(&tl);
    int64_t loaded_at = run_time(b, "loaded_at");
    if (loaded_at == INT64_MIN) {
        testkit_net_free(&net);
        return run_fail(err, errcap, "%s: loaded_at is not an instant", testkit_json_str(b, "name"));
    }
    (void)replica_sync(r, NULL, 0, testkit_net_fetch, &net, loaded_at, NULL, rep);
    testkit_net_free(&net);
    return 0;
}

/* What the sync said of each issuer is what the file says. */
static int run_check_sync(const cJSON *b, const replica_sync_report *rep, int loadable, char *err,
                          size_t errcap)
{
    const char *bname = testkit_json_str(b, "name");
    const cJSON *s;
    size_t k = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(b, "sync"))
    {
        if (k >= rep->n) return run_fail(err, errcap, "%s: the sync reports %zu issuers only", bname, rep->n);
        const replica_issuer_report *ir = &rep->issuers[k++];
        const char *iss = testkit_json_str(s, "iss");
        if (!iss || strcmp(ir->iss, iss) != 0)
            return run_fail(err, errcap, "%s: issuer %zu is %s, wanted %s", bname, k, ir->iss,
                            iss ? iss : "-");
        if (ir->reached != testkit_json_bool(s, "reached") || ir->fork != testkit_json_bool(s, "fork") ||
            ir->rollback != testkit_json_bool(s, "rollback"))
            return run_fail(err, errcap, "%s: %s reached %d fork %d rollback %d (%s)", bname, ir->iss,
                            ir->reached, ir->fork, ir->rollback, ir->error);
    }
    if (k != (loadable ? rep->n : 0))
        return run_fail(err, errcap, "%s: the sync reports %zu issuers, the file %zu", bname,
                        loadable ? rep->n : 0, k);
    return 0;
}

/* Every vector of b gets the file's verdict, reason and report (or its report is filled in). */
static int run_check_vectors(const cJSON *b, replica *r, const trust_list *tl, int fill, char *err,
                             size_t errcap)
{
    const char *bname = testkit_json_str(b, "name");
    cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(b, "vectors"))
    {
        const char *vname = testkit_json_str(v, "name"), *qr = testkit_json_str(v, "qr"),
                   *result = testkit_json_str(v, "result");
        const char *reason = testkit_json_str(v, "reason");
        verify_ctx ctx = {.tl = tl,
                          .now = run_time(v, "at"),
                          .status_fn = replica_status,
                          .status_arg = r,
                          .max_staleness = TESTKIT_BUNDLE_MAX_STALENESS};
        if (!vname || !qr || !result || ctx.now == INT64_MIN)
            return run_fail(err, errcap, "%s: a vector without name, qr, result or at", bname);
        verify_result res;
        verify_qrtext(&res, &ctx, qr, strlen(qr));
        if (strcmp(verdict_code(res.verdict), result) != 0 ||
            strcmp(reason_code(res.reason) ? reason_code(res.reason) : "-", reason ? reason : "-") != 0)
            return run_fail(
                err, errcap, "%s/%s: got %s (%s), wanted %s (%s)", bname, vname, verdict_code(res.verdict),
                reason_code(res.reason) ? reason_code(res.reason) : "-", result, reason ? reason : "-");
        cJSON *report = report_json(&res, &ctx, REPORT_FULL);
        if (!report) return run_fail(err, errcap, "%s/%s: no report", bname, vname);
        if (fill) {
            cJSON_DeleteItemFromObjectCaseSensitive(v, "report");
            cJSON_AddItemToObject(v, "report", report);
            continue;
        }
        int same = cJSON_Compare(report, cJSON_GetObjectItemCaseSensitive(v, "report"), 1);
        char *got = same ? NULL : cJSON_Print(report);
        cJSON_Delete(report);
        if (!same) {
            run_fail(err, errcap, "%s/%s: the report differs from the file's:\n%s", bname, vname,
                     got ? got : "-");
            free(got);
            return -1;
        }
    }
    return 0;
}

/* One bundle entry, in a fresh replica in dir. */
static int run_one(cJSON *file, cJSON *b, const uint8_t root[32], const char *dir, int fill, char *err,
                   size_t errcap)
{
    const char *bname = testkit_json_str(b, "name");
    replica *r;
    if (replica_open(&r, dir) != API_OK) return run_fail(err, errcap, "%s: replica_open %s", bname, dir);
    replica_sync_report *rep = calloc(1, sizeof *rep);
    if (!rep) testkit_die("out of memory");
    int accepted = 0, loadable = 0, rc = run_load(r, file, b, root, rep, &accepted, &loadable, err, errcap);
    if (rc == 0 &&
        (accepted != testkit_json_bool(b, "trust_accepted") || loadable != testkit_json_bool(b, "loadable")))
        rc = run_fail(err, errcap, "%s: trust list taken %d, loadable %d", bname, accepted, loadable);
    if (rc == 0) rc = run_check_sync(b, rep, loadable, err, errcap);
    trust_list tl;
    memset(&tl, 0, sizeof tl);
    if (rc == 0 && loadable && replica_trust(r, &tl) != API_OK)
        rc = run_fail(err, errcap, "%s: the trust list went away", bname);
    if (rc == 0) rc = run_check_vectors(b, r, &tl, fill, err, errcap);
    trust_free(&tl);
    free(rep);
    replica_close(r);
    return rc;
}

int testkit_bundle_run(cJSON *file, int fill, char *err, size_t errcap)
{
    uint8_t root[32];
    const char *rk = testkit_json_str(file, "root_public_key");
    if (!rk || b64url_decode_exact(root, sizeof root, rk, strlen(rk)) != 0)
        return run_fail(err, errcap, "root_public_key is not 32 bytes of base64url");
    cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(file, "bundles"))
    {
        char dir[TESTKIT_DIR_MAX];
        if (testkit_tmpdir(dir, "api-bundle") != 0) return run_fail(err, errcap, "no temporary folder");
        int rc = run_one(file, b, root, dir, fill, err, errcap);
        testkit_tmpdir_remove(dir);
        if (rc != 0) return -1;
    }
    return 0;
}
