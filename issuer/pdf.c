/*
 * pdf.c: the attestation page (pdf.h), drawn with Cairo's PDF surface and
 * Pango's layouts, fonts from fontconfig (fonts-dejavu-core).
 *
 * The page, top to bottom: "RÉPUBLIQUE FRANÇAISE" and the motto beside
 * the préfecture's name; the title and its article; the holder and the
 * application as rows of a label and a value; the validity in a box, with
 * the line saying that the end may have been extended since printing;
 * what the attestation proves and the right to work for this holder
 * (qr/words.c, the sentences the verifier says); then, anchored at the
 * bottom, the QR code beside how to verify it (and the holder's card code
 * when there is a link), and a footer with the attestation id and the
 * date of issue. Everything between the header and the verification block
 * flows: each piece of it is a block (a paragraph, or a row of a label
 * and a value) laid out first, measured, then placed; when long names make
 * the flow taller than the room, the space between blocks shrinks, never
 * the text. Fields from outside (names, permit requested, the préfecture's
 * name, the verify address) are fitted: drawn at their size on one line
 * if they fit, else shrunk down to a floor, else wrapped at the floor,
 * never cut. Pango shapes and orders the text (right-to-left names are
 * drawn right to left by its bidi); a character that no font has shows as
 * an unknown glyph in the layout, which is refused before anything is
 * drawn.
 *
 * The QR codes are 1-bit images, one pixel a module, painted as stencil
 * masks scaled up without interpolation (pdf_draw_code): sharp squares at
 * any zoom and in print. The main code is at least 46 mm wide and a module
 * at least 0.5 mm, quiet zone of four modules kept clear. The text is real
 * text with embedded font subsets; headings, paragraphs, the rows (a
 * table) and the codes (figures) are tagged in reading order with Cairo's
 * structure tags, so the PDF is tagged for screen readers.
 *
 * Determinism: the document's metadata (a generic title and subject, no
 * author) takes the first page's iat as its creation and modification
 * dates, and nothing else in the file depends on the time or the machine's
 * state; hinting is off, so layouts are the same at any resolution.
 *
 * Speed: a pdf_ctx keeps the fonts, one Pango context, the layouts of
 * the texts every page says (labels, headings, the sentences) and the
 * fitted texts of recent pages (the préfecture's name and the verify
 * sentence are on every page of a batch, dates and kinds often repeat),
 * so a page shapes only what is new; a code is a few hundred bytes of
 * image. What is left is Cairo's (1.16), about 1.6 ms a page on the bench
 * machine: it writes the text glyph by glyph and deflates the page, then
 * subsets the two fonts and deflates them (zlib is near half of a page's
 * time, at the default level, which Cairo does not let a caller choose). This
 * file must not read files, decide what is valid, or sign: it draws what
 * it is handed.
 */
#include "issuer/pdf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/time.h"
#include "qr/country.h"
#include "qr/pdfkit.h"
#include "qr/words.h"

/* ---- geometry, in points (1 mm = 72 / 25.4 pt) ---- */

#define PDF_MM(x)         PDFKIT_MM(x)
#define PDF_PAGE_W        PDFKIT_A4_W
#define PDF_PAGE_H        PDFKIT_A4_H
#define PDF_LEFT          PDF_MM(18.0)
#define PDF_RIGHT         (PDF_PAGE_W - PDF_MM(18.0))
#define PDF_TOP           PDF_MM(14.0)
#define PDF_BOTTOM        (PDF_PAGE_H - PDF_MM(12.0))
#define PDF_WIDTH         (PDF_RIGHT - PDF_LEFT)
#define PDF_LABEL_W       PDF_MM(52.0) /* the label column of a row */
#define PDF_GAP           PDF_MM(4.0)  /* between the parts of the verification block */
#define PDF_CODE_MIN      PDF_MM(46.0) /* the main code, quiet zone excluded */
#define PDF_MODULE_MIN    PDF_MM(0.5)
#define PDF_HOLDER_MIN    PDF_MM(30.0) /* the holder's card code */
#define PDF_HOLDER_MODULE PDF_MM(0.42)
#define PDF_QUIET         PDFKIT_QUIET
#define PDF_GAP_FLOOR     0.2 /* the least share of its spacing the flow may keep */

#define PDF_TITLE         "Attestation de prolongation d'instruction"
#define PDF_SUBJECT       "Attestation délivrée par une préfecture (CESEDA, art. R. 431-15-1)"
#define PDF_CREATOR       "api-issuer"

/* ---- styles ---- */

typedef enum {
    ST_REPUBLIC, /* the top-left block (markup: the name of the Republic and the motto) */
    ST_ISSUER,   /* the préfecture, top right */
    ST_TITLE,
    ST_SUBTITLE,
    ST_HEADING,
    ST_LABEL,
    ST_VALUE,
    ST_NAME,
    ST_VALIDITY,
    ST_BODY,
    ST_WORK,
    ST_SMALL,
    ST_COUNT
} pdf_style;

static const pdfkit_style pdf_styles[ST_COUNT] = {
    [ST_REPUBLIC] = {"DejaVu Sans Bold", 10.5, 0, 0x000000},
    [ST_ISSUER] = {"DejaVu Sans Bold", 11.0, 8.0, 0x000000},
    [ST_TITLE] = {"DejaVu Sans Bold", 15.0, 0, 0x000091},
    [ST_SUBTITLE] = {"DejaVu Sans", 8.5, 0, 0x3a3a3a},
    [ST_HEADING] = {"DejaVu Sans Bold", 10.5, 0, 0x000091},
    [ST_LABEL] = {"DejaVu Sans", 9.0, 0, 0x3a3a3a},
    [ST_VALUE] = {"DejaVu Sans", 10.5, 7.5, 0x000000},
    [ST_NAME] = {"DejaVu Sans Bold", 12.0, 7.5, 0x000000},
    [ST_VALIDITY] = {"DejaVu Sans Bold", 12.5, 0, 0x000000},
    [ST_BODY] = {"DejaVu Sans", 8.5, 0, 0x000000},
    [ST_WORK] = {"DejaVu Sans Bold", 9.5, 0, 0x000000},
    [ST_SMALL] = {"DejaVu Sans", 7.5, 0, 0x3a3a3a},
};

/* ---- the context: fonts and the layouts every page shares ---- */

#define PDF_CACHE_MAX 48

typedef struct {
    pdf_style st;
    int width; /* Pango units; -1: one line */
    PangoAlignment align;
    int markup;
    char *text;
    PangoLayout *lay;
} pdf_cached;

/*
 * The fitted texts of recent pages (pdf_layout_fit), the least recently
 * used one dropped for a new one: in a batch the préfecture's name and the
 * verify sentence are on every page, and the dates, the nationality, the
 * kind of application and the permit requested often repeat. A page holds
 * its own reference to each layout it draws, so dropping one is safe.
 */
#define PDF_FITTED_MAX 32

typedef struct {
    pdf_style st;
    int width; /* Pango units */
    PangoAlignment align;
    char *text;
    PangoLayout *lay;
    unsigned long used; /* the context's clock when last handed out */
} pdf_fitted;

struct pdf_ctx {
    pdfkit_fonts fonts;
    pdf_cached cache[PDF_CACHE_MAX];
    size_t n_cache;
    pdf_fitted fitted[PDF_FITTED_MAX];
    size_t n_fitted;
    unsigned long clock;
};

void pdf_ctx_free(pdf_ctx *ctx)
{
    if (!ctx) return;
    for (size_t i = 0; i < ctx->n_cache; i++) {
        g_object_unref(ctx->cache[i].lay);
        free(ctx->cache[i].text);
    }
    for (size_t i = 0; i < ctx->n_fitted; i++) {
        g_object_unref(ctx->fitted[i].lay);
        free(ctx->fitted[i].text);
    }
    pdfkit_fonts_free(&ctx->fonts);
    free(ctx);
}

api_err pdf_ctx_new(pdf_ctx **out)
{
    if (!out) return API_ERR_ARG;
    *out = NULL;
    pdf_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return API_ERR_NOMEM;
    api_err e = pdfkit_fonts_init(&ctx->fonts, pdf_styles, ST_COUNT);
    if (e != API_OK) {
        free(ctx);
        return e;
    }
    *out = ctx;
    return API_OK;
}

/* ---- layouts ---- */

/* A new layout of text in style st at size points; width <= 0: one line, else wrapped within it. */
static PangoLayout *pdf_layout_new(pdf_ctx *ctx, pdf_style st, double size, const char *text, double width,
                                   PangoAlignment align, int markup)
{
    return pdfkit_layout_new(&ctx->fonts, (int)st, size, text, width, align, markup);
}

/* The layout of a text every page may say, from the context's cache (not to be unreferenced). */
static PangoLayout *pdf_layout_fixed(pdf_ctx *ctx, pdf_style st, const char *text, double width,
                                     PangoAlignment align, int markup)
{
    int w = width > 0 ? pdfkit_units(width) : -1;
    for (size_t i = 0; i < ctx->n_cache; i++) {
        const pdf_cached *c = &ctx->cache[i];
        if (c->st == st && c->width == w && c->align == align && c->markup == markup &&
            !strcmp(c->text, text))
            return c->lay;
    }
    if (ctx->n_cache == PDF_CACHE_MAX) return NULL; /* the page keeps texts of its own elsewhere */
    pdf_cached *c = &ctx->cache[ctx->n_cache];
    c->text = strdup(text);
    c->lay = c->text ? pdf_layout_new(ctx, st, pdf_styles[st].size, text, width, align, markup) : NULL;
    if (!c->lay) {
        free(c->text);
        return NULL;
    }
    c->st = st;
    c->width = w;
    c->align = align;
    c->markup = markup;
    ctx->n_cache++;
    return c->lay;
}

/* pdfkit_layout_fit's layout, from the context's fitted texts when it is there: a new reference, or NULL. */
static PangoLayout *pdf_layout_fit(pdf_ctx *ctx, pdf_style st, const char *text, double width,
                                   PangoAlignment align)
{
    int w = pdfkit_units(width);
    size_t victim = 0;
    for (size_t i = 0; i < ctx->n_fitted; i++) {
        pdf_fitted *f = &ctx->fitted[i];
        if (f->st == st && f->width == w && f->align == align && !strcmp(f->text, text)) {
            f->used = ++ctx->clock;
            return g_object_ref(f->lay);
        }
        if (f->used < ctx->fitted[victim].used) victim = i;
    }
    PangoLayout *lay = pdfkit_layout_fit(&ctx->fonts, (int)st, text, width, align);
    char *copy = lay ? strdup(text) : NULL;
    if (!copy) return lay; /* drawn all the same, not kept */
    if (ctx->n_fitted < PDF_FITTED_MAX) {
        victim = ctx->n_fitted++;
    } else {
        g_object_unref(ctx->fitted[victim].lay);
        free(ctx->fitted[victim].text);
    }
    ctx->fitted[victim] = (pdf_fitted){
        .st = st, .width = w, .align = align, .text = copy, .lay = g_object_ref(lay), .used = ++ctx->clock};
    return lay;
}

/* ---- the text of a page ---- */

/* "a0a1 a2a3 a4a5 a6a7 a8a9 aaab": the attestation id in groups of four. */
static void pdf_readable_id(char out[32], const uint8_t cti[CLAIMS_CTI_LEN])
{
    char hex[2 * CLAIMS_CTI_LEN + 1];
    claims_cti_hex(hex, cti);
    size_t o = 0;
    for (size_t i = 0; i < 2 * CLAIMS_CTI_LEN; i++) {
        if (i && i % 4 == 0) out[o++] = ' ';
        out[o++] = hex[i];
    }
    out[o] = '\0';
}

/* The Europe/Paris date of instant t, written out ("15 décembre 2026"). */
static void pdf_date_of(char *out, size_t cap, int64_t t)
{
    char ymd[11];
    time_paris_date(ymd, t);
    words_date(out, cap, ymd, WORDS_FR);
}

/* "Renouvellement": the kind of application with a capital (its words all start with an ASCII letter). */
static void pdf_capitalised(char *out, size_t cap, const char *s)
{
    snprintf(out, cap, "%s", s);
    if (out[0] >= 'a' && out[0] <= 'z') out[0] = (char)(out[0] - 'a' + 'A');
}

static int pdf_has(const char *s)
{
    return s && s[0];
}

static const char *pdf_issuer_name(const pdf_page *p)
{
    return pdf_has(p->issuer_name) ? p->issuer_name : p->claims->iss;
}

/* "Vérifiez ce document : ...", with the verify address when there is one (on a line of its own: never broken
 * after "https://" when it fits). */
static void pdf_verify_sentence(buf *b, const pdf_page *p)
{
    if (pdf_has(p->verify_url))
        buf_printf(b, "Vérifiez ce document : scannez ce code avec un téléphone, ou allez sur\n%s",
                   p->verify_url);
    else
        buf_puts(b, "Vérifiez ce document : scannez ce code avec un téléphone.");
}

/* ---- blocks: the flowing part of a page ---- */

enum {
    PDF_B_TABLE_FIRST = 1u << 0, /* the first row of a table */
    PDF_B_TABLE_LAST = 1u << 1,
    PDF_B_BOX_FIRST = 1u << 2, /* the validity box */
    PDF_B_BOX_LAST = 1u << 3,
    PDF_B_RULE = 1u << 4, /* a heading with a rule under it */
};

typedef struct {
    PangoLayout *lay;   /* the paragraph, or a row's value */
    PangoLayout *label; /* a row's label, or NULL */
    pdf_style st, label_st;
    double x, before, h, label_dy, value_dy;
    const char *tag; /* "H1", "H2", "P"; a row is a table row */
    unsigned flags;
} pdf_block;

#define PDF_BLOCKS_MAX 40
#define PDF_OWNED_MAX  48

struct pdf_doc {
    pdf_ctx *ctx;
    pdfkit_doc kd;
    cairo_t *cr; /* kd.cr */
    int pages;
    PangoLayout *owned[PDF_OWNED_MAX]; /* the layouts of the page being drawn */
    size_t n_owned;
    pdf_block blocks[PDF_BLOCKS_MAX];
    size_t n_blocks;
    int nomem;
    const char *bad_field; /* the first field with a character no font has */
};

/* Keeps a layout of the page (NULL: out of memory, remembered). */
static PangoLayout *pdf_own(pdf_doc *d, PangoLayout *lay)
{
    if (!lay || d->n_owned == PDF_OWNED_MAX) {
        if (lay) g_object_unref(lay);
        d->nomem = 1;
        return NULL;
    }
    d->owned[d->n_owned++] = lay;
    return lay;
}

static void pdf_release(pdf_doc *d)
{
    for (size_t i = 0; i < d->n_owned; i++) g_object_unref(d->owned[i]);
    d->n_owned = 0;
    d->n_blocks = 0;
}

/* A fixed text's layout (cached), or a page's own when the cache is full. */
static PangoLayout *pdf_fixed(pdf_doc *d, pdf_style st, const char *text, double width, PangoAlignment align)
{
    PangoLayout *lay = pdf_layout_fixed(d->ctx, st, text, width, align, 0);
    if (lay) return lay;
    return pdf_own(d, pdf_layout_new(d->ctx, st, pdf_styles[st].size, text, width, align, 0));
}

/* A field from outside, fitted (pdf_layout_fit), its glyphs checked: field names it in a refusal. */
static PangoLayout *pdf_field(pdf_doc *d, pdf_style st, const char *text, double width, PangoAlignment align,
                              const char *field)
{
    PangoLayout *lay = pdf_own(d, pdf_layout_fit(d->ctx, st, text, width, align));
    if (lay && !d->bad_field && pdfkit_layout_unknown(lay)) d->bad_field = field;
    return lay;
}

static pdf_block *pdf_block_add(pdf_doc *d, PangoLayout *lay, pdf_style st, double before, const char *tag)
{
    if (!lay || d->n_blocks == PDF_BLOCKS_MAX) {
        d->nomem = 1;
        return NULL;
    }
    pdf_block *b = &d->blocks[d->n_blocks++];
    memset(b, 0, sizeof *b);
    b->lay = lay;
    b->st = st;
    b->x = PDF_LEFT;
    b->before = before;
    b->tag = tag;
    b->h = pdfkit_layout_height(lay);
    return b;
}

static void pdf_heading(pdf_doc *d, const char *text)
{
    pdf_block *b = pdf_block_add(d, pdf_fixed(d, ST_HEADING, text, PDF_WIDTH, PANGO_ALIGN_LEFT), ST_HEADING,
                                 PDF_MM(5.0), "H2");
    if (b) {
        b->flags |= PDF_B_RULE;
        b->h += PDF_MM(1.6); /* the rule and the space under it */
    }
}

static void pdf_paragraph(pdf_doc *d, PangoLayout *lay, pdf_style st, double before)
{
    pdf_block_add(d, lay, st, before, "P");
}

/* A row of a label and a value: their first baselines on one line. */
static void pdf_row(pdf_doc *d, const char *label, PangoLayout *value, pdf_style st, unsigned flags)
{
    PangoLayout *lab = pdf_fixed(d, ST_LABEL, label, PDF_LABEL_W - PDF_MM(3.0), PANGO_ALIGN_LEFT);
    pdf_block *b = pdf_block_add(d, value, st, PDF_MM(1.3), NULL);
    if (!b || !lab) {
        d->nomem = 1;
        return;
    }
    b->label = lab;
    b->label_st = ST_LABEL;
    b->x = PDF_LEFT + PDF_LABEL_W;
    b->flags |= flags;
    double dv = pdfkit_layout_baseline(value), dl = pdfkit_layout_baseline(lab);
    b->label_dy = dv > dl ? dv - dl : 0;
    b->value_dy = dl > dv ? dl - dv : 0;
    double hv = b->value_dy + pdfkit_layout_height(value), hl = b->label_dy + pdfkit_layout_height(lab);
    b->h = hv > hl ? hv : hl;
}

/* A row whose value is the page's own text, fitted; field names it for a refusal (NULL: our own text). */
static void pdf_row_text(pdf_doc *d, const char *label, const char *value, pdf_style st, const char *field,
                         unsigned flags)
{
    double w = PDF_WIDTH - PDF_LABEL_W;
    PangoLayout *lay = field ? pdf_field(d, st, value, w, PANGO_ALIGN_LEFT, field)
                             : pdf_own(d, pdf_layout_fit(d->ctx, st, value, w, PANGO_ALIGN_LEFT));
    if (lay) pdf_row(d, label, lay, st, flags);
}

static void pdf_flow_holder(pdf_doc *d, const api_claims *c)
{
    char date[64];
    pdf_heading(d, "Titulaire");
    pdf_row_text(d, "Nom", c->fn, ST_NAME, "family_name", PDF_B_TABLE_FIRST);
    pdf_row_text(d, "Prénoms", c->gn, ST_NAME, "given_names", 0);
    words_date(date, sizeof date, c->dob, WORDS_FR);
    pdf_row_text(d, "Date de naissance", date, ST_VALUE, NULL, 0);
    const char *country = country_name_fr(c->nat);
    pdf_row_text(d, "Nationalité", country ? country : c->nat, ST_VALUE, NULL, 0);
    pdf_row_text(d, "N° d'étranger", c->fnn, ST_VALUE, NULL, PDF_B_TABLE_LAST);
}

static void pdf_flow_application(pdf_doc *d, const api_claims *c)
{
    char text[160], date[64];
    pdf_heading(d, "Demande de titre de séjour");
    pdf_capitalised(text, sizeof text, words_application(c->app, WORDS_FR));
    pdf_row_text(d, "Nature de la demande", text, ST_VALUE, NULL, PDF_B_TABLE_FIRST);
    pdf_row_text(d, "Titre de séjour demandé", c->tit, ST_VALUE, "title_requested", 0);
    words_date(date, sizeof date, c->fil, WORDS_FR);
    pdf_row_text(d, "Demande déposée le", date, ST_VALUE, NULL, c->has_prv ? 0 : PDF_B_TABLE_LAST);
    if (c->has_prv) {
        words_date(date, sizeof date, c->prv_exp, WORDS_FR);
        snprintf(text, sizeof text, "n° %s, valable jusqu'au %s", c->prv_no, date);
        pdf_row_text(d, "Titre de séjour précédent", text, ST_VALUE, NULL, PDF_B_TABLE_LAST);
    }
}

static void pdf_flow_validity(pdf_doc *d, const api_claims *c)
{
    char from[64], until[64], text[160];
    pdf_heading(d, "Validité");
    pdf_date_of(from, sizeof from, c->nbf);
    pdf_date_of(until, sizeof until, c->exp);
    snprintf(text, sizeof text, "Valable du %s au %s", from, until);
    pdf_block *b = pdf_block_add(
        d, pdf_own(d, pdf_layout_fit(d->ctx, ST_VALIDITY, text, PDF_WIDTH - PDF_MM(8.0), PANGO_ALIGN_LEFT)),
        ST_VALIDITY, PDF_MM(2.5), "P");
    if (b) {
        b->x += PDF_MM(4.0);
        b->flags |= PDF_B_BOX_FIRST;
    }
    b = pdf_block_add(d,
                      pdf_fixed(d, ST_BODY,
                                "La fin de validité a pu être prolongée depuis l'impression de cette page : "
                                "le code QR ci-dessous indique la date à jour.",
                                PDF_WIDTH - PDF_MM(8.0), PANGO_ALIGN_LEFT),
                      ST_BODY, PDF_MM(1.2), "P");
    if (b) {
        b->x += PDF_MM(4.0);
        b->flags |= PDF_B_BOX_LAST;
    }
}

static void pdf_flow_meaning(pdf_doc *d, const api_claims *c)
{
    pdf_heading(d, "Ce que prouve cette attestation");
    pdf_paragraph(d, pdf_fixed(d, ST_BODY, words_about(WORDS_FR), PDF_WIDTH, PANGO_ALIGN_LEFT), ST_BODY,
                  PDF_MM(1.0));
    pdf_paragraph(d, pdf_fixed(d, ST_WORK, words_work(c->wrk, WORDS_FR), PDF_WIDTH, PANGO_ALIGN_LEFT),
                  ST_WORK, PDF_MM(1.8));
    pdf_paragraph(d, pdf_fixed(d, ST_SMALL, words_disclaimer(WORDS_FR), PDF_WIDTH, PANGO_ALIGN_LEFT),
                  ST_SMALL, PDF_MM(1.2));
}

/* The title, then the holder, the application, the validity and what it proves. */
static void pdf_flow(pdf_doc *d, const api_claims *c)
{
    pdf_block_add(
        d,
        pdf_fixed(d, ST_TITLE, PDF_TITLE "\nd'une demande de titre de séjour", PDF_WIDTH, PANGO_ALIGN_CENTER),
        ST_TITLE, 0, "H1");
    pdf_paragraph(d,
                  pdf_fixed(d, ST_SUBTITLE,
                            "Code de l'entrée et du séjour des étrangers et du droit d'asile (CESEDA), "
                            "article R. 431-15-1",
                            PDF_WIDTH, PANGO_ALIGN_CENTER),
                  ST_SUBTITLE, PDF_MM(1.5));
    pdf_flow_holder(d, c);
    pdf_flow_application(d, c);
    pdf_flow_validity(d, c);
    pdf_flow_meaning(d, c);
}

/* ---- the fixed parts: header, verification block, footer ---- */

typedef struct {
    PangoLayout *republic, *issuer;      /* header */
    PangoLayout *verify_h, *verify_text; /* verification block */
    PangoLayout *compare, *signed_text;
    PangoLayout *holder_caption;
    PangoLayout *footer;
    render_code *own_code; /* the main code when the caller gave none */
    const render_code *code;
    render_code *holder_code;
    cairo_pattern_t *code_mask, *holder_mask; /* pdf_code_mask */
    double module, holder_module;
    double header_h, block_h, footer_h;
} pdf_parts;

static api_err pdf_parts_make(pdf_doc *d, pdf_parts *pt, const pdf_page *p)
{
    const api_claims *c = p->claims;
    memset(pt, 0, sizeof *pt);
    pt->code = p->code;
    if (!pt->code) {
        api_err e = render_code_make(&pt->own_code, p->qr, 'M');
        if (e != API_OK) return e;
        pt->code = pt->own_code;
    }
    pt->code_mask = pdfkit_code_mask(pt->code);
    if (!pt->code_mask) return API_ERR_NOMEM;
    int n = render_code_width(pt->code);
    pt->module = pdfkit_module_size(PDF_CODE_MIN / n > PDF_MODULE_MIN ? PDF_CODE_MIN / n : PDF_MODULE_MIN);
    double code_box = (n + 2 * PDF_QUIET) * pt->module;
    double holder_box = 0;
    if (p->holder_link) {
        api_err e = render_code_make(&pt->holder_code, p->holder_link, 'L');
        if (e != API_OK) return e;
        pt->holder_mask = pdfkit_code_mask(pt->holder_code);
        if (!pt->holder_mask) return API_ERR_NOMEM;
        int hn = render_code_width(pt->holder_code);
        pt->holder_module = pdfkit_module_size(PDF_HOLDER_MIN / hn > PDF_HOLDER_MODULE ? PDF_HOLDER_MIN / hn
                                                                                       : PDF_HOLDER_MODULE);
        holder_box = (hn + 2 * PDF_QUIET) * pt->holder_module;
    }

    pt->republic = pdf_layout_fixed(d->ctx, ST_REPUBLIC,
                                    "RÉPUBLIQUE\nFRANÇAISE\n<span font=\"DejaVu Sans 7.5\" "
                                    "foreground=\"#3a3a3a\">Liberté\nÉgalité\nFraternité</span>",
                                    0, PANGO_ALIGN_LEFT, 1);
    pt->issuer = pdf_field(d, ST_ISSUER, pdf_issuer_name(p), PDF_MM(95.0), PANGO_ALIGN_RIGHT, "issuer name");
    if (!pt->republic || !pt->issuer) return API_ERR_NOMEM;
    double hr = pdfkit_layout_height(pt->republic), hi = pdfkit_layout_height(pt->issuer);
    pt->header_h = hr > hi ? hr : hi;

    double text_w = PDF_WIDTH - code_box - PDF_GAP - (holder_box > 0 ? holder_box + PDF_GAP : 0);
    buf b;
    buf_init(&b, 0);
    pdf_verify_sentence(&b, p);
    pt->verify_h = pdf_fixed(d, ST_HEADING, "Vérifier cette attestation", text_w, PANGO_ALIGN_LEFT);
    pt->verify_text = b.failed ? NULL
                      : pdf_has(p->verify_url)
                          ? pdf_field(d, ST_BODY, b.p, text_w, PANGO_ALIGN_LEFT, "verify address")
                          : pdf_fixed(d, ST_BODY, b.p, text_w, PANGO_ALIGN_LEFT);
    buf_free(&b);
    pt->compare = pdf_fixed(d, ST_BODY, words_compare(c->app == CLAIMS_APP_RENEWAL && c->has_prv, WORDS_FR),
                            text_w, PANGO_ALIGN_LEFT);
    pt->signed_text =
        pdf_fixed(d, ST_BODY,
                  "C'est un document officiel de la préfecture : la signature électronique "
                  "contenue dans le code prouve qu'elle l'a délivré et qu'il n'a pas été modifié.",
                  text_w, PANGO_ALIGN_LEFT);
    if (!pt->verify_h || !pt->verify_text || !pt->compare || !pt->signed_text) return API_ERR_NOMEM;
    double text_h = pdfkit_layout_height(pt->verify_h) + PDF_MM(2.0) + pdfkit_layout_height(pt->verify_text) +
                    PDF_MM(1.5) + pdfkit_layout_height(pt->compare) + PDF_MM(1.5) +
                    pdfkit_layout_height(pt->signed_text);
    double holder_h = 0;
    if (pt->holder_code) {
        pt->holder_caption = pdf_fixed(d, ST_SMALL,
                                       "Carte du titulaire : ce code ouvre sur son téléphone la carte de "
                                       "cette attestation, à présenter à un guichet.",
                                       holder_box, PANGO_ALIGN_LEFT);
        if (!pt->holder_caption) return API_ERR_NOMEM;
        holder_h = holder_box + pdfkit_layout_height(pt->holder_caption);
    }
    pt->block_h = code_box;
    if (text_h > pt->block_h) pt->block_h = text_h;
    if (holder_h > pt->block_h) pt->block_h = holder_h;

    char id[32], date[64], footer[192];
    pdf_readable_id(id, c->cti);
    pdf_date_of(date, sizeof date, c->iat);
    snprintf(footer, sizeof footer, "Attestation n° %s, délivrée le %s.", id, date);
    pt->footer = pdf_own(d, pdf_layout_new(d->ctx, ST_SMALL, pdf_styles[ST_SMALL].size, footer, PDF_WIDTH,
                                           PANGO_ALIGN_LEFT, 0));
    if (!pt->footer) return API_ERR_NOMEM;
    pt->footer_h = pdfkit_layout_height(pt->footer);
    return API_OK;
}

static void pdf_parts_free(pdf_parts *pt)
{
    render_code_free(pt->own_code);
    render_code_free(pt->holder_code);
    if (pt->code_mask) cairo_pattern_destroy(pt->code_mask);
    if (pt->holder_mask) cairo_pattern_destroy(pt->holder_mask);
}

/* ---- drawing ---- */

/* Draws lay at (x, y) in style st's colour, inside a structure tag when tag is not NULL. */
static void pdf_show(cairo_t *cr, PangoLayout *lay, pdf_style st, double x, double y, const char *tag)
{
    pdfkit_show(cr, lay, pdf_styles[st].rgb, x, y, tag);
}

static void pdf_draw_header(cairo_t *cr, const pdf_parts *pt, double *y)
{
    pdf_show(cr, pt->republic, ST_REPUBLIC, PDF_LEFT, *y, "P");
    /* Against the right margin: a line of its own width, or its wrapped lines right-aligned in their box. */
    double ix = pango_layout_get_width(pt->issuer) < 0 ? PDF_RIGHT - pdfkit_layout_width(pt->issuer)
                                                       : PDF_RIGHT - PDF_MM(95.0);
    pdf_show(cr, pt->issuer, ST_ISSUER, ix, *y, "P");
    *y += pt->header_h + PDF_MM(3.0);
    cairo_set_source_rgb(cr, 0, 0, 0x91 / 255.0);
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, PDF_LEFT, *y);
    cairo_line_to(cr, PDF_RIGHT, *y);
    cairo_stroke(cr);
    *y += PDF_MM(5.0);
}

/* The flow from y, its spacing scaled by gap. */
static void pdf_draw_flow(pdf_doc *d, double y, double gap)
{
    cairo_t *cr = d->cr;
    for (size_t i = 0; i < d->n_blocks; i++) {
        const pdf_block *b = &d->blocks[i];
        y += b->before * gap;
        if (b->flags & PDF_B_BOX_FIRST) {
            double box_top = y - PDF_MM(2.0);
            /* the box is drawn under its text: find its bottom first */
            double bottom = y;
            for (size_t j = i; j < d->n_blocks; j++) {
                bottom += (j > i ? d->blocks[j].before * gap : 0) + d->blocks[j].h;
                if (d->blocks[j].flags & PDF_B_BOX_LAST) break;
            }
            cairo_rectangle(cr, PDF_LEFT, box_top, PDF_WIDTH, bottom + PDF_MM(2.0) - box_top);
            cairo_set_source_rgb(cr, 0.94, 0.94, 0.96);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0, 0, 0x91 / 255.0);
            cairo_set_line_width(cr, 0.6);
            cairo_stroke(cr);
        }
        if (b->label) {
            if (b->flags & PDF_B_TABLE_FIRST) cairo_tag_begin(cr, "Table", "");
            cairo_tag_begin(cr, "TR", "");
            pdf_show(cr, b->label, b->label_st, PDF_LEFT, y + b->label_dy, "TH");
            pdf_show(cr, b->lay, b->st, b->x, y + b->value_dy, "TD");
            cairo_tag_end(cr, "TR");
            if (b->flags & PDF_B_TABLE_LAST) cairo_tag_end(cr, "Table");
        } else {
            pdf_show(cr, b->lay, b->st, b->x, y, b->tag);
        }
        if (b->flags & PDF_B_RULE) {
            double ry = y + b->h - PDF_MM(0.8);
            cairo_set_source_rgb(cr, 0.75, 0.75, 0.8);
            cairo_set_line_width(cr, 0.5);
            cairo_move_to(cr, PDF_LEFT, ry);
            cairo_line_to(cr, PDF_RIGHT, ry);
            cairo_stroke(cr);
        }
        y += b->h;
    }
}

static void pdf_draw_verification(cairo_t *cr, const pdf_parts *pt, double y)
{
    int n = render_code_width(pt->code);
    double box = (n + 2 * PDF_QUIET) * pt->module;
    cairo_tag_begin(cr, "Figure", "");
    pdfkit_draw_code(cr, pt->code_mask, PDF_LEFT + PDF_QUIET * pt->module, y + PDF_QUIET * pt->module,
                     pt->module);
    cairo_tag_end(cr, "Figure");

    double x = PDF_LEFT + box + PDF_GAP, ty = y + PDF_QUIET * pt->module;
    pdf_show(cr, pt->verify_h, ST_HEADING, x, ty, "H2");
    ty += pdfkit_layout_height(pt->verify_h) + PDF_MM(2.0);
    pdf_show(cr, pt->verify_text, ST_BODY, x, ty, "P");
    ty += pdfkit_layout_height(pt->verify_text) + PDF_MM(1.5);
    pdf_show(cr, pt->compare, ST_BODY, x, ty, "P");
    ty += pdfkit_layout_height(pt->compare) + PDF_MM(1.5);
    pdf_show(cr, pt->signed_text, ST_BODY, x, ty, "P");

    if (pt->holder_code) {
        int hn = render_code_width(pt->holder_code);
        double hbox = (hn + 2 * PDF_QUIET) * pt->holder_module, hx = PDF_RIGHT - hbox;
        cairo_tag_begin(cr, "Figure", "");
        pdfkit_draw_code(cr, pt->holder_mask, hx + PDF_QUIET * pt->holder_module,
                         y + PDF_QUIET * pt->holder_module, pt->holder_module);
        cairo_tag_end(cr, "Figure");
        pdf_show(cr, pt->holder_caption, ST_SMALL, hx, y + hbox, "Caption");
    }
}

/* ---- pages and documents ---- */

api_err pdf_doc_begin(pdf_doc **out, pdf_ctx *ctx)
{
    if (!out || !ctx) return API_ERR_ARG;
    *out = NULL;
    pdf_doc *d = calloc(1, sizeof *d);
    if (!d) return API_ERR_NOMEM;
    d->ctx = ctx;
    api_err e = pdfkit_doc_open(&d->kd, PDF_PAGE_W, PDF_PAGE_H, PDF_TITLE, PDF_SUBJECT, PDF_CREATOR);
    if (e != API_OK) {
        free(d);
        return e;
    }
    d->cr = d->kd.cr;
    *out = d;
    return API_OK;
}

void pdf_doc_free(pdf_doc *d)
{
    if (!d) return;
    pdf_release(d);
    pdfkit_doc_close(&d->kd);
    free(d);
}

api_err pdf_doc_add(pdf_doc *d, const pdf_page *p, const char **field)
{
    if (field) *field = NULL;
    if (!d || !p || !p->claims || !p->qr) return API_ERR_ARG;
    pdf_parts pt;
    d->nomem = 0;
    d->bad_field = NULL;
    api_err e = pdf_parts_make(d, &pt, p);
    if (e == API_OK) pdf_flow(d, p->claims);
    if (e == API_OK && d->nomem) e = API_ERR_NOMEM;
    if (e == API_OK && d->bad_field) {
        if (field) *field = d->bad_field;
        e = API_ERR_ARG;
    }
    /* Place: the header from the top, the footer and the verification block from the bottom, the flow
     * between. */
    double top = PDF_TOP + pt.header_h + PDF_MM(8.0);
    double footer_y = PDF_BOTTOM - pt.footer_h;
    double block_y = footer_y - PDF_MM(4.0) - pt.block_h;
    double text = 0, spacing = 0;
    for (size_t i = 0; i < d->n_blocks; i++) {
        text += d->blocks[i].h;
        spacing += d->blocks[i].before;
    }
    double room = block_y - PDF_MM(3.0) - top, gap = 1.0;
    if (e == API_OK && text + spacing > room) {
        gap = spacing > 0 ? (room - text) / spacing : 0;
        if (gap < PDF_GAP_FLOOR) e = API_ERR_TOO_LARGE; /* not with the claims' bounds: test_pdf checks */
    }
    if (e == API_OK) {
        if (d->pages == 0) pdfkit_doc_dates(&d->kd, p->claims->iat);
        double y = PDF_TOP;
        cairo_tag_begin(d->cr, "Sect", "");
        pdf_draw_header(d->cr, &pt, &y);
        pdf_draw_flow(d, top, gap);
        pdf_draw_verification(d->cr, &pt, block_y);
        pdf_show(d->cr, pt.footer, ST_SMALL, PDF_LEFT, footer_y, "P");
        cairo_tag_end(d->cr, "Sect");
        e = pdfkit_doc_page(&d->kd);
        d->pages++;
    }
    pdf_parts_free(&pt);
    pdf_release(d);
    return e;
}

api_err pdf_doc_end(pdf_doc *d, uint8_t **pdf, size_t *len)
{
    if (pdf) *pdf = NULL;
    if (len) *len = 0;
    if (!d) return API_ERR_ARG;
    if (!pdf || !len || d->pages == 0) {
        pdf_doc_free(d);
        return API_ERR_ARG;
    }
    api_err e = pdfkit_doc_finish(&d->kd, pdf, len);
    d->cr = NULL;
    pdf_doc_free(d);
    return e;
}

api_err pdf_render(pdf_ctx *ctx, uint8_t **pdf, size_t *len, const pdf_page *page, const char **field)
{
    if (field) *field = NULL;
    if (pdf) *pdf = NULL;
    if (len) *len = 0;
    pdf_doc *d;
    api_err e = pdf_doc_begin(&d, ctx);
    if (e != API_OK) return e;
    e = pdf_doc_add(d, page, field);
    if (e != API_OK) {
        pdf_doc_free(d);
        return e;
    }
    return pdf_doc_end(d, pdf, len);
}

api_err pdf_check_text(pdf_ctx *ctx, const pdf_page *p, const char **field)
{
    if (field) *field = NULL;
    if (!ctx || !p || !p->claims) return API_ERR_ARG;
    const api_claims *c = p->claims;
    const struct {
        pdf_style st;
        const char *text, *name;
    } texts[] = {
        {ST_NAME, c->fn, "family_name"},
        {ST_NAME, c->gn, "given_names"},
        {ST_VALUE, c->tit, "title_requested"},
        {ST_ISSUER, pdf_issuer_name(p), "issuer name"},
        {ST_BODY, pdf_has(p->verify_url) ? p->verify_url : "", "verify address"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        PangoLayout *lay = pdf_layout_new(ctx, texts[i].st, pdf_styles[texts[i].st].size, texts[i].text, 0,
                                          PANGO_ALIGN_LEFT, 0);
        if (!lay) return API_ERR_NOMEM;
        int unknown = pdfkit_layout_unknown(lay);
        g_object_unref(lay);
        if (unknown > 0) {
            if (field) *field = texts[i].name;
            return API_ERR_ARG;
        }
    }
    return API_OK;
}
