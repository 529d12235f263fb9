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
 * verified, so it is not verified again here. The bundle is written by hand
 * into one buffer (its binary fields are base64url of up to megabytes of
 * segments) from replica_export, which reads everything in one read
 * transaction.
 *
 * This file must not write to the replica, nor decide any verdict.
 */
#include "verifier/service/fedview.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "common/b64url.h"
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

/* ---- a growing text buffer ---- */

typedef struct {
    char *p;
    size_t n, cap;
    int failed;
} fv_buf;

static char *fv_reserve(fv_buf *b, size_t n)
{
    if (b->failed) return NULL;
    if (n >= b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 256;
        while (n >= cap - b->n) {
            if (cap > SIZE_MAX / 2) {
                b->failed = 1;
                return NULL;
            }
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->n;
}

static void fv_add(fv_buf *b, const char *s)
{
    size_t n = strlen(s);
    char *d = fv_reserve(b, n);
    if (!d) return;
    memcpy(d, s, n + 1);
    b->n += n;
}

/* A JSON string of text that needs escaping only for quotes, backslashes and controls. */
static void fv_str(fv_buf *b, const char *s)
{
    fv_add(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8] = {(char)*p, 0};
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            esc[2] = 0;
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
        }
        fv_add(b, esc);
    }
    fv_add(b, "\"");
}

/* A JSON string holding the base64url of data. */
static void fv_b64(fv_buf *b, const uint8_t *data, size_t len)
{
    size_t need = b64url_encoded_size(len);
    char *d = fv_reserve(b, need + 2);
    if (!d) return;
    d[0] = '"';
    if (b64url_encode(d + 1, need, data, len) != 0) {
        b->failed = 1;
        return;
    }
    size_t n = strlen(d + 1);
    d[1 + n] = '"';
    d[2 + n] = '\0';
    b->n += n + 2;
}

static void fv_instant(fv_buf *b, int64_t t)
{
    char when[24];
    when[0] = '"';
    time_format_utc(when + 1, t);
    size_t n = strlen(when);
    when[n] = '"';
    when[n + 1] = '\0';
    fv_add(b, when);
}

static void fv_u64(fv_buf *b, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    fv_add(b, num);
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

char *fedview_trust_json(const trust_list *tl, const uint8_t *signed_bytes, size_t signed_len, size_t *len)
{
    fv_buf b = {NULL, 0, 0, 0};
    fv_add(&b, "{\"seq\":");
    fv_u64(&b, tl->seq);
    fv_add(&b, ",\"issued_at\":");
    fv_instant(&b, tl->iat);
    fv_add(&b, ",\"expires_at\":");
    fv_instant(&b, tl->exp);
    fv_add(&b, ",\"next_root\":");
    if (tl->has_next_root)
        fv_b64(&b, tl->next_root, sizeof tl->next_root);
    else
        fv_add(&b, "null");
    fv_add(&b, ",\"issuers\":[");
    for (size_t i = 0; i < tl->n; i++) {
        const trust_entry *t = &tl->entries[i];
        char kid[2 * COSE_KID_LEN + 1];
        sodium_bin2hex(kid, sizeof kid, t->kid, sizeof t->kid);
        fv_add(&b, i ? ",{\"id\":" : "{\"id\":");
        fv_str(&b, t->id);
        fv_add(&b, ",\"name\":");
        fv_str(&b, t->name);
        fv_add(&b, ",\"kid\":");
        fv_str(&b, kid);
        fv_add(&b, ",\"public_key\":");
        fv_b64(&b, t->pub, sizeof t->pub);
        fv_add(&b, ",\"state\":");
        fv_str(&b, trust_state_name(t->state));
        fv_add(&b, ",\"retired_at\":");
        if (t->state == TRUST_RETIRED)
            fv_instant(&b, t->retired_at);
        else
            fv_add(&b, "null");
        fv_add(&b, ",\"feed\":");
        fv_str(&b, t->feed);
        fv_add(&b, ",\"epoch\":");
        fv_u64(&b, t->epoch);
        fv_add(&b, "}");
    }
    fv_add(&b, "],\"signed\":");
    fv_b64(&b, signed_bytes, signed_len);
    fv_add(&b, "}");
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return b.p;
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
    char *json = fedview_trust_json(&t->tl, bytes, len, &jl);
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
    fv_buf b;
    int issuers;  /* issuers written so far */
    int segments; /* segments written for the current issuer */
} fv_bundle_ctx;

static int fv_bundle_visit(void *arg, feedsrv_kind kind, const char *iss, const uint8_t *data, size_t len)
{
    fv_bundle_ctx *c = arg;
    fv_buf *b = &c->b;
    switch (kind) {
    case FEEDSRV_TRUST_LIST:
        fv_add(b, ",\"trust_list\":");
        fv_b64(b, data, len);
        fv_add(b, ",\"issuers\":[");
        break;
    case FEEDSRV_SNAPSHOT:
        fv_add(b, c->issuers++ ? ",{\"iss\":" : "{\"iss\":");
        fv_str(b, iss);
        fv_add(b, ",\"snapshot\":");
        if (data)
            fv_b64(b, data, len);
        else
            fv_add(b, "null");
        fv_add(b, ",\"segments\":[");
        c->segments = 0;
        break;
    case FEEDSRV_SEGMENT:
        if (c->segments++) fv_add(b, ",");
        fv_b64(b, data, len);
        break;
    case FEEDSRV_CHECKPOINT:
        fv_add(b, "],\"checkpoint\":");
        fv_b64(b, data, len);
        fv_add(b, "}");
        break;
    }
    return b->failed;
}

static fedview_doc *fv_bundle_make(fedview *f, int64_t now, api_err *err)
{
    fv_bundle_ctx c = {{NULL, 0, 0, 0}, 0, 0};
    fv_add(&c.b, "{\"version\":1,\"generated_at\":");
    fv_instant(&c.b, now);
    fv_add(&c.b, ",\"root_public_key\":");
    fv_b64(&c.b, f->root_pk, sizeof f->root_pk);
    uint64_t read_at = 0;
    api_err e = replica_export(f->r, fv_bundle_visit, &c, &read_at);
    fv_add(&c.b, "]}");
    if (e == API_ERR_ARG || (e == API_OK && c.b.failed)) e = API_ERR_NOMEM;
    fedview_doc *d = e == API_OK ? fv_doc_new(c.b.p, c.b.n, read_at) : NULL;
    if (!d) {
        free(c.b.p);
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
