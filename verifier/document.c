/*
 * document.c: a document's kind, its QR codes, and its attestations (see
 * document.h).
 *
 * A photo is decoded and scanned here (image.h). A PDF is drawn page by
 * page by the renderer (pdfread.h); each page bitmap is scanned as it
 * arrives and freed, so a document costs one page of memory at a time
 * however many it has. The first pass draws every page at DOCUMENT_DPI;
 * the pages where nothing was found are drawn again at DOCUMENT_RETRY_DPI
 * (down to DOCUMENT_DPI for a page too large for the pixel budget) in a
 * second pass, under the same deadline. The deadline bounds the renderer:
 * the time spent looking for codes in its pages moves it by as much
 * (pdfread.h), so that a slow reader of many pages never makes a PDF look
 * like one that hangs. Codes are kept in page order.
 *
 * The grouping of codes into attestations verifies each code once (a
 * holder link is first turned into the code it carries) and puts together
 * those whose verification gives the same attestation id; a code that
 * gives none (it does not verify) is grouped only with the same text. Of
 * a group, the report is the longest code's: the full code, which carries
 * every claim, rather than the reduced code or a link to it.
 *
 * This file must not decide a verdict (verify.h does) or print anything.
 */
#include "verifier/document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/text.h"
#include "verifier/image.h"

#define DOCUMENT_PREFIX    "API1:"
#define DOCUMENT_PAGES_CAP 1000 /* the most cfg->max_pages may be */

document_kind document_kind_of(const uint8_t *data, size_t len)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (!data) return DOCUMENT_UNKNOWN;
    if (len >= sizeof png && memcmp(data, png, sizeof png) == 0) return DOCUMENT_PNG;
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return DOCUMENT_JPEG;
    if (len >= 5 && memcmp(data, "%PDF-", 5) == 0) return DOCUMENT_PDF;
    return DOCUMENT_UNKNOWN;
}

const char *document_kind_name(document_kind k)
{
    switch (k) {
    case DOCUMENT_PNG:
        return "png";
    case DOCUMENT_JPEG:
        return "jpeg";
    case DOCUMENT_PDF:
        return "pdf";
    default:
        return "unknown";
    }
}

void document_free(document *doc)
{
    if (!doc) return;
    for (size_t i = 0; i < doc->n_codes; i++) free(doc->codes[i].text);
    free(doc->codes);
    doc->codes = NULL;
    doc->n_codes = 0;
}

/* Takes the codes of one page (their texts move into doc); -1 when out of memory. */
static int document_add(document *doc, unsigned page, image_codes *c)
{
    if (c->n == 0) return 0;
    document_code *grown = realloc(doc->codes, (doc->n_codes + c->n) * sizeof *grown);
    if (!grown) return -1;
    doc->codes = grown;
    for (size_t i = 0; i < c->n; i++) {
        doc->codes[doc->n_codes++] = (document_code){page, c->text[i], c->len[i]};
        c->text[i] = NULL;
    }
    c->n = 0;
    return 0;
}

/* ---- images ---- */

static document_status document_image(document *doc, const uint8_t *data, size_t len)
{
    image_codes c;
    api_err e = image_read_codes(&c, data, len);
    doc->pages_read = e == API_OK;
    if (e == API_OK && document_add(doc, 1, &c) != 0) e = API_ERR_NOMEM;
    image_codes_free(&c);
    switch (e) {
    case API_OK:
        return doc->n_codes ? DOCUMENT_OK : DOCUMENT_NO_CODE;
    case API_ERR_TOO_LARGE:
        return DOCUMENT_TOO_LARGE;
    case API_ERR_NOMEM:
        return DOCUMENT_NOMEM;
    default:
        return DOCUMENT_UNREADABLE;
    }
}

/* ---- PDF ---- */

/* The state of a reading, for the page function. */
typedef struct {
    document *doc;
    unsigned found[DOCUMENT_PAGES_CAP + 1]; /* codes found on each page, by number */
    unsigned max_pages;
    int nomem;
} document_pdf_state;

static int document_on_page(void *arg, unsigned page, unsigned w, unsigned h, const uint8_t *gray)
{
    document_pdf_state *st = arg;
    image_codes c;
    api_err e = image_read_gray(&c, gray, w, h);
    if (e == API_OK && c.n && page <= st->max_pages) st->found[page] += (unsigned)c.n;
    if (e == API_OK && document_add(st->doc, page, &c) != 0) e = API_ERR_NOMEM;
    image_codes_free(&c);
    if (e == API_ERR_NOMEM) {
        st->nomem = 1;
        return -1;
    }
    return 0; /* a page zbar cannot scan is a page without a code */
}

static document_status document_of_pdfread(pdfread_status s)
{
    switch (s) {
    case PDFREAD_OK:
        return DOCUMENT_OK;
    case PDFREAD_ENCRYPTED:
        return DOCUMENT_ENCRYPTED;
    case PDFREAD_TOO_MANY_PAGES:
        return DOCUMENT_TOO_MANY_PAGES;
    case PDFREAD_PAGE_TOO_LARGE:
        return DOCUMENT_TOO_LARGE;
    case PDFREAD_NO_RENDERER:
        return DOCUMENT_NO_RENDERER;
    case PDFREAD_NOMEM:
        return DOCUMENT_NOMEM;
    default: /* damaged, crashed, timeout, too large an input, stopped */
        return DOCUMENT_UNREADABLE;
    }
}

/* Sorts the codes by page, keeping the order within a page (the second pass appends). */
static void document_sort(document *doc)
{
    for (size_t i = 1; i < doc->n_codes; i++) {
        document_code c = doc->codes[i];
        size_t j = i;
        while (j > 0 && doc->codes[j - 1].page > c.page) {
            doc->codes[j] = doc->codes[j - 1];
            j--;
        }
        doc->codes[j] = c;
    }
}

static document_status document_pdf(document *doc, const document_config *cfg, const uint8_t *data,
                                    size_t len)
{
    if (!cfg || !cfg->renderer) return DOCUMENT_NO_RENDERER;
    document_pdf_state *st = calloc(1, sizeof *st);
    if (!st) return DOCUMENT_NOMEM;
    st->doc = doc;
    st->max_pages = cfg->max_pages ? cfg->max_pages : PDFREAD_DEFAULT_MAX_PAGES;
    if (st->max_pages > DOCUMENT_PAGES_CAP) st->max_pages = DOCUMENT_PAGES_CAP;
    pdfread_config rc = {.renderer = cfg->renderer, .max_pages = st->max_pages};
    int timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : DOCUMENT_DEFAULT_TIMEOUT_MS;
    doc->timeout_ms = timeout;
    pdfread_pass pass = {.dpi = DOCUMENT_DPI, .deadline_ms = pdfread_now_ms() + timeout};

    doc->pdf = pdfread_render(&doc->info, &rc, &pass, data, len, document_on_page, st);
    doc->pages_read = doc->info.pages_drawn;
    if (doc->pdf == PDFREAD_OK) {
        unsigned retry[DOCUMENT_PAGES_CAP];
        size_t n = 0;
        unsigned last = doc->info.pages_in_file < st->max_pages ? doc->info.pages_in_file : st->max_pages;
        for (unsigned p = 1; p <= last; p++)
            if (!st->found[p]) retry[n++] = p;
        if (n > 0) {
            pdfread_info second;
            pdfread_pass again = {.dpi = DOCUMENT_RETRY_DPI,
                                  .min_dpi = DOCUMENT_DPI,
                                  .pages = retry,
                                  .n_pages = n,
                                  .deadline_ms = pass.deadline_ms + (int64_t)(doc->info.page_seconds * 1000)};
            doc->pdf = pdfread_render(&second, &rc, &again, data, len, document_on_page, st);
            doc->info.seconds += second.seconds;
            doc->info.page_seconds += second.page_seconds;
            doc->info.killed = second.killed;
            if (doc->pdf != PDFREAD_OK) {
                doc->info.page = second.page;
                doc->info.limit = second.limit;
            }
        }
    }
    document_status s = st->nomem ? DOCUMENT_NOMEM : document_of_pdfread(doc->pdf);
    free(st);
    document_sort(doc);
    if (s == DOCUMENT_OK && doc->n_codes == 0) s = DOCUMENT_NO_CODE;
    return s;
}

document_status document_read(document *doc, const document_config *cfg, const uint8_t *data, size_t len)
{
    memset(doc, 0, sizeof *doc);
    doc->kind = document_kind_of(data, len);
    switch (doc->kind) {
    case DOCUMENT_PNG:
    case DOCUMENT_JPEG:
        doc->status = document_image(doc, data, len);
        break;
    case DOCUMENT_PDF:
        doc->status = document_pdf(doc, cfg, data, len);
        break;
    default:
        doc->status = DOCUMENT_NOT_SUPPORTED;
        break;
    }
    return doc->status;
}

void document_describe(char *out, size_t cap, const document *doc)
{
    const pdfread_info *in = &doc->info;
    switch (doc->status) {
    case DOCUMENT_OK:
        snprintf(out, cap, "read");
        break;
    case DOCUMENT_NOT_SUPPORTED:
        snprintf(out, cap, "not a PNG, JPEG or PDF file");
        break;
    case DOCUMENT_UNREADABLE:
        if (doc->kind != DOCUMENT_PDF)
            snprintf(out, cap, "the image is not a PNG or JPEG file that can be read");
        else if (doc->pdf == PDFREAD_TIMEOUT)
            snprintf(out, cap, "the PDF took longer to draw than the %g s allowed; it was given up",
                     doc->timeout_ms / 1000.0);
        else
            snprintf(out, cap, "%s", pdfread_strerror(doc->pdf));
        break;
    case DOCUMENT_ENCRYPTED:
        snprintf(out, cap, "the PDF is protected by a password: send it without the protection");
        break;
    case DOCUMENT_TOO_MANY_PAGES:
        snprintf(out, cap,
                 "the PDF has %u pages; at most %llu are read: send the pages with the attestations",
                 in->pages_in_file, in->limit);
        break;
    case DOCUMENT_TOO_LARGE:
        if (doc->kind == DOCUMENT_PDF)
            snprintf(out, cap, "page %u of the PDF is larger than is drawn (over %llu pixels)", in->page,
                     in->limit);
        else
            snprintf(out, cap, "the image has more pixels than are decoded");
        break;
    case DOCUMENT_NO_CODE:
        snprintf(out, cap, "no QR code was found %s",
                 doc->kind == DOCUMENT_PDF ? "on the pages of the PDF" : "in the image");
        break;
    case DOCUMENT_NO_RENDERER:
        snprintf(out, cap, "PDF files cannot be read here (the renderer cannot be started)");
        break;
    default:
        snprintf(out, cap, "out of memory");
        break;
    }
}

/* ---- attestations ---- */

static int document_hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long document_code_text(char *out, size_t cap, const char *code, size_t len)
{
    const char *hash = memchr(code, '#', len);
    int link = (len >= 7 && strncasecmp(code, "http://", 7) == 0) ||
               (len >= 8 && strncasecmp(code, "https://", 8) == 0);
    int is_api =
        len >= sizeof DOCUMENT_PREFIX - 1 && memcmp(code, DOCUMENT_PREFIX, sizeof DOCUMENT_PREFIX - 1) == 0;
    if (!is_api && link && hash) {
        size_t o = 0;
        int bad = 0;
        for (const char *p = hash + 1; p < code + len && !bad; p++) {
            char c = *p;
            if (c == '%') {
                int hi = p + 2 < code + len ? document_hex(p[1]) : -1;
                int lo = hi >= 0 ? document_hex(p[2]) : -1;
                if (lo < 0) {
                    bad = 1;
                    break;
                }
                c = (char)(hi * 16 + lo);
                p += 2;
            }
            if (o + 1 >= cap) return -1;
            out[o++] = c;
        }
        if (!bad && text_utf8_valid((const uint8_t *)out, o)) {
            out[o] = '\0';
            return (long)o;
        }
    }
    if (len + 1 > cap) return -1;
    memcpy(out, code, len);
    out[len] = '\0';
    return (long)len;
}

/* A group of codes: one attestation. */
typedef struct {
    unsigned page;
    int has_cti;
    uint8_t cti[CLAIMS_CTI_LEN];
    const char *text; /* the code (as read) when no cti */
    size_t len;
    size_t best_len; /* the length of the code whose report is kept */
} document_group;

api_err document_verify(document_result **out, size_t *n, const document *doc, const verify_ctx *ctx)
{
    *out = NULL;
    *n = 0;
    if (!doc || doc->n_codes == 0) return API_ERR_NOT_FOUND;
    size_t m = doc->n_codes;
    document_result *res = calloc(m, sizeof *res);
    document_group *groups = calloc(m, sizeof *groups);
    char *text = malloc(IMAGE_MAX_CODE_LEN + 1);
    verify_result *one = malloc(sizeof *one);
    if (!res || !groups || !text || !one) {
        free(res);
        free(groups);
        free(text);
        free(one);
        return API_ERR_NOMEM;
    }
    /* Only the API texts and links to them, when there are any. */
    int any_api = 0;
    for (size_t i = 0; i < m && !any_api; i++) {
        long tl = document_code_text(text, IMAGE_MAX_CODE_LEN + 1, doc->codes[i].text, doc->codes[i].len);
        any_api = tl >= (long)sizeof DOCUMENT_PREFIX - 1 &&
                  memcmp(text, DOCUMENT_PREFIX, sizeof DOCUMENT_PREFIX - 1) == 0;
    }
    size_t ng = 0;
    for (size_t i = 0; i < m; i++) {
        const document_code *c = &doc->codes[i];
        long tl = document_code_text(text, IMAGE_MAX_CODE_LEN + 1, c->text, c->len);
        if (tl < 0) continue;
        int api = tl >= (long)sizeof DOCUMENT_PREFIX - 1 &&
                  memcmp(text, DOCUMENT_PREFIX, sizeof DOCUMENT_PREFIX - 1) == 0;
        if (any_api ? !api : i > 0) continue;
        verify_qrtext(one, ctx, text, (size_t)tl);
        size_t g = 0;
        for (; g < ng; g++) {
            if (one->has_claims && groups[g].has_cti &&
                memcmp(groups[g].cti, one->claims.cti, CLAIMS_CTI_LEN) == 0)
                break;
            if (!one->has_claims && !groups[g].has_cti && groups[g].len == c->len &&
                memcmp(groups[g].text, c->text, c->len) == 0)
                break;
        }
        if (g == ng) {
            groups[g].page = c->page;
            groups[g].has_cti = one->has_claims;
            if (one->has_claims) memcpy(groups[g].cti, one->claims.cti, CLAIMS_CTI_LEN);
            groups[g].text = c->text;
            groups[g].len = c->len;
            res[g].page = c->page;
            ng++;
        } else if ((size_t)tl <= groups[g].best_len) {
            continue; /* the report kept is the longest code's */
        }
        groups[g].best_len = (size_t)tl;
        res[g].res = *one;
    }
    free(groups);
    free(text);
    free(one);
    if (ng == 0) {
        free(res);
        return API_ERR_NOT_FOUND;
    }
    *out = res;
    *n = ng;
    return API_OK;
}
