/*
 * err.h: the operational failures of the library, what a function returns
 * to its caller: the command lines turn them into exit codes and messages,
 * the service into problems it words itself.
 *
 * These codes are internal: none is ever printed as a verdict's `reason`.
 * The reasons are a protocol of their own (qr/reason.h, api_reason); a
 * decoder's failure becomes one through reason_from_err, the one mapping.
 * The decoding group below is what the decoders (qrtext, cose, claims,
 * feed, trust) return internally. Every value has a short code for logs
 * and messages (api_err_code) and a human text in English (api_strerror).
 * Values are never renumbered: add new ones at the end of their group.
 */
#ifndef API_ERR_H
#define API_ERR_H

typedef enum {
    API_OK = 0,

    /* What the decoders return (internal: reason_from_err turns them into reasons). */
    API_ERR_PREFIX = 1,         /* no "API1:" prefix */
    API_ERR_BASE45 = 2,         /* not valid Base45 */
    API_ERR_ZLIB = 3,           /* not a canonical zlib stream, or too large */
    API_ERR_CBOR = 4,           /* not canonical, well-formed CBOR */
    API_ERR_NOT_COSE_SIGN1 = 5, /* CBOR, but not a tagged COSE_Sign1 */
    API_ERR_TYP = 6,            /* wrong or missing typ header */
    API_ERR_ALG = 7,            /* unknown or missing algorithm */
    API_ERR_CLAIMS = 8,         /* claims missing, of the wrong type or out of range */

    /* Cryptographic results. */
    API_ERR_SIGNATURE = 20, /* the signature does not verify */

    /* Operational errors. */
    API_ERR_NOMEM = 40,
    API_ERR_IO = 41,         /* a file could not be read or written */
    API_ERR_TOO_LARGE = 42,  /* an input over its documented bound */
    API_ERR_ARG = 43,        /* a bad argument from a caller */
    API_ERR_PASSPHRASE = 44, /* no passphrase, or the wrong one */
    API_ERR_KEYFILE = 45,    /* a key file that is not one of ours */
    API_ERR_TRUST_LIST = 46, /* a trust list that fails its own checks */
    API_ERR_DB = 47,         /* the LMDB registry or replica failed */
    API_ERR_FULL = 48,       /* a bounded space is exhausted */
    API_ERR_NOT_FOUND = 49,
    API_ERR_CRYPTO = 50,    /* libsodium failed (it should not) */
    API_ERR_IMAGE = 51,     /* an image could not be read */
    API_ERR_NO_QR = 52,     /* an image without a readable API QR code */
    API_ERR_EXISTS = 53,    /* would overwrite something that exists */
    API_ERR_FORBIDDEN = 54, /* a change the rules forbid (a status change, an extension) */
    API_ERR_TOKEN = 55,     /* a security module (PKCS#11) failed, or lacks the token or key */
} api_err;

/* A short lower-case code for logs and messages, e.g. "io"; never NULL. Not a verdict reason. */
const char *api_err_code(api_err e);

/* A short English sentence for people, e.g. "not valid Base45"; never NULL. */
const char *api_strerror(api_err e);

#endif
