/*
 * receiptpdf.c: the proof of verification as a page (receiptpdf.h), drawn
 * with qr/pdfkit (the attestation's fonts, layouts and QR masks).
 *
 * The page, top to bottom: the title in French and English; one row per
 * member of the receipt, its label and its value in both languages (a
 * member the receipt does not hold is not printed, never as an empty
 * value); what the document proves and what it does not; then, anchored
 * at the bottom, the receipt's QR code beside how to check it, and a
 * footer with the signing key. Every text from outside (the verifier's
 * and the caller's organisations, the préfecture, the names) is fitted:
 * shrunk down to a floor, then wrapped, never cut; a character no font
 * has refuses the page, with the field named.
 */
#include "verifier/receiptpdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/time.h"
#include "qr/pdfkit.h"
#include "qr/reason.h"
#include "qr/words.h"
#include "verifier/explain.h"
#include "verifier/verify.h"

#define RP_LEFT    PDFKIT_MM(18.0)
#define RP_RIGHT   (PDFKIT_A4_W - PDFKIT_MM(18.0))
#define RP_WIDTH   (RP_RIGHT - RP_LEFT)
#define RP_TOP     PDFKIT_MM(16.0)
#define RP_BOTTOM  (PDFKIT_A4_H - PDFKIT_MM(12.0))
#define RP_LABEL_W PDFKIT_MM(48.0)
#define RP_CODE    PDFKIT_MM(46.0) /* the code, quiet zone excluded, at least */
#define RP_MODULE  PDFKIT_MM(0.5)

#define RP_TITLE   "Preuve de vérification d'une attestation de prolongation d'instruction"
#define RP_SUBJECT                                                                                           \
    "Vérification électronique signée par un vérificateur (ce n'est pas un acte de la préfecture)"
#define RP_CREATOR "api-verifier"

typedef enum {
    RS_TITLE,
    RS_SUBTITLE,
    RS_HEADING,
    RS_LABEL,
    RS_VALUE,
    RS_NAME,
    RS_BODY,
    RS_SMALL,
    RS_COUNT
} rp_style;

static const pdfkit_style rp_styles[RS_COUNT] = {
    [RS_TITLE] = {"DejaVu Sans Bold", 15.0, 0, 0x000091},
    [RS_SUBTITLE] = {"DejaVu Sans", 10.0, 0, 0x3a3a3a},
    [RS_HEADING] = {"DejaVu Sans Bold", 10.5, 0, 0x000091},
    [RS_LABEL] = {"DejaVu Sans", 8.5, 0, 0x3a3a3a},
    [RS_VALUE] = {"DejaVu Sans", 10.0, 7.0, 0x000000},
    [RS_NAME] = {"DejaVu Sans Bold", 11.0, 7.0, 0x000000},
    [RS_BODY] = {"DejaVu Sans", 8.5, 0, 0x000000},
    [RS_SMALL] = {"DejaVu Sans", 7.5, 0, 0x3a3a3a},
};

#define RP_ROWS_MAX 16

typedef struct {
    PangoLayout *label, *value;
    rp_style st;
} rp_row;

typedef struct {
    pdfkit_fonts fonts;
    PangoLayout *owned[64];
    size_t n_owned;
    rp_row rows[RP_ROWS_MAX];
    size_t n_rows;
    int nomem;
    const char *bad_field;
} rp_page;

static PangoLayout *rp_own(rp_page *p, PangoLayout *lay)
{
    if (!lay || p->n_owned == sizeof p->owned / sizeof p->owned[0]) {
        if (lay) g_object_unref(lay);
        p->nomem = 1;
        return NULL;
    }
    p->owned[p->n_owned++] = lay;
    return lay;
}

/* Our own text, wrapped within width. */
static PangoLayout *rp_text(rp_page *p, rp_style st, const char *text, double width)
{
    return rp_own(p, pdfkit_layout_new(&p->fonts, st, rp_styles[st].size, text, width, PANGO_ALIGN_LEFT, 0));
}

/* A text from outside, fitted within width, its glyphs checked (field names it in a refusal). */
static PangoLayout *rp_field(rp_page *p, rp_style st, const char *text, double width, const char *field)
{
    PangoLayout *lay = rp_own(p, pdfkit_layout_fit(&p->fonts, st, text, width, PANGO_ALIGN_LEFT));
    if (lay && !p->bad_field && pdfkit_layout_unknown(lay)) p->bad_field = field;
    return lay;
}

static void rp_row_add(rp_page *p, const char *label, PangoLayout *value, rp_style st)
{
    PangoLayout *lab = rp_text(p, RS_LABEL, label, RP_LABEL_W - PDFKIT_MM(3.0));
    if (!lab || !value || p->n_rows == RP_ROWS_MAX) {
        p->nomem = 1;
        return;
    }
    p->rows[p->n_rows++] = (rp_row){.label = lab, .value = value, .st = st};
}

/* A row whose value is our own text in both languages: "fr\nen". */
static void rp_row_text(rp_page *p, const char *label, const char *fr, const char *en)
{
    buf b;
    buf_init(&b, 0);
    if (en && *en && strcmp(fr, en) != 0)
        buf_printf(&b, "%s\n%s", fr, en);
    else
        buf_puts(&b, fr);
    if (b.failed) {
        p->nomem = 1;
    } else {
        rp_row_add(p, label, rp_text(p, RS_VALUE, b.p, RP_WIDTH - RP_LABEL_W), RS_VALUE);
    }
    buf_free(&b);
}

/* "2 décembre 2026 à 17:45 (heure de Paris)" and "2 December 2026, 17:45 (Paris time)". */
static void rp_when(char *fr, char *en, size_t cap, int64_t t)
{
    char iso[26], ymd[11], dfr[64], den[64];
    time_format_paris(iso, t); /* 2026-12-02T17:45:00+01:00 */
    memcpy(ymd, iso, 10);
    ymd[10] = '\0';
    words_date(dfr, sizeof dfr, ymd, WORDS_FR);
    words_date(den, sizeof den, ymd, WORDS_EN);
    snprintf(fr, cap, "%s à %.5s (heure de Paris)", dfr, iso + 11);
    snprintf(en, cap, "%s, %.5s (Paris time)", den, iso + 11);
}

static const char *rp_profile(const char *code, int en)
{
    static const struct {
        const char *code, *fr, *en;
    } names[] = {
        {"social", "organisme social", "social agency"},
        {"employer", "employeur", "employer"},
        {"bank", "banque", "bank"},
        {"landlord", "bailleur", "landlord"},
        {"anonymous", "sans clé d'accès", "no access key"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(code, names[i].code)) return en ? names[i].en : names[i].fr;
    return code;
}

static void rp_rows(rp_page *p, const api_receipt *r)
{
    char fr[160], en[160];
    rp_when(fr, en, sizeof fr, r->checked_at);
    rp_row_text(p, "Vérification faite le\nChecked on", fr, en);
    rp_row_add(p, "Par (vérificateur)\nBy (verifier)",
               rp_field(p, RS_VALUE, r->verifier, RP_WIDTH - RP_LABEL_W, "verifier"), RS_VALUE);
    buf b;
    buf_init(&b, 0);
    if (!strcmp(r->org, "anonymous"))
        buf_printf(&b, "Sans clé d'accès (anonyme)\nNo access key (anonymous)");
    else
        buf_printf(&b, "%s\n(%s / %s)", r->org, rp_profile(r->profile, 0), rp_profile(r->profile, 1));
    if (!b.failed)
        rp_row_add(p, "Demandée par\nRequested by", rp_field(p, RS_VALUE, b.p, RP_WIDTH - RP_LABEL_W, "org"),
                   RS_VALUE);
    buf_free(&b);

    verdict v = VERDICT_COUNT;
    for (int i = 0; i < VERDICT_COUNT; i++)
        if (!strcmp(verdict_code((verdict)i), r->result)) v = (verdict)i;
    if (v != VERDICT_COUNT)
        rp_row_text(p, "Résultat\nResult", explain_verdict(v, LANG_FR), explain_verdict(v, LANG_EN));
    else
        rp_row_text(p, "Résultat\nResult", r->result, NULL);
    if (r->reason[0]) {
        api_reason why = API_REASON_COUNT;
        for (int i = 1; i < API_REASON_COUNT; i++)
            if (!strcmp(reason_code((api_reason)i), r->reason)) why = (api_reason)i;
        if (why != API_REASON_COUNT)
            rp_row_text(p, "Motif\nReason", explain_reason(why, LANG_FR), explain_reason(why, LANG_EN));
        else
            rp_row_text(p, "Motif\nReason", r->reason, NULL);
    }
    if (r->has_issuer)
        rp_row_add(p, "Préfecture\nIssued by",
                   rp_field(p, RS_VALUE, r->issuer_name[0] ? r->issuer_name : r->iss, RP_WIDTH - RP_LABEL_W,
                            "issuer name"),
                   RS_VALUE);
    if (r->has_cti) {
        char id[32];
        size_t o = 0;
        for (size_t i = 0; i < CLAIMS_CTI_LEN; i++) {
            if (i && i % 2 == 0) id[o++] = ' ';
            o += (size_t)snprintf(id + o, sizeof id - o, "%02x", r->cti[i]);
        }
        rp_row_text(p, "Attestation n°\nAttestation id", id, NULL);
    }
    if (r->has_holder) {
        buf_init(&b, 0);
        buf_printf(&b, "%s %s", r->fn, r->gn);
        if (!b.failed)
            rp_row_add(p, "Titulaire\nHolder",
                       rp_field(p, RS_NAME, b.p, RP_WIDTH - RP_LABEL_W, "holder names"), RS_NAME);
        buf_free(&b);
    }
    if (r->has_work)
        rp_row_text(p, "Droit au travail\nRight to work", words_work(r->wrk, WORDS_FR),
                    words_work(r->wrk, WORDS_EN));
    if (r->has_until) {
        char dfr[64], den[64];
        words_date(dfr, sizeof dfr, r->until, WORDS_FR);
        words_date(den, sizeof den, r->until, WORDS_EN);
        snprintf(fr, sizeof fr, "%s%s", dfr, r->extended ? " (date prolongée par la préfecture)" : "");
        snprintf(en, sizeof en, "%s%s", den, r->extended ? " (extended by the préfecture)" : "");
        rp_row_text(p, "Valable jusqu'au\nValid until", fr, en);
    }
    if (r->has_status) {
        rp_when(fr, en, sizeof fr, r->status_as_of);
        rp_row_text(p, "État connu au\nStatus as of", fr, en);
    }
}

static const char rp_proves_fr[] =
    "Ce document prouve qu'une vérification électronique de l'attestation a été faite à la date indiquée, "
    "par le vérificateur nommé, et ce qu'elle a trouvé. Le vérificateur l'a signé : le code ci-dessous "
    "contient cette preuve signée, que chacun peut contrôler avec la clé que le vérificateur publie. "
    "Ce n'est pas une autorisation délivrée par la préfecture : il ne crée aucun droit, et l'état de "
    "l'attestation a pu changer depuis la vérification.";
static const char rp_proves_en[] =
    "This document proves that an electronic check of the attestation was made on the date shown, by the "
    "verifier named, and what it found. The verifier signed it: the code below holds this signed proof, "
    "which anyone can check with the key the verifier publishes. It is not an authorisation issued by the "
    "préfecture: it creates no right, and the attestation's status may have changed since the check.";
static const char rp_check[] =
    "Contrôler cette preuve : scannez ce code, ou donnez ce fichier à la commande\n"
    "api-verifier receipt check\n"
    "avec les clés publiées par le vérificateur (/api/v1/receipt-keys).\n\n"
    "Check this proof: scan this code, or give this file to the command\n"
    "api-verifier receipt check\n"
    "with the keys the verifier publishes (/api/v1/receipt-keys).";

api_err receiptpdf_render(uint8_t **pdf, size_t *pdf_len, const api_receipt *r, const char *text, size_t len,
                          const char *key_id, const char **field)
{
    if (field) *field = NULL;
    if (!pdf || !pdf_len || !r || !text || len == 0) return API_ERR_ARG;
    *pdf = NULL;
    *pdf_len = 0;
    char *qr = malloc(len + 1);
    if (!qr) return API_ERR_NOMEM;
    memcpy(qr, text, len);
    qr[len] = '\0';
    render_code *code = NULL;
    api_err e = render_code_make(&code, qr, 'M');
    if (e != API_OK) e = render_code_make(&code, qr, 'L'); /* a long receipt: more room, less correction */
    free(qr);
    if (e != API_OK) return e;

    rp_page *p = calloc(1, sizeof *p);
    cairo_pattern_t *mask = NULL;
    if (!p) {
        render_code_free(code);
        return API_ERR_NOMEM;
    }
    e = pdfkit_fonts_init(&p->fonts, rp_styles, RS_COUNT);
    if (e == API_OK) {
        mask = pdfkit_code_mask(code);
        if (!mask) e = API_ERR_NOMEM;
    }
    PangoLayout *title = NULL, *subtitle = NULL, *heading = NULL, *fr = NULL, *en = NULL, *disc = NULL,
                *check = NULL, *footer = NULL;
    int n = render_code_width(code);
    double module = pdfkit_module_size(RP_CODE / n > RP_MODULE ? RP_CODE / n : RP_MODULE);
    double box = (n + 2 * PDFKIT_QUIET) * module;
    if (e == API_OK) {
        title = rp_text(p, RS_TITLE, "Preuve de vérification", RP_WIDTH);
        subtitle = rp_text(p, RS_SUBTITLE,
                           "Proof of verification\nAttestation de prolongation d'instruction (API), vérifiée "
                           "en ligne / checked online",
                           RP_WIDTH);
        rp_rows(p, r);
        heading = rp_text(p, RS_HEADING, "Ce que prouve ce document / What this document proves", RP_WIDTH);
        fr = rp_text(p, RS_BODY, rp_proves_fr, RP_WIDTH);
        en = rp_text(p, RS_BODY, rp_proves_en, RP_WIDTH);
        buf b;
        buf_init(&b, 0);
        buf_printf(&b, "%s / %s", words_disclaimer(WORDS_FR), words_disclaimer(WORDS_EN));
        disc = b.failed ? NULL : rp_text(p, RS_BODY, b.p, RP_WIDTH);
        buf_free(&b);
        check = rp_text(p, RS_BODY, rp_check, RP_WIDTH - box - PDFKIT_MM(4.0));
        char foot[160];
        snprintf(foot, sizeof foot, "Clé de signature du vérificateur / Verifier's signing key: %s",
                 key_id && *key_id ? key_id : "-");
        footer = rp_text(p, RS_SMALL, foot, RP_WIDTH);
        if (p->nomem || !title || !subtitle || !heading || !fr || !en || !disc || !check || !footer)
            e = API_ERR_NOMEM;
        else if (p->bad_field) {
            if (field) *field = p->bad_field;
            e = API_ERR_ARG;
        }
    }
    pdfkit_doc d;
    if (e == API_OK) e = pdfkit_doc_open(&d, PDFKIT_A4_W, PDFKIT_A4_H, RP_TITLE, RP_SUBJECT, RP_CREATOR);
    if (e == API_OK) {
        cairo_t *cr = d.cr;
        pdfkit_doc_dates(&d, r->checked_at);
        cairo_tag_begin(cr, "Sect", "");
        double y = RP_TOP;
        pdfkit_show(cr, title, rp_styles[RS_TITLE].rgb, RP_LEFT, y, "H1");
        y += pdfkit_layout_height(title) + PDFKIT_MM(1.0);
        pdfkit_show(cr, subtitle, rp_styles[RS_SUBTITLE].rgb, RP_LEFT, y, "P");
        y += pdfkit_layout_height(subtitle) + PDFKIT_MM(3.0);
        cairo_set_source_rgb(cr, 0, 0, 0x91 / 255.0);
        cairo_set_line_width(cr, 0.8);
        cairo_move_to(cr, RP_LEFT, y);
        cairo_line_to(cr, RP_RIGHT, y);
        cairo_stroke(cr);
        y += PDFKIT_MM(5.0);
        cairo_tag_begin(cr, "Table", "");
        for (size_t i = 0; i < p->n_rows; i++) {
            const rp_row *row = &p->rows[i];
            double dv = pdfkit_layout_baseline(row->value), dl = pdfkit_layout_baseline(row->label);
            double ly = y + (dv > dl ? dv - dl : 0), vy = y + (dl > dv ? dl - dv : 0);
            cairo_tag_begin(cr, "TR", "");
            pdfkit_show(cr, row->label, rp_styles[RS_LABEL].rgb, RP_LEFT, ly, "TH");
            pdfkit_show(cr, row->value, rp_styles[row->st].rgb, RP_LEFT + RP_LABEL_W, vy, "TD");
            cairo_tag_end(cr, "TR");
            double hl = ly - y + pdfkit_layout_height(row->label),
                   hv = vy - y + pdfkit_layout_height(row->value);
            y += (hl > hv ? hl : hv) + PDFKIT_MM(2.2);
        }
        cairo_tag_end(cr, "Table");
        y += PDFKIT_MM(3.0);
        pdfkit_show(cr, heading, rp_styles[RS_HEADING].rgb, RP_LEFT, y, "H2");
        y += pdfkit_layout_height(heading) + PDFKIT_MM(2.0);
        pdfkit_show(cr, fr, rp_styles[RS_BODY].rgb, RP_LEFT, y, "P");
        y += pdfkit_layout_height(fr) + PDFKIT_MM(2.0);
        pdfkit_show(cr, en, rp_styles[RS_BODY].rgb, RP_LEFT, y, "P");
        y += pdfkit_layout_height(en) + PDFKIT_MM(2.0);
        pdfkit_show(cr, disc, rp_styles[RS_BODY].rgb, RP_LEFT, y, "P");
        y += pdfkit_layout_height(disc);

        double footer_y = RP_BOTTOM - pdfkit_layout_height(footer);
        double code_y = footer_y - PDFKIT_MM(3.0) - box;
        if (code_y < y + PDFKIT_MM(3.0)) {
            e = API_ERR_TOO_LARGE; /* not with the receipt's bounds: test_receiptpdf checks the longest */
        } else {
            cairo_tag_begin(cr, "Figure", "");
            pdfkit_draw_code(cr, mask, RP_LEFT + PDFKIT_QUIET * module, code_y + PDFKIT_QUIET * module,
                             module);
            cairo_tag_end(cr, "Figure");
            pdfkit_show(cr, check, rp_styles[RS_BODY].rgb, RP_LEFT + box + PDFKIT_MM(4.0),
                        code_y + PDFKIT_QUIET * module, "P");
            pdfkit_show(cr, footer, rp_styles[RS_SMALL].rgb, RP_LEFT, footer_y, "P");
            cairo_tag_end(cr, "Sect");
            e = pdfkit_doc_page(&d);
        }
        if (e == API_OK)
            e = pdfkit_doc_finish(&d, pdf, pdf_len);
        else
            pdfkit_doc_close(&d);
    }
    for (size_t i = 0; i < p->n_owned; i++) g_object_unref(p->owned[i]);
    pdfkit_fonts_free(&p->fonts);
    free(p);
    if (mask) cairo_pattern_destroy(mask);
    render_code_free(code);
    return e;
}
