/*
 * signer.h: the one type that signs with an Ed25519 key, wherever the key
 * is: a file key held in (locked) memory, or a key inside a security
 * module (common/p11.h) that never leaves it. Everything that signs (COSE
 * messages, feeds, trust lists) takes a signer, so the rest of the code
 * does not know where the key lives.
 *
 * A device's signature is verified with libsodium against the signer's
 * public key before it is returned: a faulty module gives an error, never
 * a signature that does not verify.
 */
#ifndef API_SIGNER_H
#define API_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define SIGNER_PK_LEN  32
#define SIGNER_SK_LEN  64 /* libsodium's form: seed then public key */
#define SIGNER_SIG_LEN 64

/* A device's signing call: the signature of m in sig, or an error. */
typedef api_err (*signer_device_fn)(void *ctx, uint8_t sig[SIGNER_SIG_LEN], const uint8_t *m, size_t mlen);

typedef struct {
    uint8_t pk[SIGNER_PK_LEN];
    const uint8_t *sk;       /* a file key (not copied, not owned), or NULL */
    signer_device_fn device; /* else the device's signing call and its context */
    void *ctx;
} api_signer;

/* A signer over a file key sk (libsodium's 64 bytes, public key in its second half); sk is not copied. */
void signer_init_key(api_signer *s, const uint8_t sk[SIGNER_SK_LEN]);

/* A signer over a device key whose public key is pk. */
void signer_init_device(api_signer *s, const uint8_t pk[SIGNER_PK_LEN], signer_device_fn fn, void *ctx);

/*
 * The Ed25519 signature of m. A file key signs with libsodium; a device's
 * signature is checked against s->pk: API_ERR_SIGNATURE when it does not
 * verify, or the device's error.
 */
api_err signer_sign(const api_signer *s, uint8_t sig[SIGNER_SIG_LEN], const uint8_t *m, size_t mlen);

#endif
