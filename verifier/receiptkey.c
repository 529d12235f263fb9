/*
 * receiptkey.c: the verifier's receipt key and its published document,
 * the receipt of a report, and the reading of key sets (receiptkey.h).
 *
 * The key file. Plain: "APIRKEY\n" then the 32-byte Ed25519 seed (40
 * bytes, mode 0600). Encrypted: common/keyfile.h's format around the same
 * 32 bytes. The reader tells them apart by the magic. The seed is
 * expanded once into the 64-byte secret key, held in guarded memory
 * (sodium_malloc) and zeroed when freed.
 *
 * The document, FILE.json, is the verifier's own and is written only by
 * this file: at creation (exclusive, so two replicas starting at once over
 * one shared key make one document) and at rotation (atomically
 * replaced). On opening, the key's kid must be the document's current
 * key: a key file replaced by hand, or a document of another key, stops
 * the service rather than publishing a key that does not sign.
 *
 * A receipt is made from the report the caller received, member by
 * member, so it carries only what the caller's profile was shown.
 */
#include "verifier/receiptkey.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/b64url.h"
#include "common/bytes.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/jsonscan.h"
#include "common/keyfile.h"
#include "common/text.h"
#include "common/time.h"

#define RK_MAGIC      "APIRKEY\n"
#define RK_MAGIC_LEN  8
#define RK_SEED_LEN   32
#define RK_PLAIN_LEN  (RK_MAGIC_LEN + RK_SEED_LEN)
#define RK_FILE_MAX   4096
#define RK_JSON_DEPTH 4

struct receiptkey {
    uint8_t *sk; /* COSE_SK_LEN bytes, sodium_malloc'd */
    uint8_t pk[COSE_PK_LEN];
    char kid_hex[2 * COSE_KID_LEN + 1];
    char org[RECEIPT_ORG_MAX];
    char *doc; /* the document as served */
    size_t doc_len;
    char etag[40];
    receipt_key *keys; /* the document's keys, read once (receiptkeys_parse) */
    size_t n_keys;
};

__attribute__((format(printf, 3, 4))) static void rk_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

static int rk_doc_path(char *out, size_t cap, const char *path)
{
    int n = snprintf(out, cap, "%s.json", path);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* A passphrase is asked for a new key only when one was given: a file, or the environment. */
static int rk_wants_passphrase(const char *passphrase_file)
{
    const char *env = getenv("API_PASSPHRASE");
    return passphrase_file || (env && *env);
}

/* Writes seed to path, encrypted or plain, never over an existing file. */
static api_err rk_write_seed(const char *path, const uint8_t seed[RK_SEED_LEN], const char *passphrase_file,
                             char *err, size_t errcap)
{
    if (!rk_wants_passphrase(passphrase_file)) {
        uint8_t plain[RK_PLAIN_LEN];
        memcpy(plain, RK_MAGIC, RK_MAGIC_LEN);
        memcpy(plain + RK_MAGIC_LEN, seed, RK_SEED_LEN);
        api_err e = fs_write_atomic(path, plain, sizeof plain, 0600, 1);
        sodium_memzero(plain, sizeof plain);
        if (e != API_OK && e != API_ERR_EXISTS) rk_err(err, errcap, "cannot write %s", path);
        return e;
    }
    char pass[KEYFILE_PASSPHRASE_MAX + 1];
    size_t passlen;
    api_err e = passphrase_get(pass, sizeof pass, &passlen, passphrase_file);
    if (e != API_OK) {
        rk_err(err, errcap, "no passphrase for the receipt key %s: %s", path, api_strerror(e));
        return e;
    }
    e = keyfile_write(path, seed, RK_SEED_LEN, pass, passlen, KEYFILE_KDF_INTERACTIVE);
    sodium_memzero(pass, sizeof pass);
    if (e != API_OK && e != API_ERR_EXISTS) rk_err(err, errcap, "cannot write %s: %s", path, api_strerror(e));
    return e;
}

/* Reads the seed of the key file at path (plain or encrypted). */
static api_err rk_read_seed(uint8_t seed[RK_SEED_LEN], const char *path, const char *passphrase_file,
                            char *err, size_t errcap)
{
    uint8_t *data;
    size_t len;
    api_err e = fs_read_file(&data, &len, path, RK_FILE_MAX);
    if (e != API_OK) {
        rk_err(err, errcap, "cannot read the receipt key %s: %s", path, api_strerror(e));
        return e;
    }
    if (len == RK_PLAIN_LEN && memcmp(data, RK_MAGIC, RK_MAGIC_LEN) == 0) {
        memcpy(seed, data + RK_MAGIC_LEN, RK_SEED_LEN);
        sodium_memzero(data, len);
        free(data);
        return API_OK;
    }
    sodium_memzero(data, len);
    free(data);
    char pass[KEYFILE_PASSPHRASE_MAX + 1];
    size_t passlen, got = 0;
    e = passphrase_get(pass, sizeof pass, &passlen, passphrase_file);
    if (e == API_OK) e = keyfile_read(seed, RK_SEED_LEN, &got, path, pass, passlen);
    sodium_memzero(pass, sizeof pass);
    if (e == API_OK && got != RK_SEED_LEN) e = API_ERR_KEYFILE;
    if (e != API_OK)
        rk_err(err, errcap, "cannot open the receipt key %s: %s", path,
               e == API_ERR_TOO_LARGE ? "not a receipt key" : api_strerror(e));
    return e;
}

/* FILE.pub: the public key as one base64url line, for api-federation add-receipt-signer --pub. */
static api_err rk_write_pub(const char *path, const uint8_t pk[COSE_PK_LEN])
{
    char pub_path[RECEIPTKEY_PATH_MAX], text[64];
    if (snprintf(pub_path, sizeof pub_path, "%s.pub", path) >= (int)sizeof pub_path) return API_ERR_ARG;
    b64url_encode(text, sizeof text, pk, COSE_PK_LEN);
    size_t n = strlen(text);
    text[n++] = '\n';
    return fs_write_atomic(pub_path, text, n, 0644, 0);
}

/* ---- the document ---- */

static void rk_instant(cJSON *o, const char *name, int64_t t)
{
    char buf[21];
    time_format_utc(buf, t);
    cJSON_AddStringToObject(o, name, buf);
}

static cJSON *rk_key_entry(const uint8_t pk[COSE_PK_LEN], const char *org, int64_t not_before)
{
    uint8_t kid[COSE_KID_LEN];
    char kid_hex[2 * COSE_KID_LEN + 1], b64[64];
    cose_kid(kid, pk);
    bytes_to_hex(kid_hex, kid, COSE_KID_LEN);
    b64url_encode(b64, sizeof b64, pk, COSE_PK_LEN);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kid", kid_hex);
    cJSON_AddStringToObject(o, "alg", "EdDSA");
    cJSON_AddStringToObject(o, "public_key", b64);
    cJSON_AddStringToObject(o, "name", org);
    rk_instant(o, "not_before", not_before);
    cJSON_AddNullToObject(o, "retired_at");
    return o;
}

/* The name of a new key when none is given: "api-verifier (HOST)". */
static void rk_default_org(char org[RECEIPT_ORG_MAX])
{
    char host[64] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !text_plain_ok(host, 1, sizeof host))
        snprintf(host, sizeof host, "localhost");
    snprintf(org, RECEIPT_ORG_MAX, "api-verifier (%s)", host);
}

static api_err rk_check_org(const char *org, char *err, size_t errcap)
{
    if (text_plain_ok(org, 1, RECEIPT_ORG_MAX)) return API_OK;
    rk_err(err, errcap, "--receipt-org: 1 to 127 bytes of text, without control characters");
    return API_ERR_ARG;
}

/* Reads FILE.json: the document, parsed (the caller deletes it); *root NULL when there is none. */
static api_err rk_doc_read(cJSON **root, const char *doc_path, char *err, size_t errcap)
{
    *root = NULL;
    if (access(doc_path, F_OK) != 0) return API_OK;
    api_err e = jsonfile_read(root, doc_path, RECEIPTKEY_DOC_MAX);
    if (e != API_OK || !*root || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*root, "keys"))) {
        cJSON_Delete(*root);
        *root = NULL;
        rk_err(err, errcap, "%s is damaged (not a receipt-keys document)", doc_path);
        return API_ERR_KEYFILE;
    }
    return API_OK;
}

/* The document's current key entry (the first whose retired_at is null), or NULL. */
static cJSON *rk_doc_current(const cJSON *root)
{
    cJSON *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(root, "keys"))
    {
        if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(k, "retired_at"))) return k;
    }
    return NULL;
}

static api_err rk_doc_serialize(receiptkey *k, const cJSON *root)
{
    char *s = cJSON_Print(root);
    if (!s) return API_ERR_NOMEM;
    k->doc_len = strlen(s);
    k->doc = s;
    uint8_t h[16];
    crypto_generichash(h, sizeof h, (const uint8_t *)s, k->doc_len, NULL, 0);
    char hex[33];
    bytes_to_hex(hex, h, sizeof h);
    snprintf(k->etag, sizeof k->etag, "\"%s\"", hex);
    char verifier[RECEIPT_ORG_MAX], why[160];
    if (receiptkeys_parse(&k->keys, &k->n_keys, verifier, s, k->doc_len, why, sizeof why) != API_OK)
        return API_ERR_KEYFILE;
    return API_OK;
}

/* ---- the key ---- */

static receiptkey *rk_new(const uint8_t seed[RK_SEED_LEN])
{
    receiptkey *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->sk = sodium_malloc(COSE_SK_LEN);
    if (!k->sk) {
        free(k);
        return NULL;
    }
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    uint8_t kid[COSE_KID_LEN];
    cose_kid(kid, k->pk);
    bytes_to_hex(k->kid_hex, kid, COSE_KID_LEN);
    return k;
}

void receiptkey_free(receiptkey *k)
{
    if (!k) return;
    sodium_free(k->sk);
    free(k->doc);
    free(k->keys);
    free(k);
}

/* Creates a key file at path; API_ERR_EXISTS when another process made one first. */
static api_err rk_create(const char *path, const char *passphrase_file, char *err, size_t errcap)
{
    uint8_t seed[RK_SEED_LEN];
    randombytes_buf(seed, sizeof seed);
    api_err e = rk_write_seed(path, seed, passphrase_file, err, errcap);
    sodium_memzero(seed, sizeof seed);
    return e;
}

api_err receiptkey_open(receiptkey **out, int *created, const char *path, const char *org,
                        const char *passphrase_file, int64_t now, char *err, size_t errcap)
{
    *out = NULL;
    if (created) *created = 0;
    char doc_path[RECEIPTKEY_PATH_MAX];
    if (rk_doc_path(doc_path, sizeof doc_path, path) != 0) return API_ERR_ARG;
    if (org && rk_check_org(org, err, errcap) != API_OK) return API_ERR_ARG;
    api_err e;
    if (access(path, F_OK) != 0) {
        e = rk_create(path, passphrase_file, err, errcap);
        if (e == API_OK && created) *created = 1;
        if (e != API_OK && e != API_ERR_EXISTS) return e;
    }
    uint8_t seed[RK_SEED_LEN];
    e = rk_read_seed(seed, path, passphrase_file, err, errcap);
    if (e != API_OK) return e;
    receiptkey *k = rk_new(seed);
    sodium_memzero(seed, sizeof seed);
    if (!k) return API_ERR_NOMEM;

    cJSON *root;
    e = rk_doc_read(&root, doc_path, err, errcap);
    if (e == API_OK && !root) { /* the first start: the document of this one key */
        root = cJSON_CreateObject();
        char name[RECEIPT_ORG_MAX];
        if (org)
            snprintf(name, sizeof name, "%s", org);
        else
            rk_default_org(name);
        cJSON_AddStringToObject(root, "verifier", name);
        cJSON *keys = cJSON_AddArrayToObject(root, "keys");
        cJSON_AddItemToArray(keys, rk_key_entry(k->pk, name, now));
        e = jsonfile_write(doc_path, root, 0644, 1);
        if (e == API_ERR_EXISTS) { /* another replica wrote it first: read theirs */
            cJSON_Delete(root);
            e = rk_doc_read(&root, doc_path, err, errcap);
            if (e == API_OK && !root) e = API_ERR_IO;
        } else if (e != API_OK) {
            rk_err(err, errcap, "cannot write %s: %s", doc_path, api_strerror(e));
        }
    }
    const cJSON *cur = e == API_OK ? rk_doc_current(root) : NULL;
    if (e == API_OK) {
        const char *kid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cur, "kid"));
        if (!cur || !kid || strcmp(kid, k->kid_hex) != 0 ||
            jsonfile_text(k->org, sizeof k->org, cur, "name") != 0) {
            rk_err(err, errcap, "%s does not publish the key of %s as its current key", doc_path, path);
            e = API_ERR_KEYFILE;
        } else if (org && strcmp(org, k->org) != 0) {
            rk_err(err, errcap,
                   "the receipt key signs as \"%s\": to sign as another organisation, run "
                   "'api-verifier receipt rotate-key' with --receipt-org",
                   k->org);
            e = API_ERR_ARG;
        }
    }
    if (e == API_OK) e = rk_doc_serialize(k, root);
    if (e == API_OK && created && *created && rk_write_pub(path, k->pk) != API_OK)
        rk_err(err, errcap, "cannot write %s.pub", path), e = API_ERR_IO;
    cJSON_Delete(root);
    if (e != API_OK) {
        receiptkey_free(k);
        return e;
    }
    *out = k;
    return API_OK;
}

const char *receiptkey_org(const receiptkey *k)
{
    return k->org;
}

const char *receiptkey_document(const receiptkey *k, size_t *len)
{
    *len = k->doc_len;
    return k->doc;
}

const receipt_key *receiptkey_keys(const receiptkey *k, size_t *n)
{
    *n = k->n_keys;
    return k->keys;
}

const char *receiptkey_etag(const receiptkey *k)
{
    return k->etag;
}

const char *receiptkey_kid_hex(const receiptkey *k)
{
    return k->kid_hex;
}

const uint8_t *receiptkey_public(const receiptkey *k)
{
    return k->pk;
}

api_err receiptkey_sign(const receiptkey *k, char *text, size_t *len, api_receipt *r)
{
    snprintf(r->verifier, sizeof r->verifier, "%s", k->org);
    return receipt_sign(text, len, r, k->sk);
}

api_err receiptkey_rotate(const char *path, const char *org, const char *passphrase_file, int64_t now,
                          char old_kid[17], char new_kid[17], char *err, size_t errcap)
{
    old_kid[0] = new_kid[0] = '\0';
    if (org && rk_check_org(org, err, errcap) != API_OK) return API_ERR_ARG;
    char doc_path[RECEIPTKEY_PATH_MAX], tmp_path[RECEIPTKEY_PATH_MAX];
    if (rk_doc_path(doc_path, sizeof doc_path, path) != 0 ||
        snprintf(tmp_path, sizeof tmp_path, "%s.new", path) >= (int)sizeof tmp_path)
        return API_ERR_ARG;
    if (access(path, F_OK) != 0) { /* no key yet: the first one */
        receiptkey *k;
        int created;
        api_err e = receiptkey_open(&k, &created, path, org, passphrase_file, now, err, errcap);
        if (e != API_OK) return e;
        snprintf(new_kid, 17, "%s", k->kid_hex);
        receiptkey_free(k);
        return API_OK;
    }
    /* the current key must open: a rotation proves it holds the key it retires */
    receiptkey *old;
    api_err e = receiptkey_open(&old, NULL, path, NULL, passphrase_file, now, err, errcap);
    if (e != API_OK) return e;
    snprintf(old_kid, 17, "%s", old->kid_hex);
    char name[RECEIPT_ORG_MAX];
    snprintf(name, sizeof name, "%s", org ? org : old->org);
    receiptkey_free(old);

    cJSON *root;
    e = rk_doc_read(&root, doc_path, err, errcap);
    if (e != API_OK) return e;
    if (!root) return API_ERR_KEYFILE;
    unlink(tmp_path); /* a rotation that stopped half-way */
    uint8_t seed[RK_SEED_LEN];
    randombytes_buf(seed, sizeof seed);
    e = rk_write_seed(tmp_path, seed, passphrase_file, err, errcap);
    receiptkey *k = e == API_OK ? rk_new(seed) : NULL;
    sodium_memzero(seed, sizeof seed);
    if (e == API_OK && !k) e = API_ERR_NOMEM;
    if (e == API_OK) {
        cJSON *cur = rk_doc_current(root);
        char when[21];
        time_format_utc(when, now);
        cJSON_ReplaceItemInObjectCaseSensitive(cur, "retired_at", cJSON_CreateString(when));
        cJSON_ReplaceItemInObjectCaseSensitive(root, "verifier", cJSON_CreateString(name));
        cJSON_InsertItemInArray(cJSON_GetObjectItemCaseSensitive(root, "keys"), 0,
                                rk_key_entry(k->pk, name, now));
        snprintf(new_kid, 17, "%s", k->kid_hex);
        /* the document first: a key that no document lists would stop the service, a listed key that
         * was not yet moved in place is only published early */
        e = jsonfile_write(doc_path, root, 0644, 0);
        if (e == API_OK && rename(tmp_path, path) != 0) e = API_ERR_IO;
        if (e == API_OK) e = rk_write_pub(path, k->pk);
        if (e != API_OK) rk_err(err, errcap, "cannot replace %s: %s", path, api_strerror(e));
    }
    if (e != API_OK) unlink(tmp_path);
    receiptkey_free(k);
    cJSON_Delete(root);
    return e;
}

/* ---- the receipt of a report ---- */

static const cJSON *rk_get(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static int rk_copy(char *out, size_t cap, const cJSON *v)
{
    const char *s = cJSON_GetStringValue(v);
    if (!s || strlen(s) >= cap) return -1;
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

api_err receipt_of_report(api_receipt *out, const cJSON *report, const char *verifier, const char *org,
                          const char *profile)
{
    api_receipt *r = out;
    memset(r, 0, sizeof *r);
    if (strlen(verifier) >= sizeof r->verifier || strlen(org) >= sizeof r->org ||
        strlen(profile) >= sizeof r->profile)
        return API_ERR_CLAIMS;
    snprintf(r->verifier, sizeof r->verifier, "%s", verifier);
    snprintf(r->org, sizeof r->org, "%s", org);
    snprintf(r->profile, sizeof r->profile, "%s", profile);
    const char *checked = cJSON_GetStringValue(rk_get(report, "checked_at", NULL));
    if (!checked || time_parse_instant(&r->checked_at, checked) != 0 ||
        rk_copy(r->result, sizeof r->result, rk_get(report, "result", NULL)) != 0)
        return API_ERR_CLAIMS;
    const cJSON *reason = rk_get(report, "reason", NULL);
    if (cJSON_IsString(reason) && rk_copy(r->reason, sizeof r->reason, reason) != 0) return API_ERR_CLAIMS;
    const char *sat = cJSON_GetStringValue(rk_get(report, "status_as_of", NULL));
    if (sat) {
        if (time_parse_instant(&r->status_as_of, sat) != 0) return API_ERR_CLAIMS;
        r->has_status = 1;
    }
    if (rk_get(report, "issuer", NULL)) {
        if (rk_copy(r->iss, sizeof r->iss, rk_get(report, "issuer", "id")) != 0 ||
            rk_copy(r->issuer_name, sizeof r->issuer_name, rk_get(report, "issuer", "name")) != 0)
            return API_ERR_CLAIMS;
        r->has_issuer = 1;
    }
    const char *cti = cJSON_GetStringValue(rk_get(report, "attestation_id", NULL));
    if (cti) {
        if (claims_cti_parse(r->cti, cti) != 0) return API_ERR_CLAIMS;
        r->has_cti = 1;
    }
    if (rk_get(report, "holder", NULL)) {
        if (rk_copy(r->fn, sizeof r->fn, rk_get(report, "holder", "family_name")) != 0 ||
            rk_copy(r->gn, sizeof r->gn, rk_get(report, "holder", "given_names")) != 0)
            return API_ERR_CLAIMS;
        r->has_holder = 1;
    }
    const char *work = cJSON_GetStringValue(rk_get(report, "rights", "work"));
    if (work) {
        static const char *const codes[] = {"no", "yes", "previous_conditions"};
        r->has_work = 0;
        for (unsigned i = 0; i < 3; i++)
            if (strcmp(work, codes[i]) == 0) r->wrk = i, r->has_work = 1;
        if (!r->has_work) return API_ERR_CLAIMS;
    }
    const cJSON *until = rk_get(report, "validity", "effective_until");
    if (until) {
        if (rk_copy(r->until, sizeof r->until, until) != 0) return API_ERR_CLAIMS;
        r->extended = cJSON_IsTrue(rk_get(report, "validity", "extended"));
        r->has_until = 1;
    }
    return receipt_validate(r, NULL);
}

/* ---- key sets ---- */

static api_err rk_set_fail(receipt_key **keys, char *err, size_t errcap, const char *what, size_t i)
{
    free(*keys);
    *keys = NULL;
    if (err && errcap) {
        if (i)
            snprintf(err, errcap, "key %zu: %s", i, what);
        else
            snprintf(err, errcap, "%s", what);
    }
    return API_ERR_TRUST_LIST;
}

static int rk_instant_of(int64_t *t, const cJSON *v)
{
    const char *s = cJSON_GetStringValue(v);
    return s && strlen(s) == 20 && s[19] == 'Z' && time_parse_instant(t, s) == 0 ? 0 : -1;
}

api_err receiptkeys_parse(receipt_key **keys, size_t *n, char verifier[RECEIPT_ORG_MAX], const char *text,
                          size_t len, char *err, size_t errcap)
{
    *keys = NULL;
    *n = 0;
    verifier[0] = '\0';
    if (len > RECEIPTKEY_DOC_MAX) return rk_set_fail(keys, err, errcap, "larger than 1 MiB", 0);
    size_t at;
    if (jsonscan_check(text, len, RK_JSON_DEPTH, RECEIPTKEY_MAX_KEYS, &at) != JSONSCAN_OK)
        return rk_set_fail(keys, err, errcap, "not well-formed JSON of the expected size", 0);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return API_ERR_NOMEM;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "keys");
    api_err e = API_OK;
    if (!cJSON_IsObject(root) || !cJSON_IsArray(list) ||
        jsonfile_text(verifier, RECEIPT_ORG_MAX, root, "verifier") != 0 ||
        !text_plain_ok(verifier, 1, RECEIPT_ORG_MAX)) {
        cJSON_Delete(root);
        return rk_set_fail(keys, err, errcap, "not a receipt-keys document (verifier, keys)", 0);
    }
    size_t count = (size_t)cJSON_GetArraySize(list);
    *keys = calloc(count ? count : 1, sizeof **keys);
    if (!*keys) {
        cJSON_Delete(root);
        return API_ERR_NOMEM;
    }
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, list)
    {
        receipt_key *k = &(*keys)[i++];
        char kid_hex[2 * COSE_KID_LEN + 2], pub[64], alg[16];
        uint8_t kid[COSE_KID_LEN];
        const cJSON *retired = cJSON_GetObjectItemCaseSensitive(it, "retired_at");
        const char *bad = NULL;
        if (!cJSON_IsObject(it))
            bad = "not an object";
        else if (jsonfile_text(alg, sizeof alg, it, "alg") != 0 || strcmp(alg, "EdDSA") != 0)
            bad = "alg is not EdDSA";
        else if (jsonfile_text(pub, sizeof pub, it, "public_key") != 0 ||
                 b64url_decode_exact(k->pub, COSE_PK_LEN, pub, strlen(pub)) != 0)
            bad = "public_key is not 32 bytes of base64url";
        else if (jsonfile_text(kid_hex, sizeof kid_hex, it, "kid") != 0 ||
                 strlen(kid_hex) != 2 * COSE_KID_LEN ||
                 strspn(kid_hex, "0123456789abcdef") != 2 * COSE_KID_LEN ||
                 bytes_from_hex(kid, COSE_KID_LEN, kid_hex, strlen(kid_hex)) != 0)
            bad = "kid is not 16 lowercase hex characters";
        else if (cose_kid(k->kid, k->pub), memcmp(kid, k->kid, COSE_KID_LEN) != 0)
            bad = "kid is not the hash of its key";
        else if (jsonfile_text(k->name, sizeof k->name, it, "name") != 0 ||
                 !text_plain_ok(k->name, 1, sizeof k->name))
            bad = "name";
        else if (rk_instant_of(&k->not_before, cJSON_GetObjectItemCaseSensitive(it, "not_before")) != 0)
            bad = "not_before is not a time (YYYY-MM-DDTHH:MM:SSZ)";
        else if (!cJSON_IsNull(retired) && rk_instant_of(&k->retired_at, retired) != 0)
            bad = "retired_at is neither null nor a time";
        else if (k->retired_at && k->retired_at < k->not_before)
            bad = "retired before its not_before";
        for (size_t j = 0; !bad && j + 1 < i; j++)
            if (memcmp((*keys)[j].kid, k->kid, COSE_KID_LEN) == 0) bad = "the same kid as an earlier key";
        if (bad) {
            cJSON_Delete(root);
            return rk_set_fail(keys, err, errcap, bad, i);
        }
    }
    cJSON_Delete(root);
    *n = i;
    return e;
}

api_err receiptkeys_from_trust(receipt_key **keys, size_t *n, const trust_list *tl)
{
    *n = 0;
    *keys = calloc(tl->n_receipt_signers ? tl->n_receipt_signers : 1, sizeof **keys);
    if (!*keys) return API_ERR_NOMEM;
    for (size_t i = 0; i < tl->n_receipt_signers; i++) {
        const trust_receipt_signer *s = &tl->receipt_signers[i];
        receipt_key *k = &(*keys)[i];
        memcpy(k->kid, s->kid, COSE_KID_LEN);
        memcpy(k->pub, s->pub, COSE_PK_LEN);
        snprintf(k->name, sizeof k->name, "%s", s->name);
        k->retired_at = s->state == TRUST_RETIRED ? s->retired_at : 0;
        if (s->state == TRUST_RETIRED && k->retired_at <= 0) k->retired_at = 1; /* retired from the start */
    }
    *n = tl->n_receipt_signers;
    return API_OK;
}
