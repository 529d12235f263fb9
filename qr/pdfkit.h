/*
 * pdfkit.h: what the project's printed pages share, the attestation
 * (issuer/pdf.c) and the proof of verification (verifier/receiptpdf.c):
 * Pango set up for a PDF page, text laid out in a style and fitted to a
 * width, QR codes painted as 1-bit masks, and a Cairo PDF document written
 * into memory with generic metadata and dates that come from the page,
 * not from the clock.
 *
 * Units are points (1 mm = 72 / 25.4 pt). Layouts measure the same on any
 * surface and at any size: 72 units an inch, no hinting, glyph positions
 * not rounded. Optional ligatures ("fi", "ff") are off, because Cairo puts
 * glyphs outside WinAnsi into a second subset of each font, which costs a
 * tenth of a page's time; the required ones (Arabic's lam-alef) stay. A
 * name broken inside a word is broken without a hyphen, which would read
 * as part of the name.
 *
 * Nothing here reads a file of ours, decides what is valid, or signs: the
 * pages draw what they are handed.
 */
#ifndef API_PDFKIT_H
#define API_PDFKIT_H

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "qr/render.h"

#define PDFKIT_MM(x)  ((x)*72.0 / 25.4)
#define PDFKIT_A4_W   PDFKIT_MM(210.0)
#define PDFKIT_A4_H   PDFKIT_MM(297.0)
#define PDFKIT_QUIET  4 /* modules of quiet zone around a code */
#define PDFKIT_STYLES 16

/* A text style: a Pango font description without its size, the size, the floor a fitted text may shrink to
 * (0: it wraps at once), the colour. */
typedef struct {
    const char *font;
    double size;
    double min;
    unsigned rgb; /* 0xRRGGBB */
} pdfkit_style;

/* The fonts and the Pango context of a page's styles (at most PDFKIT_STYLES). */
typedef struct {
    PangoFontMap *fontmap;
    PangoContext *pango;
    PangoAttrList *attrs; /* of every plain layout */
    const pdfkit_style *styles;
    int n_styles;
    PangoFontDescription *font[PDFKIT_STYLES];
} pdfkit_fonts;

/* Sets up f for styles[0..n); API_ERR_IO when no font at all can be loaded. */
api_err pdfkit_fonts_init(pdfkit_fonts *f, const pdfkit_style *styles, int n);
void pdfkit_fonts_free(pdfkit_fonts *f);

/* Pango units of pt points. */
int pdfkit_units(double pt);

/*
 * A new layout of text in style st at size points (the style's own size or
 * another); width <= 0: one line, else wrapped within width. With markup,
 * text is Pango markup. NULL when out of memory.
 */
PangoLayout *pdfkit_layout_new(const pdfkit_fonts *f, int st, double size, const char *text, double width,
                               PangoAlignment align, int markup);

/*
 * A field from outside, fitted within width: at its style's size on one
 * line if it fits; else shrunk (by quarter points) until it does, down to
 * the style's floor; else wrapped at the floor. Never cut. NULL when out
 * of memory.
 */
PangoLayout *pdfkit_layout_fit(const pdfkit_fonts *f, int st, const char *text, double width,
                               PangoAlignment align);

double pdfkit_layout_width(PangoLayout *lay);
double pdfkit_layout_height(PangoLayout *lay);
double pdfkit_layout_baseline(PangoLayout *lay);

/* Whether lay holds a character that no installed font can draw. */
int pdfkit_layout_unknown(PangoLayout *lay);

void pdfkit_color(cairo_t *cr, unsigned rgb);

/* Draws lay with its top-left corner at (x, y) in colour rgb, inside a structure tag when tag is not NULL. */
void pdfkit_show(cairo_t *cr, PangoLayout *lay, unsigned rgb, double x, double y, const char *tag);

/*
 * A code's modules as a 1-bit image, one pixel a module, for
 * pdfkit_draw_code: painted as a stencil mask scaled without
 * interpolation, a code is sharp squares at any zoom and in print, and a
 * few hundred bytes of the page. NULL when out of memory.
 */
cairo_pattern_t *pdfkit_code_mask(const render_code *code);

/* A code's mask painted in black, (x, y) the matrix's corner (quiet zone outside it), module points a module.
 */
void pdfkit_draw_code(cairo_t *cr, cairo_pattern_t *mask, double x, double y, double module);

/* A module's side, at least min, rounded up to a quarter of a point (a short, exact scale in the page). */
double pdfkit_module_size(double min);

/* A PDF document written into memory. */
typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    buf out;
} pdfkit_doc;

/* Opens a document of pages w x h points with its title, subject and creator, its "Document" tag open. */
api_err pdfkit_doc_open(pdfkit_doc *d, double w, double h, const char *title, const char *subject,
                        const char *creator);

/* The document's creation and modification dates: t in Paris time ("2026-09-14T10:00:00+02:00"). */
void pdfkit_doc_dates(pdfkit_doc *d, int64_t t);

/* Ends the page being drawn: API_OK, or the error that drawing met so far. */
api_err pdfkit_doc_page(pdfkit_doc *d);

/* Closes the "Document" tag, finishes the file and hands it over (*pdf, *len: free it); d is closed. */
api_err pdfkit_doc_finish(pdfkit_doc *d, uint8_t **pdf, size_t *len);

/* Frees what d holds (after a failure; pdfkit_doc_finish closes it itself). */
void pdfkit_doc_close(pdfkit_doc *d);

#endif
