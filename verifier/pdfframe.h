/*
 * pdfframe.h: what the PDF renderer (api-pdfrender, verifier/pdfrender/)
 * writes on its standard output, read back by verifier/pdfread.c. The
 * renderer runs in a process of its own, without trust: the parent checks
 * every field against its own bounds before using it.
 *
 * The output is the 8 bytes PDFFRAME_MAGIC, then records. A record is a
 * head of four big-endian 32-bit words (kind, a, b, c), and for a page its
 * pixels:
 *
 *   PDFFRAME_DOC   a = pages in the file                      (first record)
 *   PDFFRAME_PAGE  a = page number (from 1), b = width, c = height, then
 *                  width * height bytes of 8-bit gray (0 black, 255
 *                  white), row after row, no padding
 *   PDFFRAME_DONE  a = pages written                          (last record)
 *   PDFFRAME_FAIL  a = PDFFRAME_FAIL_* , b = a page number or a count, c = a
 *                  limit                                      (last record)
 *
 * A stream that ends without DONE or FAIL is a renderer that crashed, was
 * killed, or ran out of a limit: the document is unreadable.
 */
#ifndef API_PDFFRAME_H
#define API_PDFFRAME_H

#define PDFFRAME_MAGIC     "APIPDFR1"
#define PDFFRAME_MAGIC_LEN 8
#define PDFFRAME_HEAD_LEN  16

enum {
    PDFFRAME_DOC = 0x444f4300,  /* "DOC\0" */
    PDFFRAME_PAGE = 0x50414700, /* "PAG\0" */
    PDFFRAME_DONE = 0x444f4e00, /* "DON\0" */
    PDFFRAME_FAIL = 0x4641494c, /* "FAIL" */
};

/* Why the renderer stopped (PDFFRAME_FAIL's a); its exit status is 1 after one. */
enum {
    PDFFRAME_FAIL_DAMAGED = 1,         /* poppler cannot open it as a PDF */
    PDFFRAME_FAIL_ENCRYPTED = 2,       /* it needs a password to be opened */
    PDFFRAME_FAIL_TOO_MANY_PAGES = 3,  /* b = pages in the file, c = the most it reads */
    PDFFRAME_FAIL_PAGE_TOO_LARGE = 4,  /* page b, at the lowest resolution allowed, is over c pixels */
    PDFFRAME_FAIL_INPUT_TOO_LARGE = 5, /* more than c bytes on standard input */
    PDFFRAME_FAIL_RENDER = 6,          /* page b could not be drawn (memory) */
    PDFFRAME_FAIL_SANDBOX = 7,         /* its limits could not be set: nothing was read */
};

/* The renderer's exit statuses. */
enum {
    PDFFRAME_EXIT_OK = 0,    /* DONE written */
    PDFFRAME_EXIT_FAIL = 1,  /* FAIL written */
    PDFFRAME_EXIT_USAGE = 2, /* bad arguments: nothing written */
};

#endif
