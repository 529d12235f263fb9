/*
 * pdf.h: the attestation as a document: an A4 page in French, drawn from
 * the signed claims with Cairo and Pango, that a préfecture puts in the
 * applicant's online account and that the applicant prints, e-mails or
 * shows at a counter (docs/man/api-issuer.1, issue and show).
 *
 * A page is drawn from what is signed and nothing else: the claims
 * decoded from the QR text, the QR text itself (its code is printed at
 * least 45 mm wide, level M), the préfecture's display name, and two
 * addresses that are not personal data (where to verify; the holder's
 * card). The same inputs always give the same bytes.
 *
 * A text that no installed font can draw is refused, never printed as
 * boxes: pdf_check_text says which field before anything is signed, and
 * the renderers refuse it too. A field that does not fit is shrunk, then
 * wrapped, never cut.
 */
#ifndef API_PDF_H
#define API_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "qr/claims.h"
#include "qr/render.h"

/* One page: what it shows. Strings are UTF-8; the pointers are the caller's. */
typedef struct {
    const api_claims *claims; /* decoded from qr (its signature checked by the caller) */
    const char *qr;           /* the QR text, "API1:..." */
    const render_code *code;  /* qr encoded at level M, or NULL: encoded here */
    const char *issuer_name;  /* the préfecture's display name; NULL or "": the issuer id */
    const char *verify_url;   /* where to verify, or NULL or "": the sentence stops after "téléphone" */
    const char
        *holder_link; /* the link to the holder's card, or NULL: no second code (level L: it is long) */
} pdf_page;

/*
 * What pages share: the fonts, the Pango context and the layouts of the
 * sentences every page says. Not thread-safe: one per thread.
 */
typedef struct pdf_ctx pdf_ctx;

/* API_OK, or API_ERR_NOMEM (or API_ERR_IO when no font can be loaded). */
api_err pdf_ctx_new(pdf_ctx **ctx);
void pdf_ctx_free(pdf_ctx *ctx);

/*
 * Lays out every text of the page that comes from outside the program
 * (the names, the permit requested, the préfecture's name, the verify
 * address) as it will be drawn. API_OK when every character has a glyph
 * in an installed font; API_ERR_ARG otherwise, with *field (when field is
 * not NULL) naming the first such text by its input name:
 * "family_name", "given_names", "title_requested", "issuer name" or
 * "verify address".
 */
api_err pdf_check_text(pdf_ctx *ctx, const pdf_page *page, const char **field);

/*
 * A document of one or more pages (issue --pdf-batch prints a batch in
 * row order). pdf_doc_add draws a page; pdf_doc_end finishes the file
 * into a malloc'd buffer (the caller frees it) and frees doc, whatever it
 * returns; pdf_doc_free abandons a document.
 *
 * Errors: API_ERR_ARG for a NULL argument or a page whose text has a
 * character no font has (*field as pdf_check_text says; the page is not
 * drawn and the document stays usable); API_ERR_TOO_LARGE for a QR text
 * that does not fit a QR code at level M; API_ERR_NOMEM; API_ERR_IO when
 * Cairo fails. The document's creation date is the first page's iat.
 */
typedef struct pdf_doc pdf_doc;

api_err pdf_doc_begin(pdf_doc **doc, pdf_ctx *ctx);
api_err pdf_doc_add(pdf_doc *doc, const pdf_page *page, const char **field);
api_err pdf_doc_end(pdf_doc *doc, uint8_t **pdf, size_t *len);
void pdf_doc_free(pdf_doc *doc);

/* One page, one document: pdf_doc_begin, pdf_doc_add, pdf_doc_end. */
api_err pdf_render(pdf_ctx *ctx, uint8_t **pdf, size_t *len, const pdf_page *page, const char **field);

#endif
