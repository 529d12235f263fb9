/*
 * text.c: the UTF-8 and control-character policy (see text.h). One
 * decoder, so that the issuer's input, the formats' decoders and the
 * verifier's stores can never disagree about what a valid name is.
 */
#include "common/text.h"

#include <string.h>

/* Decodes one code point at s[0..n): its length, or 0 when it is not valid UTF-8. */
static size_t text_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t k;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        v = c & 0x07;
    } else {
        return 0; /* a continuation byte, an overlong lead, or over U+10FFFF */
    }
    if (n < k) return 0;
    for (size_t j = 1; j < k; j++) {
        if ((s[j] & 0xc0) != 0x80) return 0;
        v = v << 6 | (s[j] & 0x3fu);
    }
    if ((k == 3 && v < 0x800) || (k == 4 && (v < 0x10000 || v > 0x10ffff))) return 0;
    if (v >= 0xd800 && v <= 0xdfff) return 0;
    *cp = v;
    return k;
}

int text_utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = text_next(s + i, n - i, &cp);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

text_check text_check_plain(const uint8_t *s, size_t n)
{
    int control = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = text_next(s + i, n - i, &cp);
        if (!k) return TEXT_BAD_UTF8;
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) control = 1;
        i += k;
    }
    return control ? TEXT_CONTROL : TEXT_OK;
}

int text_plain_ok(const char *s, size_t min, size_t max)
{
    if (!s) return 0;
    size_t n = strnlen(s, max);
    return n >= min && n < max && text_check_plain((const uint8_t *)s, n) == TEXT_OK;
}
