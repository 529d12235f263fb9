/*
 * fuzz_token.c: libFuzzer target for token_parse (common/token.c), which
 * reads the bearer token of every request to the issuer's admin API
 * (issuer/clients) and the API key of every keyed request to the verifier
 * service (verifier/service/keystore). Any bytes in; never a crash, and a
 * token that parses is exactly one text: its prefix and the base64url of
 * its secret, so that two texts never stand for one secret.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/b64url.h"
#include "common/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *prefix, const uint8_t *data, size_t size)
{
    uint8_t secret[TOKEN_SECRET_LEN];
    if (token_parse(secret, prefix, (const char *)data, size) != 0) return;
    size_t plen = strlen(prefix);
    char back[16 + TOKEN_B64_LEN + 1];
    if (size != plen + TOKEN_B64_LEN || memcmp(data, prefix, plen) != 0) __builtin_trap();
    if (b64url_encode(back, sizeof back, secret, sizeof secret) != 0) __builtin_trap();
    if (strlen(back) != TOKEN_B64_LEN || memcmp(back, data + plen, TOKEN_B64_LEN) != 0) __builtin_trap();
    uint8_t key[TOKEN_KEY_LEN] = {0}, h1[TOKEN_HASH_LEN], h2[TOKEN_HASH_LEN];
    token_hash(h1, secret, key);
    token_hash(h2, secret, key);
    if (memcmp(h1, h2, sizeof h1) != 0) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    check("apit_", data, size);
    check("apik_", data, size);
    check("", data, size);
    return 0;
}
