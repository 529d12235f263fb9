/*
 * issuance.h: issuing attestations, the one path shared by the command
 * line (issue, cmd_issue.c) and the issuance API of serve (adminapi.c):
 * holder claims registered in the registry, completed with the issuer's
 * identity and the registry's id and index, signed (the full code and the
 * holder's card), and written as files into a folder:
 *
 *   OUT/<id>.txt         the QR text, one line
 *   OUT/<id>.png, .svg   its QR code (formats "png", "svg")
 *   OUT/<id>.pdf         the attestation as a document (format "pdf")
 *   OUT/<id>-card.txt    the holder's card, one line
 *   OUT/<id>.url         with a holder base: the holder's link
 *   OUT/<id>-holder.png  with holder_qr: a QR code of that link
 *
 * Files are written with fs_write_batched: the caller makes them durable
 * with one fs_sync_folder. Failures are said on standard error (cli_warn)
 * with the id and the reason only, never holder data.
 */
#ifndef API_ISSUANCE_H
#define API_ISSUANCE_H

#include <stddef.h>
#include <stdint.h>

#include "issuer/issuer.h"
#include "issuer/pdf.h"
#include "issuer/registry.h"
#include "qr/claims.h"
#include "qr/render.h"

#define ISSUANCE_QR_MAX 4400 /* bytes of a QR text, with room to spare */

/* Where and how the files of a run are written. */
typedef struct {
    const char *out;         /* the folder */
    const char *formats;     /* a comma-separated list of png, svg, pdf */
    render_opts render;      /* the QR codes' drawing */
    const char *holder_base; /* the holder page's address, or NULL: no link */
    int holder_qr;           /* also a QR code of the holder link */
    int terminal, invert;    /* also the QR code on standard output (the command line) */
    pdf_ctx *pdf;            /* NULL: no PDF at all; else one per thread */
    int pdf_files;           /* OUT/<id>.pdf */
    pdf_doc *batch;          /* every page in one document too, or NULL */
    const char *batch_path;  /* its name, for messages */
    size_t batch_failed;     /* pages that could not be added to the batch */
    const char *issuer_name; /* the préfecture's display name, printed on the PDF */
    const char *verify_base; /* the verify address printed on the PDF, or "" */
} issuance_out;

/* One signed attestation. */
typedef struct {
    char id[2 * CLAIMS_CTI_LEN + 1];
    char qr[ISSUANCE_QR_MAX]; /* the full QR text, NUL-terminated */
    size_t qrlen;
    int version;                /* its QR version at the run's level */
    char card[ISSUANCE_QR_MAX]; /* the holder's card, NUL-terminated */
    int card_version;
} issuance_result;

/* Whether formats (a comma-separated list) names name. */
int issuance_want(const char *formats, const char *name);

/*
 * Whether the PDF can print c's texts (pdf NULL: no PDF asked for): 0;
 * -1 with the field named in err ("family_name: a character that...");
 * -2 when the préfecture's name or the verify address cannot be printed
 * (err names it: the whole run is wrong); -3 out of memory.
 */
int issuance_printable(pdf_ctx *pdf, const api_claims *c, const char *issuer_name, const char *verify_base,
                       char *err, size_t cap);

/*
 * Registers n attestations in one transaction (registry_allocate): each
 * entries[i] gets its id and index, with iat now and the validity of
 * claims[i]. replaces (one attestation only) is superseded in the same
 * transaction. registry_allocate's errors, why saying the reason of a
 * refused replacement.
 */
api_err issuance_register(registry *reg, const issuer_key *key, const api_claims *claims,
                          registry_entry *entries, size_t n, const uint8_t *replaces, int64_t now, char *why,
                          size_t whycap);

/*
 * Completes c with the issuer's identity and the registered entry's id and
 * index, signs it and its holder's card with key, and writes the
 * files of o. 0, or -1 after saying why (the attestation is registered
 * but counts as failed).
 */
int issuance_sign_write(issuance_result *r, issuance_out *o, api_claims *c, const registry_entry *entry,
                        const issuer_config *cfg, const issuer_key *key, int64_t now);

/*
 * The holder link: base + "#" + the QR text percent-encoded as JavaScript's
 * encodeURIComponent does. 0, or -1 if it does not fit cap.
 */
int issuance_holder_link(char *out, size_t cap, const char *base, const char *qr);

/*
 * The claims of a QR text, as signed; with pk, only when its signature
 * verifies with that key (pk NULL: not checked, as right after signing).
 */
api_err issuance_claims_of(api_claims *c, const char *qr, const uint8_t *pk);

/*
 * After a restore: gives reg back the attestation of the QR text qr (the
 * full code, NUL-terminated), one that the issuer of dir signed (with its
 * current key or one before a rotation) and that reg does not hold
 * (registry_adopt). *cti gets its id, *how what was done. API_ERR_ARG (why
 * says it) when qr is not an attestation of this issuer whose signature
 * verifies; API_ERR_EXISTS (why too) when the registry holds its id or its
 * index for another; other codes are the registry's.
 */
api_err issuance_adopt(registry *reg, const char *dir, const issuer_config *cfg, const char *qr, int64_t now,
                       uint8_t cti[CLAIMS_CTI_LEN], registry_adoption *how, char *why, size_t whycap);

#endif
