/*
 * test_signer.c: the one signing type (common/signer.h) over a file key
 * and over a key in a SoftHSM2 token (common/p11.h):
 *   - a file signer gives crypto_sign_detached's bytes, and COSE signed
 *     through it is the same bytes as with the bare key;
 *   - a device whose signature does not verify against the public key is
 *     refused (API_ERR_SIGNATURE), and nothing is left in the output;
 *   - a token key, made in the token, signs what verifies; the private key
 *     cannot be read out (C_GetAttributeValue of CKA_VALUE refused), nor
 *     the HMAC secret; the token's HMAC is the same for the same input;
 *   - a wrong PIN, a missing token, a removed key are the documented errors;
 *   - threads signing at once through one token all get good signatures;
 *   - a session the token drops is opened again by the next signature;
 *   - what a folder records of a token key (p11_ref as JSON) reads back,
 *     and a damaged record is refused.
 * The token tests make their token in a temporary folder (SOFTHSM2_CONF)
 * and are skipped when SoftHSM2 is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <sodium.h>
#include <unistd.h>

#include "common/p11.h"
#include "common/signer.h"
#include "issuer/idxperm.h"
#include "qr/cose.h"
#include "tests/unit/testkit.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN_LABEL    "api-test"
#define TOKEN_PIN      "123456"

/*
 * The sanitizer build: SoftHSM 2.6's EdDSA signing leaves OpenSSL objects
 * behind at each signature, inside the module (the project never calls
 * libcrypto); only those are not reported.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcrypto.so\n";
}

static char g_dir[TESTKIT_DIR_MAX];
static int g_have_token;

static int setup(void **state)
{
    (void)state;
    if (access(SOFTHSM_MODULE, R_OK) != 0 || system("command -v softhsm2-util >/dev/null 2>&1") != 0)
        return 0;
    if (testkit_tmpdir(g_dir, "signer") != 0) return -1;
    char conf[TESTKIT_DIR_MAX + 32], tokens[TESTKIT_DIR_MAX + 32], cmd[3 * TESTKIT_DIR_MAX];
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", g_dir);
    snprintf(tokens, sizeof tokens, "%s/tokens", g_dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tokens);
    if (system(cmd) != 0) return -1;
    FILE *f = fopen(conf, "w");
    if (!f) return -1;
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    if (system("softhsm2-util --init-token --free --label " TOKEN_LABEL " --pin " TOKEN_PIN
               " --so-pin 654321 >/dev/null") != 0)
        return -1;
    g_have_token = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_dir[0]) testkit_tmpdir_remove(g_dir);
    return 0;
}

static p11_token *open_token(void)
{
    if (!g_have_token) skip();
    p11_token *t;
    char err[256];
    api_err e = p11_open(&t, SOFTHSM_MODULE, TOKEN_LABEL, TOKEN_PIN, strlen(TOKEN_PIN), err, sizeof err);
    if (e != API_OK) fail_msg("p11_open: %s", err);
    return t;
}

static void test_file_signer(void **state)
{
    (void)state;
    testkit_key k;
    testkit_fr75(&k);
    api_signer s;
    signer_init_key(&s, k.sk);
    assert_memory_equal(s.pk, k.pk, SIGNER_PK_LEN);
    const uint8_t m[] = "attestation";
    uint8_t sig[SIGNER_SIG_LEN], ref[SIGNER_SIG_LEN];
    assert_int_equal(signer_sign(&s, sig, m, sizeof m), API_OK);
    crypto_sign_detached(ref, NULL, m, sizeof m, k.sk);
    assert_memory_equal(sig, ref, sizeof sig);
    /* COSE through the signer: the bytes of the bare-key call */
    uint8_t a[512], b[512];
    size_t al = sizeof a, bl = sizeof b;
    assert_int_equal(cose_sign1_sign(a, &al, COSE_TYP_CHECKPOINT, m, sizeof m, k.sk), API_OK);
    assert_int_equal(cose_sign1_sign_with(b, &bl, COSE_TYP_CHECKPOINT, m, sizeof m, &s), API_OK);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, al);
}

/* A device that signs with another key, or damages its signature. */
static api_err bad_device(void *ctx, uint8_t sig[SIGNER_SIG_LEN], const uint8_t *m, size_t mlen)
{
    const testkit_key *k = ctx;
    crypto_sign_detached(sig, NULL, m, mlen, k->sk);
    sig[5] ^= 0x40;
    return API_OK;
}

static api_err other_key_device(void *ctx, uint8_t sig[SIGNER_SIG_LEN], const uint8_t *m, size_t mlen)
{
    const testkit_key *k = ctx;
    crypto_sign_detached(sig, NULL, m, mlen, k->sk);
    return API_OK;
}

static void test_device_refused(void **state)
{
    (void)state;
    testkit_key k, other;
    testkit_fr75(&k);
    testkit_fr13(&other);
    api_signer s;
    uint8_t sig[SIGNER_SIG_LEN], cose[512];
    size_t cl = sizeof cose;
    signer_init_device(&s, k.pk, bad_device, &k);
    assert_int_equal(signer_sign(&s, sig, (const uint8_t *)"x", 1), API_ERR_SIGNATURE);
    for (size_t i = 0; i < sizeof sig; i++) assert_int_equal(sig[i], 0);
    assert_int_equal(cose_sign1_sign_with(cose, &cl, COSE_TYP_CHECKPOINT, (const uint8_t *)"x", 1, &s),
                     API_ERR_SIGNATURE);
    signer_init_device(&s, k.pk, other_key_device, &other);
    assert_int_equal(signer_sign(&s, sig, (const uint8_t *)"x", 1), API_ERR_SIGNATURE);
    signer_init_device(&s, k.pk, other_key_device, &k);
    assert_int_equal(signer_sign(&s, sig, (const uint8_t *)"x", 1), API_OK);
    api_signer none;
    memset(&none, 0, sizeof none);
    assert_int_equal(signer_sign(&none, sig, (const uint8_t *)"x", 1), API_ERR_ARG);
}

/* Whether CKA_VALUE of the object of class cls and id can be read, straight through the module. */
static CK_RV read_value(CK_OBJECT_CLASS cls, const uint8_t id[P11_ID_LEN])
{
    void *lib = dlopen(SOFTHSM_MODULE, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(lib);
    CK_C_GetFunctionList get;
    *(void **)&get = dlsym(lib, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR f;
    assert_int_equal(get(&f), CKR_OK);
    CK_RV rv = f->C_Initialize(NULL);
    assert_true(rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED);
    int fin = rv == CKR_OK;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    assert_int_equal(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    CK_RV result = CKR_GENERAL_ERROR;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO info;
        if (f->C_GetTokenInfo(slots[i], &info) != CKR_OK ||
            memcmp(info.label, TOKEN_LABEL, strlen(TOKEN_LABEL)))
            continue;
        CK_SESSION_HANDLE s;
        assert_int_equal(f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
        rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TOKEN_PIN, strlen(TOKEN_PIN));
        assert_true(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
        CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, (void *)(uintptr_t)id, P11_ID_LEN}};
        CK_OBJECT_HANDLE obj;
        CK_ULONG got = 0;
        assert_int_equal(f->C_FindObjectsInit(s, tmpl, 2), CKR_OK);
        assert_int_equal(f->C_FindObjects(s, &obj, 1, &got), CKR_OK);
        f->C_FindObjectsFinal(s);
        assert_int_equal(got, 1);
        uint8_t value[256];
        CK_ATTRIBUTE a = {CKA_VALUE, value, sizeof value};
        result = f->C_GetAttributeValue(s, obj, &a, 1);
        if (result == CKR_OK) fail_msg("CKA_VALUE was read: %lu bytes", a.ulValueLen);
        f->C_CloseSession(s);
        break;
    }
    if (fin) f->C_Finalize(NULL);
    dlclose(lib);
    return result;
}

static void test_token_key(void **state)
{
    (void)state;
    p11_token *t = open_token();
    char err[256];
    uint8_t id[P11_ID_LEN], pk[SIGNER_PK_LEN], pk2[SIGNER_PK_LEN], sid[P11_ID_LEN];
    assert_int_equal(p11_ed25519_generate(t, "test key", id, pk, err, sizeof err), API_OK);
    assert_int_equal(p11_secret_generate(t, "test seed", sid, err, sizeof err), API_OK);
    p11_key k;
    assert_int_equal(p11_ed25519_find(&k, pk2, t, id, err, sizeof err), API_OK);
    assert_memory_equal(pk, pk2, sizeof pk);
    api_signer s;
    signer_init_device(&s, pk, p11_key_sign, &k);
    const uint8_t m[] = "a checkpoint";
    uint8_t sig[SIGNER_SIG_LEN];
    assert_int_equal(signer_sign(&s, sig, m, sizeof m), API_OK);
    assert_int_equal(crypto_sign_verify_detached(sig, m, sizeof m, pk), 0);
    /* COSE signed in the token verifies with the public key */
    uint8_t cose[512];
    size_t cl = sizeof cose;
    assert_int_equal(cose_sign1_sign_with(cose, &cl, COSE_TYP_CHECKPOINT, m, sizeof m, &s), API_OK);
    cose_sign1 msg;
    assert_int_equal(cose_sign1_parse(&msg, cose, cl, COSE_TYP_CHECKPOINT), API_OK);
    assert_int_equal(cose_sign1_verify(&msg, pk), API_OK);
    /* the token's signature checked against another public key: refused */
    testkit_key other;
    testkit_fr13(&other);
    api_signer wrong;
    signer_init_device(&wrong, other.pk, p11_key_sign, &k);
    assert_int_equal(signer_sign(&wrong, sig, m, sizeof m), API_ERR_SIGNATURE);
    /* HMAC: the same for the same input, different for another */
    uint8_t h1[P11_HMAC_LEN], h2[P11_HMAC_LEN], h3[P11_HMAC_LEN];
    assert_int_equal(p11_hmac(h1, t, sid, (const uint8_t *)"seed", 4, err, sizeof err), API_OK);
    assert_int_equal(p11_hmac(h2, t, sid, (const uint8_t *)"seed", 4, err, sizeof err), API_OK);
    assert_int_equal(p11_hmac(h3, t, sid, (const uint8_t *)"seeD", 4, err, sizeof err), API_OK);
    assert_memory_equal(h1, h2, sizeof h1);
    assert_memory_not_equal(h1, h3, sizeof h1);
    /* the HMAC as the status-index seed (cmd.c): idxperm stays a permutation, here over its first 2^16
     * counters */
    uint8_t *seen = calloc(IDXPERM_SIZE / 8, 1);
    assert_non_null(seen);
    for (uint32_t n = 0; n < 65536; n++) {
        uint32_t v = idxperm_map(h1, n);
        if (v >= IDXPERM_SIZE || (seen[v / 8] & (1u << (v % 8)))) fail_msg("counter %u -> %u", n, v);
        seen[v / 8] |= (uint8_t)(1u << (v % 8));
    }
    free(seen);
    /* nothing secret comes out */
    CK_RV rv = read_value(CKO_PRIVATE_KEY, id);
    assert_true(rv == CKR_ATTRIBUTE_SENSITIVE);
    rv = read_value(CKO_SECRET_KEY, sid);
    assert_true(rv == CKR_ATTRIBUTE_SENSITIVE);
    /* a removed key: found no more, and said so */
    assert_int_equal(p11_destroy(t, id), API_OK);
    assert_int_equal(p11_ed25519_find(&k, pk2, t, id, err, sizeof err), API_ERR_TOKEN);
    assert_non_null(strstr(err, "not in the token"));
    assert_int_equal(p11_destroy(t, sid), API_OK);
    assert_int_equal(p11_hmac(h1, t, sid, (const uint8_t *)"seed", 4, err, sizeof err), API_ERR_TOKEN);
    assert_int_equal(p11_destroy(t, sid), API_OK); /* nothing left: fine */
    p11_close(t);
}

static void test_token_errors(void **state)
{
    (void)state;
    if (!g_have_token) skip();
    p11_token *t = NULL;
    char err[256] = "";
    assert_int_equal(p11_open(&t, SOFTHSM_MODULE, TOKEN_LABEL, "000000", 6, err, sizeof err),
                     API_ERR_PASSPHRASE);
    assert_null(t);
    assert_non_null(strstr(err, "wrong PIN"));
    assert_null(strstr(err, "000000"));
    assert_int_equal(p11_open(&t, SOFTHSM_MODULE, "no-such-token", TOKEN_PIN, 6, err, sizeof err),
                     API_ERR_TOKEN);
    assert_non_null(strstr(err, "no token labelled"));
    assert_int_equal(p11_open(&t, "/nonexistent/module.so", TOKEN_LABEL, TOKEN_PIN, 6, err, sizeof err),
                     API_ERR_TOKEN);
    assert_non_null(strstr(err, "cannot load"));
    /* a file that is a library but not a PKCS#11 module */
    assert_int_equal(p11_open(&t, "libc.so.6", TOKEN_LABEL, TOKEN_PIN, 6, err, sizeof err), API_ERR_TOKEN);
    char long_label[40];
    memset(long_label, 'a', sizeof long_label - 1);
    long_label[sizeof long_label - 1] = '\0';
    assert_int_equal(p11_open(&t, SOFTHSM_MODULE, long_label, TOKEN_PIN, 6, err, sizeof err), API_ERR_ARG);
}

/* issuer.json's "pkcs11" member: what is recorded reads back; anything damaged is refused. */
static void test_ref_json(void **state)
{
    (void)state;
    p11_ref r, back;
    memset(&r, 0, sizeof r);
    strcpy(r.module, "/usr/lib/softhsm/libsofthsm2.so");
    strcpy(r.token, "prefecture-75");
    memset(r.key_id, 0xa5, sizeof r.key_id);
    memset(r.seed_id, 0x5a, sizeof r.seed_id);
    r.has_seed = 1;
    cJSON *o = cJSON_CreateObject();
    assert_int_equal(p11_ref_to_json(o, &r), 0);
    assert_int_equal(p11_ref_from_json(&back, o), 0);
    assert_memory_equal(&back, &r, sizeof r);
    cJSON_Delete(o);
    o = cJSON_CreateObject(); /* no member: a file key */
    assert_int_equal(p11_ref_from_json(&back, o), 1);
    assert_int_equal(back.module[0], 0);
    cJSON_Delete(o);
    static const char *const damaged[] = {
        "{\"pkcs11\": 3}",
        "{\"pkcs11\": []}",
        "{\"pkcs11\": {}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"t\"}}",
        "{\"pkcs11\": {\"module\": \"\", \"token\": \"t\", \"key_id\": "
        "\"00112233445566778899aabbccddeeff\"}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"\", \"key_id\": "
        "\"00112233445566778899aabbccddeeff\"}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"t\", \"key_id\": \"00112233445566778899aabbccddee\"}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"t\", \"key_id\": "
        "\"00112233445566778899aabbccddeeffaa\"}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"t\", \"key_id\": "
        "\"0011223344556677889zaabbccddeeff\"}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"t\", \"key_id\": 12}}",
        "{\"pkcs11\": {\"module\": 1, \"token\": \"t\", \"key_id\": \"00112233445566778899aabbccddeeff\"}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"a label of more than thirty-two bytes\", "
        "\"key_id\": \"00112233445566778899aabbccddeeff\"}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"t\", \"key_id\": "
        "\"00112233445566778899aabbccddeeff\", "
        "\"seed_id\": \"x\"}}",
        "{\"pkcs11\": {\"module\": \"m\", \"token\": \"t\", \"key_id\": "
        "\"00112233445566778899aabbccddeeff\", "
        "\"seed_id\": null}}",
    };
    for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
        o = cJSON_Parse(damaged[i]);
        assert_non_null(o);
        if (p11_ref_from_json(&back, o) != -1) fail_msg("accepted: %s", damaged[i]);
        cJSON_Delete(o);
    }
    o = cJSON_Parse("{\"pkcs11\": {\"module\": \"m\", \"token\": \"t\", \"key_id\": "
                    "\"00112233445566778899AABBCCDDEEFF\"}}");
    assert_int_equal(p11_ref_from_json(&back, o), 0); /* hexadecimal in either case; no seed: a root key */
    assert_int_equal(back.has_seed, 0);
    assert_int_equal(back.key_id[15], 0xff);
    cJSON_Delete(o);
}

/* Closes every session of the test token, ours included, as a restarted HSM would. */
static void drop_sessions(void)
{
    void *lib = dlopen(SOFTHSM_MODULE, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(lib);
    CK_C_GetFunctionList get;
    *(void **)&get = dlsym(lib, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR f;
    assert_int_equal(get(&f), CKR_OK);
    CK_RV rv = f->C_Initialize(NULL);
    assert_int_equal(rv, CKR_CRYPTOKI_ALREADY_INITIALIZED); /* the same library, loaded by p11_open */
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    assert_int_equal(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    for (CK_ULONG i = 0; i < n; i++) f->C_CloseAllSessions(slots[i]);
    dlclose(lib);
}

/* A session the token dropped: the next signature and HMAC open a new one and work. */
static void test_token_session_lost(void **state)
{
    (void)state;
    p11_token *t = open_token();
    char err[256];
    uint8_t id[P11_ID_LEN], sid[P11_ID_LEN], pk[SIGNER_PK_LEN], h1[P11_HMAC_LEN], h2[P11_HMAC_LEN];
    assert_int_equal(p11_ed25519_generate(t, "session", id, pk, err, sizeof err), API_OK);
    assert_int_equal(p11_secret_generate(t, "session seed", sid, err, sizeof err), API_OK);
    p11_key k;
    assert_int_equal(p11_ed25519_find(&k, pk, t, id, err, sizeof err), API_OK);
    api_signer s;
    signer_init_device(&s, pk, p11_key_sign, &k);
    uint8_t sig[SIGNER_SIG_LEN];
    assert_int_equal(p11_hmac(h1, t, sid, (const uint8_t *)"x", 1, err, sizeof err), API_OK);
    drop_sessions();
    assert_int_equal(signer_sign(&s, sig, (const uint8_t *)"after", 5), API_OK);
    drop_sessions();
    assert_int_equal(p11_hmac(h2, t, sid, (const uint8_t *)"x", 1, err, sizeof err), API_OK);
    assert_memory_equal(h1, h2, sizeof h1);
    assert_int_equal(signer_sign(&s, sig, (const uint8_t *)"again", 5), API_OK);
    assert_int_equal(p11_destroy(t, id), API_OK);
    assert_int_equal(p11_destroy(t, sid), API_OK);
    p11_close(t);
}

#define THREADS        8
#define SIGNS_A_THREAD 25

typedef struct {
    const api_signer *s;
    int bad;
} worker;

static void *sign_many(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < SIGNS_A_THREAD; i++) {
        uint8_t m[16], sig[SIGNER_SIG_LEN];
        randombytes_buf(m, sizeof m);
        if (signer_sign(w->s, sig, m, sizeof m) != API_OK ||
            crypto_sign_verify_detached(sig, m, sizeof m, w->s->pk))
            w->bad++;
    }
    return NULL;
}

static void test_token_threads(void **state)
{
    (void)state;
    p11_token *t = open_token();
    char err[256];
    uint8_t id[P11_ID_LEN], pk[SIGNER_PK_LEN];
    assert_int_equal(p11_ed25519_generate(t, "threads", id, pk, err, sizeof err), API_OK);
    p11_key k;
    assert_int_equal(p11_ed25519_find(&k, pk, t, id, err, sizeof err), API_OK);
    api_signer s;
    signer_init_device(&s, pk, p11_key_sign, &k);
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.s = &s};
        assert_int_equal(pthread_create(&th[i], NULL, sign_many, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
    assert_int_equal(p11_destroy(t, id), API_OK);
    p11_close(t);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_signer),        cmocka_unit_test(test_device_refused),
        cmocka_unit_test(test_token_key),          cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_token_threads),      cmocka_unit_test(test_ref_json),
        cmocka_unit_test(test_token_session_lost),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
