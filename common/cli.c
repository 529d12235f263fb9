/*
 * cli.c: shared command-line plumbing (see cli.h).
 *
 * The command table: a tool hands over its rows (name, options, handler,
 * usage lines) and its getopt_long table; finding the row, checking each
 * option against it, the arguments left over and the usage text are done
 * here, once, so the three tools answer a bad command line with the same
 * messages and the same exit code (CLI_USAGE). A row lists its options by
 * their long names, so the table reads like the usage text; every row is
 * checked against the getopt table whenever a command is looked up, so a
 * misspelt name aborts the first run instead of refusing the option.
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

/* "program: message" and a line end, on standard error. */
static void cli_vsay(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void cli_vsay(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", cli_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vsay(fmt, ap);
    va_end(ap);
    exit(code);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vsay(fmt, ap);
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
    case API_ERR_FORBIDDEN: /* a status change or an extension the rules forbid: as a bad argument */
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

/* "--name" of the long option whose code is c, for messages ("?" if none). */
static const char *cli_option_name(const struct option *opts, int c)
{
    static _Thread_local char name[64];
    for (; opts && opts->name; opts++)
        if (opts->val == c) {
            snprintf(name, sizeof name, "--%s", opts->name);
            return name;
        }
    return "?";
}

/* The next word of a space-separated list: its start in *word and its length (0 at the end); *p moves past
 * it. */
static size_t cli_next_word(const char **p, const char **word)
{
    *p += strspn(*p, " ");
    *word = *p;
    size_t n = strcspn(*p, " ");
    *p += n;
    return n;
}

/* Whether the row takes the option whose code is c. */
static int cli_command_takes(const cli_command *cmd, const struct option *opts, int c)
{
    while (opts->name && opts->val != c) opts++;
    if (!opts->name) return 0;
    size_t n = strlen(opts->name), len;
    const char *list = cmd->options, *word;
    while ((len = cli_next_word(&list, &word)))
        if (len == n && !strncmp(word, opts->name, n)) return 1;
    return 0;
}

/* Aborts if a row names an option that the tool's getopt table does not have: the table is wrong. */
static void cli_table_check(const cli_tool *tool)
{
    for (const cli_command *cmd = tool->commands; cmd->name; cmd++) {
        const char *list = cmd->options, *word;
        size_t len;
        while ((len = cli_next_word(&list, &word))) {
            const struct option *o = tool->longopts;
            while (o->name && !(strlen(o->name) == len && !strncmp(o->name, word, len))) o++;
            if (o->name) continue;
            fprintf(stderr, "%s: command table: '%s' names an unknown option '%.*s'\n", cli_name, cmd->name,
                    (int)len, word);
            abort();
        }
    }
}

void cli_usage(const cli_tool *tool, FILE *out, int code)
{
    fputs(tool->usage_head, out);
    for (const cli_command *cmd = tool->commands; cmd->name; cmd++) fputs(cmd->usage, out);
    fputs(tool->usage_tail, out);
    exit(code);
}

/* The second word of a row name whose first word is word ("add" of "keys add"), or NULL. */
static const char *cli_second_word(const char *name, const char *word)
{
    size_t n = strlen(word);
    return !strncmp(name, word, n) && name[n] == ' ' ? name + n + 1 : NULL;
}

/* Exits naming the second words that may follow word ("keys: expected add, list or revoke"). */
_Noreturn static void cli_fail_second_word(const cli_tool *tool, const char *word)
{
    size_t count = 0, i = 0;
    for (const cli_command *cmd = tool->commands; cmd->name; cmd++)
        count += cli_second_word(cmd->name, word) != NULL;
    fprintf(stderr, "%s: %s: expected ", cli_name, word);
    for (const cli_command *cmd = tool->commands; cmd->name; cmd++) {
        const char *second = cli_second_word(cmd->name, word);
        if (!second) continue;
        fprintf(stderr, "%s%s", i == 0 ? "" : i + 1 == count ? " or " : ", ", second);
        i++;
    }
    fputs(" (try --help)\n", stderr);
    exit(CLI_USAGE);
}

const cli_command *cli_command_find(cli_args *args, const cli_tool *tool, int argc, char **argv)
{
    cli_table_check(tool);
    if (argc < 2) cli_usage(tool, stderr, CLI_USAGE);
    const char *word = argv[1];
    if (!strcmp(word, "--help") || !strcmp(word, "-h") || !strcmp(word, "help"))
        cli_usage(tool, stdout, CLI_OK);
    int grouped = 0;
    for (const cli_command *cmd = tool->commands; cmd->name; cmd++) {
        int words = 1;
        const char *second = cli_second_word(cmd->name, word);
        if (second) {
            grouped = 1;
            if (argc < 3 || strcmp(second, argv[2])) continue;
            words = 2;
        } else if (strcmp(cmd->name, word) || strchr(cmd->name, ' ')) {
            continue; /* "keys add" in one argument is not a command */
        }
        args->tool = tool;
        args->cmd = cmd;
        args->argc = argc - words; /* argv[0] is the command's last word, as getopt_long expects */
        args->argv = argv + words;
        args->stdin_dash = 0;
        optind = 1;
        return cmd;
    }
    if (grouped) cli_fail_second_word(tool, word);
    cli_fail(CLI_USAGE, "unknown command '%s' (try --help)", word);
}

int cli_next_option(cli_args *args)
{
    opterr = 0;
    int c = getopt_long(args->argc, args->argv, ":h", args->tool->longopts, NULL);
    if (c == -1) {
        for (; optind < args->argc; optind++) {
            if (strcmp(args->argv[optind], "-") != 0 || !args->cmd->stdin_dash)
                cli_fail(CLI_USAGE, "unexpected argument '%s' (try --help)", args->argv[optind]);
            args->stdin_dash = 1;
        }
        return -1;
    }
    if (c == '?') cli_fail(CLI_USAGE, "unknown option '%s' (try --help)", args->argv[optind - 1]);
    if (c == ':') cli_fail(CLI_USAGE, "option '%s' needs a value", args->argv[optind - 1]);
    if (c == 'h') cli_usage(args->tool, stdout, CLI_OK);
    if (!cli_command_takes(args->cmd, args->tool->longopts, c))
        cli_fail(CLI_USAGE, "option '%s' does not apply to '%s' (try --help)",
                 cli_option_name(args->tool->longopts, c), args->cmd->name);
    return c;
}
