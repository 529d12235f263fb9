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
 * Configuration files (--config FILE) are taken here too, for every
 * command of every tool, so that an option added to a tool's table can be
 * written in a file without a line of code: the file's lines become long
 * options ("--listen=127.0.0.1:8080") put before the command line's, and
 * getopt_long reads both as one command line. An option the command line
 * gives leaves out the file's lines of that name (the command line wins,
 * also for options given several times), and a name the tool has but the
 * command does not take is left out (one file serves the installation's
 * commands). No implicit file is read: the packaged units name theirs.
 *
 * Secrets handled here are wiped with sodium_memzero before returning. No
 * secret, passphrase or personal data is ever printed.
 */
#include "common/cli.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/time.h"
#include "common/b64url.h"
#include "common/fs.h"
#include "common/p11.h"
#include "common/text.h"

static const char *cli_name = "api";

void cli_malloc_tune(void)
{
    mallopt(M_MMAP_THRESHOLD, 512 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

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
    case API_ERR_TOKEN:
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

struct p11_token *cli_open_token(const char *module, const char *label, const char *pin_file)
{
    char pin[KEYFILE_PASSPHRASE_MAX + 1], err[512];
    size_t pin_len;
    api_err e = pin_get(pin, sizeof pin, &pin_len, pin_file);
    if (e != API_OK) {
        sodium_memzero(pin, sizeof pin);
        if (pin_file) cli_fail(CLI_KEY, "cannot read the PIN from %s: %s", pin_file, api_strerror(e));
        cli_fail(CLI_KEY, "no PIN for the token: give --pin-file FILE or set API_PKCS11_PIN");
    }
    p11_token *t;
    e = p11_open(&t, module, label, pin, pin_len, err, sizeof err);
    sodium_memzero(pin, sizeof pin);
    if (e != API_OK) cli_fail(e == API_ERR_NOMEM ? CLI_IO : CLI_KEY, "%s", err);
    return t;
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

/* Whether the row takes the option of that long name. */
static int cli_command_takes_name(const cli_command *cmd, const char *name)
{
    size_t n = strlen(name), len;
    const char *list = cmd->options, *word;
    while ((len = cli_next_word(&list, &word)))
        if (len == n && !strncmp(word, name, n)) return 1;
    return 0;
}

/* Whether the row takes the option whose code is c. */
static int cli_command_takes(const cli_command *cmd, const struct option *opts, int c)
{
    while (opts->name && opts->val != c) opts++;
    return opts->name && cli_command_takes_name(cmd, opts->name);
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

/* Spaces and tabs around [*s, *e) dropped. */
static void cli_trim(char **s, char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t')) (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
}

/* Sets err to "path:line: message" and returns -1. */
static int cli_config_error(char *err, size_t errcap, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int cli_config_error(char *err, size_t errcap, const char *path, int line, const char *fmt, ...)
{
    int n = snprintf(err, errcap, "%s:%d: ", path, line);
    if (n < 0 || (size_t)n >= errcap) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Whether the name (n bytes) is one of a long option: lower-case letters, digits and '-'. */
static int cli_config_name_ok(const char *name, size_t n)
{
    if (n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
            return 0;
    return 1;
}

/* One line (NUL-terminated, the line end removed) parsed into an entry; *has is 0 for a switch set to false.
 */
static int cli_config_line(cli_config_entry *entry, int *has, char *line, int lineno, const char *path,
                           const struct option *longopts, char *err, size_t errcap)
{
    char *s = line, *e = line + strlen(line);
    cli_trim(&s, &e);
    *has = 0;
    if (s == e || *s == '#') return 0;
    char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq) return cli_config_error(err, errcap, path, lineno, "expected 'name = value'");
    char *ns = s, *ne = eq, *vs = eq + 1, *ve = e;
    cli_trim(&ns, &ne);
    cli_trim(&vs, &ve);
    size_t nlen = (size_t)(ne - ns);
    if (!cli_config_name_ok(ns, nlen))
        return cli_config_error(err, errcap, path, lineno, "expected 'name = value', a name such as listen");
    *ne = '\0';
    *ve = '\0';
    if (!strcmp(ns, "config") || !strcmp(ns, "help"))
        return cli_config_error(err, errcap, path, lineno, "'%s' cannot be written in a configuration file",
                                ns);
    const struct option *o = longopts;
    while (o->name && strcmp(o->name, ns)) o++;
    if (!o->name) return cli_config_error(err, errcap, path, lineno, "unknown option '%s'", ns);
    if (!text_plain_ok(vs, 0, (size_t)(ve - vs) + 1))
        return cli_config_error(err, errcap, path, lineno, "the value of '%s' is not plain text", ns);
    entry->option = o;
    entry->line = lineno;
    if (o->has_arg == no_argument) {
        if (!strcmp(vs, "false")) return 0; /* the caller drops the earlier lines of that name */
        if (strcmp(vs, "true"))
            return cli_config_error(err, errcap, path, lineno,
                                    "'%s' is a switch: expected true or false, got '%s'", ns, vs);
        entry->value = NULL;
    } else {
        if (vs == ve) return cli_config_error(err, errcap, path, lineno, "'%s' needs a value", ns);
        entry->value = vs;
    }
    *has = 1;
    return 0;
}

int cli_config_parse(cli_config *cfg, const char *text, size_t len, const char *path,
                     const struct option *longopts, char *err, size_t errcap)
{
    memset(cfg, 0, sizeof *cfg);
    if (len > CLI_CONFIG_MAX)
        return cli_config_error(err, errcap, path, 0, "larger than %d bytes", CLI_CONFIG_MAX);
    if (memchr(text, '\0', len))
        return cli_config_error(err, errcap, path, 0, "not a text file (a NUL byte)");
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    cfg->text = malloc(len + 1);
    cfg->entries = calloc(lines, sizeof *cfg->entries);
    if (!cfg->text || !cfg->entries) {
        cli_config_free(cfg);
        snprintf(err, errcap, "%s: out of memory", path);
        return -1;
    }
    memcpy(cfg->text, text, len);
    cfg->text[len] = '\0';
    char *line = cfg->text;
    for (int lineno = 1; line; lineno++) {
        char *end = strchr(line, '\n'), *next = NULL;
        if (end) {
            next = end + 1;
            if (end > line && end[-1] == '\r') end--;
            *end = '\0';
        }
        int has;
        if (cli_config_line(&cfg->entries[cfg->n], &has, line, lineno, path, longopts, err, errcap) != 0) {
            cli_config_free(cfg);
            return -1;
        }
        if (!has && cfg->entries[cfg->n].option) { /* a switch set to false: its earlier lines dropped */
            size_t kept = 0;
            for (size_t k = 0; k < cfg->n; k++)
                if (cfg->entries[k].option != cfg->entries[cfg->n].option)
                    cfg->entries[kept++] = cfg->entries[k];
            cfg->n = kept;
        }
        cfg->n += (size_t)has;
        if (cfg->n < lines)
            memset(&cfg->entries[cfg->n], 0, sizeof cfg->entries[cfg->n]); /* the next line's */
        line = next;
    }
    return 0;
}

int cli_config_read(cli_config *cfg, const char *path, const struct option *longopts, char *err,
                    size_t errcap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    memset(cfg, 0, sizeof *cfg);
    errno = 0;
    api_err e = fs_read_file(&data, &len, path, CLI_CONFIG_MAX);
    if (e == API_ERR_TOO_LARGE)
        return cli_config_error(err, errcap, path, 0, "larger than %d bytes", CLI_CONFIG_MAX);
    if (e != API_OK) {
        snprintf(err, errcap, "cannot read the configuration file %s: %s", path,
                 errno ? strerror(errno) : api_strerror(e));
        return -1;
    }
    int rc = cli_config_parse(cfg, (const char *)data, len, path, longopts, err, errcap);
    free(data);
    return rc;
}

void cli_config_free(cli_config *cfg)
{
    free(cfg->text);
    free(cfg->entries);
    memset(cfg, 0, sizeof *cfg);
}

/* The row of the long option a command-line word "--name" or "--name=value" names as getopt_long reads it (an
 * exact name, or an abbreviation of one option), or NULL. */
static const struct option *cli_word_option(const struct option *opts, const char *word)
{
    if (strncmp(word, "--", 2) || !word[2]) return NULL;
    const char *name = word + 2;
    size_t n = strcspn(name, "=");
    const struct option *found = NULL;
    for (const struct option *o = opts; o->name; o++) {
        if (strncmp(o->name, name, n)) continue;
        if (strlen(o->name) == n) return o;
        if (found) return NULL; /* ambiguous: getopt_long refuses it */
        found = o;
    }
    return found;
}

/* The command line of args with the options of --config FILE put first (see cli_command_find). */
static void cli_config_apply(cli_args *args)
{
    static char **argv_kept; /* the copy, reachable until the exit or the next call */
    static int words_kept;   /* argv_kept[1..words_kept] were allocated here */
    static cli_config cfg_kept;
    if (argv_kept) {
        for (int k = 1; k <= words_kept; k++) free(argv_kept[k]);
        free(argv_kept);
        argv_kept = NULL;
        words_kept = 0;
        cli_config_free(&cfg_kept);
    }
    const struct option *opts = args->tool->longopts;
    size_t nopts = 0;
    while (opts[nopts].name) nopts++;
    char *given = calloc(nopts + 1, 1);
    if (!given) cli_fail(CLI_USAGE, "out of memory");
    const char *path = NULL;
    int at = -1, words = 0;
    for (int i = 1; i < args->argc; i++) {
        const char *w = args->argv[i];
        if (!strcmp(w, "--")) break;
        if (!strcmp(w, "--config") || !strncmp(w, "--config=", 9)) {
            if (path) cli_fail(CLI_USAGE, "--config given twice");
            at = i;
            if (w[8] == '=') {
                path = w + 9;
                words = 1;
            } else {
                if (i + 1 >= args->argc) cli_fail(CLI_USAGE, "option '--config' needs a value");
                path = args->argv[++i];
                words = 2;
            }
            if (!*path) cli_fail(CLI_USAGE, "option '--config' needs a value");
            continue;
        }
        const struct option *o = cli_word_option(opts, w);
        if (!o) continue;
        given[o - opts] = 1;
        if (o->has_arg == required_argument && !strchr(w, '=')) i++; /* its value */
    }
    if (!path) {
        free(given);
        return;
    }
    char err[512];
    if (cli_config_read(&cfg_kept, path, opts, err, sizeof err) != 0) cli_fail(CLI_USAGE, "%s", err);
    argv_kept = calloc((size_t)args->argc + cfg_kept.n + 1, sizeof *argv_kept);
    if (!argv_kept) cli_fail(CLI_USAGE, "out of memory");
    int n = 0;
    argv_kept[n++] = args->argv[0];
    for (size_t k = 0; k < cfg_kept.n; k++) {
        const cli_config_entry *entry = &cfg_kept.entries[k];
        if (given[entry->option - opts] || !cli_command_takes_name(args->cmd, entry->option->name)) continue;
        size_t size = strlen(entry->option->name) + (entry->value ? strlen(entry->value) : 0) + 4;
        char *word = malloc(size);
        if (!word) cli_fail(CLI_USAGE, "out of memory");
        if (entry->value)
            snprintf(word, size, "--%s=%s", entry->option->name, entry->value);
        else
            snprintf(word, size, "--%s", entry->option->name);
        argv_kept[n++] = word;
    }
    words_kept = n - 1;
    for (int i = 1; i < args->argc; i++)
        if (i < at || i >= at + words) argv_kept[n++] = args->argv[i];
    argv_kept[n] = NULL;
    free(given);
    args->argc = n;
    args->argv = argv_kept;
    args->config = path;
}

void cli_usage(const cli_tool *tool, FILE *out, int code)
{
    fputs(tool->usage_head, out);
    for (const cli_command *cmd = tool->commands; cmd->name; cmd++) fputs(cmd->usage, out);
    fputs("  Every command also takes --config FILE: its options as \"name = value\" lines,\n"
          "  one a line (e.g. listen = 127.0.0.1:8080, json = true); the command line wins.\n",
          out);
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
        args->config = NULL;
        cli_config_apply(args);
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
