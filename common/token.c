/*
 * token.c: bearer tokens as text, and their keyed hash (see token.h).
 *
 * It owns the one definition of a token's shape; it must not store, print
 * or log a token, and it wipes the copies it makes.
 */
#include "common/token.h"

#include <sodium.h>
#include <string.h>

#include "common/b64url.h"

int token_make(char *text, size_t cap, uint8_t secret[TOKEN_SECRET_LEN], const char *prefix)
{
    size_t plen = strlen(prefix);
    if (cap < plen + TOKEN_B64_LEN + 1) return -1;
    randombytes_buf(secret, TOKEN_SECRET_LEN);
    memcpy(text, prefix, plen);
    if (b64url_encode(text + plen, cap - plen, secret, TOKEN_SECRET_LEN) != 0) {
        sodium_memzero(secret, TOKEN_SECRET_LEN);
        text[0] = '\0';
        return -1;
    }
    return 0;
}

int token_parse(uint8_t secret[TOKEN_SECRET_LEN], const char *prefix, const char *text, size_t len)
{
    size_t plen = strlen(prefix);
    if (!text || len != plen + TOKEN_B64_LEN || memcmp(text, prefix, plen) != 0) return -1;
    for (size_t i = plen; i < len;
         i++) { /* b64url_decode_exact allows white space around: a token has none */
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return -1;
    }
    return b64url_decode_exact(secret, TOKEN_SECRET_LEN, text + plen, len - plen);
}

void token_hash(uint8_t out[TOKEN_HASH_LEN], const uint8_t secret[TOKEN_SECRET_LEN],
                const uint8_t key[TOKEN_KEY_LEN])
{
    crypto_generichash(out, TOKEN_HASH_LEN, secret, TOKEN_SECRET_LEN, key, TOKEN_KEY_LEN);
}
