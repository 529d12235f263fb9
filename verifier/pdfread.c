/*
 * pdfread.c: runs the PDF renderer and reads its pages back (see
 * pdfread.h; the renderer is verifier/pdfrender/main.c, its output
 * verifier/pdfframe.h).
 *
 * One call is one child process. It is started with posix_spawn (no shell,
 * no fork of a threaded service), an environment of two fixed variables,
 * standard input a socket the PDF is sent on (send with MSG_NOSIGNAL: a
 * renderer that dies early never raises SIGPIPE here), standard output
 * another socket (both made close-on-exec at once, so that a renderer
 * another thread starts meanwhile inherits neither), standard error
 * /dev/null. The child's pid is held as a pidfd at
 * once, so that killing it can never reach another process that got its
 * number, and its exit is one more descriptor to poll.
 *
 * One poll loop sends the PDF, reads the frames and watches the deadline;
 * when it passes, the child gets SIGKILL through its pidfd. The deadline
 * bounds the renderer, not the caller: the time the page function takes
 * (looking for QR codes, while the renderer waits on its full output) moves
 * the deadline by as much. Every path
 * ends in waitpid, so no zombie is left (when the service ignores SIGCHLD,
 * the kernel reaps it and waitpid says ECHILD, which is as good).
 *
 * The frames are untrusted: the magic, each record's kind, the page
 * numbers (those asked, in order), the sizes (a side of 1 to 32,767 pixels,
 * at most max_pixels in all) are checked before a byte of pixels is
 * buffered; a page's buffer is the only allocation that grows with the
 * input, and it is bounded by max_pixels. Anything else, or a stream that
 * stops without DONE or FAIL, is PDFREAD_CRASHED.
 *
 * This file must not look for QR codes or know attestations: the caller's
 * page function does.
 */
#include "verifier/pdfread.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/bytes.h"
#include "verifier/pdfframe.h"

#define PDFREAD_MAX_SIDE 32767
#define PDFREAD_CHUNK    65536

extern char **environ;

int64_t pdfread_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *pdfread_strerror(pdfread_status s)
{
    switch (s) {
    case PDFREAD_OK:
        return "read";
    case PDFREAD_DAMAGED:
        return "the file is not a PDF that can be read";
    case PDFREAD_CRASHED:
        return "the PDF could not be drawn (the renderer failed or ran out of its limits)";
    case PDFREAD_TIMEOUT:
        return "the PDF took too long to draw";
    case PDFREAD_ENCRYPTED:
        return "the PDF needs a password to be opened";
    case PDFREAD_TOO_MANY_PAGES:
        return "the PDF has more pages than are read";
    case PDFREAD_PAGE_TOO_LARGE:
        return "a page of the PDF is larger than is drawn";
    case PDFREAD_TOO_LARGE:
        return "the PDF is larger than is read";
    case PDFREAD_NO_RENDERER:
        return "the PDF renderer cannot be started";
    case PDFREAD_NOMEM:
        return "out of memory";
    case PDFREAD_STOPPED:
        return "stopped";
    }
    return "unknown";
}

int pdfread_default_renderer(char *out, size_t cap)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash) return -1;
    *slash = '\0';
    int w = snprintf(out, cap, "%s/api-pdfrender", self);
    return w > 0 && (size_t)w < cap ? 0 : -1;
}

/* ---- the child ---- */

typedef struct {
    pid_t pid;
    int pidfd;
    int in;  /* our end of its standard input (a socket) */
    int out; /* our end of its standard output */
} pdfread_child;

static void pdfread_close(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* The renderer's command line for one pass. */
typedef struct {
    char *argv[12];
    char dpi[24], min_dpi[24], max_pages[32], max_pixels[40], max_input[40], cpu[24], memory[24];
    char *pages; /* "--pages=1,3,...", malloc'd, or NULL */
} pdfread_cmd;

/* Fills cmd for the pass; 0, or -1 when out of memory (free cmd->pages either way). */
static int pdfread_cmd_make(pdfread_cmd *cmd, const pdfread_config *cfg, const pdfread_pass *pass, size_t len)
{
    int64_t left = pass->deadline_ms - pdfread_now_ms();
    long cpu = left > 0 ? (long)(left / 1000) + 1 : 1; /* the wall clock is the real bound */
    snprintf(cmd->dpi, sizeof cmd->dpi, "--dpi=%u", pass->dpi);
    snprintf(cmd->min_dpi, sizeof cmd->min_dpi, "--min-dpi=%u", pass->min_dpi ? pass->min_dpi : pass->dpi);
    snprintf(cmd->max_pages, sizeof cmd->max_pages, "--max-pages=%u",
             cfg->max_pages ? cfg->max_pages : PDFREAD_DEFAULT_MAX_PAGES);
    snprintf(cmd->max_pixels, sizeof cmd->max_pixels, "--max-pixels=%llu",
             cfg->max_pixels ? cfg->max_pixels : PDFREAD_DEFAULT_MAX_PIXELS);
    snprintf(cmd->max_input, sizeof cmd->max_input, "--max-input=%zu", len > 0 ? len : 1);
    snprintf(cmd->cpu, sizeof cmd->cpu, "--cpu=%ld", cpu);
    snprintf(cmd->memory, sizeof cmd->memory, "--memory=%u",
             cfg->memory_mib ? cfg->memory_mib : PDFREAD_DEFAULT_MEMORY_MIB);
    char **a = cmd->argv;
    *a++ = (char *)(uintptr_t) "api-pdfrender";
    *a++ = cmd->dpi;
    *a++ = cmd->min_dpi;
    *a++ = cmd->max_pages;
    *a++ = cmd->max_pixels;
    *a++ = cmd->max_input;
    *a++ = cmd->cpu;
    *a++ = cmd->memory;
    cmd->pages = NULL;
    if (pass->pages && pass->n_pages) {
        buf b;
        buf_init(&b, 0);
        buf_puts(&b, "--pages=");
        for (size_t i = 0; i < pass->n_pages; i++) buf_printf(&b, i ? ",%u" : "%u", pass->pages[i]);
        cmd->pages = buf_take(&b, NULL);
        if (!cmd->pages) return -1;
        *a++ = cmd->pages;
    }
    *a = NULL;
    return 0;
}

static pdfread_status pdfread_spawn(pdfread_child *c, const char *path, char *const argv[])
{
    int sv[2] = {-1, -1}, po[2] = {-1, -1};
    c->pid = -1;
    c->pidfd = c->in = c->out = -1;
    /* sockets rather than pipes: created close-on-exec at once (another thread may spawn too) */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return PDFREAD_NO_RENDERER;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, po) != 0) {
        close(sv[0]);
        close(sv[1]);
        return PDFREAD_NO_RENDERER;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc == 0) {
        rc = posix_spawnattr_init(&at);
        if (rc != 0) posix_spawn_file_actions_destroy(&fa);
    }
    if (rc == 0) {
        rc = posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
        if (!rc) rc = posix_spawn_file_actions_adddup2(&fa, po[1], 1);
        if (!rc) rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        /* signals as a new program expects them: none blocked, none ignored (SIGXCPU must kill) */
        if (!rc) rc = posix_spawnattr_setsigmask(&at, &none);
        if (!rc) rc = posix_spawnattr_setsigdefault(&at, &all);
        if (!rc) rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (!rc) {
            static char env_path[] = "PATH=/usr/bin:/bin", env_lc[] = "LC_ALL=C";
            char *envp[] = {env_path, env_lc, NULL}; /* the whole environment */
            rc = posix_spawn(&c->pid, path, &fa, &at, argv, envp);
        }
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
    }
    close(sv[1]);
    close(po[1]);
    if (rc != 0) {
        close(sv[0]);
        close(po[0]);
        c->pid = -1;
        return PDFREAD_NO_RENDERER;
    }
    c->in = sv[0];
    c->out = po[0];
    c->pidfd = pidfd_open(c->pid, 0);
    if (c->pidfd < 0) {        /* no pidfd (an old kernel): it cannot be killed safely, so it is not run */
        kill(c->pid, SIGKILL); /* still ours: not reaped, its pid cannot have been reused */
        waitpid(c->pid, NULL, 0);
        pdfread_close(&c->in);
        pdfread_close(&c->out);
        c->pid = -1;
        return PDFREAD_NO_RENDERER;
    }
    fcntl(c->in, F_SETFL, fcntl(c->in, F_GETFL) | O_NONBLOCK);
    fcntl(c->out, F_SETFL, fcntl(c->out, F_GETFL) | O_NONBLOCK);
    return PDFREAD_OK;
}

/* Kills (when asked) and reaps the child; closes everything. Returns its wait status, or -1. */
static int pdfread_reap(pdfread_child *c, int kill_it, int64_t deadline_ms)
{
    int status = -1;
    pdfread_close(&c->in);
    pdfread_close(&c->out);
    if (c->pid <= 0) return -1;
    if (!kill_it) {
        /* it closed its output: give it until the deadline to exit, then kill it */
        struct pollfd p = {c->pidfd, POLLIN, 0};
        int64_t left = deadline_ms - pdfread_now_ms();
        while (left > 0 && poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) < 0 && errno == EINTR)
            left = deadline_ms - pdfread_now_ms();
        if (!(p.revents & POLLIN)) kill_it = 1;
    }
    if (kill_it) pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
    while (waitpid(c->pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1; /* ECHILD: SIGCHLD ignored, the kernel reaped it */
            break;
        }
    }
    pdfread_close(&c->pidfd);
    c->pid = -1;
    return status;
}

/* ---- reading the frames ---- */

typedef struct {
    const pdfread_config *cfg;
    const pdfread_pass *pass;
    pdfread_page_fn fn;
    void *arg;
    pdfread_info *info;
    unsigned long long max_pixels;
    /* the record being read */
    uint8_t head[PDFFRAME_HEAD_LEN];
    size_t head_got; /* bytes of head (or of the magic, before it) */
    int magic_seen;
    uint8_t *pix; /* a page's pixels, once its head is read */
    size_t pix_len, pix_got;
    unsigned page, w, h;
    unsigned last_page;
    size_t next_asked; /* index in pass->pages of the next page expected */
    int64_t fn_ms;     /* time spent in fn: the deadline moves by as much */
    int finished;      /* DONE or FAIL read */
    pdfread_status result;
} pdfread_reader;

/* Whether page may come next: asked, and after the previous one. */
static int pdfread_page_ok(pdfread_reader *r, unsigned page)
{
    if (page <= r->last_page) return 0;
    if (!r->pass->pages || !r->pass->n_pages) {
        unsigned max_pages = r->cfg->max_pages ? r->cfg->max_pages : PDFREAD_DEFAULT_MAX_PAGES;
        return page <= max_pages;
    }
    while (r->next_asked < r->pass->n_pages && r->pass->pages[r->next_asked] < page) r->next_asked++;
    return r->next_asked < r->pass->n_pages && r->pass->pages[r->next_asked] == page;
}

/* One record head; 0 to go on, -1 when the stream is over or wrong (r->result says which). */
static int pdfread_head(pdfread_reader *r)
{
    uint32_t kind = bytes_get_be32(r->head), a = bytes_get_be32(r->head + 4);
    uint32_t b = bytes_get_be32(r->head + 8), c = bytes_get_be32(r->head + 12);
    r->head_got = 0;
    switch (kind) {
    case PDFFRAME_DOC:
        r->info->pages_in_file = a;
        return 0;
    case PDFFRAME_PAGE:
        if (!pdfread_page_ok(r, a) || b < 1 || c < 1 || b > PDFREAD_MAX_SIDE || c > PDFREAD_MAX_SIDE ||
            (unsigned long long)b * c > r->max_pixels)
            break;
        r->page = a;
        r->w = b;
        r->h = c;
        r->pix_len = (size_t)b * c;
        r->pix_got = 0;
        r->pix = malloc(r->pix_len);
        if (!r->pix) {
            r->result = PDFREAD_NOMEM;
            return -1;
        }
        return 0;
    case PDFFRAME_DONE:
        r->finished = 1;
        r->result = PDFREAD_OK;
        return -1;
    case PDFFRAME_FAIL:
        r->finished = 1;
        switch (a) {
        case PDFFRAME_FAIL_DAMAGED:
            r->result = PDFREAD_DAMAGED;
            break;
        case PDFFRAME_FAIL_ENCRYPTED:
            r->result = PDFREAD_ENCRYPTED;
            break;
        case PDFFRAME_FAIL_TOO_MANY_PAGES:
            r->result = PDFREAD_TOO_MANY_PAGES;
            r->info->pages_in_file = b;
            r->info->limit = c;
            break;
        case PDFFRAME_FAIL_PAGE_TOO_LARGE:
            r->result = PDFREAD_PAGE_TOO_LARGE;
            r->info->page = b;
            r->info->limit = c;
            break;
        case PDFFRAME_FAIL_INPUT_TOO_LARGE:
            r->result = PDFREAD_TOO_LARGE;
            r->info->limit = c;
            break;
        case PDFFRAME_FAIL_SANDBOX:
            r->result = PDFREAD_NO_RENDERER;
            break;
        default: /* PDFFRAME_FAIL_RENDER, or a reason this side does not know */
            r->result = PDFREAD_CRASHED;
            r->info->page = b;
            break;
        }
        return -1;
    default:
        break;
    }
    r->result = PDFREAD_CRASHED; /* a frame this side does not accept */
    return -1;
}

/* Takes in n bytes of the output; 0 to go on, -1 when done or wrong. */
static int pdfread_feed(pdfread_reader *r, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (!r->magic_seen) {
            size_t take = PDFFRAME_MAGIC_LEN - r->head_got < n ? PDFFRAME_MAGIC_LEN - r->head_got : n;
            memcpy(r->head + r->head_got, p, take);
            r->head_got += take;
            p += take;
            n -= take;
            if (r->head_got == PDFFRAME_MAGIC_LEN) {
                if (memcmp(r->head, PDFFRAME_MAGIC, PDFFRAME_MAGIC_LEN) != 0) {
                    r->result = PDFREAD_CRASHED;
                    return -1;
                }
                r->magic_seen = 1;
                r->head_got = 0;
            }
        } else if (r->pix) {
            size_t take = r->pix_len - r->pix_got < n ? r->pix_len - r->pix_got : n;
            memcpy(r->pix + r->pix_got, p, take);
            r->pix_got += take;
            p += take;
            n -= take;
            if (r->pix_got == r->pix_len) {
                int64_t t0 = pdfread_now_ms();
                int go_on = r->fn ? r->fn(r->arg, r->page, r->w, r->h, r->pix) : 0;
                r->fn_ms += pdfread_now_ms() - t0;
                free(r->pix);
                r->pix = NULL;
                r->last_page = r->page;
                r->info->pages_drawn++;
                if (go_on != 0) {
                    r->result = PDFREAD_STOPPED;
                    return -1;
                }
            }
        } else {
            size_t take = PDFFRAME_HEAD_LEN - r->head_got < n ? PDFFRAME_HEAD_LEN - r->head_got : n;
            memcpy(r->head + r->head_got, p, take);
            r->head_got += take;
            p += take;
            n -= take;
            if (r->head_got == PDFFRAME_HEAD_LEN && pdfread_head(r) != 0) return -1;
        }
    }
    return 0;
}

pdfread_status pdfread_render(pdfread_info *info, const pdfread_config *cfg, const pdfread_pass *pass,
                              const uint8_t *pdf, size_t len, pdfread_page_fn fn, void *arg)
{
    pdfread_info scratch;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    if (!cfg || !cfg->renderer || !pass || pass->dpi == 0 || (!pdf && len)) return PDFREAD_NO_RENDERER;
    pdfread_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    if (pdfread_cmd_make(&cmd, cfg, pass, len) != 0) return PDFREAD_NOMEM;
    int64_t start = pdfread_now_ms();
    pdfread_child c;
    pdfread_status s = pdfread_spawn(&c, cfg->renderer, cmd.argv);
    free(cmd.pages);
    if (s != PDFREAD_OK) return s;

    pdfread_reader r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.pass = pass;
    r.fn = fn;
    r.arg = arg;
    r.info = info;
    r.max_pixels = cfg->max_pixels ? cfg->max_pixels : PDFREAD_DEFAULT_MAX_PIXELS;
    r.result = PDFREAD_CRASHED; /* until DONE or FAIL says otherwise */
    size_t sent = 0;
    int kill_it = 0, over = 0;
    uint8_t *chunk = malloc(PDFREAD_CHUNK);
    if (!chunk) {
        r.result = PDFREAD_NOMEM;
        kill_it = 1;
        over = 1;
    }
    if (len == 0) shutdown(c.in, SHUT_WR);
    while (!over) {
        int64_t left = pass->deadline_ms + r.fn_ms - pdfread_now_ms();
        if (left <= 0) {
            r.result = PDFREAD_TIMEOUT;
            info->killed = kill_it = 1;
            break;
        }
        struct pollfd p[2] = {{c.out, POLLIN, 0}, {c.in, POLLOUT, 0}};
        nfds_t np = c.in >= 0 && sent < len ? 2 : 1;
        int k = poll(p, np, left > INT_MAX ? INT_MAX : (int)left);
        if (k < 0 && errno != EINTR) {
            kill_it = 1;
            break;
        }
        if (k <= 0) continue;
        if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = send(c.in, pdf + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) sent += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == len) {
                /* all sent, or the renderer stopped reading (it says why on its output) */
                shutdown(c.in, SHUT_WR);
                pdfread_close(&c.in);
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            for (;;) {
                ssize_t n = read(c.out, chunk, PDFREAD_CHUNK);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0 && errno == EAGAIN) break;
                if (n <= 0) { /* the end of its output */
                    over = 1;
                    break;
                }
                if (pdfread_feed(&r, chunk, (size_t)n) != 0) {
                    over = 1;
                    kill_it = !r.finished; /* stopped, or nonsense: it need not go on */
                    break;
                }
            }
        }
    }
    free(chunk);
    free(r.pix);
    int status = pdfread_reap(&c, kill_it, pass->deadline_ms + r.fn_ms);
    info->seconds = (double)(pdfread_now_ms() - start - r.fn_ms) / 1000.0;
    info->page_seconds = (double)r.fn_ms / 1000.0;
    if (r.result == PDFREAD_OK && status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        r.result = PDFREAD_CRASHED; /* DONE, then a failure on the way out: not trusted */
    return r.result;
}
