/*
 * issuer.h: an issuer folder (ISS/) and the signing of attestations.
 *
 * ISS/issuer.json   id, display name, feed base URL, and the address where
 *                   people verify the printed attestation (public); for a
 *                   key in a security module, "pkcs11": the module, the
 *                   token's label and the ids of the key and of the
 *                   index secret (common/p11.h), never a secret
 * ISS/issuer.pub    the public key, base64url (public)
 * ISS/issuer.key    the Ed25519 secret key and the status-index seed,
 *                   encrypted (keyfile.h), 0600; no such file when the
 *                   key is in a token
 * ISS/registry/     the LMDB registry (registry.h)
 */
#ifndef API_ISSUER_H
#define API_ISSUER_H

#include <stddef.h>
#include <stdint.h>

#include "qr/claims.h"
#include "qr/cose.h"
#include "common/err.h"
#include "common/p11.h"
#include "common/signer.h"
#include "issuer/idxperm.h"

#define ISSUER_SECRET_LEN (COSE_SK_LEN + IDXPERM_SEED_LEN)
#define ISSUER_URL_MAX    121 /* a verify base: at most 120 bytes, an address people type (and a page fits) */

typedef struct {
    char id[CLAIMS_ISS_MAX];
    char name[128];
    char feed[256];
    char status_uri[CLAIMS_URI_MAX];
    uint64_t epoch; /* feed epoch, as in the trust list (0 until a restore needs a new one) */
    char
        verify_base[ISSUER_URL_MAX]; /* printed on the PDF attestation; "" when none (optional in the file) */
    uint8_t pk[COSE_PK_LEN];
    p11_ref token; /* where the key is when it is in a token; token.module[0] == 0 for a file key */
} issuer_config;

/*
 * The issuer's key, unlocked: what signs (a file key held in sign.sk's
 * bytes, secret, or a key in a security module behind sign's device call)
 * and the status-index seed that registry_allocate takes. It lives in
 * locked, guarded memory (iss_unlock in cmd_int.h makes one, iss_lock
 * wipes and frees it) and is never copied. For a token key, seed is
 * derived once by the token (docs/deploy/hsm.md) and secret is unused.
 */
typedef struct issuer_key {
    api_signer sign;
    uint8_t seed[IDXPERM_SEED_LEN];
    uint8_t secret[ISSUER_SECRET_LEN]; /* a file key: issuer.key's bytes */
    p11_token *token;                  /* a token key: its session (common/p11.h), else NULL */
    p11_key device;                    /* and the key, sign's device */
} issuer_key;

/*
 * Whether url may be a verify base (init and issue --verify-base): an
 * http:// or https:// URL of at most 120 bytes, printable text without
 * spaces or '#'. NULL if it may, else what is wrong, for a message.
 */
const char *issuer_verify_base_problem(const char *url);

/* Writes ISS/issuer.json (refuses to overwrite); verify_base and pkcs11 only when set. */
api_err issuer_config_save(const issuer_config *cfg, const char *dir);

/* The same over an existing ISS/issuer.json, atomically (a rotated token key). */
api_err issuer_config_replace(const issuer_config *cfg, const char *dir);

/*
 * The public key of the issuer of dir whose kid is kid: the current one
 * (cfg->pk) or one it signed with before a rotation (ISS/issuer-KID.pub).
 * 0, or -1 when it has none with that kid.
 */
int issuer_key_of_kid(uint8_t pk[COSE_PK_LEN], const char *dir, const issuer_config *cfg,
                      const uint8_t kid[COSE_KID_LEN]);

/* Reads ISS/issuer.json and ISS/issuer.pub; err says what is wrong. A file without verify_base reads as none.
 */
api_err issuer_config_load(issuer_config *cfg, const char *dir, char *err, size_t errcap);

/*
 * Signs claims as an attestation with by (common/signer.h: a file key or a
 * key in a security module) and writes the QR text into qr (capacity
 * *qrlen, NUL-terminated) and sets *qrlen.
 */
api_err issuer_sign(char *qr, size_t *qrlen, const api_claims *c, const api_signer *by);

/*
 * Signs the reduced presentation of the same claims, the holder's card
 * (claims_reduced_encode, typ api-card+cwt: docs/format.md, "The reduced
 * presentation"), and writes its QR text in the shorter of the zlib and
 * uncompressed forms (qrtext_encode_shortest).
 */
api_err issuer_sign_card(char *qr, size_t *qrlen, const api_claims *c, const api_signer *by);

#endif
