/*
 * test_pdfread.c: the parent side of PDF reading (verifier/pdfread.c) with
 * fake renderers: small shell scripts, written here, that play the part of
 * api-pdfrender and write chosen frames (verifier/pdfframe.h), or nonsense,
 * or hang, or die. Each outcome must be the one said in pdfread.h: pages
 * handed over in order, every field of a frame checked before anything is
 * allocated for it, a renderer that hangs killed at the deadline and reaped
 * (its pid gone), a renderer that dies or lies taken as a crash, a
 * renderer that does not read its input never raising SIGPIPE here. Then
 * the pieces of document.c that need no renderer: the kind of a document by
 * its first bytes, and the QR text a holder link stands for.
 *
 * The real renderer and poppler are tested with crafted PDF files in
 * tests/cli/test_pdfread.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/bytes.h"
#include "tests/unit/testkit.h"
#include "verifier/document.h"
#include "verifier/pdfframe.h"
#include "verifier/pdfread.h"

static char tmp[TESTKIT_DIR_MAX];

static int setup(void **state)
{
    (void)state;
    return testkit_tmpdir(tmp, "test_pdfread");
}

static int teardown(void **state)
{
    (void)state;
    return testkit_tmpdir_remove(tmp);
}

/* ---- frames and fake renderers ---- */

static void frame_record(buf *b, uint32_t kind, uint32_t a, uint32_t bb, uint32_t c)
{
    uint8_t head[PDFFRAME_HEAD_LEN];
    bytes_put_be32(head, kind);
    bytes_put_be32(head + 4, a);
    bytes_put_be32(head + 8, bb);
    bytes_put_be32(head + 12, c);
    buf_append(b, head, sizeof head);
}

/* A page record and its w * h pixels, each the byte seed + its index. */
static void frame_page(buf *b, uint32_t page, uint32_t w, uint32_t h, uint8_t seed)
{
    frame_record(b, PDFFRAME_PAGE, page, w, h);
    for (uint32_t i = 0; i < w * h; i++) {
        uint8_t px = (uint8_t)(seed + i);
        buf_append(b, &px, 1);
    }
}

/*
 * Writes tmp/name, a shell script that runs before (shell commands), then
 * writes the bytes of frames, then runs after; returns its path (static).
 */
static const char *fake(const char *name, const char *before, const buf *frames, const char *after)
{
    static char path[TESTKIT_DIR_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\nprintf '", before ? before : "");
    for (size_t i = 0; frames && i < frames->len; i++) fprintf(f, "\\%03o", (unsigned char)frames->p[i]);
    fprintf(f, "'\n%s\n", after ? after : "");
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0700), 0);
    return path;
}

static void frames_start(buf *b)
{
    buf_init(b, 0);
    buf_append(b, PDFFRAME_MAGIC, PDFFRAME_MAGIC_LEN);
}

/* The pages handed over. */
typedef struct {
    unsigned n;
    unsigned page[8], w[8], h[8];
    int pixels_ok;
    int stop_after; /* return -1 after this many pages; 0: never */
    int sleep_ms;   /* time each page takes to be looked at */
} seen;

static int on_page(void *arg, unsigned page, unsigned w, unsigned h, const uint8_t *gray)
{
    seen *s = arg;
    if (s->n < 8) {
        s->page[s->n] = page;
        s->w[s->n] = w;
        s->h[s->n] = h;
    }
    s->n++;
    if (s->sleep_ms) {
        struct timespec ts = {s->sleep_ms / 1000, (long)(s->sleep_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (unsigned i = 0; i < w * h; i++)
        if (gray[i] != (uint8_t)(page * 16 + i)) s->pixels_ok = 0;
    return s->stop_after && (int)s->n >= s->stop_after ? -1 : 0;
}

static const uint8_t pdf_bytes[] = "%PDF-1.4 not really\n";

/* Runs the renderer at path with a deadline of ms from now. */
static pdfread_status run(pdfread_info *info, seen *s, const char *path, const unsigned *pages,
                          size_t n_pages, int64_t ms, const uint8_t *pdf, size_t len)
{
    pdfread_config cfg = {.renderer = path};
    pdfread_pass pass = {
        .dpi = 150, .pages = pages, .n_pages = n_pages, .deadline_ms = pdfread_now_ms() + ms};
    memset(s, 0, sizeof *s);
    s->pixels_ok = 1;
    if (!pdf) {
        pdf = pdf_bytes;
        len = sizeof pdf_bytes - 1;
    }
    return pdfread_render(info, &cfg, &pass, pdf, len, on_page, s);
}

/* ---- the renderer's outcomes ---- */

static void test_pages_in_order(void **state)
{
    (void)state;
    buf b;
    frames_start(&b);
    frame_record(&b, PDFFRAME_DOC, 3, 0, 0);
    frame_page(&b, 1, 3, 2, 16);
    frame_page(&b, 3, 2, 2, 48);
    frame_record(&b, PDFFRAME_DONE, 2, 0, 0);
    const char *r = fake("ok", "cat >/dev/null", &b, "exit 0");
    buf_free(&b);
    /* an input larger than a socket's buffer: sent while the renderer reads it */
    size_t big = 3u << 20;
    uint8_t *pdf = calloc(1, big);
    assert_non_null(pdf);
    memcpy(pdf, "%PDF-", 5);
    pdfread_info info;
    seen s;
    assert_int_equal(run(&info, &s, r, NULL, 0, TESTKIT_BOUND_MS, pdf, big), PDFREAD_OK);
    free(pdf);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.page[0], 1);
    assert_int_equal(s.w[0], 3);
    assert_int_equal(s.h[0], 2);
    assert_int_equal(s.page[1], 3);
    assert_true(s.pixels_ok);
    assert_int_equal(info.pages_in_file, 3);
    assert_int_equal(info.pages_drawn, 2);
    assert_false(info.killed);
}

static void test_refusals_of_the_renderer(void **state)
{
    (void)state;
    static const struct {
        uint32_t why, b, c;
        pdfread_status want;
    } cases[] = {
        {PDFFRAME_FAIL_DAMAGED, 0, 0, PDFREAD_DAMAGED},
        {PDFFRAME_FAIL_ENCRYPTED, 0, 0, PDFREAD_ENCRYPTED},
        {PDFFRAME_FAIL_TOO_MANY_PAGES, 10000, 10, PDFREAD_TOO_MANY_PAGES},
        {PDFFRAME_FAIL_PAGE_TOO_LARGE, 1, 40000000, PDFREAD_PAGE_TOO_LARGE},
        {PDFFRAME_FAIL_INPUT_TOO_LARGE, 0, 100, PDFREAD_TOO_LARGE},
        {PDFFRAME_FAIL_RENDER, 2, 0, PDFREAD_CRASHED},
        {PDFFRAME_FAIL_SANDBOX, 0, 0, PDFREAD_NO_RENDERER},
        {99, 0, 0, PDFREAD_CRASHED}, /* a reason this side does not know */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf b;
        frames_start(&b);
        if (cases[i].why == PDFFRAME_FAIL_TOO_MANY_PAGES) frame_record(&b, PDFFRAME_DOC, 10000, 0, 0);
        frame_record(&b, PDFFRAME_FAIL, cases[i].why, cases[i].b, cases[i].c);
        const char *r = fake("fail", "cat >/dev/null", &b, "exit 1");
        buf_free(&b);
        pdfread_info info;
        seen s;
        assert_int_equal(run(&info, &s, r, NULL, 0, TESTKIT_BOUND_MS, NULL, 0), cases[i].want);
        if (cases[i].want == PDFREAD_TOO_MANY_PAGES) {
            assert_int_equal(info.pages_in_file, 10000);
            assert_int_equal(info.limit, 10);
        }
        if (cases[i].want == PDFREAD_PAGE_TOO_LARGE) {
            assert_int_equal(info.page, 1);
            assert_int_equal(info.limit, 40000000);
        }
        assert_int_equal(s.n, 0);
    }
}

/* Frames that a renderer must not write: each is a crash, and no page is handed over. */
static void test_lies_are_crashes(void **state)
{
    (void)state;
    unsigned asked[] = {2, 4};
    for (int c = 0; c < 9; c++) {
        buf b;
        buf_init(&b, 0);
        const unsigned *pages = NULL;
        size_t n_pages = 0;
        const char *after = "exit 0";
        if (c == 0) {
            buf_puts(&b, "APIPDFR2"); /* another magic */
        } else {
            buf_append(&b, PDFFRAME_MAGIC, PDFFRAME_MAGIC_LEN);
            frame_record(&b, PDFFRAME_DOC, 20, 0, 0);
        }
        switch (c) {
        case 1: /* a page too large for the pixel budget: refused before any allocation */
            frame_record(&b, PDFFRAME_PAGE, 1, 32767, 32767);
            break;
        case 2: /* a side over cairo's */
            frame_record(&b, PDFFRAME_PAGE, 1, 40000, 1);
            break;
        case 3: /* an empty page */
            frame_record(&b, PDFFRAME_PAGE, 1, 0, 10);
            break;
        case 4: /* a page past the pages read */
            frame_record(&b, PDFFRAME_PAGE, 11, 1, 1);
            break;
        case 5: /* a page not asked for */
            pages = asked;
            n_pages = 2;
            frame_record(&b, PDFFRAME_PAGE, 3, 1, 1);
            break;
        case 6: /* pages out of order */
            frame_page(&b, 2, 1, 1, 32);
            frame_page(&b, 1, 1, 1, 16);
            break;
        case 7: /* a record of an unknown kind */
            frame_record(&b, 0x58585858, 0, 0, 0);
            break;
        case 8: /* DONE, then a failed exit */
            frame_record(&b, PDFFRAME_DONE, 0, 0, 0);
            after = "exit 3";
            break;
        default: /* 0: the magic only */
            break;
        }
        const char *r = fake("lie", "cat >/dev/null", &b, after);
        buf_free(&b);
        pdfread_info info;
        seen s;
        assert_int_equal(run(&info, &s, r, pages, n_pages, TESTKIT_BOUND_MS, NULL, 0), PDFREAD_CRASHED);
        assert_true(s.n <= (c == 6 ? 1u : 0u));
    }
}

static void test_dies(void **state)
{
    (void)state;
    buf b;
    frames_start(&b);
    frame_record(&b, PDFFRAME_DOC, 1, 0, 0);
    frame_record(&b, PDFFRAME_PAGE, 1, 100, 100); /* a page cut short */
    buf_append(&b, "abc", 3);
    const char *r = fake("segv", "cat >/dev/null", &b, "kill -SEGV $$");
    pdfread_info info;
    seen s;
    assert_int_equal(run(&info, &s, r, NULL, 0, TESTKIT_BOUND_MS, NULL, 0), PDFREAD_CRASHED);
    assert_int_equal(s.n, 0);
    /* the same stream, and a clean exit: still no DONE, still a crash */
    r = fake("short", "cat >/dev/null", &b, "exit 0");
    buf_free(&b);
    assert_int_equal(run(&info, &s, r, NULL, 0, TESTKIT_BOUND_MS, NULL, 0), PDFREAD_CRASHED);
    /* nothing at all */
    r = fake("silent", NULL, NULL, "exit 0");
    assert_int_equal(run(&info, &s, r, NULL, 0, TESTKIT_BOUND_MS, NULL, 0), PDFREAD_CRASHED);
}

/* Reads the pid a fake renderer wrote into tmp/name. */
static long pid_in(const char *name)
{
    char path[TESTKIT_DIR_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "r");
    long pid = -1;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1) pid = -1;
        fclose(f);
    }
    return pid;
}

static void test_hangs_killed_at_the_deadline(void **state)
{
    (void)state;
    char before[TESTKIT_DIR_MAX + 64];
    buf b;
    frames_start(&b);
    frame_record(&b, PDFFRAME_DOC, 1, 0, 0);
    /* it draws nothing for a minute; its pid is written down to be checked after */
    snprintf(before, sizeof before, "echo $$ >%s/hang.pid", tmp);
    const char *r = fake("hang", before, &b, "exec sleep 60");
    buf_free(&b);
    pdfread_info info;
    seen s;
    int64_t t0 = pdfread_now_ms();
    assert_int_equal(run(&info, &s, r, NULL, 0, 300, NULL, 0), PDFREAD_TIMEOUT);
    int64_t took = pdfread_now_ms() - t0;
    assert_true(took >= 290);
    assert_true(took < TESTKIT_BOUND_MS);
    assert_true(info.killed);
    assert_int_equal(info.pages_in_file, 1);
    long pid = pid_in("hang.pid");
    assert_true(pid > 0);
    /* killed and reaped: no process, not even a zombie, has that pid (it is not reused this fast) */
    assert_int_equal(kill((pid_t)pid, 0), -1);
    assert_int_equal(errno, ESRCH);

    /* a renderer that closes its output and lingers: given until the deadline, then killed */
    frames_start(&b);
    frame_record(&b, PDFFRAME_DONE, 0, 0, 0);
    snprintf(before, sizeof before, "echo $$ >%s/linger.pid; cat >/dev/null", tmp);
    r = fake("linger", before, &b, "exec >&- ; exec sleep 60");
    buf_free(&b);
    t0 = pdfread_now_ms();
    assert_int_equal(run(&info, &s, r, NULL, 0, 300, NULL, 0), PDFREAD_CRASHED);
    assert_true(pdfread_now_ms() - t0 < TESTKIT_BOUND_MS);
    pid = pid_in("linger.pid");
    assert_true(pid > 0);
    assert_int_equal(kill((pid_t)pid, 0), -1);
}

static void test_stopped_by_the_caller(void **state)
{
    (void)state;
    buf b;
    frames_start(&b);
    frame_record(&b, PDFFRAME_DOC, 2, 0, 0);
    frame_page(&b, 1, 2, 2, 16);
    const char *r = fake("stop", "cat >/dev/null", &b, "exec sleep 60");
    buf_free(&b);
    pdfread_info info;
    seen s;
    int64_t t0 = pdfread_now_ms();
    pdfread_config cfg = {.renderer = r};
    pdfread_pass pass = {.dpi = 150, .deadline_ms = pdfread_now_ms() + TESTKIT_NEVER_MS};
    memset(&s, 0, sizeof s);
    s.pixels_ok = 1;
    s.stop_after = 1;
    assert_int_equal(pdfread_render(&info, &cfg, &pass, pdf_bytes, sizeof pdf_bytes - 1, on_page, &s),
                     PDFREAD_STOPPED);
    assert_true(pdfread_now_ms() - t0 < TESTKIT_BOUND_MS); /* killed at once, not at the deadline */
    assert_int_equal(s.n, 1);
}

/* The deadline bounds the renderer: a page function slower than it does not make a timeout. */
static void test_slow_reader_is_not_a_timeout(void **state)
{
    (void)state;
    buf b;
    frames_start(&b);
    frame_record(&b, PDFFRAME_DOC, 2, 0, 0);
    frame_page(&b, 1, 2, 2, 16);
    frame_page(&b, 2, 2, 2, 32);
    frame_record(&b, PDFFRAME_DONE, 2, 0, 0);
    const char *r = fake("slowreader", "cat >/dev/null", &b, "exit 0");
    buf_free(&b);
    pdfread_info info;
    seen s;
    pdfread_config cfg = {.renderer = r};
    pdfread_pass pass = {.dpi = 150, .deadline_ms = pdfread_now_ms() + 1000};
    memset(&s, 0, sizeof s);
    s.pixels_ok = 1;
    s.sleep_ms = 700; /* two pages: 1.4 s, past the deadline of 1 s */
    assert_int_equal(pdfread_render(&info, &cfg, &pass, pdf_bytes, sizeof pdf_bytes - 1, on_page, &s),
                     PDFREAD_OK);
    assert_int_equal(s.n, 2);
    assert_true(s.pixels_ok);
    assert_true(info.page_seconds >= 1.3);
    assert_false(info.killed);
}

static void test_input_not_read(void **state)
{
    (void)state;
    /* the renderer answers without reading its 8 MB input, and exits: no SIGPIPE here */
    buf b;
    frames_start(&b);
    frame_record(&b, PDFFRAME_FAIL, PDFFRAME_FAIL_INPUT_TOO_LARGE, 0, 100);
    const char *r = fake("noread", NULL, &b, "exit 1");
    buf_free(&b);
    size_t big = 8u << 20;
    uint8_t *pdf = calloc(1, big);
    assert_non_null(pdf);
    pdfread_info info;
    seen s;
    assert_int_equal(run(&info, &s, r, NULL, 0, TESTKIT_BOUND_MS, pdf, big), PDFREAD_TOO_LARGE);
    free(pdf);
    assert_int_equal(info.limit, 100);
}

static void test_no_renderer(void **state)
{
    (void)state;
    char path[TESTKIT_DIR_MAX + 64];
    snprintf(path, sizeof path, "%s/nowhere", tmp);
    pdfread_info info;
    seen s;
    assert_int_equal(run(&info, &s, path, NULL, 0, TESTKIT_BOUND_MS, NULL, 0), PDFREAD_NO_RENDERER);
    pdfread_config cfg = {.renderer = NULL};
    pdfread_pass pass = {.dpi = 150, .deadline_ms = pdfread_now_ms() + 1000};
    assert_int_equal(pdfread_render(&info, &cfg, &pass, pdf_bytes, 3, NULL, NULL), PDFREAD_NO_RENDERER);
    char beside[4096];
    assert_int_equal(pdfread_default_renderer(beside, sizeof beside), 0);
    assert_non_null(strstr(beside, "/api-pdfrender"));
    assert_int_equal(pdfread_default_renderer(beside, 4), -1);
}

/* ---- document.c without a renderer ---- */

static void test_document_kind(void **state)
{
    (void)state;
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0};
    static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0};
    assert_int_equal(document_kind_of(png, sizeof png), DOCUMENT_PNG);
    assert_int_equal(document_kind_of(jpeg, sizeof jpeg), DOCUMENT_JPEG);
    assert_int_equal(document_kind_of((const uint8_t *)"%PDF-1.7", 8), DOCUMENT_PDF);
    assert_int_equal(document_kind_of((const uint8_t *)"%PDF", 4), DOCUMENT_UNKNOWN);
    assert_int_equal(document_kind_of((const uint8_t *)" %PDF-1.7", 9), DOCUMENT_UNKNOWN);
    assert_int_equal(document_kind_of(png, 7), DOCUMENT_UNKNOWN);
    assert_int_equal(document_kind_of(NULL, 0), DOCUMENT_UNKNOWN);
    assert_string_equal(document_kind_name(DOCUMENT_PDF), "pdf");
    assert_string_equal(document_kind_name(DOCUMENT_UNKNOWN), "unknown");

    /* a PDF where no renderer is configured: said, never read */
    document doc;
    document_config dc = {.renderer = NULL};
    assert_int_equal(document_read(&doc, &dc, (const uint8_t *)"%PDF-1.4\n", 9), DOCUMENT_NO_RENDERER);
    document_free(&doc);
    assert_int_equal(document_read(&doc, &dc, (const uint8_t *)"GIF89a", 6), DOCUMENT_NOT_SUPPORTED);
    char why[256];
    document_describe(why, sizeof why, &doc);
    assert_string_equal(why, "not a PNG, JPEG or PDF file");
    document_free(&doc);
}

static void test_document_too_many_pages_is_said(void **state)
{
    (void)state;
    buf b;
    frames_start(&b);
    frame_record(&b, PDFFRAME_DOC, 10000, 0, 0);
    frame_record(&b, PDFFRAME_FAIL, PDFFRAME_FAIL_TOO_MANY_PAGES, 10000, 10);
    const char *r = fake("many", "cat >/dev/null", &b, "exit 1");
    buf_free(&b);
    document doc;
    document_config dc = {.renderer = r};
    assert_int_equal(document_read(&doc, &dc, pdf_bytes, sizeof pdf_bytes - 1), DOCUMENT_TOO_MANY_PAGES);
    char why[256];
    document_describe(why, sizeof why, &doc);
    assert_string_equal(why,
                        "the PDF has 10000 pages; at most 10 are read: send the pages with the attestations");
    document_free(&doc);
}

static void test_code_text(void **state)
{
    (void)state;
    char out[64];
    /* a holder link gives its fragment, percent-decoded */
    assert_int_equal(document_code_text(out, sizeof out, "https://v.example/holder#API1%3AAB%20C", 38), 9);
    assert_string_equal(out, "API1:AB C");
    assert_int_equal(document_code_text(out, sizeof out, "HTTP://v/h#API1%3aX", 19), 6);
    assert_string_equal(out, "API1:X");
    /* an API text, a link without a fragment, a fragment that does not decode: the code itself */
    assert_int_equal(document_code_text(out, sizeof out, "API1:X#Y", 8), 8);
    assert_string_equal(out, "API1:X#Y");
    assert_int_equal(document_code_text(out, sizeof out, "https://v/h", 11), 11);
    assert_int_equal(document_code_text(out, sizeof out, "https://v/h#%4", 14), 14);
    assert_string_equal(out, "https://v/h#%4");
    assert_int_equal(document_code_text(out, sizeof out, "https://v/h#%FF", 15), 15); /* not UTF-8 */
    assert_int_equal(document_code_text(out, sizeof out, "ftp://v/h#API1%3AX", 18), 18);
    /* too long for out */
    assert_int_equal(document_code_text(out, 4, "API1:X", 6), -1);
}

int main(void)
{
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would end the test: pdfread must never raise one */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_in_order),
        cmocka_unit_test(test_refusals_of_the_renderer),
        cmocka_unit_test(test_lies_are_crashes),
        cmocka_unit_test(test_dies),
        cmocka_unit_test(test_hangs_killed_at_the_deadline),
        cmocka_unit_test(test_stopped_by_the_caller),
        cmocka_unit_test(test_slow_reader_is_not_a_timeout),
        cmocka_unit_test(test_input_not_read),
        cmocka_unit_test(test_no_renderer),
        cmocka_unit_test(test_document_kind),
        cmocka_unit_test(test_document_too_many_pages_is_said),
        cmocka_unit_test(test_code_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
