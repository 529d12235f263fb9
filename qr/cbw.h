/*
 * cbw.h: a CBOR writer over libcbor's streaming encoders, producing the
 * canonical form that cbc_check accepts (shortest heads, definite lengths).
 *
 * The writer records the first error and ignores later calls, so encoding
 * code reads as a straight sequence and checks once with cbw_finish.
 */
#ifndef API_CBW_H
#define API_CBW_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    size_t alloc; /* allocated size of a dynamic buffer */
    int growable; /* buf is malloc'd by the writer and grows */
    api_err err;
} cbw;

/* A writer into a fixed buffer. */
void cbw_init(cbw *w, uint8_t *buf, size_t cap);

/* A writer into a malloc'd buffer that grows up to max bytes. */
void cbw_init_dynamic(cbw *w, size_t max);

void cbw_uint(cbw *w, uint64_t v);
void cbw_int(cbw *w, int64_t v);
void cbw_bytes(cbw *w, const uint8_t *data, size_t len);
void cbw_text(cbw *w, const char *s);
void cbw_array(cbw *w, size_t count);
void cbw_map(cbw *w, size_t count);
void cbw_tag(cbw *w, uint64_t tag);
void cbw_raw(cbw *w, const uint8_t *data, size_t len);

/* The first error met (API_OK if none); sets *len to the bytes written. */
api_err cbw_finish(cbw *w, size_t *len);

/* Frees a dynamic writer's buffer (no-op for a fixed one). */
void cbw_free(cbw *w);

#endif
