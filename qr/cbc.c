/*
 * cbc.c: the canonical-CBOR gate in front of libcbor, accessors over
 * libcbor items, and the reader over checked bytes (cbc_reader), which
 * COSE envelopes, claims, segments and snapshots are read with.
 *
 * cbc_check is a bounded recursive walk over the raw bytes (depth limited
 * by the caller, at most CBC_MAX_DEPTH in practice). Every length it reads
 * is compared with the bytes left before anything else happens; an array
 * of n items needs at least n bytes, a map 2n, so nothing claimed can be
 * larger than the input. Duplicate map keys are found by comparing the
 * encoded keys: with shortest-form heads enforced, equal keys have equal
 * bytes. It allocates only for maps of more than CBC_SMALL_MAP entries.
 */
#include "qr/cbc.h"

#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#define CBC_SMALL_MAP 32

typedef struct {
    const uint8_t *p;
    size_t len;
} cbc_span;

typedef struct {
    const uint8_t *in;
    size_t len;
    size_t pos;
    unsigned max_depth;
} cbc_walker;

/*
 * Reads one head at *pos of p[0..len): the major type, the additional
 * information and the argument (the next 1, 2, 4 or 8 bytes, big-endian,
 * for additional information 24 to 27). -1 when the bytes run out, or for
 * 28 to 31 (reserved, or an indefinite length or break). The one head
 * reader: the walker adds the shortest-form rule, the reader reads bytes
 * the walker passed.
 */
static int cbc_head_at(const uint8_t *p, size_t len, size_t *pos, unsigned *major, unsigned *ai,
                       uint64_t *arg)
{
    if (*pos >= len) return -1;
    uint8_t b = p[(*pos)++];
    *ai = b & 31u;
    *major = b >> 5;
    if (*ai < 24) {
        *arg = *ai;
        return 0;
    }
    if (*ai > 27) return -1;
    size_t n = (size_t)1 << (*ai - 24);
    if (len - *pos < n) return -1;
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++) v = v << 8 | p[(*pos)++];
    *arg = v;
    return 0;
}

/* Reads one head: major type and argument, shortest form only. */
static int cbc_head(cbc_walker *w, unsigned *major, uint64_t *arg, unsigned *ai)
{
    if (cbc_head_at(w->in, w->len, &w->pos, major, ai, arg) != 0) return -1;
    if (*ai < 24 || *major == 7) return 0; /* floats and simple values: checked by the caller */
    static const uint64_t minimum[4] = {24, 0x100, 0x10000, 0x100000000ull};
    return *arg < minimum[*ai - 24] ? -1 : 0;
}

static int cbc_span_cmp(const void *a, const void *b)
{
    const cbc_span *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return memcmp(x->p, y->p, x->len);
}

static int cbc_item(cbc_walker *w, unsigned depth);

static int cbc_map(cbc_walker *w, uint64_t count, unsigned depth)
{
    if (count > (w->len - w->pos) / 2) return -1;
    cbc_span small[CBC_SMALL_MAP];
    cbc_span *keys = small;
    if (count > CBC_SMALL_MAP) {
        keys = malloc((size_t)count * sizeof *keys);
        if (!keys) return -1;
    }
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        size_t start = w->pos;
        rc = cbc_item(w, depth + 1);
        keys[i].p = w->in + start;
        keys[i].len = w->pos - start;
        if (rc == 0) rc = cbc_item(w, depth + 1);
    }
    if (rc == 0 && count > 1) {
        qsort(keys, (size_t)count, sizeof *keys, cbc_span_cmp);
        for (uint64_t i = 1; i < count; i++)
            if (cbc_span_cmp(&keys[i - 1], &keys[i]) == 0) {
                rc = -1;
                break;
            }
    }
    if (keys != small) free(keys);
    return rc;
}

static int cbc_item(cbc_walker *w, unsigned depth)
{
    if (depth > w->max_depth) return -1;
    unsigned major, ai;
    uint64_t arg;
    if (cbc_head(w, &major, &arg, &ai) != 0) return -1;
    /* At most max_depth nested containers (arrays, maps, tags); a scalar may sit inside the last one. */
    if (major >= 4 && major <= 6 && depth >= w->max_depth) return -1;
    switch (major) {
    case 0: /* unsigned integer */
    case 1: /* negative integer */
        return 0;
    case 2: /* byte string */
    case 3: /* text string */
        if (arg > w->len - w->pos) return -1;
        if (major == 3 && !text_utf8_valid(w->in + w->pos, (size_t)arg)) return -1;
        w->pos += (size_t)arg;
        return 0;
    case 4: /* array */
        if (arg > w->len - w->pos) return -1;
        for (uint64_t i = 0; i < arg; i++)
            if (cbc_item(w, depth + 1) != 0) return -1;
        return 0;
    case 5:
        return cbc_map(w, arg, depth);
    case 6: /* tag: one item follows */
        return cbc_item(w, depth + 1);
    default: /* 7: only false, true, null */
        if (ai >= 24) return -1;
        return (arg >= 20 && arg <= 22) ? 0 : -1;
    }
}

api_err cbc_check(const uint8_t *in, size_t len, unsigned max_depth)
{
    if (!in || len == 0) return API_ERR_CBOR;
    cbc_walker w = {in, len, 0, max_depth};
    if (cbc_item(&w, 0) != 0) return API_ERR_CBOR;
    return w.pos == len ? API_OK : API_ERR_CBOR;
}

api_err cbc_load(cbor_item_t **item, const uint8_t *in, size_t len, unsigned max_depth)
{
    *item = NULL;
    api_err e = cbc_check(in, len, max_depth);
    if (e != API_OK) return e;
    struct cbor_load_result res;
    cbor_item_t *it = cbor_load(in, len, &res);
    if (!it) return res.error.code == CBOR_ERR_MEMERROR ? API_ERR_NOMEM : API_ERR_CBOR;
    if (res.read != len) {
        cbor_decref(&it);
        return API_ERR_CBOR;
    }
    *item = it;
    return API_OK;
}

cbor_item_t *cbc_map_get_int(const cbor_item_t *map, int64_t key)
{
    if (!map || !cbor_isa_map(map)) return NULL;
    struct cbor_pair *pairs = cbor_map_handle(map);
    size_t n = cbor_map_size(map);
    for (size_t i = 0; i < n; i++) {
        int64_t k;
        if (cbc_get_int64(&k, pairs[i].key) == 0 && k == key) return pairs[i].value;
    }
    return NULL;
}

cbor_item_t *cbc_map_get_text(const cbor_item_t *map, const char *key)
{
    if (!map || !cbor_isa_map(map)) return NULL;
    struct cbor_pair *pairs = cbor_map_handle(map);
    size_t n = cbor_map_size(map), klen = strlen(key);
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *k = pairs[i].key;
        if (cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == klen &&
            memcmp(cbor_string_handle(k), key, klen) == 0)
            return pairs[i].value;
    }
    return NULL;
}

int cbc_get_uint(uint64_t *out, const cbor_item_t *item)
{
    if (!item || !cbor_isa_uint(item)) return -1;
    *out = cbor_get_int(item);
    return 0;
}

int cbc_get_int64(int64_t *out, const cbor_item_t *item)
{
    if (!item) return -1;
    if (cbor_isa_uint(item)) {
        uint64_t v = cbor_get_int(item);
        if (v > INT64_MAX) return -1;
        *out = (int64_t)v;
        return 0;
    }
    if (cbor_isa_negint(item)) {
        uint64_t v = cbor_get_int(item); /* the value is -1 - v */
        if (v > INT64_MAX) return -1;
        *out = -1 - (int64_t)v;
        return 0;
    }
    return -1;
}

int cbc_get_text(char *out, size_t cap, const cbor_item_t *item)
{
    if (!item || !cbor_isa_string(item) || !cbor_string_is_definite(item)) return -1;
    size_t n = cbor_string_length(item);
    if (n >= cap) return -1;
    const unsigned char *s = cbor_string_handle(item);
    if (n && memchr(s, 0, n)) return -1;
    if (n) memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int cbc_get_bytes(const uint8_t **data, size_t *len, const cbor_item_t *item)
{
    if (!item || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) return -1;
    *data = cbor_bytestring_handle(item);
    *len = cbor_bytestring_length(item);
    return 0;
}

int cbc_get_bytes_exact(uint8_t *out, size_t n, const cbor_item_t *item)
{
    const uint8_t *p;
    size_t len;
    if (cbc_get_bytes(&p, &len, item) != 0 || len != n) return -1;
    memcpy(out, p, n);
    return 0;
}

/* ---- reader over checked bytes ---- */

void cbc_reader_init(cbc_reader *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
}

int cbc_read_head(cbc_reader *r, unsigned *major, uint64_t *arg)
{
    unsigned ai;
    return cbc_head_at(r->p, r->len, &r->pos, major, &ai, arg);
}

static int cbc_read_expect(cbc_reader *r, unsigned want, uint64_t *arg)
{
    unsigned major;
    return cbc_read_head(r, &major, arg) == 0 && major == want ? 0 : -1;
}

int cbc_read_map(cbc_reader *r, uint64_t *count)
{
    return cbc_read_expect(r, 5, count);
}

int cbc_read_array(cbc_reader *r, uint64_t *count)
{
    return cbc_read_expect(r, 4, count);
}

int cbc_read_uint(cbc_reader *r, uint64_t *v)
{
    return cbc_read_expect(r, 0, v);
}

int cbc_read_int64(cbc_reader *r, int64_t *v)
{
    unsigned major;
    uint64_t arg;
    if (cbc_read_head(r, &major, &arg) != 0 || arg > INT64_MAX) return -1;
    if (major == 0)
        *v = (int64_t)arg;
    else if (major == 1)
        *v = -1 - (int64_t)arg;
    else
        return -1;
    return 0;
}

static int cbc_read_string(cbc_reader *r, unsigned major, const uint8_t **s, size_t *n)
{
    uint64_t len;
    if (cbc_read_expect(r, major, &len) != 0 || len > r->len - r->pos) return -1;
    *s = r->p + r->pos;
    *n = (size_t)len;
    r->pos += (size_t)len;
    return 0;
}

int cbc_read_text(cbc_reader *r, const char **s, size_t *n)
{
    const uint8_t *p; /* not through a cast of s: a const char * is not a const uint8_t * to the optimiser */
    if (cbc_read_string(r, 3, &p, n) != 0) return -1;
    *s = (const char *)p;
    return 0;
}

int cbc_read_bytes(cbc_reader *r, const uint8_t **s, size_t *n)
{
    return cbc_read_string(r, 2, s, n);
}

int cbc_read_text_copy(cbc_reader *r, char *out, size_t cap)
{
    const char *s;
    size_t n;
    if (cbc_read_text(r, &s, &n) != 0 || n >= cap || (n && memchr(s, 0, n))) return -1;
    if (n) memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int cbc_read_bytes_exact(cbc_reader *r, uint8_t *out, size_t n)
{
    const uint8_t *p;
    size_t len;
    if (cbc_read_bytes(r, &p, &len) != 0 || len != n) return -1;
    memcpy(out, p, n);
    return 0;
}

static int cbc_skip_depth(cbc_reader *r, unsigned depth)
{
    unsigned major;
    uint64_t arg;
    if (depth > CBC_MAX_DEPTH || cbc_read_head(r, &major, &arg) != 0) return -1;
    switch (major) {
    case 2:
    case 3:
        if (arg > r->len - r->pos) return -1;
        r->pos += (size_t)arg;
        return 0;
    case 4:
    case 5:
        if (arg > r->len - r->pos) return -1;
        for (uint64_t i = 0; i < (major == 5 ? 2 * arg : arg); i++)
            if (cbc_skip_depth(r, depth + 1) != 0) return -1;
        return 0;
    case 6:
        return cbc_skip_depth(r, depth + 1);
    default:
        return 0;
    }
}

int cbc_skip(cbc_reader *r)
{
    return cbc_skip_depth(r, 0);
}

int cbc_key_is(const char *k, size_t n, const char *name)
{
    return n == strlen(name) && memcmp(k, name, n) == 0;
}
