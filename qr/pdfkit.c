/*
 * pdfkit.c: the printed pages' common ground (pdfkit.h): fonts from
 * fontconfig (fonts-dejavu-core) through Pango, layouts, QR masks, and
 * Cairo's PDF surface writing into a buffer.
 */
#include "qr/pdfkit.h"

#include <cairo-pdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"

/*
 * fontconfig reads its configuration once and keeps it for the life of the
 * process (only FcFini frees it, which Pango never calls, and which must
 * not run while another thread may still use a font): LeakSanitizer, in
 * the sanitizer builds, is told that this is not a leak. Unused elsewhere.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* ---- fonts ---- */

void pdfkit_fonts_free(pdfkit_fonts *f)
{
    if (!f) return;
    for (int s = 0; s < PDFKIT_STYLES; s++)
        if (f->font[s]) pango_font_description_free(f->font[s]);
    if (f->attrs) pango_attr_list_unref(f->attrs);
    if (f->pango) g_object_unref(f->pango);
    if (f->fontmap) g_object_unref(f->fontmap);
    memset(f, 0, sizeof *f);
}

api_err pdfkit_fonts_init(pdfkit_fonts *f, const pdfkit_style *styles, int n)
{
    memset(f, 0, sizeof *f);
    if (!styles || n <= 0 || n > PDFKIT_STYLES) return API_ERR_ARG;
    f->styles = styles;
    f->n_styles = n;
    f->fontmap = pango_cairo_font_map_new();
    if (f->fontmap) f->pango = pango_font_map_create_context(f->fontmap);
    if (!f->pango) {
        pdfkit_fonts_free(f);
        return API_ERR_NOMEM;
    }
    pango_cairo_context_set_resolution(f->pango, 72.0);
    /* At 72 units an inch a rounded position is a whole point: uneven spacing, and a number per glyph. */
    pango_context_set_round_glyph_positions(f->pango, FALSE);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(f->pango, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_language(f->pango, pango_language_from_string("fr"));
    f->attrs = pango_attr_list_new();
    pango_attr_list_insert(f->attrs, pango_attr_font_features_new("liga 0, clig 0"));
    pango_attr_list_insert(f->attrs, pango_attr_insert_hyphens_new(FALSE));
    for (int s = 0; s < n; s++) {
        f->font[s] = pango_font_description_from_string(styles[s].font);
        if (!f->font[s]) {
            pdfkit_fonts_free(f);
            return API_ERR_NOMEM;
        }
        pango_font_description_set_size(f->font[s], (gint)lround(styles[s].size * PANGO_SCALE));
    }
    PangoFont *font = pango_font_map_load_font(f->fontmap, f->pango, f->font[0]);
    if (!font) {
        pdfkit_fonts_free(f);
        return API_ERR_IO; /* no font at all */
    }
    g_object_unref(font);
    return API_OK;
}

/* ---- layouts ---- */

int pdfkit_units(double pt)
{
    return (int)lround(pt * PANGO_SCALE);
}

PangoLayout *pdfkit_layout_new(const pdfkit_fonts *f, int st, double size, const char *text, double width,
                               PangoAlignment align, int markup)
{
    PangoLayout *lay = pango_layout_new(f->pango);
    if (!lay) return NULL;
    if (size != f->styles[st].size) {
        PangoFontDescription *fd = pango_font_description_copy(f->font[st]);
        pango_font_description_set_size(fd, pdfkit_units(size));
        pango_layout_set_font_description(lay, fd);
        pango_font_description_free(fd);
    } else {
        pango_layout_set_font_description(lay, f->font[st]);
    }
    if (width > 0) {
        pango_layout_set_width(lay, pdfkit_units(width));
        pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
    }
    pango_layout_set_alignment(lay, align);
    if (!markup) {
        pango_layout_set_attributes(lay, f->attrs);
        pango_layout_set_text(lay, text, -1);
        return lay;
    }
    pango_layout_set_markup(lay, text, -1); /* its attributes replace the layout's: add ours to them */
    PangoAttrList *al = pango_layout_get_attributes(lay);
    al = al ? pango_attr_list_copy(al) : pango_attr_list_new();
    pango_attr_list_insert(al, pango_attr_font_features_new("liga 0, clig 0"));
    pango_layout_set_attributes(lay, al);
    pango_attr_list_unref(al);
    return lay;
}

double pdfkit_layout_width(PangoLayout *lay)
{
    PangoRectangle r;
    pango_layout_get_extents(lay, NULL, &r);
    return (double)r.width / PANGO_SCALE;
}

double pdfkit_layout_height(PangoLayout *lay)
{
    PangoRectangle r;
    pango_layout_get_extents(lay, NULL, &r);
    return (double)r.height / PANGO_SCALE;
}

double pdfkit_layout_baseline(PangoLayout *lay)
{
    return (double)pango_layout_get_baseline(lay) / PANGO_SCALE;
}

int pdfkit_layout_unknown(PangoLayout *lay)
{
    return pango_layout_get_unknown_glyphs_count(lay) > 0;
}

PangoLayout *pdfkit_layout_fit(const pdfkit_fonts *f, int st, const char *text, double width,
                               PangoAlignment align)
{
    double size = f->styles[st].size, floor_size = f->styles[st].min;
    PangoLayout *lay = pdfkit_layout_new(f, st, size, text, 0, align, 0);
    if (!lay) return NULL;
    double w = pdfkit_layout_width(lay);
    if (w <= width) return lay;
    if (floor_size <= 0) { /* a style that does not shrink wraps at its size */
        g_object_unref(lay);
        return pdfkit_layout_new(f, st, size, text, width, align, 0);
    }
    /* Text scales linearly with its size (no hinting): start from the size that should just fit. */
    size = floor(size * width / w * 4.0) / 4.0;
    while (size >= floor_size) {
        PangoFontDescription *fd = pango_font_description_copy(f->font[st]);
        pango_font_description_set_size(fd, pdfkit_units(size));
        pango_layout_set_font_description(lay, fd);
        pango_font_description_free(fd);
        if (pdfkit_layout_width(lay) <= width) return lay;
        size -= 0.25;
    }
    g_object_unref(lay);
    return pdfkit_layout_new(f, st, floor_size, text, width, align, 0);
}

/* ---- drawing ---- */

void pdfkit_color(cairo_t *cr, unsigned rgb)
{
    cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0);
}

void pdfkit_show(cairo_t *cr, PangoLayout *lay, unsigned rgb, double x, double y, const char *tag)
{
    if (tag) cairo_tag_begin(cr, tag, "");
    pdfkit_color(cr, rgb);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, lay);
    if (tag) cairo_tag_end(cr, tag);
}

/*
 * Made before anything of a page is drawn, so that running out of memory
 * leaves no page half drawn.
 */
cairo_pattern_t *pdfkit_code_mask(const render_code *code)
{
    int n = render_code_width(code);
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_A1, n, n);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return NULL;
    }
    /* A1 packs 32 pixels a native-endian word, the first pixel in its lowest bit on a little-endian host. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const int little = 0;
#else
    const int little = 1;
#endif
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    cairo_surface_flush(img);
    for (int my = 0; my < n; my++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)my * (size_t)stride);
        memset(row, 0, (size_t)stride);
        for (int mx = 0; mx < n; mx++)
            if (render_code_dark(code, mx, my))
                row[mx / 32] |= little ? (uint32_t)1 << (mx % 32) : (uint32_t)1 << (31 - mx % 32);
    }
    cairo_surface_mark_dirty(img);
    cairo_pattern_t *mask = cairo_pattern_create_for_surface(img);
    cairo_surface_destroy(img); /* the pattern holds it */
    if (cairo_pattern_status(mask) != CAIRO_STATUS_SUCCESS) {
        cairo_pattern_destroy(mask);
        return NULL;
    }
    cairo_pattern_set_filter(mask, CAIRO_FILTER_NEAREST);
    return mask;
}

void pdfkit_draw_code(cairo_t *cr, cairo_pattern_t *mask, double x, double y, double module)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, module, module);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_mask(cr, mask);
    cairo_restore(cr);
}

double pdfkit_module_size(double min)
{
    return ceil(min * 4.0) / 4.0;
}

/* ---- documents ---- */

static cairo_status_t pdfkit_write(void *closure, const unsigned char *data, unsigned int len)
{
    buf *b = closure;
    buf_append(b, data, len);
    return b->failed ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

void pdfkit_doc_close(pdfkit_doc *d)
{
    if (d->cr) cairo_destroy(d->cr);
    if (d->surface) cairo_surface_destroy(d->surface);
    buf_free(&d->out);
    d->cr = NULL;
    d->surface = NULL;
}

api_err pdfkit_doc_open(pdfkit_doc *d, double w, double h, const char *title, const char *subject,
                        const char *creator)
{
    memset(d, 0, sizeof *d);
    buf_init(&d->out, 0);
    d->surface = cairo_pdf_surface_create_for_stream(pdfkit_write, &d->out, w, h);
    d->cr = cairo_create(d->surface);
    if (cairo_status(d->cr) != CAIRO_STATUS_SUCCESS) {
        pdfkit_doc_close(d);
        return API_ERR_NOMEM;
    }
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_SUBJECT, subject);
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATOR, creator);
    cairo_tag_begin(d->cr, "Document", "");
    return API_OK;
}

void pdfkit_doc_dates(pdfkit_doc *d, int64_t t)
{
    char when[26];
    time_format_paris(when, t);
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATE_DATE, when);
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_MOD_DATE, when);
}

api_err pdfkit_doc_page(pdfkit_doc *d)
{
    cairo_show_page(d->cr);
    if (cairo_status(d->cr) == CAIRO_STATUS_SUCCESS) return API_OK;
    return d->out.failed ? API_ERR_NOMEM : API_ERR_IO;
}

api_err pdfkit_doc_finish(pdfkit_doc *d, uint8_t **pdf, size_t *len)
{
    *pdf = NULL;
    *len = 0;
    cairo_tag_end(d->cr, "Document");
    cairo_destroy(d->cr);
    d->cr = NULL;
    cairo_surface_finish(d->surface);
    cairo_status_t st = cairo_surface_status(d->surface);
    api_err e = API_OK;
    if (d->out.failed)
        e = API_ERR_NOMEM;
    else if (st != CAIRO_STATUS_SUCCESS)
        e = API_ERR_IO;
    if (e == API_OK) {
        *pdf = (uint8_t *)buf_take(&d->out, len);
        if (!*pdf) e = API_ERR_NOMEM;
    }
    pdfkit_doc_close(d);
    return e;
}
