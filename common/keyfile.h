/*
 * keyfile.h: secret keys encrypted at rest under a passphrase, and the
 * passphrase itself (from a file, the environment or the terminal).
 *
 * File format (all integers big-endian; 113 + secretlen bytes in all):
 *
 *   offset  size  field
 *   0       8     magic "APIKEY1\n"
 *   8       1     KDF algorithm: crypto_pwhash_ALG_ARGON2ID13 (2)
 *   9       8     opslimit (u64)
 *   17      8     memlimit (u64, bytes)
 *   25      16    salt (crypto_pwhash_SALTBYTES)
 *   41      24    nonce (crypto_secretbox_NONCEBYTES)
 *   65      ...   crypto_secretbox_easy(plaintext, nonce, key):
 *                 16-byte Poly1305 tag, then the encrypted plaintext
 *
 *   key       = crypto_pwhash(32 bytes, passphrase, salt, opslimit,
 *                             memlimit, Argon2id v1.3)
 *   plaintext = BLAKE2b-256(bytes 0..64 of the file, i.e. the header)
 *               || secret        (crypto_generichash, 32 bytes, no key)
 *
 * The header is authenticated by the hash inside the box: a reader checks
 * the tag, then that the hash matches the header it read. The secret is
 * 1..256 bytes, so a file is 114..369 bytes long. A reader refuses
 * opslimit and memlimit outside libsodium's INTERACTIVE..SENSITIVE range
 * before deriving anything, so a forged header cannot make it spend
 * unbounded time or memory.
 *
 * Files are written atomically, mode 0600, never over an existing file.
 */
#ifndef API_KEYFILE_H
#define API_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define KEYFILE_SECRET_MAX     256
#define KEYFILE_HEADER_LEN     65
#define KEYFILE_PASSPHRASE_MAX 1024

/* libsodium's crypto_pwhash_{OPS,MEM}LIMIT_{INTERACTIVE,MODERATE,SENSITIVE}. */
typedef enum { KEYFILE_KDF_INTERACTIVE, KEYFILE_KDF_MODERATE, KEYFILE_KDF_SENSITIVE } keyfile_kdf;

/* "interactive", "moderate" or "sensitive" (exactly); 0 or -1. */
int keyfile_kdf_parse(keyfile_kdf *k, const char *name);

/*
 * Encrypts secret (1..KEYFILE_SECRET_MAX bytes) under pass (non-empty) and
 * writes it to path, mode 0600. API_ERR_EXISTS if path exists, API_ERR_ARG
 * for a bad length, API_ERR_PASSPHRASE for an empty passphrase, API_ERR_IO,
 * API_ERR_NOMEM (the KDF could not get its memory), API_ERR_CRYPTO.
 */
api_err keyfile_write(const char *path, const uint8_t *secret, size_t secretlen, const char *pass,
                      size_t passlen, keyfile_kdf kdf);

/*
 * Reads and decrypts a key file into secret (capacity secretcap), setting
 * *secretlen. API_ERR_IO if the file cannot be read; API_ERR_KEYFILE for a
 * bad magic, algorithm, size or limits; API_ERR_PASSPHRASE for a wrong
 * passphrase or a damaged file (the two cannot be told apart);
 * API_ERR_TOO_LARGE if the secret does not fit in secretcap; API_ERR_NOMEM
 * if the KDF could not get its memory. On failure secret is zeroed.
 */
api_err keyfile_read(uint8_t *secret, size_t secretcap, size_t *secretlen, const char *path, const char *pass,
                     size_t passlen);

/*
 * Gets the passphrase, in this order:
 *   1. passphrase_file, if not NULL: its content (at most
 *      KEYFILE_PASSPHRASE_MAX bytes) less one trailing "\n" or "\r\n";
 *      a warning goes to stderr if the file is readable by group or others;
 *   2. the environment variable API_PASSPHRASE, if set and not empty;
 *   3. a systemd credential: $CREDENTIALS_DIRECTORY/passphrase, when that
 *      variable is set and the file exists (LoadCredential=passphrase:...);
 *   4. if stdin is a terminal, a prompt "Passphrase: " on /dev/tty with
 *      echo off.
 * The passphrase is NUL-terminated in out (so outcap must exceed its
 * length) and *outlen is its length without the NUL. Errors:
 * API_ERR_PASSPHRASE (none available, empty, or containing a NUL byte),
 * API_ERR_IO (file unreadable), API_ERR_TOO_LARGE (longer than
 * KEYFILE_PASSPHRASE_MAX or than out). The passphrase is never printed;
 * the caller zeroes out after use.
 */
api_err passphrase_get(char *out, size_t outcap, size_t *outlen, const char *passphrase_file);

/*
 * Gets the PIN of a security module (common/p11.h) the same way, from
 * pin_file if not NULL, else from the environment variable API_PKCS11_PIN;
 * never from a prompt (the commands that sign with a token run unattended).
 * The same errors as passphrase_get.
 */
api_err pin_get(char *out, size_t outcap, size_t *outlen, const char *pin_file);

#endif
