/*
 * api-verifier: checks attestations (see docs/man/api-verifier.1).
 *
 *   verify   one QR text (argument, standard input, or a document: a
 *            photo, or a PDF with one attestation or several) against a
 *            trust list signed by a pinned root key, and with --data
 *            against the replica's statuses
 *   sync     pull the trust list and the feeds into the replica
 *   serve    sync in the background, serve the verification API (webapi.h)
 *            and the web pages, and act as a mirror
 *   keys     add, list and revoke the relying parties' API keys of serve;
 *            export and import them, so that several replicas share them
 *
 * The commands are one table (ver_commands: name, options, handler, lines
 * of the usage text), from which common/cli prints the usage, checks the
 * options and finds the handler; the exit codes are VER_EXIT_*, below.
 *
 * The trust list must pass its own checks first (root signature, rules):
 * if it does not, nothing is verified and the exit code is 2. A verdict,
 * whatever it is, is an answer: 0 for valid, 1 for any other. Without a
 * status replica the answer says status_checked: false.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "common/b64url.h"
#include "common/cli.h"
#include "http/clientaddr.h"
#include "common/fs.h"
#include "verifier/document.h"
#include "verifier/image.h"
#include "verifier/pdfread.h"
#include "verifier/service/keystore.h"
#include "qr/qrtext.h"
#include "verifier/receiptkey.h"
#include "verifier/receipttext.h"
#include "verifier/replica.h"
#include "http/httpc.h"
#include "verifier/report.h"
#include "verifier/service/service.h"
#include "verifier/syncer.h"
#include "qr/trust.h"
#include "verifier/verify.h"
#include "verifier/watch.h"
#include "verifier/service/webapi.h"

#define VERIFY_MAX_IMAGE (32u * 1024 * 1024)

/*
 * The exit codes of api-verifier, as its man page's EXIT STATUS has them
 * (and the end of the usage text, command by command):
 *   0  verify: the verdict is valid; sync: every issuer reached (directly
 *      or through a mirror) and the trust list accepted or already held;
 *      serve: stopped by SIGINT or SIGTERM; keys: done (revoking a revoked
 *      key included);
 *   1  verify: any other verdict, malformed and invalid_signature included
 *      (a verdict was printed); sync: an issuer not reached, a fork or a
 *      rollback refused (the replica keeps its previous state);
 *   2  no verdict: a usage error, a root key or a trust list that cannot
 *      be read or fails its own checks, a document that cannot be read
 *      (a PDF damaged, encrypted, of too many pages, or that the renderer
 *      could not draw in time) or without a QR code, standard input that
 *      cannot be read, no memory; serve: also a
 *      replica it cannot open or an address it cannot listen on; keys: an
 *      unknown id;
 *   4  serve: its API keys or its access log cannot be opened; keys: the
 *      key store cannot be opened or written.
 * 2 and 4 are common/cli.h's usage and I/O codes, which its helpers exit
 * with; serve's come from service_run (verifier/service/service.h).
 */
enum {
    VER_EXIT_OK = CLI_OK,       /* 0 */
    VER_EXIT_NOT_VALID = 1,     /* 1 */
    VER_EXIT_ERROR = CLI_USAGE, /* 2 */
    VER_EXIT_IO = CLI_IO,       /* 4 */
};

static const char usage_head[] =
    "Usage: api-verifier COMMAND [OPTIONS]\n"
    "\n"
    "Checks attestations de prolongation d'instruction (API) and keeps a replica of\n"
    "the federation's statuses.\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "  --root FILE      the federation's root public key (base64url), pinned\n"
    "  --trust FILE     the signed trust list (trust-list.cose)\n"
    "  --trust-url URL  the same, fetched over http (e.g. from a mirror)\n"
    "  --data DIR       the replica (LMDB)\n"
    "  --payload TEXT   the QR text, API1:...\n"
    "  --file FILE      the document: a PNG or JPEG photo or scan, or a PDF (told apart by\n"
    "                   their first bytes); its QR codes are read. --image FILE is the same\n"
    "  --render-timeout S  seconds a PDF may take to be drawn, all its pages (default 10)\n"
    "  --pdf-renderer PATH  the program that draws PDF pages in a confined process\n"
    "                   (default: api-pdfrender beside api-verifier, or the installed one)\n"
    "  -                read the QR text from standard input\n"
    "  --json           print the result as JSON (stable field: result)\n"
    "  --at TIME        verify as of TIME: 2026-12-01 (12:00 Paris time that day),\n"
    "                   2026-12-01T10:00:00 (Paris time), 2026-12-01T10:00:00Z,\n"
    "                   2026-12-01T10:00:00+01:00 or @SECONDS (default: now)\n"
    "  --max-staleness D  status older than D (e.g. 24h, 2d) gives status_unknown (default 24h)\n"
    "  --stale-after D  serve: /healthz answers 503 \"stale\" while an issuer's newest status is\n"
    "                   older than D (e.g. 90s, 1h; default: /healthz is 200 with a trust list)\n"
    "  --access-log FILE  one line per request, no personal data (default: standard error)\n"
    "  --anonymous-rate N requests a second per client address without an API key (default 20,\n"
    "                   0: no limit); --rate N is the same for one key (default 100, 0: no limit)\n"
    "  --trusted-proxy ADDR  a reverse proxy whose X-Forwarded-For is believed (repeatable)\n"
    "  --max-body SIZE  largest JSON or text body (default 256K; a batch may be 4 times it)\n"
    "  --max-image SIZE largest image or form body (default 8M)\n"
    "  --threads N      connections served at once (default 256)\n"
    "  --request-timeout S  seconds a client has to send a request's head, then as many for its\n"
    "                   body: a deadline for the whole of each, not for each read (default 10)\n"
    "  --max-connections-per-address N  connections one client address may hold at once\n"
    "                   (default: a quarter of --threads, at most 32; 0: no limit; trusted\n"
    "                   proxies are exempt)\n"
    "  --cors-origin ORIGIN  a web origin (https://host[:port]) whose pages may call the API\n"
    "                   from a browser (repeatable, at most 8; default: none)\n"

    "\n"
    "Verdicts: valid, expired, not_yet_valid, revoked, suspended, superseded,\n"
    "status_unknown, invalid_signature, unknown_issuer, untrusted_issuer, malformed.\n"
    "Without --data, trust, signature and dates are checked and the result says\n"
    "status_checked: false.\n"
    "\n"
    "Exit codes of verify: 0 valid (every attestation of a document valid); 1 any other\n"
    "verdict (including malformed and invalid_signature); 2 usage error, unreadable file\n"
    "(a PDF damaged, encrypted, of more than 10 pages, or not drawn in time), no QR code,\n"
    "or a trust list that fails its own checks.\n"
    "Exit codes of sync: 0 every issuer reached (directly or through a mirror) and the\n"
    "trust list accepted or already held; 1 an issuer not reached, a fork or a rollback\n"
    "refused (the replica keeps its previous state); 2 usage error or no trust list.\n"
    "Exit codes of serve: 0 after SIGINT or SIGTERM, once the requests in progress are answered\n"
    "(SIGHUP reopens the access log and reads the API keys again); 2 usage\n"
    "error, no replica or cannot listen; 3 the receipt key cannot be opened (passphrase); 4 the\n"
    "keys, the receipt key or the access log cannot be opened.\n"

    "Exit codes of keys: 0 done (revoking a revoked key included); 2 usage error, unknown\n"
    "id, or a file that is not an export of keys (import); 4 the key store or the file cannot\n"
    "be opened or written, or the store's keys were made with another salt (import).\n";

/* Options without a short letter (getopt_long values past the characters). */
enum {
    VER_OPT_RECEIPT_KEY = 1000,
    VER_OPT_RECEIPT_ORG,
    VER_OPT_PASSPHRASE_FILE,
    VER_OPT_KEYS,
};

#define VER_MAX_MIRRORS    16
#define VER_MIN_BODY       1024ul
#define VER_MAX_BODY       (64ul << 20)
#define VER_MAX_IMAGE_BODY (128ul << 20)

typedef struct {
    const char *root, *trust, *trust_url, *data, *payload, *image, *at, *listen, *staleness, *web_root;
    const char *pdf_renderer;
    long render_timeout;
    const char *mirrors[VER_MAX_MIRRORS];
    size_t n_mirrors;
    int json, stdin_text, mirrors_only;
    long sync_interval, timeout;
    /* serve */
    const char *access_log;
    const char *proxies[CLIENTADDR_MAX_TRUSTED];
    size_t n_proxies;
    long anonymous_rate, threads, request_timeout, max_per_address;
    long max_watch, ending_soon_days;
    const char *cors[HTTPD_MAX_CORS_ORIGINS + 1];
    size_t n_cors;
    size_t max_body, max_image;
    const char *stale_after;
    /* keys */
    const char *org, *profile, *key_id, *out;
    long rate;
    /* receipts: serve, receipt check, receipt rotate-key */
    const char *receipt_key, *receipt_org, *passphrase_file, *keys_doc;
} ver_opts;

/* An origin as browsers send it: http or https, a host, an optional port, nothing after. */
static int ver_origin_ok(const char *o)
{
    const char *host = !strncmp(o, "https://", 8) ? o + 8 : !strncmp(o, "http://", 7) ? o + 7 : NULL;
    if (!host || strlen(o) > HTTPD_CORS_ORIGIN_MAX) return 0;
    size_t n = 0;
    for (; host[n] && host[n] != ':'; n++) {
        char c = host[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return 0;
    }
    if (n == 0) return 0;
    if (host[n] == ':') {
        const char *p = host + n + 1;
        size_t d = strspn(p, "0123456789");
        if (d == 0 || d > 5 || p[d] != '\0') return 0;
    }
    return 1;
}

/* A size in bytes: digits, then optionally K or M (binary multiples), within [min, max]; or exits. */
static size_t ver_parse_size(const char *option, const char *value, size_t min, size_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    unsigned long long mult = 1;
    if (end != value && (*end == 'K' || *end == 'k')) {
        mult = 1024;
        end++;
    } else if (end != value && (*end == 'M' || *end == 'm')) {
        mult = 1024 * 1024;
        end++;
    }
    if (errno || end == value || *end || value[0] == '-' || v > max / mult || v * mult < min)
        cli_fail(VER_EXIT_ERROR, "%s: expected a size from %zuK to %zuM (e.g. 256K, 8M), got '%s'", option,
                 min / 1024, max >> 20, value);
    return (size_t)(v * mult);
}

/* What verify, sync and serve need: the root key, and one source of the trust list at most. */
static void ver_require_root(const ver_opts *o)
{
    if (!o->root) cli_fail(VER_EXIT_ERROR, "--root ROOT.pub is required");
    if (o->trust && o->trust_url) cli_fail(VER_EXIT_ERROR, "give --trust FILE or --trust-url URL, not both");
}

/* What sync and serve need besides: the replica, a trust list, a mirror for --mirrors-only. */
static void ver_require_sync(const ver_opts *o)
{
    ver_require_root(o);
    if (!o->data) cli_fail(VER_EXIT_ERROR, "--data DIR is required");
    if (!o->trust && !o->trust_url) cli_fail(VER_EXIT_ERROR, "--trust FILE or --trust-url URL is required");
    if (o->mirrors_only && o->n_mirrors == 0)
        cli_fail(VER_EXIT_ERROR, "--mirrors-only needs at least one --from");
}

static void ver_root(uint8_t root[COSE_PK_LEN], const ver_opts *o)
{
    api_err e = b64url_read_key_file(root, o->root);
    if (e != API_OK)
        cli_fail(VER_EXIT_ERROR, "%s: not a root public key file (%s)", o->root, api_strerror(e));
}

static int64_t ver_staleness(const ver_opts *o)
{
    if (!o->staleness) return REPLICA_DEFAULT_MAX_STALENESS;
    time_duration d;
    if (time_parse_duration(&d, o->staleness) != 0 || d.unit == 'm')
        cli_fail(VER_EXIT_ERROR, "--max-staleness: expected a duration such as 24h, 2d or 3600s");
    return time_add_duration(0, d);
}

/* A duration of elapsed time (seconds, hours, days, weeks; not months) in seconds, or -1. */
static int64_t ver_seconds(const char *v)
{
    time_duration d;
    if (time_parse_duration(&d, v) != 0 || d.unit == 'm') return -1;
    int64_t s = time_add_duration(0, d);
    return s > 0 ? s : -1;
}

/* --stale-after: seconds, or 0 when not given. */
static int64_t ver_stale_after(const ver_opts *o)
{
    if (!o->stale_after) return 0;
    int64_t s = ver_seconds(o->stale_after);
    if (s < 0) cli_fail(VER_EXIT_ERROR, "--stale-after: expected a duration such as 90s, 600s or 1h");
    return s;
}

static replica *ver_open_replica(const ver_opts *o)
{
    replica *r;
    if (fs_mkdirs(o->data, 0700) != API_OK) cli_fail(VER_EXIT_ERROR, "cannot create %s", o->data);
    api_err e = replica_open(&r, o->data);
    if (e == API_OK) watch_set_ending_soon(r, (int)o->ending_soon_days);
    if (e != API_OK) cli_fail(VER_EXIT_ERROR, "cannot open the replica in %s: %s", o->data, api_strerror(e));
    return r;
}

static void ver_load_trust_file(trust_list *tl, const ver_opts *o)
{
    uint8_t root[COSE_PK_LEN];
    ver_root(root, o);
    uint8_t *data;
    size_t len;
    api_err e = fs_read_file(&data, &len, o->trust, TRUST_MAX_COSE);
    if (e != API_OK) cli_fail(VER_EXIT_ERROR, "cannot read the trust list %s: %s", o->trust, api_strerror(e));
    char err[256];
    e = trust_verify(tl, err, sizeof err, data, len, root);
    free(data);
    if (e != API_OK) cli_fail(VER_EXIT_ERROR, "the trust list %s is refused: %s", o->trust, err);
}

/*
 * Compiled-in defaults of the installed program (make PDFRENDER_DEFAULT=...
 * WEB_ROOT_DEFAULT=..., as the Debian packages are built): where the
 * renderer and the web pages are when no option names them. A build-tree
 * program has none: the renderer beside it, no web pages.
 */
#ifndef API_PDFRENDER_DEFAULT
#define API_PDFRENDER_DEFAULT ""
#endif
#ifndef API_WEB_ROOT_DEFAULT
#define API_WEB_ROOT_DEFAULT ""
#endif

/* The renderer: --pdf-renderer, the installed one, or api-pdfrender beside this program. */
static const char *ver_renderer(const ver_opts *o)
{
    static char beside[4096];
    if (o->pdf_renderer) return o->pdf_renderer;
    if (API_PDFRENDER_DEFAULT[0]) return API_PDFRENDER_DEFAULT;
    if (pdfread_default_renderer(beside, sizeof beside) != 0) return NULL;
    return beside;
}

/* The QR text of a photo (PNG or JPEG; data is freed), malloc'd; exits when there is none. */
static char *ver_image_text(const ver_opts *o, uint8_t *data, size_t dlen, size_t *len)
{
    char *text = malloc(QRTEXT_MAX_TEXT + 1);
    if (!text) cli_fail(VER_EXIT_ERROR, "out of memory");
    api_err e = image_read_qr(text, QRTEXT_MAX_TEXT + 1, len, data, dlen);
    free(data);
    if (e != API_OK) {
        free(text);
        cli_fail(VER_EXIT_ERROR, "%s: %s", o->image, api_strerror(e));
    }
    return text;
}

/* The QR text to verify, malloc'd; trailing line ends removed (spaces are Base45). */
static char *ver_read_text(const ver_opts *o, size_t *len)
{
    if (o->payload) {
        *len = strlen(o->payload);
        return strdup(o->payload);
    }
    uint8_t *data;
    api_err e = fs_read_stream(&data, len, 0, QRTEXT_MAX_TEXT * 4);
    if (e == API_ERR_TOO_LARGE) return NULL; /* too long to be a QR text: a verdict, not an error */
    if (e != API_OK) cli_fail(VER_EXIT_ERROR, "cannot read standard input");
    while (*len && (data[*len - 1] == '\n' || data[*len - 1] == '\r')) data[--*len] = '\0';
    return (char *)data;
}

/* One report, as text or JSON, with the page it is on when page > 0. */
static void ver_print(const ver_opts *o, const verify_result *res, const verify_ctx *ctx)
{
    if (o->json) {
        cJSON *j = report_json(res, ctx, REPORT_FULL);
        char *s = j ? cJSON_Print(j) : NULL;
        if (!s) cli_fail(VER_EXIT_ERROR, "out of memory");
        puts(s);
        free(s);
        cJSON_Delete(j);
    } else {
        report_text(stdout, res, ctx);
    }
}

/*
 * The attestations of a PDF: one report each, in page order. One
 * attestation prints as a photo's does; several print as a JSON array of
 * reports, each with its "page", or as texts under "Page N". The exit
 * code is 0 when every one is valid.
 */
static int ver_verify_document(const ver_opts *o, const verify_ctx *ctx, const uint8_t *data, size_t len)
{
    document_config dc = {.renderer = ver_renderer(o), .timeout_ms = (int)o->render_timeout * 1000};
    document doc;
    if (document_read(&doc, &dc, data, len) != DOCUMENT_OK) {
        char why[256];
        document_describe(why, sizeof why, &doc);
        document_free(&doc);
        cli_fail(VER_EXIT_ERROR, "%s: %s", o->image, why);
    }
    document_result *res;
    size_t n;
    api_err e = document_verify(&res, &n, &doc, ctx);
    document_free(&doc);
    if (e != API_OK) cli_fail(VER_EXIT_ERROR, "%s: %s", o->image, api_strerror(e));
    int all_valid = 1;
    for (size_t i = 0; i < n; i++) all_valid &= res[i].res.verdict == VERDICT_VALID;
    if (n == 1) {
        ver_print(o, &res[0].res, ctx);
    } else if (o->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && i < n; i++) {
            cJSON *j = report_json(&res[i].res, ctx, REPORT_FULL);
            if (!j || !cJSON_AddNumberToObject(j, "page", res[i].page) || !cJSON_AddItemToArray(a, j)) {
                cJSON_Delete(j);
                cJSON_Delete(a);
                a = NULL;
            }
        }
        char *s = a ? cJSON_Print(a) : NULL;
        cJSON_Delete(a);
        if (!s) cli_fail(VER_EXIT_ERROR, "out of memory");
        puts(s);
        free(s);
    } else {
        printf("%zu attestations dans ce document / %zu attestations in this document\n", n, n);
        for (size_t i = 0; i < n; i++) {
            printf("\nPage %u\n", res[i].page);
            report_text(stdout, &res[i].res, ctx);
        }
    }
    free(res);
    return all_valid ? VER_EXIT_OK : VER_EXIT_NOT_VALID;
}

static int ver_cmd_verify(const void *opts)
{
    const ver_opts *o = opts;
    ver_require_root(o);
    if (!o->trust && !o->data)
        cli_fail(VER_EXIT_ERROR, "--trust TRUST-LIST.cose (or --data DIR) is required");
    if ((o->payload != NULL) + (o->image != NULL) + o->stdin_text != 1)
        cli_fail(VER_EXIT_ERROR, "give exactly one of --payload TEXT, --image FILE or -");
    trust_list tl;
    replica *r = NULL;
    verify_ctx ctx = {.tl = &tl};
    if (o->at && time_parse_instant(&ctx.now, o->at) != 0)
        cli_fail(VER_EXIT_ERROR, "--at: not a date or time: '%s'", o->at);
    if (!o->at) ctx.now = cli_now();
    if (o->data) {
        r = ver_open_replica(o);
        if (o->trust) {
            /* A newer list is taken into the replica; an older one is refused, the held one is used. */
            uint8_t root[COSE_PK_LEN], *data;
            size_t len;
            char err[256];
            ver_root(root, o);
            if (fs_read_file(&data, &len, o->trust, TRUST_MAX_COSE) != API_OK)
                cli_fail(VER_EXIT_ERROR, "cannot read the trust list %s", o->trust);
            if (replica_offer_trust(r, data, len, root, err, sizeof err) != API_OK)
                cli_warn("the trust list %s is not taken: %s", o->trust, err);
            free(data);
        }
        if (replica_trust(r, &tl) != API_OK)
            cli_fail(VER_EXIT_ERROR,
                     "the replica in %s holds no trust list: run 'sync' first, or give --trust", o->data);
        ctx.status_fn = replica_status;
        ctx.status_arg = r;
        ctx.max_staleness = ver_staleness(o);
    } else {
        ver_load_trust_file(&tl, o);
    }
    size_t len;
    char *text;
    if (o->image) { /* a document: a photo, or a PDF with one attestation or several */
        uint8_t *data;
        api_err e = fs_read_file(&data, &len, o->image, VERIFY_MAX_IMAGE);
        if (e != API_OK) cli_fail(VER_EXIT_ERROR, "cannot read the image %s: %s", o->image, api_strerror(e));
        if (document_kind_of(data, len) == DOCUMENT_PDF) {
            int rc = ver_verify_document(o, &ctx, data, len);
            free(data);
            trust_free(&tl);
            replica_close(r);
            return rc;
        }
        text = ver_image_text(o, data, len, &len);
    } else {
        text = ver_read_text(o, &len);
    }
    verify_result res;
    if (text)
        verify_qrtext(&res, &ctx, text, len);
    else
        verify_malformed(&res, API_ERR_TOO_LARGE);
    free(text);
    ver_print(o, &res, &ctx);
    trust_free(&tl);
    replica_close(r);
    return res.verdict == VERDICT_VALID ? VER_EXIT_OK : VER_EXIT_NOT_VALID;
}

static void ver_sync_config(syncer_config *sc, const ver_opts *o)
{
    memset(sc, 0, sizeof *sc);
    ver_root(sc->root_pk, o);
    sc->trust_file = o->trust;
    sc->trust_url = o->trust_url;
    sc->mirrors = o->mirrors;
    sc->n_mirrors = o->n_mirrors;
    sc->mirrors_only = o->mirrors_only;
    sc->timeout_ms = (int)o->timeout * 1000;
}

static int ver_cmd_sync(const void *opts)
{
    const ver_opts *o = opts;
    ver_require_sync(o);
    syncer_config sc;
    ver_sync_config(&sc, o);
    replica *r = ver_open_replica(o);
    syncer_result res;
    api_err e = syncer_run(r, &sc, cli_now(), stdout, &res);
    size_t told = 0;
    if (e != API_ERR_TRUST_LIST && watch_tick(r, cli_now(), &told) != API_OK)
        fprintf(stderr, "%s: the followed attestations could not be brought up to date\n", cli_program());
    else if (told)
        printf("followed attestations: %zu changes of time (ending soon, ended)\n", told);
    replica_counters counters;
    if (replica_get_counters(r, &counters) == API_OK && (counters.forks || counters.rollbacks))
        printf("forks detected: %llu, rollbacks refused: %llu (since this replica was created)\n",
               (unsigned long long)counters.forks, (unsigned long long)counters.rollbacks);
    replica_close(r);
    if (e == API_ERR_TRUST_LIST) return VER_EXIT_ERROR;
    size_t missing = 0;
    for (size_t i = 0; i < res.feeds.n; i++) missing += !res.feeds.issuers[i].reached;
    printf("sync %s: %zu issuers, %zu reached%s\n", e == API_OK ? "complete" : "INCOMPLETE", res.feeds.n,
           res.feeds.n - missing, res.trust_refused ? ", trust list refused" : "");
    return e == API_OK ? VER_EXIT_OK : VER_EXIT_NOT_VALID;
}

/* ---- serve: the configuration file read again on SIGHUP ---- */

#define VER_DEFAULT_SYNC_INTERVAL 60

static const struct option *ver_options;         /* ver_longopts, below */
static const char *ver_config_path;              /* --config FILE of this run, or NULL */
static int ver_cli_sync_interval, ver_cli_stale; /* given on the command line: they win over the file */

/* Whether argv (the command line as typed) gives --name or --name=VALUE. */
static int ver_argv_has(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--", 2) && !strncmp(argv[i] + 2, name, n) &&
            (argv[i][2 + n] == '\0' || argv[i][2 + n] == '='))
            return 1;
    return 0;
}

/*
 * service_config.reread: sync-interval and stale-after from the file again
 * (their defaults when the file no longer names them), each unless the
 * command line gave it. Never exits: a bad file leaves live as it was.
 */
static int ver_reread(service_live *live, char *err, size_t errcap)
{
    cli_config cc;
    if (cli_config_read(&cc, ver_config_path, ver_options, err, errcap) != 0) return -1;
    service_live next = {
        .sync_interval = ver_cli_sync_interval ? live->sync_interval : VER_DEFAULT_SYNC_INTERVAL,
        .stale_after = ver_cli_stale ? live->stale_after : 0,
    };
    int rc = 0;
    for (size_t i = 0; i < cc.n && rc == 0; i++) {
        const char *name = cc.entries[i].option->name, *v = cc.entries[i].value ? cc.entries[i].value : "";
        if (!strcmp(name, "sync-interval") && !ver_cli_sync_interval) {
            char *end;
            errno = 0;
            long x = strtol(v, &end, 10);
            if (errno || end == v || *end || x < 1 || x > 86400) {
                snprintf(err, errcap, "%s:%d: sync-interval: expected 1 to 86400 seconds", ver_config_path,
                         cc.entries[i].line);
                rc = -1;
            } else {
                next.sync_interval = x;
            }
        } else if (!strcmp(name, "stale-after") && !ver_cli_stale) {
            int64_t secs = ver_seconds(v);
            if (secs < 0) {
                snprintf(err, errcap, "%s:%d: stale-after: expected a duration such as 90s, 600s or 1h",
                         ver_config_path, cc.entries[i].line);
                rc = -1;
            } else {
                next.stale_after = secs;
            }
        }
    }
    cli_config_free(&cc);
    if (rc == 0) *live = next;
    return rc;
}

/* The receipt key file: --receipt-key FILE, or DATA/receipt-key. */
static const char *ver_receipt_key_path(const ver_opts *o)
{
    static char path[RECEIPTKEY_PATH_MAX];
    if (o->receipt_key) return o->receipt_key;
    if (!o->data) cli_fail(VER_EXIT_ERROR, "--data DIR or --receipt-key FILE is required");
    if (fs_mkdirs(o->data, 0700) != API_OK) cli_fail(VER_EXIT_IO, "cannot create %s", o->data);
    if (fs_join(path, sizeof path, o->data, RECEIPTKEY_FILE) != 0)
        cli_fail(VER_EXIT_ERROR, "--data: path too long");
    return path;
}

/* serve's receipt key, made at the first start (receiptkey.h); or exits. */
static receiptkey *ver_open_receipt_key(const ver_opts *o)
{
    const char *path = ver_receipt_key_path(o);
    receiptkey *k;
    int created;
    char err[512] = "";
    api_err e =
        receiptkey_open(&k, &created, path, o->receipt_org, o->passphrase_file, cli_now(), err, sizeof err);
    if (e != API_OK)
        cli_fail(e == API_ERR_ARG ? VER_EXIT_ERROR : cli_code_for(e), "%s", err[0] ? err : api_strerror(e));
    fprintf(stderr, "%s: receipts signed as \"%s\" with key %s (%s)%s\n", cli_program(), receiptkey_org(k),
            receiptkey_kid_hex(k), path, created ? ", made now" : "");
    return k;
}

static int ver_cmd_serve(const void *opts)
{
    const ver_opts *o = opts;
    ver_require_sync(o);
    if (!o->listen) cli_fail(VER_EXIT_ERROR, "--listen ADDR:PORT is required");
    static service_config cfg; /* large (the proxies' table); lives as long as the service */
    memset(&cfg, 0, sizeof cfg);
    ver_sync_config(&cfg.sync, o);
    cfg.listen = o->listen;
    cfg.sync_interval = o->sync_interval;
    cfg.max_staleness = ver_staleness(o);
    cfg.stale_after = ver_stale_after(o);
    cfg.reread = ver_config_path ? ver_reread : NULL;
    cfg.threads = (int)o->threads;
    cfg.web_root = o->web_root ? o->web_root : API_WEB_ROOT_DEFAULT[0] ? API_WEB_ROOT_DEFAULT : NULL;
    cfg.access_log = o->access_log;
    cfg.anonymous_rate = (double)o->anonymous_rate;
    cfg.max_body = o->max_body;
    cfg.max_image = o->max_image;
    cfg.pdf_renderer = ver_renderer(o);
    cfg.render_timeout_ms = (int)o->render_timeout * 1000;
    cfg.request_timeout = o->request_timeout;
    cfg.max_per_address = (int)o->max_per_address;
    cfg.cors_origins = o->n_cors ? o->cors : NULL;
    cfg.max_watch = (uint64_t)o->max_watch;
    for (size_t i = 0; i < o->n_proxies; i++)
        if (clientaddr_parse(cfg.trusted_proxies[i], o->proxies[i], strlen(o->proxies[i])) != 0)
            cli_fail(VER_EXIT_ERROR, "--trusted-proxy: not an IP address: '%s'", o->proxies[i]);
    cfg.n_trusted_proxies = o->n_proxies;
    static char access_dir[4096];
    if (fs_join(access_dir, sizeof access_dir, o->data, "access") != 0)
        cli_fail(VER_EXIT_ERROR, "--data: path too long");
    cfg.access_dir = access_dir;
    replica *r = ver_open_replica(o);
    receiptkey *rk = ver_open_receipt_key(o);
    cfg.receipts = rk;
    int rc = service_run(r, &cfg);
    receiptkey_free(rk);
    replica_close(r);
    return rc;
}

/* ---- keys ---- */

/* What every keys command needs: the folder of the store. */
static void ver_require_keys(const ver_opts *o)
{
    if (!o->data) cli_fail(VER_EXIT_ERROR, "--data DIR is required");
}

static keystore *ver_open_keys(const ver_opts *o)
{
    char dir[4096];
    if (fs_join(dir, sizeof dir, o->data, "access") != 0) cli_fail(VER_EXIT_ERROR, "--data: path too long");
    if (fs_mkdirs(o->data, 0700) != API_OK) cli_fail(VER_EXIT_IO, "cannot create %s", o->data);
    keystore *ks;
    api_err e = keystore_open(&ks, dir);
    if (e != API_OK) cli_fail(VER_EXIT_IO, "cannot open the API keys in %s: %s", dir, api_strerror(e));
    return ks;
}

/* An instant for a listing, or "-" for none. */
static void ver_instant(char out[21], int64_t t)
{
    if (t)
        time_format_utc(out, t);
    else
        snprintf(out, 21, "-");
}

static int ver_cmd_keys_add(const void *opts)
{
    const ver_opts *o = opts;
    ver_require_keys(o);
    if (!o->org || !o->profile)
        cli_fail(VER_EXIT_ERROR, "keys add needs --org NAME and --profile social|employer|bank|landlord");
    keystore_profile p;
    if (keystore_profile_parse(&p, o->profile) != 0)
        cli_fail(VER_EXIT_ERROR, "--profile: expected social, employer, bank or landlord, got '%s'",
                 o->profile);
    keystore *ks = ver_open_keys(o);
    char key[KEYSTORE_TEXT_LEN + 1];
    keystore_record rec;
    api_err e = keystore_add(ks, key, &rec, o->org, p, (uint32_t)o->rate, cli_now());
    keystore_close(ks);
    if (e == API_ERR_ARG)
        cli_fail(VER_EXIT_ERROR, "--org: 1 to 127 bytes of UTF-8 text, without control characters");
    if (e != API_OK) cli_fail(VER_EXIT_IO, "cannot add the key: %s", api_strerror(e));
    puts(key);
    fflush(stdout);
    sodium_memzero(key, sizeof key);
    char rate[40];
    if (rec.rate)
        snprintf(rate, sizeof rate, "%u requests a second", rec.rate);
    else
        snprintf(rate, sizeof rate, "no rate limit");
    fprintf(stderr, "%s: key %s for \"%s\" (profile %s, %s). It is shown once: only its hash is kept.\n",
            cli_program(), rec.id, rec.org, keystore_profile_name(rec.profile), rate);
    return VER_EXIT_OK;
}

static int ver_cmd_keys_list(const void *opts)
{
    const ver_opts *o = opts;
    ver_require_keys(o);
    keystore *ks = ver_open_keys(o);
    keystore_record *recs;
    size_t n;
    api_err e = keystore_list(ks, &recs, &n);
    keystore_close(ks);
    if (e != API_OK) cli_fail(VER_EXIT_IO, "cannot read the API keys: %s", api_strerror(e));
    char created[21], revoked[21];
    if (o->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && i < n; i++) {
            cJSON *k = cJSON_CreateObject();
            if (!k || !cJSON_AddItemToArray(a, k)) {
                cJSON_Delete(k);
                break;
            }
            ver_instant(created, recs[i].created);
            cJSON_AddStringToObject(k, "id", recs[i].id);
            cJSON_AddStringToObject(k, "org", recs[i].org);
            cJSON_AddStringToObject(k, "profile", keystore_profile_name(recs[i].profile));
            cJSON_AddNumberToObject(k, "rate", recs[i].rate);
            cJSON_AddStringToObject(k, "created", created);
            if (recs[i].revoked) {
                ver_instant(revoked, recs[i].revoked);
                cJSON_AddStringToObject(k, "revoked", revoked);
            } else {
                cJSON_AddNullToObject(k, "revoked");
            }
        }
        char *s = a ? cJSON_Print(a) : NULL;
        cJSON_Delete(a);
        if (!s) cli_fail(VER_EXIT_IO, "out of memory");
        puts(s);
        free(s);
    } else {
        printf("%-8s  %-8s  %6s  %-20s  %-20s  %s\n", "ID", "PROFILE", "RATE", "CREATED", "REVOKED",
               "ORGANISATION");
        for (size_t i = 0; i < n; i++) {
            ver_instant(created, recs[i].created);
            ver_instant(revoked, recs[i].revoked);
            printf("%-8s  %-8s  %6u  %-20s  %-20s  %s\n", recs[i].id, keystore_profile_name(recs[i].profile),
                   recs[i].rate, created, revoked, recs[i].org);
        }
    }
    free(recs);
    return VER_EXIT_OK;
}

static int ver_cmd_keys_revoke(const void *opts)
{
    const ver_opts *o = opts;
    ver_require_keys(o);
    if (!o->key_id) cli_fail(VER_EXIT_ERROR, "keys revoke needs --id ID (see keys list)");
    keystore *ks = ver_open_keys(o);
    keystore_record rec;
    char when[21];
    api_err e = keystore_revoke(ks, o->key_id, cli_now(), &rec);
    keystore_close(ks);
    if (e == API_ERR_NOT_FOUND) cli_fail(VER_EXIT_ERROR, "no key with id '%s' (see keys list)", o->key_id);
    if (e == API_ERR_EXISTS) {
        ver_instant(when, rec.revoked);
        printf("key %s (%s) was already revoked on %s\n", rec.id, rec.org, when);
        return VER_EXIT_OK;
    }
    if (e != API_OK) cli_fail(VER_EXIT_IO, "cannot revoke the key: %s", api_strerror(e));
    ver_instant(when, rec.revoked);
    printf("key %s (%s) revoked on %s\n", rec.id, rec.org, when);
    return VER_EXIT_OK;
}

static int ver_cmd_keys_export(const void *opts)
{
    const ver_opts *o = opts;
    ver_require_keys(o);
    if (!o->out) cli_fail(VER_EXIT_ERROR, "keys export needs --out FILE");
    keystore *ks = ver_open_keys(o);
    char *text;
    size_t len;
    api_err e = keystore_export(ks, &text, &len);
    keystore_close(ks);
    if (e != API_OK) cli_fail(VER_EXIT_IO, "cannot read the API keys: %s", api_strerror(e));
    e = fs_write_atomic(o->out, text, len, 0600, 0);
    sodium_memzero(text, len);
    free(text);
    if (e != API_OK) cli_fail(VER_EXIT_IO, "cannot write %s: %s", o->out, api_strerror(e));
    fprintf(stderr,
            "%s: the API keys written to %s (mode 0600). It holds the store's secrets: move it as you would "
            "a private key, and delete it once imported.\n",
            cli_program(), o->out);
    return VER_EXIT_OK;
}

static int ver_cmd_keys_import(const void *opts)
{
    const ver_opts *o = opts;
    ver_require_keys(o);
    if (o->n_mirrors != 1) cli_fail(VER_EXIT_ERROR, "keys import needs --from FILE (once)");
    uint8_t *data;
    size_t len;
    api_err e = fs_read_file(&data, &len, o->mirrors[0], (size_t)KEYSTORE_MAX_KEYS * 512);
    if (e != API_OK) cli_fail(VER_EXIT_IO, "cannot read %s: %s", o->mirrors[0], api_strerror(e));
    keystore *ks = ver_open_keys(o);
    keystore_import_report rep;
    char err[256];
    e = keystore_import(ks, (const char *)data, len, &rep, err, sizeof err);
    keystore_close(ks);
    sodium_memzero(data, len);
    free(data);
    if (e == API_ERR_ARG) cli_fail(VER_EXIT_ERROR, "%s: %s", o->mirrors[0], err);
    if (e == API_ERR_EXISTS) cli_fail(VER_EXIT_IO, "%s: %s", o->mirrors[0], err);
    if (e != API_OK) cli_fail(VER_EXIT_IO, "cannot import the API keys: %s", api_strerror(e));
    printf("keys imported: %zu added, %zu revoked, %zu updated, %zu unchanged%s\n", rep.added, rep.revoked,
           rep.updated, rep.unchanged, rep.secrets_taken ? " (the store took the export's salt)" : "");
    return VER_EXIT_OK;
}

/* ---- receipts ---- */

/* The text of a receipt: --payload, standard input, or --file (the text, or a PNG, JPEG or PDF holding its QR
 * code), malloc'd. */
static char *ver_receipt_text(const ver_opts *o, size_t *len)
{
    if ((o->payload != NULL) + (o->image != NULL) + o->stdin_text != 1)
        cli_fail(VER_EXIT_ERROR, "give the receipt once: --file FILE, --payload TEXT or - (standard input)");
    if (o->payload) {
        *len = strlen(o->payload);
        return strdup(o->payload);
    }
    uint8_t *data;
    api_err e = o->stdin_text ? fs_read_stream(&data, len, 0, VERIFY_MAX_IMAGE)
                              : fs_read_file(&data, len, o->image, VERIFY_MAX_IMAGE);
    if (e != API_OK)
        cli_fail(VER_EXIT_ERROR, "cannot read %s: %s", o->stdin_text ? "standard input" : o->image,
                 api_strerror(e));
    if (document_kind_of(data, *len) == DOCUMENT_UNKNOWN) { /* the text itself */
        while (*len && (data[*len - 1] == '\n' || data[*len - 1] == '\r')) data[--*len] = '\0';
        return (char *)data;
    }
    document_config dc = {.renderer = ver_renderer(o), .timeout_ms = (int)o->render_timeout * 1000};
    document doc;
    document_status st = document_read(&doc, &dc, data, *len);
    free(data);
    if (st != DOCUMENT_OK) {
        char why[256];
        document_describe(why, sizeof why, &doc);
        document_free(&doc);
        cli_fail(VER_EXIT_ERROR, "%s: %s", o->image ? o->image : "standard input", why);
    }
    char *text = NULL;
    for (size_t i = 0; i < doc.n_codes && !text; i++)
        if (doc.codes[i].len >= QRTEXT_PREFIX_LEN &&
            memcmp(doc.codes[i].text, RECEIPT_PREFIX, QRTEXT_PREFIX_LEN) == 0) {
            text = strndup(doc.codes[i].text, doc.codes[i].len);
            *len = doc.codes[i].len;
        }
    document_free(&doc);
    if (!text)
        cli_fail(VER_EXIT_ERROR, "%s: no verification receipt (APR1:) among its QR codes",
                 o->image ? o->image : "standard input");
    return text;
}

/* The keys to check against: --keys (a receipt-keys document, a file or an http:// URL), or the receipt
 * signers of the trust list (--root, --trust). */
static receipt_key *ver_receipt_keys(const ver_opts *o, size_t *n)
{
    receipt_key *keys;
    if (!o->keys_doc == !(o->root || o->trust))
        cli_fail(VER_EXIT_ERROR, "give --keys FILE_OR_URL, or --root ROOT.pub --trust TRUST-LIST.cose");
    if (!o->keys_doc) {
        if (!o->root || !o->trust)
            cli_fail(VER_EXIT_ERROR, "--root ROOT.pub and --trust TRUST-LIST.cose go together");
        trust_list tl;
        ver_load_trust_file(&tl, o);
        api_err e = receiptkeys_from_trust(&keys, n, &tl);
        trust_free(&tl);
        if (e != API_OK) cli_fail(VER_EXIT_ERROR, "out of memory");
        return keys;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    httpc_response resp;
    int url = strncmp(o->keys_doc, "http://", 7) == 0 || strncmp(o->keys_doc, "https://", 8) == 0;
    if (url) {
        api_err e = httpc_get(&resp, o->keys_doc, RECEIPTKEY_DOC_MAX, (int)o->timeout * 1000);
        if (e == API_ERR_ARG)
            cli_fail(VER_EXIT_ERROR,
                     "--keys: cannot fetch %s (https goes through a local proxy, as for sync)", o->keys_doc);
        if (e != API_OK || resp.status != 200) {
            int status = e == API_OK ? resp.status : 0;
            if (e == API_OK) httpc_response_free(&resp);
            cli_fail(VER_EXIT_ERROR, "--keys: cannot fetch %s (%s%d)", o->keys_doc,
                     e == API_OK ? "HTTP " : "", e == API_OK ? status : 0);
        }
        data = resp.body;
        len = resp.len;
    } else {
        api_err e = fs_read_file(&data, &len, o->keys_doc, RECEIPTKEY_DOC_MAX);
        if (e != API_OK) cli_fail(VER_EXIT_ERROR, "cannot read %s: %s", o->keys_doc, api_strerror(e));
    }
    char verifier[RECEIPT_ORG_MAX], err[256] = "";
    api_err e = receiptkeys_parse(&keys, n, verifier, (const char *)data, len, err, sizeof err);
    if (url)
        httpc_response_free(&resp);
    else
        free(data);
    if (e != API_OK)
        cli_fail(VER_EXIT_ERROR, "%s is not a receipt-keys document: %s", o->keys_doc,
                 err[0] ? err : api_strerror(e));
    return keys;
}

static int ver_cmd_receipt_check(const void *opts)
{
    const ver_opts *o = opts;
    size_t n, len;
    receipt_key *keys = ver_receipt_keys(o, &n);
    char *text = ver_receipt_text(o, &len);
    api_receipt r;
    const receipt_key *key;
    receipt_check c = receipt_verify(&r, &key, NULL, text, len, keys, n);
    free(text);
    if (o->json) {
        cJSON *j = receipttext_json(c, &r, key);
        char *s = j ? cJSON_Print(j) : NULL;
        cJSON_Delete(j);
        if (!s) cli_fail(VER_EXIT_ERROR, "out of memory");
        puts(s);
        free(s);
    } else {
        receipttext_print(stdout, c, &r, key);
    }
    free(keys);
    return c == RECEIPT_VALID ? VER_EXIT_OK : VER_EXIT_NOT_VALID;
}

static int ver_cmd_receipt_rotate(const void *opts)
{
    const ver_opts *o = opts;
    const char *path = ver_receipt_key_path(o);
    char old_kid[17], new_kid[17], err[512] = "";
    api_err e = receiptkey_rotate(path, o->receipt_org, o->passphrase_file, cli_now(), old_kid, new_kid, err,
                                  sizeof err);
    if (e != API_OK)
        cli_fail(e == API_ERR_ARG ? VER_EXIT_ERROR : cli_code_for(e), "%s", err[0] ? err : api_strerror(e));
    if (old_kid[0])
        printf(
            "receipt key %s retired, new key %s in %s (public key %s.pub); restart serve to sign with it\n",
            old_kid, new_kid, path, path);
    else
        printf("receipt key %s made in %s (public key %s.pub)\n", new_kid, path, path);
    return VER_EXIT_OK;
}

/* The commands, in the order of the usage text. */
static const cli_command ver_commands[] = {
    {.name = "verify",
     .options = "root trust data payload image file at json max-staleness render-timeout pdf-renderer",
     .stdin_dash = 1,
     .run = ver_cmd_verify,
     .usage = "  verify --root ROOT.pub [--trust TRUST-LIST.cose] [--data DIR]\n"
              "         (--payload TEXT | --file FILE | -) [--json] [--at TIME] [--max-staleness 24h]\n"
              "         [--render-timeout SECONDS] [--pdf-renderer PATH]\n"
              "      Checks one attestation: the trust list's signature against the pinned root key,\n"
              "      the attestation's signature, its issuer and its dates; with --data, also its\n"
              "      status (revoked, suspended, superseded, extended) from the replica in DIR.\n"
              "      --file takes a PNG or JPEG photo or a PDF (at most 10 pages, drawn by a confined\n"
              "      renderer): each attestation of a PDF gets its report, in page order.\n"},
    {.name = "sync",
     .options = "root trust trust-url data from mirrors-only timeout ending-soon-days",
     .run = ver_cmd_sync,
     .usage = "  sync   --root ROOT.pub --data DIR (--trust FILE | --trust-url URL) [--from URL ...]\n"
              "         [--mirrors-only] [--timeout SECONDS]\n"
              "      Pulls the trust list and every issuer's feed (from the issuer, then from each\n"
              "      mirror given with --from) into the replica in DIR, checking every signature,\n"
              "      the chain and the sequence numbers; refuses rollbacks and forks.\n"},
    {.name = "serve",
     .options = "root trust trust-url data from mirrors-only listen sync-interval max-staleness web-root "
                "access-log anonymous-rate trusted-proxy max-body max-image threads request-timeout "
                "max-connections-per-address cors-origin render-timeout pdf-renderer stale-after max-watch "
                "ending-soon-days receipt-key receipt-org passphrase-file",
     .run = ver_cmd_serve,
     .usage =
         "  serve  --root ROOT.pub --data DIR (--trust FILE | --trust-url URL) --listen ADDR:PORT\n"
         "         [--sync-interval SECONDS] [--from URL ...] [--mirrors-only] [--max-staleness 24h]\n"
         "         [--web-root DIR] [--access-log FILE] [--anonymous-rate N] [--trusted-proxy ADDR ...]\n"
         "         [--max-body SIZE] [--max-image SIZE] [--threads N] [--request-timeout SECONDS]\n"
         "         [--max-connections-per-address N] [--cors-origin ORIGIN ...]\n"
         "         [--render-timeout SECONDS] [--pdf-renderer PATH] [--stale-after D]\n"
         "         [--max-watch N] [--ending-soon-days N] [--receipt-key FILE] [--receipt-org NAME]\n"
         "         [--passphrase-file FILE]\n"
         "      Syncs in the background and serves the verification API: POST /api/v1/verify,\n"
         "      POST /api/v1/verify/batch, GET /api/v1/trust-list, GET /api/v1/bundle, GET /healthz,\n"
         "      GET /metrics, GET /api/v1/receipt-keys; for social keys, POST/GET /api/v1/watch,\n"
         "      GET/DELETE /api/v1/watch/ID and GET /api/v1/changes (followed attestations: --max-watch\n"
         "      per key, default 1000000; ending_soon --ending-soon-days before the end, default 14);\n"
         "      re-serves the trust list and the feeds it holds (/trust/v1/trust-list.cose,\n"
         "      /feed/v1/ISS/...), so verifiers can sync from it; with --web-root DIR (the built\n"
         "      web/dist), serves the pages /check and /holder. Callers may send X-API-Key.\n"
         "      SIGTERM drains: no new connection, the requests in progress answered, then exit.\n"
         "      Receipts (?receipt=true) are signed with --receipt-key FILE (default DIR/receipt-key,\n"
         "      made at the first start, mode 0600; replicas of one service share one; FILE.json is\n"
         "      its published document, FILE.pub its public key) as --receipt-org NAME (for a new\n"
         "      key; default \"api-verifier (HOST)\"). A new key is encrypted with the passphrase\n"
         "      of --passphrase-file FILE or API_PASSPHRASE, else stored plain.\n"},
    {.name = "keys add",
     .options = "data org profile rate",
     .run = ver_cmd_keys_add,
     .usage = "  keys add --data DIR --org NAME --profile social|employer|bank|landlord [--rate N]\n"},
    {.name = "keys list",
     .options = "data json",
     .run = ver_cmd_keys_list,
     .usage = "  keys list --data DIR [--json]\n"},
    {.name = "keys revoke",
     .options = "data id",
     .run = ver_cmd_keys_revoke,
     .usage =
         "  keys revoke --data DIR --id ID\n"
         "      The relying parties' API keys of serve, in DIR/access (usable while serve runs):\n"
         "      add prints the new key once (only its hash is kept); list shows id, profile, rate,\n"
         "      created, revoked and organisation; revoke takes effect at the service's next request.\n"},
    {.name = "keys export",
     .options = "data out",
     .run = ver_cmd_keys_export,
     .usage = "  keys export --data DIR --out FILE\n"},
    {.name = "keys import",
     .options = "data from",
     .run = ver_cmd_keys_import,
     .usage = "  keys import --data DIR --from FILE\n"
              "      Several replicas, one set of keys: export writes the store (hashes, and the secrets\n"
              "      that check them; never a key) to FILE, mode 0600, a secret to move like a private\n"
              "      key; import merges it into another replica's store (an empty one takes its salt):\n"
              "      new keys added, revocations carried over, never undone.\n"},
    {.name = "receipt check",
     .options = "payload file image keys root trust json timeout render-timeout pdf-renderer",
     .stdin_dash = 1,
     .run = ver_cmd_receipt_check,
     .usage = "  receipt check (--file FILE | --payload TEXT | -) (--keys FILE_OR_URL | --root ROOT.pub\n"
              "         --trust TRUST-LIST.cose) [--json]\n"
              "      Checks a verification receipt (its APR1: text, or a PNG, JPEG or PDF holding its QR\n"
              "      code) against a verifier's receipt keys (GET /api/v1/receipt-keys, saved or fetched\n"
              "      over http://) or the receipt signers of the trust list, and says what it proves.\n"
              "      Exit codes: 0 authentic (whatever result it records); 1 refused (changed, unknown\n"
              "      or retired key...); 2 usage error, unreadable file or keys.\n"},
    {.name = "receipt rotate-key",
     .options = "data receipt-key receipt-org passphrase-file",
     .run = ver_cmd_receipt_rotate,
     .usage = "  receipt rotate-key (--data DIR | --receipt-key FILE) [--receipt-org NAME]\n"
              "         [--passphrase-file FILE]\n"
              "      A new receipt key (the first one, when there is none); the old one stays published\n"
              "      as retired. Restart serve to sign with the new key. Exit codes: 0 done; 2 usage\n"
              "      error; 3 passphrase or key file; 4 a file cannot be written.\n"},
    {.name = NULL},
};

static const struct option ver_longopts[] = {
    {"root", required_argument, 0, 'r'},
    {"trust", required_argument, 0, 't'},
    {"trust-url", required_argument, 0, 'u'},
    {"data", required_argument, 0, 'd'},
    {"payload", required_argument, 0, 'p'},
    {"image", required_argument, 0, 'i'},
    {"file", required_argument, 0, 'F'},
    {"render-timeout", required_argument, 0, 'Y'},
    {"pdf-renderer", required_argument, 0, 'E'},
    {"at", required_argument, 0, 'a'},
    {"json", no_argument, 0, 'j'},
    {"from", required_argument, 0, 'f'},
    {"mirrors-only", no_argument, 0, 'm'},
    {"timeout", required_argument, 0, 'T'},
    {"listen", required_argument, 0, 'L'},
    {"sync-interval", required_argument, 0, 'I'},
    {"max-staleness", required_argument, 0, 'S'},
    {"web-root", required_argument, 0, 'W'},
    {"access-log", required_argument, 0, 'A'},
    {"anonymous-rate", required_argument, 0, 'N'},
    {"trusted-proxy", required_argument, 0, 'X'},
    {"max-body", required_argument, 0, 'B'},
    {"max-image", required_argument, 0, 'G'},
    {"threads", required_argument, 0, 'H'},
    {"request-timeout", required_argument, 0, 'Q'},
    {"max-connections-per-address", required_argument, 0, 'M'},
    {"cors-origin", required_argument, 0, 'C'},
    {"org", required_argument, 0, 'O'},
    {"profile", required_argument, 0, 'P'},
    {"rate", required_argument, 0, 'R'},
    {"id", required_argument, 0, 'K'},
    {"out", required_argument, 0, 'o'},
    {"stale-after", required_argument, 0, 'Z'},
    {"max-watch", required_argument, 0, 'w'},
    {"ending-soon-days", required_argument, 0, 'z'},
    {"receipt-key", required_argument, 0, VER_OPT_RECEIPT_KEY},
    {"receipt-org", required_argument, 0, VER_OPT_RECEIPT_ORG},
    {"passphrase-file", required_argument, 0, VER_OPT_PASSPHRASE_FILE},
    {"keys", required_argument, 0, VER_OPT_KEYS},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static const cli_tool ver_tool = {
    .usage_head = usage_head,
    .commands = ver_commands,
    .usage_tail = usage_tail,
    .longopts = ver_longopts,
};

/* The command's options into o, with the defaults of those not given; or exits. */
static void ver_parse(ver_opts *o, cli_args *args)
{
    memset(o, 0, sizeof *o);
    o->sync_interval = VER_DEFAULT_SYNC_INTERVAL;
    o->timeout = 10;
    o->anonymous_rate = WEBAPI_DEFAULT_ANONYMOUS_RATE;
    o->threads = SERVICE_DEFAULT_THREADS;
    o->request_timeout = SERVICE_DEFAULT_REQUEST_TIMEOUT;
    o->max_per_address = -1;
    o->rate = KEYSTORE_DEFAULT_RATE;
    o->max_body = WEBAPI_DEFAULT_MAX_BODY;
    o->max_image = WEBAPI_DEFAULT_MAX_IMAGE;
    o->render_timeout = DOCUMENT_DEFAULT_TIMEOUT_MS / 1000;
    o->max_watch = WATCH_DEFAULT_MAX_PER_KEY;
    o->ending_soon_days = WATCH_DEFAULT_ENDING_SOON_DAYS;
    int c;
    while ((c = cli_next_option(args)) != -1) {
        switch (c) {
        case 'r':
            o->root = optarg;
            break;
        case 't':
            o->trust = optarg;
            break;
        case 'u':
            o->trust_url = optarg;
            break;
        case 'd':
            o->data = optarg;
            break;
        case 'w':
            o->max_watch = cli_parse_long("--max-watch", optarg, 0, 100000000);
            break;
        case 'z':
            o->ending_soon_days = cli_parse_long("--ending-soon-days", optarg, 0, WATCH_MAX_ENDING_SOON_DAYS);
            break;
        case 'p':
            o->payload = optarg;
            break;
        case 'i':
        case 'F':
            o->image = optarg;
            break;
        case 'Y':
            o->render_timeout = cli_parse_long("--render-timeout", optarg, 1, 300);
            break;
        case 'E':
            o->pdf_renderer = optarg;
            break;
        case 'a':
            o->at = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'f':
            if (o->n_mirrors == VER_MAX_MIRRORS)
                cli_fail(VER_EXIT_ERROR, "at most %d --from mirrors", VER_MAX_MIRRORS);
            o->mirrors[o->n_mirrors++] = optarg;
            break;
        case 'm':
            o->mirrors_only = 1;
            break;
        case 'T':
            o->timeout = cli_parse_long("--timeout", optarg, 1, 600);
            break;
        case 'L':
            o->listen = optarg;
            break;
        case 'I':
            o->sync_interval = cli_parse_long("--sync-interval", optarg, 1, 86400);
            break;
        case 'S':
            o->staleness = optarg;
            break;
        case 'W':
            o->web_root = optarg;
            break;
        case 'A':
            o->access_log = optarg;
            break;
        case 'N':
            o->anonymous_rate = cli_parse_long("--anonymous-rate", optarg, 0, KEYSTORE_MAX_RATE);
            break;
        case 'X':
            if (o->n_proxies == CLIENTADDR_MAX_TRUSTED)
                cli_fail(VER_EXIT_ERROR, "at most %d --trusted-proxy addresses", CLIENTADDR_MAX_TRUSTED);
            o->proxies[o->n_proxies++] = optarg;
            break;
        case 'B':
            o->max_body = ver_parse_size("--max-body", optarg, VER_MIN_BODY, VER_MAX_BODY);
            break;
        case 'G':
            o->max_image = ver_parse_size("--max-image", optarg, VER_MIN_BODY, VER_MAX_IMAGE_BODY);
            break;
        case 'H':
            o->threads = cli_parse_long("--threads", optarg, 8, 4096);
            break;
        case 'Q':
            o->request_timeout = cli_parse_long("--request-timeout", optarg, 1, 300);
            break;
        case 'M':
            o->max_per_address = cli_parse_long("--max-connections-per-address", optarg, 0, 4096);
            break;
        case 'C':
            if (o->n_cors == HTTPD_MAX_CORS_ORIGINS)
                cli_fail(VER_EXIT_ERROR, "at most %d --cors-origin origins", HTTPD_MAX_CORS_ORIGINS);
            if (!ver_origin_ok(optarg))
                cli_fail(VER_EXIT_ERROR,
                         "--cors-origin: expected an origin such as https://caf.example or "
                         "http://localhost:8080 (scheme, host, optional port; nothing else), got '%s'",
                         optarg);
            o->cors[o->n_cors++] = optarg;
            break;
        case 'O':
            o->org = optarg;
            break;
        case 'P':
            o->profile = optarg;
            break;
        case 'R':
            o->rate = cli_parse_long("--rate", optarg, 0, KEYSTORE_MAX_RATE);
            break;
        case 'K':
            o->key_id = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'Z':
            o->stale_after = optarg;
            break;
        case VER_OPT_RECEIPT_KEY:
            o->receipt_key = optarg;
            break;
        case VER_OPT_RECEIPT_ORG:
            o->receipt_org = optarg;
            break;
        case VER_OPT_PASSPHRASE_FILE:
            o->passphrase_file = optarg;
            break;
        case VER_OPT_KEYS:
            o->keys_doc = optarg;
            break;
        default: /* an option of the table without a case here */
            cli_usage(&ver_tool, stderr, VER_EXIT_ERROR);
        }
    }
    o->stdin_text = args->stdin_dash;
}

int main(int argc, char **argv)
{
    cli_set_program("api-verifier");
    cli_malloc_tune();
    if (sodium_init() < 0) cli_fail(VER_EXIT_ERROR, "libsodium failed to start");
    cli_args args;
    ver_cli_sync_interval = ver_argv_has(argc, argv, "sync-interval");
    ver_cli_stale = ver_argv_has(argc, argv, "stale-after");
    const cli_command *cmd = cli_command_find(&args, &ver_tool, argc, argv);
    ver_config_path = args.config;
    ver_options = ver_longopts;
    ver_opts o;
    ver_parse(&o, &args);
    return cmd->run(&o);
}
