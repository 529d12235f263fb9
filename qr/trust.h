/*
 * trust.h: the federation's trust list, a COSE_Sign1 of typ
 * "api-trust-list+cbor" signed by the root key (docs/format.md, "Trust
 * list").
 *
 * Each entry binds an issuer id (e.g. "FR-75") to one Ed25519 public key
 * and its kid, with a state: active, retired (attestations issued before
 * retired_at still verify) or compromised (nothing signed by the key
 * verifies). Key rotation is a new entry with a new kid for the same id.
 */
#ifndef API_TRUST_H
#define API_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "qr/claims.h"
#include "qr/cose.h"

#define TRUST_ID_MAX      CLAIMS_ISS_MAX /* an entry's id is an issuer id: claims_iss_valid */
#define TRUST_NAME_MAX    128
#define TRUST_FEED_MAX    256
#define TRUST_MAX_ENTRIES 4096
#define TRUST_MAX_COSE    (2 * 1024 * 1024)

typedef enum {
    TRUST_ACTIVE = 0,
    TRUST_RETIRED = 1,
    TRUST_COMPROMISED = 2,
} trust_state;

typedef struct {
    char id[TRUST_ID_MAX];     /* issuer id, the attestations' iss */
    char name[TRUST_NAME_MAX]; /* display name, UTF-8 */
    uint8_t kid[COSE_KID_LEN];
    uint8_t pub[COSE_PK_LEN];
    trust_state state;
    int64_t retired_at;        /* TRUST_RETIRED only */
    char feed[TRUST_FEED_MAX]; /* feed base URL, may be empty */
    uint64_t epoch;            /* feed epoch */
} trust_entry;

/*
 * A verifier's receipt key that the federation vouches for (docs/format.md,
 * "Verification receipts"): receipts it signed are checkable against the
 * root. Retired: receipts signed (iat) at or after retired_at are refused.
 */
typedef struct {
    char name[TRUST_NAME_MAX]; /* the verifier's organisation, the receipts' iss */
    uint8_t kid[COSE_KID_LEN];
    uint8_t pub[COSE_PK_LEN];
    trust_state state;  /* TRUST_ACTIVE or TRUST_RETIRED */
    int64_t retired_at; /* TRUST_RETIRED only */
} trust_receipt_signer;

#define TRUST_MAX_RECEIPT_SIGNERS 1024

typedef struct {
    uint64_t seq; /* strictly increasing */
    int64_t iat;
    int64_t exp;
    int has_next_root;
    uint8_t next_root[COSE_PK_LEN];
    size_t n;
    trust_entry *entries; /* malloc'd */
    /* the member receipt_signers, written only when there is one, so older readers, which ignore it,
     * still read the list, and a list without one has the bytes it always had */
    size_t n_receipt_signers;
    trust_receipt_signer *receipt_signers; /* malloc'd, or NULL */
} trust_list;

const char *trust_state_name(trust_state s);
int trust_state_parse(trust_state *s, const char *name);

/* Checks the list's own rules: ids, kids equal to the hash of their keys,
 * no two entries with the same kid, states, iat <= exp; for the receipt
 * signers: names, kids, active or retired, no kid twice nor an issuer's. */
api_err trust_validate(const trust_list *tl, char *err, size_t errcap);

/* Encodes the payload (canonical CBOR) into a malloc'd buffer. */
api_err trust_encode(uint8_t **out, size_t *outlen, const trust_list *tl);

/*
 * trust_encode without trust_validate: writes whatever tl holds (a state
 * out of range is written "unknown"). For tests and tools that forge
 * input the decoder must refuse; what publishes a list calls trust_sign.
 */
api_err trust_encode_unchecked(uint8_t **out, size_t *outlen, const trust_list *tl);

/* Decodes and validates a payload. The caller trust_free()s tl. */
api_err trust_decode(trust_list *tl, const uint8_t *in, size_t len);

/* Signs the list with the root secret key: a malloc'd COSE_Sign1. */
api_err trust_sign(uint8_t **cose, size_t *cose_len, const trust_list *tl,
                   const uint8_t root_sk[COSE_SK_LEN]);

/* The same with any signer (common/signer.h): the root key in a file or in a security module. */
api_err trust_sign_with(uint8_t **cose, size_t *cose_len, const trust_list *tl, const api_signer *root);

/*
 * Verifies a signed trust list against a root public key and decodes it.
 * API_ERR_TRUST_LIST covers every failure (damaged, wrong typ, wrong key,
 * bad signature, failing its own rules); err (may be NULL) says which.
 */
api_err trust_verify(trust_list *tl, char *err, size_t errcap, const uint8_t *cose, size_t cose_len,
                     const uint8_t root_pk[COSE_PK_LEN]);

/* The entry with that kid, or NULL. */
const trust_entry *trust_find_kid(const trust_list *tl, const uint8_t kid[COSE_KID_LEN]);

/* The receipt signer with that kid, or NULL. */
const trust_receipt_signer *trust_find_receipt_signer(const trust_list *tl, const uint8_t kid[COSE_KID_LEN]);

void trust_free(trust_list *tl);

#endif
