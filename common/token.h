/*
 * token.h: the bearer secrets that the tools hand out once and never keep:
 * the verifier service's API keys ("apik_...", verifier/service/keystore)
 * and the issuer admin API's client tokens ("apit_...", issuer/clients).
 *
 * A token is a short prefix naming its kind, then the base64url of
 * TOKEN_SECRET_LEN random bytes. A store keeps only its keyed hash:
 * BLAKE2b-256 of the secret bytes keyed with a random key of that store.
 * The bytes are random, so a fast hash is enough; the key makes the hashes
 * useless outside the store. Comparing two hashes is the caller's job, with
 * sodium_memcmp.
 */
#ifndef API_TOKEN_H
#define API_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_SECRET_LEN 32
#define TOKEN_HASH_LEN   32
#define TOKEN_KEY_LEN    32
#define TOKEN_B64_LEN    43 /* base64url characters of TOKEN_SECRET_LEN bytes */

/* Draws a secret and writes prefix and its base64url into text (NUL-terminated); 0, or -1 if cap is short. */
int token_make(char *text, size_t cap, uint8_t secret[TOKEN_SECRET_LEN], const char *prefix);

/*
 * The secret of a presented token (len bytes, not NUL-terminated): exactly
 * prefix then TOKEN_B64_LEN base64url characters, nothing around them (no
 * white space). 0, or -1 for anything else.
 */
int token_parse(uint8_t secret[TOKEN_SECRET_LEN], const char *prefix, const char *text, size_t len);

/* out = BLAKE2b-256 of secret keyed with key. */
void token_hash(uint8_t out[TOKEN_HASH_LEN], const uint8_t secret[TOKEN_SECRET_LEN],
                const uint8_t key[TOKEN_KEY_LEN]);

#endif
