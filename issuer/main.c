/*
 * api-issuer: the préfecture's tool. It signs attestations, writes their
 * QR codes and keeps the registry (see docs/man/api-issuer.1).
 *
 *   init            key pair, index seed and registry in ISS
 *   issue           one attestation from JSON, or one per CSV row
 *   revoke, supersede, suspend, resume, extend, renew-pending
 *                   status changes, each one event of the feed
 *   list            the registry (ids, statuses, validity: no personal data)
 *   publish, serve  the signed status feed, once or over HTTP
 *   show            render a QR text again (terminal, PNG, SVG)
 *   info            the issuer's id, key and counts
 *
 * Holder data are read from the input and written to OUT only; nothing
 * personal is printed beyond the attestation ids and file names.
 */
#include <errno.h>
#include <getopt.h>
#include <time.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/time.h"
#include "common/b64url.h"
#include "common/cli.h"
#include "http/clientaddr.h"
#include "http/feedsrv.h"
#include "http/httpd.h"
#include "common/fs.h"
#include "issuer/holder.h"
#include "issuer/issuer.h"
#include "qr/qrtext.h"
#include "issuer/registry.h"
#include "qr/render.h"
#include "qr/status.h"

#define ISSUE_MAX_INPUT    (64u * 1024 * 1024)
#define ISSUE_QR_MAX       4400
#define ISSUE_WARN_VERSION 15
#define ISS_SERVE_THREADS         64 /* connections the feed server serves at once */
#define ISS_SERVE_REQUEST_TIMEOUT 10 /* seconds */

static const char usage_text[] =
    "Usage: api-issuer COMMAND [OPTIONS]\n"
    "\n"
    "Signs attestations de prolongation d'instruction (API) for a préfecture.\n"
    "\n"
    "Commands:\n"
    "  init   --dir ISS --id ID --name NAME [--feed URL] [--kdf interactive|moderate|sensitive]\n"
    "         Creates the issuer: ISS/issuer.key (encrypted), ISS/issuer.pub (base64url),\n"
    "         ISS/issuer.json and the registry ISS/registry/.\n"
    "  issue  --dir ISS (--json FILE | --csv FILE) --out OUT [render options] [--terminal]\n"
    "         Signs one attestation (JSON) or one per CSV row, and writes for each\n"
    "         OUT/<id>.txt (the QR text, one line), OUT/<id>.png and OUT/<id>.svg.\n"
    "         FILE may be - for standard input.\n"
    "         --replaces ID: the new attestation supersedes attestation ID.\n"
    "         --holder-base URL (e.g. https://verif.example/holder): also writes OUT/<id>.url,\n"
    "         the link that opens the holder's card on a phone; --holder-qr: and\n"
    "         OUT/<id>-holder.png, a QR code of that link.\n"
    "  revoke    --dir ISS --id ID --reason error|fraud|withdrawn   (the reason stays private)\n"
    "  supersede --dir ISS --id ID --decision issued|refused          (a decision was taken)\n"
    "  suspend   --dir ISS --id ID      /   resume --dir ISS --id ID\n"
    "  extend    --dir ISS --id ID --until YYYY-MM-DD   (at most three months at a time)\n"
    "  renew-pending --dir ISS --expiring-within 15d --by 3m\n"
    "         Extends every valid or suspended attestation whose end is within the window\n"
    "         (or passed less than that long ago); meant to run daily.\n"
    "  list   --dir ISS [--status valid|revoked|suspended|superseded] [--expiring-within 15d]\n"
    "         [--format text|json]   (ids, statuses and dates only: no personal data)\n"
    "  publish --dir ISS\n"
    "         Cuts pending events into signed segments and signs a checkpoint (and snapshot).\n"
    "  serve  --dir ISS --listen 127.0.0.1:PORT [--heartbeat SECONDS] [--threads N]\n"
    "         [--request-timeout SECONDS] [--max-connections-per-address N] [--trusted-proxy ADDR ...]\n"
    "         Publishes the feed over HTTP: /feed/v1/ID/checkpoint, /segments/N, /snapshot;\n"
    "         re-signs the checkpoint every heartbeat (default 60 s). Connections served at once:\n"
    "         --threads (default 64); a request's head, then its body, each within\n"
    "         --request-timeout (default 10 s); one address holds at most\n"
    "         --max-connections-per-address (default: a quarter of --threads, at most 32;\n"
    "         0: no limit), reverse proxies named by --trusted-proxy excepted.\n"
    "  show   --file OUT/<id>.txt [--png FILE] [--svg FILE] [--terminal] [render options]\n"
    "         Renders a QR text again.\n"
    "  rotate-key --dir ISS [--kdf ...]\n"
    "         A new signing key (same registry and status list); the old secret key is\n"
    "         destroyed. Then the federation adds the new key and retires the old one.\n"
    "  info   --dir ISS\n"
    "         Prints the issuer id, name, kid, public key and number of attestations.\n"
    "\n"
    "Render options: --module PIXELS (1-64, default 4), --margin MODULES (0-64, default 4),\n"
    "  --level L|M|Q|H (error correction, default M), --invert (terminal view for\n"
    "  light-on-dark terminals); issue only: --formats png,svg (default both).\n"
    "\n"
    "Passphrase of the issuer key: --passphrase-file FILE, else the environment variable\n"
    "API_PASSPHRASE, else a prompt on the terminal.\n"
    "\n"
    "Durations are written 15d, 2w or 3m (days, weeks, calendar months).\n"
    "\n"
    "Exit codes: 0 success; 1 some CSV rows were rejected (the others were issued);\n"
    "2 usage error, invalid input, unknown id or a change the rules forbid (nothing\n"
    "changed); 3 key or passphrase error; 4 file-system or registry error.\n";

typedef struct {
    const char *dir, *id, *name, *feed, *json, *csv, *out, *file, *png, *svg, *passphrase_file, *kdf,
        *formats;
    const char *replaces, *reason, *decision, *until, *within, *by, *status, *listen, *holder_base;
    render_opts render;
    int terminal, invert, json_out, holder_qr;
    long heartbeat, threads, request_timeout, max_per_address;
    const char *proxies[CLIENTADDR_MAX_TRUSTED];
    size_t n_proxies;
} iss_opts;

_Noreturn static void iss_usage(FILE *out, int code)
{
    fputs(usage_text, out);
    exit(code);
}

/* The options each command takes (short codes of the table in iss_parse). */
static const char *iss_allowed(const char *cmd)
{
    static const struct {
        const char *cmd, *opts;
    } table[] = {
        {"init", "dinfPK"},   {"issue", "djcoPmMlxtIRBQ"}, {"revoke", "dir"},
        {"supersede", "diD"}, {"suspend", "di"},           {"resume", "di"},
        {"extend", "diu"},    {"renew-pending", "dwb"},    {"list", "dSwJ"},
        {"publish", "dP"},    {"serve", "dLHPNTAX"},           {"show", "FpstImMl"},
        {"info", "d"},        {"rotate-key", "dPK"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].cmd, cmd)) return table[i].opts;
    return NULL;
}

static void iss_parse(iss_opts *o, const char *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, 0, 'd'},
        {"id", required_argument, 0, 'i'},
        {"name", required_argument, 0, 'n'},
        {"feed", required_argument, 0, 'f'},
        {"json", required_argument, 0, 'j'},
        {"csv", required_argument, 0, 'c'},
        {"out", required_argument, 0, 'o'},
        {"file", required_argument, 0, 'F'},
        {"png", required_argument, 0, 'p'},
        {"svg", required_argument, 0, 's'},
        {"passphrase-file", required_argument, 0, 'P'},
        {"kdf", required_argument, 0, 'K'},
        {"module", required_argument, 0, 'm'},
        {"margin", required_argument, 0, 'M'},
        {"level", required_argument, 0, 'l'},
        {"formats", required_argument, 0, 'x'},
        {"terminal", no_argument, 0, 't'},
        {"invert", no_argument, 0, 'I'},
        {"replaces", required_argument, 0, 'R'},
        {"reason", required_argument, 0, 'r'},
        {"decision", required_argument, 0, 'D'},
        {"until", required_argument, 0, 'u'},
        {"expiring-within", required_argument, 0, 'w'},
        {"by", required_argument, 0, 'b'},
        {"status", required_argument, 0, 'S'},
        {"listen", required_argument, 0, 'L'},
        {"heartbeat", required_argument, 0, 'H'},
        {"threads", required_argument, 0, 'N'},
        {"request-timeout", required_argument, 0, 'T'},
        {"max-connections-per-address", required_argument, 0, 'A'},
        {"trusted-proxy", required_argument, 0, 'X'},
        {"format", required_argument, 0, 'J'},
        {"holder-base", required_argument, 0, 'B'},
        {"holder-qr", no_argument, 0, 'Q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    render_opts_default(&o->render);
    o->kdf = "moderate";
    o->formats = "png,svg";
    o->heartbeat = 60;
    o->threads = ISS_SERVE_THREADS;
    o->request_timeout = ISS_SERVE_REQUEST_TIMEOUT;
    o->max_per_address = -1;
    int c;
    optind = 1;
    const char *allowed = iss_allowed(cmd);
    if (!allowed) cli_fail(CLI_USAGE, "unknown command '%s' (try --help)", cmd);
    while ((c = cli_next_option(argc, argv, longopts, allowed, cmd, CLI_USAGE)) != -1) {
        switch (c) {
        case 'd':
            o->dir = optarg;
            break;
        case 'i':
            o->id = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'f':
            o->feed = optarg;
            break;
        case 'j':
            o->json = optarg;
            break;
        case 'c':
            o->csv = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'F':
            o->file = optarg;
            break;
        case 'p':
            o->png = optarg;
            break;
        case 's':
            o->svg = optarg;
            break;
        case 'P':
            o->passphrase_file = optarg;
            break;
        case 'K':
            o->kdf = optarg;
            break;
        case 'm':
            o->render.module_px = (int)cli_parse_long("--module", optarg, 1, 64);
            break;
        case 'M':
            o->render.margin = (int)cli_parse_long("--margin", optarg, 0, 64);
            break;
        case 'l':
            if (strlen(optarg) != 1 || !strchr("LMQH", optarg[0]))
                cli_fail(CLI_USAGE, "--level: expected L, M, Q or H");
            o->render.level = optarg[0];
            break;
        case 'x':
            o->formats = optarg;
            break;
        case 't':
            o->terminal = 1;
            break;
        case 'I':
            o->invert = 1;
            break;
        case 'R':
            o->replaces = optarg;
            break;
        case 'r':
            o->reason = optarg;
            break;
        case 'D':
            o->decision = optarg;
            break;
        case 'u':
            o->until = optarg;
            break;
        case 'w':
            o->within = optarg;
            break;
        case 'b':
            o->by = optarg;
            break;
        case 'S':
            o->status = optarg;
            break;
        case 'L':
            o->listen = optarg;
            break;
        case 'H':
            o->heartbeat = cli_parse_long("--heartbeat", optarg, 1, 86400);
            break;
        case 'N':
            o->threads = cli_parse_long("--threads", optarg, 8, 4096);
            break;
        case 'T':
            o->request_timeout = cli_parse_long("--request-timeout", optarg, 1, 300);
            break;
        case 'A':
            o->max_per_address = cli_parse_long("--max-connections-per-address", optarg, 0, 4096);
            break;
        case 'X':
            if (o->n_proxies == CLIENTADDR_MAX_TRUSTED)
                cli_fail(CLI_USAGE, "at most %d --trusted-proxy addresses", CLIENTADDR_MAX_TRUSTED);
            o->proxies[o->n_proxies++] = optarg;
            break;
        case 'B':
            o->holder_base = optarg;
            break;
        case 'Q':
            o->holder_qr = 1;
            break;
        case 'J':
            if (strcmp(optarg, "json") && strcmp(optarg, "text"))
                cli_fail(CLI_USAGE, "--format: expected text or json");
            o->json_out = !strcmp(optarg, "json");
            break;
        case 'h':
            iss_usage(stdout, 0);
        default:
            iss_usage(stderr, CLI_USAGE);
        }
    }
    if (optind != argc) cli_fail(CLI_USAGE, "unexpected argument '%s' (try --help)", argv[optind]);
}

static void iss_require(const char *value, const char *option)
{
    if (!value) cli_fail(CLI_USAGE, "%s is required (try --help)", option);
}

static void iss_path(char *out, size_t cap, const char *dir, const char *name)
{
    if (fs_join(out, cap, dir, name) != 0) cli_fail(CLI_USAGE, "path too long: %s", dir);
}

/* Opens the registry of o->dir or exits. */
static registry *iss_open_registry(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    char err[512];
    issuer_config cfg;
    api_err e = issuer_config_load(&cfg, o->dir, err, sizeof err);
    if (e != API_OK) cli_fail(cli_code_for(e), "%s", err);
    registry *reg;
    e = registry_open(&reg, o->dir);
    if (e != API_OK) cli_fail(CLI_IO, "cannot open the registry: %s", api_strerror(e));
    return reg;
}

static int cmd_init(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    iss_require(o->id, "--id");
    iss_require(o->name, "--name");
    keyfile_kdf kdf;
    if (keyfile_kdf_parse(&kdf, o->kdf) != 0)
        cli_fail(CLI_USAGE, "--kdf: expected interactive, moderate or sensitive");
    issuer_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (strlen(o->id) >= sizeof cfg.id || strlen(o->name) >= sizeof cfg.name ||
        (o->feed && strlen(o->feed) >= sizeof cfg.feed))
        cli_fail(CLI_USAGE, "--id, --name or --feed is too long");
    strcpy(cfg.id, o->id);
    strcpy(cfg.name, o->name);
    if (o->feed) strcpy(cfg.feed, o->feed);
    /* The same rules as the trust list: [A-Z0-9-], 2 to 31 characters. */
    api_claims probe;
    memset(&probe, 0, sizeof probe);
    strcpy(probe.iss, cfg.id);
    const char *field = NULL;
    claims_validate(&probe, &field);
    if (field && !strcmp(field, "iss"))
        cli_fail(CLI_USAGE, "--id: expected 2 to 31 characters A-Z, 0-9 and '-', such as FR-75");

    char key_path[4096], pub_path[4096];
    iss_path(key_path, sizeof key_path, o->dir, "issuer.key");
    iss_path(pub_path, sizeof pub_path, o->dir, "issuer.pub");
    if (fs_mkdirs(o->dir, 0700) != API_OK) cli_fail(CLI_IO, "cannot create %s", o->dir);
    if (access(key_path, F_OK) == 0)
        cli_fail(CLI_IO, "%s already holds an issuer key: refusing to overwrite", o->dir);

    uint8_t secret[ISSUER_SECRET_LEN];
    crypto_sign_keypair(cfg.pk, secret);
    randombytes_buf(secret + COSE_SK_LEN, IDXPERM_SEED_LEN);
    cli_write_secret(key_path, secret, sizeof secret, o->passphrase_file, kdf);
    sodium_memzero(secret, sizeof secret);
    cli_write_public_key(pub_path, cfg.pk);
    api_err e = issuer_config_save(&cfg, o->dir);
    if (e != API_OK) cli_fail(CLI_IO, "cannot write issuer.json: %s", api_strerror(e));
    registry *reg;
    e = registry_open(&reg, o->dir);
    if (e != API_OK) cli_fail(CLI_IO, "cannot create the registry: %s", api_strerror(e));
    registry_close(reg);
    uint8_t kid[COSE_KID_LEN];
    char kid_hex[17];
    cose_kid(kid, cfg.pk);
    sodium_bin2hex(kid_hex, sizeof kid_hex, kid, sizeof kid);
    printf("issuer %s created in %s\n  public key: %s (kid %s): give it to the federation\n  secret key: %s "
           "(encrypted)\n",
           cfg.id, o->dir, pub_path, kid_hex, key_path);
    return CLI_OK;
}

static uint8_t *iss_read_input(const char *path, size_t *len)
{
    uint8_t *data;
    api_err e = strcmp(path, "-") == 0 ? fs_read_stream(&data, len, 0, ISSUE_MAX_INPUT)
                                       : fs_read_file(&data, len, path, ISSUE_MAX_INPUT);
    if (e == API_ERR_TOO_LARGE) cli_fail(CLI_USAGE, "%s: larger than %u bytes", path, ISSUE_MAX_INPUT);
    if (e != API_OK) cli_fail(CLI_USAGE, "cannot read %s", path);
    return data;
}

/* The input rows that passed validation. */
typedef struct {
    api_claims *claims;
    size_t n, cap, rejected;
} iss_batch;

static void iss_batch_add(iss_batch *b, const api_claims *c)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        api_claims *grown = realloc(b->claims, cap * sizeof *grown);
        if (!grown) cli_fail(CLI_IO, "out of memory");
        b->claims = grown;
        b->cap = cap;
    }
    b->claims[b->n++] = *c;
}

static void iss_read_batch(iss_batch *b, const iss_opts *o)
{
    char err[512];
    size_t len;
    memset(b, 0, sizeof *b);
    if (o->json) {
        uint8_t *data = iss_read_input(o->json, &len);
        api_claims c;
        api_err e = holder_from_json(&c, err, sizeof err, (const char *)data, len);
        sodium_memzero(data, len);
        free(data);
        if (e != API_OK) cli_fail(CLI_USAGE, "%s: %s", o->json, err);
        iss_batch_add(b, &c);
        return;
    }
    uint8_t *data = iss_read_input(o->csv, &len);
    holder_csv *csv;
    if (holder_csv_open(&csv, err, sizeof err, (const char *)data, len) != API_OK)
        cli_fail(CLI_USAGE, "%s: %s", o->csv, err);
    for (;;) {
        api_claims c;
        size_t line = 0;
        int rc = holder_csv_next(csv, &c, &line, err, sizeof err);
        if (rc == 0) break;
        if (rc < 0) {
            fprintf(stderr, "%s: %s: rejected: %s\n", cli_program(), o->csv, err);
            b->rejected++;
            continue;
        }
        iss_batch_add(b, &c);
    }
    holder_csv_close(csv);
    sodium_memzero(data, len);
    free(data);
}

static int iss_want(const char *formats, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = formats; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return 1;
        p += len + (comma ? 1 : 0);
    }
    return 0;
}

static void iss_check_formats(const char *formats)
{
    for (const char *p = formats; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (!((len == 3 && !strncmp(p, "png", 3)) || (len == 3 && !strncmp(p, "svg", 3))))
            cli_fail(CLI_USAGE, "--formats: expected a list of png and svg, such as png,svg");
        p += len + (comma ? 1 : 0);
    }
}

/* Writes OUT/<id><ext> (made durable by one fs_sync_folder after the batch); 0, or -1 after saying why. */
static int iss_write(const char *out_dir, const char *id, const char *ext, const void *data, size_t len)
{
    char name[64], path[4096];
    snprintf(name, sizeof name, "%s%s", id, ext);
    iss_path(path, sizeof path, out_dir, name);
    api_err e = fs_write_batched(path, data, len, 0640, 1);
    if (e != API_OK) {
        cli_warn("cannot write %s: %s", path, api_strerror(e));
        return -1;
    }
    return 0;
}

static void iss_print_terminal(const char *qr, const render_opts *ro, int invert)
{
    char *term;
    size_t len;
    int version;
    if (render_terminal(&term, &len, &version, qr, ro, invert) == API_OK) {
        fwrite(term, 1, len, stdout);
        free(term);
    }
}

/*
 * The holder link: base + "#" + the QR text percent-encoded as JavaScript's
 * encodeURIComponent does (Base45 has spaces, '%', '+', '/', ':', '$'). The
 * fragment is never sent to a server. Returns 0, or -1 if it does not fit.
 */
static int iss_holder_link(char *out, size_t cap, const char *base, const char *qr)
{
    static const char keep[] = "-_.!~*'()";
    size_t n = strlen(base), o = 0;
    if (n + 2 > cap) return -1;
    memcpy(out, base, n);
    o = n;
    out[o++] = '#';
    for (const unsigned char *p = (const unsigned char *)qr; *p; p++) {
        if (o + 4 > cap) return -1;
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr(keep, *p))
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", *p);
    }
    out[o] = '\0';
    return 0;
}

/* Writes OUT/<id>.url and, with --holder-qr, OUT/<id>-holder.png; -1 if a file failed. */
static int iss_output_holder(const iss_opts *o, const char *id, const char *qr)
{
    char link[3 * ISSUE_QR_MAX + 600];
    if (iss_holder_link(link, sizeof link - 1, o->holder_base, qr) != 0) {
        cli_warn("%s: the holder link is too long", id);
        return -1;
    }
    size_t n = strlen(link);
    link[n] = '\n';
    if (iss_write(o->out, id, ".url", link, n + 1) != 0) return -1;
    link[n] = '\0';
    if (!o->holder_qr) return 0;
    uint8_t *png;
    size_t len;
    int version;
    render_opts ro = o->render;
    ro.level = 'L'; /* the link is long; it is shown on screens, not worn paper */
    api_err e = render_png(&png, &len, &version, link, &ro);
    if (e != API_OK) {
        cli_warn("%s: cannot draw the holder link's QR code: %s", id, api_strerror(e));
        return -1;
    }
    int rc = iss_write(o->out, id, "-holder.png", png, len);
    free(png);
    return rc;
}

/* Renders and writes the files of one attestation (the code is encoded once); -1 if a file failed. */
static int iss_output(const iss_opts *o, const char *id, const char *qr, size_t qrlen, int *version)
{
    int rc = 0;
    char line[ISSUE_QR_MAX + 2];
    memcpy(line, qr, qrlen);
    line[qrlen] = '\n';
    if (iss_write(o->out, id, ".txt", line, qrlen + 1) != 0) return -1;
    render_code *code;
    api_err e = render_code_make(&code, qr, o->render.level);
    if (e != API_OK) {
        cli_warn("%s: cannot encode the QR code: %s", id, api_strerror(e));
        return -1;
    }
    *version = render_code_version(code);
    if (iss_want(o->formats, "png")) {
        uint8_t *png;
        size_t len;
        e = render_code_png(&png, &len, code, &o->render);
        if (e == API_OK) {
            rc |= iss_write(o->out, id, ".png", png, len);
            free(png);
        }
    }
    if (e == API_OK && iss_want(o->formats, "svg")) {
        char *svg;
        size_t len;
        e = render_code_svg(&svg, &len, code, &o->render);
        if (e == API_OK) {
            rc |= iss_write(o->out, id, ".svg", svg, len);
            free(svg);
        }
    }
    if (e == API_OK && o->terminal) {
        char *term;
        size_t len;
        if (render_code_terminal(&term, &len, code, &o->render, o->invert) == API_OK) {
            fwrite(term, 1, len, stdout);
            free(term);
        }
    }
    render_code_free(code);
    if (e != API_OK) {
        cli_warn("%s: cannot render: %s", id, api_strerror(e));
        return -1;
    }
    return rc;
}

static int cmd_issue(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    iss_require(o->out, "--out");
    if (!o->json == !o->csv) cli_fail(CLI_USAGE, "give one of --json FILE or --csv FILE");
    iss_check_formats(o->formats);
    if (o->holder_qr && !o->holder_base) cli_fail(CLI_USAGE, "--holder-qr goes with --holder-base URL");
    if (o->holder_base && strncmp(o->holder_base, "https://", 8) && strncmp(o->holder_base, "http://", 7))
        cli_fail(CLI_USAGE, "--holder-base: expected an http:// or https:// URL");
    if (o->holder_base && (strchr(o->holder_base, '#') || strlen(o->holder_base) > 512))
        cli_fail(CLI_USAGE, "--holder-base: a URL without '#', at most 512 characters");
    char err[512];
    issuer_config cfg;
    api_err e = issuer_config_load(&cfg, o->dir, err, sizeof err);
    if (e != API_OK) cli_fail(cli_code_for(e), "%s", err);

    iss_batch b;
    iss_read_batch(&b, o);
    if (b.n == 0) cli_fail(CLI_USAGE, "nothing to issue: every row was rejected");
    if (fs_mkdirs(o->out, 0750) != API_OK) cli_fail(CLI_IO, "cannot create %s", o->out);

    char key_path[4096];
    iss_path(key_path, sizeof key_path, o->dir, "issuer.key");
    uint8_t secret[ISSUER_SECRET_LEN];
    cli_read_secret(secret, sizeof secret, key_path, o->passphrase_file);
    if (memcmp(secret + 32, cfg.pk, COSE_PK_LEN) != 0) {
        sodium_memzero(secret, sizeof secret);
        cli_fail(CLI_KEY, "issuer.key does not match issuer.pub");
    }

    registry *reg;
    e = registry_open(&reg, o->dir);
    if (e != API_OK) cli_fail(CLI_IO, "cannot open the registry: %s", api_strerror(e));
    registry_entry *entries = calloc(b.n, sizeof *entries);
    if (!entries) cli_fail(CLI_IO, "out of memory");
    int64_t now = cli_now();
    for (size_t i = 0; i < b.n; i++) {
        entries[i].iat = now;
        entries[i].nbf = b.claims[i].nbf;
        entries[i].exp = b.claims[i].exp;
    }
    uint8_t replaces[CLAIMS_CTI_LEN];
    if (o->replaces) {
        if (claims_cti_parse(replaces, o->replaces) != 0)
            cli_fail(CLI_USAGE, "--replaces: expected a 24-character id");
        if (b.n != 1) cli_fail(CLI_USAGE, "--replaces goes with one attestation (--json)");
    }
    /* Registered first, in one transaction: a crash later leaves ids without files, never files without ids.
     */
    char why[256] = "";
    e = registry_allocate(reg, secret + COSE_SK_LEN, entries, b.n, o->replaces ? replaces : NULL, why,
                          sizeof why);
    registry_close(reg);
    if (e == API_ERR_FULL) cli_fail(CLI_IO, "the status list of this issuer is full (2^21 attestations)");
    if ((e == API_ERR_ARG || e == API_ERR_NOT_FOUND) && why[0])
        cli_fail(CLI_USAGE, "--replaces %s: %s", o->replaces,
                 strncmp(why, "--replaces: ", 12) ? why : why + 12);
    if (e != API_OK) cli_fail(CLI_IO, "cannot register the attestations: %s", api_strerror(e));
    if (o->replaces) printf("%s  superseded (replaced)\n", o->replaces);

    size_t failed = 0, large = 0;
    for (size_t i = 0; i < b.n; i++) {
        api_claims *c = &b.claims[i];
        strcpy(c->iss, cfg.id);
        strcpy(c->status_uri, cfg.status_uri);
        c->iat = now;
        c->status_idx = entries[i].idx;
        memcpy(c->cti, entries[i].cti, CLAIMS_CTI_LEN);
        char id[2 * CLAIMS_CTI_LEN + 1], qr[ISSUE_QR_MAX];
        claims_cti_hex(id, c->cti);
        size_t qrlen = sizeof qr;
        int version = 0;
        e = issuer_sign(qr, &qrlen, c, secret);
        if (e != API_OK) {
            cli_warn("%s: cannot sign: %s", id, api_strerror(e));
            failed++;
            continue;
        }
        if (iss_output(o, id, qr, qrlen, &version) != 0 ||
            (o->holder_base && iss_output_holder(o, id, qr) != 0)) {
            failed++;
            continue;
        }
        if (version > ISSUE_WARN_VERSION) large++;
        printf("%s  %s/%s.txt  QR version %d%s\n", id, o->out, id, version,
               version > ISSUE_WARN_VERSION ? " (large: shorten the title or names if it scans badly)" : "");
        sodium_memzero(c, sizeof *c);
    }
    sodium_memzero(secret, sizeof secret);
    free(entries);
    free(b.claims);
    if (fs_sync_folder(o->out) != API_OK) cli_fail(CLI_IO, "cannot flush %s to disk", o->out);
    printf("issued %zu, rejected %zu, failed %zu\n", b.n - failed, b.rejected, failed);
    if (large) cli_warn("%zu QR codes need a version above %d", large, ISSUE_WARN_VERSION);
    if (failed) return CLI_IO;
    return b.rejected ? CLI_PARTIAL : CLI_OK;
}

static int cmd_show(const iss_opts *o)
{
    iss_require(o->file, "--file");
    uint8_t *data;
    size_t len;
    if (fs_read_file(&data, &len, o->file, QRTEXT_MAX_TEXT + 2) != API_OK)
        cli_fail(CLI_USAGE, "cannot read %s", o->file);
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) data[--len] = '\0';
    const char *qr = (const char *)data;
    int version = 0, did = 0;
    if (o->png) {
        uint8_t *png;
        size_t n;
        api_err e = render_png(&png, &n, &version, qr, &o->render);
        if (e != API_OK) cli_fail(CLI_USAGE, "cannot render: %s", api_strerror(e));
        e = fs_write_atomic(o->png, png, n, 0640, 0);
        free(png);
        if (e != API_OK) cli_fail(CLI_IO, "cannot write %s", o->png);
        did = 1;
    }
    if (o->svg) {
        char *svg;
        size_t n;
        api_err e = render_svg(&svg, &n, &version, qr, &o->render);
        if (e != API_OK) cli_fail(CLI_USAGE, "cannot render: %s", api_strerror(e));
        e = fs_write_atomic(o->svg, svg, n, 0640, 0);
        free(svg);
        if (e != API_OK) cli_fail(CLI_IO, "cannot write %s", o->svg);
        did = 1;
    }
    if (o->terminal || !did) iss_print_terminal(qr, &o->render, o->invert);
    free(data);
    return CLI_OK;
}

static void iss_load_secret(uint8_t secret[ISSUER_SECRET_LEN], const iss_opts *o, const issuer_config *cfg);

/*
 * Key rotation: a new signing key, the same index seed and registry. The
 * old public key is kept (issuer-<kid>.pub) for the record; the old secret
 * key is replaced, so nothing can be signed with it any more, not even with
 * a back-dated iat. Order: the new key files are written first, then the
 * public key moves, then the secret key; after a crash between the two
 * moves, issuer.key and issuer.pub disagree and every command says so.
 */
static int cmd_rotate_key(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    keyfile_kdf kdf;
    if (keyfile_kdf_parse(&kdf, o->kdf) != 0)
        cli_fail(CLI_USAGE, "--kdf: expected interactive, moderate or sensitive");
    char err[512];
    issuer_config cfg;
    api_err e = issuer_config_load(&cfg, o->dir, err, sizeof err);
    if (e != API_OK) cli_fail(cli_code_for(e), "%s", err);
    uint8_t secret[ISSUER_SECRET_LEN], fresh[ISSUER_SECRET_LEN], pk[COSE_PK_LEN];
    iss_load_secret(secret, o, &cfg);
    crypto_sign_keypair(pk, fresh);
    memcpy(fresh + COSE_SK_LEN, secret + COSE_SK_LEN, IDXPERM_SEED_LEN); /* the same index seed */
    sodium_memzero(secret, sizeof secret);

    uint8_t old_kid[COSE_KID_LEN], new_kid[COSE_KID_LEN];
    char old_hex[17], new_hex[17], key_path[4096], key_new[4096], pub_path[4096], pub_new[4096],
        pub_old[4096], name[64];
    cose_kid(old_kid, cfg.pk);
    cose_kid(new_kid, pk);
    sodium_bin2hex(old_hex, sizeof old_hex, old_kid, sizeof old_kid);
    sodium_bin2hex(new_hex, sizeof new_hex, new_kid, sizeof new_kid);
    iss_path(key_path, sizeof key_path, o->dir, "issuer.key");
    iss_path(key_new, sizeof key_new, o->dir, "issuer.key.new");
    iss_path(pub_path, sizeof pub_path, o->dir, "issuer.pub");
    iss_path(pub_new, sizeof pub_new, o->dir, "issuer.pub.new");
    snprintf(name, sizeof name, "issuer-%s.pub", old_hex);
    iss_path(pub_old, sizeof pub_old, o->dir, name);
    unlink(key_new); /* leftovers of an interrupted rotation */
    unlink(pub_new);
    cli_write_secret(key_new, fresh, sizeof fresh, o->passphrase_file, kdf);
    sodium_memzero(fresh, sizeof fresh);
    cli_write_public_key(pub_new, pk);
    if (link(pub_path, pub_old) != 0 && errno != EEXIST)
        cli_fail(CLI_IO, "cannot keep the old public key as %s", pub_old);
    if (rename(pub_new, pub_path) != 0 || rename(key_new, key_path) != 0 || fs_sync_folder(o->dir) != API_OK)
        cli_fail(CLI_IO,
                 "the rotation was interrupted: check %s (issuer.key, issuer.pub and their .new files)",
                 o->dir);
    printf("new signing key for %s: kid %s (%s)\n"
           "the old key %s is destroyed; its public key is kept in %s\n"
           "next, at the federation: add-issuer --id %s --pub %s, retire --kid %s, publish;\n"
           "then restart 'serve' so that the feed is signed with the new key\n",
           cfg.id, new_hex, pub_path, old_hex, pub_old, cfg.id, pub_path, old_hex);
    return CLI_OK;
}

static int cmd_info(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    char err[512];
    issuer_config cfg;
    api_err e = issuer_config_load(&cfg, o->dir, err, sizeof err);
    if (e != API_OK) cli_fail(cli_code_for(e), "%s", err);
    registry *reg = iss_open_registry(o);
    uint64_t count = 0;
    e = registry_count(reg, &count);
    registry_close(reg);
    if (e != API_OK) cli_fail(CLI_IO, "cannot read the registry: %s", api_strerror(e));
    uint8_t kid[COSE_KID_LEN];
    char kid_hex[17], pub[64];
    cose_kid(kid, cfg.pk);
    sodium_bin2hex(kid_hex, sizeof kid_hex, kid, sizeof kid);
    b64url_encode(pub, sizeof pub, cfg.pk, sizeof cfg.pk);
    printf("id: %s\nname: %s\nkid: %s\npublic key: %s\nfeed: %s\nstatus uri: %s\nattestations: %llu\n",
           cfg.id, cfg.name, kid_hex, pub, cfg.feed[0] ? cfg.feed : "(none)", cfg.status_uri,
           (unsigned long long)count);
    return CLI_OK;
}

static void iss_parse_id(uint8_t cti[CLAIMS_CTI_LEN], const char *id)
{
    if (!id) cli_fail(CLI_USAGE, "--id ATTESTATION_ID is required");
    if (claims_cti_parse(cti, id) != 0)
        cli_fail(CLI_USAGE, "--id: expected the 24 hexadecimal characters of an id");
}

static int iss_report_change(api_err e, const char *why, const char *id, const char *what)
{
    if (e == API_ERR_NOT_FOUND) cli_fail(CLI_USAGE, "%s: no attestation with that id in this registry", id);
    if (e == API_ERR_ARG) cli_fail(CLI_USAGE, "%s: %s", id, why);
    if (e != API_OK) cli_fail(CLI_IO, "%s: %s", id, api_strerror(e));
    printf("%s  %s\n", id, what);
    return CLI_OK;
}

typedef struct {
    const char *name;
    unsigned status;
    unsigned reason;
} iss_change;

static int cmd_change(const iss_opts *o, const char *cmd)
{
    static const iss_change revoke[] = {{"error", STATUS_REVOKED, REGISTRY_REASON_ERROR},
                                        {"fraud", STATUS_REVOKED, REGISTRY_REASON_FRAUD},
                                        {"withdrawn", STATUS_REVOKED, REGISTRY_REASON_WITHDRAWN}};
    static const iss_change supersede[] = {{"issued", STATUS_SUPERSEDED, REGISTRY_REASON_ISSUED},
                                           {"refused", STATUS_SUPERSEDED, REGISTRY_REASON_REFUSED}};
    uint8_t cti[CLAIMS_CTI_LEN];
    iss_parse_id(cti, o->id);
    iss_change ch = {NULL, STATUS_VALID, REGISTRY_REASON_NONE};
    if (!strcmp(cmd, "revoke")) {
        if (!o->reason) cli_fail(CLI_USAGE, "--reason error|fraud|withdrawn is required");
        for (size_t i = 0; i < 3; i++)
            if (!strcmp(o->reason, revoke[i].name)) ch = revoke[i];
        if (!ch.name) cli_fail(CLI_USAGE, "--reason: expected error, fraud or withdrawn");
    } else if (!strcmp(cmd, "supersede")) {
        if (!o->decision) cli_fail(CLI_USAGE, "--decision issued|refused is required");
        for (size_t i = 0; i < 2; i++)
            if (!strcmp(o->decision, supersede[i].name)) ch = supersede[i];
        if (!ch.name) cli_fail(CLI_USAGE, "--decision: expected issued or refused");
    } else if (!strcmp(cmd, "suspend")) {
        ch.status = STATUS_SUSPENDED;
    }
    registry *reg = iss_open_registry(o);
    char why[256] = "";
    api_err e = registry_set_status(reg, cti, ch.status, ch.reason, cli_now(), why, sizeof why);
    registry_close(reg);
    static const char *const done[] = {"valid again (resumed)", "revoked", "suspended", "superseded"};
    return iss_report_change(e, why, o->id, done[ch.status]);
}

static int cmd_extend(const iss_opts *o)
{
    uint8_t cti[CLAIMS_CTI_LEN];
    iss_parse_id(cti, o->id);
    int y, m, d;
    if (!o->until || time_parse_date(&y, &m, &d, o->until) != 0)
        cli_fail(CLI_USAGE, "--until: expected a date YYYY-MM-DD");
    registry *reg = iss_open_registry(o);
    char why[256] = "", what[64];
    api_err e = registry_extend(reg, cti, time_paris_end_of_day(y, m, d), cli_now(), why, sizeof why);
    registry_close(reg);
    snprintf(what, sizeof what, "extended until %s", o->until);
    return iss_report_change(e, why, o->id, what);
}

static void iss_parse_duration(time_duration *d, const char *value, const char *option)
{
    if (!value) cli_fail(CLI_USAGE, "%s is required (a duration such as 15d, 2w or 3m)", option);
    if (time_parse_duration(d, value) != 0 || d->unit == 'h' || d->unit == 's')
        cli_fail(CLI_USAGE, "%s: expected a duration such as 15d, 2w or 3m, got '%s'", option, value);
}

static int cmd_renew_pending(const iss_opts *o)
{
    time_duration within, by;
    iss_parse_duration(&within, o->within, "--expiring-within");
    iss_parse_duration(&by, o->by, "--by");
    int64_t probe = time_paris_start_of_day(2026, 5, 31); /* the longest three months: 92 days */
    time_duration three = {3, 'm'};
    if (time_add_duration(probe, by) > time_add_duration(probe, three))
        cli_fail(CLI_USAGE, "--by: at most three months at a time (CESEDA R. 431-15-1)");
    registry *reg = iss_open_registry(o);
    size_t renewed = 0;
    api_err e = registry_renew_pending(reg, cli_now(), within, by, &renewed, stdout);
    registry_close(reg);
    if (e != API_OK) cli_fail(CLI_IO, "renewal failed, nothing was changed: %s", api_strerror(e));
    printf("renewed %zu\n", renewed);
    return CLI_OK;
}

typedef struct {
    int status;      /* -1: any */
    int64_t horizon; /* 0: any */
    int json;
    int64_t now;
    size_t count;
} iss_list_ctx;

static int iss_list_one(void *arg, const registry_entry *e)
{
    iss_list_ctx *l = arg;
    int64_t end = registry_effective_exp(e);
    if (l->status >= 0 && (int)e->status != l->status) return 0;
    if (l->horizon && (end > l->horizon || !status_extendable(e->status)))
        return 0;
    char id[2 * CLAIMS_CTI_LEN + 1], from[11], until[11], eff[11];
    claims_cti_hex(id, e->cti);
    time_paris_date(from, e->nbf);
    time_paris_date(until, e->exp);
    time_paris_date(eff, end);
    int extended = e->extended_until > e->exp;
    if (l->json) {
        printf("%s{\"id\": \"%s\", \"status\": \"%s\", \"index\": %u, \"valid_from\": \"%s\", "
               "\"valid_until\": \"%s\", \"effective_until\": \"%s\", \"extended\": %s}",
               l->count ? ",\n " : "[", id, status_name(e->status), e->idx, from, until, eff,
               extended ? "true" : "false");
    } else {
        printf("%s  %-10s  %s .. %s", id, status_name(e->status), from, eff);
        if (extended) printf("  (extended; printed end %s)", until);
        printf("\n");
    }
    l->count++;
    return 0;
}

static int cmd_list(const iss_opts *o)
{
    iss_list_ctx l = {-1, 0, o->json_out, cli_now(), 0};
    if (o->status) {
        unsigned s;
        if (status_parse(&s, o->status) != 0)
            cli_fail(CLI_USAGE, "--status: expected valid, revoked, suspended or superseded");
        l.status = (int)s;
    }
    if (o->within) {
        time_duration d;
        iss_parse_duration(&d, o->within, "--expiring-within");
        l.horizon = time_add_duration(l.now, d);
    }
    registry *reg = iss_open_registry(o);
    api_err e = registry_foreach(reg, iss_list_one, &l);
    registry_close(reg);
    if (e != API_OK) cli_fail(CLI_IO, "cannot read the registry: %s", api_strerror(e));
    if (l.json)
        printf("%s]\n", l.count ? "" : "[");
    else
        fprintf(stderr, "%zu attestations\n", l.count);
    return CLI_OK;
}

/* The issuer's signing secret, checked against issuer.pub. */
static void iss_load_secret(uint8_t secret[ISSUER_SECRET_LEN], const iss_opts *o, const issuer_config *cfg)
{
    char key_path[4096];
    iss_path(key_path, sizeof key_path, o->dir, "issuer.key");
    cli_read_secret(secret, ISSUER_SECRET_LEN, key_path, o->passphrase_file);
    if (memcmp(secret + 32, cfg->pk, COSE_PK_LEN) != 0) {
        sodium_memzero(secret, ISSUER_SECRET_LEN);
        cli_fail(CLI_KEY, "issuer.key does not match issuer.pub");
    }
}

static int cmd_publish(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    char err[512];
    issuer_config cfg;
    api_err e = issuer_config_load(&cfg, o->dir, err, sizeof err);
    if (e != API_OK) cli_fail(cli_code_for(e), "%s", err);
    uint8_t secret[ISSUER_SECRET_LEN];
    iss_load_secret(secret, o, &cfg);
    registry *reg = iss_open_registry(o);
    size_t cut = 0;
    e = registry_feed_publish(reg, cfg.id, cfg.epoch, secret, cli_now(), &cut);
    sodium_memzero(secret, sizeof secret);
    uint64_t last = 0, published = 0;
    registry_feed_counts(reg, &last, &published);
    registry_close(reg);
    if (e != API_OK) cli_fail(CLI_IO, "cannot publish the feed: %s", api_strerror(e));
    printf("feed of %s: %zu new segments, %llu events published, checkpoint signed\n", cfg.id, cut,
           (unsigned long long)published);
    return CLI_OK;
}

/* What the feed server's tick needs: the registry, the key, the feed's identity. */
typedef struct {
    registry *reg;
    const issuer_config *cfg;
    const uint8_t *secret;
    long heartbeat;
    time_t last;
} iss_serving;

/* Every 200 ms: cuts and signs when a heartbeat passed or a segment is full. */
static void iss_serve_tick(void *arg, int reopen)
{
    (void)reopen;
    iss_serving *s = arg;
    uint64_t events = 0, published = 0;
    registry_feed_counts(s->reg, &events, &published);
    time_t now = time(NULL);
    if (now - s->last < s->heartbeat && events - published < FEED_SEGMENT_MAX_EVENTS) return;
    size_t cut = 0;
    api_err e = registry_feed_publish(s->reg, s->cfg->id, s->cfg->epoch, s->secret, cli_now(), &cut);
    if (e != API_OK)
        fprintf(stderr, "%s: publishing failed: %s\n", cli_program(), api_strerror(e));
    else if (cut)
        fprintf(stderr, "%s: published %zu segments, up to event %llu\n", cli_program(), cut,
                (unsigned long long)events);
    s->last = now;
}

static int cmd_serve(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    iss_require(o->listen, "--listen");
    static uint8_t trusted[CLIENTADDR_MAX_TRUSTED][CLIENTADDR_LEN];
    for (size_t i = 0; i < o->n_proxies; i++)
        if (clientaddr_parse(trusted[i], o->proxies[i], strlen(o->proxies[i])) != 0)
            cli_fail(CLI_USAGE, "--trusted-proxy: not an IP address: '%s'", o->proxies[i]);
    char err[512];
    issuer_config cfg;
    api_err e = issuer_config_load(&cfg, o->dir, err, sizeof err);
    if (e != API_OK) cli_fail(cli_code_for(e), "%s", err);
    static uint8_t secret[ISSUER_SECRET_LEN];
    iss_load_secret(secret, o, &cfg);
    sodium_mlock(secret, sizeof secret);
    registry *reg = iss_open_registry(o);
    size_t cut = 0;
    e = registry_feed_publish(reg, cfg.id, cfg.epoch, secret, cli_now(), &cut);
    if (e != API_OK) cli_fail(CLI_IO, "cannot publish the feed: %s", api_strerror(e));

    static registry_feed_source src;
    src.reg = reg;
    snprintf(src.iss, sizeof src.iss, "%s", cfg.id);
    static feedsrv_store store;
    store.get = registry_feed_get;
    store.arg = &src;
    httpd_config hc = {
        .listen = o->listen,
        .threads = (int)o->threads,
        .request_timeout = o->request_timeout,
        .max_per_address =
            o->max_per_address >= 0 ? (int)o->max_per_address : httpd_default_max_per_address((int)o->threads),
        .trusted = (const uint8_t(*)[CLIENTADDR_LEN])trusted,
        .n_trusted = o->n_proxies,
    };
    httpd *h = NULL;
    e = httpd_new(&h, &hc, err, sizeof err);
    if (e == API_OK) e = feedsrv_register(h, &store);
    if (e == API_OK) e = httpd_start(h, err, sizeof err);
    if (e != API_OK) {
        httpd_free(h);
        cli_fail(CLI_USAGE, "%s", err[0] ? err : api_strerror(e));
    }
    fprintf(stderr, "%s: feed of %s on http://%s/feed/v1/%s/ (heartbeat %ld s)\n", cli_program(), cfg.id,
            o->listen, cfg.id, o->heartbeat);
    iss_serving st = {.reg = reg, .cfg = &cfg, .secret = secret, .heartbeat = o->heartbeat, .last = time(NULL)};
    httpd_run(h, iss_serve_tick, &st, 200);
    httpd_free(h);
    registry_close(reg);
    sodium_munlock(secret, sizeof secret);
    fprintf(stderr, "%s: stopped\n", cli_program());
    return CLI_OK;
}

int main(int argc, char **argv)
{
    cli_set_program("api-issuer");
    if (sodium_init() < 0) cli_fail(CLI_IO, "libsodium failed to start");
    if (argc < 2) iss_usage(stderr, CLI_USAGE);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) iss_usage(stdout, 0);
    iss_opts o;
    iss_parse(&o, cmd, argc - 1, argv + 1);
    if (!strcmp(cmd, "init")) return cmd_init(&o);
    if (!strcmp(cmd, "issue")) return cmd_issue(&o);
    if (!strcmp(cmd, "show")) return cmd_show(&o);
    if (!strcmp(cmd, "revoke") || !strcmp(cmd, "supersede") || !strcmp(cmd, "suspend") ||
        !strcmp(cmd, "resume"))
        return cmd_change(&o, cmd);
    if (!strcmp(cmd, "extend")) return cmd_extend(&o);
    if (!strcmp(cmd, "renew-pending")) return cmd_renew_pending(&o);
    if (!strcmp(cmd, "list")) return cmd_list(&o);
    if (!strcmp(cmd, "publish")) return cmd_publish(&o);
    if (!strcmp(cmd, "serve")) return cmd_serve(&o);
    if (!strcmp(cmd, "info")) return cmd_info(&o);
    if (!strcmp(cmd, "rotate-key")) return cmd_rotate_key(&o);
    cli_fail(CLI_USAGE, "unknown command '%s' (try --help)", cmd);
}
