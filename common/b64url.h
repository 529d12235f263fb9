/*
 * b64url.h: base64url without padding (RFC 4648 section 5), the form of
 * public keys in files and JSON; built on libsodium's codec.
 */
#ifndef API_B64URL_H
#define API_B64URL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Characters needed for len bytes, plus the NUL. */
size_t b64url_encoded_size(size_t len);

/* Encodes into out (capacity cap, NUL-terminated); -1 if too small. */
int b64url_encode(char *out, size_t cap, const uint8_t *in, size_t len);

/*
 * Decodes exactly outlen bytes from text (surrounding white space allowed,
 * nothing else); -1 on any other input, including padding.
 */
int b64url_decode_exact(uint8_t *out, size_t outlen, const char *text, size_t textlen);

/* Reads a file holding one base64url public key (32 bytes). */
api_err b64url_read_key_file(uint8_t pk[32], const char *path);

#endif
