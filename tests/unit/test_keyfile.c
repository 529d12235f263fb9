/*
 * test_keyfile.c: encrypted key files and getting the passphrase.
 *
 * The KDF is slow by design: most tests use the interactive limits
 * (about 0.1 s a derivation); moderate is written once, sensitive only
 * parsed. This program's own crypto_pwhash stands in front of libsodium's
 * and counts the derivations, so that a test sees that a forged header is
 * refused before any.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/bytes.h"
#include "common/fs.h"
#include "common/keyfile.h"
#include "tests/unit/testkit.h"

static char tmpdir[TESTKIT_DIR_MAX];
static int counter;

/* ---- key derivations, counted ---- */

static int derivations;

/* keyfile.c's calls land here (the program's symbol comes before the library's), then in libsodium. */
int crypto_pwhash(unsigned char *const out, unsigned long long outlen, const char *const passwd,
                  unsigned long long passwdlen, const unsigned char *const salt, unsigned long long opslimit,
                  size_t memlimit, int alg)
{
    static int (*real)(unsigned char *const, unsigned long long, const char *const, unsigned long long,
                       const unsigned char *const, unsigned long long, size_t, int);
    if (!real) {
        *(void **)&real = dlsym(RTLD_NEXT, "crypto_pwhash");
        if (!real) testkit_die("libsodium's crypto_pwhash not found");
    }
    derivations++;
    return real(out, outlen, passwd, passwdlen, salt, opslimit, memlimit, alg);
}

static void tmp_path(char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/k%d", tmpdir, counter++);
    assert_true(n > 0 && (size_t)n < cap);
}

static const uint8_t secret32[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char pass[] = "correct horse battery staple";

static void write_raw(const char *path, const uint8_t *data, size_t len)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void load(uint8_t **data, size_t *len, const char *path)
{
    assert_int_equal(fs_read_file(data, len, path, 4096), API_OK);
}

static void test_kdf_parse(void **state)
{
    (void)state;
    keyfile_kdf k = KEYFILE_KDF_MODERATE;
    assert_int_equal(keyfile_kdf_parse(&k, "interactive"), 0);
    assert_int_equal(k, KEYFILE_KDF_INTERACTIVE);
    assert_int_equal(keyfile_kdf_parse(&k, "moderate"), 0);
    assert_int_equal(k, KEYFILE_KDF_MODERATE);
    assert_int_equal(keyfile_kdf_parse(&k, "sensitive"), 0);
    assert_int_equal(k, KEYFILE_KDF_SENSITIVE);
    assert_int_equal(keyfile_kdf_parse(&k, "Sensitive"), -1);
    assert_int_equal(keyfile_kdf_parse(&k, ""), -1);
    assert_int_equal(keyfile_kdf_parse(&k, "fast"), -1);
    assert_int_equal(keyfile_kdf_parse(&k, "interactive "), -1);
    assert_int_equal(keyfile_kdf_parse(&k, NULL), -1);
    assert_int_equal(k, KEYFILE_KDF_SENSITIVE);
}

static void round_trip(keyfile_kdf kdf, size_t secretlen)
{
    char path[128];
    uint8_t secret[KEYFILE_SECRET_MAX], got[KEYFILE_SECRET_MAX];
    size_t gotlen = 0;
    for (size_t i = 0; i < secretlen; i++) secret[i] = (uint8_t)(i * 7 + 3);
    tmp_path(path, sizeof path);
    assert_int_equal(keyfile_write(path, secret, secretlen, pass, strlen(pass), kdf), API_OK);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, path, pass, strlen(pass)), API_OK);
    assert_int_equal(gotlen, secretlen);
    assert_memory_equal(got, secret, secretlen);

    uint8_t *file;
    size_t len;
    load(&file, &len, path);
    assert_int_equal(len, KEYFILE_HEADER_LEN + 16 + 32 + secretlen);
    assert_memory_equal(file, "APIKEY1\n", 8);
    assert_int_equal(file[8], crypto_pwhash_ALG_ARGON2ID13);
    free(file);
}

static void test_round_trip_interactive(void **state)
{
    (void)state;
    round_trip(KEYFILE_KDF_INTERACTIVE, 32);
    round_trip(KEYFILE_KDF_INTERACTIVE, 1);
    round_trip(KEYFILE_KDF_INTERACTIVE, KEYFILE_SECRET_MAX);
}

static void test_round_trip_moderate(void **state)
{
    (void)state;
    round_trip(KEYFILE_KDF_MODERATE, 64);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char path[128];
    uint8_t big[KEYFILE_SECRET_MAX + 1] = {0};
    tmp_path(path, sizeof path);
    assert_int_equal(keyfile_write(path, secret32, 0, pass, strlen(pass), KEYFILE_KDF_INTERACTIVE),
                     API_ERR_ARG);
    assert_int_equal(keyfile_write(path, big, sizeof big, pass, strlen(pass), KEYFILE_KDF_INTERACTIVE),
                     API_ERR_ARG);
    assert_int_equal(keyfile_write(path, secret32, 32, "", 0, KEYFILE_KDF_INTERACTIVE), API_ERR_PASSPHRASE);
    assert_int_equal(keyfile_write(path, secret32, 32, pass, strlen(pass), (keyfile_kdf)42), API_ERR_ARG);
    assert_int_equal(access(path, F_OK), -1); /* nothing written */

    uint8_t got[64];
    size_t gotlen = 99;
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, "/nonexistent/dir/key", pass, strlen(pass)),
                     API_ERR_IO);
    assert_int_equal(gotlen, 0);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, tmpdir, pass, strlen(pass)), API_ERR_IO);
}

static void test_wrong_passphrase_and_small_buffer(void **state)
{
    (void)state;
    char path[128];
    uint8_t got[64];
    size_t gotlen = 99;
    tmp_path(path, sizeof path);
    assert_int_equal(keyfile_write(path, secret32, 32, pass, strlen(pass), KEYFILE_KDF_INTERACTIVE), API_OK);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, path, "wrong", 5), API_ERR_PASSPHRASE);
    assert_int_equal(gotlen, 0);
    /* one byte less of the same passphrase */
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, path, pass, strlen(pass) - 1),
                     API_ERR_PASSPHRASE);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, path, "", 0), API_ERR_PASSPHRASE);
    assert_int_equal(keyfile_read(got, 31, &gotlen, path, pass, strlen(pass)), API_ERR_TOO_LARGE);
    assert_int_equal(keyfile_read(got, 32, &gotlen, path, pass, strlen(pass)), API_OK);
    assert_int_equal(gotlen, 32);
}

static void test_mode_and_no_overwrite(void **state)
{
    (void)state;
    char path[128];
    struct stat st;
    mode_t old = umask(0); /* even with a permissive umask */
    tmp_path(path, sizeof path);
    assert_int_equal(keyfile_write(path, secret32, 32, pass, strlen(pass), KEYFILE_KDF_INTERACTIVE), API_OK);
    umask(old);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    uint8_t *before, *after;
    size_t blen, alen;
    load(&before, &blen, path);
    assert_int_equal(keyfile_write(path, secret32, 16, "other", 5, KEYFILE_KDF_INTERACTIVE), API_ERR_EXISTS);
    load(&after, &alen, path);
    assert_int_equal(alen, blen);
    assert_memory_equal(after, before, blen);
    free(before);
    free(after);

    /* a dangling symlink is not followed or replaced either */
    char link_path[160];
    snprintf(link_path, sizeof link_path, "%s.link", path);
    assert_int_equal(symlink("/nonexistent/target", link_path), 0);
    assert_int_equal(keyfile_write(link_path, secret32, 16, pass, strlen(pass), KEYFILE_KDF_INTERACTIVE),
                     API_ERR_EXISTS);
    unlink(link_path);
}

static void test_every_byte_flip(void **state)
{
    (void)state;
    char path[128], bad[128];
    uint8_t *file;
    size_t len;
    uint8_t got[64];
    size_t gotlen;
    tmp_path(path, sizeof path);
    tmp_path(bad, sizeof bad);
    assert_int_equal(keyfile_write(path, secret32, 4, pass, strlen(pass), KEYFILE_KDF_INTERACTIVE), API_OK);
    load(&file, &len, path);
    assert_int_equal(len, 117);
    for (size_t i = 0; i < len; i++) {
        static const uint8_t masks[2] = {0x01, 0x80};
        for (int k = 0; k < (i < KEYFILE_HEADER_LEN - 40 ? 2 : 1); k++) {
            file[i] ^= masks[k];
            write_raw(bad, file, len);
            api_err e = keyfile_read(got, sizeof got, &gotlen, bad, pass, strlen(pass));
            if (e != API_ERR_KEYFILE && e != API_ERR_PASSPHRASE)
                fail_msg("flip of byte %zu (mask %#x) gave %d", i, masks[k], (int)e);
            if (i < 8 || i == 8) assert_int_equal(e, API_ERR_KEYFILE); /* magic, alg */
            if (i >= KEYFILE_HEADER_LEN) assert_int_equal(e, API_ERR_PASSPHRASE);
            file[i] ^= masks[k];
        }
    }
    write_raw(bad, file, len);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, bad, pass, strlen(pass)), API_OK);
    assert_int_equal(gotlen, 4);
    free(file);
}

static void test_truncated_and_extended(void **state)
{
    (void)state;
    char path[128], bad[128];
    uint8_t *file;
    size_t len, gotlen;
    uint8_t got[64];
    tmp_path(path, sizeof path);
    tmp_path(bad, sizeof bad);
    assert_int_equal(keyfile_write(path, secret32, 8, pass, strlen(pass), KEYFILE_KDF_INTERACTIVE), API_OK);
    load(&file, &len, path);
    for (size_t n = 0; n < len; n++) {
        write_raw(bad, file, n);
        api_err e = keyfile_read(got, sizeof got, &gotlen, bad, pass, strlen(pass));
        if (n < KEYFILE_HEADER_LEN + 16 + 32 + 1)
            assert_int_equal(e, API_ERR_KEYFILE);
        else
            assert_int_equal(e, API_ERR_PASSPHRASE);
    }
    uint8_t longer[256];
    memcpy(longer, file, len);
    longer[len] = 0;
    write_raw(bad, longer, len + 1);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, bad, pass, strlen(pass)), API_ERR_PASSPHRASE);
    /* far too long to be a key file */
    uint8_t huge[8192] = {0};
    memcpy(huge, file, len);
    write_raw(bad, huge, sizeof huge);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, bad, pass, strlen(pass)), API_ERR_KEYFILE);
    free(file);
}

static void test_forged_limits(void **state)
{
    (void)state;
    char path[128], bad[128];
    uint8_t *file;
    size_t len, gotlen;
    uint8_t got[64];
    tmp_path(path, sizeof path);
    tmp_path(bad, sizeof bad);
    assert_int_equal(keyfile_write(path, secret32, 32, pass, strlen(pass), KEYFILE_KDF_INTERACTIVE), API_OK);
    load(&file, &len, path);
    static const struct {
        uint64_t ops, mem;
    } forged[] = {
        {2, 100ull << 30}, /* 100 GB */
        {2, UINT64_MAX},
        {2, (uint64_t)crypto_pwhash_MEMLIMIT_SENSITIVE + 1},
        {2, (uint64_t)crypto_pwhash_MEMLIMIT_INTERACTIVE - 1},
        {2, 0},
        {UINT64_MAX, crypto_pwhash_MEMLIMIT_INTERACTIVE}, /* forever */
        {crypto_pwhash_OPSLIMIT_SENSITIVE + 1, crypto_pwhash_MEMLIMIT_INTERACTIVE},
        {crypto_pwhash_OPSLIMIT_INTERACTIVE - 1, crypto_pwhash_MEMLIMIT_INTERACTIVE},
    };
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        bytes_put_be64(file + 9, forged[i].ops);
        bytes_put_be64(file + 17, forged[i].mem);
        write_raw(bad, file, len);
        int before = derivations;
        assert_int_equal(keyfile_read(got, sizeof got, &gotlen, bad, pass, strlen(pass)), API_ERR_KEYFILE);
        assert_int_equal(derivations, before); /* refused before any derivation */
    }
    /*
     * memlimit one byte higher: Argon2 counts memory in KiB, so the derived
     * key is the same and the box opens; only the header hash inside it
     * catches the change.
     */
    bytes_put_be64(file + 9, crypto_pwhash_OPSLIMIT_INTERACTIVE);
    bytes_put_be64(file + 17, (uint64_t)crypto_pwhash_MEMLIMIT_INTERACTIVE + 1);
    write_raw(bad, file, len);
    int before = derivations;
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, bad, pass, strlen(pass)), API_ERR_PASSPHRASE);
    assert_true(derivations > before); /* the count above is live */
    /* another KDF algorithm (Argon2i) */
    bytes_put_be64(file + 9, crypto_pwhash_OPSLIMIT_INTERACTIVE);
    bytes_put_be64(file + 17, crypto_pwhash_MEMLIMIT_INTERACTIVE);
    file[8] = crypto_pwhash_ALG_ARGON2I13;
    write_raw(bad, file, len);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, bad, pass, strlen(pass)), API_ERR_KEYFILE);
    free(file);
}

/* ---- passphrase_get ---- */

static void write_text(const char *path, const char *text, size_t len, mode_t mode)
{
    write_raw(path, (const uint8_t *)text, len);
    assert_int_equal(chmod(path, mode), 0);
}

static api_err get_from_file(char *out, size_t cap, size_t *outlen, const char *content, size_t clen)
{
    char path[128];
    tmp_path(path, sizeof path);
    write_text(path, content, clen, 0600);
    return passphrase_get(out, cap, outlen, path);
}

static void test_passphrase_file(void **state)
{
    (void)state;
    char out[KEYFILE_PASSPHRASE_MAX + 1];
    size_t n = 0;
    assert_int_equal(get_from_file(out, sizeof out, &n, "secret words\n", 13), API_OK);
    assert_int_equal(n, 12);
    assert_string_equal(out, "secret words");
    assert_int_equal(get_from_file(out, sizeof out, &n, "secret words", 12), API_OK);
    assert_string_equal(out, "secret words");
    assert_int_equal(get_from_file(out, sizeof out, &n, "secret words\r\n", 14), API_OK);
    assert_string_equal(out, "secret words");
    /* only one newline is stripped */
    assert_int_equal(get_from_file(out, sizeof out, &n, "secret\n\n", 8), API_OK);
    assert_int_equal(n, 7);
    assert_string_equal(out, "secret\n");
    assert_int_equal(get_from_file(out, sizeof out, &n, " spaces kept ", 13), API_OK);
    assert_string_equal(out, " spaces kept ");

    assert_int_equal(get_from_file(out, sizeof out, &n, "", 0), API_ERR_PASSPHRASE);
    assert_int_equal(get_from_file(out, sizeof out, &n, "\n", 1), API_ERR_PASSPHRASE);
    assert_int_equal(get_from_file(out, sizeof out, &n, "\r\n", 2), API_ERR_PASSPHRASE);
    assert_int_equal(get_from_file(out, sizeof out, &n, "a\0b", 3), API_ERR_PASSPHRASE);

    static char big[KEYFILE_PASSPHRASE_MAX + 2];
    memset(big, 'x', sizeof big);
    assert_int_equal(get_from_file(out, sizeof out, &n, big, KEYFILE_PASSPHRASE_MAX), API_OK);
    assert_int_equal(n, KEYFILE_PASSPHRASE_MAX);
    assert_int_equal(get_from_file(out, sizeof out, &n, big, KEYFILE_PASSPHRASE_MAX + 1), API_ERR_TOO_LARGE);
    /* out too small for the passphrase and its NUL */
    assert_int_equal(get_from_file(out, 5, &n, "12345", 5), API_ERR_TOO_LARGE);
    assert_int_equal(get_from_file(out, 6, &n, "12345", 5), API_OK);

    assert_int_equal(passphrase_get(out, sizeof out, &n, "/nonexistent/passphrase"), API_ERR_IO);

    /* group-readable: accepted, with a warning on stderr */
    char path[128];
    tmp_path(path, sizeof path);
    write_text(path, "shared\n", 7, 0644);
    assert_int_equal(passphrase_get(out, sizeof out, &n, path), API_OK);
    assert_string_equal(out, "shared");

    /* the file wins over the environment */
    assert_int_equal(setenv("API_PASSPHRASE", "from env", 1), 0);
    assert_int_equal(passphrase_get(out, sizeof out, &n, path), API_OK);
    assert_string_equal(out, "shared");
    assert_int_equal(unsetenv("API_PASSPHRASE"), 0);
}

static void test_passphrase_env(void **state)
{
    (void)state;
    char out[64];
    size_t n = 0;
    /* stdin from /dev/null so that no prompt can block the test */
    int devnull = open("/dev/null", O_RDONLY);
    assert_true(devnull >= 0);
    int saved = dup(STDIN_FILENO);
    assert_int_equal(dup2(devnull, STDIN_FILENO), STDIN_FILENO);
    close(devnull);

    assert_int_equal(setenv("API_PASSPHRASE", "from the environment", 1), 0);
    assert_int_equal(passphrase_get(out, sizeof out, &n, NULL), API_OK);
    assert_int_equal(n, 20);
    assert_string_equal(out, "from the environment");
    assert_int_equal(passphrase_get(out, 20, &n, NULL), API_ERR_TOO_LARGE);

    assert_int_equal(setenv("API_PASSPHRASE", "", 1), 0);
    assert_int_equal(passphrase_get(out, sizeof out, &n, NULL), API_ERR_PASSPHRASE);
    assert_int_equal(unsetenv("API_PASSPHRASE"), 0);
    assert_int_equal(passphrase_get(out, sizeof out, &n, NULL), API_ERR_PASSPHRASE);
    assert_int_equal(passphrase_get(NULL, sizeof out, &n, NULL), API_ERR_ARG);

    if (saved >= 0) {
        dup2(saved, STDIN_FILENO);
        close(saved);
    }
}

/* The passphrase from a file opens a key written with it. */
static void test_file_passphrase_opens_key(void **state)
{
    (void)state;
    char path[128], kpath[128], out[128];
    size_t n;
    uint8_t got[64];
    size_t gotlen;
    tmp_path(path, sizeof path);
    tmp_path(kpath, sizeof kpath);
    write_text(path, "opens the key\n", 14, 0600);
    assert_int_equal(passphrase_get(out, sizeof out, &n, path), API_OK);
    assert_int_equal(keyfile_write(kpath, secret32, 32, out, n, KEYFILE_KDF_INTERACTIVE), API_OK);
    assert_int_equal(keyfile_read(got, sizeof got, &gotlen, kpath, "opens the key", 13), API_OK);
    assert_memory_equal(got, secret32, 32);
}

/* ---- fsutil, which keyfile writes and reads through ---- */

static int count_entries(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 0", dir);
    return system(cmd) == 0 ? 0 : 1;
}

static void test_fsutil_write_read(void **state)
{
    (void)state;
    char dir[128], path[192], sub[192];
    uint8_t *data;
    size_t len;
    struct stat st;
    tmp_path(dir, sizeof dir);
    assert_int_equal(fs_mkdirs(dir, 0700), API_OK);
    assert_int_equal(fs_join(path, sizeof path, dir, "f"), 0);

    assert_int_equal(fs_write_atomic(path, "hello", 5, 0644, 1), API_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(fs_write_atomic(path, "other", 5, 0644, 1), API_ERR_EXISTS);
    assert_int_equal(fs_write_atomic(path, "replaced", 8, 0600, 0), API_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(fs_read_file(&data, &len, path, 8), API_OK);
    assert_int_equal(len, 8);
    assert_string_equal((char *)data, "replaced"); /* NUL-terminated */
    free(data);
    assert_int_equal(fs_read_file(&data, &len, path, 7), API_ERR_TOO_LARGE);
    assert_null(data);
    assert_int_equal(fs_write_atomic(path, "", 0, 0600, 0), API_OK);
    assert_int_equal(fs_read_file(&data, &len, path, 0), API_OK);
    assert_int_equal(len, 0);
    free(data);
    /* no temporary file left behind */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(count_entries(dir), 0);
    assert_int_equal(fs_write_atomic("/nonexistent/dir/f", "x", 1, 0600, 0), API_ERR_IO);
    assert_int_equal(fs_read_file(&data, &len, "/nonexistent/dir/f", 10), API_ERR_IO);

    /* a stream (a pipe) bigger than one read */
    int p[2];
    static uint8_t big[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        size_t off = 0;
        while (off < sizeof big) {
            ssize_t w = write(p[1], big + off, 1000);
            if (w <= 0) _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(p[1]);
    assert_int_equal(fs_read_stream(&data, &len, p[0], sizeof big), API_OK);
    close(p[0]);
    assert_int_equal(len, sizeof big);
    assert_memory_equal(data, big, sizeof big);
    free(data);

    /* mkdirs: nested, existing, trailing slash, a file in the way */
    assert_int_equal(fs_join(sub, sizeof sub, dir, "a/b/c/"), 0);
    assert_int_equal(fs_mkdirs(sub, 0700), API_OK);
    assert_int_equal(fs_mkdirs(sub, 0700), API_OK);
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(fs_join(path, sizeof path, dir, "a/file"), 0);
    assert_int_equal(fs_write_atomic(path, "x", 1, 0600, 1), API_OK);
    assert_int_equal(fs_join(sub, sizeof sub, path, "below"), 0);
    assert_int_not_equal(fs_mkdirs(sub, 0700), API_OK);
    assert_int_not_equal(fs_mkdirs(path, 0700), API_OK);
}

static void test_fsutil_join(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(fs_join(out, sizeof out, "a", "b"), 0);
    assert_string_equal(out, "a/b");
    assert_int_equal(fs_join(out, sizeof out, "a/", "b"), 0);
    assert_string_equal(out, "a/b");
    assert_int_equal(fs_join(out, sizeof out, "a//", "/b"), 0);
    assert_string_equal(out, "a/b");
    assert_int_equal(fs_join(out, sizeof out, "/", "b"), 0);
    assert_string_equal(out, "/b");
    assert_int_equal(fs_join(out, sizeof out, "", "b"), 0);
    assert_string_equal(out, "b");
    assert_int_equal(fs_join(out, sizeof out, "0123456", "0123456"), 0); /* 15 + NUL */
    assert_int_equal(fs_join(out, sizeof out, "0123456", "01234567"), -1);
    assert_int_equal(fs_join(out, sizeof out, NULL, "b"), -1);
}

static int setup(void **state)
{
    (void)state;
    return testkit_tmpdir(tmpdir, "api-keyfile");
}

static int teardown(void **state)
{
    (void)state;
    return testkit_tmpdir_remove(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kdf_parse),
        cmocka_unit_test(test_round_trip_interactive),
        cmocka_unit_test(test_round_trip_moderate),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_wrong_passphrase_and_small_buffer),
        cmocka_unit_test(test_mode_and_no_overwrite),
        cmocka_unit_test(test_every_byte_flip),
        cmocka_unit_test(test_truncated_and_extended),
        cmocka_unit_test(test_forged_limits),
        cmocka_unit_test(test_passphrase_file),
        cmocka_unit_test(test_passphrase_env),
        cmocka_unit_test(test_file_passphrase_opens_key),
        cmocka_unit_test(test_fsutil_write_read),
        cmocka_unit_test(test_fsutil_join),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
