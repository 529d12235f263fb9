/*
 * text.h: the one policy for text the project writes, signs or reads:
 * UTF-8 in its shortest forms, no surrogate, nothing over U+10FFFF; and,
 * for text meant for people (names, titles, organisations), no control
 * character either: no C0 (U+0000..U+001F), no DEL, no C1
 * (U+0080..U+009F), as docs/format.md says of the claims.
 */
#ifndef API_TEXT_H
#define API_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TEXT_OK = 0,
    TEXT_BAD_UTF8 = 1, /* not valid UTF-8 */
    TEXT_CONTROL = 2,  /* valid, but holds a control character */
} text_check;

/* Whether s[0..n) is valid UTF-8 (NUL bytes are valid here: callers that keep C strings refuse them). */
int text_utf8_valid(const uint8_t *s, size_t n);

/* The check of text for people: TEXT_OK, TEXT_BAD_UTF8 or TEXT_CONTROL. */
text_check text_check_plain(const uint8_t *s, size_t n);

/* Whether the C string s is text for people of min to max - 1 bytes (fits a buffer of max). */
int text_plain_ok(const char *s, size_t min, size_t max);

#endif
