/*
 * receipt.h: the verification receipt, a verifier's signed statement of
 * one check it made (docs/format.md, "Verification receipts").
 *
 * A receipt travels as a QR text like an attestation: "APR1:" +
 * Base45(zlib(COSE_Sign1)), the COSE of typ "api-receipt+cwt" signed by
 * the verifier's own Ed25519 key (not an issuer's: a receipt says what a
 * verifier saw, never what the préfecture decided). Its payload is a CWT
 * claims map:
 *
 *   1       iss      text  the verifier's organisation (who checked)
 *   6       iat      uint  when the check was made
 *   -65538  receipt  map   what the check found (text keys, below)
 *
 * and the receipt map holds v (1), res (the verdict code), prf (the
 * caller's profile), org (the caller's organisation or "anonymous"), and,
 * each only when the caller's profile showed it: rsn (the reason code),
 * iss and isn (the issuer's id and name), cti (the attestation id), fn
 * and gn (the holder's names), wrk (the right to work), unt and ext (the
 * effective end of validity, extended or not), sat (the time of the
 * status held). A field the profile did not show is absent, never empty.
 *
 * Decoding checks the envelope, the canonical CBOR and every field's
 * rules; receipt_verify then finds the key by kid in a set of receipt
 * keys (the verifier's /receipt-keys document, or the receipt signers of
 * the trust list) and says why a receipt is refused. Nothing here decides
 * which keys to trust: the caller gives the set.
 */
#ifndef API_RECEIPT_H
#define API_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "qr/claims.h"
#include "qr/cose.h"

#define RECEIPT_PREFIX   "APR1:"
#define COSE_TYP_RECEIPT "api-receipt+cwt"
#define RECEIPT_VERSION  1
#define RECEIPT_ORG_MAX  128 /* iss, org, isn: 1..127 bytes of text for people */
#define RECEIPT_CODE_MAX 32  /* res, rsn, prf: 1..31 characters of [a-z0-9_] */
#define RECEIPT_TEXT_MAX                                                                                     \
    2048 /* characters of a receipt's QR text written here (names of 127 bytes included) */

typedef struct {
    char verifier[RECEIPT_ORG_MAX]; /* CWT iss: the verifier's organisation */
    int64_t checked_at;             /* CWT iat: seconds since the epoch */
    char result[RECEIPT_CODE_MAX];  /* res: the verdict code, e.g. "valid" */
    char reason[RECEIPT_CODE_MAX];  /* rsn: the reason code; "" when none (absent) */
    char profile[RECEIPT_CODE_MAX]; /* prf: the caller's profile, e.g. "employer", "anonymous" */
    char org[RECEIPT_ORG_MAX];      /* org: the API key's organisation, or "anonymous" */

    int has_issuer; /* iss and isn */
    char iss[CLAIMS_ISS_MAX];
    char issuer_name[RECEIPT_ORG_MAX];
    int has_cti; /* cti */
    uint8_t cti[CLAIMS_CTI_LEN];
    int has_holder; /* fn and gn */
    char fn[CLAIMS_NAME_MAX];
    char gn[CLAIMS_NAME_MAX];
    int has_work;   /* wrk */
    unsigned wrk;   /* CLAIMS_WRK_* */
    int has_until;  /* unt and ext */
    char until[11]; /* YYYY-MM-DD, the effective end of validity (Europe/Paris date) */
    int extended;   /* ext: true when the end was extended after issuance */
    int has_status; /* sat */
    int64_t status_as_of;
} api_receipt;

/* Checks every field's rules; API_ERR_CLAIMS with *field (may be NULL) naming the first bad one. */
api_err receipt_validate(const api_receipt *r, const char **field);

/* The canonical CBOR payload of r (validated first) into out (capacity *outlen); sets *outlen. */
api_err receipt_encode_payload(uint8_t *out, size_t *outlen, const api_receipt *r);

/* Reads a payload (canonical CBOR, checked) into r and validates it; unknown keys are ignored. */
api_err receipt_decode_payload(api_receipt *r, const uint8_t *in, size_t len);

/*
 * Signs r with the verifier's key sk and writes its QR text ("APR1:"...,
 * NUL-terminated when room remains) into text (capacity *textlen,
 * RECEIPT_TEXT_MAX is enough); sets *textlen.
 */
api_err receipt_sign(char *text, size_t *textlen, const api_receipt *r, const uint8_t sk[COSE_SK_LEN]);

/*
 * Reads a receipt's QR text without verifying it: the envelope (prefix,
 * Base45, zlib, COSE_Sign1 of typ api-receipt+cwt) and the payload.
 * cose (capacity QRTEXT_MAX_COSE) holds the COSE bytes msg points into.
 * Errors are the decoders' (API_ERR_PREFIX ... API_ERR_CLAIMS).
 */
api_err receipt_open(api_receipt *r, cose_sign1 *msg, uint8_t *cose, const char *text, size_t len);

/* A key that signs receipts, as a key set lists it. */
typedef struct {
    uint8_t kid[COSE_KID_LEN];
    uint8_t pub[COSE_PK_LEN];
    char name[RECEIPT_ORG_MAX]; /* the verifier's organisation: a receipt's iss must equal it */
    int64_t not_before;         /* receipts signed before it are refused; 0: no bound */
    int64_t retired_at;         /* receipts signed at or after it are refused; 0: current */
} receipt_key;

/* Why a receipt is accepted or refused; receipt_check_code names each. */
typedef enum {
    RECEIPT_VALID = 0,
    RECEIPT_MALFORMED,       /* "malformed": not a receipt (the api_err says which part) */
    RECEIPT_UNKNOWN_KEY,     /* "unknown_key": no key of the set has its kid */
    RECEIPT_BAD_SIGNATURE,   /* "invalid_signature": changed, or signed by another key */
    RECEIPT_SIGNER_MISMATCH, /* "signer_mismatch": iss is not the key's organisation */
    RECEIPT_KEY_RETIRED,     /* "signed_after_retirement": iat at or after the key's retired_at */
    RECEIPT_BEFORE_KEY,      /* "signed_before_key": iat before the key's not_before */
    RECEIPT_CHECK_COUNT
} receipt_check;

/* "valid", "malformed", ...: the stable codes of receipt_check. */
const char *receipt_check_code(receipt_check c);

/*
 * Opens text and checks it against keys[0..n): the key by kid, the
 * signature, the signer's name, the key's period. r and, when not NULL,
 * *key (the key that signed) and *err (the decoder's error of a
 * malformed receipt) are set as far as the checks went; r holds the
 * claims only when the signature verified.
 */
receipt_check receipt_verify(api_receipt *r, const receipt_key **key, api_err *err, const char *text,
                             size_t len, const receipt_key *keys, size_t n);

#endif
