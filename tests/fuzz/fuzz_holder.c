/*
 * fuzz_holder.c: libFuzzer target for the issuer's input parsers
 * (issuer/holder.c): the holder JSON and the CSV batch. The first byte
 * chooses which. Never a crash or a leak; every row accepted passes the
 * claims rules once the issuer's fields are filled in.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "issuer/holder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(api_claims *c)
{
    strcpy(c->iss, "FR-75");
    strcpy(c->status_uri, "/feed/v1/FR-75/snapshot");
    c->iat = 1;
    const char *field = NULL;
    if (claims_validate(c, &field) != API_OK) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 16)) return 0;
    char err[512];
    api_claims c;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1) {
        if (holder_from_json(&c, err, sizeof err, text, len) == API_OK) fuzz_check(&c);
        return 0;
    }
    holder_csv *csv;
    if (holder_csv_open(&csv, err, sizeof err, text, len) != API_OK) return 0;
    for (int rows = 0; rows < 1000; rows++) {
        size_t line;
        int rc = holder_csv_next(csv, &c, &line, err, sizeof err);
        if (rc == 0) break;
        if (rc > 0) fuzz_check(&c);
    }
    holder_csv_close(csv);
    return 0;
}
