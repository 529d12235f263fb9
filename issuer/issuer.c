/*
 * issuer.c: the issuer folder's public configuration, and attestation
 * signing (claims -> COSE_Sign1 -> QR text).
 *
 * Secrets never pass through here except the signing key given to
 * issuer_sign, which is not copied.
 */
#include "issuer/issuer.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64url.h"
#include "common/fs.h"
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

api_err issuer_config_save(const issuer_config *cfg, const char *dir)
{
    char path[4096];
    if (fs_join(path, sizeof path, dir, ISSUER_CONFIG_FILE) != 0) return API_ERR_ARG;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "id", cfg->id);
    cJSON_AddStringToObject(o, "name", cfg->name);
    cJSON_AddStringToObject(o, "feed", cfg->feed);
    cJSON_AddNumberToObject(o, "epoch", (double)cfg->epoch);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return API_ERR_NOMEM;
    size_t n = strlen(text);
    text[n] = '\n';
    api_err e = fs_write_atomic(path, text, n + 1, 0644, 1);
    free(text);
    return e;
}

static int issuer_json_text(char *out, size_t cap, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) return -1;
    strcpy(out, v->valuestring);
    return 0;
}

api_err issuer_config_load(issuer_config *cfg, const char *dir, char *err, size_t errcap)
{
    memset(cfg, 0, sizeof *cfg);
    char path[4096];
    if (fs_join(path, sizeof path, dir, ISSUER_CONFIG_FILE) != 0) return API_ERR_ARG;
    uint8_t *data;
    size_t len;
    api_err e = fs_read_file(&data, &len, path, 65536);
    if (e != API_OK) {
        snprintf(err, errcap, "cannot read %s (is --dir an issuer folder made by 'init'?)", path);
        return e;
    }
    cJSON *o = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (!o || issuer_json_text(cfg->id, sizeof cfg->id, o, "id") ||
        issuer_json_text(cfg->name, sizeof cfg->name, o, "name") ||
        issuer_json_text(cfg->feed, sizeof cfg->feed, o, "feed")) {
        cJSON_Delete(o);
        snprintf(err, errcap, "%s is damaged", path);
        return API_ERR_ARG;
    }
    const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(o, "epoch");
    if (cJSON_IsNumber(epoch) && epoch->valuedouble >= 0 && epoch->valuedouble < 9007199254740992.0)
        cfg->epoch = (uint64_t)epoch->valuedouble;
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

api_err issuer_sign(char *qr, size_t *qrlen, const api_claims *c, const uint8_t sk[COSE_SK_LEN])
{
    uint8_t payload[2048], cose[QRTEXT_MAX_COSE];
    size_t payload_len = sizeof payload, cose_len = sizeof cose;
    api_err e = claims_encode(payload, &payload_len, c);
    if (e == API_OK) e = cose_sign1_sign(cose, &cose_len, COSE_TYP_ATTESTATION, payload, payload_len, sk);
    if (e == API_OK) e = qrtext_encode(qr, qrlen, cose, cose_len);
    return e;
}
