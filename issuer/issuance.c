/*
 * issuance.c: registering, signing and writing attestations (issuance.h),
 * for issue on the command line and for serve's issuance API alike.
 *
 * Order of issue: the caller checks every row first; issuance_register
 * registers the good ones in one transaction, so a crash later leaves ids
 * without files, never files without ids; then issuance_sign_write signs
 * each and writes its files. The QR code is encoded once per attestation
 * and kept for the PDF when the run's level is M (the PDF's level).
 *
 * This file must not exit the process, print holder data, or decide what
 * a caller tells its user: it says what failed with the id, and returns.
 */
#include "issuer/issuance.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/fs.h"
#include "qr/cose.h"
#include "qr/qrtext.h"

int issuance_want(const char *formats, const char *name)
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

int issuance_printable(pdf_ctx *pdf, const api_claims *c, const char *issuer_name, const char *verify_base,
                       char *err, size_t cap)
{
    if (!pdf) return 0;
    const char *field = NULL;
    pdf_page page = {.claims = c, .qr = "", .issuer_name = issuer_name, .verify_url = verify_base};
    api_err e = pdf_check_text(pdf, &page, &field);
    if (e == API_ERR_NOMEM) return -3;
    if (e == API_OK) return 0;
    if (field && (!strcmp(field, "issuer name") || !strcmp(field, "verify address"))) {
        snprintf(err, cap, "the %s has a character that no installed font can print on the PDF", field);
        return -2;
    }
    snprintf(err, cap, "%s: a character that no installed font can print on the PDF attestation",
             field ? field : "text");
    return -1;
}

api_err issuance_register(registry *reg, const issuer_key *key, const api_claims *claims,
                          registry_entry *entries, size_t n, const uint8_t *replaces, int64_t now, char *why,
                          size_t whycap)
{
    for (size_t i = 0; i < n; i++) {
        memset(&entries[i], 0, sizeof entries[i]);
        entries[i].iat = now;
        entries[i].nbf = claims[i].nbf;
        entries[i].exp = claims[i].exp;
    }
    return registry_allocate(reg, key->seed, entries, n, replaces, why, whycap);
}

/* Writes OUT/<id><ext> (made durable by the caller's fs_sync_folder); 0, or -1 after saying why. */
static int issuance_write(const char *out_dir, const char *id, const char *ext, const void *data, size_t len)
{
    char name[64], path[4096];
    snprintf(name, sizeof name, "%s%s", id, ext);
    if (fs_join(path, sizeof path, out_dir, name) != 0) {
        cli_warn("%s: the folder's name is too long", id);
        return -1;
    }
    api_err e = fs_write_batched(path, data, len, 0640, 1);
    if (e != API_OK) {
        cli_warn("cannot write %s: %s", path, api_strerror(e));
        return -1;
    }
    return 0;
}

int issuance_holder_link(char *out, size_t cap, const char *base, const char *qr)
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

/* Writes OUT/<id>.url and, with holder_qr, OUT/<id>-holder.png; -1 if a file failed. */
static int issuance_output_holder(const issuance_out *o, const char *id, const char *card)
{
    char link[3 * ISSUANCE_QR_MAX + 600];
    if (issuance_holder_link(link, sizeof link - 1, o->holder_base, card) != 0) {
        cli_warn("%s: the holder link is too long", id);
        return -1;
    }
    size_t n = strlen(link);
    link[n] = '\n';
    if (issuance_write(o->out, id, ".url", link, n + 1) != 0) return -1;
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
    int rc = issuance_write(o->out, id, "-holder.png", png, len);
    free(png);
    return rc;
}

/* Signs the holder's card of c and writes OUT/<id>-card.txt. 0, or -1 after saying why. */
static int issuance_output_card(issuance_result *r, const issuance_out *o, const api_claims *c,
                                const api_signer *by)
{
    size_t len = sizeof r->card - 1;
    api_err e = issuer_sign_card(r->card, &len, c, by);
    if (e != API_OK) {
        cli_warn("%s: cannot sign the holder's card: %s", r->id, api_strerror(e));
        return -1;
    }
    r->card[len] = '\n';
    int rc = issuance_write(o->out, r->id, "-card.txt", r->card, len + 1);
    r->card[len] = '\0';
    r->card_version = render_version_for(r->card, o->render.level);
    return rc;
}

/*
 * Renders and writes the code's files (encoded once, and kept in *keep for
 * the PDF when keep is not NULL: the caller frees it); -1 if a file failed.
 */
static int issuance_output(issuance_result *r, const issuance_out *o, render_code **keep)
{
    int rc = 0;
    char line[ISSUANCE_QR_MAX + 2];
    memcpy(line, r->qr, r->qrlen);
    line[r->qrlen] = '\n';
    rc = issuance_write(o->out, r->id, ".txt", line, r->qrlen + 1);
    sodium_memzero(line, sizeof line);
    if (rc != 0) return -1;
    render_code *code;
    api_err e = render_code_make(&code, r->qr, o->render.level);
    if (e != API_OK) {
        cli_warn("%s: cannot encode the QR code: %s", r->id, api_strerror(e));
        return -1;
    }
    r->version = render_code_version(code);
    if (issuance_want(o->formats, "png")) {
        uint8_t *png;
        size_t len;
        e = render_code_png(&png, &len, code, &o->render);
        if (e == API_OK) {
            rc |= issuance_write(o->out, r->id, ".png", png, len);
            free(png);
        }
    }
    if (e == API_OK && issuance_want(o->formats, "svg")) {
        char *svg;
        size_t len;
        e = render_code_svg(&svg, &len, code, &o->render);
        if (e == API_OK) {
            rc |= issuance_write(o->out, r->id, ".svg", svg, len);
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
    if (keep && e == API_OK)
        *keep = code;
    else
        render_code_free(code);
    if (e != API_OK) {
        cli_warn("%s: cannot render: %s", r->id, api_strerror(e));
        return -1;
    }
    return rc;
}

api_err issuance_claims_of(api_claims *c, const char *qr, const uint8_t *pk)
{
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t cose_len = sizeof cose;
    cose_sign1 msg;
    api_err e = qrtext_decode(cose, &cose_len, qr, strlen(qr));
    if (e == API_OK) e = cose_sign1_parse(&msg, cose, cose_len, COSE_TYP_ATTESTATION);
    if (e == API_OK && pk) e = cose_sign1_verify(&msg, pk);
    if (e == API_OK) e = claims_decode(c, msg.payload, msg.payload_len);
    sodium_memzero(cose, sizeof cose);
    return e;
}

/*
 * Draws the PDF of one attestation from its signed QR text (code: the text
 * encoded at level M, or NULL), writes OUT/<id>.pdf and adds the page to
 * the batch; the holder's card is carried by the second code when there is
 * a holder base. 0, or -1 after saying why.
 */
static int issuance_output_pdf(issuance_out *o, const issuance_result *r, const render_code *code)
{
    api_claims c;
    api_err e = issuance_claims_of(&c, r->qr, NULL);
    if (e != API_OK) {
        cli_warn("%s: cannot read back the signed claims: %s", r->id, api_strerror(e));
        return -1;
    }
    char link[3 * ISSUANCE_QR_MAX + 600];
    int has_link = o->holder_base && issuance_holder_link(link, sizeof link, o->holder_base, r->card) == 0;
    pdf_page page = {.claims = &c,
                     .qr = r->qr,
                     .code = code,
                     .issuer_name = o->issuer_name,
                     .verify_url = o->verify_base,
                     .holder_link = has_link ? link : NULL};
    const char *field = NULL;
    int rc = 0;
    if (o->pdf_files) {
        uint8_t *doc;
        size_t len;
        e = pdf_render(o->pdf, &doc, &len, &page, &field);
        if (e == API_OK) {
            rc = issuance_write(o->out, r->id, ".pdf", doc, len);
            free(doc);
        } else {
            cli_warn("%s: cannot draw the PDF%s%s: %s", r->id, field ? ": " : "", field ? field : "",
                     api_strerror(e));
            rc = -1;
        }
    }
    if (rc == 0 && o->batch) {
        e = pdf_doc_add(o->batch, &page, &field);
        if (e != API_OK) {
            cli_warn("%s: cannot add the page to %s: %s", r->id, o->batch_path, api_strerror(e));
            o->batch_failed++;
            rc = -1;
        }
    }
    sodium_memzero(&c, sizeof c);
    return rc;
}

int issuance_sign_write(issuance_result *r, issuance_out *o, api_claims *c, const registry_entry *entry,
                        const issuer_config *cfg, const issuer_key *key, int64_t now)
{
    strcpy(c->iss, cfg->id);
    strcpy(c->status_uri, cfg->status_uri);
    c->iat = now;
    c->status_idx = entry->idx;
    memcpy(c->cti, entry->cti, CLAIMS_CTI_LEN);
    claims_cti_hex(r->id, c->cti);
    r->qrlen = sizeof r->qr;
    r->version = r->card_version = 0;
    r->card[0] = '\0';
    api_err e = issuer_sign(r->qr, &r->qrlen, c, &key->sign);
    if (e != API_OK) {
        cli_warn("%s: cannot sign: %s", r->id, api_strerror(e));
        return -1;
    }
    render_code *code = NULL; /* kept for the PDF when it is at level M */
    int rc = issuance_output(r, o, o->pdf && o->render.level == 'M' ? &code : NULL);
    if (rc == 0) rc = issuance_output_card(r, o, c, &key->sign);
    if (rc == 0 && o->holder_base) rc = issuance_output_holder(o, r->id, r->card);
    if (rc == 0 && o->pdf) rc = issuance_output_pdf(o, r, code);
    render_code_free(code);
    return rc;
}

api_err issuance_adopt(registry *reg, const char *dir, const issuer_config *cfg, const char *qr, int64_t now,
                       uint8_t cti[CLAIMS_CTI_LEN], registry_adoption *how, char *why, size_t whycap)
{
    uint8_t cose[QRTEXT_MAX_COSE], pk[COSE_PK_LEN];
    size_t cose_len = sizeof cose;
    cose_sign1 msg;
    memset(cti, 0, CLAIMS_CTI_LEN);
    if (qrtext_decode(cose, &cose_len, qr, strlen(qr)) != API_OK ||
        cose_sign1_parse(&msg, cose, cose_len, COSE_TYP_ATTESTATION) != API_OK) {
        snprintf(why, whycap,
                 "not the QR text of an attestation (a holder's card cannot be given back: it takes "
                 "the full code)");
        return API_ERR_ARG;
    }
    if (issuer_key_of_kid(pk, dir, cfg, msg.kid) != 0) {
        snprintf(why, whycap, "not signed by a key of this issuer (%s)", cfg->id);
        return API_ERR_ARG;
    }
    api_claims c;
    api_err e = issuance_claims_of(&c, qr, pk);
    if (e != API_OK) {
        snprintf(why, whycap, "refused: %s", api_strerror(e));
        return API_ERR_ARG;
    }
    memcpy(cti, c.cti, CLAIMS_CTI_LEN);
    if (strcmp(c.iss, cfg->id) != 0) {
        snprintf(why, whycap, "issued by %s, not by %s", c.iss, cfg->id);
        sodium_memzero(&c, sizeof c);
        return API_ERR_ARG;
    }
    registry_entry in;
    memset(&in, 0, sizeof in);
    memcpy(in.cti, c.cti, CLAIMS_CTI_LEN);
    in.idx = c.status_idx;
    in.iat = c.iat;
    in.nbf = c.nbf;
    in.exp = c.exp;
    sodium_memzero(&c, sizeof c);
    return registry_adopt(reg, &in, now, how, why, whycap);
}
