/*
 * fuzz_adminroute.c: libFuzzer target for the path grammar of the issuer's
 * issuance API (adminapi_route_parse, issuer/adminapi.h). The input is a
 * path as the server's gate hands it over (NUL-terminated here). Never a
 * crash, and what it promises: the routes of one attestation give an id of
 * 24 lower-case hexadecimal characters that is the same bytes as cti, and
 * a rest inside the path; other routes give neither; a change names an
 * action.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/adminapi.h"
#include "issuer/statuschange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = malloc(size + 1);
    if (!path) return 0;
    memcpy(path, data, size);
    path[size] = '\0';
    uint8_t cti[CLAIMS_CTI_LEN];
    char id[2 * CLAIMS_CTI_LEN + 1];
    const char *rest = NULL;
    adminapi_route r = adminapi_route_parse(path, cti, id, &rest);
    if (!rest) __builtin_trap();
    if (r == ROUTE_ONE || r == ROUTE_FILE || r == ROUTE_CHANGE) {
        char hex[2 * CLAIMS_CTI_LEN + 1];
        claims_cti_hex(hex, cti);
        if (strlen(id) != 2 * CLAIMS_CTI_LEN || strcmp(hex, id)) __builtin_trap();
        if (rest < path || rest > path + strlen(path)) __builtin_trap();
        statuschange_action a;
        if (r == ROUTE_CHANGE && statuschange_action_parse(&a, rest) != 0) __builtin_trap();
        if (r == ROUTE_ONE && *rest) __builtin_trap();
    } else if (id[0] || *rest) {
        __builtin_trap();
    }
    free(path);
    return 0;
}
