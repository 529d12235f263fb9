/*
 * reason.h: the reasons a verdict may carry, a protocol of their own: the
 * JSON `reason` of a verification report, the reason line of the text
 * report, the web pages' twin (docs/format.md, "Verifying"). Other systems
 * read these codes, so they never change; the internal failure codes of
 * common/err.h (api_err) may, and are never printed as a reason. The two
 * stay apart as curl keeps CURLcode, CURLMcode and CURLUcode apart.
 *
 * The malformed reasons are the format's own (a decoder's failure, mapped
 * by reason_from_err); the others are the later steps of the verification
 * order. Values are never renumbered: add new ones before
 * API_REASON_COUNT, with their code and their texts (verifier/explain.c).
 * The order is the one the texts are published in (docs/vectors/bundle.json,
 * "explain": tests/vectors/gen_bundle.c walks the values).
 */
#ifndef API_REASON_H
#define API_REASON_H

#include "common/err.h"

typedef enum {
    API_REASON_NONE = 0, /* a valid verdict carries no reason */

    /* malformed: the QR text (step 1), the COSE envelope (step 2), the claims (step 6) */
    API_REASON_PREFIX,         /* "prefix": no "API1:" prefix */
    API_REASON_BASE45,         /* "base45": not valid Base45 */
    API_REASON_ZLIB,           /* "zlib": not a canonical zlib stream */
    API_REASON_TOO_LARGE,      /* "too_large": over a bound of the format */
    API_REASON_CBOR,           /* "cbor": not canonical, well-formed CBOR */
    API_REASON_NOT_COSE_SIGN1, /* "not_cose_sign1": CBOR, but not a tagged COSE_Sign1 */
    API_REASON_TYP,            /* "typ": not an attestation */
    API_REASON_ALG,            /* "alg": an unknown or missing algorithm */
    API_REASON_CLAIMS,         /* "claims": claims missing, of the wrong type or out of range */

    /* the signature and the issuer (steps 3 to 8) */
    API_REASON_SIGNATURE,               /* "signature": invalid_signature */
    API_REASON_UNKNOWN_KID,             /* "unknown_kid": unknown_issuer */
    API_REASON_KEY_COMPROMISED,         /* "key_compromised": untrusted_issuer */
    API_REASON_ISSUER_MISMATCH,         /* "issuer_mismatch": untrusted_issuer */
    API_REASON_ISSUED_AFTER_RETIREMENT, /* "issued_after_retirement": untrusted_issuer */

    /* the status and the dates (steps 9 to 11) */
    API_REASON_REVOKED,       /* "revoked" */
    API_REASON_SUPERSEDED,    /* "superseded" */
    API_REASON_SUSPENDED,     /* "suspended" */
    API_REASON_EXPIRED,       /* "expired" */
    API_REASON_NOT_YET_VALID, /* "not_yet_valid" */

    /* status_unknown (step 12, and a verification that could not finish) */
    API_REASON_NO_STATUS,          /* "no_status": no status held for the issuer */
    API_REASON_STATUS_STALE,       /* "status_stale": the status held is too old */
    API_REASON_TRUST_LIST_EXPIRED, /* "trust_list_expired" */
    API_REASON_STATUS_ERROR,       /* "status_error": the status source failed */
    API_REASON_INTERNAL_ERROR,     /* "internal_error": out of memory, or a failure no reason names */

    API_REASON_COUNT
} api_reason;

/* The stable code, e.g. "base45"; NULL for API_REASON_NONE, "unknown" for a value out of range. */
const char *reason_code(api_reason r);

/*
 * The reason for a decoder's failure (qrtext, cose, claims: the format's
 * malformed reasons); API_REASON_INTERNAL_ERROR for any other api_err (out
 * of memory: the input was not judged), API_REASON_NONE for API_OK. The
 * one mapping from the internal codes to the protocol's.
 */
api_reason reason_from_err(api_err e);

#endif
