/*
 * fuzz_receiptkeys.c: libFuzzer target for receiptkeys_parse
 * (verifier/receiptkey.c), the reader of a receipt-keys document that
 * `api-verifier receipt check --keys` fetches from anyone. Never a crash
 * nor a leak; an accepted document gives keys whose kid is their key's
 * hash, whose name is text for people, and no two of one kid.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "verifier/receiptkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (sodium_init() < 0) __builtin_trap();
        ready = 1;
    }
    receipt_key *keys;
    size_t n;
    char verifier[RECEIPT_ORG_MAX], err[256];
    if (receiptkeys_parse(&keys, &n, verifier, (const char *)data, size, err, sizeof err) != API_OK) {
        if (keys || n) __builtin_trap();
        return 0;
    }
    if (!text_plain_ok(verifier, 1, sizeof verifier)) __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[COSE_KID_LEN];
        cose_kid(kid, keys[i].pub);
        if (memcmp(kid, keys[i].kid, COSE_KID_LEN) != 0 ||
            !text_plain_ok(keys[i].name, 1, sizeof keys[i].name))
            __builtin_trap();
        for (size_t j = 0; j < i; j++)
            if (memcmp(keys[j].kid, keys[i].kid, COSE_KID_LEN) == 0) __builtin_trap();
    }
    free(keys);
    return 0;
}
