/*
 * test_cli_config.c: configuration files (--config FILE, common/cli.c):
 * the "name = value" lines against a tool's options, the malformed ones
 * refused with the file and the line named, and the command line built
 * from a file and the command line, the command line winning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <getopt.h>

#include "common/cli.h"

static const struct option opts[] = {
    {"listen", required_argument, 0, 'L'},
    {"from", required_argument, 0, 'f'},
    {"json", no_argument, 0, 'j'},
    {"data", required_argument, 0, 'd'},
    {"org", required_argument, 0, 'O'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int parse(cli_config *cfg, const char *text, char *err, size_t cap)
{
    return cli_config_parse(cfg, text, strlen(text), "t.conf", opts, err, cap);
}

static void test_lines(void **state)
{
    (void)state;
    cli_config cfg;
    char err[256];
    const char *text = "# a comment\n"
                       "\n"
                       "   listen   =   127.0.0.1:8080  \r\n"
                       "\t# indented comment\n"
                       "json = true\n"
                       "from = http://a.test/\n"
                       "from=http://b.test/#x\n"
                       "data = /var/lib/api verifier"; /* no line end at the end; spaces inside kept */
    assert_int_equal(parse(&cfg, text, err, sizeof err), 0);
    assert_int_equal(cfg.n, 5);
    assert_string_equal(cfg.entries[0].option->name, "listen");
    assert_string_equal(cfg.entries[0].value, "127.0.0.1:8080");
    assert_int_equal(cfg.entries[0].line, 3);
    assert_string_equal(cfg.entries[1].option->name, "json");
    assert_null(cfg.entries[1].value);
    assert_string_equal(cfg.entries[2].value, "http://a.test/");
    assert_string_equal(cfg.entries[3].value, "http://b.test/#x");
    assert_string_equal(cfg.entries[4].value, "/var/lib/api verifier");
    assert_int_equal(cfg.entries[4].line, 8);
    cli_config_free(&cfg);

    assert_int_equal(parse(&cfg, "json = false\n", err, sizeof err), 0);
    assert_int_equal(cfg.n, 0);
    cli_config_free(&cfg);
    assert_int_equal(
        parse(&cfg, "json = true\nlisten = a\njson = true\n# x\njson = false\n", err, sizeof err), 0);
    assert_int_equal(cfg.n, 1); /* false drops the lines before it */
    assert_string_equal(cfg.entries[0].option->name, "listen");
    cli_config_free(&cfg);
    assert_int_equal(parse(&cfg, "json = false\njson = true\n", err, sizeof err), 0);
    assert_int_equal(cfg.n, 1);
    assert_string_equal(cfg.entries[0].option->name, "json");
    cli_config_free(&cfg);
    assert_int_equal(parse(&cfg, "", err, sizeof err), 0);
    assert_int_equal(cfg.n, 0);
    cli_config_free(&cfg);
    assert_int_equal(parse(&cfg, "org = caf = x\n", err, sizeof err), 0); /* the first '=' splits */
    assert_string_equal(cfg.entries[0].value, "caf = x");
    cli_config_free(&cfg);
}

static void refused(const char *text, size_t len, const char *want)
{
    cli_config cfg;
    char err[256] = "";
    assert_int_equal(cli_config_parse(&cfg, text, len, "t.conf", opts, err, sizeof err), -1);
    if (!strstr(err, want)) fail_msg("'%s' does not hold '%s'", err, want);
    assert_int_equal(cfg.n, 0);
    assert_null(cfg.entries);
}

static void test_malformed(void **state)
{
    (void)state;
    refused("listen 127.0.0.1:80\n", 20, "t.conf:1: expected 'name = value'");
    refused("\n\nlisen = x\n", 11, "t.conf:3: unknown option 'lisen'");
    refused("= x\n", 4, "t.conf:1: expected 'name = value'");
    refused("Listen = x\n", 11, "t.conf:1: expected");
    refused("--listen = x\n", 13, "t.conf:1: unknown option '--listen'");
    refused("li sten = x\n", 12, "t.conf:1: expected");
    refused("listen =\n", 9, "t.conf:1: 'listen' needs a value");
    refused("listen =   \n", 12, "t.conf:1: 'listen' needs a value");
    refused("json = yes\n", 11, "t.conf:1: 'json' is a switch");
    refused("json =\n", 7, "t.conf:1: 'json' is a switch");
    refused("config = other.conf\n", 20, "t.conf:1: 'config' cannot be written");
    refused("help = true\n", 12, "t.conf:1: 'help' cannot be written");
    refused("org = a\x01z\n", 10, "t.conf:1: the value of 'org' is not plain text");
    refused("org = \xff\xfe\n", 9, "t.conf:1: the value of 'org' is not plain text");
    refused("org = a\0b\n", 10, "t.conf:0: not a text file");
    char *big = malloc(CLI_CONFIG_MAX + 2);
    assert_non_null(big);
    memset(big, '#', CLI_CONFIG_MAX + 1);
    big[CLI_CONFIG_MAX + 1] = '\0';
    refused(big, CLI_CONFIG_MAX + 1, "larger than");
    free(big);
}

static void test_read(void **state)
{
    (void)state;
    cli_config cfg;
    char err[256];
    FILE *f = fopen("test_cli_config.conf", "w");
    assert_non_null(f);
    fputs("listen = 127.0.0.1:9\n", f);
    fclose(f);
    assert_int_equal(cli_config_read(&cfg, "test_cli_config.conf", opts, err, sizeof err), 0);
    assert_int_equal(cfg.n, 1);
    cli_config_free(&cfg);
    remove("test_cli_config.conf");
    assert_int_equal(cli_config_read(&cfg, "test_cli_config.conf", opts, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot read the configuration file test_cli_config.conf"));
}

static int run_nothing(const void *o)
{
    (void)o;
    return 0;
}

static const cli_command commands[] = {
    {.name = "serve", .options = "listen from json data", .run = run_nothing, .usage = ""},
    {.name = "keys add", .options = "data org", .run = run_nothing, .usage = ""},
    {0},
};
static const cli_tool tool = {.usage_head = "", .usage_tail = "", .commands = commands, .longopts = opts};

/* The options getopt_long reads from argv, as "name=value" words joined by spaces. */
static void options_of(char *out, size_t cap, int argc, char **argv)
{
    cli_args args;
    cli_command_find(&args, &tool, argc, argv);
    out[0] = '\0';
    int c;
    while ((c = cli_next_option(&args)) != -1) {
        const struct option *o = opts;
        while (o->val != c) o++;
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s%s%s", n ? " " : "", o->name, optarg ? "=" : "",
                 optarg ? optarg : "");
    }
}

static void test_command_line(void **state)
{
    (void)state;
    FILE *f = fopen("test_cli_config2.conf", "w");
    assert_non_null(f);
    fputs("listen = 127.0.0.1:1\nfrom = http://a.test/\nfrom = http://b.test/\njson = true\ndata = /d\norg = "
          "O\n",
          f);
    fclose(f);
    char got[512];

    char *a1[] = {"tool", "serve", "--config", "test_cli_config2.conf", NULL};
    options_of(got, sizeof got, 4, a1);
    assert_string_equal(got, "listen=127.0.0.1:1 from=http://a.test/ from=http://b.test/ json data=/d");

    /* the command line wins, for a repeated option too; an abbreviation counts as the option */
    char *a2[] = {
        "tool", "serve", "--listen", "127.0.0.1:2", "--config=test_cli_config2.conf", "--fr=http://c.test/",
        NULL};
    options_of(got, sizeof got, 6, a2);
    assert_string_equal(got, "json data=/d listen=127.0.0.1:2 from=http://c.test/");

    /* a two-word command; options of other commands left out */
    char *a3[] = {"tool", "keys", "add", "--config", "test_cli_config2.conf", "--data", "/e", NULL};
    options_of(got, sizeof got, 7, a3);
    assert_string_equal(got, "org=O data=/e");

    /* without --config, nothing is read */
    char *a4[] = {"tool", "keys", "add", "--org", "--config", NULL}; /* "--config" is --org's value */
    options_of(got, sizeof got, 5, a4);
    assert_string_equal(got, "org=--config");
    remove("test_cli_config2.conf");
}

int main(void)
{
    cli_set_program("test_cli_config");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
