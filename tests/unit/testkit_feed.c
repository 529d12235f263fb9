/*
 * testkit_feed.c: an issuer's status feed built in a test (see testkit.h).
 *
 * The feed is what issuer/registry publishes, written straight with the
 * signing functions of qr/feed.c and no registry: events queued, cut into
 * segments chained by their heads, checkpoints and snapshots signed when a
 * test asks, any of them with another key or over another head to forge.
 * Beside it, the model (status and extension end of every index) is what
 * a replica that applied every cut event must hold; tests compare the two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/testkit.h"

void testkit_feed_init(testkit_feed *f, const char *iss, uint64_t epoch, const testkit_key *key)
{
    memset(f, 0, sizeof *f);
    snprintf(f->iss, sizeof f->iss, "%s", iss);
    f->epoch = epoch;
    f->key = *key;
    f->pend = testkit_malloc(FEED_SEGMENT_MAX_EVENTS * sizeof *f->pend);
    f->bits = calloc(1, FEED_LIST_BYTES);
    f->ext = calloc(FEED_LIST_SIZE, sizeof *f->ext);
    if (!f->bits || !f->ext) testkit_die("out of memory for the model of %s", iss);
}

void testkit_feed_free(testkit_feed *f)
{
    for (size_t i = 0; i < f->n_segs; i++) free(f->segs[i].cose);
    free(f->segs);
    free(f->pend);
    free(f->bits);
    free(f->ext);
    memset(f, 0, sizeof *f);
}

void testkit_feed_event(testkit_feed *f, uint32_t idx, unsigned kind, int64_t value, int64_t time)
{
    if (f->n_pend >= FEED_SEGMENT_MAX_EVENTS || idx >= FEED_LIST_SIZE)
        testkit_die("%s: event %zu on index %u does not fit a segment", f->iss, f->n_pend + 1, idx);
    feed_event *ev = &f->pend[f->n_pend++];
    ev->seq = f->seq + f->n_pend;
    ev->idx = idx;
    ev->kind = kind;
    ev->value = value;
    ev->time = time;
    if (kind == FEED_EVENT_STATUS)
        feed_bits_set(f->bits, idx, (unsigned)value);
    else if (value > f->ext[idx])
        f->ext[idx] = value;
}

void testkit_feed_cut_with(testkit_feed *f, const uint8_t *sk)
{
    if (f->n_pend == 0) testkit_die("%s: a segment without events", f->iss);
    if (f->n_segs == f->cap_segs) {
        size_t cap = f->cap_segs ? 2 * f->cap_segs : 16;
        testkit_segment *segs = realloc(f->segs, cap * sizeof *segs);
        if (!segs) testkit_die("out of memory for the segments of %s", f->iss);
        f->segs = segs;
        f->cap_segs = cap;
    }
    feed_segment s;
    memset(&s, 0, sizeof s);
    snprintf(s.iss, sizeof s.iss, "%s", f->iss);
    s.epoch = f->epoch;
    s.first = f->seq + 1;
    s.n = f->n_pend;
    s.events = f->pend;
    testkit_segment *t = &f->segs[f->n_segs];
    memset(t, 0, sizeof *t);
    t->first = s.first;
    t->n = s.n;
    api_err e = feed_segment_sign(&t->cose, &t->len, f->head, &s, f->head, sk ? sk : f->key.sk);
    if (e != API_OK) testkit_die("%s: feed_segment_sign: %s", f->iss, api_strerror(e));
    f->n_segs++;
    f->seq += f->n_pend;
    f->n_pend = 0;
}

void testkit_feed_cut(testkit_feed *f)
{
    testkit_feed_cut_with(f, NULL);
}

void testkit_feed_checkpoint_with(const testkit_feed *f, uint8_t **cose, size_t *len, int64_t signed_at,
                                  const uint8_t *sk, const uint8_t *head)
{
    feed_checkpoint c;
    memset(&c, 0, sizeof c);
    snprintf(c.iss, sizeof c.iss, "%s", f->iss);
    c.epoch = f->epoch;
    c.seq = f->seq;
    memcpy(c.head, head ? head : f->head, FEED_HEAD_LEN);
    c.signed_at = signed_at;
    api_err e = feed_checkpoint_sign(cose, len, &c, sk ? sk : f->key.sk);
    if (e != API_OK) testkit_die("%s: feed_checkpoint_sign: %s", f->iss, api_strerror(e));
}

void testkit_feed_checkpoint(const testkit_feed *f, uint8_t **cose, size_t *len, int64_t signed_at)
{
    testkit_feed_checkpoint_with(f, cose, len, signed_at, NULL, NULL);
}

void testkit_feed_snapshot(const testkit_feed *f, uint8_t **cose, size_t *len, int64_t signed_at)
{
    feed_snapshot s;
    memset(&s, 0, sizeof s);
    snprintf(s.at.iss, sizeof s.at.iss, "%s", f->iss);
    s.at.epoch = f->epoch;
    s.at.seq = f->seq;
    memcpy(s.at.head, f->head, FEED_HEAD_LEN);
    s.at.signed_at = signed_at;
    s.bits = f->bits;
    size_t n = 0;
    for (uint32_t i = 0; i < FEED_LIST_SIZE; i++) n += f->ext[i] != 0;
    s.ext = testkit_malloc(n * sizeof *s.ext);
    for (uint32_t i = 0; i < FEED_LIST_SIZE; i++)
        if (f->ext[i]) {
            s.ext[s.n_ext].idx = i;
            s.ext[s.n_ext++].until = f->ext[i];
        }
    api_err e = feed_snapshot_sign(cose, len, &s, f->key.sk);
    free(s.ext);
    if (e != API_OK) testkit_die("%s: feed_snapshot_sign: %s", f->iss, api_strerror(e));
}
