/*
 * httpc_int.h: the pure parsing steps of the HTTP client (httpc.c), on
 * byte buffers and without a socket, so that the unit tests and the fuzz
 * target can drive them directly. Not part of the API: only httpc.c,
 * tests/unit/test_httpc.c and tests/fuzz/fuzz_httpc.c include it.
 *
 * Both steps are strict (RFC 9112 as a careful client reads it, CRLF line
 * ends only) and bounded: nothing in them allocates, recurses, or reads
 * past the length it is given.
 */
#ifndef API_HTTPC_INT_H
#define API_HTTPC_INT_H

#include <stddef.h>
#include <stdint.h>

#define HTTPC_HEAD_MAX         16384 /* one response head, status line and blank line included */
#define HTTPC_HEADERS_MAX      100   /* header lines in one head; trailer lines of a chunked body */
#define HTTPC_INTERIM_MAX      4     /* 1xx interim responses skipped before the final one */
#define HTTPC_CHUNK_LINE_MAX   1024  /* one chunk-size line, its extensions included */
#define HTTPC_CHUNK_DIGITS_MAX 16    /* hex digits of a chunk size, leading zeros included */
#define HTTPC_TRAILER_MAX      16384 /* the trailer section of a chunked body */

/* How the body of a response ends. */
typedef enum {
    HTTPC_FRAMING_CLOSE = 0, /* neither length nor chunked: at connection close */
    HTTPC_FRAMING_LENGTH,    /* after Content-Length bytes */
    HTTPC_FRAMING_CHUNKED,   /* at the last chunk (Transfer-Encoding: chunked) */
} httpc_framing;

typedef struct {
    int status;            /* 100..599 */
    int minor;             /* the x of HTTP/1.x */
    size_t head_len;       /* bytes of the head, its blank line included */
    httpc_framing framing; /* as the headers say (the caller knows 204 and 304 have no body) */
    uint64_t length;       /* with HTTPC_FRAMING_LENGTH; saturates at UINT64_MAX */
    char etag[128];        /* the first ETag, blanks trimmed, when 1..127 printable ASCII; else "" */
} httpc_head;

typedef enum {
    HTTPC_HEAD_FRAMING = -2, /* well-formed (status, etag set), but the body cannot be delimited */
    HTTPC_HEAD_BAD = -1,     /* malformed: nothing in the head is to be believed */
    HTTPC_HEAD_MORE = 0,     /* no blank line yet, and it may still come: read more */
    HTTPC_HEAD_OK = 1,       /* a complete head of head_len bytes */
} httpc_head_result;

/*
 * Parses the response head at the start of buf[0..len): the status line
 * "HTTP/1.x NNN reason" (reason optional), then at most HTTPC_HEADERS_MAX
 * header lines "token:value" (no blank before the colon, no obs-fold, no
 * control character but HTAB in a value), then an empty line; at most
 * HTTPC_HEAD_MAX bytes in all. Bytes after the head (a body, another
 * response) are not looked at.
 *
 * Framing: Content-Length is digits only, blanks around allowed; several
 * that differ, a list, Transfer-Encoding with Content-Length, a
 * Transfer-Encoding other than exactly "chunked" (one header, one coding)
 * or one in an HTTP/1.0 response give HTTPC_HEAD_FRAMING. A Content-Length
 * that does not even start with a digit (empty, a sign) makes the head
 * HTTPC_HEAD_BAD.
 */
httpc_head_result httpc_head_parse(httpc_head *h, const uint8_t *buf, size_t len);

/* The chunked decoder: zero it with httpc_chunked_init, then feed it the bytes after the head. */
typedef struct {
    int state;
    uint64_t left;          /* the size being read, then the data bytes left in the chunk */
    size_t line;            /* bytes of the current chunk-size line */
    unsigned digits;        /* hex digits of the current size */
    size_t name;            /* bytes of the current trailer field name */
    size_t trailer;         /* bytes of the trailer section */
    unsigned trailer_lines; /* lines of the trailer section */
} httpc_chunked;

typedef enum {
    HTTPC_CHUNKED_BAD = -1, /* not a valid chunked body */
    HTTPC_CHUNKED_MORE = 0, /* the body goes on: feed the bytes after *used */
    HTTPC_CHUNKED_DONE = 1, /* the last chunk and the trailers were read; *used ends the body */
} httpc_chunked_result;

void httpc_chunked_init(httpc_chunked *c);

/*
 * Consumes in[0..len) until it has a run of body data to hand over, the
 * body ends, an error, or the input ends. *used is the number of bytes
 * consumed (at least 1 when len > 0, unless DONE or BAD); *data and
 * *data_len are the run of body data inside in[0..*used) (length 0: none).
 * Chunk sizes: hex digits, no sign, no 0x, at most HTTPC_CHUNK_DIGITS_MAX;
 * extensions ";..." on a line of at most HTTPC_CHUNK_LINE_MAX bytes; CRLF
 * after every chunk's data; trailer fields "token:value", at most
 * HTTPC_HEADERS_MAX lines and HTTPC_TRAILER_MAX bytes, are skipped.
 */
httpc_chunked_result httpc_chunked_feed(httpc_chunked *c, const uint8_t *in, size_t len, size_t *used,
                                        const uint8_t **data, size_t *data_len);

#endif
