/*
 * feed.c: encoding, signing and parsing of the feed objects (feed.h).
 *
 * Payloads are CBOR maps with text keys, written in deterministic key
 * order; events are arrays [seq, idx, kind, value, time]. Parsing goes
 * through cose_sign1_parse and cbc_load (canonical input, bounded) and then
 * checks every rule of docs/federation.md, so a caller that verified the
 * signature holds an object it can apply without further checks.
 */
#include "feed.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cbc.h"
#include "cbw.h"
#include "zc.h"
#include <zlib.h>

void feed_chain(uint8_t next[FEED_HEAD_LEN], const uint8_t prev[FEED_HEAD_LEN], const uint8_t *payload,
                size_t payload_len)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, prev, FEED_HEAD_LEN);
    crypto_hash_sha256_update(&st, payload, payload_len);
    crypto_hash_sha256_final(&st, next);
}

unsigned feed_bits_get(const uint8_t *bits, uint32_t idx)
{
    return (bits[idx >> 2] >> ((idx & 3u) * 2)) & 3u;
}

void feed_bits_set(uint8_t *bits, uint32_t idx, unsigned status)
{
    unsigned shift = (idx & 3u) * 2;
    bits[idx >> 2] = (uint8_t)((bits[idx >> 2] & ~(3u << shift)) | ((status & 3u) << shift));
}

static api_err feed_sign_payload(uint8_t **cose, size_t *cose_len, cbw *w, const char *typ,
                                 const uint8_t sk[COSE_SK_LEN])
{
    size_t len;
    api_err e = cbw_finish(w, &len);
    if (e == API_OK) e = cose_sign1_sign_alloc(cose, cose_len, typ, w->buf, len, sk);
    cbw_free(w);
    return e;
}

api_err feed_checkpoint_sign(uint8_t **cose, size_t *cose_len, const feed_checkpoint *c,
                             const uint8_t sk[COSE_SK_LEN])
{
    cbw w;
    cbw_init_dynamic(&w, FEED_MAX_CHECKPOINT_COSE);
    cbw_map(&w, 5);
    cbw_text(&w, "iss");
    cbw_text(&w, c->iss);
    cbw_text(&w, "seq");
    cbw_uint(&w, c->seq);
    cbw_text(&w, "head");
    cbw_bytes(&w, c->head, FEED_HEAD_LEN);
    cbw_text(&w, "epoch");
    cbw_uint(&w, c->epoch);
    cbw_text(&w, "signed_at");
    cbw_int(&w, c->signed_at);
    return feed_sign_payload(cose, cose_len, &w, COSE_TYP_CHECKPOINT, sk);
}

api_err feed_segment_sign(uint8_t **cose, size_t *cose_len, uint8_t head[FEED_HEAD_LEN],
                          const feed_segment *s, const uint8_t prev_head[FEED_HEAD_LEN],
                          const uint8_t sk[COSE_SK_LEN])
{
    if (s->n == 0 || s->n > FEED_SEGMENT_MAX_EVENTS) return API_ERR_ARG;
    cbw w;
    cbw_init_dynamic(&w, FEED_MAX_SEGMENT_COSE - 256);
    cbw_map(&w, 4);
    cbw_text(&w, "iss");
    cbw_text(&w, s->iss);
    cbw_text(&w, "epoch");
    cbw_uint(&w, s->epoch);
    cbw_text(&w, "first");
    cbw_uint(&w, s->first);
    cbw_text(&w, "events");
    cbw_array(&w, s->n);
    for (size_t i = 0; i < s->n; i++) {
        const feed_event *ev = &s->events[i];
        cbw_array(&w, 5);
        cbw_uint(&w, ev->seq);
        cbw_uint(&w, ev->idx);
        cbw_uint(&w, ev->kind);
        cbw_int(&w, ev->value);
        cbw_int(&w, ev->time);
    }
    size_t len;
    api_err e = cbw_finish(&w, &len);
    if (e == API_OK) {
        feed_chain(head, prev_head, w.buf, len);
        e = cose_sign1_sign_alloc(cose, cose_len, COSE_TYP_SEGMENT, w.buf, len, sk);
    }
    cbw_free(&w);
    return e;
}

api_err feed_snapshot_sign(uint8_t **cose, size_t *cose_len, const feed_snapshot *s,
                           const uint8_t sk[COSE_SK_LEN])
{
    size_t zcap = compressBound(FEED_LIST_BYTES);
    uint8_t *z = malloc(zcap);
    if (!z) return API_ERR_NOMEM;
    api_err e = zc_compress(z, &zcap, s->bits, FEED_LIST_BYTES);
    if (e != API_OK) {
        free(z);
        return e;
    }
    cbw w;
    cbw_init_dynamic(&w, FEED_MAX_SNAPSHOT_COSE - 256);
    cbw_map(&w, 8);
    cbw_text(&w, "iss");
    cbw_text(&w, s->at.iss);
    cbw_text(&w, "lst");
    cbw_bytes(&w, z, zcap);
    cbw_text(&w, "seq");
    cbw_uint(&w, s->at.seq);
    cbw_text(&w, "bits");
    cbw_uint(&w, 2);
    cbw_text(&w, "head");
    cbw_bytes(&w, s->at.head, FEED_HEAD_LEN);
    cbw_text(&w, "epoch");
    cbw_uint(&w, s->at.epoch);
    cbw_text(&w, "signed_at");
    cbw_int(&w, s->at.signed_at);
    cbw_text(&w, "extensions");
    cbw_array(&w, s->n_ext);
    for (size_t i = 0; i < s->n_ext; i++) {
        cbw_array(&w, 2);
        cbw_uint(&w, s->ext[i].idx);
        cbw_int(&w, s->ext[i].until);
    }
    free(z);
    return feed_sign_payload(cose, cose_len, &w, COSE_TYP_SNAPSHOT, sk);
}

/* iss, epoch (and for checkpoints seq, head, signed_at) of a payload map. */
static int feed_get_common(const cbor_item_t *m, char iss[CLAIMS_ISS_MAX], uint64_t *epoch)
{
    return cbor_isa_map(m) && cbc_get_text(iss, CLAIMS_ISS_MAX, cbc_map_get_text(m, "iss")) == 0 && iss[0] &&
                   cbc_get_uint(epoch, cbc_map_get_text(m, "epoch")) == 0
               ? 0
               : -1;
}

static int feed_get_head(uint8_t head[FEED_HEAD_LEN], const cbor_item_t *item)
{
    const uint8_t *p;
    size_t n;
    if (cbc_get_bytes(&p, &n, item) != 0 || n != FEED_HEAD_LEN) return -1;
    memcpy(head, p, FEED_HEAD_LEN);
    return 0;
}

static int feed_get_state(feed_checkpoint *c, const cbor_item_t *m)
{
    return feed_get_common(m, c->iss, &c->epoch) == 0 &&
                   cbc_get_uint(&c->seq, cbc_map_get_text(m, "seq")) == 0 &&
                   feed_get_head(c->head, cbc_map_get_text(m, "head")) == 0 &&
                   cbc_get_int64(&c->signed_at, cbc_map_get_text(m, "signed_at")) == 0
               ? 0
               : -1;
}

/* Parses the envelope of typ and loads its payload. */
static api_err feed_open(cbor_item_t **payload, cose_sign1 *msg, const uint8_t *cose, size_t cose_len,
                         const char *typ, size_t max)
{
    *payload = NULL;
    if (cose_len > max) return API_ERR_TOO_LARGE;
    api_err e = cose_sign1_parse(msg, cose, cose_len, typ);
    if (e != API_OK) return e;
    e = cbc_load(payload, msg->payload, msg->payload_len, 6);
    if (e == API_ERR_CBOR) e = API_ERR_CLAIMS;
    return e;
}

api_err feed_checkpoint_parse(feed_checkpoint *c, cose_sign1 *msg, const uint8_t *cose, size_t cose_len)
{
    memset(c, 0, sizeof *c);
    cbor_item_t *m;
    api_err e = feed_open(&m, msg, cose, cose_len, COSE_TYP_CHECKPOINT, FEED_MAX_CHECKPOINT_COSE);
    if (e != API_OK) return e;
    if (feed_get_state(c, m) != 0) e = API_ERR_CLAIMS;
    cbor_decref(&m);
    return e;
}

static int feed_get_event(feed_event *ev, const cbor_item_t *a)
{
    uint64_t idx, kind;
    if (!cbor_isa_array(a) || cbor_array_size(a) != 5) return -1;
    cbor_item_t **it = cbor_array_handle(a);
    if (cbc_get_uint(&ev->seq, it[0]) != 0 || cbc_get_uint(&idx, it[1]) != 0 || idx >= FEED_LIST_SIZE ||
        cbc_get_uint(&kind, it[2]) != 0 || kind > FEED_EVENT_EXTENSION ||
        cbc_get_int64(&ev->value, it[3]) != 0 || cbc_get_int64(&ev->time, it[4]) != 0)
        return -1;
    ev->idx = (uint32_t)idx;
    ev->kind = (unsigned)kind;
    if (kind == FEED_EVENT_STATUS && (ev->value < 0 || ev->value > 3)) return -1;
    if (kind == FEED_EVENT_EXTENSION && ev->value <= 0) return -1;
    return 0;
}

api_err feed_segment_parse(feed_segment *s, cose_sign1 *msg, const uint8_t *cose, size_t cose_len)
{
    memset(s, 0, sizeof *s);
    cbor_item_t *m;
    api_err e = feed_open(&m, msg, cose, cose_len, COSE_TYP_SEGMENT, FEED_MAX_SEGMENT_COSE);
    if (e != API_OK) return e;
    e = API_ERR_CLAIMS;
    const cbor_item_t *events = cbc_map_get_text(m, "events");
    if (feed_get_common(m, s->iss, &s->epoch) != 0 ||
        cbc_get_uint(&s->first, cbc_map_get_text(m, "first")) != 0 || s->first == 0 || !events ||
        !cbor_isa_array(events) || cbor_array_size(events) == 0 ||
        cbor_array_size(events) > FEED_SEGMENT_MAX_EVENTS)
        goto done;
    size_t n = cbor_array_size(events);
    s->events = calloc(n, sizeof *s->events);
    if (!s->events) {
        e = API_ERR_NOMEM;
        goto done;
    }
    cbor_item_t **items = cbor_array_handle(events);
    for (size_t i = 0; i < n; i++) {
        if (feed_get_event(&s->events[i], items[i]) != 0 || s->events[i].seq != s->first + i) goto done;
    }
    s->n = n;
    e = API_OK;
done:
    cbor_decref(&m);
    if (e != API_OK) feed_segment_free(s);
    return e;
}

static api_err feed_get_extensions(feed_snapshot *s, const cbor_item_t *arr)
{
    if (!arr || !cbor_isa_array(arr) || cbor_array_size(arr) > FEED_MAX_EXTENSIONS) return API_ERR_CLAIMS;
    size_t n = cbor_array_size(arr);
    s->ext = calloc(n ? n : 1, sizeof *s->ext);
    if (!s->ext) return API_ERR_NOMEM;
    cbor_item_t **items = cbor_array_handle(arr);
    for (size_t i = 0; i < n; i++) {
        uint64_t idx;
        if (!cbor_isa_array(items[i]) || cbor_array_size(items[i]) != 2) return API_ERR_CLAIMS;
        cbor_item_t **p = cbor_array_handle(items[i]);
        if (cbc_get_uint(&idx, p[0]) != 0 || idx >= FEED_LIST_SIZE ||
            cbc_get_int64(&s->ext[i].until, p[1]) != 0 || s->ext[i].until <= 0 ||
            (i > 0 && idx <= s->ext[i - 1].idx))
            return API_ERR_CLAIMS;
        s->ext[i].idx = (uint32_t)idx;
        s->n_ext = i + 1;
    }
    return API_OK;
}

api_err feed_snapshot_parse(feed_snapshot *s, cose_sign1 *msg, const uint8_t *cose, size_t cose_len)
{
    memset(s, 0, sizeof *s);
    cbor_item_t *m;
    api_err e = feed_open(&m, msg, cose, cose_len, COSE_TYP_SNAPSHOT, FEED_MAX_SNAPSHOT_COSE);
    if (e != API_OK) return e;
    e = API_ERR_CLAIMS;
    uint64_t bits;
    const uint8_t *z;
    size_t zlen;
    if (feed_get_state(&s->at, m) != 0 || cbc_get_uint(&bits, cbc_map_get_text(m, "bits")) != 0 ||
        bits != 2 || cbc_get_bytes(&z, &zlen, cbc_map_get_text(m, "lst")) != 0)
        goto done;
    s->bits = malloc(FEED_LIST_BYTES);
    if (!s->bits) {
        e = API_ERR_NOMEM;
        goto done;
    }
    size_t got = FEED_LIST_BYTES;
    if (zc_inflate_strict(s->bits, &got, z, zlen) != API_OK || got != FEED_LIST_BYTES) goto done;
    e = feed_get_extensions(s, cbc_map_get_text(m, "extensions"));
done:
    cbor_decref(&m);
    if (e != API_OK) feed_snapshot_free(s);
    return e;
}

void feed_segment_free(feed_segment *s)
{
    free(s->events);
    s->events = NULL;
    s->n = 0;
}

void feed_snapshot_free(feed_snapshot *s)
{
    free(s->bits);
    free(s->ext);
    s->bits = NULL;
    s->ext = NULL;
    s->n_ext = 0;
}
