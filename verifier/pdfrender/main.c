/*
 * api-pdfrender: draws the pages of one PDF as gray bitmaps, for
 * api-verifier, which looks for QR codes in them (verifier/pdfread.c runs
 * it; the output's framing is verifier/pdfframe.h).
 *
 *   api-pdfrender [--dpi N] [--min-dpi N] [--pages 1,3,...] [--max-pages N]
 *                 [--max-pixels N] [--max-input BYTES] [--cpu SECONDS]
 *                 [--memory MIB]   < file.pdf > frames
 *
 * A PDF is the most dangerous input the verifier takes: poppler has a
 * history of crashes on crafted files. So this program is small, has no
 * other job, and is built without the sanitizers (their shadow memory is
 * terabytes of address space, which the limit below forbids). Before it
 * reads a byte of the input it closes every inherited descriptor but 0, 1
 * and 2, moves to /, and sets its limits: address space (--memory), CPU
 * time (--cpu, then SIGKILL a second later), no file written (RLIMIT_FSIZE
 * 0), few descriptors, no new process, no core file. Once the input is
 * read, a seccomp filter allows only what drawing needs: memory, reading
 * (fonts are opened lazily by fontconfig, so open is allowed, read-only),
 * writing to standard output and error, time, futexes, exit. A process,
 * a program, a socket or a debugger is refused by killing the process;
 * anything else not listed fails with EPERM. The parent adds the wall-clock
 * deadline, a clean environment, and reads the output as untrusted.
 *
 * Bounds: the input (--max-input bytes), the pages of the file (more than
 * --max-pages is refused before any page is drawn, with the count), the
 * pixels of a page (--max-pixels: a page larger at --dpi is drawn at the
 * highest resolution that fits, down to --min-dpi, else refused), and a
 * side of at most 32,767 pixels (cairo's). A PDF that needs a password to
 * be opened is refused as encrypted; one that opens without a password (a
 * "do not modify" restriction) is drawn.
 *
 * It must not link the verifier's library: it knows poppler, cairo and the
 * framing, nothing of attestations.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cairo.h>
#include <poppler.h>
#include <seccomp.h>

#include "common/bytes.h"
#include "verifier/pdfframe.h"

#define PDFR_MAX_SIDE     32767 /* cairo's largest image surface side */
#define PDFR_MAX_PAGE_ARG 10000
#define PDFR_NOFILE       32 /* fonts and fontconfig's caches are opened one at a time */

typedef struct {
    unsigned dpi, min_dpi;
    unsigned max_pages;
    unsigned long long max_pixels;
    size_t max_input;
    unsigned cpu;    /* seconds */
    unsigned memory; /* MiB of address space */
    unsigned pages[PDFR_MAX_PAGE_ARG];
    size_t n_pages; /* 0: pages 1 .. max_pages */
} pdfr_opts;

/* ---- output ---- */

/* Writes all of buf to standard output; exits when the parent is gone. */
static void pdfr_write(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(1, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(PDFFRAME_EXIT_FAIL);
        p += n;
        len -= (size_t)n;
    }
}

static void pdfr_record(uint32_t kind, uint32_t a, uint32_t b, uint32_t c)
{
    uint8_t head[PDFFRAME_HEAD_LEN];
    bytes_put_be32(head, kind);
    bytes_put_be32(head + 4, a);
    bytes_put_be32(head + 8, b);
    bytes_put_be32(head + 12, c);
    pdfr_write(head, sizeof head);
}

static int pdfr_fail(uint32_t why, uint32_t b, uint32_t c)
{
    pdfr_record(PDFFRAME_FAIL, why, b, c);
    return PDFFRAME_EXIT_FAIL;
}

/* ---- arguments ---- */

static int pdfr_number(unsigned long long *out, const char *s, unsigned long long min, unsigned long long max)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

/* "1,3,7": page numbers from 1. */
static int pdfr_page_list(pdfr_opts *o, const char *s)
{
    o->n_pages = 0;
    while (*s) {
        char *end;
        if (*s < '0' || *s > '9') return -1;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || v < 1 || v > PDFR_MAX_PAGE_ARG || o->n_pages == PDFR_MAX_PAGE_ARG) return -1;
        o->pages[o->n_pages++] = (unsigned)v;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        s = end;
    }
    return o->n_pages ? 0 : -1;
}

static int pdfr_parse(pdfr_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dpi", required_argument, 0, 'd'},
        {"min-dpi", required_argument, 0, 'm'},
        {"pages", required_argument, 0, 'p'},
        {"max-pages", required_argument, 0, 'n'},
        {"max-pixels", required_argument, 0, 'x'},
        {"max-input", required_argument, 0, 'i'},
        {"cpu", required_argument, 0, 'c'},
        {"memory", required_argument, 0, 'M'},
        {0, 0, 0, 0},
    };
    int min_given = 0, c;
    unsigned long long v;
    o->dpi = 150;
    o->max_pages = 10;
    o->max_pixels = 40000000ull;
    o->max_input = 32u << 20;
    o->cpu = 10;
    o->memory = 1024;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'd':
            bad = pdfr_number(&v, optarg, 36, 1200);
            o->dpi = (unsigned)v;
            break;
        case 'm':
            bad = pdfr_number(&v, optarg, 36, 1200);
            o->min_dpi = (unsigned)v;
            min_given = 1;
            break;
        case 'p':
            bad = pdfr_page_list(o, optarg);
            break;
        case 'n':
            bad = pdfr_number(&v, optarg, 1, PDFR_MAX_PAGE_ARG);
            o->max_pages = (unsigned)v;
            break;
        case 'x':
            bad = pdfr_number(&v, optarg, 1, 1ull << 30);
            o->max_pixels = v;
            break;
        case 'i':
            bad = pdfr_number(&v, optarg, 1, 1ull << 30);
            o->max_input = (size_t)v;
            break;
        case 'c':
            bad = pdfr_number(&v, optarg, 1, 3600);
            o->cpu = (unsigned)v;
            break;
        case 'M':
            bad = pdfr_number(&v, optarg, 64, 1u << 20);
            o->memory = (unsigned)v;
            break;
        default:
            bad = 1;
        }
        if (bad) return -1;
    }
    if (optind != argc) return -1;
    if (!min_given || o->min_dpi > o->dpi) o->min_dpi = o->dpi;
    return 0;
}

/* ---- confinement ---- */

static int pdfr_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    return setrlimit(resource, &rl);
}

/* Descriptors, directory and limits, before any input is read; 0 or -1. */
static int pdfr_limits(const pdfr_opts *o)
{
    closefrom(3);
    if (chdir("/") != 0) return -1;
    rlim_t as = (rlim_t)o->memory << 20;
    if (pdfr_limit(RLIMIT_AS, as, as) != 0) return -1;
    if (pdfr_limit(RLIMIT_CPU, o->cpu, (rlim_t)o->cpu + 1) != 0) return -1;
    if (pdfr_limit(RLIMIT_FSIZE, 0, 0) != 0) return -1;
    if (pdfr_limit(RLIMIT_NOFILE, PDFR_NOFILE, PDFR_NOFILE) != 0) return -1;
    if (pdfr_limit(RLIMIT_NPROC, 0, 0) != 0) return -1;
    if (pdfr_limit(RLIMIT_CORE, 0, 0) != 0) return -1;
    return 0;
}

/*
 * The seccomp filter: what drawing a page needs. Listed by job; anything
 * else fails with EPERM, and the calls that would reach outside the
 * process (a program, a process, a socket, a debugger) kill it.
 */
static int pdfr_seccomp(void)
{
    static const int allowed[] = {
        /* memory */
        SCMP_SYS(brk),
        SCMP_SYS(mmap),
        SCMP_SYS(munmap),
        SCMP_SYS(mremap),
        SCMP_SYS(mprotect),
        SCMP_SYS(madvise),
        /* reading what is open, and fonts (open is filtered below) */
        SCMP_SYS(read),
        SCMP_SYS(pread64),
        SCMP_SYS(readv),
        SCMP_SYS(lseek),
        SCMP_SYS(close),
        SCMP_SYS(fstat),
        SCMP_SYS(newfstatat),
        SCMP_SYS(stat),
        SCMP_SYS(lstat),
        SCMP_SYS(statx),
        SCMP_SYS(statfs),
        SCMP_SYS(fstatfs),
        SCMP_SYS(getdents64),
        SCMP_SYS(readlink),
        SCMP_SYS(readlinkat),
        SCMP_SYS(access),
        SCMP_SYS(faccessat),
        SCMP_SYS(faccessat2),
        SCMP_SYS(fcntl),
        /* threads' plumbing, time, signals, exit */
        SCMP_SYS(futex),
        SCMP_SYS(clock_gettime),
        SCMP_SYS(clock_getres),
        SCMP_SYS(gettimeofday),
        SCMP_SYS(getpid),
        SCMP_SYS(gettid),
        SCMP_SYS(getrandom),
        SCMP_SYS(rt_sigreturn),
        SCMP_SYS(rt_sigprocmask),
        SCMP_SYS(sched_yield),
        SCMP_SYS(exit),
        SCMP_SYS(exit_group),
    };
    static const int fatal[] = {
        SCMP_SYS(execve),
        SCMP_SYS(execveat),
        SCMP_SYS(fork),
        SCMP_SYS(vfork),
        SCMP_SYS(clone),
        SCMP_SYS(clone3),
        SCMP_SYS(socket),
        SCMP_SYS(socketpair),
        SCMP_SYS(connect),
        SCMP_SYS(bind),
        SCMP_SYS(ptrace),
        SCMP_SYS(process_vm_writev),
        SCMP_SYS(process_vm_readv),
        SCMP_SYS(kill),
        SCMP_SYS(tgkill),
        SCMP_SYS(setrlimit),
        SCMP_SYS(prlimit64),
        SCMP_SYS(unshare),
        SCMP_SYS(setns),
        SCMP_SYS(mount),
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx) return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof allowed / sizeof allowed[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    for (size_t i = 0; rc == 0 && i < sizeof fatal / sizeof fatal[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, fatal[i], 0);
    /* writing: standard output (the frames) and standard error only */
    for (int fd = 1; rc == 0 && fd <= 2; fd++) {
        rc =
            seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
                                  SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
    }
    /* opening: read-only, never creating (RLIMIT_FSIZE 0 stops writes as well) */
    const scmp_datum_t mask = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, mask, (scmp_datum_t)O_RDONLY));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, mask, (scmp_datum_t)O_RDONLY));
    if (rc == 0) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc == 0 ? 0 : -1;
}

/* ---- input ---- */

/* Standard input, whole; NULL when it cannot be read or *too_large. */
static uint8_t *pdfr_read_input(size_t *len, size_t max, int *too_large)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    *too_large = 0;
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(buf);
                *too_large = 1;
                return NULL;
            }
            size_t ncap = cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(0, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            free(buf);
            return NULL;
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n > max) {
            free(buf);
            *too_large = 1;
            return NULL;
        }
    }
    *len = n;
    return buf;
}

/* ---- drawing ---- */

/*
 * The resolution at which a page of w x h points is drawn: the requested
 * one, or lower to stay within the pixel budget and cairo's side, never
 * below min_dpi; 0 when even that is too large (or the size is absurd).
 */
static unsigned pdfr_page_dpi(const pdfr_opts *o, double w, double h)
{
    if (!isfinite(w) || !isfinite(h) || w <= 0 || h <= 0) return 0;
    double fit = 72.0 * sqrt((double)o->max_pixels / (w * h));
    if (72.0 * PDFR_MAX_SIDE / w < fit) fit = 72.0 * PDFR_MAX_SIDE / w;
    if (72.0 * PDFR_MAX_SIDE / h < fit) fit = 72.0 * PDFR_MAX_SIDE / h;
    unsigned dpi = fit < o->dpi ? (unsigned)fit : o->dpi;
    /* rounding up to whole pixels may still overshoot: step down until it fits */
    for (; dpi >= o->min_dpi && dpi > 0; dpi--) {
        double pw = ceil(w * dpi / 72.0), ph = ceil(h * dpi / 72.0);
        if (pw <= PDFR_MAX_SIDE && ph <= PDFR_MAX_SIDE && pw * ph <= (double)o->max_pixels) return dpi;
    }
    return 0;
}

/* Draws one page and writes its record; 0, or the PDFFRAME_FAIL_* reason. */
static int pdfr_page(const pdfr_opts *o, PopplerPage *page, unsigned number, uint8_t **gray, size_t *graycap)
{
    double w_pt, h_pt;
    poppler_page_get_size(page, &w_pt, &h_pt);
    unsigned dpi = pdfr_page_dpi(o, w_pt, h_pt);
    if (dpi == 0) return PDFFRAME_FAIL_PAGE_TOO_LARGE;
    int w = (int)ceil(w_pt * dpi / 72.0), h = (int)ceil(h_pt * dpi / 72.0);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return PDFFRAME_FAIL_RENDER;
    }
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, dpi / 72.0, dpi / 72.0);
    poppler_page_render(page, cr);
    int failed = cairo_status(cr) != CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr);
    cairo_surface_flush(s);
    size_t need = (size_t)w * (size_t)h;
    if (!failed && need > *graycap) {
        free(*gray);
        *gray = malloc(need);
        *graycap = *gray ? need : 0;
        failed = !*gray;
    }
    if (!failed) {
        const unsigned char *data = cairo_image_surface_get_data(s);
        int stride = cairo_image_surface_get_stride(s);
        for (int y = 0; y < h; y++) {
            const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
            uint8_t *out = *gray + (size_t)y * (size_t)w;
            for (int x = 0; x < w; x++) {
                uint32_t p = row[x];
                unsigned r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
                out[x] = (uint8_t)((77 * r + 150 * g + 29 * b) >> 8);
            }
        }
    }
    cairo_surface_destroy(s);
    if (failed) return PDFFRAME_FAIL_RENDER;
    pdfr_record(PDFFRAME_PAGE, number, (uint32_t)w, (uint32_t)h);
    pdfr_write(*gray, need);
    return 0;
}

static int pdfr_run(const pdfr_opts *o, const uint8_t *pdf, size_t len)
{
    GError *error = NULL;
    GBytes *bytes = g_bytes_new_static(pdf, len);
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &error);
    if (!doc) {
        int encrypted = error && error->domain == POPPLER_ERROR && error->code == POPPLER_ERROR_ENCRYPTED;
        if (error) g_error_free(error);
        g_bytes_unref(bytes);
        return pdfr_fail(encrypted ? PDFFRAME_FAIL_ENCRYPTED : PDFFRAME_FAIL_DAMAGED, 0, 0);
    }
    int n = poppler_document_get_n_pages(doc);
    int rc = PDFFRAME_EXIT_OK;
    if (n <= 0) {
        rc = pdfr_fail(PDFFRAME_FAIL_DAMAGED, 0, 0);
    } else {
        pdfr_record(PDFFRAME_DOC, (uint32_t)n, 0, 0);
        if ((unsigned)n > o->max_pages)
            rc = pdfr_fail(PDFFRAME_FAIL_TOO_MANY_PAGES, (uint32_t)n, o->max_pages);
    }
    uint8_t *gray = NULL;
    size_t graycap = 0, written = 0;
    size_t count = o->n_pages ? o->n_pages : (size_t)o->max_pages;
    for (size_t i = 0; rc == PDFFRAME_EXIT_OK && i < count; i++) {
        unsigned number = o->n_pages ? o->pages[i] : (unsigned)i + 1;
        if (number > (unsigned)n) continue;
        PopplerPage *page = poppler_document_get_page(doc, (int)number - 1);
        if (!page) {
            rc = pdfr_fail(PDFFRAME_FAIL_DAMAGED, number, 0);
            break;
        }
        int why = pdfr_page(o, page, number, &gray, &graycap);
        g_object_unref(page);
        if (why) {
            uint32_t limit = why == PDFFRAME_FAIL_PAGE_TOO_LARGE
                                 ? (uint32_t)(o->max_pixels > UINT32_MAX ? UINT32_MAX : o->max_pixels)
                                 : 0;
            rc = pdfr_fail((uint32_t)why, number, limit);
        } else {
            written++;
        }
    }
    free(gray);
    g_object_unref(doc);
    g_bytes_unref(bytes);
    if (rc == PDFFRAME_EXIT_OK) pdfr_record(PDFFRAME_DONE, (uint32_t)written, 0, 0);
    return rc;
}

int main(int argc, char **argv)
{
    static pdfr_opts o; /* the page list is 40 KB */
    if (pdfr_parse(&o, argc, argv) != 0) {
        fprintf(stderr, "usage: api-pdfrender [--dpi N] [--min-dpi N] [--pages 1,3,...] [--max-pages N]\n"
                        "       [--max-pixels N] [--max-input BYTES] [--cpu SECONDS] [--memory MIB]"
                        " < file.pdf\n");
        return PDFFRAME_EXIT_USAGE;
    }
    if (pdfr_limits(&o) != 0) {
        pdfr_write(PDFFRAME_MAGIC, PDFFRAME_MAGIC_LEN);
        return pdfr_fail(PDFFRAME_FAIL_SANDBOX, 0, 0);
    }
    size_t len = 0;
    int too_large;
    uint8_t *pdf = pdfr_read_input(&len, o.max_input, &too_large);
    int sandboxed = pdfr_seccomp() == 0;
    pdfr_write(PDFFRAME_MAGIC, PDFFRAME_MAGIC_LEN);
    if (!sandboxed) return pdfr_fail(PDFFRAME_FAIL_SANDBOX, 0, 0);
    if (!pdf)
        return pdfr_fail(too_large ? PDFFRAME_FAIL_INPUT_TOO_LARGE : PDFFRAME_FAIL_DAMAGED, 0,
                         (uint32_t)o.max_input);
    int rc = pdfr_run(&o, pdf, len);
    free(pdf);
    return rc;
}
