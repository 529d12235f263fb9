/*
 * jsonscan.c: the one-pass JSON check that runs before cJSON (see
 * jsonscan.h for what it accepts).
 *
 * The scan is a loop over the bytes driven by one state, "what may come
 * next" (a value, a key, a colon, a comma or a closing bracket, or only
 * white space after the top-level value). Scalars (strings, numbers,
 * literals) are read whole by small helpers that never look past len. The
 * containers that are open form a stack of at most JSONSCAN_MAX_DEPTH
 * levels kept in a fixed-size state: one bit per level (object or array)
 * and one entry counter per level. Nothing recurses and nothing is
 * allocated, so the scan needs the same small stack whatever the input,
 * which is the point: it runs on server threads whose stack cJSON alone
 * could exhaust.
 *
 * This file must not build values, convert numbers or decode strings, and
 * must never accept a text that cJSON 1.7.15 refuses or reads otherwise:
 * where cJSON is stricter than RFC 8259 (lone surrogate escapes), so is
 * this scan.
 */
#include "common/jsonscan.h"

#include <stdint.h>
#include <string.h>

/* What may come next, after white space. */
typedef enum {
    SCAN_VALUE,         /* the top-level value, or a member's value after ':' */
    SCAN_ITEM,          /* an array item after ',' */
    SCAN_ITEM_OR_CLOSE, /* after '[' */
    SCAN_KEY,           /* a member's key after ',' */
    SCAN_KEY_OR_CLOSE,  /* after '{' */
    SCAN_COLON,         /* after a key */
    SCAN_NEXT,          /* after a value inside a container: ',' or its closing bracket */
    SCAN_END,           /* after the top-level value: white space only */
} scan_want;

typedef struct {
    const unsigned char *p;
    size_t len;
    size_t pos;
    unsigned max_depth;
    size_t max_members;
    unsigned depth;                     /* containers open */
    uint64_t is_object;                 /* bit d - 1: the container at depth d is an object */
    size_t members[JSONSCAN_MAX_DEPTH]; /* entries so far, per open container */
} scan_state;

static int scan_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int scan_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int scan_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The code unit of "\uXXXX" at p[at..at+6), or -1 when it is not one. */
static long scan_u_escape(const unsigned char *p, size_t len, size_t at)
{
    if (len - at < 6 || p[at] != '\\' || p[at + 1] != 'u') return -1;
    long v = 0;
    for (size_t k = 2; k < 6; k++) {
        int h = scan_hex_value(p[at + k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Whether p[at..len) is a "\uXXXX" escape cut short by the end of the text. */
static int scan_escape_cut(const unsigned char *p, size_t len, size_t at)
{
    if (len - at >= 6) return 0;
    for (size_t k = at; k < len; k++) {
        size_t j = k - at;
        int fits = j == 0 ? p[k] == '\\' : j == 1 ? p[k] == 'u' : scan_hex_value(p[k]) >= 0;
        if (!fits) return 0;
    }
    return 1;
}

/*
 * A string at s->pos (on its opening quote): moves past the closing quote,
 * or leaves s->pos on the byte that is wrong (the backslash of a bad
 * escape, the first of a bad surrogate pair), or on len when the text ends
 * inside the string or one of its escapes.
 */
static jsonscan_result scan_string(scan_state *s)
{
    const unsigned char *p = s->p;
    size_t i = s->pos + 1;
    while (i < s->len) {
        unsigned char c = p[i];
        if (c == '"') {
            s->pos = i + 1;
            return JSONSCAN_OK;
        }
        if (c < 0x20) break;
        if (c != '\\') {
            i++;
            continue;
        }
        if (s->len - i < 2) {
            i = s->len; /* the text ends in the escape */
            break;
        }
        switch (p[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            i += 2;
            continue;
        case 'u':
            break;
        default:
            s->pos = i;
            return JSONSCAN_MALFORMED;
        }
        if (scan_escape_cut(p, s->len, i)) {
            i = s->len;
            break;
        }
        long unit = scan_u_escape(p, s->len, i);
        if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) break;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (scan_escape_cut(p, s->len, i + 6)) {
                i = s->len;
                break;
            }
            long low = scan_u_escape(p, s->len, i + 6);
            if (low < 0xDC00 || low > 0xDFFF) break;
            i += 12;
        } else {
            i += 6;
        }
    }
    s->pos = i;
    return JSONSCAN_MALFORMED;
}

/* A number at s->pos, in the RFC grammar; s->pos moves past it, or stays on the first wrong byte. */
static jsonscan_result scan_number(scan_state *s)
{
    const unsigned char *p = s->p;
    size_t i = s->pos, n = s->len;
    if (p[i] == '-') i++;
    if (i < n && p[i] == '0') {
        i++;
    } else if (i < n && p[i] >= '1' && p[i] <= '9') {
        while (i < n && scan_is_digit(p[i])) i++;
    } else {
        s->pos = i;
        return JSONSCAN_MALFORMED;
    }
    if (i < n && p[i] == '.') {
        i++;
        if (i >= n || !scan_is_digit(p[i])) {
            s->pos = i;
            return JSONSCAN_MALFORMED;
        }
        while (i < n && scan_is_digit(p[i])) i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= n || !scan_is_digit(p[i])) {
            s->pos = i;
            return JSONSCAN_MALFORMED;
        }
        while (i < n && scan_is_digit(p[i])) i++;
    }
    s->pos = i;
    return JSONSCAN_OK;
}

/*
 * true, false or null at s->pos; s->pos moves past it, or stays on the
 * value's first byte (len when the text ends inside the word).
 */
static jsonscan_result scan_literal(scan_state *s)
{
    static const char *const words[] = {"true", "false", "null"};
    size_t left = s->len - s->pos;
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        size_t wl = strlen(words[k]);
        if (left >= wl && memcmp(s->p + s->pos, words[k], wl) == 0) {
            s->pos += wl;
            return JSONSCAN_OK;
        }
        if (left < wl && memcmp(s->p + s->pos, words[k], left) == 0) {
            s->pos = s->len;
            return JSONSCAN_MALFORMED;
        }
    }
    return JSONSCAN_MALFORMED;
}

/* One more entry in the innermost container, at s->pos. */
static jsonscan_result scan_count(scan_state *s)
{
    size_t *m = &s->members[s->depth - 1];
    if (*m >= s->max_members) return JSONSCAN_TOO_MANY_MEMBERS;
    (*m)++;
    return JSONSCAN_OK;
}

/* Opens the array or object whose bracket is at s->pos. */
static jsonscan_result scan_open(scan_state *s, int object)
{
    if (s->depth >= s->max_depth) return JSONSCAN_TOO_DEEP;
    uint64_t bit = (uint64_t)1 << s->depth;
    s->is_object = object ? s->is_object | bit : s->is_object & ~bit;
    s->members[s->depth] = 0;
    s->depth++;
    s->pos++;
    return JSONSCAN_OK;
}

static int scan_in_object(const scan_state *s)
{
    return (s->is_object >> (s->depth - 1)) & 1;
}

/* What may come after a complete value. */
static scan_want scan_after_value(const scan_state *s)
{
    return s->depth ? SCAN_NEXT : SCAN_END;
}

/* A value at s->pos (not white space); *want becomes what may follow it. */
static jsonscan_result scan_value(scan_state *s, scan_want *want)
{
    unsigned char c = s->p[s->pos];
    jsonscan_result r;
    if (c == '[' || c == '{') {
        r = scan_open(s, c == '{');
        if (r == JSONSCAN_OK) *want = c == '{' ? SCAN_KEY_OR_CLOSE : SCAN_ITEM_OR_CLOSE;
        return r;
    }
    if (c == '"')
        r = scan_string(s);
    else if (c == '-' || scan_is_digit(c))
        r = scan_number(s);
    else
        r = scan_literal(s);
    if (r == JSONSCAN_OK) *want = scan_after_value(s);
    return r;
}

/* Whether c may start a value: a bad byte is malformed rather than one entry too many. */
static int scan_starts_value(unsigned char c)
{
    return c == '[' || c == '{' || c == '"' || c == '-' || scan_is_digit(c) || c == 't' || c == 'f' ||
           c == 'n';
}

/* An array item or an object member's key at s->pos, counted in the innermost container. */
static jsonscan_result scan_entry(scan_state *s, scan_want *want)
{
    unsigned char c = s->p[s->pos];
    int in_object = *want == SCAN_KEY || *want == SCAN_KEY_OR_CLOSE;
    if (in_object ? c != '"' : !scan_starts_value(c)) return JSONSCAN_MALFORMED;
    jsonscan_result r = scan_count(s);
    if (r != JSONSCAN_OK) return r;
    if (!in_object) return scan_value(s, want);
    r = scan_string(s);
    if (r == JSONSCAN_OK) *want = SCAN_COLON;
    return r;
}

/* Closes the innermost container on the bracket at s->pos, if it is the right one. */
static jsonscan_result scan_close(scan_state *s, scan_want *want)
{
    if (s->p[s->pos] != (scan_in_object(s) ? '}' : ']')) return JSONSCAN_MALFORMED;
    s->depth--;
    s->pos++;
    *want = scan_after_value(s);
    return JSONSCAN_OK;
}

/* One step at s->pos (not white space, not the end) for what is wanted. */
static jsonscan_result scan_step(scan_state *s, scan_want *want)
{
    unsigned char c = s->p[s->pos];
    switch (*want) {
    case SCAN_VALUE:
        return scan_value(s, want);
    case SCAN_ITEM_OR_CLOSE:
    case SCAN_KEY_OR_CLOSE:
        if (c == ']' || c == '}') return scan_close(s, want);
        return scan_entry(s, want);
    case SCAN_ITEM:
    case SCAN_KEY:
        return scan_entry(s, want);
    case SCAN_COLON:
        if (c != ':') return JSONSCAN_MALFORMED;
        s->pos++;
        *want = SCAN_VALUE;
        return JSONSCAN_OK;
    case SCAN_NEXT:
        if (c != ',') return scan_close(s, want);
        s->pos++;
        *want = scan_in_object(s) ? SCAN_KEY : SCAN_ITEM;
        return JSONSCAN_OK;
    case SCAN_END:
    default:
        return JSONSCAN_MALFORMED; /* data after the value */
    }
}

jsonscan_result jsonscan_check(const char *text, size_t len, unsigned max_depth, size_t max_members,
                               size_t *stop_offset)
{
    scan_state s;
    s.p = (const unsigned char *)text;
    s.len = text ? len : 0;
    s.pos = 0;
    s.max_depth = max_depth < JSONSCAN_MAX_DEPTH ? max_depth : JSONSCAN_MAX_DEPTH;
    s.max_members = max_members;
    s.depth = 0;
    s.is_object = 0;
    scan_want want = SCAN_VALUE;
    jsonscan_result r = JSONSCAN_OK;
    for (;;) {
        while (s.pos < s.len && scan_is_space(s.p[s.pos])) s.pos++;
        if (s.pos == s.len) {
            if (want != SCAN_END) r = JSONSCAN_MALFORMED;
            break;
        }
        r = scan_step(&s, &want);
        if (r != JSONSCAN_OK) break;
    }
    if (stop_offset) *stop_offset = s.pos;
    return r;
}

const char *jsonscan_strerror(jsonscan_result r)
{
    switch (r) {
    case JSONSCAN_OK:
        return "well-formed JSON within the limits";
    case JSONSCAN_MALFORMED:
        return "not well-formed JSON";
    case JSONSCAN_TOO_DEEP:
        return "nested too deeply";
    case JSONSCAN_TOO_MANY_MEMBERS:
        return "too many members in one array or object";
    }
    return "unknown jsonscan result";
}
