/*
 * fuzz_receipt.c: libFuzzer target for the verification receipt's reader
 * (qr/receipt.c). Every input is read twice: as a receipt's payload
 * (receipt_decode_payload) and as a receipt's QR text (receipt_verify
 * against a key set of one key). Never a crash; a decoded payload is
 * valid, so the encoder must take it and decoding that encoding must give
 * the same receipt back; a text that verifies must carry claims that are
 * valid, and a refused one none.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qr/receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_payload(const uint8_t *data, size_t size)
{
    api_receipt r, back;
    if (receipt_decode_payload(&r, data, size) != API_OK) return;
    if (receipt_validate(&r, NULL) != API_OK) __builtin_trap();
    uint8_t buf[4096];
    size_t len = sizeof buf;
    if (receipt_encode_payload(buf, &len, &r) != API_OK) __builtin_trap();
    if (receipt_decode_payload(&back, buf, len) != API_OK) __builtin_trap();
    if (memcmp(&r, &back, sizeof r) != 0) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static receipt_key key;
    static int ready;
    if (!ready) {
        /* the receipt key of the vectors: seed 32 bytes of 0x52 */
        uint8_t seed[32], sk[64];
        memset(seed, 0x52, sizeof seed);
        if (sodium_init() < 0 || crypto_sign_seed_keypair(key.pub, sk, seed) != 0) __builtin_trap();
        cose_kid(key.kid, key.pub);
        memcpy(key.name, "Vérificateur public de démonstration",
               sizeof "Vérificateur public de démonstration");
        ready = 1;
    }
    fuzz_payload(data, size);
    api_receipt r, zero;
    memset(&zero, 0, sizeof zero);
    receipt_check c = receipt_verify(&r, NULL, NULL, (const char *)data, size, &key, 1);
    if (c == RECEIPT_VALID && receipt_validate(&r, NULL) != API_OK) __builtin_trap();
    if ((c == RECEIPT_MALFORMED || c == RECEIPT_UNKNOWN_KEY || c == RECEIPT_BAD_SIGNATURE) &&
        memcmp(&r, &zero, sizeof r) != 0)
        __builtin_trap();
    return 0;
}
