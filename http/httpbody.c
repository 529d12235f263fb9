/*
 * httpbody.c: media types and multipart/form-data (see httpbody.h).
 *
 * The service reads a whole body (bounded) before calling these, so they
 * work on one buffer: no state, no allocation, every index checked against
 * the end. Only what the verification needs is understood: the media type
 * and its boundary parameter, and in a multipart body each part's
 * Content-Type and the name of its Content-Disposition. Anything else in
 * the headers is skipped, never interpreted.
 *
 * This file must not read from the network or decide about verdicts.
 */
#include "http/httpbody.h"

#include <string.h>
#include <strings.h>

#define HTTPBODY_PART_HEADERS_MAX 8192

static int hb_is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* An RFC 7230 token character. */
static int hb_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* An RFC 2046 bchars character (space allowed, but not last). */
static int hb_bchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

/* Whether s[0..n) equals the lower-case word w, ignoring case. */
static int hb_word_is(const char *s, size_t n, const char *w)
{
    return n == strlen(w) && strncasecmp(s, w, n) == 0;
}

/*
 * Reads one parameter "; name=value" at *p (value a token or a quoted
 * string): sets name/nlen and copies the value (unquoted, escapes removed)
 * into val. 1 read, 0 at the end, -1 malformed or a value over valcap-1.
 */
static int hb_param(const char **p, const char *end, const char **name, size_t *nlen, char *val,
                    size_t valcap)
{
    const char *s = *p;
    while (s < end && hb_is_space(*s)) s++;
    if (s == end) {
        *p = s;
        return 0;
    }
    if (*s != ';') return -1;
    s++;
    while (s < end && hb_is_space(*s)) s++;
    const char *n = s;
    while (s < end && hb_tchar(*s)) s++;
    if (s == n || s == end || *s != '=') return -1;
    *name = n;
    *nlen = (size_t)(s - n);
    s++;
    size_t vl = 0;
    if (s < end && *s == '"') {
        s++;
        for (;;) {
            if (s == end) return -1;
            char c = *s++;
            if (c == '"') break;
            if (c == '\\') {
                if (s == end) return -1;
                c = *s++;
            }
            if ((unsigned char)c < 0x20 && c != '\t') return -1;
            if (vl + 1 >= valcap) return -1;
            val[vl++] = c;
        }
    } else {
        const char *v = s;
        while (s < end && hb_tchar(*s)) s++;
        if (s == v || (size_t)(s - v) >= valcap) return -1;
        vl = (size_t)(s - v);
        memcpy(val, v, vl);
    }
    val[vl] = '\0';
    *p = s;
    return 1;
}

/* type/subtype at the start of [s, end): its two spans; *rest after them. 0 or -1. */
static int hb_media(const char *s, const char *end, const char **type, size_t *tlen, const char **sub,
                    size_t *slen, const char **rest)
{
    while (s < end && hb_is_space(*s)) s++;
    *type = s;
    while (s < end && hb_tchar(*s)) s++;
    *tlen = (size_t)(s - *type);
    if (*tlen == 0 || s == end || *s != '/') return -1;
    s++;
    *sub = s;
    while (s < end && hb_tchar(*s)) s++;
    *slen = (size_t)(s - *sub);
    if (*slen == 0) return -1;
    *rest = s;
    return 0;
}

httpbody_type httpbody_media_type(const char *content_type, char boundary[HTTPBODY_BOUNDARY_MAX + 1])
{
    if (boundary) boundary[0] = '\0';
    if (!content_type) return HTTPBODY_NONE;
    size_t len = strnlen(content_type, 1024);
    if (len == 1024) return HTTPBODY_OTHER;
    const char *end = content_type + len, *type, *sub, *p;
    size_t tlen, slen;
    if (hb_media(content_type, end, &type, &tlen, &sub, &slen, &p) != 0) return HTTPBODY_OTHER;
    httpbody_type kind = HTTPBODY_OTHER;
    if (hb_word_is(type, tlen, "application") && hb_word_is(sub, slen, "json"))
        kind = HTTPBODY_JSON;
    else if (hb_word_is(type, tlen, "text") && hb_word_is(sub, slen, "plain"))
        kind = HTTPBODY_TEXT;
    else if (hb_word_is(type, tlen, "image") && hb_word_is(sub, slen, "png"))
        kind = HTTPBODY_PNG;
    else if (hb_word_is(type, tlen, "image") && hb_word_is(sub, slen, "jpeg"))
        kind = HTTPBODY_JPEG;
    else if (hb_word_is(type, tlen, "multipart") && hb_word_is(sub, slen, "form-data"))
        kind = HTTPBODY_MULTIPART;
    else if (hb_word_is(type, tlen, "application") && hb_word_is(sub, slen, "pdf"))
        kind = HTTPBODY_PDF;
    char val[256];
    const char *name;
    size_t nlen;
    int r, has_boundary = 0;
    while ((r = hb_param(&p, end, &name, &nlen, val, sizeof val)) == 1) {
        if (kind == HTTPBODY_MULTIPART && hb_word_is(name, nlen, "boundary") && !has_boundary) {
            size_t bl = strlen(val);
            if (bl == 0 || bl > HTTPBODY_BOUNDARY_MAX || val[bl - 1] == ' ') return HTTPBODY_OTHER;
            for (size_t i = 0; i < bl; i++)
                if (!hb_bchar(val[i])) return HTTPBODY_OTHER;
            if (boundary) memcpy(boundary, val, bl + 1);
            has_boundary = 1;
        }
    }
    if (r < 0) return HTTPBODY_OTHER;
    if (kind == HTTPBODY_MULTIPART && !has_boundary) return HTTPBODY_OTHER;
    return kind;
}

int httpbody_looks_like_image(const uint8_t *data, size_t len)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= sizeof png && memcmp(data, png, sizeof png) == 0) return 1;
    return len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
}

int httpbody_looks_like_pdf(const uint8_t *data, size_t len)
{
    return len >= 5 && memcmp(data, "%PDF-", 5) == 0;
}

/* ---- multipart ---- */

/* What a part's headers say. */
typedef struct {
    int image_type; /* Content-Type image/png or image/jpeg */
    int pdf_type;   /* Content-Type application/pdf */
    int is_payload; /* Content-Disposition: form-data; name="payload" (and no filename) */
} hb_part_info;

/* One header line [s, e) of a part. */
static void hb_part_header(hb_part_info *info, const char *s, const char *e)
{
    const char *colon = memchr(s, ':', (size_t)(e - s));
    if (!colon) return;
    size_t nlen = (size_t)(colon - s);
    const char *v = colon + 1;
    if (hb_word_is(s, nlen, "content-type")) {
        const char *type, *sub, *rest;
        size_t tlen, slen;
        if (hb_media(v, e, &type, &tlen, &sub, &slen, &rest) != 0) return;
        if (hb_word_is(type, tlen, "image") &&
            (hb_word_is(sub, slen, "png") || hb_word_is(sub, slen, "jpeg")))
            info->image_type = 1;
        else if (hb_word_is(type, tlen, "application") && hb_word_is(sub, slen, "pdf"))
            info->pdf_type = 1;
    } else if (hb_word_is(s, nlen, "content-disposition")) {
        while (v < e && hb_is_space(*v)) v++;
        const char *d = v;
        while (v < e && hb_tchar(*v)) v++;
        if (!hb_word_is(d, (size_t)(v - d), "form-data")) return;
        char val[256];
        const char *name;
        size_t pl;
        int is_payload = 0, has_file = 0;
        while (hb_param(&v, e, &name, &pl, val, sizeof val) == 1) {
            if (hb_word_is(name, pl, "name") && strcmp(val, "payload") == 0) is_payload = 1;
            if (hb_word_is(name, pl, "filename")) has_file = 1;
        }
        info->is_payload = is_payload && !has_file;
    }
}

/* The first occurrence of needle in hay (memmem is not in C11 nor POSIX). */
static const uint8_t *hb_find(const uint8_t *hay, size_t haylen, const void *needle, size_t nlen)
{
    const uint8_t *n = needle;
    if (nlen == 0 || haylen < nlen) return NULL;
    const uint8_t *last = hay + (haylen - nlen);
    for (const uint8_t *p = hay; p <= last; p++) {
        p = memchr(p, n[0], (size_t)(last - p) + 1);
        if (!p) return NULL;
        if (memcmp(p, n, nlen) == 0) return p;
    }
    return NULL;
}

api_err httpbody_multipart_find(httpbody_part *out, const uint8_t *body, size_t len, const char *boundary)
{
    memset(out, 0, sizeof *out);
    size_t bl = boundary ? strnlen(boundary, HTTPBODY_BOUNDARY_MAX + 1) : 0;
    if (!body || bl == 0 || bl > HTTPBODY_BOUNDARY_MAX) return API_ERR_ARG;
    uint8_t delim[4 + HTTPBODY_BOUNDARY_MAX]; /* "\r\n--" boundary */
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, bl);
    const size_t dl = 4 + bl;
    const uint8_t *end = body + len, *p;

    /* the first delimiter: at the very start, or after a preamble and CRLF */
    if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0) {
        p = body + dl - 2;
    } else {
        const uint8_t *d = hb_find(body, len, delim, dl);
        if (!d) return API_ERR_ARG;
        p = d + dl;
    }
    httpbody_part payload = {NULL, 0, 0, 0};
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') break; /* the close delimiter */
        while (p < end && (*p == ' ' || *p == '\t')) p++;      /* transport padding */
        /* cppcheck-suppress knownConditionTrueFalse ; p moved past the padding: both ways (fuzz_httpbody) */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return API_ERR_ARG;
        p += 2;
        /* headers, up to an empty line */
        hb_part_info info = {0, 0, 0};
        const uint8_t *hdr_end;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            hdr_end = p; /* no headers */
        } else {
            size_t window =
                (size_t)(end - p) < HTTPBODY_PART_HEADERS_MAX ? (size_t)(end - p) : HTTPBODY_PART_HEADERS_MAX;
            const uint8_t *blank = hb_find(p, window, "\r\n\r\n", 4);
            if (!blank) return API_ERR_ARG;
            const uint8_t *line = p;
            while (line < blank + 2) {
                const uint8_t *eol = hb_find(line, (size_t)(blank + 2 - line), "\r\n", 2);
                if (!eol) break;
                hb_part_header(&info, (const char *)line, (const char *)eol);
                line = eol + 2;
            }
            hdr_end = blank + 2;
        }
        const uint8_t *content = hdr_end + 2;
        const uint8_t *next = hb_find(content, (size_t)(end - content), delim, dl);
        if (!next) return API_ERR_ARG;
        size_t clen = (size_t)(next - content);
        if (info.image_type || httpbody_looks_like_image(content, clen)) {
            out->data = content;
            out->len = clen;
            out->is_image = 1;
            return API_OK;
        }
        if (info.pdf_type || httpbody_looks_like_pdf(content, clen)) {
            out->data = content;
            out->len = clen;
            out->is_pdf = 1;
            return API_OK;
        }
        if (info.is_payload && !payload.data) {
            payload.data = content;
            payload.len = clen;
        }
        p = next + dl;
    }
    if (!payload.data) return API_ERR_NOT_FOUND;
    *out = payload;
    return API_OK;
}
