/*
 * err.c: codes and texts of the operational failures (see err.h).
 *
 * The codes appear in logs and messages only (the replica's sync reports
 * "unreachable (io)"): the verdict reasons are qr/reason.c's. Change a
 * text freely; keep a code, since logs are read by people and scripts.
 */
#include "common/err.h"

typedef struct {
    api_err err;
    const char *code;
    const char *text;
} err_entry;

static const err_entry err_table[] = {
    {API_OK, "ok", "no error"},
    {API_ERR_PREFIX, "prefix", "the text does not start with API1:"},
    {API_ERR_BASE45, "base45", "the text is not valid Base45"},
    {API_ERR_ZLIB, "zlib", "the compressed data is damaged, not canonical or too large"},
    {API_ERR_CBOR, "cbor", "the data is not well-formed canonical CBOR"},
    {API_ERR_NOT_COSE_SIGN1, "not_cose_sign1", "the data is not a COSE_Sign1 signed message"},
    {API_ERR_TYP, "typ", "the signed object is not of the expected type"},
    {API_ERR_ALG, "alg", "the signature algorithm is missing or not supported"},
    {API_ERR_CLAIMS, "claims", "the attestation claims are missing, of the wrong type or out of range"},
    {API_ERR_SIGNATURE, "signature", "the signature does not verify"},
    {API_ERR_NOMEM, "nomem", "out of memory"},
    {API_ERR_IO, "io", "a file could not be read or written"},
    {API_ERR_TOO_LARGE, "too_large", "the input is larger than allowed"},
    {API_ERR_ARG, "argument", "invalid argument"},
    {API_ERR_PASSPHRASE, "passphrase", "the passphrase is missing or wrong"},
    {API_ERR_KEYFILE, "keyfile", "the key file is damaged or not a key file"},
    {API_ERR_TRUST_LIST, "trust_list", "the trust list fails its checks"},
    {API_ERR_DB, "database", "the database failed"},
    {API_ERR_FULL, "full", "no space left in a bounded table"},
    {API_ERR_NOT_FOUND, "not_found", "not found"},
    {API_ERR_CRYPTO, "crypto", "a cryptographic operation failed"},
    {API_ERR_IMAGE, "image", "the image could not be read"},
    {API_ERR_NO_QR, "no_qr", "no API QR code was found in the image"},
    {API_ERR_EXISTS, "exists", "the file already exists"},
    {API_ERR_FORBIDDEN, "forbidden", "the rules forbid this change"},
    {API_ERR_TOKEN, "token", "the security module (PKCS#11 token) failed or lacks the key"},
};

static const err_entry *err_find(api_err e)
{
    for (unsigned i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
        if (err_table[i].err == e) return &err_table[i];
    return 0;
}

const char *api_err_code(api_err e)
{
    const err_entry *x = err_find(e);
    return x ? x->code : "unknown";
}

const char *api_strerror(api_err e)
{
    const err_entry *x = err_find(e);
    return x ? x->text : "unknown error";
}
