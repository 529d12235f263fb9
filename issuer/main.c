/*
 * api-issuer: the préfecture's tool. It signs attestations, writes their
 * QR codes and keeps the registry (see docs/man/api-issuer.1).
 *
 * This file is the tool's command table and its command line: one row per
 * command (its name, the options it takes, its handler, its lines of the
 * usage text), from which common/cli prints the usage, checks the options
 * and finds the handler; the options are parsed here into an iss_opts.
 * The handlers live by job behind issuer/cmd_int.h, which also holds the
 * tool's exit codes:
 *
 *   init, rotate-key, info   the issuer's folder and key   (cmd_keys.c)
 *   issue, show              attestations and QR codes     (cmd_issue.c)
 *   revoke, supersede, suspend, resume, extend, renew-pending, list
 *                            statuses in the registry      (cmd_status.c)
 *   publish, serve           the signed status feed        (cmd_feed.c)
 *   clients add, list, revoke, rotate
 *                            the admin API's clients       (cmd_clients.c)
 *   backup, restore          the folder in one file        (cmd_backup.c)
 *
 * Holder data are read from the input and written to OUT only; nothing
 * personal is printed beyond the attestation ids and file names.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/time.h"
#include "http/clientaddr.h"
#include "issuer/clients.h"
#include "issuer/cmd_int.h"
#include "qr/render.h"

static const char usage_head[] = "Usage: api-issuer COMMAND [OPTIONS]\n"
                                 "\n"
                                 "Signs attestations de prolongation d'instruction (API) for a préfecture.\n"
                                 "\n"
                                 "Commands:\n";

static const char usage_tail[] =
    "\n"
    "Render options: --module PIXELS (1-64, default 4), --margin MODULES (0-64, default 4),\n"
    "  --level L|M|Q|H (error correction, default M), --invert (terminal view for\n"
    "  light-on-dark terminals); issue only: --formats png,svg,pdf (default all three).\n"
    "\n"
    "Passphrase of the issuer key: --passphrase-file FILE, else the environment variable\n"
    "API_PASSPHRASE, else a prompt on the terminal.\n"
    "\n"
    "Key in a security module (PKCS#11): init --pkcs11-module PATH --token-label LABEL makes\n"
    "the key in the token (no issuer.key); issuer.json records where it is, and init,\n"
    "rotate-key, issue, publish and serve read the token's PIN from --pin-file FILE, else\n"
    "the environment variable API_PKCS11_PIN (--pkcs11-module and --token-label override\n"
    "issuer.json's).\n"
    "\n"
    "Durations are written 15d, 2w or 3m (days, weeks, calendar months).\n"
    "\n"
    "Exit codes: 0 success; 1 some CSV rows were rejected (the others were issued);\n"
    "2 usage error, invalid input, unknown id or a change the rules forbid (nothing\n"
    "changed); 3 key, passphrase or PIN error (also a token or a key missing from it);\n"
    "4 file-system or registry error.\n";

/* Codes of the options without a letter of their own (beyond any character). */
enum {
    ISS_OPT_ROLE = 0x4301, /* clients */
    ISS_OPT_EXPIRES,
    ISS_OPT_RATE,
    ISS_OPT_OVERLAP,
    ISS_OPT_FROM, /* restore */
    ISS_OPT_RECOVER_FROM,
};

/* The commands, in the order of the usage text. */
static const cli_command iss_commands[] = {
    {.name = "init",
     .options = "dir id name feed passphrase-file kdf verify-base pkcs11-module token-label pin-file",
     .run = iss_cmd_init,
     .usage = "  init   --dir ISS --id ID --name NAME [--feed URL] [--kdf interactive|moderate|sensitive]\n"
              "         [--verify-base URL] [--pkcs11-module PATH --token-label LABEL]\n"
              "         Creates the issuer: ISS/issuer.key (encrypted), ISS/issuer.pub (base64url),\n"
              "         ISS/issuer.json and the registry ISS/registry/. --verify-base: the address\n"
              "         printed on the PDF attestations for verifying them. With --pkcs11-module and\n"
              "         --token-label: the key is made in that token instead, and no issuer.key.\n"},
    {.name = "issue",
     .options = "dir json csv out passphrase-file pkcs11-module token-label pin-file module margin level "
                "formats terminal "
                "invert replaces "
                "holder-base holder-qr verify-base pdf-batch",
     .run = iss_cmd_issue,
     .usage = "  issue  --dir ISS (--json FILE | --csv FILE) --out OUT [render options] [--terminal]\n"
              "         Signs one attestation (JSON) or one per CSV row, and writes for each\n"
              "         OUT/<id>.txt (the QR text, one line), OUT/<id>.png, OUT/<id>.svg,\n"
              "         OUT/<id>.pdf (the attestation as an A4 document) and OUT/<id>-card.txt (the\n"
              "         holder's card: the reduced code, one line, that the holder's link carries).\n"
              "         FILE may be - for standard input.\n"
              "         --verify-base URL: the verify address printed on the PDF (default: issuer.json's);\n"
              "         --pdf-batch FILE: also one PDF of every attestation, in row order.\n"
              "         --replaces ID: the new attestation supersedes attestation ID.\n"
              "         --holder-base URL (e.g. https://verif.example/holder): also writes OUT/<id>.url,\n"
              "         the link that opens the holder's card on a phone; --holder-qr: and\n"
              "         OUT/<id>-holder.png, a QR code of that link.\n"},
    {.name = "revoke",
     .options = "dir id reason",
     .run = iss_cmd_revoke,
     .usage = "  revoke    --dir ISS --id ID --reason error|fraud|withdrawn   (the reason stays private)\n"},
    {.name = "supersede",
     .options = "dir id decision",
     .run = iss_cmd_supersede,
     .usage = "  supersede --dir ISS --id ID --decision issued|refused          (a decision was taken)\n"},
    {.name = "suspend",
     .options = "dir id",
     .run = iss_cmd_suspend,
     .usage = "  suspend   --dir ISS --id ID      /   resume --dir ISS --id ID\n"},
    {.name = "resume", .options = "dir id", .run = iss_cmd_resume, .usage = ""}, /* on suspend's line */
    {.name = "extend",
     .options = "dir id until",
     .run = iss_cmd_extend,
     .usage = "  extend    --dir ISS --id ID --until YYYY-MM-DD   (at most three months at a time)\n"},
    {.name = "renew-pending",
     .options = "dir expiring-within by",
     .run = iss_cmd_renew_pending,
     .usage = "  renew-pending --dir ISS --expiring-within 15d --by 3m\n"
              "         Extends every valid or suspended attestation whose end is within the window\n"
              "         (or passed less than that long ago); meant to run daily.\n"},
    {.name = "list",
     .options = "dir status expiring-within format",
     .run = iss_cmd_list,
     .usage = "  list   --dir ISS [--status valid|revoked|suspended|superseded] [--expiring-within 15d]\n"
              "         [--format text|json]   (ids, statuses and dates only: no personal data)\n"},
    {.name = "publish",
     .options = "dir passphrase-file pkcs11-module token-label pin-file",
     .run = iss_cmd_publish,
     .usage = "  publish --dir ISS\n"
              "         Cuts pending events into signed segments and signs a checkpoint (and snapshot).\n"},
    {.name = "serve",
     .options = "dir listen heartbeat passphrase-file pkcs11-module token-label pin-file threads "
                "request-timeout max-connections-per-address trusted-proxy admin-listen audit-log keep-files "
                "holder-base formats module margin level",
     .run = iss_cmd_serve,
     .usage =
         "  serve  --dir ISS --listen 127.0.0.1:PORT [--heartbeat SECONDS] [--threads N]\n"
         "         [--request-timeout SECONDS] [--max-connections-per-address N] [--trusted-proxy ADDR ...]\n"
         "         Publishes the feed over HTTP: /feed/v1/ID/checkpoint, /segments/N, /snapshot;\n"
         "         re-signs the checkpoint every heartbeat (default 60 s). Connections served at once:\n"
         "         --threads (default 64); a request's head, then its body, each within\n"
         "         --request-timeout (default 10 s); one address holds at most\n"
         "         --max-connections-per-address (default: a quarter of --threads, at most 32;\n"
         "         0: no limit), reverse proxies named by --trusted-proxy excepted.\n"
         "         --admin-listen 127.0.0.1:PORT: also the issuance API for the préfecture's systems,\n"
         "         on that listener only (docs/issuer-openapi.yaml; clients and tokens: api-issuer\n"
         "         clients); its files (--formats, default png,svg,pdf) kept --keep-files (default\n"
         "         24h) in ISS/files/; --holder-base URL: holder_url in its answers; --audit-log FILE:\n"
         "         one line per API request (reopened on SIGHUP).\n"},
    {.name = "clients add",
     .options = "dir name role expires rate",
     .run = iss_cmd_clients_add,
     .usage = "  clients add    --dir ISS --name NAME [--role read|issue|manage] [--expires 90d] [--rate N]\n"
              "         A client of serve's admin API (a préfecture's system): prints its token alone\n"
              "         on one line, shown once (only a keyed hash is kept). --role: read (the default)\n"
              "         may only read, issue may also create attestations, manage may also change\n"
              "         their statuses; --expires: how long the token lasts, Nd or Nh (default 90d,\n"
              "         at most 730d); --rate: requests a second (default 100; 0: no limit).\n"},
    {.name = "clients list",
     .options = "dir format",
     .run = iss_cmd_clients_list,
     .usage = "  clients list   --dir ISS [--format text|json]   (names, roles, dates, states: no token)\n"},
    {.name = "clients revoke",
     .options = "dir name",
     .run = iss_cmd_clients_revoke,
     .usage = "  clients revoke --dir ISS --name NAME   (its tokens stop at serve's next request)\n"},
    {.name = "clients rotate",
     .options = "dir name overlap expires",
     .run = iss_cmd_clients_rotate,
     .usage = "  clients rotate --dir ISS --name NAME [--overlap 7d] [--expires 90d]\n"
              "         Prints a new token; the previous one keeps working for --overlap (default 7d,\n"
              "         at most 30d, 0: stops now). --expires: the new token's lifetime (default: the\n"
              "         client's).\n"},
    {.name = "backup",
     .options = "dir out",
     .run = iss_cmd_backup,
     .usage = "  backup --dir ISS --out FILE\n"
              "         Writes the issuer's folder to one file (0600): its configuration, its key file as\n"
              "         it is on disk (still encrypted) and a consistent copy of the registry, also while\n"
              "         serve runs.\n"},
    {.name = "restore",
     .options = "from dir recover-from passphrase-file pkcs11-module token-label pin-file",
     .run = iss_cmd_restore,
     .usage = "  restore --from FILE --dir ISS [--recover-from URL ...]\n"
              "         Restores a backup into an empty folder; takes back from each URL (a verifier that\n"
              "         mirrors the feed) everything published since, checked with the issuer's key;\n"
              "         skips every status index ever published; starts a new feed epoch and prints it\n"
              "         (then: api-federation set-epoch).\n"},
    {.name = "adopt",
     .options = "dir file",
     .run = iss_cmd_adopt,
     .usage = "  adopt  --dir ISS --file FILE\n"
              "         After a restore: gives the registry back attestations issued after the backup, from\n"
              "         their QR texts (OUT/<id>.txt, one per line of FILE, or - for standard input), each\n"
              "         checked with the issuer's keys, with the status the published feed gave it; then\n"
              "         they can be revoked, suspended, superseded or extended by id again.\n"},
    {.name = "show",
     .options = "file png svg terminal invert module margin level pdf dir",
     .run = iss_cmd_show,
     .usage = "  show   --file OUT/<id>.txt [--png FILE] [--svg FILE] [--terminal] [render options]\n"
              "         [--pdf FILE [--dir ISS]]\n"
              "         Renders a QR text again; --pdf: the attestation as a PDF (with --dir, checked\n"
              "         with the issuer's key, with its name and verify address).\n"},
    {.name = "rotate-key",
     .options = "dir passphrase-file kdf pkcs11-module token-label pin-file",
     .run = iss_cmd_rotate_key,
     .usage = "  rotate-key --dir ISS [--kdf ...]\n"
              "         A new signing key (same registry and status list); the old secret key is\n"
              "         destroyed (a key in a token: the new one is made in the same token).\n"
              "         Then the federation adds the new key and retires the old one.\n"},
    {.name = "info",
     .options = "dir",
     .run = iss_cmd_info,
     .usage = "  info   --dir ISS\n"
              "         Prints the issuer id, name, kid, public key and number of attestations.\n"},
    {.name = NULL},
};

static const struct option iss_longopts[] = {
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
    {"verify-base", required_argument, 0, 'V'},
    {"pdf", required_argument, 0, 'G'},
    {"pdf-batch", required_argument, 0, 'Y'},
    {"role", required_argument, 0, ISS_OPT_ROLE},
    {"expires", required_argument, 0, ISS_OPT_EXPIRES},
    {"rate", required_argument, 0, ISS_OPT_RATE},
    {"overlap", required_argument, 0, ISS_OPT_OVERLAP},
    {"pkcs11-module", required_argument, 0, 'E'},
    {"token-label", required_argument, 0, 'O'},
    {"pin-file", required_argument, 0, 'W'},
    {"from", required_argument, 0, ISS_OPT_FROM},
    {"recover-from", required_argument, 0, ISS_OPT_RECOVER_FROM},
    {"admin-listen", required_argument, 0, 'a'},
    {"audit-log", required_argument, 0, 'g'},
    {"keep-files", required_argument, 0, 'k'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static const cli_tool iss_tool = {
    .usage_head = usage_head,
    .commands = iss_commands,
    .usage_tail = usage_tail,
    .longopts = iss_longopts,
};

/* The command's options into o, with the defaults of those not given; or exits. */
static void iss_parse(iss_opts *o, cli_args *args)
{
    memset(o, 0, sizeof *o);
    render_opts_default(&o->render);
    o->kdf = "moderate";
    o->formats = "png,svg,pdf";
    o->heartbeat = 60;
    o->threads = ISS_SERVE_THREADS;
    o->request_timeout = ISS_SERVE_REQUEST_TIMEOUT;
    o->max_per_address = -1;
    o->rate = -1;
    o->keep_files = 24 * 3600;
    int c;
    while ((c = cli_next_option(args)) != -1) {
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
        case 'E':
            o->pkcs11_module = optarg;
            break;
        case 'O':
            o->token_label = optarg;
            break;
        case 'W':
            o->pin_file = optarg;
            break;
        case 'm':
            o->render.module_px = (int)cli_parse_long("--module", optarg, 1, 64);
            break;
        case 'M':
            o->render.margin = (int)cli_parse_long("--margin", optarg, 0, 64);
            break;
        case 'l':
            if (strlen(optarg) != 1 || !strchr("LMQH", optarg[0]))
                cli_fail(ISS_EXIT_USAGE, "--level: expected L, M, Q or H");
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
                cli_fail(ISS_EXIT_USAGE, "at most %d --trusted-proxy addresses", CLIENTADDR_MAX_TRUSTED);
            o->proxies[o->n_proxies++] = optarg;
            break;
        case 'B':
            o->holder_base = optarg;
            break;
        case 'Q':
            o->holder_qr = 1;
            break;
        case 'V':
            o->verify_base = optarg;
            break;
        case 'G':
            o->pdf = optarg;
            break;
        case 'a':
            o->admin_listen = optarg;
            break;
        case 'g':
            o->audit_log = optarg;
            break;
        case 'k': {
            time_duration d;
            if (time_parse_duration(&d, optarg) != 0 || d.unit == 'm' || time_add_duration(0, d) > 30 * 86400)
                cli_fail(ISS_EXIT_USAGE,
                         "--keep-files: expected a duration such as 24h, 2d or 3600s, at most 30d");
            o->keep_files = time_add_duration(0, d);
            break;
        }
        case 'Y':
            o->pdf_batch = optarg;
            break;
        case ISS_OPT_FROM:
            o->from = optarg;
            break;
        case ISS_OPT_RECOVER_FROM:
            if (o->n_recover == ISS_MAX_RECOVER)
                cli_fail(ISS_EXIT_USAGE, "at most %d --recover-from sources", ISS_MAX_RECOVER);
            o->recover[o->n_recover++] = optarg;
            break;
        case 'J':
            if (strcmp(optarg, "json") && strcmp(optarg, "text"))
                cli_fail(ISS_EXIT_USAGE, "--format: expected text or json");
            o->json_out = !strcmp(optarg, "json");
            break;
        case ISS_OPT_ROLE:
            o->role = optarg;
            break;
        case ISS_OPT_EXPIRES:
            o->expires = optarg;
            break;
        case ISS_OPT_RATE:
            o->rate = cli_parse_long("--rate", optarg, 0, CLIENTS_MAX_RATE);
            break;
        case ISS_OPT_OVERLAP:
            o->overlap = optarg;
            break;
        default: /* an option of the table without a case here */
            cli_usage(&iss_tool, stderr, ISS_EXIT_USAGE);
        }
    }
}

int main(int argc, char **argv)
{
    cli_set_program("api-issuer");
    cli_malloc_tune();
    if (sodium_init() < 0) cli_fail(ISS_EXIT_IO, "libsodium failed to start");
    cli_args args;
    const cli_command *cmd = cli_command_find(&args, &iss_tool, argc, argv);
    iss_opts o;
    iss_parse(&o, &args);
    return cmd->run(&o);
}
