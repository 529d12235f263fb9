/*
 * jsonscan.h: a JSON text checked before cJSON builds a tree from it.
 *
 * cJSON 1.7.15 recurses once per nesting level, up to 1000 levels, and
 * builds every item it reads before the caller can count them: a body of a
 * few hundred '[' exhausts a 100 KB server thread's stack, and a 1 MiB
 * array of zeros becomes half a million items. jsonscan_check reads the
 * text once, left to right, without recursion or allocation, and refuses
 * it at the first byte where it is malformed, nested deeper than the
 * caller allows, or where one array or object grows past the caller's
 * count. Only a text it accepts should be given to cJSON.
 *
 * What is checked (RFC 8259 at the token level), on text[0..len), which
 * need not be NUL-terminated:
 *   - exactly one value, with only white space (space, tab, CR, LF) before
 *     and after it; nothing else, not even a NUL byte or a byte-order mark
 *     (a caller that accepts a BOM strips it first);
 *   - objects: '{', then zero or more "key": value members separated by
 *     commas, then '}'; arrays: '[', zero or more values separated by
 *     commas, ']'; no trailing comma; brackets matched by kind;
 *   - strings: no raw byte below 0x20; escapes \" \\ \/ \b \f \n \r \t and
 *     \uXXXX (4 hex digits, either case); a \u escape in D800..DBFF must be
 *     followed at once by a \u escape in DC00..DFFF, and one in DC00..DFFF
 *     may not stand alone (cJSON refuses lone surrogates, so this does too);
 *     bytes 0x7F..0xFF are passed through: UTF-8 is not checked here, and
 *     \u0000 is accepted (cJSON then cuts the string short: callers that
 *     keep strings check for it);
 *   - numbers: the RFC grammar exactly, -?(0|[1-9][0-9]*)(.[0-9]+)?
 *     ([eE][+-]?[0-9]+)?, of any length, followed by white space, ',', ']',
 *     '}' or the end; literals: true, false, null, followed likewise;
 *   - nesting: the top-level array or object is depth 1, each one inside
 *     it adds 1; a scalar adds nothing. At most max_depth, clamped to
 *     JSONSCAN_MAX_DEPTH;
 *   - size: no array holds more than max_members values and no object more
 *     than max_members members, counted as they start.
 *
 * cJSON accepts more than this (numbers like 01, 1. or -.5, raw control
 * characters in strings, any byte up to 0x20 as white space, \u followed
 * by non-hex read as U+0000, a leading BOM), never less: a text accepted
 * here is parsed by cJSON_ParseWithLengthOpts (require_null_terminated 0)
 * to the end of the value with only white space left, into the tree the
 * text describes (but for \u0000, above). For numbers over 63 characters
 * that relies on Debian's libcjson 1.7.15-1+deb12u3 or later (the fix of
 * CVE-2023-26819); the upstream 1.7.15 release refuses them, which is safe.
 */
#ifndef API_JSONSCAN_H
#define API_JSONSCAN_H

#include <stddef.h>

/* The deepest nesting jsonscan_check can follow; larger max_depth values are clamped to it. */
#define JSONSCAN_MAX_DEPTH 64

typedef enum {
    JSONSCAN_OK = 0,
    JSONSCAN_MALFORMED = 1,        /* not one well-formed JSON value (see above) */
    JSONSCAN_TOO_DEEP = 2,         /* an array or object opened past max_depth */
    JSONSCAN_TOO_MANY_MEMBERS = 3, /* an array or object past max_members entries */
} jsonscan_result;

/*
 * Checks text[0..len) as described above. *stop_offset (if stop_offset is
 * not NULL) is where the scan stopped: len for JSONSCAN_OK; otherwise the
 * offset of the byte that is wrong (the bracket that opens one level too
 * many, the first byte of the value or key that is one entry too many, the
 * first byte that cannot continue the text, or the escape that is not
 * valid), and len when the text ends too early. A NULL text is
 * JSONSCAN_MALFORMED at offset 0. Never reads outside text[0..len), never
 * allocates, uses a fixed amount of stack.
 */
jsonscan_result jsonscan_check(const char *text, size_t len, unsigned max_depth, size_t max_members,
                               size_t *stop_offset);

/* A short English text for r, e.g. "nested too deeply"; never NULL. */
const char *jsonscan_strerror(jsonscan_result r);

#endif
