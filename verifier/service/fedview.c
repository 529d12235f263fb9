/*
 * fedview.c: the trust list and the offline bundle as the service serves
 * them, cached and shared between threads (see fedview.h).
 *
 * The current trust list and bundle are pointers under one mutex, held only
 * to take a reference: a request copies the pointer and adds one to its
 * count, and the last fedview_*_put frees it. Rebuilding happens under a
 * second mutex (one builder at a time, the others wait and then take the
 * new object), outside the first, so requests that need no rebuild never
 * wait for one.
 *
 * The trust list is taken from the replica's signed bytes (one read) and
 * decoded from them, so the JSON view, the decoded list and the "signed"
 * bytes always agree; it entered the replica only after its root signature
 * verified, so it is not verified again here. Its JSON view is written
 * with cJSON (sequence numbers and epochs as raw numbers: they are 64-bit).
 * The bundle is written piece by piece into one buf (common/buf.h), its
 * binary fields encoded by pieces of 3 KiB, since they are base64url of up
 * to megabytes of segments; it comes from replica_export, which reads
 * everything in one read transaction.
 *
 * This file must not write to the replica, nor decide any verdict.
 */
#include "verifier/service/fedview.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64url.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/time.h"
#include "qr/cose.h"

struct fedview {
    replica *r;
    uint8_t root_pk[COSE_PK_LEN];
    pthread_mutex_t lock;  /* guards trust and bundle (the pointers) */
    pthread_mutex_t build; /* one rebuild at a time */
    fedview_trust *trust;
    _Atomic uint64_t trust_version;
    fedview_doc *bundle;
};

/* ---- pieces of the bundle ---- */

/* A JSON string holding the base64url of data, encoded by pieces of 3 KiB (a multiple of 3 bytes). */
static void fv_b64(buf *b, const uint8_t *data, size_t len)
{
    char text[4 * 1024 + 1];
    buf_puts(b, "\"");
    for (size_t at = 0; at < len; at += 3 * 1024) {
        size_t n = len - at < 3 * 1024 ? len - at : 3 * 1024;
        b64url_encode(text, sizeof text, data + at, n);
        buf_puts(b, text);
    }
    buf_puts(b, "\"");
}

static void fv_instant(buf *b, int64_t t)
{
    char when[21];
    time_format_utc(when, t);
    buf_printf(b, "\"%s\"", when);
}

/* ---- documents ---- */

static fedview_doc *fv_doc_new(char *body, size_t len, uint64_t version)
{
    fedview_doc *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->body = body;
    d->len = len;
    d->version = version;
    atomic_init(&d->refs, 1);
    uint8_t h[16];
    crypto_generichash(h, sizeof h, (const uint8_t *)body, len, NULL, 0);
    d->etag[0] = '"';
    sodium_bin2hex(d->etag + 1, sizeof d->etag - 1, h, sizeof h);
    d->etag[FEDVIEW_ETAG_LEN - 1] = '"';
    d->etag[FEDVIEW_ETAG_LEN] = '\0';
    return d;
}

void fedview_doc_put(fedview_doc *d)
{
    if (!d) return;
    if (atomic_fetch_sub(&d->refs, 1) == 1) {
        free(d->body);
        free(d);
    }
}

static void fv_trust_free(fedview_trust *t)
{
    trust_free(&t->tl);
    free(t->signed_bytes);
    fedview_doc_put(t->json);
    free(t);
}

void fedview_trust_put(fedview_trust *t)
{
    if (t && atomic_fetch_sub(&t->refs, 1) == 1) fv_trust_free(t);
}

/* The base64url of data as a cJSON string, or NULL when out of memory. */
static cJSON *fv_json_b64(const uint8_t *data, size_t len)
{
    size_t need = b64url_encoded_size(len);
    char *text = malloc(need);
    cJSON *s = text && b64url_encode(text, need, data, len) == 0 ? cJSON_CreateString(text) : NULL;
    free(text);
    return s;
}

static cJSON *fv_json_instant(int64_t t)
{
    char when[21];
    time_format_utc(when, t);
    return cJSON_CreateString(when);
}

/* A uint64 written in full (a cJSON number is a double). */
static cJSON *fv_json_u64(uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    return cJSON_CreateRaw(num);
}

/* Adds item to o under name; 0, or -1 (item freed) when item is NULL or cannot be added. */
static int fv_json_add(cJSON *o, const char *name, cJSON *item)
{
    if (item && cJSON_AddItemToObject(o, name, item)) return 0;
    cJSON_Delete(item);
    return -1;
}

static cJSON *fv_json_issuer(const trust_entry *t)
{
    cJSON *o = cJSON_CreateObject();
    char kid[2 * COSE_KID_LEN + 1];
    bytes_to_hex(kid, t->kid, sizeof t->kid);
    int rc = o ? 0 : -1;
    if (rc == 0) rc = fv_json_add(o, "id", cJSON_CreateString(t->id));
    if (rc == 0) rc = fv_json_add(o, "name", cJSON_CreateString(t->name));
    if (rc == 0) rc = fv_json_add(o, "kid", cJSON_CreateString(kid));
    if (rc == 0) rc = fv_json_add(o, "public_key", fv_json_b64(t->pub, sizeof t->pub));
    if (rc == 0) rc = fv_json_add(o, "state", cJSON_CreateString(trust_state_name(t->state)));
    if (rc == 0)
        rc = fv_json_add(o, "retired_at",
                         t->state == TRUST_RETIRED ? fv_json_instant(t->retired_at) : cJSON_CreateNull());
    if (rc == 0) rc = fv_json_add(o, "feed", cJSON_CreateString(t->feed));
    if (rc == 0) rc = fv_json_add(o, "epoch", fv_json_u64(t->epoch));
    if (rc == 0) return o;
    cJSON_Delete(o);
    return NULL;
}

/* The JSON view of a trust list: malloc'd, NULL when out of memory. */
static char *fv_trust_json(const trust_list *tl, const uint8_t *signed_bytes, size_t signed_len, size_t *len)
{
    cJSON *o = cJSON_CreateObject(), *issuers = cJSON_CreateArray();
    int rc = o && issuers ? 0 : -1;
    if (rc == 0) rc = fv_json_add(o, "seq", fv_json_u64(tl->seq));
    if (rc == 0) rc = fv_json_add(o, "issued_at", fv_json_instant(tl->iat));
    if (rc == 0) rc = fv_json_add(o, "expires_at", fv_json_instant(tl->exp));
    if (rc == 0)
        rc = fv_json_add(o, "next_root",
                         tl->has_next_root ? fv_json_b64(tl->next_root, sizeof tl->next_root)
                                           : cJSON_CreateNull());
    for (size_t i = 0; rc == 0 && i < tl->n; i++) {
        cJSON *e = fv_json_issuer(&tl->entries[i]);
        rc = e && cJSON_AddItemToArray(issuers, e) ? 0 : -1;
        if (rc != 0) cJSON_Delete(e);
    }
    if (rc == 0) {
        rc = fv_json_add(o, "issuers", issuers);
        issuers = NULL; /* o owns it, or it was freed */
    }
    if (rc == 0) rc = fv_json_add(o, "signed", fv_json_b64(signed_bytes, signed_len));
    char *text = rc == 0 ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(issuers);
    cJSON_Delete(o);
    if (text) *len = strlen(text);
    return text;
}

/* A trust view of the signed bytes (taken over: freed on failure). */
static fedview_trust *fv_trust_make(uint8_t *bytes, size_t len, uint64_t version)
{
    fedview_trust *t = calloc(1, sizeof *t);
    if (!t) {
        free(bytes);
        return NULL;
    }
    atomic_init(&t->refs, 1);
    t->signed_bytes = bytes;
    t->signed_len = len;
    cose_sign1 msg;
    if (cose_sign1_parse(&msg, bytes, len, COSE_TYP_TRUST_LIST) != API_OK ||
        trust_decode(&t->tl, msg.payload, msg.payload_len) != API_OK) {
        fv_trust_free(t);
        return NULL;
    }
    size_t jl;
    char *json = fv_trust_json(&t->tl, bytes, len, &jl);
    t->json = json ? fv_doc_new(json, jl, version) : NULL;
    if (!t->json) {
        free(json);
        fv_trust_free(t);
        return NULL;
    }
    return t;
}

api_err fedview_new(fedview **out, replica *r, const uint8_t root_pk[COSE_PK_LEN])
{
    *out = NULL;
    fedview *f = calloc(1, sizeof *f);
    if (!f) return API_ERR_NOMEM;
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        free(f);
        return API_ERR_NOMEM;
    }
    if (pthread_mutex_init(&f->build, NULL) != 0) {
        pthread_mutex_destroy(&f->lock);
        free(f);
        return API_ERR_NOMEM;
    }
    f->r = r;
    memcpy(f->root_pk, root_pk, COSE_PK_LEN);
    atomic_init(&f->trust_version, 0);
    *out = f;
    return API_OK;
}

void fedview_free(fedview *f)
{
    if (!f) return;
    fedview_trust_put(f->trust);
    fedview_doc_put(f->bundle);
    pthread_mutex_destroy(&f->build);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/*
 * Takes the replica's trust list again when the replica changed and its
 * bytes differ. The version kept is the one the bytes were read at, never
 * the replica_version() seen before (which may run ahead of reads during a
 * commit), so a list committed meanwhile is always taken at a later call.
 */
static void fv_trust_refresh(fedview *f)
{
    uint64_t seen = replica_version(f->r);
    if (seen != 0 && atomic_load(&f->trust_version) == seen) return;
    pthread_mutex_lock(&f->build);
    if (seen == 0 || atomic_load(&f->trust_version) != seen) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        uint64_t v = 0;
        api_err e = replica_trust_signed(f->r, &bytes, &len, &v);
        if (e == API_OK) {
            const fedview_trust *cur = f->trust; /* only this mutex's holder replaces it */
            if (cur && cur->signed_len == len && memcmp(cur->signed_bytes, bytes, len) == 0) {
                free(bytes);
                atomic_store(&f->trust_version, v);
            } else {
                fedview_trust *t = fv_trust_make(bytes, len, v);
                if (t) {
                    pthread_mutex_lock(&f->lock);
                    fedview_trust *old = f->trust;
                    f->trust = t;
                    pthread_mutex_unlock(&f->lock);
                    fedview_trust_put(old);
                    atomic_store(&f->trust_version, v);
                }
            }
        } else if (e == API_ERR_NOT_FOUND) {
            atomic_store(&f->trust_version, v);
        }
    }
    pthread_mutex_unlock(&f->build);
}

fedview_trust *fedview_trust_get(fedview *f)
{
    fv_trust_refresh(f);
    pthread_mutex_lock(&f->lock);
    fedview_trust *t = f->trust;
    if (t) atomic_fetch_add(&t->refs, 1);
    pthread_mutex_unlock(&f->lock);
    return t;
}

/* ---- the bundle ---- */

typedef struct {
    buf b;
    int issuers;  /* issuers written so far */
    int segments; /* segments written for the current issuer */
} fv_bundle_ctx;

static int fv_bundle_visit(void *arg, feed_obj kind, const char *iss, const uint8_t *data, size_t len)
{
    fv_bundle_ctx *c = arg;
    buf *b = &c->b;
    switch (kind) {
    case FEED_OBJ_TRUST_LIST:
        buf_puts(b, ",\"trust_list\":");
        fv_b64(b, data, len);
        buf_puts(b, ",\"issuers\":[");
        break;
    case FEED_OBJ_SNAPSHOT:
        buf_puts(b, c->issuers++ ? ",{\"iss\":" : "{\"iss\":");
        buf_json_string(b, iss);
        buf_puts(b, ",\"snapshot\":");
        if (data)
            fv_b64(b, data, len);
        else
            buf_puts(b, "null");
        buf_puts(b, ",\"segments\":[");
        c->segments = 0;
        break;
    case FEED_OBJ_SEGMENT:
        if (c->segments++) buf_puts(b, ",");
        fv_b64(b, data, len);
        break;
    case FEED_OBJ_CHECKPOINT:
        buf_puts(b, "],\"checkpoint\":");
        fv_b64(b, data, len);
        buf_puts(b, "}");
        break;
    }
    return b->failed;
}

static fedview_doc *fv_bundle_make(fedview *f, int64_t now, api_err *err)
{
    fv_bundle_ctx c = {.issuers = 0, .segments = 0};
    buf_init(&c.b, 0);
    buf_puts(&c.b, "{\"version\":1,\"generated_at\":");
    fv_instant(&c.b, now);
    buf_puts(&c.b, ",\"root_public_key\":");
    fv_b64(&c.b, f->root_pk, sizeof f->root_pk);
    uint64_t read_at = 0;
    api_err e = replica_export(f->r, fv_bundle_visit, &c, &read_at);
    buf_puts(&c.b, "]}");
    if (e == API_ERR_ARG || (e == API_OK && c.b.failed)) e = API_ERR_NOMEM;
    size_t n = 0;
    char *body = e == API_OK ? buf_take(&c.b, &n) : NULL;
    buf_free(&c.b);
    fedview_doc *d = body ? fv_doc_new(body, n, read_at) : NULL;
    if (!d) {
        free(body);
        *err = e == API_OK ? API_ERR_NOMEM : e;
    }
    return d;
}

fedview_doc *fedview_bundle_get(fedview *f, int64_t now, api_err *err)
{
    *err = API_OK;
    uint64_t v = replica_version(f->r);
    fedview_doc *d = NULL;
    pthread_mutex_lock(&f->lock);
    if (f->bundle && v != 0 && f->bundle->version == v) {
        d = f->bundle;
        atomic_fetch_add(&d->refs, 1);
    }
    pthread_mutex_unlock(&f->lock);
    if (d) return d;

    pthread_mutex_lock(&f->build);
    pthread_mutex_lock(&f->lock); /* another thread may have built it meanwhile */
    if (f->bundle && v != 0 && f->bundle->version == v) {
        d = f->bundle;
        atomic_fetch_add(&d->refs, 1);
    }
    pthread_mutex_unlock(&f->lock);
    if (!d) {
        d = fv_bundle_make(f, now, err);
        if (d) {
            atomic_fetch_add(&d->refs, 1); /* one for the cache, one for the caller */
            pthread_mutex_lock(&f->lock);
            fedview_doc *old = f->bundle;
            f->bundle = d;
            pthread_mutex_unlock(&f->lock);
            fedview_doc_put(old);
        }
    }
    pthread_mutex_unlock(&f->build);
    return d;
}
