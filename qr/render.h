/*
 * render.h: draws a QR text ("API1:..." ) as a QR code, in PNG, SVG or
 * terminal text, with libqrencode.
 *
 * Every function validates its options, encodes the text at the smallest
 * QR version that holds it at the chosen error correction level, and
 * reports that version. Outputs are malloc'd; the caller frees them.
 */
#ifndef API_RENDER_H
#define API_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RENDER_MODULE_PX_MAX 64
#define RENDER_MARGIN_MAX    64
#define RENDER_TEXT_MAX      7089 /* the most any QR code holds (version 40-L, digits) */

typedef struct {
    int module_px; /* pixels per module, 1..64, default 4 */
    int margin;    /* quiet zone in modules, 0..64, default 4 */
    int level;     /* error correction 'L', 'M', 'Q' or 'H', default 'M' */
} render_opts;

/* Fills o with the defaults: 4 px per module, a margin of 4, level 'M'. */
void render_opts_default(render_opts *o);

/*
 * Each renderer below encodes text (case-sensitive; libqrencode picks the
 * alphanumeric mode for the Base45 part), stores the QR version used
 * (1..40) in *version when version is not NULL, and returns a malloc'd
 * buffer. o may be NULL for the defaults.
 *
 * Errors: API_ERR_ARG for a NULL or empty text, NULL outputs or options
 * out of range; API_ERR_TOO_LARGE when the text does not fit in version
 * 40 at the level; API_ERR_NOMEM. On error the outputs are NULL / 0.
 */

/* A PNG image in memory: 1-bit grayscale, black modules on white. */
api_err render_png(uint8_t **png, size_t *len, int *version, const char *text, const render_opts *o);

/*
 * A NUL-terminated SVG document (*len without the NUL): a white background
 * rect and one <path> of the dark modules; the viewBox is in modules,
 * width and height in pixels (module_px per module).
 */
api_err render_svg(char **svg, size_t *len, int *version, const char *text, const render_opts *o);

/*
 * NUL-terminated UTF-8 text (*len without the NUL) drawing two module rows
 * per line with the half blocks U+2580, U+2584, U+2588 and spaces; the
 * quiet zone included, every line ends with a newline. By default the
 * glyphs are the dark modules (for a dark-on-light terminal); with invert
 * set they are the light ones (for a light-on-dark terminal). module_px is
 * ignored: one module is one column wide and half a line high.
 */
api_err render_terminal(char **out, size_t *len, int *version, const char *text, const render_opts *o,
                        int invert);

/*
 * An encoded code, to draw in several formats without encoding again
 * (libqrencode's mask selection is most of the cost of a render).
 */
typedef struct render_code render_code;

/* Encodes text at level ('L', 'M', 'Q', 'H'); errors as above. */
api_err render_code_make(render_code **code, const char *text, int level);
int render_code_version(const render_code *code);
void render_code_free(render_code *code);

/*
 * The module matrix, for a renderer of another format (issuer/pdf.c draws
 * it as vector rectangles): the side in modules, quiet zone excluded
 * (21 for version 1, 177 for 40; 0 for NULL), and whether module (x, y)
 * is dark (0 outside the matrix, so the quiet zone reads as light).
 */
int render_code_width(const render_code *code);
int render_code_dark(const render_code *code, int x, int y);

/* The renderers above, from an encoded code (o's level is not used). */
api_err render_code_png(uint8_t **png, size_t *len, const render_code *code, const render_opts *o);
api_err render_code_svg(char **svg, size_t *len, const render_code *code, const render_opts *o);
api_err render_code_terminal(char **out, size_t *len, const render_code *code, const render_opts *o,
                             int invert);

/*
 * The QR version (1..40) that the renderers would use for text at level
 * ('L', 'M', 'Q', 'H'), or 0 when the text is empty, does not fit or the
 * level is unknown.
 */
int render_version_for(const char *text, int level);

#endif
