/*
 * signer.c: Ed25519 signatures through one type (signer.h), from a file
 * key or from a device.
 *
 * The file-key path is crypto_sign_detached, exactly what the code called
 * before there were devices, so every signature (and test vector) stays
 * the same bytes. A device's signature is never trusted: it is verified
 * against the public key the signer was made with, so a wrong key, a
 * faulty module or a damaged answer is an error, not a published
 * signature. This file holds no secret of its own.
 */
#include "common/signer.h"

#include <sodium.h>
#include <string.h>

void signer_init_key(api_signer *s, const uint8_t sk[SIGNER_SK_LEN])
{
    memset(s, 0, sizeof *s);
    memcpy(s->pk, sk + 32, SIGNER_PK_LEN);
    s->sk = sk;
}

void signer_init_device(api_signer *s, const uint8_t pk[SIGNER_PK_LEN], signer_device_fn fn, void *ctx)
{
    memset(s, 0, sizeof *s);
    memcpy(s->pk, pk, SIGNER_PK_LEN);
    s->device = fn;
    s->ctx = ctx;
}

api_err signer_sign(const api_signer *s, uint8_t sig[SIGNER_SIG_LEN], const uint8_t *m, size_t mlen)
{
    if (!s || (!s->sk && !s->device)) return API_ERR_ARG;
    if (s->sk) return crypto_sign_detached(sig, NULL, m, mlen, s->sk) == 0 ? API_OK : API_ERR_CRYPTO;
    api_err e = s->device(s->ctx, sig, m, mlen);
    if (e == API_OK && crypto_sign_verify_detached(sig, m, mlen, s->pk) != 0) e = API_ERR_SIGNATURE;
    if (e != API_OK) memset(sig, 0, SIGNER_SIG_LEN);
    return e;
}
