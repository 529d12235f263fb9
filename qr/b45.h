/*
 * b45.h: Base45 (RFC 9285), the encoding of the QR text after "API1:".
 *
 * Its 45 characters are exactly the QR alphanumeric set, so a QR code holds
 * Base45 text at 5.5 bits a character.
 */
#ifndef API_B45_H
#define API_B45_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode inlen bytes (no NUL). */
size_t b45_encoded_len(size_t inlen);

/*
 * Encodes in into out (capacity *outlen, a NUL is added when room remains).
 * On success sets *outlen to the characters written and returns 0; returns
 * -1 when out is too small.
 */
int b45_encode(char *out, size_t *outlen, const uint8_t *in, size_t inlen);

/*
 * Decodes Base45 into out (capacity *outlen). Returns -1 on a character
 * outside the alphabet, a length of 3n+1, a triple over 65535 or a final
 * pair over 255 (so each byte string has exactly one encoding), or when out
 * is too small. On success sets *outlen to the bytes written.
 */
int b45_decode(uint8_t *out, size_t *outlen, const char *in, size_t inlen);

#endif
