/*
 * keyfile.c: secret keys encrypted at rest (Argon2id, then an
 * XSalsa20-Poly1305 secretbox), and getting the passphrase that opens them.
 * The file format is documented in keyfile.h.
 *
 * This file owns the key file format and the handling of passphrases. It
 * must never print, log or return a passphrase or a secret except into the
 * caller's buffer; every derived key and plaintext copy lives in a small
 * fixed buffer that is mlock'd when possible and wiped (sodium_munlock /
 * sodium_memzero) on every path out. It must check a file's KDF limits
 * before deriving anything: a hostile file must not choose how much memory
 * or time we spend. It writes only through fs_write_atomic, exclusive and
 * 0600.
 */
#include "common/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/fs.h"

static const uint8_t keyfile_magic[8] = {'A', 'P', 'I', 'K', 'E', 'Y', '1', '\n'};

#define KF_OFF_ALG   8
#define KF_OFF_OPS   9
#define KF_OFF_MEM   17
#define KF_OFF_SALT  25
#define KF_OFF_NONCE (KF_OFF_SALT + crypto_pwhash_SALTBYTES)
#define KF_HASHBYTES 32
#define KF_KEYBYTES  crypto_secretbox_KEYBYTES
#define KF_OVERHEAD  (KEYFILE_HEADER_LEN + crypto_secretbox_MACBYTES + KF_HASHBYTES)
#define KF_FILE_MIN  (KF_OVERHEAD + 1)
#define KF_FILE_MAX  (KF_OVERHEAD + KEYFILE_SECRET_MAX)

/* The plaintext in the box: header hash || secret; kept mlock'd. */
typedef struct {
    uint8_t key[KF_KEYBYTES];
    uint8_t pt[KF_HASHBYTES + KEYFILE_SECRET_MAX];
} keyfile_secrets;

static void kdf_limits(unsigned long long *ops, size_t *mem, keyfile_kdf k)
{
    switch (k) {
    case KEYFILE_KDF_SENSITIVE:
        *ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
        *mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
        break;
    case KEYFILE_KDF_MODERATE:
        *ops = crypto_pwhash_OPSLIMIT_MODERATE;
        *mem = crypto_pwhash_MEMLIMIT_MODERATE;
        break;
    default:
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        break;
    }
}

int keyfile_kdf_parse(keyfile_kdf *k, const char *name)
{
    if (!k || !name) return -1;
    if (!strcmp(name, "interactive"))
        *k = KEYFILE_KDF_INTERACTIVE;
    else if (!strcmp(name, "moderate"))
        *k = KEYFILE_KDF_MODERATE;
    else if (!strcmp(name, "sensitive"))
        *k = KEYFILE_KDF_SENSITIVE;
    else
        return -1;
    return 0;
}

static void secrets_lock(keyfile_secrets *s)
{
    (void)sodium_mlock(s, sizeof *s); /* best effort: RLIMIT_MEMLOCK may refuse */
}

static void secrets_wipe(keyfile_secrets *s)
{
    sodium_memzero(s, sizeof *s);
    (void)sodium_munlock(s, sizeof *s); /* also zeroes */
}

api_err keyfile_write(const char *path, const uint8_t *secret, size_t secretlen, const char *pass,
                      size_t passlen, keyfile_kdf kdf)
{
    if (!path || !secret || (!pass && passlen)) return API_ERR_ARG;
    if (secretlen == 0 || secretlen > KEYFILE_SECRET_MAX) return API_ERR_ARG;
    if (kdf != KEYFILE_KDF_INTERACTIVE && kdf != KEYFILE_KDF_MODERATE && kdf != KEYFILE_KDF_SENSITIVE)
        return API_ERR_ARG;
    if (passlen == 0) return API_ERR_PASSPHRASE;
    if (passlen > crypto_pwhash_PASSWD_MAX) return API_ERR_TOO_LARGE;
    if (sodium_init() < 0) return API_ERR_CRYPTO;

    struct stat st;
    if (lstat(path, &st) == 0) return API_ERR_EXISTS; /* fail before the slow KDF */

    unsigned long long ops;
    size_t mem;
    kdf_limits(&ops, &mem, kdf);

    uint8_t file[KF_FILE_MAX];
    size_t filelen = KF_OVERHEAD + secretlen;
    memcpy(file, keyfile_magic, sizeof keyfile_magic);
    file[KF_OFF_ALG] = (uint8_t)crypto_pwhash_ALG_ARGON2ID13;
    bytes_put_be64(file + KF_OFF_OPS, ops);
    bytes_put_be64(file + KF_OFF_MEM, mem);
    randombytes_buf(file + KF_OFF_SALT, crypto_pwhash_SALTBYTES);
    randombytes_buf(file + KF_OFF_NONCE, crypto_secretbox_NONCEBYTES);

    keyfile_secrets s;
    secrets_lock(&s);
    api_err e = API_OK;
    if (crypto_pwhash(s.key, sizeof s.key, pass, passlen, file + KF_OFF_SALT, ops, mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        e = API_ERR_NOMEM;
        goto out;
    }
    crypto_generichash(s.pt, KF_HASHBYTES, file, KEYFILE_HEADER_LEN, NULL, 0);
    memcpy(s.pt + KF_HASHBYTES, secret, secretlen);
    if (crypto_secretbox_easy(file + KEYFILE_HEADER_LEN, s.pt, KF_HASHBYTES + secretlen, file + KF_OFF_NONCE,
                              s.key) != 0) {
        e = API_ERR_CRYPTO;
        goto out;
    }
    e = fs_write_atomic(path, file, filelen, 0600, 1);
out:
    secrets_wipe(&s);
    return e;
}

/* Checks everything that can be checked without the passphrase. */
static api_err keyfile_check_header(const uint8_t *file, size_t len)
{
    if (len < KF_FILE_MIN || len > KF_FILE_MAX) return API_ERR_KEYFILE;
    if (memcmp(file, keyfile_magic, sizeof keyfile_magic) != 0) return API_ERR_KEYFILE;
    if (file[KF_OFF_ALG] != crypto_pwhash_ALG_ARGON2ID13) return API_ERR_KEYFILE;
    uint64_t ops = bytes_get_be64(file + KF_OFF_OPS), mem = bytes_get_be64(file + KF_OFF_MEM);
    if (ops < crypto_pwhash_OPSLIMIT_INTERACTIVE || ops > crypto_pwhash_OPSLIMIT_SENSITIVE)
        return API_ERR_KEYFILE;
    if (mem < crypto_pwhash_MEMLIMIT_INTERACTIVE || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
        return API_ERR_KEYFILE;
    return API_OK;
}

api_err keyfile_read(uint8_t *secret, size_t secretcap, size_t *secretlen, const char *path, const char *pass,
                     size_t passlen)
{
    if (!secret || !secretlen || !path || (!pass && passlen)) return API_ERR_ARG;
    *secretlen = 0;
    sodium_memzero(secret, secretcap);
    if (sodium_init() < 0) return API_ERR_CRYPTO;
    if (passlen > crypto_pwhash_PASSWD_MAX) return API_ERR_PASSPHRASE;

    uint8_t *file = NULL;
    size_t len = 0;
    api_err e = fs_read_file(&file, &len, path, 4096);
    if (e == API_ERR_TOO_LARGE) return API_ERR_KEYFILE;
    if (e) return e;
    e = keyfile_check_header(file, len);
    if (e) {
        free(file);
        return e;
    }

    size_t ptlen = len - KEYFILE_HEADER_LEN - crypto_secretbox_MACBYTES;
    size_t slen = ptlen - KF_HASHBYTES;
    uint8_t hash[KF_HASHBYTES];
    keyfile_secrets s;
    secrets_lock(&s);
    if (passlen == 0) {
        e = API_ERR_PASSPHRASE; /* never written: keyfile_write refuses it */
        goto out;
    }
    if (crypto_pwhash(s.key, sizeof s.key, pass, passlen, file + KF_OFF_SALT,
                      bytes_get_be64(file + KF_OFF_OPS), (size_t)bytes_get_be64(file + KF_OFF_MEM),
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        e = API_ERR_NOMEM;
        goto out;
    }
    if (crypto_secretbox_open_easy(s.pt, file + KEYFILE_HEADER_LEN, len - KEYFILE_HEADER_LEN,
                                   file + KF_OFF_NONCE, s.key) != 0) {
        e = API_ERR_PASSPHRASE; /* wrong passphrase or damaged key file */
        goto out;
    }
    crypto_generichash(hash, sizeof hash, file, KEYFILE_HEADER_LEN, NULL, 0);
    if (sodium_memcmp(hash, s.pt, KF_HASHBYTES) != 0) {
        e = API_ERR_PASSPHRASE; /* damaged header */
        goto out;
    }
    if (slen > secretcap) {
        e = API_ERR_TOO_LARGE;
        goto out;
    }
    memcpy(secret, s.pt + KF_HASHBYTES, slen);
    *secretlen = slen;
out:
    secrets_wipe(&s);
    free(file);
    return e;
}

/* ---- passphrases ---- */

/* Strips one trailing "\n" or "\r\n". */
static size_t strip_newline(const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '\n') {
        n--;
        if (n > 0 && p[n - 1] == '\r') n--;
    }
    return n;
}

/* Copies a finished passphrase to the caller; checks emptiness, NUL, room. */
static api_err passphrase_out(char *out, size_t outcap, size_t *outlen, const char *p, size_t n)
{
    if (n == 0 || memchr(p, '\0', n)) return API_ERR_PASSPHRASE;
    if (n > KEYFILE_PASSPHRASE_MAX || n >= outcap) return API_ERR_TOO_LARGE;
    memcpy(out, p, n);
    out[n] = '\0';
    *outlen = n;
    return API_OK;
}

static api_err passphrase_from_file(char *out, size_t outcap, size_t *outlen, const char *path,
                                    const char *what)
{
    char buf[KEYFILE_PASSPHRASE_MAX + 1];
    size_t n = 0;
    int fd;
    do fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return API_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
        fprintf(stderr, "warning: the %s file %s is readable by group or others (chmod 600 it)\n", what,
                path);
    api_err e = API_OK;
    while (n < sizeof buf) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            e = API_ERR_IO;
            break;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (!e && n > KEYFILE_PASSPHRASE_MAX) e = API_ERR_TOO_LARGE;
    if (!e) e = passphrase_out(out, outcap, outlen, buf, strip_newline(buf, n));
    sodium_memzero(buf, sizeof buf);
    return e;
}

static api_err passphrase_from_tty(char *out, size_t outcap, size_t *outlen)
{
    static const char prompt[] = "Passphrase: ";
    char buf[KEYFILE_PASSPHRASE_MAX + 1]; /* room for a '\r' before the '\n' */
    size_t n = 0;
    int too_long = 0;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return API_ERR_PASSPHRASE;
    struct termios old, noecho;
    if (tcgetattr(fd, &old) != 0) {
        close(fd);
        return API_ERR_PASSPHRASE;
    }
    noecho = old;
    noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    noecho.c_lflag |= ICANON;
    if (tcsetattr(fd, TCSAFLUSH, &noecho) != 0) {
        close(fd);
        return API_ERR_PASSPHRASE;
    }
    (void)!write(fd, prompt, sizeof prompt - 1);
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || c == '\n') break;
        if (n < sizeof buf)
            buf[n++] = c;
        else
            too_long = 1; /* read on to the end of the line, keep nothing */
    }
    (void)tcsetattr(fd, TCSAFLUSH, &old);
    (void)!write(fd, "\n", 1);
    close(fd);

    if (n > 0 && buf[n - 1] == '\r') n--;
    api_err e = too_long ? API_ERR_TOO_LARGE : passphrase_out(out, outcap, outlen, buf, n);
    sodium_memzero(buf, sizeof buf);
    return e;
}

api_err passphrase_get(char *out, size_t outcap, size_t *outlen, const char *passphrase_file)
{
    if (!out || !outlen || outcap == 0) return API_ERR_ARG;
    *outlen = 0;
    if (passphrase_file) return passphrase_from_file(out, outcap, outlen, passphrase_file, "passphrase");

    const char *env = getenv("API_PASSPHRASE");
    if (env && *env) return passphrase_out(out, outcap, outlen, env, strlen(env));

    const char *creds = getenv("CREDENTIALS_DIRECTORY"); /* systemd's LoadCredential= */
    char path[4096];
    if (creds && *creds && snprintf(path, sizeof path, "%s/passphrase", creds) < (int)sizeof path &&
        access(path, F_OK) == 0)
        return passphrase_from_file(out, outcap, outlen, path, "passphrase");

    if (isatty(STDIN_FILENO)) return passphrase_from_tty(out, outcap, outlen);
    return API_ERR_PASSPHRASE;
}

api_err pin_get(char *out, size_t outcap, size_t *outlen, const char *pin_file)
{
    if (!out || !outlen || outcap == 0) return API_ERR_ARG;
    *outlen = 0;
    if (pin_file) return passphrase_from_file(out, outcap, outlen, pin_file, "PIN");
    const char *env = getenv("API_PKCS11_PIN");
    if (env && *env) return passphrase_out(out, outcap, outlen, env, strlen(env));
    return API_ERR_PASSPHRASE;
}
