/*
 * fuzz_jsonbody.c: libFuzzer target for what the verification service does
 * with a JSON request body: jsonscan_check with the service's bounds (depth
 * 8, 1,000 entries per array or object), then, only if that passes,
 * cJSON_ParseWithLengthOpts and cJSON_Delete. The input is the body.
 *
 * It runs on a thread with the stack a body parser has in the service
 * (worker_stack.h), so a body that nests deep enough to overflow a
 * CivetWeb worker crashes here too: without the scan, 800 '[' do. Never a
 * crash or a leak, and a body the scan accepts is one cJSON parses.
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "common/jsonscan.h"
#include "tests/fuzz/worker_stack.h"

#define FUZZ_BODY_DEPTH   8    /* {"payloads": [...]} needs 2 */
#define FUZZ_BODY_MEMBERS 1000 /* the batch limit */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const char *body;
    size_t len;
} fuzz_input;

static void fuzz_jsonbody(void *arg)
{
    const fuzz_input *in = arg;
    size_t stop;
    if (jsonscan_check(in->body, in->len, FUZZ_BODY_DEPTH, FUZZ_BODY_MEMBERS, &stop) != JSONSCAN_OK) return;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(in->body, in->len, &end, 0);
    if (!j) __builtin_trap(); /* the scan accepted what cJSON refuses */
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0; /* a batch body: 4 times the default --max-body */
    fuzz_input in = {(const char *)data, size};
    fuzz_on_worker_stack(fuzz_jsonbody, &in);
    return 0;
}
