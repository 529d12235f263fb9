/*
 * reason.c: the codes of the verdict reasons (reason.h), and the one
 * mapping from a decoder's api_err to a reason.
 *
 * The codes are a protocol: docs/format.md lists them, the JSON reports,
 * the test vectors and the web pages carry them. Change none; add new
 * ones. This file must not know the verification order: verifier/verify.c
 * picks the reason, this file only names it.
 */
#include "qr/reason.h"

#include <stddef.h>

static const char *const reason_codes[API_REASON_COUNT] = {
    [API_REASON_NONE] = NULL,
    [API_REASON_PREFIX] = "prefix",
    [API_REASON_BASE45] = "base45",
    [API_REASON_ZLIB] = "zlib",
    [API_REASON_TOO_LARGE] = "too_large",
    [API_REASON_CBOR] = "cbor",
    [API_REASON_NOT_COSE_SIGN1] = "not_cose_sign1",
    [API_REASON_TYP] = "typ",
    [API_REASON_ALG] = "alg",
    [API_REASON_CLAIMS] = "claims",
    [API_REASON_UNKNOWN_KID] = "unknown_kid",
    [API_REASON_KEY_COMPROMISED] = "key_compromised",
    [API_REASON_SIGNATURE] = "signature",
    [API_REASON_ISSUER_MISMATCH] = "issuer_mismatch",
    [API_REASON_ISSUED_AFTER_RETIREMENT] = "issued_after_retirement",
    [API_REASON_REVOKED] = "revoked",
    [API_REASON_SUPERSEDED] = "superseded",
    [API_REASON_NOT_YET_VALID] = "not_yet_valid",
    [API_REASON_EXPIRED] = "expired",
    [API_REASON_SUSPENDED] = "suspended",
    [API_REASON_NO_STATUS] = "no_status",
    [API_REASON_STATUS_STALE] = "status_stale",
    [API_REASON_TRUST_LIST_EXPIRED] = "trust_list_expired",
    [API_REASON_STATUS_ERROR] = "status_error",
    [API_REASON_INTERNAL_ERROR] = "internal_error",
};

const char *reason_code(api_reason r)
{
    return (unsigned)r < API_REASON_COUNT ? reason_codes[r] : "unknown";
}

api_reason reason_from_err(api_err e)
{
    switch (e) {
    case API_OK:
        return API_REASON_NONE;
    case API_ERR_PREFIX:
        return API_REASON_PREFIX;
    case API_ERR_BASE45:
        return API_REASON_BASE45;
    case API_ERR_ZLIB:
        return API_REASON_ZLIB;
    case API_ERR_TOO_LARGE:
        return API_REASON_TOO_LARGE;
    case API_ERR_CBOR:
        return API_REASON_CBOR;
    case API_ERR_NOT_COSE_SIGN1:
        return API_REASON_NOT_COSE_SIGN1;
    case API_ERR_TYP:
        return API_REASON_TYP;
    case API_ERR_ALG:
        return API_REASON_ALG;
    case API_ERR_CLAIMS:
        return API_REASON_CLAIMS;
    case API_ERR_SIGNATURE:
        return API_REASON_SIGNATURE;
    default:
        return API_REASON_INTERNAL_ERROR;
    }
}
