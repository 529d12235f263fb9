/*
 * fuzz_keysimport.c: libFuzzer target for `api-verifier keys import`: the
 * input is an export file (keystore_import: jsonscan, cJSON, every member
 * checked, then the merge into an LMDB store). The store is one, in a
 * temporary folder made at the first input and removed at exit; it starts
 * empty, so the first export that passes gives it its salt and the later
 * ones are merged (keys added, revoked, updated) or refused as another
 * salt's. Never a crash, a leak or an error other than the documented
 * ones; what an import refuses leaves the store's key count as it was.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/worker_stack.h"
#include "verifier/service/keystore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static keystore *fuzz_ks;
static char fuzz_dir[64];

static void fuzz_cleanup(void)
{
    char path[128];
    keystore_close(fuzz_ks);
    snprintf(path, sizeof path, "%s/data.mdb", fuzz_dir);
    remove(path);
    snprintf(path, sizeof path, "%s/lock.mdb", fuzz_dir);
    remove(path);
    remove(fuzz_dir);
}

static size_t fuzz_count(void)
{
    keystore_record *recs;
    size_t n = 0;
    if (keystore_list(fuzz_ks, &recs, &n) != API_OK) __builtin_trap();
    free(recs);
    return n;
}

typedef struct {
    const char *text;
    size_t len;
} fuzz_input;

static void fuzz_import(void *arg)
{
    const fuzz_input *in = arg;
    size_t before = fuzz_count();
    keystore_import_report rep;
    char err[256];
    api_err e = keystore_import(fuzz_ks, in->text, in->len, &rep, err, sizeof err);
    if (e != API_OK && e != API_ERR_ARG && e != API_ERR_EXISTS && e != API_ERR_FULL) __builtin_trap();
    if (e != API_OK && (fuzz_count() != before || err[0] == '\0')) __builtin_trap();
    if (e == API_OK && fuzz_count() != before + rep.added) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_ks) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/api-fuzz-keys.XXXXXX");
        if (!mkdtemp(fuzz_dir) || keystore_open(&fuzz_ks, fuzz_dir) != API_OK) abort();
        atexit(fuzz_cleanup);
    }
    if (size > (1u << 20)) return 0;
    fuzz_input in = {(const char *)data, size};
    fuzz_on_worker_stack(fuzz_import, &in);
    return 0;
}
