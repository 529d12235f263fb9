/*
 * fuzz_feed.c: libFuzzer target for the status-feed parsers (qr/feed.c):
 * segments, checkpoints and snapshots. The first byte chooses the kind; the
 * rest is the payload, wrapped in a COSE_Sign1 of that kind's typ signed
 * with a fixed key (the test kit's, seed 0x42), so the fuzzer reaches the payload rules rather than the
 * envelope (fuzz_cose covers that). Never a crash or a leak; a parsed
 * segment has consecutive events within the list's bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qr/feed.h"
#include "tests/unit/testkit.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static testkit_key key;
    static int ready;
    if (!ready) {
        testkit_key_from_seed(&key, 0x42);
        ready = 1;
    }
    const uint8_t *pk = key.pk, *sk = key.sk;
    if (size < 1 || size > (1u << 20)) return 0;
    static const char *const typs[] = {COSE_TYP_SEGMENT, COSE_TYP_CHECKPOINT, COSE_TYP_SNAPSHOT};
    unsigned kind = data[0] % 3;
    uint8_t *cose;
    size_t cose_len;
    if (cose_sign1_sign_alloc(&cose, &cose_len, typs[kind], data + 1, size - 1, sk) != API_OK) return 0;
    cose_sign1 msg;
    if (kind == 0) {
        feed_segment s;
        if (feed_segment_parse(&s, &msg, cose, cose_len) == API_OK) {
            if (s.n == 0 || s.n > FEED_SEGMENT_MAX_EVENTS || s.first == 0) __builtin_trap();
            for (size_t i = 0; i < s.n; i++)
                if (s.events[i].seq != s.first + i || s.events[i].idx >= FEED_LIST_SIZE) __builtin_trap();
            if (cose_sign1_verify(&msg, pk) != API_OK) __builtin_trap();
            feed_segment_free(&s);
        } else if (s.events || s.n) {
            __builtin_trap();
        }
    } else if (kind == 1) {
        feed_checkpoint c;
        (void)feed_checkpoint_parse(&c, &msg, cose, cose_len);
    } else {
        feed_snapshot s;
        if (feed_snapshot_parse(&s, &msg, cose, cose_len) == API_OK) {
            for (size_t i = 1; i < s.n_ext; i++)
                if (s.ext[i].idx <= s.ext[i - 1].idx) __builtin_trap();
            feed_snapshot_free(&s);
        } else if (s.bits || s.ext) {
            __builtin_trap();
        }
    }
    free(cose);
    return 0;
}
