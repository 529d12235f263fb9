/*
 * cbc.h: canonical CBOR input, checked before libcbor sees it, small
 * accessors over the libcbor items that result, and a reader over checked
 * bytes that builds no tree.
 *
 * libcbor 0.8 allocates whatever an array, map or string header claims, and
 * accepts indefinite lengths, duplicate keys and trailing bytes. cbc_check
 * walks the raw bytes first and refuses all of that, so cbc_load only hands
 * libcbor input whose every claimed length fits in the bytes that remain.
 */
#ifndef API_CBC_H
#define API_CBC_H

#include <cbor.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CBC_MAX_DEPTH 16

/*
 * Checks that in[0..len) is exactly one well-formed CBOR item in the
 * project's canonical form: definite lengths only, shortest-form heads,
 * valid UTF-8 text (text_utf8_valid), no duplicate map keys, no floats or simple values other
 * than false/true/null, at most max_depth nested arrays, maps and tags,
 * no trailing bytes.
 * Returns API_OK or API_ERR_CBOR.
 */
api_err cbc_check(const uint8_t *in, size_t len, unsigned max_depth);

/* cbc_check, then cbor_load. The caller cbor_decref()s *item. */
api_err cbc_load(cbor_item_t **item, const uint8_t *in, size_t len, unsigned max_depth);

/* The value of a map entry with an integer key (negative keys too), or NULL. */
cbor_item_t *cbc_map_get_int(const cbor_item_t *map, int64_t key);

/* The value of a map entry with a text key, or NULL. */
cbor_item_t *cbc_map_get_text(const cbor_item_t *map, const char *key);

/* Reads an integer item that fits int64_t; -1 if it is not one. */
int cbc_get_int64(int64_t *out, const cbor_item_t *item);

/* Reads an unsigned integer item; -1 if it is not one. */
int cbc_get_uint(uint64_t *out, const cbor_item_t *item);

/*
 * Copies a text item into out (capacity cap, NUL-terminated); -1 when it is
 * not text, too long, or holds a NUL byte.
 */
int cbc_get_text(char *out, size_t cap, const cbor_item_t *item);

/* Points *data at a byte string's bytes; -1 if it is not one. */
int cbc_get_bytes(const uint8_t **data, size_t *len, const cbor_item_t *item);

/* Copies a byte string of exactly n bytes into out; -1 if the item is not one. */
int cbc_get_bytes_exact(uint8_t *out, size_t n, const cbor_item_t *item);

/*
 * A reader over bytes that passed cbc_check: no tree, no allocation, for
 * large objects (feed segments and snapshots). Each call reads one item at
 * the position and moves past it; it returns -1 when the item there is not
 * of the asked type (the position is then unspecified: stop reading).
 */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t pos;
} cbc_reader;

void cbc_reader_init(cbc_reader *r, const uint8_t *p, size_t len);
int cbc_read_head(cbc_reader *r, unsigned *major, uint64_t *arg);
int cbc_read_map(cbc_reader *r, uint64_t *count);
int cbc_read_array(cbc_reader *r, uint64_t *count);
int cbc_read_uint(cbc_reader *r, uint64_t *v);
int cbc_read_int64(cbc_reader *r, int64_t *v);
int cbc_read_text(cbc_reader *r, const char **s, size_t *n);
int cbc_read_bytes(cbc_reader *r, const uint8_t **s, size_t *n);
/* The same as cbc_get_text and cbc_get_bytes_exact, read at the position: copies, -1 when the item does not
 * fit. */
int cbc_read_text_copy(cbc_reader *r, char *out, size_t cap);
int cbc_read_bytes_exact(cbc_reader *r, uint8_t *out, size_t n);
/* Skips one whole item (nested items included). */
int cbc_skip(cbc_reader *r);

/* Whether a key k[0..n) read with cbc_read_text is name. */
int cbc_key_is(const char *k, size_t n, const char *name);

#endif
