/*
 * p11.h: Ed25519 keys and a secret inside a security module (a PKCS#11
 * token: an HSM, a smart card, SoftHSM2 in the tests), used without ever
 * leaving it.
 *
 * The module is a shared library loaded at run time (dlopen), found by
 * path; the token by its label; the objects by their CKA_ID (P11_ID_LEN
 * random bytes, recorded in the tool's folder as hexadecimal). Keys are
 * made in the token: an Ed25519 pair (CKM_EC_EDWARDS_KEY_PAIR_GEN, private
 * half sensitive and not extractable) that signs with CKM_EDDSA, and a
 * generic secret used only through the token's HMAC-SHA-256.
 *
 * One p11_token is one logged-in session; every call on it takes its
 * mutex, so threads may share it (a PKCS#11 session is never used by two
 * threads at once). A session the token drops (a network HSM restarted, a
 * device reconnected) is opened again, once, by the next signature or
 * HMAC, with the PIN kept for that in locked memory. A p11_key signs
 * through common/signer.h, which checks each signature against the public
 * key.
 *
 * Errors: API_ERR_TOKEN (the module cannot be loaded, no token has the
 * label, an object is missing, the token failed), API_ERR_PASSPHRASE (a
 * wrong or locked PIN); err says which in a sentence for people, never
 * with the PIN.
 */
#ifndef API_P11_H
#define API_P11_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/signer.h"

#define P11_ID_LEN     16
#define P11_LABEL_MAX  33 /* a token label: at most 32 bytes */
#define P11_MODULE_MAX 1024
#define P11_HMAC_LEN   32

typedef struct p11_token p11_token;

/* A key of a token, for signer_init_device (p11_key_sign); valid while the token is open. */
typedef struct {
    p11_token *token;
    unsigned long object;   /* the private key's handle */
    uint8_t id[P11_ID_LEN]; /* its CKA_ID, to find it again in a new session */
} p11_key;

/* Where a key lives, as a tool's folder records it (no secret): module, token, objects' ids. */
typedef struct {
    char module[P11_MODULE_MAX];
    char token[P11_LABEL_MAX];
    uint8_t key_id[P11_ID_LEN];
    uint8_t seed_id[P11_ID_LEN]; /* the secret of the status index (issuers only) */
    int has_seed;
} p11_ref;

struct cJSON;

/*
 * The reference as the member "pkcs11" of a tool's JSON file (o):
 * {"module", "token", "key_id", and "seed_id" when has_seed}, the ids in
 * hexadecimal. 0, or -1 (no memory).
 */
int p11_ref_to_json(struct cJSON *o, const p11_ref *r);

/* Reads the member "pkcs11" of o into r: 0, 1 when there is none (r zeroed), -1 when it is damaged. */
int p11_ref_from_json(p11_ref *r, const struct cJSON *o);

/*
 * Loads module, finds the token labelled label, opens a session and logs
 * in with the PIN. The PIN is kept in locked memory, to log in again when
 * the token drops the session, and wiped by p11_close.
 */
api_err p11_open(p11_token **t, const char *module, const char *label, const char *pin, size_t pin_len,
                 char *err, size_t errcap);

/* Logs out, closes the session and unloads the module (NULL is fine). */
void p11_close(p11_token *t);

/*
 * Makes an Ed25519 key pair in the token (token objects, the private half
 * sensitive and not extractable), labelled label, with a fresh random id;
 * its public key in pk.
 */
api_err p11_ed25519_generate(p11_token *t, const char *label, uint8_t id[P11_ID_LEN],
                             uint8_t pk[SIGNER_PK_LEN], char *err, size_t errcap);

/* Makes a 32-byte generic secret in the token (sensitive, not extractable, for HMAC only), with a fresh id.
 */
api_err p11_secret_generate(p11_token *t, const char *label, uint8_t id[P11_ID_LEN], char *err,
                            size_t errcap);

/*
 * Finds the Ed25519 pair of id: k for signing, its public key in pk; then
 * s signs with it (signer_init_device with p11_key_sign), k living as long
 * as s is used.
 */
api_err p11_ed25519_find(p11_key *k, uint8_t pk[SIGNER_PK_LEN], p11_token *t, const uint8_t id[P11_ID_LEN],
                         char *err, size_t errcap);

/* A signer_device_fn: ctx is a p11_key; CKM_EDDSA over m. */
api_err p11_key_sign(void *ctx, uint8_t sig[SIGNER_SIG_LEN], const uint8_t *m, size_t mlen);

/* HMAC-SHA-256 of m, computed by the token with the secret of id. */
api_err p11_hmac(uint8_t mac[P11_HMAC_LEN], p11_token *t, const uint8_t id[P11_ID_LEN], const uint8_t *m,
                 size_t mlen, char *err, size_t errcap);

/* Destroys every object of the token whose CKA_ID is id (a rollback, a rotated key); API_OK if none. */
api_err p11_destroy(p11_token *t, const uint8_t id[P11_ID_LEN]);

/* The PKCS#11 return value of the last failed call on t, for tests and messages (0 when none). */
unsigned long p11_last_error(const p11_token *t);

#endif
