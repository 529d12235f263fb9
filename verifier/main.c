/*
 * api-verifier: checks attestations (see docs/man/api-verifier.1).
 *
 *   verify   one QR text (argument, standard input, or an image of the
 *            document) against a trust list signed by a pinned root key
 *
 * The trust list must pass its own checks first (root signature, rules):
 * if it does not, nothing is verified and the exit code is 2. A verdict,
 * whatever it is, is an answer: 0 for valid, 1 for any other. Without a
 * status replica the answer says status_checked: false.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitime.h"
#include "b64url.h"
#include "cli.h"
#include "fsutil.h"
#include "image.h"
#include "qrtext.h"
#include "report.h"
#include "trust.h"
#include "verify.h"

#define VERIFY_MAX_IMAGE (32u * 1024 * 1024)

enum {
    VEXIT_VALID = 0,
    VEXIT_NOT_VALID = 1,
    VEXIT_ERROR = 2,
};

static const char usage_text[] =
    "Usage: api-verifier verify --root ROOT.pub --trust TRUST-LIST.cose\n"
    "                           (--payload TEXT | --image FILE | -) [--json] [--at TIME]\n"
    "\n"
    "Checks an attestation de prolongation d'instruction (API): the trust list's signature\n"
    "against the pinned root key, the attestation's signature, its issuer and its dates.\n"
    "\n"
    "  --root FILE      the federation's root public key (base64url), pinned\n"
    "  --trust FILE     the signed trust list (trust-list.cose)\n"
    "  --payload TEXT   the QR text, API1:...\n"
    "  --image FILE     a PNG or JPEG image of the document; its QR code is read\n"
    "  -                read the QR text from standard input\n"
    "  --json           print the result as JSON (stable field: result)\n"
    "  --at TIME        verify as of TIME: 2026-12-01, 2026-12-01T10:00:00Z,\n"
    "                   2026-12-01T10:00:00+01:00 or @SECONDS (default: now)\n"
    "\n"
    "Verdicts: valid, expired, not_yet_valid, revoked, suspended, superseded,\n"
    "status_unknown, invalid_signature, unknown_issuer, untrusted_issuer, malformed.\n"
    "Without a status replica, trust, signature and dates are checked and the\n"
    "result says status_checked: false.\n"
    "\n"
    "Exit codes: 0 valid; 1 any other verdict (including malformed and\n"
    "invalid_signature); 2 usage error, unreadable file, image without a QR code,\n"
    "or a trust list that fails its own checks.\n";

typedef struct {
    const char *root, *trust, *payload, *image, *at;
    int json, stdin_text;
} ver_opts;

_Noreturn static void ver_usage(FILE *out, int code)
{
    fputs(usage_text, out);
    exit(code);
}

static void ver_parse(ver_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"root", required_argument, 0, 'r'},    {"trust", required_argument, 0, 't'},
        {"payload", required_argument, 0, 'p'}, {"image", required_argument, 0, 'i'},
        {"at", required_argument, 0, 'a'},      {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->root = optarg;
            break;
        case 't':
            o->trust = optarg;
            break;
        case 'p':
            o->payload = optarg;
            break;
        case 'i':
            o->image = optarg;
            break;
        case 'a':
            o->at = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            ver_usage(stdout, 0);
        default:
            ver_usage(stderr, VEXIT_ERROR);
        }
    }
    for (; optind < argc; optind++) {
        if (strcmp(argv[optind], "-") != 0)
            cli_fail(VEXIT_ERROR, "unexpected argument '%s' (try --help)", argv[optind]);
        o->stdin_text = 1;
    }
    if (!o->root) cli_fail(VEXIT_ERROR, "--root ROOT.pub is required");
    if (!o->trust) cli_fail(VEXIT_ERROR, "--trust TRUST-LIST.cose is required");
    if ((o->payload != NULL) + (o->image != NULL) + o->stdin_text != 1)
        cli_fail(VEXIT_ERROR, "give exactly one of --payload TEXT, --image FILE or -");
}

static void ver_load_trust(trust_list *tl, const ver_opts *o)
{
    uint8_t root[COSE_PK_LEN];
    api_err e = b64url_read_key_file(root, o->root);
    if (e != API_OK) cli_fail(VEXIT_ERROR, "%s: not a root public key file (%s)", o->root, api_strerror(e));
    uint8_t *data;
    size_t len;
    e = fs_read_file(&data, &len, o->trust, TRUST_MAX_COSE);
    if (e != API_OK) cli_fail(VEXIT_ERROR, "cannot read the trust list %s: %s", o->trust, api_strerror(e));
    char err[256];
    e = trust_verify(tl, err, sizeof err, data, len, root);
    free(data);
    if (e != API_OK) cli_fail(VEXIT_ERROR, "the trust list %s is refused: %s", o->trust, err);
}

/* The QR text to verify, malloc'd; trailing line ends removed (spaces are Base45). */
static char *ver_read_text(const ver_opts *o, size_t *len)
{
    if (o->payload) {
        *len = strlen(o->payload);
        return strdup(o->payload);
    }
    uint8_t *data;
    if (o->stdin_text) {
        api_err e = fs_read_stream(&data, len, 0, QRTEXT_MAX_TEXT * 4);
        if (e == API_ERR_TOO_LARGE) return NULL; /* too long to be a QR text: a verdict, not an error */
        if (e != API_OK) cli_fail(VEXIT_ERROR, "cannot read standard input");
        while (*len && (data[*len - 1] == '\n' || data[*len - 1] == '\r')) data[--*len] = '\0';
        return (char *)data;
    }
    api_err e = fs_read_file(&data, len, o->image, VERIFY_MAX_IMAGE);
    if (e != API_OK) cli_fail(VEXIT_ERROR, "cannot read the image %s: %s", o->image, api_strerror(e));
    char *text = malloc(QRTEXT_MAX_TEXT + 1);
    if (!text) cli_fail(VEXIT_ERROR, "out of memory");
    e = image_read_qr(text, QRTEXT_MAX_TEXT + 1, len, data, *len);
    free(data);
    if (e != API_OK) cli_fail(VEXIT_ERROR, "%s: %s", o->image, api_strerror(e));
    return text;
}

static int cmd_verify(const ver_opts *o)
{
    trust_list tl;
    ver_load_trust(&tl, o);
    verify_ctx ctx = {&tl, cli_now(), NULL, NULL};
    if (o->at && time_parse_instant(&ctx.now, o->at) != 0)
        cli_fail(VEXIT_ERROR, "--at: not a date or time: '%s'", o->at);
    size_t len;
    char *text = ver_read_text(o, &len);
    verify_result r;
    if (text) verify_qrtext(&r, &ctx, text, len);
    else verify_malformed(&r, API_ERR_TOO_LARGE);
    free(text);
    if (o->json) {
        cJSON *j = report_json(&r, &ctx, REPORT_FULL);
        char *s = j ? cJSON_Print(j) : NULL;
        if (!s) cli_fail(VEXIT_ERROR, "out of memory");
        puts(s);
        free(s);
        cJSON_Delete(j);
    } else {
        report_text(stdout, &r, &ctx);
    }
    trust_free(&tl);
    return r.verdict == VERDICT_VALID ? VEXIT_VALID : VEXIT_NOT_VALID;
}

int main(int argc, char **argv)
{
    cli_set_program("api-verifier");
    if (sodium_init() < 0) cli_fail(VEXIT_ERROR, "libsodium failed to start");
    if (argc < 2) ver_usage(stderr, VEXIT_ERROR);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) ver_usage(stdout, 0);
    ver_opts o;
    if (!strcmp(cmd, "verify")) {
        ver_parse(&o, argc - 1, argv + 1);
        return cmd_verify(&o);
    }
    cli_fail(VEXIT_ERROR, "unknown command '%s' (try --help)", cmd);
}
