/*
 * feed.c: encoding, signing and parsing of the feed objects (feed.h).
 *
 * Payloads are CBOR maps with text keys, written in deterministic key
 * order; events are arrays [seq, idx, kind, value, time]. Parsing goes
 * through cose_sign1_parse, then cbc_check (canonical input, bounded);
 * segments and snapshots (up to 10,000 events, 2^21 statuses and their
 * extensions) are then read with cbc_reader, which builds no tree and
 * allocates nothing per item, and the small checkpoint through cbc_load (a
 * libcbor tree of five entries). Every rule of docs/federation.md is
 * checked, so a caller that verified the signature holds an object it can
 * apply without further checks.
 */
#include "qr/feed.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "qr/cbc.h"
#include "qr/cbw.h"
#include "qr/zc.h"
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
                                 const api_signer *by)
{
    size_t len;
    api_err e = cbw_finish(w, &len);
    if (e == API_OK) e = cose_sign1_sign_alloc_with(cose, cose_len, typ, w->buf, len, by);
    cbw_free(w);
    return e;
}

api_err feed_checkpoint_sign_with(uint8_t **cose, size_t *cose_len, const feed_checkpoint *c,
                                  const api_signer *by)
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
    return feed_sign_payload(cose, cose_len, &w, COSE_TYP_CHECKPOINT, by);
}

api_err feed_segment_sign_with(uint8_t **cose, size_t *cose_len, uint8_t head[FEED_HEAD_LEN],
                               const feed_segment *s, const uint8_t prev_head[FEED_HEAD_LEN],
                               const api_signer *by)
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
        e = cose_sign1_sign_alloc_with(cose, cose_len, COSE_TYP_SEGMENT, w.buf, len, by);
    }
    cbw_free(&w);
    return e;
}

api_err feed_snapshot_sign_with(uint8_t **cose, size_t *cose_len, const feed_snapshot *s,
                                const api_signer *by)
{
    size_t zcap = compressBound(FEED_LIST_BYTES);
    uint8_t *z = malloc(zcap);
    if (!z) return API_ERR_NOMEM;
    /* Level 6: nearly the size of level 9 on a sparse list, at a tenth of the time. */
    api_err e = zc_compress_level(z, &zcap, s->bits, FEED_LIST_BYTES, 6);
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
    return feed_sign_payload(cose, cose_len, &w, COSE_TYP_SNAPSHOT, by);
}

/* The same three with a file key, as a file signer (the bytes of the signer path). */
api_err feed_checkpoint_sign(uint8_t **cose, size_t *cose_len, const feed_checkpoint *c,
                             const uint8_t sk[COSE_SK_LEN])
{
    api_signer by;
    signer_init_key(&by, sk);
    return feed_checkpoint_sign_with(cose, cose_len, c, &by);
}

api_err feed_segment_sign(uint8_t **cose, size_t *cose_len, uint8_t head[FEED_HEAD_LEN],
                          const feed_segment *s, const uint8_t prev_head[FEED_HEAD_LEN],
                          const uint8_t sk[COSE_SK_LEN])
{
    api_signer by;
    signer_init_key(&by, sk);
    return feed_segment_sign_with(cose, cose_len, head, s, prev_head, &by);
}

api_err feed_snapshot_sign(uint8_t **cose, size_t *cose_len, const feed_snapshot *s,
                           const uint8_t sk[COSE_SK_LEN])
{
    api_signer by;
    signer_init_key(&by, sk);
    return feed_snapshot_sign_with(cose, cose_len, s, &by);
}

/* iss, epoch (and for checkpoints seq, head, signed_at) of a payload map. */
static int feed_get_common(const cbor_item_t *m, char iss[CLAIMS_ISS_MAX], uint64_t *epoch)
{
    return cbor_isa_map(m) && cbc_get_text(iss, CLAIMS_ISS_MAX, cbc_map_get_text(m, "iss")) == 0 && iss[0] &&
                   cbc_get_uint(epoch, cbc_map_get_text(m, "epoch")) == 0
               ? 0
               : -1;
}

static int feed_get_state(feed_checkpoint *c, const cbor_item_t *m)
{
    return feed_get_common(m, c->iss, &c->epoch) == 0 &&
                   cbc_get_uint(&c->seq, cbc_map_get_text(m, "seq")) == 0 &&
                   cbc_get_bytes_exact(c->head, FEED_HEAD_LEN, cbc_map_get_text(m, "head")) == 0 &&
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

/*
 * Segments and snapshots are large (10,000 events, 2^21 statuses and an
 * extension table): after cbc_check they are read with cbc_reader, which
 * builds no tree and allocates nothing per item.
 */
static api_err feed_open_raw(cbc_reader *rd, uint64_t *count, cose_sign1 *msg, const uint8_t *cose,
                             size_t cose_len, const char *typ, size_t max)
{
    if (cose_len > max) return API_ERR_TOO_LARGE;
    api_err e = cose_sign1_parse(msg, cose, cose_len, typ);
    if (e != API_OK) return e;
    if (cbc_check(msg->payload, msg->payload_len, 6) != API_OK) return API_ERR_CLAIMS;
    cbc_reader_init(rd, msg->payload, msg->payload_len);
    return cbc_read_map(rd, count) == 0 ? API_OK : API_ERR_CLAIMS;
}

/* An issuer id of 1..CLAIMS_ISS_MAX-1 bytes (whether it is the one the trust list names is the reader's
 * check). */
static int feed_read_iss(cbc_reader *rd, char iss[CLAIMS_ISS_MAX])
{
    return cbc_read_text_copy(rd, iss, CLAIMS_ISS_MAX) == 0 && iss[0] ? 0 : -1;
}

static int feed_read_event(cbc_reader *rd, feed_event *ev)
{
    uint64_t n, idx, kind;
    if (cbc_read_array(rd, &n) != 0 || n != 5 || cbc_read_uint(rd, &ev->seq) != 0 ||
        cbc_read_uint(rd, &idx) != 0 || idx >= FEED_LIST_SIZE || cbc_read_uint(rd, &kind) != 0 ||
        kind > FEED_EVENT_EXTENSION || cbc_read_int64(rd, &ev->value) != 0 ||
        cbc_read_int64(rd, &ev->time) != 0)
        return -1;
    ev->idx = (uint32_t)idx;
    ev->kind = (unsigned)kind;
    if (kind == FEED_EVENT_STATUS && (ev->value < 0 || ev->value > 3)) return -1;
    if (kind == FEED_EVENT_EXTENSION && ev->value <= 0) return -1;
    return 0;
}

static int feed_read_events(cbc_reader *rd, feed_segment *s)
{
    uint64_t n;
    if (cbc_read_array(rd, &n) != 0 || n == 0 || n > FEED_SEGMENT_MAX_EVENTS || s->events) return -1;
    s->events = malloc((size_t)n * sizeof *s->events);
    if (!s->events) return -1;
    for (uint64_t i = 0; i < n; i++)
        if (feed_read_event(rd, &s->events[i]) != 0) return -1;
    s->n = (size_t)n;
    return 0;
}

/* Each required key of a payload sets one bit. */
enum {
    FEED_K_ISS = 1,
    FEED_K_EPOCH = 2,
    FEED_K_FIRST = 4,
    FEED_K_EVENTS = 8,
    FEED_K_SEQ = 16,
    FEED_K_HEAD = 32,
    FEED_K_SIGNED = 64,
    FEED_K_BITS = 128,
    FEED_K_LST = 256,
    FEED_K_EXT = 512,
};

api_err feed_segment_parse(feed_segment *s, cose_sign1 *msg, const uint8_t *cose, size_t cose_len)
{
    memset(s, 0, sizeof *s);
    cbc_reader rd;
    uint64_t count;
    api_err e = feed_open_raw(&rd, &count, msg, cose, cose_len, COSE_TYP_SEGMENT, FEED_MAX_SEGMENT_COSE);
    if (e != API_OK) return e;
    unsigned seen = 0;
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        const char *k;
        size_t kn;
        if (cbc_read_text(&rd, &k, &kn) != 0)
            rc = -1;
        else if (cbc_key_is(k, kn, "iss"))
            rc = feed_read_iss(&rd, s->iss), seen |= FEED_K_ISS;
        else if (cbc_key_is(k, kn, "epoch"))
            rc = cbc_read_uint(&rd, &s->epoch), seen |= FEED_K_EPOCH;
        else if (cbc_key_is(k, kn, "first"))
            rc = cbc_read_uint(&rd, &s->first), seen |= FEED_K_FIRST;
        else if (cbc_key_is(k, kn, "events"))
            rc = feed_read_events(&rd, s), seen |= FEED_K_EVENTS;
        else
            rc = cbc_skip(&rd);
    }
    if (rc == 0 && seen == (FEED_K_ISS | FEED_K_EPOCH | FEED_K_FIRST | FEED_K_EVENTS) && s->first > 0) {
        for (size_t i = 0; i < s->n; i++)
            if (s->events[i].seq != s->first + i) rc = -1;
    } else {
        rc = -1;
    }
    if (rc != 0) {
        feed_segment_free(s);
        return API_ERR_CLAIMS;
    }
    return API_OK;
}

static int feed_read_extensions(cbc_reader *rd, feed_snapshot *s)
{
    uint64_t n;
    if (cbc_read_array(rd, &n) != 0 || n > FEED_MAX_EXTENSIONS || s->ext) return -1;
    s->ext = malloc((n ? (size_t)n : 1) * sizeof *s->ext);
    if (!s->ext) return -1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t two, idx;
        feed_extension *x = &s->ext[i];
        if (cbc_read_array(rd, &two) != 0 || two != 2 || cbc_read_uint(rd, &idx) != 0 ||
            idx >= FEED_LIST_SIZE || cbc_read_int64(rd, &x->until) != 0 || x->until <= 0 ||
            (i > 0 && idx <= s->ext[i - 1].idx))
            return -1;
        x->idx = (uint32_t)idx;
        s->n_ext = (size_t)i + 1;
    }
    return 0;
}

static int feed_read_list(cbc_reader *rd, feed_snapshot *s)
{
    const uint8_t *z;
    size_t zlen, got = FEED_LIST_BYTES;
    if (cbc_read_bytes(rd, &z, &zlen) != 0 || s->bits) return -1;
    s->bits = malloc(FEED_LIST_BYTES);
    if (!s->bits) return -1;
    return zc_inflate_strict(s->bits, &got, z, zlen) == API_OK && got == FEED_LIST_BYTES ? 0 : -1;
}

api_err feed_snapshot_parse(feed_snapshot *s, cose_sign1 *msg, const uint8_t *cose, size_t cose_len)
{
    memset(s, 0, sizeof *s);
    cbc_reader rd;
    uint64_t count, bits = 0;
    api_err e = feed_open_raw(&rd, &count, msg, cose, cose_len, COSE_TYP_SNAPSHOT, FEED_MAX_SNAPSHOT_COSE);
    if (e != API_OK) return e;
    unsigned seen = 0;
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        const char *k;
        size_t kn;
        if (cbc_read_text(&rd, &k, &kn) != 0)
            rc = -1;
        else if (cbc_key_is(k, kn, "iss"))
            rc = feed_read_iss(&rd, s->at.iss), seen |= FEED_K_ISS;
        else if (cbc_key_is(k, kn, "epoch"))
            rc = cbc_read_uint(&rd, &s->at.epoch), seen |= FEED_K_EPOCH;
        else if (cbc_key_is(k, kn, "seq"))
            rc = cbc_read_uint(&rd, &s->at.seq), seen |= FEED_K_SEQ;
        else if (cbc_key_is(k, kn, "head"))
            rc = cbc_read_bytes_exact(&rd, s->at.head, FEED_HEAD_LEN), seen |= FEED_K_HEAD;
        else if (cbc_key_is(k, kn, "signed_at"))
            rc = cbc_read_int64(&rd, &s->at.signed_at), seen |= FEED_K_SIGNED;
        else if (cbc_key_is(k, kn, "bits"))
            rc = cbc_read_uint(&rd, &bits), seen |= FEED_K_BITS;
        else if (cbc_key_is(k, kn, "lst"))
            rc = feed_read_list(&rd, s), seen |= FEED_K_LST;
        else if (cbc_key_is(k, kn, "extensions"))
            rc = feed_read_extensions(&rd, s), seen |= FEED_K_EXT;
        else
            rc = cbc_skip(&rd);
    }
    unsigned want = FEED_K_ISS | FEED_K_EPOCH | FEED_K_SEQ | FEED_K_HEAD | FEED_K_SIGNED | FEED_K_BITS |
                    FEED_K_LST | FEED_K_EXT;
    if (rc != 0 || seen != want || bits != 2) {
        feed_snapshot_free(s);
        return API_ERR_CLAIMS;
    }
    return API_OK;
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
