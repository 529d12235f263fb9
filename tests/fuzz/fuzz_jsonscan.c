/*
 * fuzz_jsonscan.c: libFuzzer target for the JSON check in front of cJSON
 * (common/jsonscan.c). The first byte chooses max_depth (0 to
 * JSONSCAN_MAX_DEPTH + 3, so that clamping is exercised), the second
 * max_members (0 to 31, or no bound for 255); the rest is the text.
 *
 * Checked: never a crash; the stop offset lies in the text and is its
 * length on success; tighter limits never make a text malformed that was
 * not, and stop no later; and whenever jsonscan accepts a text, cJSON
 * parses all of it (whole length consumed, require_null_terminated off)
 * into a tree no deeper and no wider than the limits. Everything runs on a
 * thread with the stack of the service's workers (worker_stack.h).
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "common/jsonscan.h"
#include "tests/fuzz/worker_stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const char *text;
    size_t len;
    unsigned max_depth;
    size_t max_members;
} fuzz_input;

/*
 * Traps unless the tree is at most max_depth deep (max_depth at most
 * JSONSCAN_MAX_DEPTH) and no container holds more than max_members: a walk
 * without recursion, path[level] being the item visited at each level.
 */
static void fuzz_check_shape(const cJSON *root, unsigned max_depth, size_t max_members)
{
    const cJSON *path[JSONSCAN_MAX_DEPTH + 1];
    unsigned level = 0;
    path[0] = root;
    for (;;) {
        const cJSON *it = path[level];
        if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
            if (level + 1 > max_depth) __builtin_trap();
            size_t count = 0;
            for (const cJSON *c = it->child; c; c = c->next) count++;
            if (count > max_members) __builtin_trap();
            if (it->child) {
                path[++level] = it->child; /* level <= max_depth <= JSONSCAN_MAX_DEPTH */
                continue;
            }
        }
        while (level > 0 && !path[level]->next) level--;
        if (level == 0) return;
        path[level] = path[level]->next;
    }
}

static void fuzz_jsonscan(void *arg)
{
    const fuzz_input *in = arg;
    size_t stop = 0, loose_stop = 0;
    jsonscan_result r = jsonscan_check(in->text, in->len, in->max_depth, in->max_members, &stop);
    jsonscan_result loose = jsonscan_check(in->text, in->len, JSONSCAN_MAX_DEPTH, SIZE_MAX, &loose_stop);
    if (stop > in->len || loose_stop > in->len) __builtin_trap();
    if ((r == JSONSCAN_OK && stop != in->len) || (loose == JSONSCAN_OK && loose_stop != in->len))
        __builtin_trap();
    /* limits only ever stop the scan earlier, never change what is malformed */
    if (stop > loose_stop) __builtin_trap();
    if (r == JSONSCAN_MALFORMED && (loose != JSONSCAN_MALFORMED || stop != loose_stop)) __builtin_trap();
    if (r == JSONSCAN_OK && loose != JSONSCAN_OK) __builtin_trap();
    if (r != JSONSCAN_OK) return;

    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(in->text, in->len, &end, 0);
    if (!j || !end) __builtin_trap(); /* jsonscan accepted what cJSON refuses */
    const char *last = in->text + in->len;
    while (end < last && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) end++;
    if (end != last) __builtin_trap(); /* cJSON stopped before the end */
    unsigned depth = in->max_depth < JSONSCAN_MAX_DEPTH ? in->max_depth : JSONSCAN_MAX_DEPTH;
    fuzz_check_shape(j, depth, in->max_members);
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > (1u << 20)) return 0;
    fuzz_input in;
    in.max_depth = data[0] % (JSONSCAN_MAX_DEPTH + 4);
    in.max_members = data[1] == 255 ? SIZE_MAX : data[1] % 32;
    in.text = (const char *)data + 2;
    in.len = size - 2;
    fuzz_on_worker_stack(fuzz_jsonscan, &in);
    return 0;
}
