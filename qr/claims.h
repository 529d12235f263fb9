/*
 * claims.h: the CWT claims of an attestation (the payload of the
 * COSE_Sign1 inside the QR code), as a plain C struct, and their CBOR
 * encoding (see docs/format.md for the wire format).
 *
 * One attestation has two presentations, told apart by the COSE typ: the
 * full code (api-attestation+cwt, every claim) and the reduced code of the
 * holder's card (api-card+cwt: iss, nbf, exp, cti, the status index, and
 * v, fn, gn, dob, wrk; docs/format.md, "The reduced presentation"). Both
 * fill the same api_claims; a reduced one leaves the other fields zero.
 *
 * Text fields are NUL-terminated UTF-8 with the byte bounds below; every
 * bound is checked by claims_validate (claims_reduced_validate for the
 * card's fields), on encode and on decode.
 */
#ifndef API_CLAIMS_H
#define API_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CLAIMS_ISS_MAX        32 /* issuer id, e.g. "FR-75": [A-Z0-9-], 2..31 chars (and a NUL) */
#define CLAIMS_ISS_MIN        2
#define CLAIMS_NAME_MAX       128 /* fn, gn: 1..127 bytes of UTF-8 */
#define CLAIMS_TITLE_MAX      160 /* tit: 1..159 bytes of UTF-8 */
#define CLAIMS_URI_MAX        256 /* status list uri: 1..255 bytes */
#define CLAIMS_PRV_NO_MAX     32  /* previous permit number: 1..31 bytes */
#define CLAIMS_CTI_LEN        12
#define CLAIMS_STATUS_IDX_MAX ((1u << 21) - 1)

enum {
    CLAIMS_APP_FIRST = 1,
    CLAIMS_APP_RENEWAL = 2,
    CLAIMS_APP_CHANGE = 3,
};

enum {
    CLAIMS_WRK_NO = 0,
    CLAIMS_WRK_YES = 1,
    CLAIMS_WRK_PREVIOUS = 2, /* under the conditions of the previous permit */
};

typedef struct {
    /* CWT claims */
    char iss[CLAIMS_ISS_MAX];        /* 1 */
    int64_t iat;                     /* 6, seconds since the epoch */
    int64_t nbf;                     /* 5, valid_from 00:00 Europe/Paris */
    int64_t exp;                     /* 4, valid_until 23:59:59 Europe/Paris */
    uint8_t cti[CLAIMS_CTI_LEN];     /* 7, the attestation id */
    uint32_t status_idx;             /* 65535 status_list.idx */
    char status_uri[CLAIMS_URI_MAX]; /* 65535 status_list.uri */

    /* attestation claims (-65537) */
    unsigned v;                 /* schema version, 1 */
    char fn[CLAIMS_NAME_MAX];   /* family name */
    char gn[CLAIMS_NAME_MAX];   /* given names */
    char dob[11];               /* YYYY-MM-DD, YYYY-MM or YYYY */
    char nat[4];                /* ISO 3166-1 alpha-3 */
    char fnn[11];               /* foreign-national number, 10 digits */
    unsigned app;               /* CLAIMS_APP_* */
    char tit[CLAIMS_TITLE_MAX]; /* residence permit requested */
    unsigned wrk;               /* CLAIMS_WRK_* */
    char fil[11];               /* filing date YYYY-MM-DD */
    int has_prv;                /* previous permit present */
    char prv_no[CLAIMS_PRV_NO_MAX];
    char prv_exp[11]; /* YYYY-MM-DD */
} api_claims;

/* Which presentation of an attestation a code is (its COSE typ). */
typedef enum {
    CLAIMS_PRESENTATION_NONE = 0, /* not known: the envelope was not read, or its typ is another object's */
    CLAIMS_PRESENTATION_FULL,     /* api-attestation+cwt: every claim */
    CLAIMS_PRESENTATION_REDUCED,  /* api-card+cwt: the holder's card, the claims a counter needs */
} claims_presentation;

/* The presentation a COSE typ names: FULL, REDUCED, or NONE for any other typ. */
claims_presentation claims_presentation_of_typ(const char *typ);

/* The typ of a presentation (COSE_TYP_ATTESTATION or COSE_TYP_CARD); NULL for NONE. */
const char *claims_presentation_typ(claims_presentation p);

/* "full", "reduced" (the report's `presentation`); NULL for NONE. */
const char *claims_presentation_code(claims_presentation p);

/*
 * Checks every field against the format's rules. On failure returns
 * API_ERR_CLAIMS and, when field is not NULL, sets *field to the name of
 * the first bad claim (its CBOR name, e.g. "dob").
 */
api_err claims_validate(const api_claims *c, const char **field);

/*
 * Encodes c as the canonical CBOR claims map into out (capacity *outlen);
 * sets *outlen to the length written. Validates first.
 */
api_err claims_encode(uint8_t *out, size_t *outlen, const api_claims *c);

/*
 * Decodes a claims map (canonical CBOR, checked) into c and validates it.
 * Unknown keys are ignored so that later versions can add optional claims.
 */
api_err claims_decode(api_claims *c, const uint8_t *in, size_t inlen);

/*
 * The reduced presentation (the holder's card). claims_reduced_validate
 * checks only the fields the card carries (iss, nbf, exp, status.idx, v,
 * fn, gn, dob, wrk), in the order and with the rules of claims_validate;
 * claims_reduced_encode writes those fields of c (a full set of claims, or
 * a reduced one) as the card's canonical CBOR map; claims_reduced_decode
 * reads a card's map into c, every other field zero, and refuses a map
 * that carries a claim the card leaves out on purpose (nat, fnn, app,
 * tit, fil, prv: API_ERR_CLAIMS), so that a full set of claims cannot
 * pass for a card. Unknown keys are ignored, as in claims_decode; iat and
 * the status uri, which a card may leave out, are ignored when present.
 */
api_err claims_reduced_validate(const api_claims *c, const char **field);
api_err claims_reduced_encode(uint8_t *out, size_t *outlen, const api_claims *c);
api_err claims_reduced_decode(api_claims *c, const uint8_t *in, size_t inlen);

/* The attestation id as 24 lowercase hex characters and a NUL. */
void claims_cti_hex(char out[2 * CLAIMS_CTI_LEN + 1], const uint8_t cti[CLAIMS_CTI_LEN]);

/* Parses 24 hex characters (either case) into cti; 0 or -1. */
int claims_cti_parse(uint8_t cti[CLAIMS_CTI_LEN], const char *hex);

/*
 * The issuer-id grammar, the one definition for claims, trust lists, feeds,
 * paths and stores: s[0..n) is 2 to 31 characters of [A-Z0-9-].
 */
int claims_iss_valid(const char *s, size_t n);

#endif
