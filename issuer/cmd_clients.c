/*
 * cmd_clients.c: `api-issuer clients add|list|revoke|rotate`, the clients
 * of the admin API and their tokens (issuer/clients). A token is printed
 * once, alone on its line of standard output, so that a script can take it
 * with $(...); every other word goes to standard error. Nothing here prints
 * a token's hash, and list never shows a token.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/text.h"
#include "common/time.h"
#include "issuer/clients.h"
#include "issuer/cmd_int.h"

/* The store of o->dir, an issuer's folder; or exits. */
static clients *iss_open_clients(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    clients *c;
    api_err e = clients_open(&c, o->dir);
    if (e != API_OK)
        cli_fail(ISS_EXIT_IO, "cannot open the clients in %s/clients: %s", o->dir, api_strerror(e));
    return c;
}

/* --name, checked, or exits. */
static const char *iss_client_name(const iss_opts *o)
{
    iss_require(o->name, "--name");
    if (!text_plain_ok(o->name, 1, CLIENTS_NAME_MAX + 1))
        cli_fail(ISS_EXIT_USAGE, "--name: 1 to %d bytes of UTF-8 text, without control characters",
                 CLIENTS_NAME_MAX);
    return o->name;
}

/*
 * A duration of option, "Nh" or "Nd", in seconds within [1, max]; "0" gives
 * 0 when zero_ok. Exits on anything else.
 */
static int64_t iss_client_duration(const char *option, const char *value, int64_t max, int zero_ok)
{
    if (zero_ok && strcmp(value, "0") == 0) return 0;
    time_duration d;
    int64_t s = -1;
    if (time_parse_duration(&d, value) == 0 && (d.unit == 'd' || d.unit == 'h'))
        s = (int64_t)d.n * (d.unit == 'd' ? 86400 : 3600);
    if (s < 1 || s > max)
        cli_fail(ISS_EXIT_USAGE, "%s: expected a duration such as 90d or 12h, at most %lld days%s, got '%s'",
                 option, (long long)(max / 86400), zero_ok ? " (or 0)" : "", value);
    return s;
}

/* An instant for a listing, or "-" for none. */
static void iss_client_instant(char out[21], int64_t t)
{
    if (t)
        time_format_utc(out, t);
    else
        snprintf(out, 21, "-");
}

/* The token alone on standard output, then wiped. */
static void iss_client_print_token(char token[CLIENTS_TOKEN_LEN + 1])
{
    puts(token);
    fflush(stdout);
    sodium_memzero(token, CLIENTS_TOKEN_LEN + 1);
}

static void iss_client_rate(char *out, size_t cap, uint32_t rate)
{
    if (rate)
        snprintf(out, cap, "%u requests a second", rate);
    else
        snprintf(out, cap, "no rate limit");
}

int iss_cmd_clients_add(const void *opts)
{
    const iss_opts *o = opts;
    const char *name = iss_client_name(o);
    client_role role = CLIENT_ROLE_READ; /* the safest: a client issues only when told so */
    if (o->role && clients_role_parse(&role, o->role) != 0)
        cli_fail(ISS_EXIT_USAGE, "--role: expected read, issue or manage, got '%s'", o->role);
    int64_t lifetime = o->expires ? iss_client_duration("--expires", o->expires, CLIENTS_MAX_LIFETIME, 0)
                                  : CLIENTS_DEFAULT_LIFETIME;
    uint32_t rate = o->rate >= 0 ? (uint32_t)o->rate : CLIENTS_DEFAULT_RATE;
    clients *c = iss_open_clients(o);
    char token[CLIENTS_TOKEN_LEN + 1];
    client_record rec;
    api_err e = clients_add(c, token, &rec, name, role, rate, lifetime, cli_now());
    clients_close(c);
    if (e == API_ERR_EXISTS)
        cli_fail(ISS_EXIT_USAGE,
                 "a client named \"%s\" exists already (names are never given twice; "
                 "see clients list, clients rotate)",
                 name);
    if (e == API_ERR_ARG) cli_fail(ISS_EXIT_USAGE, "clients add: invalid name, role, rate or lifetime");
    if (e == API_ERR_FULL)
        cli_fail(ISS_EXIT_IO, "cannot add the client: the store is full (%d clients)", CLIENTS_MAX);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot add the client: %s", api_strerror(e));
    iss_client_print_token(token);
    char until[21], rates[40];
    iss_client_instant(until, rec.expires);
    iss_client_rate(rates, sizeof rates, rec.rate);
    fprintf(stderr,
            "%s: client \"%s\" (role %s, %s), its token valid until %s. It is shown once: only its hash is "
            "kept.\n",
            cli_program(), rec.name, clients_role_name(rec.role), rates, until);
    return ISS_EXIT_OK;
}

int iss_cmd_clients_rotate(const void *opts)
{
    const iss_opts *o = opts;
    const char *name = iss_client_name(o);
    int64_t lifetime = o->expires ? iss_client_duration("--expires", o->expires, CLIENTS_MAX_LIFETIME, 0) : 0;
    int64_t overlap = o->overlap ? iss_client_duration("--overlap", o->overlap, CLIENTS_MAX_OVERLAP, 1)
                                 : CLIENTS_DEFAULT_OVERLAP;
    clients *c = iss_open_clients(o);
    char token[CLIENTS_TOKEN_LEN + 1];
    client_record rec;
    api_err e = clients_rotate(c, token, &rec, name, lifetime, overlap, cli_now());
    clients_close(c);
    if (e == API_ERR_NOT_FOUND) cli_fail(ISS_EXIT_USAGE, "no client named \"%s\" (see clients list)", name);
    if (e == API_ERR_EXISTS) cli_fail(ISS_EXIT_USAGE, "client \"%s\" is revoked: it gets no new token", name);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot rotate the client's token: %s", api_strerror(e));
    iss_client_print_token(token);
    char until[21];
    iss_client_instant(until, rec.expires);
    if (rec.overlap_ends) {
        char old[21];
        iss_client_instant(old, rec.overlap_ends);
        fprintf(stderr, "%s: client \"%s\": new token valid until %s; the previous one works until %s.\n",
                cli_program(), rec.name, until, old);
    } else {
        fprintf(stderr, "%s: client \"%s\": new token valid until %s; the previous one no longer works.\n",
                cli_program(), rec.name, until);
    }
    return ISS_EXIT_OK;
}

int iss_cmd_clients_revoke(const void *opts)
{
    const iss_opts *o = opts;
    const char *name = iss_client_name(o);
    clients *c = iss_open_clients(o);
    client_record rec;
    char when[21];
    api_err e = clients_revoke(c, name, cli_now(), &rec);
    clients_close(c);
    if (e == API_ERR_NOT_FOUND) cli_fail(ISS_EXIT_USAGE, "no client named \"%s\" (see clients list)", name);
    if (e == API_ERR_EXISTS) {
        iss_client_instant(when, rec.revoked);
        printf("client \"%s\" was already revoked on %s\n", rec.name, when);
        return ISS_EXIT_OK;
    }
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot revoke the client: %s", api_strerror(e));
    iss_client_instant(when, rec.revoked);
    printf("client \"%s\" revoked on %s\n", rec.name, when);
    return ISS_EXIT_OK;
}

int iss_cmd_clients_list(const void *opts)
{
    const iss_opts *o = opts;
    clients *c = iss_open_clients(o);
    client_record *recs;
    size_t n;
    api_err e = clients_list(c, &recs, &n);
    clients_close(c);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot read the clients: %s", api_strerror(e));
    int64_t now = cli_now();
    char created[21], expires[21];
    if (o->json_out) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && i < n; i++) {
            cJSON *k = cJSON_CreateObject();
            if (!k || !cJSON_AddItemToArray(a, k)) {
                cJSON_Delete(k);
                cJSON_Delete(a);
                a = NULL;
                break;
            }
            char t[21];
            iss_client_instant(created, recs[i].created);
            iss_client_instant(expires, recs[i].expires);
            cJSON_AddStringToObject(k, "name", recs[i].name);
            cJSON_AddStringToObject(k, "role", clients_role_name(recs[i].role));
            cJSON_AddNumberToObject(k, "rate", recs[i].rate);
            cJSON_AddStringToObject(k, "created", created);
            cJSON_AddStringToObject(k, "expires", expires);
            if (recs[i].overlap_ends && now < recs[i].overlap_ends && !recs[i].revoked) {
                iss_client_instant(t, recs[i].overlap_ends);
                cJSON_AddStringToObject(k, "previous_token_until", t);
            } else {
                cJSON_AddNullToObject(k, "previous_token_until");
            }
            if (recs[i].revoked) {
                iss_client_instant(t, recs[i].revoked);
                cJSON_AddStringToObject(k, "revoked", t);
            } else {
                cJSON_AddNullToObject(k, "revoked");
            }
            cJSON_AddStringToObject(k, "state", clients_state(&recs[i], now));
        }
        char *s = a ? cJSON_Print(a) : NULL;
        cJSON_Delete(a);
        if (!s) {
            free(recs);
            cli_fail(ISS_EXIT_IO, "out of memory");
        }
        puts(s);
        free(s);
    } else {
        printf("%-7s  %-6s  %7s  %-20s  %-20s  %s\n", "STATE", "ROLE", "RATE", "CREATED", "EXPIRES", "NAME");
        for (size_t i = 0; i < n; i++) {
            iss_client_instant(created, recs[i].created);
            iss_client_instant(expires, recs[i].expires);
            printf("%-7s  %-6s  %7u  %-20s  %-20s  %s\n", clients_state(&recs[i], now),
                   clients_role_name(recs[i].role), recs[i].rate, created, expires, recs[i].name);
        }
    }
    free(recs);
    return ISS_EXIT_OK;
}
