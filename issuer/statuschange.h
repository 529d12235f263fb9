/*
 * statuschange.h: the changes of an attestation's status, as the command
 * line (revoke, supersede, suspend, resume, extend: cmd_status.c) and the
 * issuance API (POST /api/v1/attestations/{id}/revoke etc.: adminapi.c)
 * both make them: the words they take, the private reason each word
 * stands for, the registry call, and the sentence that says what the
 * attestation became. Whether a change is allowed is the registry's rule
 * (qr/status.h); this file only names and applies it.
 */
#ifndef API_STATUSCHANGE_H
#define API_STATUSCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/time.h"
#include "issuer/registry.h"
#include "qr/claims.h"

typedef enum {
    STATUSCHANGE_REVOKE,
    STATUSCHANGE_SUPERSEDE,
    STATUSCHANGE_SUSPEND,
    STATUSCHANGE_RESUME,
    STATUSCHANGE_EXTEND,
    STATUSCHANGE_COUNT
} statuschange_action;

/* The action named word ("revoke", "suspend", ...): 0, or -1. */
int statuschange_action_parse(statuschange_action *a, const char *word);

/* The action's name ("revoke", ...). */
const char *statuschange_action_name(statuschange_action a);

/*
 * The private reason of a revocation's --reason word (error, fraud,
 * withdrawn) or a supersession's --decision word (issued, refused) into
 * *reason: 0, or -1 for any other word. Other actions take no word and
 * give REGISTRY_REASON_NONE.
 */
int statuschange_reason_parse(statuschange_action a, const char *word, unsigned *reason);

/* The words the action takes, for a message: "error, fraud or withdrawn", "issued or refused"; NULL for none.
 */
const char *statuschange_reason_words(statuschange_action a);

/*
 * Applies the change in one registry transaction (one event of the feed):
 * the status of the action with reason, or for STATUSCHANGE_EXTEND the new
 * end until (an end of day). API_ERR_NOT_FOUND for an unknown id;
 * API_ERR_FORBIDDEN when the rules refuse it, why saying why; another
 * error of the registry. On API_OK, done (capacity donecap) says what the
 * attestation became ("revoked", "extended until 2026-09-30").
 */
api_err statuschange_apply(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], statuschange_action a,
                           unsigned reason, int64_t until, int64_t now, char *why, size_t whycap, char *done,
                           size_t donecap);

/* Whether renew-pending may extend by d: at most three calendar months (CESEDA R. 431-15-1). */
int statuschange_renew_by_valid(time_duration d);

#endif
