/*
 * cmd_issue.c: api-issuer's issue and show (cmd_int.h): holder data in
 * (one JSON object, or a CSV file of many), signed attestations out, each
 * as OUT/<id>.txt (the QR text, one line), OUT/<id>.png and OUT/<id>.svg,
 * the holder's card (OUT/<id>-card.txt: the reduced presentation of the
 * same attestation, signed beside it, docs/format.md), and with
 * --holder-base the holder's link (OUT/<id>.url, carrying the card) and
 * its QR code, and the attestation as a document, OUT/<id>.pdf (issuer/pdf.h:
 * drawn from the claims decoded out of the signed QR text, with the
 * préfecture's name and verify address); --pdf-batch prints the whole batch
 * into one PDF, in row order. show draws a QR text again, as images or as
 * that PDF.
 *
 * A name that no installed font can print is refused with the row, before
 * anything is registered, when a PDF is asked for: a page never shows a
 * missing-glyph box.
 *
 * Order of issue: every row is checked first (a CSV row that fails is
 * reported with its line and field, and the others go on: exit
 * ISS_EXIT_PARTIAL); the good rows are registered in one transaction, so a
 * crash later leaves ids without files, never files without ids; then each
 * is signed and its files written, made durable by one folder sync at the
 * end. Holder data are wiped from memory once signed, written to OUT only,
 * and never printed: stdout has the ids and file names.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64url.h"
#include "common/cli.h"
#include "common/fs.h"
#include "issuer/cmd_int.h"
#include "issuer/holder.h"
#include "issuer/issuance.h"
#include "issuer/issuer.h"
#include "issuer/pdf.h"
#include "issuer/registry.h"
#include "qr/claims.h"
#include "qr/cose.h"
#include "qr/qrtext.h"
#include "qr/render.h"

#define ISSUE_WARN_VERSION 15
#define ISSUE_CARD_VERSION 12 /* the card's QR code should fit version 12 at level M (docs/format.md) */

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
        if (!grown) cli_fail(ISS_EXIT_IO, "out of memory");
        b->claims = grown;
        b->cap = cap;
    }
    b->claims[b->n++] = *c;
}

/* Whether the PDF can print c's texts: 0, or -1 with the field named in err; exits for the issuer's own. */
static int iss_pdf_printable(pdf_ctx *pdf, const api_claims *c, const issuer_config *cfg, char *err,
                             size_t cap)
{
    int rc = issuance_printable(pdf, c, cfg->name, cfg->verify_base, err, cap);
    if (rc == -3) cli_fail(ISS_EXIT_IO, "out of memory");
    if (rc == -2) cli_fail(ISS_EXIT_USAGE, "%s", err);
    return rc;
}

static void iss_read_batch(iss_batch *b, const iss_opts *o, pdf_ctx *pdf, const issuer_config *cfg)
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
        if (e != API_OK) cli_fail(ISS_EXIT_USAGE, "%s: %s", o->json, err);
        if (iss_pdf_printable(pdf, &c, cfg, err, sizeof err) != 0)
            cli_fail(ISS_EXIT_USAGE, "%s: %s", o->json, err);
        iss_batch_add(b, &c);
        return;
    }
    uint8_t *data = iss_read_input(o->csv, &len);
    holder_csv *csv;
    if (holder_csv_open(&csv, err, sizeof err, (const char *)data, len) != API_OK)
        cli_fail(ISS_EXIT_USAGE, "%s: %s", o->csv, err);
    for (;;) {
        api_claims c;
        size_t line = 0;
        int rc = holder_csv_next(csv, &c, &line, err, sizeof err);
        if (rc == 0) break;
        char why[400];
        if (rc > 0 && iss_pdf_printable(pdf, &c, cfg, why, sizeof why) != 0) {
            snprintf(err, sizeof err, "line %zu: %s", line, why);
            sodium_memzero(&c, sizeof c);
            rc = -1;
        }
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

static void iss_check_formats(const char *formats)
{
    for (const char *p = formats; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (!(len == 3 && (!strncmp(p, "png", 3) || !strncmp(p, "svg", 3) || !strncmp(p, "pdf", 3))))
            cli_fail(ISS_EXIT_USAGE, "--formats: expected a list of png, svg and pdf, such as png,svg,pdf");
        p += len + (comma ? 1 : 0);
    }
}

void iss_check_holder_base(const char *holder_base)
{
    if (holder_base && strncmp(holder_base, "https://", 8) && strncmp(holder_base, "http://", 7))
        cli_fail(ISS_EXIT_USAGE, "--holder-base: expected an http:// or https:// URL");
    if (holder_base && (strchr(holder_base, '#') || strlen(holder_base) > 512))
        cli_fail(ISS_EXIT_USAGE, "--holder-base: a URL without '#', at most 512 characters");
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

/* Finishes the batch PDF and writes it whole (fs_write_atomic) or not at all; 0, or -1 after saying why. */
static int iss_write_batch(issuance_out *out, size_t pages)
{
    uint8_t *doc;
    size_t len;
    api_err e = pdf_doc_end(out->batch, &doc, &len);
    out->batch = NULL;
    if (e != API_OK) {
        cli_warn("cannot make %s: %s", out->batch_path, pages ? api_strerror(e) : "no page");
        return -1;
    }
    e = fs_write_atomic(out->batch_path, doc, len, 0640, 0);
    free(doc);
    if (e != API_OK) {
        cli_warn("cannot write %s: %s", out->batch_path, api_strerror(e));
        return -1;
    }
    printf("%s  %zu page%s (the batch, in row order)\n", out->batch_path, pages, pages == 1 ? "" : "s");
    return 0;
}

int iss_cmd_issue(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->dir, "--dir");
    iss_require(o->out, "--out");
    if (!o->json == !o->csv) cli_fail(ISS_EXIT_USAGE, "give one of --json FILE or --csv FILE");
    iss_check_formats(o->formats);
    if (o->holder_qr && !o->holder_base) cli_fail(ISS_EXIT_USAGE, "--holder-qr goes with --holder-base URL");
    iss_check_holder_base(o->holder_base);
    if (o->verify_base && issuer_verify_base_problem(o->verify_base))
        cli_fail(ISS_EXIT_USAGE, "--verify-base: %s", issuer_verify_base_problem(o->verify_base));
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    if (o->verify_base) strcpy(cfg.verify_base, o->verify_base); /* this issue's, over issuer.json's */
    issuance_out out = {.out = o->out,
                        .formats = o->formats,
                        .render = o->render,
                        .holder_base = o->holder_base,
                        .holder_qr = o->holder_qr,
                        .terminal = o->terminal,
                        .invert = o->invert,
                        .pdf_files = issuance_want(o->formats, "pdf"),
                        .batch_path = o->pdf_batch,
                        .issuer_name = cfg.name,
                        .verify_base = cfg.verify_base};
    if (out.pdf_files || o->pdf_batch) {
        api_err pe = pdf_ctx_new(&out.pdf);
        if (pe != API_OK) cli_fail(ISS_EXIT_IO, "cannot prepare the PDF attestations: %s", api_strerror(pe));
    }

    iss_batch b;
    iss_read_batch(&b, o, out.pdf, &cfg);
    if (b.n == 0) cli_fail(ISS_EXIT_USAGE, "nothing to issue: every row was rejected");
    if (fs_mkdirs(o->out, 0750) != API_OK) cli_fail(ISS_EXIT_IO, "cannot create %s", o->out);

    issuer_key *key = iss_unlock(o, &cfg); /* before anything is registered */

    registry *reg;
    api_err e = registry_open(&reg, o->dir);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot open the registry: %s", api_strerror(e));
    registry_entry *entries = calloc(b.n, sizeof *entries);
    if (!entries) cli_fail(ISS_EXIT_IO, "out of memory");
    int64_t now = cli_now();
    uint8_t replaces[CLAIMS_CTI_LEN];
    if (o->replaces) {
        if (claims_cti_parse(replaces, o->replaces) != 0)
            cli_fail(ISS_EXIT_USAGE, "--replaces: expected a 24-character id");
        if (b.n != 1) cli_fail(ISS_EXIT_USAGE, "--replaces goes with one attestation (--json)");
    }
    /* Registered first, in one transaction: a crash later leaves ids without files, never files without ids.
     */
    char why[256] = "";
    e = issuance_register(reg, key, b.claims, entries, b.n, o->replaces ? replaces : NULL, now, why,
                          sizeof why);
    registry_close(reg);
    if (e == API_ERR_FULL)
        cli_fail(ISS_EXIT_IO, "the status list of this issuer is full (2^21 attestations)");
    /* An unknown id to replace, or a replacement the rules refuse: the registry says why. */
    if (e != API_OK && cli_code_for(e) == ISS_EXIT_USAGE && why[0])
        cli_fail(ISS_EXIT_USAGE, "--replaces %s: %s", o->replaces,
                 strncmp(why, "--replaces: ", 12) ? why : why + 12);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot register the attestations: %s", api_strerror(e));
    if (o->replaces) printf("%s  superseded (replaced)\n", o->replaces);
    if (o->pdf_batch && pdf_doc_begin(&out.batch, out.pdf) != API_OK) cli_fail(ISS_EXIT_IO, "out of memory");

    size_t failed = 0, large = 0;
    static issuance_result r; /* two QR texts: kept off the stack */
    for (size_t i = 0; i < b.n; i++) {
        api_claims *c = &b.claims[i];
        int rc = issuance_sign_write(&r, &out, c, &entries[i], &cfg, key, now);
        sodium_memzero(c, sizeof *c);
        if (rc != 0) {
            failed++;
            continue;
        }
        if (r.version > ISSUE_WARN_VERSION) large++;
        printf("%s  %s/%s.txt  QR version %d%s\n", r.id, o->out, r.id, r.version,
               r.version > ISSUE_WARN_VERSION ? " (large: shorten the title or names if it scans badly)"
                                              : "");
        printf("%s  %s/%s-card.txt  QR version %d (holder's card)%s\n", r.id, o->out, r.id, r.card_version,
               r.card_version > ISSUE_CARD_VERSION ? " (above 12: long names)" : "");
        if (out.pdf_files) printf("%s  %s/%s.pdf  attestation, 1 page A4\n", r.id, o->out, r.id);
    }
    sodium_memzero(&r, sizeof r);
    iss_lock(key);
    free(entries);
    free(b.claims);
    if (fs_sync_folder(o->out) != API_OK) cli_fail(ISS_EXIT_IO, "cannot flush %s to disk", o->out);
    int batch_failed = out.batch && iss_write_batch(&out, b.n - failed) != 0;
    pdf_ctx_free(out.pdf);
    printf("issued %zu, rejected %zu, failed %zu\n", b.n - failed, b.rejected, failed);
    if (large) cli_warn("%zu QR codes need a version above %d", large, ISSUE_WARN_VERSION);
    if (failed || batch_failed) return ISS_EXIT_IO;
    return b.rejected ? ISS_EXIT_PARTIAL : ISS_EXIT_OK;
}

/*
 * show --pdf FILE: the attestation drawn again from its QR text. With
 * --dir, the signature is checked with the issuer's key and the page has
 * its display name and verify address; without, the issuer id and no
 * address.
 */
static void iss_show_pdf(const iss_opts *o, const char *qr)
{
    issuer_config cfg;
    const uint8_t *pk = NULL;
    uint8_t signer[COSE_PK_LEN];
    api_claims c;
    if (o->dir) {
        iss_load_config(&cfg, o->dir);
        uint8_t cose[QRTEXT_MAX_COSE];
        size_t cose_len = sizeof cose;
        cose_sign1 msg;
        if (qrtext_decode(cose, &cose_len, qr, strlen(qr)) == API_OK &&
            cose_sign1_parse(&msg, cose, cose_len, COSE_TYP_ATTESTATION) == API_OK) {
            if (issuer_key_of_kid(signer, o->dir, &cfg, msg.kid) != 0)
                cli_fail(ISS_EXIT_USAGE, "the QR text was not signed by a key of %s", o->dir);
            pk = signer;
        }
    }
    api_err e = issuance_claims_of(&c, qr, pk);
    if (e != API_OK)
        cli_fail(ISS_EXIT_USAGE, "%s: not an attestation this tool can draw: %s", o->file, api_strerror(e));
    if (o->dir && strcmp(c.iss, cfg.id))
        cli_fail(ISS_EXIT_USAGE, "%s: issued by %s, not by the issuer of %s", o->file, c.iss, o->dir);
    pdf_ctx *ctx;
    e = pdf_ctx_new(&ctx);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot prepare the PDF: %s", api_strerror(e));
    pdf_page page = {.claims = &c,
                     .qr = qr,
                     .issuer_name = o->dir ? cfg.name : NULL,
                     .verify_url = o->dir ? cfg.verify_base : NULL};
    const char *field = NULL;
    uint8_t *doc;
    size_t len;
    e = pdf_render(ctx, &doc, &len, &page, &field);
    pdf_ctx_free(ctx);
    sodium_memzero(&c, sizeof c);
    if (e == API_ERR_ARG && field)
        cli_fail(ISS_EXIT_USAGE, "%s: a character that no installed font can print on the PDF", field);
    if (e != API_OK)
        cli_fail(e == API_ERR_TOO_LARGE ? ISS_EXIT_USAGE : ISS_EXIT_IO, "cannot draw the PDF: %s",
                 api_strerror(e));
    e = fs_write_atomic(o->pdf, doc, len, 0640, 0);
    free(doc);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot write %s: %s", o->pdf, api_strerror(e));
}

int iss_cmd_show(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->file, "--file");
    if (o->dir && !o->pdf) cli_fail(ISS_EXIT_USAGE, "--dir goes with --pdf FILE");
    uint8_t *data;
    size_t len;
    if (fs_read_file(&data, &len, o->file, QRTEXT_MAX_TEXT + 2) != API_OK)
        cli_fail(ISS_EXIT_USAGE, "cannot read %s", o->file);
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) data[--len] = '\0';
    const char *qr = (const char *)data;
    int version = 0, did = 0;
    if (o->png) {
        uint8_t *png;
        size_t n;
        api_err e = render_png(&png, &n, &version, qr, &o->render);
        if (e != API_OK) cli_fail(ISS_EXIT_USAGE, "cannot render: %s", api_strerror(e));
        e = fs_write_atomic(o->png, png, n, 0640, 0);
        free(png);
        if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot write %s", o->png);
        did = 1;
    }
    if (o->svg) {
        char *svg;
        size_t n;
        api_err e = render_svg(&svg, &n, &version, qr, &o->render);
        if (e != API_OK) cli_fail(ISS_EXIT_USAGE, "cannot render: %s", api_strerror(e));
        e = fs_write_atomic(o->svg, svg, n, 0640, 0);
        free(svg);
        if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot write %s", o->svg);
        did = 1;
    }
    if (o->pdf) {
        iss_show_pdf(o, qr);
        did = 1;
    }
    if (o->terminal || !did) iss_print_terminal(qr, &o->render, o->invert);
    free(data);
    return ISS_EXIT_OK;
}
