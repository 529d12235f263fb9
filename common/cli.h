/*
 * cli.h: what the three command-line tools share: each tool's commands as
 * one table (the usage text, the options each command takes, the
 * dispatch), error exits with the documented codes, the passphrase, secret
 * keys on disk, and option parsing helpers. Messages go to stderr as
 * "tool: message".
 */
#ifndef API_CLI_H
#define API_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/keyfile.h"

/*
 * The exit codes this file's helpers exit with, on behalf of every tool.
 * Each tool lists all its codes once, in the words of its man page's EXIT
 * STATUS (ISS_EXIT_* in issuer/cmd_int.h, VER_EXIT_* in verifier/main.c,
 * FED_EXIT_* in federation/main.c), and pins the ones it shares to these.
 */
enum {
    CLI_OK = 0,
    CLI_USAGE = 2, /* bad arguments, unreadable or invalid input */
    CLI_KEY = 3,   /* key file or passphrase problem */
    CLI_IO = 4,    /* file system or registry failure */
};

/* The tool name used in messages ("api-issuer"). */
void cli_set_program(const char *name);

const char *cli_program(void);

/*
 * Tunes the C library's allocator for what the tools do over and over:
 * zlib's deflate takes about 256 KiB of state per call (a QR text, a
 * receipt, a PNG row filter, a PDF page), which glibc's defaults hand out
 * with mmap and give back with munmap, or take from the heap and trim
 * away again, at every call: page faults that cost several times the
 * compression itself. Blocks up to 512 KiB come from the heap, and the
 * heap keeps up to 1 MiB free at its top. Call it first in main(); the
 * benchmarks call it too, so that they measure what the tools do.
 */
void cli_malloc_tune(void);

/* Prints "tool: message" and exits with code. */
_Noreturn void cli_fail(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

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

struct p11_token;

/*
 * Opens the token labelled label in the PKCS#11 module (common/p11.h),
 * logged in with the PIN of --pin-file pin_file, else of API_PKCS11_PIN;
 * or exits with CLI_KEY (no PIN, a wrong PIN, no module, no token) and a
 * message that never holds the PIN.
 */
struct p11_token *cli_open_token(const char *module, const char *label, const char *pin_file);

/* Writes a public key as base64url and a newline (0644) or exits. */
void cli_write_public_key(const char *path, const uint8_t pk[32]);

/* Parses a non-negative integer in [min, max] or exits naming the option. */
long cli_parse_long(const char *option, const char *value, long min, long max);

struct option;

/*
 * One command of a tool: a row of its command table. The table is the one
 * list of the tool's commands: the usage text is printed from it
 * (cli_usage), the command is found in it (cli_command_find), its options
 * are checked against it (cli_next_option), and its handler is called.
 */
typedef struct {
    /* "issue"; two words for a subcommand ("keys add") */
    const char *name;
    /* the long options it takes, by name, space-separated ("dir id reason"); --help always */
    const char *options;
    /* 1: takes "-" (standard input) as an argument; no other argument is taken */
    int stdin_dash;
    /* the handler: the tool's parsed options in, the exit code out */
    int (*run)(const void *opts);
    /* its lines of the usage text, printed as they are ("": printed by another row) */
    const char *usage;
} cli_command;

/* A tool: its command table, the text printed around the commands' lines, its options. */
typedef struct {
    /* the usage text before the commands' lines, and after them */
    const char *usage_head, *usage_tail;
    /* the table, in the order of the usage text; ends with a row without a name */
    const cli_command *commands;
    /* every option of the tool: getopt_long's table, ending with a zero row */
    const struct option *longopts;
} cli_tool;

/* A command found in the table and its arguments, for cli_next_option. */
typedef struct {
    const cli_tool *tool;
    const cli_command *cmd;
    int argc; /* the command's arguments; argv[0] is the command's (last) word */
    char **argv;
    int stdin_dash;     /* set at the end of the options: "-" was given */
    const char *config; /* the file of --config FILE, or NULL (cli_config_read it again on SIGHUP) */
} cli_args;

/*
 * Configuration files (--config FILE, taken by every command of every
 * tool): lines "name = value", each name a long option of the tool
 * ("listen = 127.0.0.1:8080" is --listen 127.0.0.1:8080); a switch
 * (an option without a value) is "name = true" or "name = false" (which
 * drops the lines before it that set it to true). Blank
 * lines and lines starting with '#' are skipped; a name may come several
 * times (options given several times, --from); spaces around the name and
 * the value are dropped; there is no quoting. The file is the
 * installation's, not one command's: a name the tool has but the command
 * does not take is left out. An option given on the command line wins:
 * the file's lines of that name are left out. There is no implicit file:
 * without --config nothing is read.
 */
#define CLI_CONFIG_MAX (64 * 1024) /* bytes of a configuration file */

/* One line of a configuration file: the tool's option and its value (NULL for a switch set to true). */
typedef struct {
    const struct option *option;
    const char *value;
    int line;
} cli_config_entry;

/* A configuration file read: its lines, in order (a switch set to false has none). */
typedef struct {
    char *text; /* the file's copy, the values point into it */
    cli_config_entry *entries;
    size_t n;
} cli_config;

/*
 * Parses the text of a configuration file (len bytes, copied) against the
 * tool's options. Returns 0, or -1 with err set to "PATH:LINE: what is
 * wrong" (a line that is not "name = value", a name the tool does not
 * have, config or help, a missing value, a switch that is not true or
 * false, a value that is not plain UTF-8 text) and cfg empty.
 */
int cli_config_parse(cli_config *cfg, const char *text, size_t len, const char *path,
                     const struct option *longopts, char *err, size_t errcap);

/* Reads the file and parses it like cli_config_parse; a file that cannot be read: -1, err naming it. */
int cli_config_read(cli_config *cfg, const char *path, const struct option *longopts, char *err,
                    size_t errcap);

/* Frees what cli_config_parse or cli_config_read kept. */
void cli_config_free(cli_config *cfg);

/* Prints the usage text (the head, every command's lines, the tail) to out and exits with code. */
_Noreturn void cli_usage(const cli_tool *tool, FILE *out, int code);

/*
 * The row of the command that argv names (argv[1], and argv[2] for a
 * two-word name), with args ready for cli_next_option. Otherwise exits: no
 * command prints the usage on stderr (CLI_USAGE); --help, -h or help prints
 * it on stdout (CLI_OK); an unknown command, or a first word without one of
 * its second words ("keys"), exits with CLI_USAGE and a message saying what
 * is expected. A row naming an option the tool does not have aborts: the
 * table is wrong. --config FILE (or --config=FILE) among the command's
 * arguments is taken here, for every command: the file's options that the
 * command takes and the command line does not give are put before the
 * command line's (args->argv is then a copy, kept until the exit); a file
 * that cannot be read or parsed exits with CLI_USAGE and a message naming
 * the file and the line, as does --config given twice or without a file.
 */
const cli_command *cli_command_find(cli_args *args, const cli_tool *tool, int argc, char **argv);

/*
 * getopt_long over the command's arguments, with the tools' shared rules:
 * an unknown option, a missing value, or an option that is not in the
 * command's row exits with CLI_USAGE and a message naming it; --help or -h
 * prints the usage on stdout and exits with CLI_OK. Returns the option's
 * code (optarg set), or -1 at the end, once the arguments left are checked:
 * none, or only "-" for a command that takes it (then args->stdin_dash is
 * 1); another exits with CLI_USAGE.
 */
int cli_next_option(cli_args *args);

/* The current time, or the instant of API_NOW (same syntax as --at) for reproducible runs. */
int64_t cli_now(void);

#endif
