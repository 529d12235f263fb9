/*
 * connguard.c: deadlines and per-address limits for a CivetWeb server's
 * connections (see connguard.h).
 *
 * Data. One array of slots, one per worker thread (a CivetWeb connection
 * lives on one worker), under one mutex. A slot holds the socket, the
 * peer's address, the phase (head, body, answer), when it began and its
 * deadline, and what the watcher did. Counting an address's connections
 * is a scan of the array: a few hundred slots, once per new connection.
 *
 * The watcher thread sleeps until the nearest deadline (at most
 * CONNGUARD_TICK_MS) and cuts with shutdown(2), never close(2): the socket
 * stays CivetWeb's to close, and shutting it down wakes the worker's
 * blocked poll or recv at once. A head or an answer past its deadline is
 * shut both ways (nothing more is owed); a body only for reading, so that
 * the body reader can still send its problem. The slot stays in use until
 * the worker calls connguard_close, which CivetWeb does before it closes
 * the socket: the watcher never touches a descriptor that may have been
 * reused.
 *
 * Finding the socket. CivetWeb tells the peer's address and port and the
 * local port (resolve), not the descriptor, and only once its worker has
 * started on the connection, a moment after init_connection. So a new slot
 * starts unresolved; the watcher, woken by connguard_open, asks every
 * couple of milliseconds until it knows, and the worker asks itself when
 * a request head arrives first (connguard_identify). A TCP connection is
 * named by its two ends, so the socket is the one descriptor of this
 * process whose peer and local port match (listed from /proc/self/fd;
 * without /proc, the first CONNGUARD_SCAN_MAX descriptors are tried). A
 * connection whose socket is not found is still counted, but cannot be
 * cut: counted as untracked. Once the peer is known, the per-address
 * limit applies: the oldest idle connection of that address is evicted,
 * or the new one refused (refuse answers it, then it is shut).
 *
 * This file must not read from or write to a socket (the server layer
 * answers), log anything, or keep an address after its connection closed.
 */
#include "http/connguard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define CONNGUARD_TICK_MS    250   /* the watcher looks at least this often */
#define CONNGUARD_RESOLVE_MS 2     /* ... and this often while a new connection's peer is not known */
#define CONNGUARD_SCAN_MAX   65536 /* descriptors tried when /proc is not mounted */
/* Workers kept for requests: below this many free slots, idle heads are shed. */
#define CONNGUARD_RESERVE_MIN 2
#define CONNGUARD_RESERVE_DIV 8

typedef enum {
    CONNGUARD_PHASE_HEAD,
    CONNGUARD_PHASE_BODY,
    CONNGUARD_PHASE_ANSWER,
} connguard_phase;

struct connguard_conn {
    connguard *g;
    int in_use;
    const void *handle;
    int resolved; /* the peer is known and the limit applied */
    int fd;
    int exempt; /* a trusted proxy: not counted per address */
    uint8_t addr[CLIENTADDR_LEN];
    connguard_phase phase;
    int64_t since;    /* when the phase began (ms, monotonic) */
    int64_t deadline; /* when the watcher cuts it */
    connguard_cut cut;
};

struct connguard {
    connguard_config cfg;
    uint8_t (*trusted)[CLIENTADDR_LEN];
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t watcher;
    int stop;
    connguard_conn *slots;
    size_t reserve;
    connguard_stats stats;
};

static int64_t connguard_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- finding the socket ---- */

/* Whether fd is a socket whose peer is want (its family, address and port) and whose local port is port. */
static int connguard_socket_is(int fd, const struct sockaddr_storage *want, int local_port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 || ss.ss_family != want->ss_family) return 0;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss, *b = (const struct sockaddr_in *)want;
        if (a->sin_port != b->sin_port || a->sin_addr.s_addr != b->sin_addr.s_addr) return 0;
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss,
                                  *b = (const struct sockaddr_in6 *)want;
        if (a->sin6_port != b->sin6_port || memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) != 0)
            return 0;
    } else {
        return 0;
    }
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)&ss)->sin_port) == local_port;
    if (ss.ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port) == local_port;
    return 0;
}

/* The peer as a socket address of the family the listening socket gives (IPv4, IPv6, or IPv4-mapped). */
static int connguard_peer_address(struct sockaddr_storage *ss, const char *peer, int peer_port, int v6)
{
    memset(ss, 0, sizeof *ss);
    if (!v6) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)peer_port);
        return inet_pton(AF_INET, peer, &a->sin_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)peer_port);
    if (inet_pton(AF_INET6, peer, &a->sin6_addr) == 1) return 0;
    struct in_addr v4;
    if (inet_pton(AF_INET, peer, &v4) != 1) return -1;
    a->sin6_addr.s6_addr[10] = 0xff; /* ::ffff:a.b.c.d, as a dual-stack socket names an IPv4 peer */
    a->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
    return 0;
}

static int connguard_match(int fd, const struct sockaddr_storage want[2], int n_want, int local_port)
{
    for (int i = 0; i < n_want; i++)
        if (connguard_socket_is(fd, &want[i], local_port)) return 1;
    return 0;
}

int connguard_find_socket(const char *peer, int peer_port, int local_port)
{
    if (!peer || peer_port <= 0 || peer_port > 65535 || local_port <= 0 || local_port > 65535) return -1;
    struct sockaddr_storage want[2];
    int n_want = 0;
    if (connguard_peer_address(&want[n_want], peer, peer_port, 0) == 0) n_want++;
    if (connguard_peer_address(&want[n_want], peer, peer_port, 1) == 0) n_want++;
    if (n_want == 0) return -1;

    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int found = -1, self = dirfd(d);
        struct dirent *e;
        while (found < 0 && (e = readdir(d)) != NULL) {
            char *end;
            errno = 0;
            long fd = strtol(e->d_name, &end, 10);
            if (errno || *end || end == e->d_name || fd < 0 || fd > 0x7fffffff || fd == self) continue;
            if (connguard_match((int)fd, want, n_want, local_port)) found = (int)fd;
        }
        closedir(d);
        return found;
    }
    for (int fd = 0; fd < CONNGUARD_SCAN_MAX; fd++)
        if (connguard_match(fd, want, n_want, local_port)) return fd;
    return -1;
}

/* ---- the watcher ---- */

static void connguard_cut_now(connguard *g, connguard_conn *c, connguard_cut why)
{
    c->cut = why;
    g->stats.cut[why]++;
    if (c->fd >= 0) shutdown(c->fd, why == CONNGUARD_CUT_BODY ? SHUT_RD : SHUT_RDWR);
}

static size_t connguard_live(const connguard *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->cfg.slots; i++)
        if (g->slots[i].in_use && g->slots[i].cut == CONNGUARD_CUT_NONE) n++;
    return n;
}

/*
 * The connection waiting for a head the longest, of addr (NULL: any), that
 * waited more than min_wait ms, other than except.
 */
static connguard_conn *connguard_oldest_head(connguard *g, const uint8_t *addr, int64_t now, int64_t min_wait,
                                             const connguard_conn *except)
{
    connguard_conn *best = NULL;
    for (size_t i = 0; i < g->cfg.slots; i++) {
        connguard_conn *c = &g->slots[i];
        /* cppcheck-suppress nullPointerRedundantCheck ; c points into the slots; except may be NULL, only
         * compared */
        if (!c->in_use || c == except || c->cut != CONNGUARD_CUT_NONE || c->phase != CONNGUARD_PHASE_HEAD)
            continue;
        if (addr && (!c->resolved || c->exempt || memcmp(c->addr, addr, CLIENTADDR_LEN) != 0)) continue;
        if (now - c->since < min_wait) continue;
        if (!best || c->since < best->since) best = c;
    }
    return best;
}

static int connguard_resolve_slot(connguard *g, connguard_conn *c, int64_t now);

/* Cuts what passed its deadline, sheds idle heads under pressure; the nearest deadline left. Lock held. */
static int64_t connguard_sweep(connguard *g, int64_t now)
{
    int64_t next = now + CONNGUARD_TICK_MS;
    for (size_t i = 0; i < g->cfg.slots; i++) {
        connguard_conn *c = &g->slots[i];
        if (c->in_use && !c->resolved && c->cut == CONNGUARD_CUT_NONE &&
            connguard_resolve_slot(g, c, now) != 0 && now + CONNGUARD_RESOLVE_MS < next)
            next = now + CONNGUARD_RESOLVE_MS;
    }
    for (size_t i = 0; i < g->cfg.slots; i++) {
        connguard_conn *c = &g->slots[i];
        if (!c->in_use || !c->resolved || c->cut != CONNGUARD_CUT_NONE) continue;
        if (now >= c->deadline) {
            connguard_cut_now(g, c,
                              c->phase == CONNGUARD_PHASE_HEAD   ? CONNGUARD_CUT_HEAD
                              : c->phase == CONNGUARD_PHASE_BODY ? CONNGUARD_CUT_BODY
                                                                 : CONNGUARD_CUT_ANSWER);
        } else if (c->deadline < next) {
            next = c->deadline;
        }
    }
    size_t live = connguard_live(g);
    while (live + g->reserve > g->cfg.slots) {
        connguard_conn *c = connguard_oldest_head(g, NULL, now, g->cfg.shed_grace_ms, NULL);
        if (!c) break;
        connguard_cut_now(g, c, CONNGUARD_CUT_SHED);
        live--;
    }
    return next;
}

static void *connguard_watch(void *arg)
{
    connguard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        int64_t now = connguard_now();
        int64_t next = connguard_sweep(g, now);
        int64_t wait = next - now;
        if (wait < 1) wait = 1;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)(wait / 1000);
        until.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* ---- life ---- */

api_err connguard_new(connguard **out, const connguard_config *cfg)
{
    *out = NULL;
    if (!cfg || cfg->slots == 0 || cfg->head_timeout_ms <= 0 || cfg->body_timeout_ms <= 0 ||
        cfg->answer_timeout_ms <= 0 || cfg->keep_alive_ms <= 0 || cfg->n_trusted > CLIENTADDR_MAX_TRUSTED)
        return API_ERR_ARG;
    connguard *g = calloc(1, sizeof *g);
    if (!g) return API_ERR_NOMEM;
    g->cfg = *cfg;
    g->slots = calloc(cfg->slots, sizeof *g->slots);
    if (cfg->n_trusted) {
        g->trusted = calloc(cfg->n_trusted, sizeof *g->trusted);
        if (g->trusted) memcpy(g->trusted, cfg->trusted, cfg->n_trusted * sizeof *g->trusted);
    }
    g->cfg.trusted = (const uint8_t(*)[CLIENTADDR_LEN])g->trusted;
    g->reserve = cfg->slots / CONNGUARD_RESERVE_DIV;
    if (g->reserve < CONNGUARD_RESERVE_MIN) g->reserve = CONNGUARD_RESERVE_MIN;
    if (g->reserve >= cfg->slots) g->reserve = cfg->slots / 2;
    pthread_condattr_t ca;
    int ok = g->slots && (!cfg->n_trusted || g->trusted) && pthread_condattr_init(&ca) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&g->wake, &ca) == 0;
        pthread_condattr_destroy(&ca);
    }
    if (!ok) {
        free(g->slots);
        free(g->trusted);
        free(g);
        return API_ERR_NOMEM;
    }
    pthread_mutex_init(&g->lock, NULL);
    for (size_t i = 0; i < cfg->slots; i++) {
        g->slots[i].g = g;
        g->slots[i].fd = -1;
    }
    if (pthread_create(&g->watcher, NULL, connguard_watch, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g->slots);
        free(g->trusted);
        free(g);
        return API_ERR_NOMEM;
    }
    *out = g;
    return API_OK;
}

void connguard_free(connguard *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->watcher, NULL);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g->slots);
    free(g->trusted);
    free(g);
}

/* ---- connections ---- */

static int connguard_is_trusted(const connguard *g, const uint8_t addr[CLIENTADDR_LEN])
{
    for (size_t i = 0; i < g->cfg.n_trusted; i++)
        if (memcmp(g->cfg.trusted[i], addr, CLIENTADDR_LEN) == 0) return 1;
    return 0;
}

static size_t connguard_count(const connguard *g, const uint8_t addr[CLIENTADDR_LEN])
{
    size_t n = 0;
    for (size_t i = 0; i < g->cfg.slots; i++) {
        const connguard_conn *c = &g->slots[i];
        if (c->in_use && c->resolved && c->cut == CONNGUARD_CUT_NONE && !c->exempt &&
            memcmp(c->addr, addr, CLIENTADDR_LEN) == 0)
            n++;
    }
    return n;
}

/*
 * Learns the slot's peer and socket, and applies the per-address limit.
 * 0 when done (admitted, or refused and shut), -1 when the peer is not
 * known yet. Lock held.
 */
static int connguard_resolve_slot(connguard *g, connguard_conn *c, int64_t now)
{
    char peer[CONNGUARD_PEER_TEXT];
    int peer_port = 0, local_port = 0;
    if (!g->cfg.resolve || g->cfg.resolve(c->handle, peer, &peer_port, &local_port) != 0) return -1;
    peer[CONNGUARD_PEER_TEXT - 1] = '\0';
    c->resolved = 1;
    c->fd = connguard_find_socket(peer, peer_port, local_port);
    if (c->fd < 0) g->stats.untracked++;
    if (clientaddr_parse(c->addr, peer, strlen(peer)) != 0) memset(c->addr, 0, sizeof c->addr);
    c->exempt = connguard_is_trusted(g, c->addr);
    if (c->exempt || g->cfg.max_per_address <= 0) return 0;
    c->exempt = 1; /* not counted against itself */
    size_t held = connguard_count(g, c->addr);
    c->exempt = 0;
    if (held < (size_t)g->cfg.max_per_address) return 0;
    connguard_conn *old = connguard_oldest_head(g, c->addr, now, 0, c);
    if (old) {
        connguard_cut_now(g, old, CONNGUARD_CUT_EVICTED);
        return 0;
    }
    g->stats.refused_per_address++;
    c->cut = CONNGUARD_CUT_REFUSED;
    if (c->fd >= 0) {
        if (g->cfg.refuse) g->cfg.refuse(c->fd, 1);
        shutdown(c->fd, SHUT_RDWR);
    }
    return 0;
}

connguard_conn *connguard_open(connguard *g, const void *handle)
{
    if (!g) return NULL;
    int64_t now = connguard_now();
    pthread_mutex_lock(&g->lock);
    connguard_conn *c = NULL;
    for (size_t i = 0; i < g->cfg.slots && !c; i++)
        if (!g->slots[i].in_use) c = &g->slots[i];
    if (!c) {
        g->stats.refused_full++;
        pthread_mutex_unlock(&g->lock);
        return NULL;
    }
    c->in_use = 1;
    c->handle = handle;
    c->resolved = 0;
    c->fd = -1;
    c->exempt = 0;
    memset(c->addr, 0, sizeof c->addr);
    c->phase = CONNGUARD_PHASE_HEAD;
    c->since = now;
    c->deadline = now + g->cfg.head_timeout_ms;
    c->cut = CONNGUARD_CUT_NONE;
    g->stats.open++;
    pthread_cond_signal(&g->wake); /* the watcher learns the peer as soon as it can */
    pthread_mutex_unlock(&g->lock);
    return c;
}

int connguard_identify(connguard_conn *c)
{
    if (!c) return 0;
    connguard *g = c->g;
    pthread_mutex_lock(&g->lock);
    if (!c->resolved && c->cut == CONNGUARD_CUT_NONE) connguard_resolve_slot(g, c, connguard_now());
    int ok = c->cut != CONNGUARD_CUT_REFUSED;
    pthread_mutex_unlock(&g->lock);
    return ok;
}

static void connguard_set_phase(connguard_conn *c, connguard_phase phase, int64_t timeout_ms)
{
    if (!c) return;
    connguard *g = c->g;
    int64_t now = connguard_now();
    pthread_mutex_lock(&g->lock);
    c->phase = phase;
    c->since = now;
    c->deadline = now + timeout_ms;
    pthread_mutex_unlock(&g->lock);
}

void connguard_request(connguard_conn *c, int has_body)
{
    if (!c) return;
    if (has_body)
        connguard_set_phase(c, CONNGUARD_PHASE_BODY, c->g->cfg.body_timeout_ms);
    else
        connguard_set_phase(c, CONNGUARD_PHASE_ANSWER, c->g->cfg.answer_timeout_ms);
}

void connguard_body_done(connguard_conn *c)
{
    if (c) connguard_set_phase(c, CONNGUARD_PHASE_ANSWER, c->g->cfg.answer_timeout_ms);
}

void connguard_answered(connguard_conn *c)
{
    /* CivetWeb closes an idle connection after the keep-alive time; the watcher is the bound behind it */
    if (c) connguard_set_phase(c, CONNGUARD_PHASE_HEAD, c->g->cfg.keep_alive_ms + c->g->cfg.head_timeout_ms);
}

connguard_cut connguard_was_cut(const connguard_conn *c)
{
    if (!c) return CONNGUARD_CUT_NONE;
    connguard *g = c->g;
    pthread_mutex_lock(&g->lock);
    connguard_cut cut = c->cut;
    pthread_mutex_unlock(&g->lock);
    return cut;
}

int connguard_fd(const connguard_conn *c)
{
    if (!c) return -1;
    connguard *g = c->g;
    pthread_mutex_lock(&g->lock);
    int fd = c->fd;
    pthread_mutex_unlock(&g->lock);
    return fd;
}

void connguard_close(connguard_conn *c)
{
    if (!c) return;
    connguard *g = c->g;
    pthread_mutex_lock(&g->lock);
    c->in_use = 0;
    c->handle = NULL;
    c->resolved = 0;
    c->fd = -1;
    memset(c->addr, 0, sizeof c->addr);
    c->cut = CONNGUARD_CUT_NONE;
    if (g->stats.open > 0) g->stats.open--;
    pthread_mutex_unlock(&g->lock);
}

void connguard_stats_get(connguard *g, connguard_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!g) return;
    pthread_mutex_lock(&g->lock);
    *out = g->stats;
    pthread_mutex_unlock(&g->lock);
}
