/*
 * issuer.c: the issuer folder's public configuration (ISS/issuer.json,
 * through common/jsonfile, and ISS/issuer.pub), and attestation signing
 * (claims -> COSE_Sign1 -> QR text), in both presentations: the full code
 * and the holder's card.
 *
 * Secrets never pass through here: issuer_sign is given a signer
 * (common/signer.h), whose key it neither sees nor copies.
 */
#include "issuer/issuer.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64url.h"
#include "common/bytes.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/text.h"
#include "qr/qrtext.h"

#define ISSUER_CONFIG_FILE "issuer.json"

/*
 * The status list URI written in attestations: "/feed/v1/{id}/snapshot", a
 * path valid on the issuer's feed and on every mirror; verifiers find the
 * feed through the trust list, never through this URI.
 */
static void issuer_status_uri(char *out, size_t cap, const char *id)
{
    /* Relative: the same path serves the list on the issuer and on every mirror (docs/format.md). */
    snprintf(out, cap, "/feed/v1/%s/snapshot", id);
}

const char *issuer_verify_base_problem(const char *url)
{
    if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
        return "expected an http:// or https:// URL";
    if (!text_plain_ok(url, 1, ISSUER_URL_MAX)) return "at most 120 bytes of text (an address people type)";
    if (strpbrk(url, " #")) return "a URL without spaces or '#'";
    return NULL;
}

static api_err issuer_config_write(const issuer_config *cfg, const char *dir, int exclusive)
{
    char path[4096];
    if (fs_join(path, sizeof path, dir, ISSUER_CONFIG_FILE) != 0) return API_ERR_ARG;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "id", cfg->id);
    cJSON_AddStringToObject(o, "name", cfg->name);
    cJSON_AddStringToObject(o, "feed", cfg->feed);
    cJSON_AddNumberToObject(o, "epoch", (double)cfg->epoch);
    if (cfg->verify_base[0]) cJSON_AddStringToObject(o, "verify_base", cfg->verify_base);
    if (cfg->token.module[0] && p11_ref_to_json(o, &cfg->token) != 0) {
        cJSON_Delete(o);
        return API_ERR_NOMEM;
    }
    api_err e = jsonfile_write(path, o, 0644, exclusive);
    cJSON_Delete(o);
    return e;
}

api_err issuer_config_save(const issuer_config *cfg, const char *dir)
{
    return issuer_config_write(cfg, dir, 1);
}

api_err issuer_config_replace(const issuer_config *cfg, const char *dir)
{
    return issuer_config_write(cfg, dir, 0);
}

api_err issuer_config_load(issuer_config *cfg, const char *dir, char *err, size_t errcap)
{
    memset(cfg, 0, sizeof *cfg);
    char path[4096];
    if (fs_join(path, sizeof path, dir, ISSUER_CONFIG_FILE) != 0) return API_ERR_ARG;
    cJSON *o;
    api_err e = jsonfile_read(&o, path, 65536);
    if (e != API_OK) {
        snprintf(err, errcap, "cannot read %s (is --dir an issuer folder made by 'init'?)", path);
        return e;
    }
    if (!o || jsonfile_text(cfg->id, sizeof cfg->id, o, "id") ||
        jsonfile_text(cfg->name, sizeof cfg->name, o, "name") ||
        jsonfile_text(cfg->feed, sizeof cfg->feed, o, "feed")) {
        cJSON_Delete(o);
        snprintf(err, errcap, "%s is damaged", path);
        return API_ERR_ARG;
    }
    if (jsonfile_uint(&cfg->epoch, o, "epoch") != 0) cfg->epoch = 0; /* an older file: epoch 0 */
    /* Optional (older files have none); one that is there must be a verify base. */
    if (cJSON_GetObjectItemCaseSensitive(o, "verify_base") &&
        (jsonfile_text(cfg->verify_base, sizeof cfg->verify_base, o, "verify_base") ||
         issuer_verify_base_problem(cfg->verify_base))) {
        cJSON_Delete(o);
        snprintf(err, errcap, "%s is damaged (verify_base)", path);
        return API_ERR_ARG;
    }
    if (p11_ref_from_json(&cfg->token, o) < 0 || (cfg->token.module[0] && !cfg->token.has_seed)) {
        cJSON_Delete(o);
        snprintf(err, errcap, "%s is damaged (pkcs11)", path);
        return API_ERR_ARG;
    }
    cJSON_Delete(o);
    issuer_status_uri(cfg->status_uri, sizeof cfg->status_uri, cfg->id);
    if (fs_join(path, sizeof path, dir, "issuer.pub") != 0) return API_ERR_ARG;
    e = b64url_read_key_file(cfg->pk, path);
    if (e != API_OK) {
        snprintf(err, errcap, "cannot read the public key %s", path);
        return e;
    }
    return API_OK;
}

api_err issuer_sign(char *qr, size_t *qrlen, const api_claims *c, const api_signer *by)
{
    uint8_t payload[2048], cose[QRTEXT_MAX_COSE];
    size_t payload_len = sizeof payload, cose_len = sizeof cose;
    api_err e = claims_encode(payload, &payload_len, c);
    if (e == API_OK)
        e = cose_sign1_sign_with(cose, &cose_len, COSE_TYP_ATTESTATION, payload, payload_len, by);
    if (e == API_OK) e = qrtext_encode(qr, qrlen, cose, cose_len);
    return e;
}

api_err issuer_sign_card(char *qr, size_t *qrlen, const api_claims *c, const api_signer *by)
{
    uint8_t payload[1024], cose[QRTEXT_MAX_COSE];
    size_t payload_len = sizeof payload, cose_len = sizeof cose;
    api_err e = claims_reduced_encode(payload, &payload_len, c);
    if (e == API_OK) e = cose_sign1_sign_with(cose, &cose_len, COSE_TYP_CARD, payload, payload_len, by);
    if (e == API_OK) e = qrtext_encode_shortest(qr, qrlen, cose, cose_len); /* mostly uncompressed: shorter */
    return e;
}

int issuer_key_of_kid(uint8_t pk[COSE_PK_LEN], const char *dir, const issuer_config *cfg,
                      const uint8_t kid[COSE_KID_LEN])
{
    uint8_t own[COSE_KID_LEN];
    cose_kid(own, cfg->pk);
    if (!memcmp(own, kid, COSE_KID_LEN)) {
        memcpy(pk, cfg->pk, COSE_PK_LEN);
        return 0;
    }
    char path[4096], hex[2 * COSE_KID_LEN + 1];
    bytes_to_hex(hex, kid, COSE_KID_LEN);
    int n = snprintf(path, sizeof path, "%s/issuer-%s.pub", dir, hex);
    if (n < 0 || (size_t)n >= sizeof path || b64url_read_key_file(pk, path) != API_OK) return -1;
    cose_kid(own, pk);
    return memcmp(own, kid, COSE_KID_LEN) ? -1 : 0;
}
