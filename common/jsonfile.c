/*
 * jsonfile.c: the tools' JSON files (see jsonfile.h).
 *
 * Reads are bounded by the caller's max (fs_read_file); writes go through
 * fs_write_atomic, so a crash leaves the old file or the new one. Numbers
 * are cJSON's doubles: a whole number is taken up to 2^53 - 1, where every
 * integer is exact, and cut to its integer part as it always was.
 *
 * This file must not print anything, nor decide what a member means.
 */
#include "common/jsonfile.h"

#include <stdlib.h>
#include <string.h>

#include "common/fs.h"

api_err jsonfile_read(cJSON **root, const char *path, size_t max)
{
    *root = NULL;
    uint8_t *data;
    size_t len;
    api_err e = fs_read_file(&data, &len, path, max);
    if (e != API_OK) return e;
    *root = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    return API_OK;
}

api_err jsonfile_write(const char *path, const cJSON *root, unsigned mode, int exclusive)
{
    char *text = cJSON_Print(root);
    if (!text) return API_ERR_NOMEM;
    size_t n = strlen(text);
    text[n] = '\n'; /* cJSON's buffer has room for its NUL: it takes the final newline */
    api_err e = fs_write_atomic(path, text, n + 1, mode, exclusive);
    free(text);
    return e;
}

int jsonfile_text(char *out, size_t cap, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) return -1;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

int jsonfile_uint(uint64_t *out, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740991.0) return -1;
    *out = (uint64_t)v->valuedouble;
    return 0;
}
