/*
 * fuzz_trust.c: libFuzzer target for trust_decode (qr/trust.c), the
 * payload of the signed trust list. Never a crash or a leak; a decoded list
 * passes its own rules and survives encode/decode unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qr/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trust_list tl, back;
    if (trust_decode(&tl, data, size) != API_OK) {
        if (tl.entries != NULL || tl.n != 0) __builtin_trap();
        return 0;
    }
    if (trust_validate(&tl, NULL, 0) != API_OK) __builtin_trap();
    for (size_t i = 0; i < tl.n; i++)
        if (trust_find_kid(&tl, tl.entries[i].kid) != &tl.entries[i]) __builtin_trap();
    uint8_t *enc;
    size_t len;
    if (trust_encode(&enc, &len, &tl) != API_OK) __builtin_trap();
    if (trust_decode(&back, enc, len) != API_OK) __builtin_trap();
    if (back.n != tl.n || back.seq != tl.seq || back.iat != tl.iat || back.exp != tl.exp ||
        back.has_next_root != tl.has_next_root)
        __builtin_trap();
    for (size_t i = 0; i < tl.n; i++) {
        const trust_entry *a = &tl.entries[i], *b = &back.entries[i];
        if (strcmp(a->id, b->id) || strcmp(a->name, b->name) || strcmp(a->feed, b->feed) ||
            memcmp(a->pub, b->pub, sizeof a->pub) || a->state != b->state || a->epoch != b->epoch ||
            (a->state == TRUST_RETIRED && a->retired_at != b->retired_at))
            __builtin_trap();
    }
    free(enc);
    trust_free(&back);
    trust_free(&tl);
    return 0;
}
