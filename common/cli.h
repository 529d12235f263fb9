/*
 * cli.h: what the three command-line tools share: error exits with the
 * documented codes, the passphrase, secret keys on disk, and option
 * parsing helpers. Messages go to stderr as "tool: message".
 */
#ifndef API_CLI_H
#define API_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/keyfile.h"

/* Exit codes of api-issuer and api-federation (api-verifier has its own, see its man page). */
enum {
    CLI_OK = 0,
    CLI_PARTIAL = 1,   /* a batch with rejected rows: the good rows were processed */
    CLI_USAGE = 2,     /* bad arguments, unreadable or invalid input */
    CLI_KEY = 3,       /* key file or passphrase problem */
    CLI_IO = 4,        /* file system or registry failure */
};

/* The tool name used in messages ("api-issuer"). */
void cli_set_program(const char *name);
const char *cli_program(void);

/* Prints "tool: message" and exits with code. */
_Noreturn void cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "tool: message" (a warning; does not exit). */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The exit code for an api_err from a library call. */
int cli_code_for(api_err e);

/* Reads the passphrase (--passphrase-file, API_PASSPHRASE, or a prompt) or exits. */
void cli_passphrase(char *out, size_t cap, size_t *len, const char *passphrase_file);

/* Writes secret (encrypted) to path or exits; the passphrase is asked once. */
void cli_write_secret(const char *path, const uint8_t *secret, size_t len, const char *passphrase_file,
                      keyfile_kdf kdf);

/* Reads an encrypted secret of exactly len bytes or exits. */
void cli_read_secret(uint8_t *secret, size_t len, const char *path, const char *passphrase_file);

/* Writes a public key as base64url and a newline (0644) or exits. */
void cli_write_public_key(const char *path, const uint8_t pk[32]);

/* Parses a non-negative integer in [min, max] or exits naming the option. */
long cli_parse_long(const char *option, const char *value, long min, long max);

struct option;

/* "--name" of the long option whose code is c, for messages ("?" if none). */
const char *cli_option_name(const struct option *opts, int c);

/*
 * getopt_long for one command, with the tools' shared rules: an unknown
 * option, a missing value, or an option that is not in allowed (the short
 * codes the command takes; 'h' always is) exits with usage_code and a
 * message naming it. Returns the option's code, or -1 at the end. The caller
 * sets optind = 1 before the first call.
 */
int cli_next_option(int argc, char **argv, const struct option *longopts, const char *allowed, const char *cmd,
                    int usage_code);

/* The current time, or the instant of API_NOW (same syntax as --at) for reproducible runs. */
int64_t cli_now(void);

#endif
