/*
 * p11.c: the one place that speaks PKCS#11 (p11.h).
 *
 * The module is dlopen'ed and its C_GetFunctionList gives every entry
 * point, so nothing links against a vendor's library: a préfecture uses
 * its HSM vendor's module by path, the tests SoftHSM2's. The header is
 * p11-kit's pkcs11.h, which defines the standard's types and constants.
 *
 * A p11_token holds one read-write session, logged in as the user, and a
 * mutex that every call on the session takes: signing from several
 * threads is serialised here, which is what PKCS#11 asks of a session. The
 * library is initialised with CKF_OS_LOCKING_OK, and finalised on close
 * only if this file initialised it.
 *
 * Objects are found by CKA_ID and class, never by label alone: a label is
 * for people reading the token's contents. Private keys and secrets are
 * made sensitive and not extractable, so nothing here (or anywhere) can
 * read them; what comes out is public keys, signatures and HMACs. The PIN
 * is passed to C_Login and not kept.
 */
#include "common/p11.h"

#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonfile.h"

struct p11_token {
    void *lib;
    CK_FUNCTION_LIST_PTR f;
    CK_SESSION_HANDLE session;
    pthread_mutex_t lock;
    int finalize; /* this file initialised the library */
    CK_RV last;
    char label[P11_LABEL_MAX];
    char *pin; /* sodium_malloc'd, to log in again when the token drops the session */
    size_t pin_len;
};

/* The DER of the OID 1.3.101.112 (Ed25519), as CKA_EC_PARAMS. */
static const CK_BYTE p11_ed25519_params[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

static void p11_say(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void p11_say(char *err, size_t errcap, const char *fmt, ...)
{
    if (!err || !errcap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

/* rv into an api_err, remembered as the token's last error. */
static api_err p11_fail(p11_token *t, CK_RV rv)
{
    t->last = rv;
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED)
        return API_ERR_PASSPHRASE;
    if (rv == CKR_HOST_MEMORY) return API_ERR_NOMEM;
    return API_ERR_TOKEN;
}

/* The token label, blank-padded to 32 bytes as CK_TOKEN_INFO holds it, equals label. */
static int p11_label_is(const CK_UTF8CHAR info_label[32], const char *label)
{
    size_t n = strlen(label);
    if (n > 32 || memcmp(info_label, label, n) != 0) return 0;
    for (size_t i = n; i < 32; i++)
        if (info_label[i] != ' ') return 0;
    return 1;
}

static api_err p11_find_slot(p11_token *t, CK_SLOT_ID *slot, const char *label)
{
    CK_ULONG n = 0;
    CK_RV rv = t->f->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK) return p11_fail(t, rv);
    if (n == 0) return API_ERR_NOT_FOUND;
    CK_SLOT_ID *slots = calloc(n, sizeof *slots);
    if (!slots) return API_ERR_NOMEM;
    api_err e = API_ERR_NOT_FOUND;
    rv = t->f->C_GetSlotList(CK_TRUE, slots, &n);
    if (rv != CKR_OK) e = p11_fail(t, rv);
    for (CK_ULONG i = 0; rv == CKR_OK && i < n && e == API_ERR_NOT_FOUND; i++) {
        CK_TOKEN_INFO info;
        if (t->f->C_GetTokenInfo(slots[i], &info) == CKR_OK && (info.flags & CKF_TOKEN_INITIALIZED) &&
            p11_label_is(info.label, label)) {
            *slot = slots[i];
            e = API_OK;
        }
    }
    free(slots);
    return e;
}

/*
 * Finds the token by its label (its slot may change when a device comes
 * back), opens a read-write session and logs in: API_OK, API_ERR_NOT_FOUND
 * (no such token), API_ERR_PASSPHRASE, or API_ERR_TOKEN; t->last says why.
 */
static api_err p11_session_open(p11_token *t)
{
    CK_SLOT_ID slot = 0;
    api_err e = p11_find_slot(t, &slot, t->label);
    if (e != API_OK) return e;
    CK_RV rv = t->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &t->session);
    if (rv != CKR_OK) {
        t->session = CK_INVALID_HANDLE;
        return p11_fail(t, rv);
    }
    rv = t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)t->pin, (CK_ULONG)t->pin_len);
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        e = p11_fail(t, rv);
        t->f->C_CloseSession(t->session);
        t->session = CK_INVALID_HANDLE;
        return e;
    }
    return API_OK;
}

/* Whether rv says the session is gone (and a new one may work). */
static int p11_session_lost(CK_RV rv)
{
    return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_USER_NOT_LOGGED_IN ||
           rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_ERROR;
}

/* A new session after a lost one; the lock is held. */
static api_err p11_session_reopen(p11_token *t)
{
    if (t->session != CK_INVALID_HANDLE) t->f->C_CloseSession(t->session);
    t->session = CK_INVALID_HANDLE;
    api_err e = p11_session_open(t);
    return e == API_ERR_NOT_FOUND ? API_ERR_TOKEN : e;
}

api_err p11_open(p11_token **out, const char *module, const char *label, const char *pin, size_t pin_len,
                 char *err, size_t errcap)
{
    *out = NULL;
    if (!module || !label || !pin || strlen(label) >= P11_LABEL_MAX) return API_ERR_ARG;
    p11_token *t = calloc(1, sizeof *t);
    if (!t) return API_ERR_NOMEM;
    pthread_mutex_init(&t->lock, NULL);
    t->session = CK_INVALID_HANDLE;
    t->lib = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList get = NULL;
    if (t->lib) *(void **)&get = dlsym(t->lib, "C_GetFunctionList");
    if (!get || get(&t->f) != CKR_OK || !t->f) {
        p11_say(err, errcap, "cannot load the PKCS#11 module %s", module);
        p11_close(t);
        return API_ERR_TOKEN;
    }
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_RV rv = t->f->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        p11_say(err, errcap, "the PKCS#11 module %s failed to start (0x%lx)", module, rv);
        p11_close(t);
        return API_ERR_TOKEN;
    }
    t->finalize = rv == CKR_OK;
    snprintf(t->label, sizeof t->label, "%s", label);
    t->pin = sodium_malloc(pin_len + 1);
    if (!t->pin) {
        p11_close(t);
        return API_ERR_NOMEM;
    }
    memcpy(t->pin, pin, pin_len);
    t->pin_len = pin_len;
    api_err e = p11_session_open(t);
    if (e != API_OK) {
        if (e == API_ERR_NOT_FOUND)
            p11_say(err, errcap, "no token labelled '%s' in the PKCS#11 module (0x%lx)", label, t->last);
        else if (e == API_ERR_PASSPHRASE)
            p11_say(err, errcap,
                    t->last == CKR_PIN_LOCKED ? "the PIN of token '%s' is locked (0x%lx)"
                                              : "wrong PIN for token '%s' (0x%lx)",
                    label, t->last);
        else
            p11_say(err, errcap, "cannot open a session on token '%s' (0x%lx)", label, t->last);
        p11_close(t);
        return e == API_ERR_NOT_FOUND ? API_ERR_TOKEN : e;
    }
    *out = t;
    return API_OK;
}

void p11_close(p11_token *t)
{
    if (!t) return;
    if (t->f && t->session != CK_INVALID_HANDLE) {
        t->f->C_Logout(t->session);
        t->f->C_CloseSession(t->session);
    }
    if (t->f && t->finalize) t->f->C_Finalize(NULL);
    if (t->pin) sodium_free(t->pin); /* wipes */
    if (t->lib) dlclose(t->lib);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

unsigned long p11_last_error(const p11_token *t)
{
    return t ? t->last : 0;
}

/* The one object of class cls whose CKA_ID is id; the lock is held. */
static api_err p11_find_locked(p11_token *t, CK_OBJECT_HANDLE *obj, CK_OBJECT_CLASS cls,
                               const uint8_t id[P11_ID_LEN])
{
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_ID, (void *)(uintptr_t)id, P11_ID_LEN},
    };
    CK_RV rv = t->f->C_FindObjectsInit(t->session, tmpl, 2);
    if (rv != CKR_OK) return p11_fail(t, rv);
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    rv = t->f->C_FindObjects(t->session, found, 2, &n);
    t->f->C_FindObjectsFinal(t->session);
    if (rv != CKR_OK) return p11_fail(t, rv);
    if (n != 1) return API_ERR_NOT_FOUND; /* none, or an ambiguous id */
    *obj = found[0];
    return API_OK;
}

/* Ed25519's CKA_EC_POINT: the 32 bytes raw, or as a DER OCTET STRING (04 20 ...). */
static int p11_point(uint8_t pk[SIGNER_PK_LEN], const uint8_t *v, CK_ULONG n)
{
    if (n == SIGNER_PK_LEN) {
        memcpy(pk, v, SIGNER_PK_LEN);
        return 0;
    }
    if (n == SIGNER_PK_LEN + 2 && v[0] == 0x04 && v[1] == SIGNER_PK_LEN) {
        memcpy(pk, v + 2, SIGNER_PK_LEN);
        return 0;
    }
    return -1;
}

static api_err p11_public_locked(p11_token *t, uint8_t pk[SIGNER_PK_LEN], CK_OBJECT_HANDLE pub)
{
    uint8_t point[64];
    CK_ATTRIBUTE a = {CKA_EC_POINT, point, sizeof point};
    CK_RV rv = t->f->C_GetAttributeValue(t->session, pub, &a, 1);
    if (rv != CKR_OK) return p11_fail(t, rv);
    return p11_point(pk, point, a.ulValueLen) == 0 ? API_OK : API_ERR_TOKEN;
}

api_err p11_ed25519_generate(p11_token *t, const char *label, uint8_t id[P11_ID_LEN],
                             uint8_t pk[SIGNER_PK_LEN], char *err, size_t errcap)
{
    randombytes_buf(id, P11_ID_LEN);
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG label_len = (CK_ULONG)strlen(label);
    CK_ATTRIBUTE pub_tmpl[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &no, sizeof no},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_EC_PARAMS, (void *)(uintptr_t)p11_ed25519_params, sizeof p11_ed25519_params},
        {CKA_LABEL, (void *)(uintptr_t)label, label_len},
        {CKA_ID, id, P11_ID_LEN},
    };
    CK_ATTRIBUTE priv_tmpl[] = {
        {CKA_TOKEN, &yes, sizeof yes},     {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes}, {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},      {CKA_LABEL, (void *)(uintptr_t)label, label_len},
        {CKA_ID, id, P11_ID_LEN},
    };
    CK_MECHANISM mech = {CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
    pthread_mutex_lock(&t->lock);
    CK_RV rv = t->f->C_GenerateKeyPair(t->session, &mech, pub_tmpl, sizeof pub_tmpl / sizeof pub_tmpl[0],
                                       priv_tmpl, sizeof priv_tmpl / sizeof priv_tmpl[0], &pub, &priv);
    api_err e = rv == CKR_OK ? p11_public_locked(t, pk, pub) : p11_fail(t, rv);
    if (e != API_OK && rv == CKR_OK) { /* made, but its public key is unreadable: take it back */
        t->f->C_DestroyObject(t->session, priv);
        t->f->C_DestroyObject(t->session, pub);
    }
    pthread_mutex_unlock(&t->lock);
    if (e != API_OK)
        p11_say(err, errcap, "the token cannot make an Ed25519 key pair (0x%lx)",
                rv != CKR_OK ? rv : t->last);
    return e;
}

api_err p11_secret_generate(p11_token *t, const char *label, uint8_t id[P11_ID_LEN], char *err, size_t errcap)
{
    randombytes_buf(id, P11_ID_LEN);
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_ULONG len = P11_HMAC_LEN;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_VALUE_LEN, &len, sizeof len},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_LABEL, (void *)(uintptr_t)label, (CK_ULONG)strlen(label)},
        {CKA_ID, id, P11_ID_LEN},
    };
    CK_MECHANISM mech = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_OBJECT_HANDLE obj;
    pthread_mutex_lock(&t->lock);
    CK_RV rv = t->f->C_GenerateKey(t->session, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &obj);
    api_err e = rv == CKR_OK ? API_OK : p11_fail(t, rv);
    pthread_mutex_unlock(&t->lock);
    if (e != API_OK) p11_say(err, errcap, "the token cannot make a secret (0x%lx)", rv);
    return e;
}

api_err p11_ed25519_find(p11_key *k, uint8_t pk[SIGNER_PK_LEN], p11_token *t, const uint8_t id[P11_ID_LEN],
                         char *err, size_t errcap)
{
    char hex[2 * P11_ID_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, id, P11_ID_LEN);
    CK_OBJECT_HANDLE priv, pub;
    pthread_mutex_lock(&t->lock);
    api_err e = p11_find_locked(t, &priv, CKO_PRIVATE_KEY, id);
    if (e == API_OK) e = p11_find_locked(t, &pub, CKO_PUBLIC_KEY, id);
    if (e == API_OK) e = p11_public_locked(t, pk, pub);
    pthread_mutex_unlock(&t->lock);
    if (e == API_ERR_NOT_FOUND) {
        p11_say(err, errcap, "the key %s is not in the token (removed?)", hex);
        return API_ERR_TOKEN;
    }
    if (e != API_OK) {
        p11_say(err, errcap, "cannot read the key %s in the token (0x%lx)", hex, t->last);
        return e;
    }
    k->token = t;
    k->object = priv;
    memcpy(k->id, id, P11_ID_LEN);
    return API_OK;
}

/* CKM_EDDSA with the key of handle obj; the lock is held. */
static CK_RV p11_sign_locked(p11_token *t, CK_OBJECT_HANDLE obj, uint8_t sig[SIGNER_SIG_LEN], CK_ULONG *n,
                             const uint8_t *m, size_t mlen)
{
    CK_MECHANISM mech = {CKM_EDDSA, NULL, 0};
    *n = SIGNER_SIG_LEN;
    CK_RV rv = t->f->C_SignInit(t->session, &mech, obj);
    if (rv == CKR_OK) rv = t->f->C_Sign(t->session, (CK_BYTE_PTR)(uintptr_t)m, (CK_ULONG)mlen, sig, n);
    return rv;
}

api_err p11_key_sign(void *ctx, uint8_t sig[SIGNER_SIG_LEN], const uint8_t *m, size_t mlen)
{
    p11_key *k = ctx;
    p11_token *t = k->token;
    CK_ULONG n = 0;
    api_err e = API_OK;
    pthread_mutex_lock(&t->lock);
    CK_RV rv = p11_sign_locked(t, k->object, sig, &n, m, mlen);
    /* Once: a new session if it was lost, and the key found again by its id (handles may not outlive a
     * session). */
    if (p11_session_lost(rv) || rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) {
        CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
        if (p11_session_lost(rv)) e = p11_session_reopen(t);
        if (e == API_OK) e = p11_find_locked(t, &obj, CKO_PRIVATE_KEY, k->id);
        if (e == API_ERR_NOT_FOUND) e = API_ERR_TOKEN;
        if (e == API_OK) {
            k->object = obj;
            rv = p11_sign_locked(t, k->object, sig, &n, m, mlen);
        }
    }
    if (e == API_OK) e = rv == CKR_OK ? (n == SIGNER_SIG_LEN ? API_OK : API_ERR_TOKEN) : p11_fail(t, rv);
    pthread_mutex_unlock(&t->lock);
    return e;
}

/* HMAC-SHA-256 with the secret of id; the lock is held. */
static api_err p11_hmac_locked(p11_token *t, uint8_t mac[P11_HMAC_LEN], const uint8_t id[P11_ID_LEN],
                               const uint8_t *m, size_t mlen, CK_RV *rv)
{
    CK_OBJECT_HANDLE obj;
    CK_MECHANISM mech = {CKM_SHA256_HMAC, NULL, 0};
    CK_ULONG n = P11_HMAC_LEN;
    *rv = CKR_OK;
    api_err e = p11_find_locked(t, &obj, CKO_SECRET_KEY, id);
    if (e != API_OK) {
        *rv = t->last;
        return e;
    }
    *rv = t->f->C_SignInit(t->session, &mech, obj);
    if (*rv == CKR_OK) *rv = t->f->C_Sign(t->session, (CK_BYTE_PTR)(uintptr_t)m, (CK_ULONG)mlen, mac, &n);
    if (*rv != CKR_OK) return p11_fail(t, *rv);
    return n == P11_HMAC_LEN ? API_OK : API_ERR_TOKEN;
}

api_err p11_hmac(uint8_t mac[P11_HMAC_LEN], p11_token *t, const uint8_t id[P11_ID_LEN], const uint8_t *m,
                 size_t mlen, char *err, size_t errcap)
{
    CK_RV rv;
    pthread_mutex_lock(&t->lock);
    api_err e = p11_hmac_locked(t, mac, id, m, mlen, &rv);
    if (e != API_OK && e != API_ERR_NOT_FOUND && p11_session_lost(rv)) {
        e = p11_session_reopen(t);
        if (e == API_OK) e = p11_hmac_locked(t, mac, id, m, mlen, &rv);
    }
    pthread_mutex_unlock(&t->lock);
    char hex[2 * P11_ID_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, id, P11_ID_LEN);
    if (e == API_ERR_NOT_FOUND) {
        p11_say(err, errcap, "the secret %s is not in the token (removed?)", hex);
        return API_ERR_TOKEN;
    }
    if (e != API_OK) p11_say(err, errcap, "the token cannot use the secret %s (0x%lx)", hex, t->last);
    return e;
}

api_err p11_destroy(p11_token *t, const uint8_t id[P11_ID_LEN])
{
    CK_ATTRIBUTE tmpl[] = {{CKA_ID, (void *)(uintptr_t)id, P11_ID_LEN}};
    api_err e = API_OK;
    pthread_mutex_lock(&t->lock);
    for (int round = 0; round < 8 && e == API_OK; round++) {
        CK_OBJECT_HANDLE found[8];
        CK_ULONG n = 0;
        CK_RV rv = t->f->C_FindObjectsInit(t->session, tmpl, 1);
        if (rv == CKR_OK) {
            rv = t->f->C_FindObjects(t->session, found, 8, &n);
            t->f->C_FindObjectsFinal(t->session);
        }
        if (rv != CKR_OK) e = p11_fail(t, rv);
        if (n == 0) break;
        for (CK_ULONG i = 0; i < n && e == API_OK; i++) {
            rv = t->f->C_DestroyObject(t->session, found[i]);
            if (rv != CKR_OK) e = p11_fail(t, rv);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return e;
}

static int p11_id_to_json(cJSON *o, const char *name, const uint8_t id[P11_ID_LEN])
{
    char hex[2 * P11_ID_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, id, P11_ID_LEN);
    return cJSON_AddStringToObject(o, name, hex) ? 0 : -1;
}

static int p11_id_from_json(uint8_t id[P11_ID_LEN], const cJSON *o, const char *name)
{
    char hex[2 * P11_ID_LEN + 1];
    size_t got = 0;
    if (jsonfile_text(hex, sizeof hex, o, name) != 0 || strlen(hex) != 2 * P11_ID_LEN ||
        sodium_hex2bin(id, P11_ID_LEN, hex, strlen(hex), NULL, &got, NULL) != 0 || got != P11_ID_LEN)
        return -1;
    return 0;
}

int p11_ref_to_json(cJSON *o, const p11_ref *r)
{
    cJSON *m = cJSON_AddObjectToObject(o, "pkcs11");
    if (!m || !cJSON_AddStringToObject(m, "module", r->module) ||
        !cJSON_AddStringToObject(m, "token", r->token) || p11_id_to_json(m, "key_id", r->key_id) != 0 ||
        (r->has_seed && p11_id_to_json(m, "seed_id", r->seed_id) != 0))
        return -1;
    return 0;
}

int p11_ref_from_json(p11_ref *r, const cJSON *o)
{
    memset(r, 0, sizeof *r);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "pkcs11");
    if (!m) return 1;
    if (!cJSON_IsObject(m) || jsonfile_text(r->module, sizeof r->module, m, "module") != 0 || !r->module[0] ||
        jsonfile_text(r->token, sizeof r->token, m, "token") != 0 || !r->token[0] ||
        p11_id_from_json(r->key_id, m, "key_id") != 0)
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(m, "seed_id")) {
        if (p11_id_from_json(r->seed_id, m, "seed_id") != 0) return -1;
        r->has_seed = 1;
    }
    return 0;
}
