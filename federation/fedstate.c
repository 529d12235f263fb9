/*
 * fedstate.c: FED/federation.json, read and written with cJSON through
 * common/jsonfile (the tools' one way to keep a JSON file).
 *
 * The file is the ministry's working copy; only the signed trust list is
 * authoritative for verifiers. Keys are base64url, kids lowercase hex.
 * Every field is validated on load with trust_validate.
 */
#include "federation/fedstate.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64url.h"
#include "common/fs.h"
#include "common/jsonfile.h"

#define FEDSTATE_FILE "federation.json"
#define FEDSTATE_MAX  (16 * 1024 * 1024)

static int fedstate_entry(trust_entry *t, const cJSON *o)
{
    char pub[64], state[16];
    uint64_t retired = 0;
    if (!cJSON_IsObject(o) || jsonfile_text(t->id, sizeof t->id, o, "id") ||
        jsonfile_text(t->name, sizeof t->name, o, "name") || jsonfile_text(pub, sizeof pub, o, "pub") ||
        jsonfile_text(state, sizeof state, o, "state") || jsonfile_text(t->feed, sizeof t->feed, o, "feed") ||
        jsonfile_uint(&t->epoch, o, "epoch") ||
        b64url_decode_exact(t->pub, sizeof t->pub, pub, strlen(pub)) || trust_state_parse(&t->state, state))
        return -1;
    if (t->state == TRUST_RETIRED && jsonfile_uint(&retired, o, "retired_at")) return -1;
    t->retired_at = (int64_t)retired;
    cose_kid(t->kid, t->pub);
    return 0;
}

static int fedstate_receipt_signer(trust_receipt_signer *t, const cJSON *o)
{
    char pub[64], state[16];
    uint64_t retired = 0;
    if (!cJSON_IsObject(o) || jsonfile_text(t->name, sizeof t->name, o, "name") ||
        jsonfile_text(pub, sizeof pub, o, "pub") || jsonfile_text(state, sizeof state, o, "state") ||
        b64url_decode_exact(t->pub, sizeof t->pub, pub, strlen(pub)) || trust_state_parse(&t->state, state))
        return -1;
    if (t->state == TRUST_RETIRED && jsonfile_uint(&retired, o, "retired_at")) return -1;
    t->retired_at = (int64_t)retired;
    cose_kid(t->kid, t->pub);
    return 0;
}

/* The verifiers' receipt keys (receipt_signers, absent from files written before there were any). */
static api_err fedstate_load_receipt_signers(trust_list *tl, const cJSON *root, const char *path, char *err,
                                             size_t errcap)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "receipt_signers");
    if (!list) return API_OK;
    if (!cJSON_IsArray(list)) {
        snprintf(err, errcap, "%s is damaged", path);
        return API_ERR_TRUST_LIST;
    }
    size_t n = (size_t)cJSON_GetArraySize(list);
    tl->receipt_signers = calloc(n ? n : 1, sizeof *tl->receipt_signers);
    if (!tl->receipt_signers) return API_ERR_NOMEM;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        if (fedstate_receipt_signer(&tl->receipt_signers[tl->n_receipt_signers], it) != 0) {
            snprintf(err, errcap, "%s: receipt signer %zu is damaged", path, tl->n_receipt_signers + 1);
            return API_ERR_TRUST_LIST;
        }
        tl->n_receipt_signers++;
    }
    return API_OK;
}

api_err fedstate_load(trust_list *tl, const char *dir, char *err, size_t errcap)
{
    memset(tl, 0, sizeof *tl);
    char path[4096];
    if (fs_join(path, sizeof path, dir, FEDSTATE_FILE) != 0) return API_ERR_ARG;
    cJSON *root;
    api_err e = jsonfile_read(&root, path, FEDSTATE_MAX);
    if (e != API_OK) {
        snprintf(err, errcap, "cannot read %s (is --dir a federation folder made by 'init'?)", path);
        return e;
    }
    const cJSON *issuers = cJSON_GetObjectItemCaseSensitive(root, "issuers");
    if (!root || jsonfile_uint(&tl->seq, root, "seq") || !cJSON_IsArray(issuers)) {
        snprintf(err, errcap, "%s is damaged", path);
        cJSON_Delete(root);
        return API_ERR_TRUST_LIST;
    }
    size_t n = (size_t)cJSON_GetArraySize(issuers);
    tl->entries = calloc(n ? n : 1, sizeof *tl->entries);
    if (!tl->entries) {
        cJSON_Delete(root);
        return API_ERR_NOMEM;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, issuers)
    {
        if (fedstate_entry(&tl->entries[tl->n], it) != 0) {
            snprintf(err, errcap, "%s: entry %zu is damaged", path, tl->n + 1);
            cJSON_Delete(root);
            trust_free(tl);
            return API_ERR_TRUST_LIST;
        }
        tl->n++;
    }
    e = fedstate_load_receipt_signers(tl, root, path, err, errcap);
    cJSON_Delete(root);
    if (e != API_OK) {
        trust_free(tl);
        return e;
    }
    e = trust_validate(tl, err, errcap);
    if (e != API_OK) trust_free(tl);
    return e;
}

api_err fedstate_save(const trust_list *tl, const char *dir)
{
    char path[4096];
    if (fs_join(path, sizeof path, dir, FEDSTATE_FILE) != 0) return API_ERR_ARG;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddNumberToObject(root, "seq", (double)tl->seq);
    cJSON *arr = cJSON_AddArrayToObject(root, "issuers");
    for (size_t i = 0; i < tl->n; i++) {
        const trust_entry *t = &tl->entries[i];
        char pub[64], kid[2 * COSE_KID_LEN + 1];
        b64url_encode(pub, sizeof pub, t->pub, sizeof t->pub);
        sodium_bin2hex(kid, sizeof kid, t->kid, sizeof t->kid);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", t->id);
        cJSON_AddStringToObject(o, "name", t->name);
        cJSON_AddStringToObject(o, "kid", kid);
        cJSON_AddStringToObject(o, "pub", pub);
        cJSON_AddStringToObject(o, "state", trust_state_name(t->state));
        if (t->state == TRUST_RETIRED) cJSON_AddNumberToObject(o, "retired_at", (double)t->retired_at);
        cJSON_AddStringToObject(o, "feed", t->feed);
        cJSON_AddNumberToObject(o, "epoch", (double)t->epoch);
        cJSON_AddItemToArray(arr, o);
    }
    if (tl->n_receipt_signers > 0) {
        cJSON *signers = cJSON_AddArrayToObject(root, "receipt_signers");
        for (size_t i = 0; i < tl->n_receipt_signers; i++) {
            const trust_receipt_signer *t = &tl->receipt_signers[i];
            char pub[64], kid[2 * COSE_KID_LEN + 1];
            b64url_encode(pub, sizeof pub, t->pub, sizeof t->pub);
            sodium_bin2hex(kid, sizeof kid, t->kid, sizeof t->kid);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", t->name);
            cJSON_AddStringToObject(o, "kid", kid);
            cJSON_AddStringToObject(o, "pub", pub);
            cJSON_AddStringToObject(o, "state", trust_state_name(t->state));
            if (t->state == TRUST_RETIRED) cJSON_AddNumberToObject(o, "retired_at", (double)t->retired_at);
            cJSON_AddItemToArray(signers, o);
        }
    }
    api_err e = jsonfile_write(path, root, 0644, 0);
    cJSON_Delete(root);
    return e;
}

api_err fedstate_add_receipt_signer(trust_list *tl, const trust_receipt_signer *s)
{
    if (trust_find_kid(tl, s->kid) || trust_find_receipt_signer(tl, s->kid)) return API_ERR_EXISTS;
    trust_receipt_signer *grown = realloc(tl->receipt_signers, (tl->n_receipt_signers + 1) * sizeof *grown);
    if (!grown) return API_ERR_NOMEM;
    tl->receipt_signers = grown;
    tl->receipt_signers[tl->n_receipt_signers++] = *s;
    return API_OK;
}

api_err fedstate_add(trust_list *tl, const trust_entry *entry)
{
    if (trust_find_kid(tl, entry->kid) || trust_find_receipt_signer(tl, entry->kid)) return API_ERR_EXISTS;
    trust_entry *grown = realloc(tl->entries, (tl->n + 1) * sizeof *grown);
    if (!grown) return API_ERR_NOMEM;
    tl->entries = grown;
    tl->entries[tl->n++] = *entry;
    return API_OK;
}
