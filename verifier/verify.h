/*
 * verify.h: one verification of a QR text against a trust list, at a
 * given time, optionally with a status source (the replica).
 *
 * The checks run in a fixed order, documented in docs/format.md
 * ("Verifying"), so that every implementation gives the same verdict:
 *   1. QR text -> COSE bytes              malformed (prefix, base45, zlib, too_large)
 *   2. COSE_Sign1 shape and headers        malformed (cbor, not_cose_sign1, alg, typ);
 *      the typ says which presentation:   api-attestation+cwt (full), api-card+cwt
 *                                         (reduced: the holder's card)
 *   3. trust-list entry by kid             unknown_issuer (unknown_kid)
 *   4. entry compromised                   untrusted_issuer (key_compromised)
 *   5. signature                           invalid_signature (signature)
 *   6. claims                              malformed (claims)
 *   7. iss equals the entry's issuer id    untrusted_issuer (issuer_mismatch)
 *   8. retired key: iat before retired_at  untrusted_issuer (issued_after_retirement);
 *      (a card has no iat: its nbf)
 *   9. status: revoked, superseded         revoked, superseded
 *  10. dates (extensions included)         not_yet_valid, expired
 *  11. status: suspended                   suspended
 *  12. freshness                           status_unknown (status_stale, no_status,
 *                                          trust_list_expired)
 *  13. otherwise                           valid
 * Both presentations of an attestation go through the same order, and the
 * status, extensions and freshness apply to both by the same status index.
 * The reasons in parentheses are the codes of qr/reason.h (api_reason, in
 * verify_result.reason). A verification that cannot finish is
 * status_unknown: status_error (the status source failed) or
 * internal_error (out of memory).
 */
#ifndef API_VERIFY_H
#define API_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "qr/claims.h"
#include "qr/reason.h"
#include "qr/status.h"
#include "qr/trust.h"

typedef enum {
    VERDICT_VALID = 0,
    VERDICT_EXPIRED,
    VERDICT_NOT_YET_VALID,
    VERDICT_REVOKED,
    VERDICT_SUSPENDED,
    VERDICT_SUPERSEDED,
    VERDICT_STATUS_UNKNOWN,
    VERDICT_INVALID_SIGNATURE,
    VERDICT_UNKNOWN_ISSUER,
    VERDICT_UNTRUSTED_ISSUER,
    VERDICT_MALFORMED,
    VERDICT_COUNT
} verdict;

/* How old the status held may be, by default (--max-staleness), in seconds. */
#define VERIFY_DEFAULT_MAX_STALENESS (24 * 3600)

/* What a status source knows of one attestation: facts, no judgement of them. */
typedef struct {
    int held;               /* this issuer's status is held at all */
    int64_t as_of;          /* signed_at of the newest checkpoint held */
    unsigned status;        /* STATUS_* (qr/status.h) */
    int64_t extended_until; /* new end of validity, 0 if never extended */
} verify_status;

/* Looks up (entry, idx); returns 0, or -1 on an internal error. */
typedef int (*verify_status_fn)(void *arg, const trust_entry *entry, uint32_t idx, verify_status *out);

/* The presentations a verification accepts (verify_ctx.accept); 0 is both. */
#define VERIFY_ACCEPT_FULL    1u /* api-attestation+cwt */
#define VERIFY_ACCEPT_REDUCED 2u /* api-card+cwt */

typedef struct {
    const trust_list *tl;
    int64_t now;
    unsigned accept; /* VERIFY_ACCEPT_*; 0 accepts both; a kind not accepted is malformed (typ) at step 2 */
    verify_status_fn status_fn; /* NULL: no replica, status not checked */
    void *status_arg;
    int64_t max_staleness; /* how old as_of may be, in seconds (verify_status_fresh, --max-staleness) */
} verify_ctx;

/*
 * Whether the status held is fresh enough at now: now - as_of <=
 * max_staleness. The one place freshness is decided (step 12 of the order
 * above): a status source reports as_of, the verification judges it.
 */
int verify_status_fresh(const verify_status *st, int64_t now, int64_t max_staleness);

typedef struct {
    verdict verdict;
    api_reason reason; /* why a verdict is not valid (reason_code); API_REASON_NONE for valid */
    claims_presentation presentation; /* which kind was read (its typ); NONE before step 2 passed */
    int has_claims;                   /* signature verified and claims decoded */
    api_claims claims;                /* a reduced presentation fills only the card's claims */
    int has_issuer;                   /* the kid was found in the trust list */
    trust_entry issuer;               /* that entry */
    int status_checked;               /* a status source answered for this issuer */
    int64_t status_as_of;
    unsigned status;
    int64_t effective_exp; /* exp, or the extension when later */
    int extended;
    char cti_hex[2 * CLAIMS_CTI_LEN + 1];
} verify_result;

void verify_qrtext(verify_result *r, const verify_ctx *ctx, const char *text, size_t len);

/* A `malformed` result for input refused before decoding (e.g. API_ERR_TOO_LARGE: too_large). */
void verify_malformed(verify_result *r, api_err e);

/* "valid", "expired", ...: the stable codes of the design. */
const char *verdict_code(verdict v);

#endif
