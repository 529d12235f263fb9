/*
 * metrics.c: counters of the service and their Prometheus exposition (see
 * metrics.h).
 *
 * Every counter is a relaxed atomic: counts need no order between them,
 * and a scrape reads each one once. Statuses are counted in a table of
 * every code from 100 to 599 per route (36 KB), so that no status is
 * folded into another; only non-zero cells are written out. Latencies are
 * counted in microseconds. Labels are fixed names or issuer ids (checked
 * by the trust list's rules: [A-Z0-9-]), so nothing needs escaping; ids
 * pass through metrics_label anyway, which turns any other character into
 * '_'. The text is built in one buf (common/buf.h), checked once at the
 * end.
 *
 * This file must not look at requests or the replica: the caller counts,
 * and hands the replica's figures to metrics_render.
 */
#include "verifier/service/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

#define METRICS_STATUS_MIN 100
#define METRICS_STATUS_MAX 599
#define METRICS_STATUSES   (METRICS_STATUS_MAX - METRICS_STATUS_MIN + 1)

/* Upper bounds of the latency buckets, in microseconds (the last one is +Inf). */
static const uint64_t metrics_bounds_us[METRICS_BUCKETS - 1] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000,
};

/* Upper bounds of the PDF rendering buckets, in milliseconds (the last one is +Inf). */
static const uint64_t metrics_render_bounds_ms[METRICS_RENDER_BUCKETS - 1] = {
    50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000,
};

static const char *const metrics_doc_names[METRICS_DOC_COUNT] = {"png", "jpeg", "pdf"};
static const char *const metrics_render_names[METRICS_RENDER_COUNT] = {"ok", "refused", "failed", "timeout"};

static const char *const metrics_route_names[METRICS_ROUTE_COUNT] = {
    "verify",  "verify_batch", "trust_list", "bundle", "receipt_keys", "receipt_pdf",
    "healthz", "metrics",      "mirror",     "web",    "other",
};

struct metrics {
    _Atomic uint64_t requests[METRICS_ROUTE_COUNT][METRICS_STATUSES];
    _Atomic uint64_t buckets[METRICS_ROUTE_COUNT][METRICS_BUCKETS];
    _Atomic uint64_t sum_us[METRICS_ROUTE_COUNT];
    _Atomic uint64_t verdicts[VERDICT_COUNT];
    _Atomic uint64_t rate_limited;
    _Atomic uint64_t documents[METRICS_DOC_COUNT];
    _Atomic uint64_t render_buckets[METRICS_RENDER_COUNT][METRICS_RENDER_BUCKETS];
    _Atomic uint64_t render_sum_ms[METRICS_RENDER_COUNT];
};

metrics *metrics_new(void)
{
    metrics *m = calloc(1, sizeof *m); /* all-zero atomics are valid zeros */
    return m;
}

void metrics_free(metrics *m)
{
    free(m);
}

const char *metrics_route_name(metrics_route r)
{
    return (unsigned)r < METRICS_ROUTE_COUNT ? metrics_route_names[r] : "other";
}

void metrics_request(metrics *m, metrics_route r, int status, double seconds)
{
    if (!m) return;
    if ((unsigned)r >= METRICS_ROUTE_COUNT) r = METRICS_ROUTE_OTHER;
    if (status < METRICS_STATUS_MIN || status > METRICS_STATUS_MAX) status = 500;
    atomic_fetch_add_explicit(&m->requests[r][status - METRICS_STATUS_MIN], 1, memory_order_relaxed);
    uint64_t us = seconds > 0 ? (uint64_t)(seconds * 1e6 + 0.5) : 0;
    size_t b = 0;
    while (b < METRICS_BUCKETS - 1 && us > metrics_bounds_us[b]) b++;
    atomic_fetch_add_explicit(&m->buckets[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_us[r], us, memory_order_relaxed);
}

void metrics_verdict(metrics *m, verdict v, unsigned n)
{
    if (m && (unsigned)v < VERDICT_COUNT) atomic_fetch_add_explicit(&m->verdicts[v], n, memory_order_relaxed);
}

void metrics_rate_limited(metrics *m)
{
    if (m) atomic_fetch_add_explicit(&m->rate_limited, 1, memory_order_relaxed);
}

void metrics_document(metrics *m, metrics_doc kind)
{
    if (m && (unsigned)kind < METRICS_DOC_COUNT)
        atomic_fetch_add_explicit(&m->documents[kind], 1, memory_order_relaxed);
}

void metrics_render_time(metrics *m, metrics_render_outcome outcome, double seconds)
{
    if (!m) return;
    if ((unsigned)outcome >= METRICS_RENDER_COUNT) outcome = METRICS_RENDER_FAILED;
    uint64_t ms = seconds > 0 ? (uint64_t)(seconds * 1e3 + 0.5) : 0;
    size_t b = 0;
    while (b < METRICS_RENDER_BUCKETS - 1 && ms > metrics_render_bounds_ms[b]) b++;
    atomic_fetch_add_explicit(&m->render_buckets[outcome][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->render_sum_ms[outcome], ms, memory_order_relaxed);
}

/* ---- exposition ---- */

/* An issuer id as a label value: [A-Z0-9-] pass, anything else becomes '_'. */
static void metrics_label(char *out, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++) {
        char c = s[i];
        out[i] = ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
                     ? c
                     : '_';
    }
    out[i] = '\0';
}

static uint64_t ld(_Atomic uint64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

char *metrics_render(metrics *m, const metrics_replica *rep, size_t *len)
{
    buf b;
    buf_init(&b, 0);

    buf_printf(&b, "# HELP api_verifier_requests_total HTTP requests answered, by route and status.\n"
                   "# TYPE api_verifier_requests_total counter\n");
    for (int r = 0; r < METRICS_ROUTE_COUNT; r++)
        for (int s = 0; s < METRICS_STATUSES; s++) {
            uint64_t v = ld(&m->requests[r][s]);
            if (v)
                buf_printf(&b, "api_verifier_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                           metrics_route_names[r], s + METRICS_STATUS_MIN, (unsigned long long)v);
        }

    buf_printf(&b, "# HELP api_verifier_verdicts_total Verifications answered, by result.\n"
                   "# TYPE api_verifier_verdicts_total counter\n");
    for (int v = 0; v < VERDICT_COUNT; v++)
        buf_printf(&b, "api_verifier_verdicts_total{result=\"%s\"} %llu\n", verdict_code((verdict)v),
                   (unsigned long long)ld(&m->verdicts[v]));

    buf_printf(
        &b,
        "# HELP api_verifier_request_duration_seconds Time from the request line to the end of the answer.\n"
        "# TYPE api_verifier_request_duration_seconds histogram\n");
    for (int r = 0; r < METRICS_ROUTE_COUNT; r++) {
        uint64_t cum = 0;
        uint64_t counts[METRICS_BUCKETS];
        for (int i = 0; i < METRICS_BUCKETS; i++) counts[i] = ld(&m->buckets[r][i]);
        for (int i = 0; i < METRICS_BUCKETS; i++) cum += counts[i];
        if (cum == 0) continue;
        cum = 0;
        for (int i = 0; i < METRICS_BUCKETS; i++) {
            cum += counts[i];
            if (i < METRICS_BUCKETS - 1)
                buf_printf(&b, "api_verifier_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                           metrics_route_names[r], (double)metrics_bounds_us[i] / 1e6,
                           (unsigned long long)cum);
            else
                buf_printf(&b,
                           "api_verifier_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                           metrics_route_names[r], (unsigned long long)cum);
        }
        buf_printf(&b, "api_verifier_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                   metrics_route_names[r], (double)ld(&m->sum_us[r]) / 1e6);
        buf_printf(&b, "api_verifier_request_duration_seconds_count{route=\"%s\"} %llu\n",
                   metrics_route_names[r], (unsigned long long)cum);
    }

    buf_printf(&b,
               "# HELP api_verifier_rate_limited_total Requests refused with 429 by a rate limit.\n"
               "# TYPE api_verifier_rate_limited_total counter\n"
               "api_verifier_rate_limited_total %llu\n",
               (unsigned long long)ld(&m->rate_limited));

    buf_printf(&b,
               "# HELP api_verifier_documents_total Documents read for the API (photos and PDF files), by "
               "the kind their bytes are.\n"
               "# TYPE api_verifier_documents_total counter\n");
    for (int k = 0; k < METRICS_DOC_COUNT; k++)
        buf_printf(&b, "api_verifier_documents_total{kind=\"%s\"} %llu\n", metrics_doc_names[k],
                   (unsigned long long)ld(&m->documents[k]));

    buf_printf(&b,
               "# HELP api_verifier_pdf_render_seconds Time the PDF renderer ran for one document (all its "
               "pages), by outcome: ok, refused (encrypted, too many pages, too large), failed (damaged, "
               "crashed, out of a limit), timeout (killed at --render-timeout).\n"
               "# TYPE api_verifier_pdf_render_seconds histogram\n");
    for (int o = 0; o < METRICS_RENDER_COUNT; o++) {
        uint64_t cum = 0;
        for (int i = 0; i < METRICS_RENDER_BUCKETS; i++) {
            cum += ld(&m->render_buckets[o][i]);
            if (i < METRICS_RENDER_BUCKETS - 1)
                buf_printf(&b, "api_verifier_pdf_render_seconds_bucket{outcome=\"%s\",le=\"%g\"} %llu\n",
                           metrics_render_names[o], (double)metrics_render_bounds_ms[i] / 1e3,
                           (unsigned long long)cum);
            else
                buf_printf(&b, "api_verifier_pdf_render_seconds_bucket{outcome=\"%s\",le=\"+Inf\"} %llu\n",
                           metrics_render_names[o], (unsigned long long)cum);
        }
        buf_printf(&b, "api_verifier_pdf_render_seconds_sum{outcome=\"%s\"} %.3f\n", metrics_render_names[o],
                   (double)ld(&m->render_sum_ms[o]) / 1e3);
        buf_printf(&b, "api_verifier_pdf_render_seconds_count{outcome=\"%s\"} %llu\n",
                   metrics_render_names[o], (unsigned long long)cum);
    }

    if (rep && rep->http) {
        const httpd_stats *h = rep->http;
        buf_printf(&b,
                   "# HELP api_verifier_connections_refused_total Connections refused at once, by reason: "
                   "per_address (the address held --max-connections-per-address), full (no worker left).\n"
                   "# TYPE api_verifier_connections_refused_total counter\n"
                   "api_verifier_connections_refused_total{reason=\"per_address\"} %llu\n"
                   "api_verifier_connections_refused_total{reason=\"full\"} %llu\n",
                   (unsigned long long)h->refused_per_address, (unsigned long long)h->refused_full);
        buf_printf(
            &b,
            "# HELP api_verifier_connections_dropped_total Connections closed by the service, by reason: "
            "head_timeout (the request head took longer than --request-timeout), answer_timeout (the "
            "answer was not taken in time), evicted (idle, closed for a newer connection of the same "
            "address), shed (idle, closed because the workers were nearly all taken).\n"
            "# TYPE api_verifier_connections_dropped_total counter\n"
            "api_verifier_connections_dropped_total{reason=\"head_timeout\"} %llu\n"
            "api_verifier_connections_dropped_total{reason=\"answer_timeout\"} %llu\n"
            "api_verifier_connections_dropped_total{reason=\"evicted\"} %llu\n"
            "api_verifier_connections_dropped_total{reason=\"shed\"} %llu\n",
            (unsigned long long)h->head_timeouts, (unsigned long long)h->answer_timeouts,
            (unsigned long long)h->evicted, (unsigned long long)h->shed);
        buf_printf(
            &b,
            "# HELP api_verifier_bodies_cut_total Request bodies cut at their deadline (--request-timeout "
            "after the head).\n"
            "# TYPE api_verifier_bodies_cut_total counter\n"
            "api_verifier_bodies_cut_total %llu\n",
            (unsigned long long)h->body_timeouts);
        buf_printf(
            &b,
            "# HELP api_verifier_http_refused_total Requests refused by the HTTP gate, by reason: "
            "too_many_headers (431), framing (400: Content-Length or Transfer-Encoding), target (400 or "
            "414: the path or query), misdirected (421).\n"
            "# TYPE api_verifier_http_refused_total counter\n"
            "api_verifier_http_refused_total{reason=\"too_many_headers\"} %llu\n"
            "api_verifier_http_refused_total{reason=\"framing\"} %llu\n"
            "api_verifier_http_refused_total{reason=\"target\"} %llu\n"
            "api_verifier_http_refused_total{reason=\"misdirected\"} %llu\n",
            (unsigned long long)h->too_many_headers, (unsigned long long)h->bad_framing,
            (unsigned long long)h->bad_target, (unsigned long long)h->misdirected);
        buf_printf(&b,
                   "# HELP api_verifier_connections_open Connections open now.\n"
                   "# TYPE api_verifier_connections_open gauge\n"
                   "api_verifier_connections_open %llu\n"
                   "# HELP api_verifier_connections_untracked_total Connections whose socket could not be "
                   "watched (their deadlines rest on CivetWeb's own timer).\n"
                   "# TYPE api_verifier_connections_untracked_total counter\n"
                   "api_verifier_connections_untracked_total %llu\n",
                   (unsigned long long)h->open, (unsigned long long)h->untracked);
    }

    if (rep) {
        buf_printf(
            &b,
            "# HELP api_verifier_forks_detected_total Forked feed histories refused (since the replica "
            "was created).\n"
            "# TYPE api_verifier_forks_detected_total counter\n"
            "api_verifier_forks_detected_total %llu\n"
            "# HELP api_verifier_rollbacks_refused_total Older trust lists and checkpoints refused "
            "(since the replica was created).\n"
            "# TYPE api_verifier_rollbacks_refused_total counter\n"
            "api_verifier_rollbacks_refused_total %llu\n",
            (unsigned long long)rep->forks, (unsigned long long)rep->rollbacks);
        buf_printf(&b,
                   "# HELP api_verifier_trust_list_seq Sequence number of the trust list held (0: none).\n"
                   "# TYPE api_verifier_trust_list_seq gauge\n"
                   "api_verifier_trust_list_seq %llu\n",
                   (unsigned long long)(rep->has_trust_list ? rep->trust_seq : 0));
        buf_printf(&b,
                   "# HELP api_verifier_sync_age_seconds Seconds since the newest checkpoint held of each "
                   "issuer was signed.\n"
                   "# TYPE api_verifier_sync_age_seconds gauge\n");
        for (size_t i = 0; i < rep->n_issuers; i++) {
            if (!rep->issuers[i].held) continue;
            char label[64];
            metrics_label(label, sizeof label, rep->issuers[i].iss);
            buf_printf(&b, "api_verifier_sync_age_seconds{issuer=\"%s\"} %lld\n", label,
                       (long long)rep->issuers[i].age);
        }
    }
    return buf_take(&b, len);
}
