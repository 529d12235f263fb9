/*
 * document.h: what a document someone sends holds: a PNG or JPEG photo or
 * scan, or a PDF (an attachment, a scan of several pages), told apart by
 * their first bytes; the QR codes on its pages; and the attestations those
 * codes make, one report each.
 *
 * A PDF is drawn by the renderer in a child process (pdfread.h): every
 * page first at DOCUMENT_DPI, then the pages where no code was found again
 * at DOCUMENT_RETRY_DPI, within one wall-clock deadline for the whole
 * document's drawing (the time spent reading codes is not counted). A PDF
 * of more pages than are read is refused, never cut.
 *
 * The codes of one attestation (its full code, its reduced code, a holder
 * link .../holder#API1%3A... to it) are one attestation: grouped by the
 * attestation id (cti) their verification gives, reported once, at the
 * first page where one of them is, in page order.
 *
 * Thread-safe: all state is per call.
 */
#ifndef API_DOCUMENT_H
#define API_DOCUMENT_H

#include <stddef.h>
#include <stdint.h>

#include "verifier/pdfread.h"
#include "verifier/verify.h"

#define DOCUMENT_DPI                150 /* reads a 45 mm code of a printed attestation */
#define DOCUMENT_RETRY_DPI          300 /* for the pages where nothing was found at DOCUMENT_DPI */
#define DOCUMENT_DEFAULT_TIMEOUT_MS 10000

typedef enum { DOCUMENT_UNKNOWN = 0, DOCUMENT_PNG, DOCUMENT_JPEG, DOCUMENT_PDF } document_kind;

/* The kind of the bytes, from their magic (never a name or a media type). */
document_kind document_kind_of(const uint8_t *data, size_t len);

/* "png", "jpeg", "pdf", or "unknown". */
const char *document_kind_name(document_kind k);

/* What reading a document came to: its own vocabulary (document_describe words it). */
typedef enum {
    DOCUMENT_OK = 0,
    DOCUMENT_NOT_SUPPORTED,  /* neither PNG, JPEG nor PDF */
    DOCUMENT_UNREADABLE,     /* an image that does not decode; a PDF damaged, or that crashed, bombed or
                                hung the renderer (doc.pdf says which) */
    DOCUMENT_ENCRYPTED,      /* a PDF that needs a password */
    DOCUMENT_TOO_MANY_PAGES, /* a PDF of more pages than are read */
    DOCUMENT_TOO_LARGE,      /* an image over IMAGE_MAX_PIXELS, a PDF page over the pixel budget */
    DOCUMENT_NO_CODE,        /* read, and no QR code on it */
    DOCUMENT_NO_RENDERER,    /* PDF files cannot be read here (no renderer, or it cannot confine itself) */
    DOCUMENT_NOMEM,
} document_status;

typedef struct {
    const char *renderer; /* api-pdfrender (pdfread_default_renderer); NULL: PDF files are not read */
    int timeout_ms;       /* for a whole PDF; 0: DOCUMENT_DEFAULT_TIMEOUT_MS */
    unsigned max_pages;   /* 0: PDFREAD_DEFAULT_MAX_PAGES */
} document_config;

/* One QR code found: the page it is on (1 for an image) and its text, malloc'd, NUL-terminated. */
typedef struct {
    unsigned page;
    char *text;
    size_t len;
} document_code;

typedef struct {
    document_kind kind;
    document_status status;
    pdfread_status pdf; /* for a PDF: what the renderer came to (the last pass that ran) */
    pdfread_info info;  /* for a PDF: pages, the page or bound a failure is about; seconds of both passes */
    int timeout_ms;     /* for a PDF: the deadline of its drawing */
    unsigned pages_read;
    document_code *codes; /* in page order */
    size_t n_codes;
} document;

/*
 * Reads the document in data[0..len): its kind, then its codes. Returns
 * doc->status; doc is always set, and freed with document_free.
 */
document_status document_read(document *doc, const document_config *cfg, const uint8_t *data, size_t len);

void document_free(document *doc);

/* A sentence for people on why doc could not be read, e.g. "the PDF has 11 pages; at most 10 are read". */
void document_describe(char *out, size_t cap, const document *doc);

/* One attestation of a document: the page it is first found on, and its verification. */
typedef struct {
    unsigned page;
    verify_result res;
} document_result;

/*
 * Verifies the codes of doc and groups them by attestation (see above):
 * *out (malloc'd, *n entries, in page order) has one result per
 * attestation. Codes that are neither an API text nor a holder link are
 * left out when the document holds one that is; otherwise the first code
 * found is verified (and is malformed). API_ERR_NOT_FOUND when doc holds
 * no code; API_ERR_NOMEM.
 */
api_err document_verify(document_result **out, size_t *n, const document *doc, const verify_ctx *ctx);

/*
 * The QR text a code stands for, as the web pages read it (qrTextOf in
 * web/src/common/scanner.js, its twin): a link (http:// or https://, any
 * case) with a fragment that does not start with "API1:" gives its
 * fragment, percent-decoded; anything else, or a fragment that does not
 * decode, is the code itself. out has room for cap bytes with the NUL;
 * returns the length, or -1 when it does not fit.
 */
long document_code_text(char *out, size_t cap, const char *code, size_t len);

#endif
