/*
 * cbw.c: canonical CBOR writing (see cbw.h).
 *
 * Heads come from libcbor's cbor_encode_* functions, which choose the
 * shortest form; the writer only manages space. A dynamic writer doubles
 * its buffer up to its maximum and then fails with API_ERR_TOO_LARGE.
 */
#include "qr/cbw.h"

#include <cbor.h>
#include <stdlib.h>
#include <string.h>

void cbw_init(cbw *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->alloc = cap;
    w->growable = 0;
    w->err = API_OK;
}

void cbw_init_dynamic(cbw *w, size_t max)
{
    w->buf = NULL;
    w->cap = max; /* the bound; the buffer's size is alloc */
    w->len = 0;
    w->alloc = 0;
    w->growable = 1;
    w->err = API_OK;
}

static int cbw_reserve(cbw *w, size_t extra)
{
    if (w->err != API_OK) return -1;
    if (extra > w->cap - w->len) {
        w->err = API_ERR_TOO_LARGE;
        return -1;
    }
    if (!w->growable) return 0;
    size_t need = w->len + extra;
    if (need <= w->alloc) return 0;
    size_t size = w->alloc ? w->alloc : 256;
    while (size < need) size = size > w->cap / 2 ? w->cap : size * 2;
    uint8_t *p = realloc(w->buf, size);
    if (!p) {
        w->err = API_ERR_NOMEM;
        return -1;
    }
    w->buf = p;
    w->alloc = size;
    return 0;
}

static void cbw_head(cbw *w, size_t (*enc)(uint64_t, unsigned char *, size_t), uint64_t v)
{
    if (w->err != API_OK) return;
    unsigned char head[9];
    size_t n = enc(v, head, sizeof head);
    if (n == 0) {
        w->err = API_ERR_CBOR;
        return;
    }
    cbw_raw(w, head, n);
}

static size_t cbw_enc_uint(uint64_t v, unsigned char *b, size_t s)
{
    return cbor_encode_uint(v, b, s);
}
static size_t cbw_enc_negint(uint64_t v, unsigned char *b, size_t s)
{
    return cbor_encode_negint(v, b, s);
}
static size_t cbw_enc_bytes(uint64_t v, unsigned char *b, size_t s)
{
    return cbor_encode_bytestring_start((size_t)v, b, s);
}
static size_t cbw_enc_text(uint64_t v, unsigned char *b, size_t s)
{
    return cbor_encode_string_start((size_t)v, b, s);
}
static size_t cbw_enc_array(uint64_t v, unsigned char *b, size_t s)
{
    return cbor_encode_array_start((size_t)v, b, s);
}
static size_t cbw_enc_map(uint64_t v, unsigned char *b, size_t s)
{
    return cbor_encode_map_start((size_t)v, b, s);
}
static size_t cbw_enc_tag(uint64_t v, unsigned char *b, size_t s)
{
    return cbor_encode_tag(v, b, s);
}

void cbw_uint(cbw *w, uint64_t v)
{
    cbw_head(w, cbw_enc_uint, v);
}

void cbw_int(cbw *w, int64_t v)
{
    if (v >= 0)
        cbw_head(w, cbw_enc_uint, (uint64_t)v);
    else
        cbw_head(w, cbw_enc_negint, (uint64_t)(-1 - v));
}

void cbw_raw(cbw *w, const uint8_t *data, size_t len)
{
    if (cbw_reserve(w, len) != 0) return;
    if (len) memcpy(w->buf + w->len, data, len);
    w->len += len;
}

void cbw_bytes(cbw *w, const uint8_t *data, size_t len)
{
    cbw_head(w, cbw_enc_bytes, len);
    cbw_raw(w, data, len);
}

static void cbw_textn(cbw *w, const char *s, size_t len)
{
    cbw_head(w, cbw_enc_text, len);
    cbw_raw(w, (const uint8_t *)s, len);
}

void cbw_text(cbw *w, const char *s)
{
    cbw_textn(w, s, strlen(s));
}
void cbw_array(cbw *w, size_t count)
{
    cbw_head(w, cbw_enc_array, count);
}
void cbw_map(cbw *w, size_t count)
{
    cbw_head(w, cbw_enc_map, count);
}
void cbw_tag(cbw *w, uint64_t tag)
{
    cbw_head(w, cbw_enc_tag, tag);
}

api_err cbw_finish(cbw *w, size_t *len)
{
    *len = w->len;
    return w->err;
}

void cbw_free(cbw *w)
{
    if (w->growable) free(w->buf);
    w->buf = NULL;
}
