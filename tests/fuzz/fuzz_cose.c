/*
 * fuzz_cose.c: libFuzzer target for cose_sign1_parse (qr/cose.c), then
 * cose_sign1_verify with FR-75's fixed key when parsing succeeds. Never a
 * crash; a parsed message points inside the input and has a known alg.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/unit/testkit.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static testkit_key key;
    static int ready;
    if (!ready) {
        testkit_fr75(&key);
        ready = 1;
    }
    cose_sign1 m;
    api_err e = cose_sign1_parse(&m, data, size, NULL);
    if (e != API_OK) return 0;
    const uint8_t *end = data + size;
    if (m.payload < data || m.payload + m.payload_len > end) __builtin_trap();
    if (m.protected_bytes < data || m.protected_bytes + m.protected_len > end) __builtin_trap();
    if (m.signature < data || m.signature + COSE_SIG_LEN > end) __builtin_trap();
    if (m.alg != COSE_ALG_EDDSA && m.alg != COSE_ALG_ED25519) __builtin_trap();
    if (memchr(m.typ, 0, sizeof m.typ) == NULL) __builtin_trap();
    e = cose_sign1_verify(&m, key.pk);
    if (e != API_OK && e != API_ERR_SIGNATURE) __builtin_trap();
    /* with an expected typ: the same message, or API_ERR_TYP */
    cose_sign1 m2;
    e = cose_sign1_parse(&m2, data, size, COSE_TYP_ATTESTATION);
    if (e != API_OK && e != API_ERR_TYP) __builtin_trap();
    /* the holder's card's typ: the same, and never both kinds at once */
    api_err e2 = cose_sign1_parse(&m2, data, size, COSE_TYP_CARD);
    if (e2 != API_OK && e2 != API_ERR_TYP) __builtin_trap();
    if (e == API_OK && e2 == API_OK) __builtin_trap();
    if ((e == API_OK || e2 == API_OK) != (claims_presentation_of_typ(m.typ) != CLAIMS_PRESENTATION_NONE))
        __builtin_trap();
    return 0;
}
