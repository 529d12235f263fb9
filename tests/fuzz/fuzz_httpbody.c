/*
 * fuzz_httpbody.c: libFuzzer target for the service's request-body parsers
 * (http/httpbody.c): the Content-Type header and multipart/form-data.
 * The input is "Content-Type value\n" then the body. Never a crash or a
 * leak; a part found lies inside the body. The parsers run on a thread
 * with the stack of the service's workers (worker_stack.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/httpbody.h"
#include "tests/fuzz/worker_stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *data;
    size_t size;
} fuzz_input;

static void fuzz_httpbody(void *arg)
{
    const fuzz_input *in = arg;
    const uint8_t *data = in->data;
    size_t size = in->size;
    const uint8_t *nl = memchr(data, '\n', size < 512 ? size : 512);
    size_t hlen = nl ? (size_t)(nl - data) : (size < 512 ? size : 512);
    char header[513];
    memcpy(header, data, hlen);
    header[hlen] = '\0';
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t blen = (size_t)(data + size - body);
    char boundary[HTTPBODY_BOUNDARY_MAX + 1];
    httpbody_type t = httpbody_media_type(header, boundary);
    (void)httpbody_looks_like_image(body, blen);
    if (t != HTTPBODY_MULTIPART) strcpy(boundary, "B0undary");
    httpbody_part part;
    if (httpbody_multipart_find(&part, body, blen, boundary) == API_OK) {
        if (part.data < body || part.len > blen || part.data + part.len > body + blen) __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    fuzz_input in = {data, size};
    fuzz_on_worker_stack(fuzz_httpbody, &in);
    return 0;
}
