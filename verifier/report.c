/*
 * report.c: renders a verify_result as JSON (cJSON) or as text.
 *
 * Holder data appear only when the signature verified (has_claims): a
 * forged code's content is never echoed. Dates of validity are calendar
 * dates in Europe/Paris, the dates printed on the paper; instants are
 * ISO 8601 in UTC. Both renderings take their sentences from explain.c.
 *
 * The report says which presentation was read (`presentation`). A reduced
 * code (the holder's card) carries fewer claims: the members it cannot
 * fill are left out and named in `not_presented` (those the caller's
 * profile would otherwise receive), never written as empty values.
 */
#include "verifier/report.h"

#include <string.h>

#include "common/time.h"
#include "verifier/explain.h"

static const char *report_app_code(unsigned app)
{
    static const char *const codes[] = {"unknown", "first", "renewal", "change"};
    return codes[app <= 3 ? app : 0];
}

static const char *report_work_code(unsigned wrk)
{
    static const char *const codes[] = {"no", "yes", "previous_conditions"};
    return codes[wrk <= 2 ? wrk : 0];
}

static void report_add_instant(cJSON *o, const char *name, int64_t t)
{
    char buf[21];
    time_format_utc(buf, t);
    cJSON_AddStringToObject(o, name, buf);
}

static void report_add_date(cJSON *o, const char *name, int64_t t)
{
    char buf[11];
    time_paris_date(buf, t);
    cJSON_AddStringToObject(o, name, buf);
}

static int report_renewal_with_permit(const verify_result *r)
{
    return r->has_claims && r->claims.app == CLAIMS_APP_RENEWAL && r->claims.has_prv;
}

static cJSON *report_explanation(const verify_result *r, explain_lang l, report_profile p)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "verdict", explain_verdict(r->verdict, l));
    if (r->reason != API_REASON_NONE) cJSON_AddStringToObject(e, "reason", explain_reason(r->reason, l));
    cJSON_AddStringToObject(e, "next_step", explain_next_step(r->verdict, l));
    const char *presented = explain_presentation(r->presentation, l);
    if (presented) cJSON_AddStringToObject(e, "presentation", presented);
    if (r->verdict == VERDICT_VALID) {
        cJSON_AddStringToObject(e, "compare", explain_compare(report_renewal_with_permit(r), l));
        if (p != REPORT_IDENTITY && p != REPORT_ANONYMOUS)
            cJSON_AddStringToObject(e, "work", explain_work(r->claims.wrk, l));
    }
    cJSON_AddStringToObject(e, "about", explain_about(l));
    cJSON_AddStringToObject(e, "disclaimer", explain_disclaimer(l));
    return e;
}

static void report_json_holder(cJSON *o, const api_claims *c, report_profile p, int full)
{
    cJSON *h = cJSON_AddObjectToObject(o, "holder");
    cJSON_AddStringToObject(h, "family_name", c->fn);
    cJSON_AddStringToObject(h, "given_names", c->gn);
    if (p == REPORT_ANONYMOUS) return;
    cJSON_AddStringToObject(h, "birth_date", c->dob);
    if (p != REPORT_FULL || !full) return;
    cJSON_AddStringToObject(h, "nationality", c->nat);
    cJSON_AddStringToObject(h, "foreign_national_number", c->fnn);
}

static void report_json_application(cJSON *o, const api_claims *c)
{
    cJSON *a = cJSON_AddObjectToObject(o, "application");
    cJSON_AddStringToObject(a, "type", report_app_code(c->app));
    cJSON_AddStringToObject(a, "title_requested", c->tit);
    cJSON_AddStringToObject(a, "filed_on", c->fil);
    if (c->has_prv) {
        cJSON *prv = cJSON_AddObjectToObject(a, "previous_title");
        cJSON_AddStringToObject(prv, "number", c->prv_no);
        cJSON_AddStringToObject(prv, "expires_on", c->prv_exp);
    }
}

static void report_json_validity(cJSON *o, const verify_result *r)
{
    const api_claims *c = &r->claims;
    cJSON *v = cJSON_AddObjectToObject(o, "validity");
    report_add_date(v, "valid_from", c->nbf);
    report_add_date(v, "valid_until", c->exp);
    int64_t eff = r->effective_exp ? r->effective_exp : c->exp;
    report_add_date(v, "effective_until", eff);
    cJSON_AddBoolToObject(v, "extended", r->extended);
    report_add_instant(v, "not_before", c->nbf);
    report_add_instant(v, "expires_at", eff);
}

/* The members profile p would receive that a reduced code does not carry, in the order of the report. */
static void report_json_not_presented(cJSON *o, report_profile p)
{
    static const char *const always[] = {"issued_at"};
    static const char *const full[] = {"holder.nationality", "holder.foreign_national_number", "application"};
    cJSON *a = cJSON_AddArrayToObject(o, "not_presented");
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(always[i]));
    if (p != REPORT_FULL) return;
    for (size_t i = 0; i < sizeof full / sizeof full[0]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(full[i]));
}

cJSON *report_json(const verify_result *r, const verify_ctx *ctx, report_profile p)
{
    return report_json_lang(r, ctx, p, REPORT_LANG_FR | REPORT_LANG_EN);
}

cJSON *report_json_lang(const verify_result *r, const verify_ctx *ctx, report_profile p, unsigned langs)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "result", verdict_code(r->verdict));
    if (r->reason != API_REASON_NONE)
        cJSON_AddStringToObject(o, "reason", reason_code(r->reason));
    else
        cJSON_AddNullToObject(o, "reason");
    cJSON_AddBoolToObject(o, "valid", r->verdict == VERDICT_VALID);
    report_add_instant(o, "checked_at", ctx->now);
    cJSON_AddBoolToObject(o, "status_checked", r->status_checked);
    if (r->status_checked)
        report_add_instant(o, "status_as_of", r->status_as_of);
    else
        cJSON_AddNullToObject(o, "status_as_of");
    if (r->presentation != CLAIMS_PRESENTATION_NONE)
        cJSON_AddStringToObject(o, "presentation", claims_presentation_code(r->presentation));
    if (r->has_issuer) {
        cJSON *iss = cJSON_AddObjectToObject(o, "issuer");
        cJSON_AddStringToObject(iss, "id", r->issuer.id);
        cJSON_AddStringToObject(iss, "name", r->issuer.name);
    }
    if (r->has_claims) {
        const api_claims *c = &r->claims;
        int full = r->presentation != CLAIMS_PRESENTATION_REDUCED;
        if (p != REPORT_ANONYMOUS) cJSON_AddStringToObject(o, "attestation_id", r->cti_hex);
        if (full) report_add_instant(o, "issued_at", c->iat);
        report_json_holder(o, c, p, full);
        if (p == REPORT_FULL && full) report_json_application(o, c);
        cJSON *rights = cJSON_AddObjectToObject(o, "rights");
        report_add_date(rights, "stay_until", r->effective_exp ? r->effective_exp : c->exp);
        if (p == REPORT_FULL || p == REPORT_EMPLOYER) {
            cJSON_AddBoolToObject(rights, "work_authorised", c->wrk != CLAIMS_WRK_NO);
            cJSON_AddStringToObject(rights, "work", report_work_code(c->wrk));
        }
        report_json_validity(o, r);
        if (!full) report_json_not_presented(o, p);
    }
    if (langs) {
        cJSON *ex = cJSON_AddObjectToObject(o, "explanation");
        if (langs & REPORT_LANG_FR) cJSON_AddItemToObject(ex, "fr", report_explanation(r, LANG_FR, p));
        if (langs & REPORT_LANG_EN) cJSON_AddItemToObject(ex, "en", report_explanation(r, LANG_EN, p));
    }
    return o;
}

/* Labels of the text report, French then English. */
enum {
    L_HOLDER,
    L_BORN_ON,
    L_BORN_IN,
    L_NATIONALITY,
    L_FNN,
    L_APPLICATION,
    L_FILED_ON,
    L_PREVIOUS,
    L_VALID_UNTIL,
    L_STAY_UNTIL,
    L_EXTENDED,
    L_VALID_FROM,
    L_TO,
    L_ISSUER,
    L_STATUS_AS_OF,
    L_NO_STATUS,
    L_REASON,
    L_WORK,
    L_COUNT
};

static const char *const labels[L_COUNT][LANG_COUNT] = {
    {"Titulaire", "Holder"},
    {"Né(e) le", "Born on"},
    {"Né(e) en", "Born in"},
    {"Nationalité", "Nationality"},
    {"N° étranger", "Foreign-national no."},
    {"Demande", "Application"},
    {"déposée le", "filed on"},
    {"Titre précédent", "Previous permit"},
    {"valable jusqu'au", "valid until"},
    {"Séjour régulier jusqu'au", "Lawful stay until"},
    {"prolongée", "extended"},
    {"Valable du", "Valid from"},
    {"au", "to"},
    {"Émetteur", "Issuer"},
    {"État vérifié au", "Status as of"},
    {"État non vérifié (pas de réplique) : confiance, signature et dates seulement.",
     "Status not checked (no replica): trust, signature and dates only."},
    {"Raison", "Reason"},
    {"Travail", "Work"},
};

static void report_text_lang(FILE *out, const verify_result *r, const verify_ctx *ctx, explain_lang l)
{
    const api_claims *c = &r->claims;
    const char *colon = l == LANG_FR ? " :" : ":"; /* French puts a space before a colon */
    fprintf(out, "  %s\n", explain_verdict(r->verdict, l));
    if (r->reason != API_REASON_NONE)
        fprintf(out, "  %s%s %s\n", labels[L_REASON][l], colon, explain_reason(r->reason, l));
    if (r->has_issuer)
        fprintf(out, "  %s%s %s (%s)\n", labels[L_ISSUER][l], colon, r->issuer.name, r->issuer.id);
    if (r->has_claims) {
        char d1[40], d2[40];
        int full = r->presentation != CLAIMS_PRESENTATION_REDUCED;
        fprintf(out, "  %s%s %s %s\n", labels[L_HOLDER][l], colon, c->fn, c->gn);
        explain_date(d1, sizeof d1, c->dob, l);
        if (full)
            fprintf(out, "  %s %s   %s%s %s   %s%s %s\n",
                    labels[strlen(c->dob) == 10 ? L_BORN_ON : L_BORN_IN][l], d1, labels[L_NATIONALITY][l],
                    colon, c->nat, labels[L_FNN][l], colon, c->fnn);
        else
            fprintf(out, "  %s %s\n", labels[strlen(c->dob) == 10 ? L_BORN_ON : L_BORN_IN][l], d1);
        explain_date(d1, sizeof d1, c->fil, l);
        if (full)
            fprintf(out, "  %s%s %s, %s, %s %s\n", labels[L_APPLICATION][l], colon,
                    explain_application(c->app, l), c->tit, labels[L_FILED_ON][l], d1);
        if (c->has_prv) {
            explain_date(d1, sizeof d1, c->prv_exp, l);
            fprintf(out, "  %s%s %s, %s %s\n", labels[L_PREVIOUS][l], colon, c->prv_no,
                    labels[L_VALID_UNTIL][l], d1);
        }
        char ymd[11];
        time_paris_date(ymd, c->nbf);
        explain_date(d1, sizeof d1, ymd, l);
        time_paris_date(ymd, c->exp);
        explain_date(d2, sizeof d2, ymd, l);
        fprintf(out, "  %s %s %s %s\n", labels[L_VALID_FROM][l], d1, labels[L_TO][l], d2);
        time_paris_date(ymd, r->effective_exp ? r->effective_exp : c->exp);
        explain_date(d1, sizeof d1, ymd, l);
        fprintf(out, "  %s %s%s%s%s\n", labels[L_STAY_UNTIL][l], d1, r->extended ? " (" : "",
                r->extended ? labels[L_EXTENDED][l] : "", r->extended ? ")" : "");
        fprintf(out, "  %s%s %s\n", labels[L_WORK][l], colon, explain_work(c->wrk, l));
        if (!full) fprintf(out, "  %s\n", explain_presentation(r->presentation, l));
        if (r->verdict == VERDICT_VALID)
            fprintf(out, "  %s\n", explain_compare(report_renewal_with_permit(r), l));
    }
    if (!r->has_claims && r->presentation == CLAIMS_PRESENTATION_REDUCED)
        fprintf(out, "  %s\n", explain_presentation(r->presentation, l));
    if (r->status_checked) {
        char when[26];
        time_format_paris(when, r->status_as_of);
        fprintf(out, "  %s %s\n", labels[L_STATUS_AS_OF][l], when);
    } else if (r->has_claims) {
        fprintf(out, "  %s\n", labels[L_NO_STATUS][l]);
    }
    fprintf(out, "  → %s\n", explain_next_step(r->verdict, l));
    (void)ctx;
}

void report_text(FILE *out, const verify_result *r, const verify_ctx *ctx)
{
    const char *code = verdict_code(r->verdict);
    fprintf(out, "Résultat / Result: %s\n\n[FR]\n", code);
    report_text_lang(out, r, ctx, LANG_FR);
    fprintf(out, "  %s\n  %s\n\n[EN]\n", explain_about(LANG_FR), explain_disclaimer(LANG_FR));
    report_text_lang(out, r, ctx, LANG_EN);
    fprintf(out, "  %s\n  %s\n", explain_about(LANG_EN), explain_disclaimer(LANG_EN));
}
