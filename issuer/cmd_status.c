/*
 * cmd_status.c: the commands of api-issuer that change or read statuses in
 * the registry (cmd_int.h): revoke, supersede, suspend, resume, extend,
 * renew-pending and list.
 *
 * Each change is one registry transaction and one event of the feed;
 * whether it is allowed is the registry's rule (qr/status.h), and a
 * refused change leaves the registry as it was (exit ISS_EXIT_USAGE, with
 * the registry's reason). The reason of a revocation or a supersession is
 * kept private: the feed carries the status only. list prints ids,
 * statuses and dates, never personal data.
 */
#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/time.h"
#include "issuer/cmd_int.h"
#include "issuer/registry.h"
#include "issuer/statuschange.h"
#include "qr/claims.h"
#include "qr/status.h"

static void iss_parse_id(uint8_t cti[CLAIMS_CTI_LEN], const char *id)
{
    if (!id) cli_fail(ISS_EXIT_USAGE, "--id ATTESTATION_ID is required");
    if (claims_cti_parse(cti, id) != 0)
        cli_fail(ISS_EXIT_USAGE, "--id: expected the 24 hexadecimal characters of an id");
}

/*
 * Prints what the attestation became, or exits: a change the rules refuse
 * (an error cli_code_for counts as a usage error) with the registry's
 * reason and ISS_EXIT_USAGE, a failure of the registry with ISS_EXIT_IO.
 */
static int iss_report_change(api_err e, const char *why, const char *id, const char *what)
{
    if (e == API_ERR_NOT_FOUND)
        cli_fail(ISS_EXIT_USAGE, "%s: no attestation with that id in this registry", id);
    if (e != API_OK && cli_code_for(e) == ISS_EXIT_USAGE)
        cli_fail(ISS_EXIT_USAGE, "%s: %s", id, why[0] ? why : api_strerror(e));
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "%s: %s", id, api_strerror(e));
    printf("%s  %s\n", id, what);
    return ISS_EXIT_OK;
}

/*
 * One change, one registry transaction and one event of the feed
 * (statuschange.h, shared with the issuance API); prints what the
 * attestation became.
 */
static int iss_change(const iss_opts *o, statuschange_action a, unsigned reason, int64_t until)
{
    uint8_t cti[CLAIMS_CTI_LEN];
    iss_parse_id(cti, o->id);
    registry *reg = iss_open_registry(o);
    char why[256] = "", done[64] = "";
    api_err e = statuschange_apply(reg, cti, a, reason, until, cli_now(), why, sizeof why, done, sizeof done);
    registry_close(reg);
    return iss_report_change(e, why, o->id, done);
}

/* The private reason of the option's word, or exits with the option's message. */
static unsigned iss_reason_parse(statuschange_action a, const char *option, const char *value)
{
    const char *words = statuschange_reason_words(a);
    unsigned reason;
    if (!value)
        cli_fail(ISS_EXIT_USAGE, "%s %s is required", option,
                 a == STATUSCHANGE_REVOKE ? "error|fraud|withdrawn" : "issued|refused");
    if (statuschange_reason_parse(a, value, &reason) != 0)
        cli_fail(ISS_EXIT_USAGE, "%s: expected %s", option, words);
    return reason;
}

int iss_cmd_revoke(const void *opts)
{
    const iss_opts *o = opts;
    uint8_t cti[CLAIMS_CTI_LEN];
    iss_parse_id(cti, o->id);
    return iss_change(o, STATUSCHANGE_REVOKE, iss_reason_parse(STATUSCHANGE_REVOKE, "--reason", o->reason),
                      0);
}

int iss_cmd_supersede(const void *opts)
{
    const iss_opts *o = opts;
    uint8_t cti[CLAIMS_CTI_LEN];
    iss_parse_id(cti, o->id);
    return iss_change(o, STATUSCHANGE_SUPERSEDE,
                      iss_reason_parse(STATUSCHANGE_SUPERSEDE, "--decision", o->decision), 0);
}

int iss_cmd_suspend(const void *opts)
{
    return iss_change(opts, STATUSCHANGE_SUSPEND, REGISTRY_REASON_NONE, 0);
}

int iss_cmd_resume(const void *opts)
{
    return iss_change(opts, STATUSCHANGE_RESUME, REGISTRY_REASON_NONE, 0);
}

int iss_cmd_extend(const void *opts)
{
    const iss_opts *o = opts;
    uint8_t cti[CLAIMS_CTI_LEN];
    iss_parse_id(cti, o->id);
    int y, m, d;
    if (!o->until || time_parse_date(&y, &m, &d, o->until) != 0)
        cli_fail(ISS_EXIT_USAGE, "--until: expected a date YYYY-MM-DD");
    return iss_change(o, STATUSCHANGE_EXTEND, REGISTRY_REASON_NONE, time_paris_end_of_day(y, m, d));
}

static void iss_parse_duration(time_duration *d, const char *value, const char *option)
{
    if (!value) cli_fail(ISS_EXIT_USAGE, "%s is required (a duration such as 15d, 2w or 3m)", option);
    if (time_parse_duration(d, value) != 0 || d->unit == 'h' || d->unit == 's')
        cli_fail(ISS_EXIT_USAGE, "%s: expected a duration such as 15d, 2w or 3m, got '%s'", option, value);
}

int iss_cmd_renew_pending(const void *opts)
{
    const iss_opts *o = opts;
    time_duration within, by;
    iss_parse_duration(&within, o->within, "--expiring-within");
    iss_parse_duration(&by, o->by, "--by");
    if (!statuschange_renew_by_valid(by))
        cli_fail(ISS_EXIT_USAGE, "--by: at most three months at a time (CESEDA R. 431-15-1)");
    registry *reg = iss_open_registry(o);
    size_t renewed = 0;
    api_err e = registry_renew_pending(reg, cli_now(), within, by, &renewed, stdout);
    registry_close(reg);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "renewal failed, nothing was changed: %s", api_strerror(e));
    printf("renewed %zu\n", renewed);
    return ISS_EXIT_OK;
}

typedef struct {
    int status;      /* -1: any */
    int64_t horizon; /* 0: any */
    int json;
    int64_t now;
    size_t count;
} iss_list_ctx;

static int iss_list_one(void *arg, const registry_entry *e)
{
    iss_list_ctx *l = arg;
    int64_t end = registry_effective_exp(e);
    if (l->status >= 0 && (int)e->status != l->status) return 0;
    if (l->horizon && (end > l->horizon || !status_extendable(e->status))) return 0;
    char id[2 * CLAIMS_CTI_LEN + 1], from[11], until[11], eff[11];
    claims_cti_hex(id, e->cti);
    time_paris_date(from, e->nbf);
    time_paris_date(until, e->exp);
    time_paris_date(eff, end);
    int extended = e->extended_until > e->exp;
    if (l->json) {
        printf("%s{\"id\": \"%s\", \"status\": \"%s\", \"index\": %u, \"valid_from\": \"%s\", "
               "\"valid_until\": \"%s\", \"effective_until\": \"%s\", \"extended\": %s}",
               l->count ? ",\n " : "[", id, status_name(e->status), e->idx, from, until, eff,
               extended ? "true" : "false");
    } else {
        printf("%s  %-10s  %s .. %s", id, status_name(e->status), from, eff);
        if (extended) printf("  (extended; printed end %s)", until);
        printf("\n");
    }
    l->count++;
    return 0;
}

int iss_cmd_list(const void *opts)
{
    const iss_opts *o = opts;
    iss_list_ctx l = {-1, 0, o->json_out, cli_now(), 0};
    if (o->status) {
        unsigned s;
        if (status_parse(&s, o->status) != 0)
            cli_fail(ISS_EXIT_USAGE, "--status: expected valid, revoked, suspended or superseded");
        l.status = (int)s;
    }
    if (o->within) {
        time_duration d;
        iss_parse_duration(&d, o->within, "--expiring-within");
        l.horizon = time_add_duration(l.now, d);
    }
    registry *reg = iss_open_registry(o);
    api_err e = registry_foreach(reg, iss_list_one, &l);
    registry_close(reg);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot read the registry: %s", api_strerror(e));
    if (l.json)
        printf("%s]\n", l.count ? "" : "[");
    else
        fprintf(stderr, "%zu attestations\n", l.count);
    return ISS_EXIT_OK;
}
