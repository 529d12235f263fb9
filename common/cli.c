/*
 * cli.c: shared command-line plumbing (see cli.h).
 *
 * Secrets handled here are wiped with sodium_memzero before returning. No
 * secret, passphrase or personal data is ever printed.
 */
#include "common/cli.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/time.h"
#include "common/b64url.h"
#include "common/fs.h"

static const char *cli_name = "api";

void cli_set_program(const char *name)
{
    cli_name = name;
}

const char *cli_program(void)
{
    return cli_name;
}

void cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_code_for(api_err e)
{
    switch (e) {
    case API_OK:
        return CLI_OK;
    case API_ERR_PASSPHRASE:
    case API_ERR_KEYFILE:
        return CLI_KEY;
    case API_ERR_IO:
    case API_ERR_DB:
    case API_ERR_NOMEM:
    case API_ERR_FULL:
    case API_ERR_EXISTS:
        return CLI_IO;
    default:
        return CLI_USAGE;
    }
}

void cli_passphrase(char *out, size_t cap, size_t *len, const char *passphrase_file)
{
    api_err e = passphrase_get(out, cap, len, passphrase_file);
    if (e != API_OK)
        cli_fail(CLI_KEY,
                 "no passphrase: set API_PASSPHRASE, give --passphrase-file FILE, or run on a terminal");
}

void cli_write_secret(const char *path, const uint8_t *secret, size_t len, const char *passphrase_file,
                      keyfile_kdf kdf)
{
    char pass[1025];
    size_t plen;
    cli_passphrase(pass, sizeof pass, &plen, passphrase_file);
    api_err e = keyfile_write(path, secret, len, pass, plen, kdf);
    sodium_memzero(pass, sizeof pass);
    if (e == API_ERR_EXISTS) cli_fail(CLI_IO, "%s already exists: refusing to overwrite a key", path);
    if (e != API_OK) cli_fail(cli_code_for(e), "cannot write %s: %s", path, api_strerror(e));
}

void cli_read_secret(uint8_t *secret, size_t len, const char *path, const char *passphrase_file)
{
    char pass[1025];
    size_t plen, got = 0;
    cli_passphrase(pass, sizeof pass, &plen, passphrase_file);
    api_err e = keyfile_read(secret, len, &got, path, pass, plen);
    sodium_memzero(pass, sizeof pass);
    if (e == API_ERR_PASSPHRASE) cli_fail(CLI_KEY, "%s: wrong passphrase or damaged key file", path);
    if (e != API_OK) cli_fail(cli_code_for(e), "cannot read key %s: %s", path, api_strerror(e));
    if (got != len) {
        sodium_memzero(secret, len);
        cli_fail(CLI_KEY, "%s: not a key of the expected kind", path);
    }
}

void cli_write_public_key(const char *path, const uint8_t pk[32])
{
    char text[64];
    b64url_encode(text, sizeof text, pk, 32);
    size_t n = strlen(text);
    text[n++] = '\n';
    api_err e = fs_write_atomic(path, text, n, 0644, 1);
    if (e == API_ERR_EXISTS) cli_fail(CLI_IO, "%s already exists: refusing to overwrite it", path);
    if (e != API_OK) cli_fail(CLI_IO, "cannot write %s: %s", path, api_strerror(e));
}

long cli_parse_long(const char *option, const char *value, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max)
        cli_fail(CLI_USAGE, "%s: expected a whole number from %ld to %ld, got '%s'", option, min, max, value);
    return v;
}

int64_t cli_now(void)
{
    const char *fixed = getenv("API_NOW");
    int64_t t;
    if (fixed && *fixed) {
        if (time_parse_instant(&t, fixed) != 0)
            cli_fail(CLI_USAGE, "API_NOW: not a date or time: '%s'", fixed);
        return t;
    }
    return (int64_t)time(NULL);
}

int cli_next_option(int argc, char **argv, const struct option *longopts, const char *allowed,
                    const char *cmd, int usage_code)
{
    opterr = 0;
    int c = getopt_long(argc, argv, ":h", longopts, NULL);
    if (c == -1) return -1;
    if (c == '?') cli_fail(usage_code, "unknown option '%s' (try --help)", argv[optind - 1]);
    if (c == ':') cli_fail(usage_code, "option '%s' needs a value", argv[optind - 1]);
    if (c != 'h' && !strchr(allowed, c))
        cli_fail(usage_code, "option '%s' does not apply to '%s' (try --help)", cli_option_name(longopts, c),
                 cmd);
    return c;
}

const char *cli_option_name(const struct option *opts, int c)
{
    static _Thread_local char name[64];
    for (; opts && opts->name; opts++)
        if (opts->val == c) {
            snprintf(name, sizeof name, "--%s", opts->name);
            return name;
        }
    return "?";
}
