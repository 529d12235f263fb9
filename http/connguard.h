/*
 * connguard.h: the connections of a CivetWeb server, watched from outside.
 *
 * CivetWeb 1.15 serves each connection on one worker thread, reads with a
 * timer that every byte restarts, and hides its sockets. A client that
 * sends one byte now and then, or opens many connections and says nothing,
 * can hold every worker. This module gives the server what CivetWeb lacks:
 *
 *   - a deadline for each phase of a request, for the whole phase and not
 *     for each read: the head, the body, the answer. A watcher thread cuts
 *     the socket when a deadline passes (shutdown(2): the worker's blocked
 *     read returns at once, and a body reader can still answer);
 *   - at most max_per_address connections from one address (trusted
 *     proxies exempt): past it, the oldest connection of that address that
 *     is only waiting for a request head is closed to make room, and when
 *     none is, the new connection is refused;
 *   - when the workers are nearly all taken, connections that have waited
 *     for their request head longer than a grace time are closed, oldest
 *     first, so that held connections never starve real requests.
 *
 * Each connection is opened with connguard_open on its own worker thread,
 * before CivetWeb reads its first request (the init_connection callback),
 * and closed with connguard_close before CivetWeb closes the socket (the
 * connection_close callback); the phase calls come from the same thread.
 * CivetWeb does not say who the peer is before its worker starts reading:
 * the watcher asks (resolve) as soon as it can, a few milliseconds later,
 * finds the socket and applies the per-address limit; connguard_identify
 * does the same at once on the worker when a request head arrives first.
 */
#ifndef API_CONNGUARD_H
#define API_CONNGUARD_H

#include <stddef.h>
#include <stdint.h>

#include "http/clientaddr.h"
#include "common/err.h"

/*
 * Who is at the other end of the connection handle, once the server can
 * say: the peer's address as text, its port, the local port. 0, or -1 when
 * not known yet (the watcher asks again). Called under the guard's lock,
 * on any thread, only while the handle's connection is open.
 */
#define CONNGUARD_PEER_TEXT 48
typedef int (*connguard_resolve_fn)(const void *handle, char peer[CONNGUARD_PEER_TEXT], int *peer_port,
                                    int *local_port);

/*
 * Answers a refused connection on its socket (a short problem), before the
 * guard shuts it. Called under the guard's lock; must not block.
 */
typedef void (*connguard_refuse_fn)(int fd, int per_address);

typedef struct {
    size_t slots; /* connections watched at once: the server's worker threads */
    connguard_resolve_fn resolve;
    connguard_refuse_fn refuse;
    int max_per_address;     /* 0: no limit */
    int64_t head_timeout_ms; /* a request's head, from the connection's opening */
    int64_t keep_alive_ms; /* idle between requests (the server closes it; the watcher adds a head's time) */
    int64_t body_timeout_ms;                  /* a request's body, from the end of its head */
    int64_t answer_timeout_ms;                /* handling a request and sending its answer */
    int64_t shed_grace_ms;                    /* under pressure, heads that took longer are dropped */
    const uint8_t (*trusted)[CLIENTADDR_LEN]; /* exempt from the per-address limit */
    size_t n_trusted;
} connguard_config;

/* Why a connection was cut or refused (the counters of connguard_stats). */
typedef enum {
    CONNGUARD_CUT_NONE = 0,
    CONNGUARD_CUT_HEAD,    /* its request head did not arrive in time */
    CONNGUARD_CUT_BODY,    /* its request body did not arrive in time */
    CONNGUARD_CUT_ANSWER,  /* its answer was not taken in time */
    CONNGUARD_CUT_EVICTED, /* idle, closed to make room for its address's newest */
    CONNGUARD_CUT_SHED,    /* idle, closed because the workers were nearly all taken */
    CONNGUARD_CUT_REFUSED, /* its address held max_per_address connections */
    CONNGUARD_CUT_COUNT
} connguard_cut;

typedef struct {
    uint64_t refused_per_address; /* connections refused: their address held max_per_address */
    uint64_t refused_full;        /* connections refused: no slot (should not happen) */
    uint64_t cut[CONNGUARD_CUT_COUNT];
    uint64_t untracked; /* connections whose socket was not found (not cut on time) */
    size_t open;        /* connections watched now */
} connguard_stats;

typedef struct connguard connguard;
typedef struct connguard_conn connguard_conn;

/* Starts the watcher thread. API_ERR_ARG for a config without slots, API_ERR_NOMEM. */
api_err connguard_new(connguard **out, const connguard_config *cfg);

/* Stops the watcher; every connection must have been closed (after mg_stop). */
void connguard_free(connguard *g);

/*
 * A new connection (handle: what resolve is given), on its worker thread;
 * its head's deadline starts now. NULL when every slot is taken (counted:
 * the server refuses the request when its head arrives).
 */
connguard_conn *connguard_open(connguard *g, const void *handle);

/*
 * On the worker, when a request head arrived: makes sure the peer is
 * known and the per-address limit applied. 1 when the connection may be
 * served, 0 when it was refused (the caller answers 503 and closes; the
 * refusal is counted).
 */
int connguard_identify(connguard_conn *c);

/* Its request head arrived: the body (has_body) or the answer phase begins. */
void connguard_request(connguard_conn *c, int has_body);

/* Its body was read to the end (or dropped): the answer phase begins. */
void connguard_body_done(connguard_conn *c);

/* Its answer was sent and the connection stays open: waiting for the next head. */
void connguard_answered(connguard_conn *c);

/* What the watcher did to this connection (CONNGUARD_CUT_NONE: nothing). */
connguard_cut connguard_was_cut(const connguard_conn *c);

/* The socket (-1 when it was not found), for the server's own use. */
int connguard_fd(const connguard_conn *c);

/* Ends the watch; before the socket is closed. */
void connguard_close(connguard_conn *c);

void connguard_stats_get(connguard *g, connguard_stats *out);

/*
 * The socket of this process whose peer is (peer, peer_port) and whose
 * local port is local_port, or -1. CivetWeb does not say which socket a
 * connection uses; a TCP connection's two ends name it uniquely.
 */
int connguard_find_socket(const char *peer, int peer_port, int local_port);

#endif
