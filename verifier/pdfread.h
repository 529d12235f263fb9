/*
 * pdfread.h: the pages of a PDF as gray bitmaps, drawn by the renderer
 * api-pdfrender (verifier/pdfrender/) in a process of its own: started
 * without a shell, with a clean environment and pipes, watched against a
 * wall-clock deadline, killed by its pid (a pidfd) when the deadline
 * passes, always reaped, and read back as untrusted (verifier/pdfframe.h).
 *
 * Safe to call from several threads at once (each call has its own child
 * and pipes; nothing is shared), and never raises SIGPIPE.
 */
#ifndef API_PDFREAD_H
#define API_PDFREAD_H

#include <stddef.h>
#include <stdint.h>

#define PDFREAD_DEFAULT_MAX_PAGES  10
#define PDFREAD_DEFAULT_MAX_PIXELS 40000000ull /* of one page: 40 MB of gray */
#define PDFREAD_DEFAULT_MEMORY_MIB 1024        /* the renderer's address space */

/* What a reading of a PDF came to: its own vocabulary, worded by pdfread_strerror. */
typedef enum {
    PDFREAD_OK = 0,
    PDFREAD_DAMAGED,        /* not a PDF the renderer can open */
    PDFREAD_CRASHED,        /* the renderer died, ran out of memory or CPU time, or wrote nonsense */
    PDFREAD_TIMEOUT,        /* the deadline passed: the renderer was killed */
    PDFREAD_ENCRYPTED,      /* the PDF needs a password to be opened */
    PDFREAD_TOO_MANY_PAGES, /* more pages than are read (info.pages_in_file, info.limit) */
    PDFREAD_PAGE_TOO_LARGE, /* info.page is over the pixel budget even at the lowest resolution */
    PDFREAD_TOO_LARGE,      /* more bytes than the renderer takes */
    PDFREAD_NO_RENDERER,    /* the renderer cannot be started, or cannot confine itself */
    PDFREAD_NOMEM,
    PDFREAD_STOPPED, /* the page callback asked to stop */
} pdfread_status;

typedef struct {
    const char *renderer;          /* path of api-pdfrender */
    unsigned max_pages;            /* a PDF with more pages is refused; 0: PDFREAD_DEFAULT_MAX_PAGES */
    unsigned long long max_pixels; /* of one page; 0: PDFREAD_DEFAULT_MAX_PIXELS */
    unsigned memory_mib;           /* 0: PDFREAD_DEFAULT_MEMORY_MIB */
} pdfread_config;

/* One run of the renderer: which pages, at what resolution, until when. */
typedef struct {
    unsigned dpi;          /* the resolution wanted */
    unsigned min_dpi;      /* a large page may be drawn down to this one; 0: dpi */
    const unsigned *pages; /* page numbers from 1, ascending; NULL: the first max_pages */
    size_t n_pages;        /* entries of pages */
    int64_t deadline_ms;   /* CLOCK_MONOTONIC, in ms (pdfread_now_ms) */
} pdfread_pass;

/* What the renderer said of the document, whatever the outcome. */
typedef struct {
    unsigned pages_in_file;   /* 0 when not known */
    unsigned page;            /* the page a failure is about, or 0 */
    unsigned long long limit; /* the bound a failure is about (pages, pixels, bytes), or 0 */
    unsigned pages_drawn;
    double seconds;      /* wall-clock time the renderer ran, page_seconds left out */
    double page_seconds; /* wall-clock time spent in the page function */
    int killed;          /* the renderer was killed at the deadline */
} pdfread_info;

/*
 * Called with each page drawn, in page order: w * h bytes of gray, valid
 * during the call only. Returns 0 to go on, or -1 to stop (the renderer is
 * then killed, and the call returns PDFREAD_STOPPED).
 */
typedef int (*pdfread_page_fn)(void *arg, unsigned page, unsigned w, unsigned h, const uint8_t *gray);

/*
 * Draws the pages of the PDF in pdf[0..len) as pass says and hands each to
 * fn. The renderer is killed once pass->deadline_ms is reached (PDFREAD_TIMEOUT)
 * and reaped before this returns; the deadline bounds the renderer, so it
 * moves by the time fn takes (info->page_seconds). info (may be NULL) tells
 * what was learnt.
 */
pdfread_status pdfread_render(pdfread_info *info, const pdfread_config *cfg, const pdfread_pass *pass,
                              const uint8_t *pdf, size_t len, pdfread_page_fn fn, void *arg);

/* CLOCK_MONOTONIC in milliseconds, the clock of deadline_ms. */
int64_t pdfread_now_ms(void);

/* A short English sentence for the status, e.g. "the PDF needs a password to be opened". */
const char *pdfread_strerror(pdfread_status s);

/* The renderer beside the running program (/proc/self/exe's folder + "/api-pdfrender"); 0 or -1. */
int pdfread_default_renderer(char *out, size_t cap);

#endif
