/*
 * feed.h: the signed objects of an issuer's status feed (docs/federation.md):
 * segments of events, checkpoints, snapshots; the hash chain over segments;
 * and the 2-bit status list.
 *
 * Each object is a COSE_Sign1 (cose.h) of its own typ, signed by one of the
 * issuer's keys; this module encodes, signs, parses and checks them, and
 * knows nothing of files, LMDB or HTTP.
 */
#ifndef API_FEED_H
#define API_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "qr/claims.h"
#include "qr/cose.h"
#include "common/err.h"

#define FEED_SEGMENT_MAX_EVENTS  10000
#define FEED_LIST_SIZE           (1u << 21)           /* entries per status list */
#define FEED_LIST_BYTES          (FEED_LIST_SIZE / 4) /* 2 bits each: 512 KiB */
#define FEED_HEAD_LEN            32
#define FEED_MAX_SEGMENT_COSE    (1u << 20)  /* 10,000 events fit in well under 1 MiB */
#define FEED_MAX_SNAPSHOT_COSE   (32u << 20) /* room for 2^21 live extensions */
#define FEED_MAX_CHECKPOINT_COSE 4096
#define FEED_MAX_EXTENSIONS      FEED_LIST_SIZE

/*
 * The signed objects a feed is published and mirrored as (the paths of
 * docs/federation.md, "HTTP"), with the trust list that comes with them:
 * what a store of them (the issuer's registry, a verifier's replica) is
 * asked for.
 */
typedef enum {
    FEED_OBJ_CHECKPOINT,
    FEED_OBJ_SEGMENT,
    FEED_OBJ_SNAPSHOT,
    FEED_OBJ_TRUST_LIST,
} feed_obj;

/* Event kinds. */
enum {
    FEED_EVENT_STATUS = 0,    /* value: the new status (STATUS_* of qr/status.h) */
    FEED_EVENT_EXTENSION = 1, /* value: the new end of validity (exp, seconds) */
};

typedef struct {
    uint64_t seq;  /* 1, 2, 3, ... without gaps within an epoch */
    uint32_t idx;  /* status-list index of the attestation */
    unsigned kind; /* FEED_EVENT_* */
    int64_t value; /* new status, or new end of validity */
    int64_t time;  /* when the issuer recorded it */
} feed_event;

typedef struct {
    char iss[CLAIMS_ISS_MAX];
    uint64_t epoch;
    uint64_t seq;                /* last event covered (0: none yet) */
    uint8_t head[FEED_HEAD_LEN]; /* chain head after that event's segment */
    int64_t signed_at;
} feed_checkpoint;

typedef struct {
    char iss[CLAIMS_ISS_MAX];
    uint64_t epoch;
    uint64_t first; /* seq of the first event */
    size_t n;
    feed_event *events; /* malloc'd by feed_segment_parse */
} feed_segment;

typedef struct {
    uint32_t idx;
    int64_t until;
} feed_extension;

typedef struct {
    feed_checkpoint at; /* the state this snapshot describes */
    uint8_t *bits;      /* FEED_LIST_BYTES, malloc'd by parse */
    size_t n_ext;
    feed_extension *ext; /* sorted by idx, malloc'd by parse */
} feed_snapshot;

/* head_n = SHA-256(head_{n-1} || payload of segment n); head_0 is 32 zero bytes. */
void feed_chain(uint8_t next[FEED_HEAD_LEN], const uint8_t prev[FEED_HEAD_LEN], const uint8_t *payload,
                size_t payload_len);

/* The 2-bit status of idx in a status list (least significant bits first). */
unsigned feed_bits_get(const uint8_t *bits, uint32_t idx);
void feed_bits_set(uint8_t *bits, uint32_t idx, unsigned status);

/* Signing: each returns a malloc'd COSE_Sign1; segments also return the payload's chain step. */
api_err feed_segment_sign(uint8_t **cose, size_t *cose_len, uint8_t head[FEED_HEAD_LEN],
                          const feed_segment *s, const uint8_t prev_head[FEED_HEAD_LEN],
                          const uint8_t sk[COSE_SK_LEN]);
api_err feed_checkpoint_sign(uint8_t **cose, size_t *cose_len, const feed_checkpoint *c,
                             const uint8_t sk[COSE_SK_LEN]);
api_err feed_snapshot_sign(uint8_t **cose, size_t *cose_len, const feed_snapshot *s,
                           const uint8_t sk[COSE_SK_LEN]);

/* The same three with any signer (common/signer.h: a file key or a key in a security module). */
api_err feed_segment_sign_with(uint8_t **cose, size_t *cose_len, uint8_t head[FEED_HEAD_LEN],
                               const feed_segment *s, const uint8_t prev_head[FEED_HEAD_LEN],
                               const api_signer *by);
api_err feed_checkpoint_sign_with(uint8_t **cose, size_t *cose_len, const feed_checkpoint *c,
                                  const api_signer *by);
api_err feed_snapshot_sign_with(uint8_t **cose, size_t *cose_len, const feed_snapshot *s,
                                const api_signer *by);

/*
 * Parsing checks shape and canonical form and returns the signer's kid;
 * the caller finds the key (trust list) and calls cose_sign1_verify on msg.
 * For a segment, msg.payload and msg.payload_len give the bytes to chain.
 * API_ERR_CBOR, API_ERR_NOT_COSE_SIGN1, API_ERR_TYP or API_ERR_ALG for the
 * envelope, API_ERR_CLAIMS for a payload that breaks the rules (events out
 * of order, a status above 3, more than FEED_SEGMENT_MAX_EVENTS, ...).
 */
api_err feed_checkpoint_parse(feed_checkpoint *c, cose_sign1 *msg, const uint8_t *cose, size_t cose_len);
api_err feed_segment_parse(feed_segment *s, cose_sign1 *msg, const uint8_t *cose, size_t cose_len);
api_err feed_snapshot_parse(feed_snapshot *s, cose_sign1 *msg, const uint8_t *cose, size_t cose_len);

void feed_segment_free(feed_segment *s);
void feed_snapshot_free(feed_snapshot *s);

#endif
