/*
 * status.c: names and change rules of an attestation's status (status.h).
 * The values are the feed format's: they never change.
 */
#include "qr/status.h"

#include <string.h>

static const char *const status_names[STATUS_COUNT] = {"valid", "revoked", "suspended", "superseded"};

const char *status_name(unsigned status)
{
    return status < STATUS_COUNT ? status_names[status] : "unknown";
}

int status_parse(unsigned *out, const char *name)
{
    for (unsigned i = 0; name && i < STATUS_COUNT; i++)
        if (strcmp(name, status_names[i]) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

/* Whether status is a final one (revoked or superseded). */
static int status_is_final(unsigned status)
{
    return status == STATUS_REVOKED || status == STATUS_SUPERSEDED;
}

int status_extendable(unsigned status)
{
    return status == STATUS_VALID || status == STATUS_SUSPENDED;
}

const char *status_transition_error(unsigned from, unsigned to)
{
    if (to >= STATUS_COUNT || from >= STATUS_COUNT) return "unknown status";
    if (status_is_final(from)) return "the attestation is already revoked or superseded: that is final";
    if (from == to)
        return from == STATUS_SUSPENDED ? "the attestation is already suspended"
                                        : "the attestation is already valid";
    return NULL; /* valid <-> suspended, valid or suspended -> revoked or superseded */
}
