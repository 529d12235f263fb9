/*
 * fuzz_httpc.c: libFuzzer target for the HTTP client's parsing steps
 * (http/httpc_int.h): the response head and the chunked decoder, on
 * bytes as a server could send them. The heads are read as the client
 * reads them (1xx interim ones skipped, at most HTTPC_INTERIM_MAX); what
 * follows the last head (all of the input when there is none) goes to the
 * chunked decoder twice, whole and in pieces of varying sizes, and both
 * must agree byte for byte. Never a crash or a leak; a head lies inside
 * the input and within its bound; a run of body data lies inside the bytes
 * consumed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/httpc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    httpc_chunked_result result;
    size_t consumed;
    size_t len;
} decoded;

/* Feeds in[0..len) in pieces of 1..17 bytes (all at once when whole); the data into out. */
static decoded decode(const uint8_t *in, size_t len, int whole, uint8_t *out)
{
    httpc_chunked c;
    httpc_chunked_init(&c);
    decoded d = {HTTPC_CHUNKED_MORE, 0, 0};
    size_t off = 0, k = 0;
    while (off < len && d.result == HTTPC_CHUNKED_MORE) {
        size_t piece = whole ? len - off : 1 + (k++ * 7) % 17;
        if (piece > len - off) piece = len - off;
        size_t used, dlen;
        const uint8_t *run;
        d.result = httpc_chunked_feed(&c, in + off, piece, &used, &run, &dlen);
        if (used > piece) __builtin_trap();
        if (d.result == HTTPC_CHUNKED_MORE && used == 0) __builtin_trap(); /* no progress */
        if (dlen > 0) {
            if (run < in + off || run + dlen > in + off + used || d.len + dlen > len) __builtin_trap();
            memcpy(out + d.len, run, dlen);
            d.len += dlen;
        }
        off += used;
    }
    d.consumed = off;
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 18)) return 0;
    size_t off = 0;
    for (unsigned i = 0; i <= HTTPC_INTERIM_MAX; i++) {
        httpc_head h;
        httpc_head_result r = httpc_head_parse(&h, data + off, size - off);
        if (r == HTTPC_HEAD_OK || r == HTTPC_HEAD_FRAMING) {
            if (h.status < 100 || h.status > 599 || h.minor < 0 || h.minor > 9) __builtin_trap();
            if (memchr(h.etag, '\0', sizeof h.etag) == NULL) __builtin_trap();
        }
        if (r != HTTPC_HEAD_OK) break;
        if (h.head_len < 16 || h.head_len > size - off || h.head_len > HTTPC_HEAD_MAX) __builtin_trap();
        if (h.framing == HTTPC_FRAMING_CHUNKED && h.length != 0) __builtin_trap();
        off += h.head_len;
        if (h.status >= 200) break;
    }

    size_t len = size - off;
    uint8_t *a = malloc(len + 1), *b = malloc(len + 1);
    if (!a || !b) abort();
    decoded whole = decode(data + off, len, 1, a);
    decoded pieces = decode(data + off, len, 0, b);
    if (whole.result != pieces.result || whole.consumed != pieces.consumed || whole.len != pieces.len ||
        memcmp(a, b, whole.len) != 0)
        __builtin_trap();
    free(a);
    free(b);
    return 0;
}
