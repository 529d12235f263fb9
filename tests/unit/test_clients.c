/*
 * test_clients.c: the clients of the issuer's admin API (issuer/clients):
 * a token is shown once and only its keyed hash is stored; authentication
 * tells valid, unknown, expired and rate-limited tokens apart and says who
 * called with which role; a rotation keeps the old token for its overlap
 * and no longer; a revocation stops every token; a second handle on the
 * same folder (the `clients` command while `serve` runs) sees each change
 * at its next call; the key survives a reopen; names, roles, rates and
 * lifetimes are checked; many threads authenticate while clients change.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/b64url.h"
#include "issuer/clients.h"
#include "tests/unit/testkit.h"

#define T0  INT64_C(1790000000) /* seconds */
#define DAY 86400

typedef struct {
    char dir[TESTKIT_DIR_MAX];
    clients *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    if (testkit_tmpdir(f->dir, "api-clients") != 0) return -1;
    if (clients_open(&f->c, f->dir) != API_OK) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    clients_close(f->c);
    testkit_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Authenticates token at second t (and ms extra milliseconds). */
static clients_result auth_ms(clients *c, const char *token, int64_t t, int64_t ms, client_info *who)
{
    return clients_authenticate(c, token, strlen(token), t * 1000 + ms, who);
}

static clients_result auth(clients *c, const char *token, int64_t t, client_info *who)
{
    return auth_ms(c, token, t, 0, who);
}

static void test_add_and_authenticate(void **state)
{
    fixture *f = *state;
    char token[CLIENTS_TOKEN_LEN + 1];
    client_record rec;
    assert_int_equal(clients_add(f->c, token, &rec, "ANEF back office", CLIENT_ROLE_ISSUE, 0, 90 * DAY, T0),
                     API_OK);
    assert_int_equal(strlen(token), CLIENTS_TOKEN_LEN);
    assert_memory_equal(token, "apit_", 5);
    uint8_t raw[32];
    assert_int_equal(b64url_decode_exact(raw, sizeof raw, token + 5, strlen(token + 5)), 0);
    assert_string_equal(rec.name, "ANEF back office");
    assert_int_equal(rec.role, CLIENT_ROLE_ISSUE);
    assert_int_equal(rec.created, T0);
    assert_int_equal(rec.expires, T0 + 90 * DAY);
    assert_int_equal(rec.revoked, 0);
    assert_int_equal(rec.overlap_ends, 0);

    client_info who;
    assert_int_equal(auth(f->c, token, T0 + 1, &who), CLIENTS_OK);
    assert_string_equal(who.name, "ANEF back office");
    assert_int_equal(who.role, CLIENT_ROLE_ISSUE);
    assert_int_equal(who.rate, 0);
    assert_int_equal(auth(f->c, token, T0 + 1, NULL), CLIENTS_OK);

    char token2[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_add(f->c, token2, NULL, "reader", CLIENT_ROLE_READ, 5, DAY, T0), API_OK);
    assert_string_not_equal(token, token2);
    assert_int_equal(auth(f->c, token2, T0, &who), CLIENTS_OK);
    assert_string_equal(who.name, "reader");
    assert_int_equal(who.role, CLIENT_ROLE_READ);
    assert_int_equal(who.rate, 5);
}

static void test_wrong_tokens(void **state)
{
    fixture *f = *state;
    char token[CLIENTS_TOKEN_LEN + 1], bad[CLIENTS_TOKEN_LEN + 8];
    assert_int_equal(clients_add(f->c, token, NULL, "sys", CLIENT_ROLE_MANAGE, 0, DAY, T0), API_OK);
    client_info who;
    const char *junk[] = {"", "apit_", "Bearer", "apit_AAAA",
                          "apik_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
        assert_int_equal(auth(f->c, junk[i], T0, &who), CLIENTS_UNKNOWN);
        assert_string_equal(who.name, ""); /* nothing said about anybody */
    }
    assert_int_equal(clients_authenticate(f->c, NULL, 0, T0 * 1000, &who), CLIENTS_UNKNOWN);
    assert_int_equal(clients_authenticate(NULL, token, strlen(token), T0 * 1000, &who), CLIENTS_UNKNOWN);
    /* one character changed, in the prefix or the secret */
    for (size_t pos = 0; pos < CLIENTS_TOKEN_LEN; pos += 7) {
        memcpy(bad, token, sizeof token);
        bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
        assert_int_equal(auth(f->c, bad, T0, NULL), CLIENTS_UNKNOWN);
    }
    /* the last character with its two unused bits set: another text for the same secret, refused */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    memcpy(bad, token, sizeof token);
    bad[CLIENTS_TOKEN_LEN - 1] = b64[(strchr(b64, token[CLIENTS_TOKEN_LEN - 1]) - b64) | 3];
    assert_int_equal(auth(f->c, bad, T0, NULL), CLIENTS_UNKNOWN);
    /* the same prefix as another kind of token, shorter, longer, with white space, with a NUL */
    snprintf(bad, sizeof bad, "apik_%s", token + 5);
    assert_int_equal(auth(f->c, bad, T0, NULL), CLIENTS_UNKNOWN);
    assert_int_equal(clients_authenticate(f->c, token, strlen(token) - 1, T0 * 1000, NULL), CLIENTS_UNKNOWN);
    snprintf(bad, sizeof bad, "%sA", token);
    assert_int_equal(auth(f->c, bad, T0, NULL), CLIENTS_UNKNOWN);
    snprintf(bad, sizeof bad, " %s", token);
    assert_int_equal(auth(f->c, bad, T0, NULL), CLIENTS_UNKNOWN);
    snprintf(bad, sizeof bad, "%s\n", token);
    assert_int_equal(auth(f->c, bad, T0, NULL), CLIENTS_UNKNOWN);
    memcpy(bad, token, sizeof token);
    bad[20] = '\0';
    assert_int_equal(clients_authenticate(f->c, bad, CLIENTS_TOKEN_LEN, T0 * 1000, NULL), CLIENTS_UNKNOWN);
    assert_int_equal(auth(f->c, token, T0, NULL), CLIENTS_OK);

    /* a token of another store (another issuer) is unknown here */
    char other_dir[TESTKIT_DIR_MAX], other_token[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(testkit_tmpdir(other_dir, "api-clients-other"), 0);
    clients *other;
    assert_int_equal(clients_open(&other, other_dir), API_OK);
    assert_int_equal(clients_add(other, other_token, NULL, "sys", CLIENT_ROLE_MANAGE, 0, DAY, T0), API_OK);
    assert_int_equal(auth(f->c, other_token, T0, NULL), CLIENTS_UNKNOWN);
    assert_int_equal(auth(other, token, T0, NULL), CLIENTS_UNKNOWN);
    assert_int_equal(auth(other, other_token, T0, NULL), CLIENTS_OK);
    clients_close(other);
    testkit_tmpdir_remove(other_dir);
}

static void test_expiry(void **state)
{
    fixture *f = *state;
    char token[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_add(f->c, token, NULL, "short", CLIENT_ROLE_READ, 0, 3600, T0), API_OK);
    assert_int_equal(auth_ms(f->c, token, T0 + 3599, 999, NULL), CLIENTS_OK);
    client_info who;
    assert_int_equal(auth(f->c, token, T0 + 3600, &who), CLIENTS_EXPIRED);
    assert_string_equal(who.name, "");
    assert_int_equal(auth(f->c, token, T0 + 400 * DAY, NULL), CLIENTS_EXPIRED);

    client_record *recs;
    size_t n;
    assert_int_equal(clients_list(f->c, &recs, &n), API_OK);
    assert_int_equal(n, 1);
    assert_string_equal(clients_state(&recs[0], T0 + 3599), "active");
    assert_string_equal(clients_state(&recs[0], T0 + 3600), "expired");
    free(recs);
}

static void test_rotate(void **state)
{
    fixture *f = *state;
    char t1[CLIENTS_TOKEN_LEN + 1], t2[CLIENTS_TOKEN_LEN + 1], t3[CLIENTS_TOKEN_LEN + 1];
    client_record rec;
    assert_int_equal(clients_add(f->c, t1, NULL, "sys", CLIENT_ROLE_ISSUE, 0, 90 * DAY, T0), API_OK);
    /* t2 at day 10 with a 7-day overlap: t1 works until day 17, then expires; t2 lasts 90 days */
    assert_int_equal(clients_rotate(f->c, t2, &rec, "sys", 0, 7 * DAY, T0 + 10 * DAY), API_OK);
    assert_string_not_equal(t1, t2);
    assert_int_equal(rec.rotated, T0 + 10 * DAY);
    assert_int_equal(rec.overlap_ends, T0 + 17 * DAY);
    assert_int_equal(rec.expires, T0 + 100 * DAY);
    client_info who;
    assert_int_equal(auth(f->c, t1, T0 + 17 * DAY - 1, &who), CLIENTS_OK);
    assert_string_equal(who.name, "sys");
    assert_int_equal(who.role, CLIENT_ROLE_ISSUE);
    assert_int_equal(auth(f->c, t2, T0 + 17 * DAY - 1, NULL), CLIENTS_OK);
    assert_int_equal(auth(f->c, t1, T0 + 17 * DAY, NULL), CLIENTS_EXPIRED);
    assert_int_equal(auth(f->c, t2, T0 + 100 * DAY - 1, NULL), CLIENTS_OK);
    assert_int_equal(auth(f->c, t2, T0 + 100 * DAY, NULL), CLIENTS_EXPIRED);

    /* a rotation during the overlap ends the oldest token at once */
    assert_int_equal(clients_rotate(f->c, t3, &rec, "sys", 30 * DAY, 7 * DAY, T0 + 12 * DAY), API_OK);
    assert_int_equal(rec.expires, T0 + 42 * DAY);
    assert_int_equal(rec.lifetime, 30 * DAY);
    assert_int_equal(auth(f->c, t1, T0 + 12 * DAY, NULL), CLIENTS_UNKNOWN);
    assert_int_equal(auth(f->c, t2, T0 + 12 * DAY, NULL), CLIENTS_OK);
    assert_int_equal(auth(f->c, t3, T0 + 12 * DAY, NULL), CLIENTS_OK);

    /* no overlap: the previous token stops now */
    char t4[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_rotate(f->c, t4, &rec, "sys", 0, 0, T0 + 13 * DAY), API_OK);
    assert_int_equal(rec.overlap_ends, 0);
    assert_int_equal(rec.expires, T0 + 43 * DAY); /* the client's lifetime is now 30 days */
    assert_int_equal(auth(f->c, t3, T0 + 13 * DAY, NULL), CLIENTS_UNKNOWN);
    assert_int_equal(auth(f->c, t2, T0 + 13 * DAY, NULL), CLIENTS_UNKNOWN);
    assert_int_equal(auth(f->c, t4, T0 + 13 * DAY, NULL), CLIENTS_OK);

    /* the overlap never outlasts the old token's own end */
    char s1[CLIENTS_TOKEN_LEN + 1], s2[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_add(f->c, s1, NULL, "brief", CLIENT_ROLE_READ, 0, 2 * DAY, T0), API_OK);
    assert_int_equal(clients_rotate(f->c, s2, &rec, "brief", 0, 7 * DAY, T0 + DAY), API_OK);
    assert_int_equal(rec.overlap_ends, T0 + 2 * DAY);
    assert_int_equal(auth(f->c, s1, T0 + 2 * DAY, NULL), CLIENTS_EXPIRED);
    assert_int_equal(auth(f->c, s2, T0 + 2 * DAY, NULL), CLIENTS_OK);

    /* bad arguments and unknown clients change nothing */
    char x[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_rotate(f->c, x, NULL, "nobody", 0, 0, T0), API_ERR_NOT_FOUND);
    assert_string_equal(x, "");
    assert_int_equal(clients_rotate(f->c, x, NULL, "sys", 0, CLIENTS_MAX_OVERLAP + 1, T0), API_ERR_ARG);
    assert_int_equal(clients_rotate(f->c, x, NULL, "sys", -1, 0, T0), API_ERR_ARG);
    assert_int_equal(clients_rotate(f->c, x, NULL, "sys", CLIENTS_MAX_LIFETIME + 1, 0, T0), API_ERR_ARG);
    assert_int_equal(clients_rotate(f->c, x, NULL, "", 0, 0, T0), API_ERR_NOT_FOUND);
    assert_int_equal(auth(f->c, t4, T0 + 13 * DAY, NULL), CLIENTS_OK);
}

static void test_revoke(void **state)
{
    fixture *f = *state;
    char t1[CLIENTS_TOKEN_LEN + 1], t2[CLIENTS_TOKEN_LEN + 1], again[CLIENTS_TOKEN_LEN + 1];
    client_record rec;
    assert_int_equal(clients_add(f->c, t1, NULL, "gone", CLIENT_ROLE_MANAGE, 0, 90 * DAY, T0), API_OK);
    assert_int_equal(clients_rotate(f->c, t2, NULL, "gone", 0, 7 * DAY, T0 + 1), API_OK);
    assert_int_equal(auth(f->c, t1, T0 + 2, NULL), CLIENTS_OK);
    assert_int_equal(clients_revoke(f->c, "gone", T0 + 3, &rec), API_OK);
    assert_int_equal(rec.revoked, T0 + 3);
    assert_int_equal(auth(f->c, t1, T0 + 4, NULL), CLIENTS_UNKNOWN); /* both tokens */
    assert_int_equal(auth(f->c, t2, T0 + 4, NULL), CLIENTS_UNKNOWN);
    assert_string_equal(clients_state(&rec, T0 + 4), "revoked");
    assert_int_equal(clients_revoke(f->c, "gone", T0 + 9, &rec), API_ERR_EXISTS);
    assert_int_equal(rec.revoked, T0 + 3);
    assert_int_equal(clients_revoke(f->c, "nobody", T0, NULL), API_ERR_NOT_FOUND);
    /* a revoked client gets no new token, and its name is not given again */
    assert_int_equal(clients_rotate(f->c, again, NULL, "gone", 0, 0, T0 + 5), API_ERR_EXISTS);
    assert_int_equal(clients_add(f->c, again, NULL, "gone", CLIENT_ROLE_READ, 0, DAY, T0 + 5),
                     API_ERR_EXISTS);
    assert_string_equal(again, "");
}

static void test_second_handle_sees_changes(void **state)
{
    fixture *f = *state;
    clients *cmd; /* the command, while serve (f->c) runs */
    assert_int_equal(clients_open(&cmd, f->dir), API_OK);
    char t1[CLIENTS_TOKEN_LEN + 1], t2[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_add(cmd, t1, NULL, "first", CLIENT_ROLE_READ, 0, DAY, T0), API_OK);
    assert_int_equal(auth(f->c, t1, T0, NULL), CLIENTS_OK);
    assert_int_equal(clients_add(cmd, t2, NULL, "second", CLIENT_ROLE_ISSUE, 0, DAY, T0), API_OK);
    assert_int_equal(auth(f->c, t2, T0, NULL), CLIENTS_OK);
    char t3[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_rotate(cmd, t3, NULL, "first", 0, 0, T0 + 1), API_OK);
    assert_int_equal(auth(f->c, t1, T0 + 1, NULL), CLIENTS_UNKNOWN);
    assert_int_equal(auth(f->c, t3, T0 + 1, NULL), CLIENTS_OK);
    assert_int_equal(clients_revoke(cmd, "second", T0 + 2, NULL), API_OK);
    assert_int_equal(auth(f->c, t2, T0 + 2, NULL), CLIENTS_UNKNOWN);
    clients_close(cmd);

    /* the key survives a reopen: tokens keep working */
    clients_close(f->c);
    assert_int_equal(clients_open(&f->c, f->dir), API_OK);
    assert_int_equal(auth(f->c, t3, T0 + 3, NULL), CLIENTS_OK);
}

static void test_rate(void **state)
{
    fixture *f = *state;
    char token[CLIENTS_TOKEN_LEN + 1], free_token[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_add(f->c, token, NULL, "slow", CLIENT_ROLE_READ, 2, DAY, T0), API_OK);
    assert_int_equal(clients_add(f->c, free_token, NULL, "free", CLIENT_ROLE_READ, 0, DAY, T0), API_OK);
    client_info who;
    assert_int_equal(auth_ms(f->c, token, T0, 0, &who), CLIENTS_OK);
    assert_int_equal(auth_ms(f->c, token, T0, 10, &who), CLIENTS_OK);
    assert_int_equal(auth_ms(f->c, token, T0, 20, &who), CLIENTS_RATE);
    assert_string_equal(who.name, "slow"); /* the caller knows whom it refuses */
    assert_int_equal(who.retry_after, 1);
    assert_int_equal(auth_ms(f->c, token, T0, 520, NULL), CLIENTS_OK); /* half a second: one more */
    assert_int_equal(auth_ms(f->c, token, T0, 530, NULL), CLIENTS_RATE);
    assert_int_equal(auth_ms(f->c, token, T0 + 2, 0, NULL), CLIENTS_OK);
    for (int i = 0; i < 1000; i++) assert_int_equal(auth(f->c, free_token, T0, NULL), CLIENTS_OK);
    /* the buckets outlive a reload of the records */
    char other[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(auth_ms(f->c, token, T0 + 2, 1, NULL), CLIENTS_OK);
    assert_int_equal(clients_add(f->c, other, NULL, "churn", CLIENT_ROLE_READ, 0, DAY, T0), API_OK);
    assert_int_equal(auth_ms(f->c, token, T0 + 2, 2, NULL), CLIENTS_RATE);
}

static void test_arguments(void **state)
{
    fixture *f = *state;
    char token[CLIENTS_TOKEN_LEN + 1], name[CLIENTS_NAME_MAX + 2];
    memset(name, 'n', CLIENTS_NAME_MAX);
    name[CLIENTS_NAME_MAX] = '\0';
    assert_int_equal(clients_add(f->c, token, NULL, name, CLIENT_ROLE_READ, 0, DAY, T0), API_OK);
    memset(name, 'm', CLIENTS_NAME_MAX + 1);
    name[CLIENTS_NAME_MAX + 1] = '\0';
    const char *bad_names[] = {"", name, "tab\there", "new\nline", "\xc3\x28", "del\x7f", NULL};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        assert_int_equal(clients_add(f->c, token, NULL, bad_names[i], CLIENT_ROLE_READ, 0, DAY, T0),
                         API_ERR_ARG);
        assert_string_equal(token, "");
    }
    assert_int_equal(
        clients_add(f->c, token, NULL, "Préfecture du Rhône · ANEF", CLIENT_ROLE_READ, 0, DAY, T0), API_OK);
    assert_int_equal(clients_add(f->c, token, NULL, "r0", (client_role)0, 0, DAY, T0), API_ERR_ARG);
    assert_int_equal(clients_add(f->c, token, NULL, "r4", (client_role)4, 0, DAY, T0), API_ERR_ARG);
    assert_int_equal(clients_add(f->c, token, NULL, "r", CLIENT_ROLE_READ, CLIENTS_MAX_RATE + 1, DAY, T0),
                     API_ERR_ARG);
    assert_int_equal(clients_add(f->c, token, NULL, "r", CLIENT_ROLE_READ, 0, 0, T0), API_ERR_ARG);
    assert_int_equal(clients_add(f->c, token, NULL, "r", CLIENT_ROLE_READ, 0, CLIENTS_MAX_LIFETIME + 1, T0),
                     API_ERR_ARG);
    assert_int_equal(
        clients_add(f->c, token, NULL, "r", CLIENT_ROLE_READ, CLIENTS_MAX_RATE, CLIENTS_MAX_LIFETIME, T0),
        API_OK);

    client_role role;
    assert_int_equal(clients_role_parse(&role, "read"), 0);
    assert_int_equal(role, CLIENT_ROLE_READ);
    assert_int_equal(clients_role_parse(&role, "issue"), 0);
    assert_int_equal(role, CLIENT_ROLE_ISSUE);
    assert_int_equal(clients_role_parse(&role, "manage"), 0);
    assert_int_equal(role, CLIENT_ROLE_MANAGE);
    assert_int_equal(clients_role_parse(&role, "admin"), -1);
    assert_int_equal(clients_role_parse(&role, "Read"), -1);
    assert_int_equal(clients_role_parse(&role, NULL), -1);
    assert_string_equal(clients_role_name(CLIENT_ROLE_MANAGE), "manage");
    assert_string_equal(clients_role_name((client_role)9), "unknown");
}

static void test_list(void **state)
{
    fixture *f = *state;
    char token[CLIENTS_TOKEN_LEN + 1];
    client_record *recs;
    size_t n;
    assert_int_equal(clients_list(f->c, &recs, &n), API_OK);
    assert_int_equal(n, 0);
    free(recs);
    assert_int_equal(clients_add(f->c, token, NULL, "zeta", CLIENT_ROLE_MANAGE, 7, DAY, T0), API_OK);
    assert_int_equal(clients_add(f->c, token, NULL, "alpha", CLIENT_ROLE_READ, 0, 2 * DAY, T0 + 5), API_OK);
    assert_int_equal(clients_revoke(f->c, "zeta", T0 + 9, NULL), API_OK);
    assert_int_equal(clients_list(f->c, &recs, &n), API_OK);
    assert_int_equal(n, 2);
    assert_string_equal(recs[0].name, "alpha");
    assert_int_equal(recs[0].role, CLIENT_ROLE_READ);
    assert_int_equal(recs[0].created, T0 + 5);
    assert_int_equal(recs[0].expires, T0 + 5 + 2 * DAY);
    assert_int_equal(recs[0].revoked, 0);
    assert_string_equal(recs[1].name, "zeta");
    assert_int_equal(recs[1].rate, 7);
    assert_int_equal(recs[1].revoked, T0 + 9);
    free(recs);
}

typedef struct {
    clients *c;
    const char *token;
    int ok, unknown, other;
    clients_result last;
    atomic_int calls;
} caller_arg;

static atomic_int callers_stop;

/* Authenticates until told to stop, at least 1,000 times; the last answer is kept. */
static void *caller(void *p)
{
    caller_arg *a = p;
    for (int i = 0; i < 1000 || !atomic_load(&callers_stop); i++) {
        clients_result r = auth(a->c, a->token, T0 + 1, NULL);
        if (r == CLIENTS_OK)
            a->ok++;
        else if (r == CLIENTS_UNKNOWN)
            a->unknown++;
        else
            a->other++;
        a->last = r;
        atomic_fetch_add(&a->calls, 1);
    }
    return NULL;
}

/* Each caller finished a call that began after the revocation (see test_keystore's twin). */
typedef struct {
    caller_arg *args;
    const int *after;
} called_since;

static int each_called_since(void *p)
{
    const called_since *c = p;
    for (int i = 0; i < 6; i++)
        if (atomic_load(&c->args[i].calls) < c->after[i]) return 0;
    return 1;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    char token[CLIENTS_TOKEN_LEN + 1], spare[CLIENTS_TOKEN_LEN + 1];
    assert_int_equal(clients_add(f->c, token, NULL, "shared", CLIENT_ROLE_ISSUE, 0, DAY, T0), API_OK);
    clients *cmd;
    assert_int_equal(clients_open(&cmd, f->dir), API_OK);
    pthread_t t[6];
    caller_arg args[6];
    for (int i = 0; i < 6; i++) {
        memset(&args[i], 0, sizeof args[i]);
        atomic_init(&args[i].calls, 0);
        args[i].c = f->c;
        args[i].token = token;
        assert_int_equal(pthread_create(&t[i], NULL, caller, &args[i]), 0);
    }
    for (int i = 0; i < 30; i++) {
        char name[32];
        snprintf(name, sizeof name, "churn %d", i);
        assert_int_equal(clients_add(cmd, spare, NULL, name, CLIENT_ROLE_READ, 0, DAY, T0), API_OK);
    }
    assert_int_equal(clients_revoke(cmd, "shared", T0 + 1, NULL), API_OK);
    int after[6];
    for (int i = 0; i < 6; i++) after[i] = atomic_load(&args[i].calls) + 2;
    called_since since = {args, after};
    (void)testkit_wait_until(each_called_since, &since, TESTKIT_BOUND_MS); /* the asserts below say if not */
    atomic_store(&callers_stop, 1);
    int ok = 0, unknown = 0, other = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ok += args[i].ok;
        unknown += args[i].unknown;
        other += args[i].other;
        assert_int_equal(args[i].last, CLIENTS_UNKNOWN); /* each thread saw the revocation */
    }
    print_message("ok %d, unknown %d, other %d\n", ok, unknown, other);
    assert_int_equal(other, 0);
    assert_true(unknown > 0);
    clients_close(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_and_authenticate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_handle_sees_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
