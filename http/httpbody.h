/*
 * httpbody.h: what a request body to POST /api/v1/verify is, from its
 * Content-Type, and the part to verify inside a multipart/form-data body
 * (an HTML form's upload). Pure functions over bytes already read: they
 * never trust a length, never allocate, and return an error for anything
 * outside the grammar.
 */
#ifndef API_HTTPBODY_H
#define API_HTTPBODY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef enum {
    HTTPBODY_NONE = 0,  /* no Content-Type */
    HTTPBODY_JSON,      /* application/json */
    HTTPBODY_TEXT,      /* text/plain: the QR text itself */
    HTTPBODY_PNG,       /* image/png */
    HTTPBODY_JPEG,      /* image/jpeg */
    HTTPBODY_MULTIPART, /* multipart/form-data; boundary=... */
    HTTPBODY_OTHER,     /* anything else, or a media type that does not parse */
    HTTPBODY_PDF,       /* application/pdf */
} httpbody_type;

#define HTTPBODY_BOUNDARY_MAX 70 /* RFC 2046 */

/*
 * The kind of body a Content-Type value announces (type and subtype are
 * case-insensitive; parameters are allowed). For multipart/form-data the
 * boundary parameter (1..70 characters, quoted or not) is copied into
 * boundary (NUL-terminated); a multipart without a valid boundary is
 * HTTPBODY_OTHER.
 */
httpbody_type httpbody_media_type(const char *content_type, char boundary[HTTPBODY_BOUNDARY_MAX + 1]);

/* A part chosen in a multipart body: a slice of that body. */
typedef struct {
    const uint8_t *data;
    size_t len;
    int is_image; /* an image (by its Content-Type or its first bytes), else a text field */
    int is_pdf;   /* a PDF (by its Content-Type application/pdf or its first bytes "%PDF-"); is_image is 0 */
} httpbody_part;

/*
 * Finds in a multipart/form-data body (RFC 7578) the part to verify: the
 * first part that is an image (Content-Type image/png or image/jpeg, or
 * content starting like a PNG or a JPEG) or a PDF (application/pdf, or
 * content starting "%PDF-"), or else the first field named "payload" (a
 * QR text). API_ERR_ARG when the body is not well-formed
 * multipart with that boundary (no delimiter, a part's headers over 8 KB or
 * unterminated, no close delimiter), API_ERR_NOT_FOUND when it is but holds
 * neither.
 */
api_err httpbody_multipart_find(httpbody_part *out, const uint8_t *body, size_t len, const char *boundary);

/* Whether the bytes start like a PNG or a JPEG file. */
int httpbody_looks_like_image(const uint8_t *data, size_t len);

/* Whether the bytes start like a PDF file ("%PDF-"). */
int httpbody_looks_like_pdf(const uint8_t *data, size_t len);

#endif
