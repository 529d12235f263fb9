/*
 * statuschange.c: the status changes of the command line and of the
 * issuance API (statuschange.h), one table of words and one registry
 * call per change, so that both say the same things.
 *
 * This file must not print, exit or parse a command line or a body: its
 * callers do, each in its own vocabulary (exit codes, HTTP statuses).
 */
#include "issuer/statuschange.h"

#include <stdio.h>
#include <string.h>

#include "common/time.h"
#include "qr/status.h"

static const char *const statuschange_names[STATUSCHANGE_COUNT] = {
    [STATUSCHANGE_REVOKE] = "revoke",   [STATUSCHANGE_SUPERSEDE] = "supersede",
    [STATUSCHANGE_SUSPEND] = "suspend", [STATUSCHANGE_RESUME] = "resume",
    [STATUSCHANGE_EXTEND] = "extend",
};

/* A word of --reason or --decision and the private reason the registry keeps. */
typedef struct {
    const char *name;
    unsigned reason;
} statuschange_word;

static const statuschange_word statuschange_revoke_words[] = {
    {"error", REGISTRY_REASON_ERROR},
    {"fraud", REGISTRY_REASON_FRAUD},
    {"withdrawn", REGISTRY_REASON_WITHDRAWN},
    {NULL, 0},
};

static const statuschange_word statuschange_supersede_words[] = {
    {"issued", REGISTRY_REASON_ISSUED},
    {"refused", REGISTRY_REASON_REFUSED},
    {NULL, 0},
};

int statuschange_action_parse(statuschange_action *a, const char *word)
{
    for (int i = 0; i < STATUSCHANGE_COUNT; i++)
        if (word && !strcmp(word, statuschange_names[i])) {
            *a = (statuschange_action)i;
            return 0;
        }
    return -1;
}

const char *statuschange_action_name(statuschange_action a)
{
    return a < STATUSCHANGE_COUNT ? statuschange_names[a] : "?";
}

int statuschange_reason_parse(statuschange_action a, const char *word, unsigned *reason)
{
    const statuschange_word *list = a == STATUSCHANGE_REVOKE      ? statuschange_revoke_words
                                    : a == STATUSCHANGE_SUPERSEDE ? statuschange_supersede_words
                                                                  : NULL;
    *reason = REGISTRY_REASON_NONE;
    if (!list) return 0;
    for (; word && list->name; list++)
        if (!strcmp(word, list->name)) {
            *reason = list->reason;
            return 0;
        }
    return -1;
}

const char *statuschange_reason_words(statuschange_action a)
{
    if (a == STATUSCHANGE_REVOKE) return "error, fraud or withdrawn";
    if (a == STATUSCHANGE_SUPERSEDE) return "issued or refused";
    return NULL;
}

api_err statuschange_apply(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], statuschange_action a,
                           unsigned reason, int64_t until, int64_t now, char *why, size_t whycap, char *done,
                           size_t donecap)
{
    static const unsigned status_of[STATUSCHANGE_COUNT] = {
        [STATUSCHANGE_REVOKE] = STATUS_REVOKED,    [STATUSCHANGE_SUPERSEDE] = STATUS_SUPERSEDED,
        [STATUSCHANGE_SUSPEND] = STATUS_SUSPENDED, [STATUSCHANGE_RESUME] = STATUS_VALID,
        [STATUSCHANGE_EXTEND] = STATUS_VALID, /* not used */
    };
    static const char *const done_of[STATUSCHANGE_COUNT] = {
        [STATUSCHANGE_REVOKE] = "revoked",    [STATUSCHANGE_SUPERSEDE] = "superseded",
        [STATUSCHANGE_SUSPEND] = "suspended", [STATUSCHANGE_RESUME] = "valid again (resumed)",
        [STATUSCHANGE_EXTEND] = "extended",
    };
    if (a >= STATUSCHANGE_COUNT) return API_ERR_ARG;
    if (why && whycap) why[0] = '\0';
    api_err e;
    if (a == STATUSCHANGE_EXTEND)
        e = registry_extend(reg, cti, until, now, why, whycap);
    else
        e = registry_set_status(reg, cti, status_of[a], reason, now, why, whycap);
    if (e == API_OK && done && donecap) {
        if (a == STATUSCHANGE_EXTEND) {
            char ymd[11];
            time_paris_date(ymd, until);
            snprintf(done, donecap, "extended until %s", ymd);
        } else {
            snprintf(done, donecap, "%s", done_of[a]);
        }
    }
    return e;
}

int statuschange_renew_by_valid(time_duration d)
{
    int64_t probe = time_paris_start_of_day(2026, 5, 31); /* the longest three months: 92 days */
    time_duration three = {3, 'm'};
    return time_add_duration(probe, d) <= time_add_duration(probe, three);
}
