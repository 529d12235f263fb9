/*
 * receipttext.c: the words of a verification receipt (receipttext.h).
 *
 * The verdict, reason, right-to-work and date sentences are the report's
 * own (explain.h), so a receipt says what the report said in the same
 * words; this file adds only what is a receipt's: who signed, for whom,
 * and its limit. Nothing is printed of a refused receipt but why it is
 * refused: its content is not believed.
 */
#include "verifier/receipttext.h"

#include <string.h>

#include "common/bytes.h"
#include "common/time.h"

static const char *const rt_checks[RECEIPT_CHECK_COUNT][LANG_COUNT] = {
    {"authentique : signé par ce vérificateur, et non modifié depuis",
     "authentic: signed by this verifier, and not changed since"},
    {"refusé : ce n'est pas un reçu de vérification lisible",
     "refused: this is not a readable verification receipt"},
    {"refusé : signé par une clé qui n'est pas dans les clés données",
     "refused: signed by a key that is not among the keys given"},
    {"refusé : la signature ne correspond pas ; le reçu a été modifié, ou signé par une autre clé",
     "refused: the signature does not match; the receipt was changed, or signed by another key"},
    {"refusé : le nom du vérificateur n'est pas celui de sa clé",
     "refused: the verifier's name is not the one of its key"},
    {"refusé : signé après le retrait de sa clé", "refused: signed after its key was retired"},
    {"refusé : signé avant la mise en service de sa clé", "refused: signed before its key came into use"},
};

const char *receipttext_check(receipt_check c, explain_lang l)
{
    return rt_checks[(unsigned)c < RECEIPT_CHECK_COUNT ? c : RECEIPT_MALFORMED][l];
}

const char *receipttext_profile(const char *profile, explain_lang l)
{
    static const struct {
        const char *code, *words[LANG_COUNT];
    } names[] = {
        {"anonymous", {"sans clé d'API", "without an API key"}},
        {"employer", {"employeur", "employer"}},
        {"social", {"organisme social", "social agency"}},
        {"bank", {"banque", "bank"}},
        {"landlord", {"bailleur", "landlord"}},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(profile, names[i].code) == 0) return names[i].words[l];
    return profile;
}

const char *receipttext_limit(explain_lang l)
{
    return l == LANG_FR
               ? "Ce reçu prouve seulement qu'une vérification a été faite à ce moment, avec ce résultat, "
                 "par ce vérificateur. Ce n'est pas une autorisation délivrée par la préfecture, et il "
                 "ne dit rien de l'attestation après ce moment."
               : "This receipt proves only that a check was made at that time, with that result, by "
                 "that verifier. It is not an authorisation issued by the préfecture, and it says "
                 "nothing of the attestation after that time.";
}

/* Labels, French then English. */
enum {
    R_SIGNED,
    R_KEY,
    R_CHECKED,
    R_FOR,
    R_PROFILE,
    R_RESULT,
    R_REASON,
    R_ISSUER,
    R_ID,
    R_HOLDER,
    R_WORK,
    R_UNTIL,
    R_EXTENDED,
    R_STATUS,
    R_AT,
    R_COUNT
};

static const char *const rt_labels[R_COUNT][LANG_COUNT] = {
    {"Signé par", "Signed by"},
    {"clé", "key"},
    {"Vérification faite le", "Check made on"},
    {"Pour", "For"},
    {"profil", "profile"},
    {"Résultat à ce moment", "Result at that time"},
    {"Raison", "Reason"},
    {"Émetteur", "Issuer"},
    {"Attestation n°", "Attestation no."},
    {"Titulaire", "Holder"},
    {"Travail", "Work"},
    {"Séjour régulier jusqu'au", "Lawful stay until"},
    {"prolongée", "extended"},
    {"État des attestations connu au", "Status known as of"},
    {"à", "at"},
};

/* "1 octobre 2026 à 14:00 (heure de Paris)" */
static void rt_when(char *out, size_t cap, int64_t t, explain_lang l)
{
    char paris[26], ymd[11], date[40];
    time_format_paris(paris, t);
    memcpy(ymd, paris, 10);
    ymd[10] = '\0';
    explain_date(date, sizeof date, ymd, l);
    snprintf(out, cap, "%s %s %.5s (%s)", date, rt_labels[R_AT][l], paris + 11,
             l == LANG_FR ? "heure de Paris" : "Paris time");
}

static verdict rt_verdict(const char *code)
{
    for (int v = 0; v < VERDICT_COUNT; v++)
        if (strcmp(verdict_code((verdict)v), code) == 0) return (verdict)v;
    return VERDICT_COUNT;
}

static api_reason rt_reason(const char *code)
{
    for (int i = 1; i < API_REASON_COUNT; i++)
        if (strcmp(reason_code((api_reason)i), code) == 0) return (api_reason)i;
    return API_REASON_NONE;
}

static void rt_print_lang(FILE *out, receipt_check c, const api_receipt *r, const receipt_key *key,
                          explain_lang l)
{
    const char *colon = l == LANG_FR ? " :" : ":";
    char buf[128];
    fprintf(out, "  %s\n", receipttext_check(c, l));
    if (c != RECEIPT_VALID) return;
    char kid[2 * COSE_KID_LEN + 1] = "";
    if (key) bytes_to_hex(kid, key->kid, COSE_KID_LEN);
    fprintf(out, "  %s%s %s (%s %s)\n", rt_labels[R_SIGNED][l], colon, r->verifier, rt_labels[R_KEY][l], kid);
    rt_when(buf, sizeof buf, r->checked_at, l);
    fprintf(out, "  %s %s\n", rt_labels[R_CHECKED][l], buf);
    fprintf(out, "  %s%s %s (%s%s %s)\n", rt_labels[R_FOR][l], colon,
            strcmp(r->org, "anonymous") == 0 ? receipttext_profile("anonymous", l) : r->org,
            rt_labels[R_PROFILE][l], colon, receipttext_profile(r->profile, l));
    verdict v = rt_verdict(r->result);
    fprintf(out, "  %s%s %s (%s)\n", rt_labels[R_RESULT][l], colon,
            v < VERDICT_COUNT ? explain_verdict(v, l) : r->result, r->result);
    if (r->reason[0]) {
        api_reason why = rt_reason(r->reason);
        fprintf(out, "  %s%s %s\n", rt_labels[R_REASON][l], colon,
                why != API_REASON_NONE ? explain_reason(why, l) : r->reason);
    }
    if (r->has_issuer)
        fprintf(out, "  %s%s %s (%s)\n", rt_labels[R_ISSUER][l], colon, r->issuer_name, r->iss);
    if (r->has_cti) {
        char hex[2 * CLAIMS_CTI_LEN + 1];
        claims_cti_hex(hex, r->cti);
        fprintf(out, "  %s%s %s\n", rt_labels[R_ID][l], colon, hex);
    }
    if (r->has_holder) fprintf(out, "  %s%s %s %s\n", rt_labels[R_HOLDER][l], colon, r->fn, r->gn);
    if (r->has_work) fprintf(out, "  %s%s %s\n", rt_labels[R_WORK][l], colon, explain_work(r->wrk, l));
    if (r->has_until) {
        explain_date(buf, sizeof buf, r->until, l);
        fprintf(out, "  %s %s%s%s%s\n", rt_labels[R_UNTIL][l], buf, r->extended ? " (" : "",
                r->extended ? rt_labels[R_EXTENDED][l] : "", r->extended ? ")" : "");
    }
    if (r->has_status) {
        rt_when(buf, sizeof buf, r->status_as_of, l);
        fprintf(out, "  %s %s\n", rt_labels[R_STATUS][l], buf);
    }
}

void receipttext_print(FILE *out, receipt_check c, const api_receipt *r, const receipt_key *key)
{
    fprintf(out, "Reçu de vérification / Verification receipt: %s\n\n[FR]\n", receipt_check_code(c));
    rt_print_lang(out, c, r, key, LANG_FR);
    fprintf(out, "  %s\n  %s\n\n[EN]\n", receipttext_limit(LANG_FR), explain_disclaimer(LANG_FR));
    rt_print_lang(out, c, r, key, LANG_EN);
    fprintf(out, "  %s\n  %s\n", receipttext_limit(LANG_EN), explain_disclaimer(LANG_EN));
}

static void rt_instant(cJSON *o, const char *name, int64_t t)
{
    char buf[21];
    time_format_utc(buf, t);
    cJSON_AddStringToObject(o, name, buf);
}

cJSON *receipttext_json(receipt_check c, const api_receipt *r, const receipt_key *key)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "check", receipt_check_code(c));
    cJSON_AddBoolToObject(o, "authentic", c == RECEIPT_VALID);
    if (key) {
        char kid[2 * COSE_KID_LEN + 1];
        bytes_to_hex(kid, key->kid, COSE_KID_LEN);
        cJSON_AddStringToObject(o, "kid", kid);
    }
    if (c == RECEIPT_VALID) {
        cJSON_AddStringToObject(o, "verifier", r->verifier);
        rt_instant(o, "checked_at", r->checked_at);
        cJSON_AddStringToObject(o, "org", r->org);
        cJSON_AddStringToObject(o, "profile", r->profile);
        cJSON_AddStringToObject(o, "result", r->result);
        if (r->reason[0])
            cJSON_AddStringToObject(o, "reason", r->reason);
        else
            cJSON_AddNullToObject(o, "reason");
        if (r->has_issuer) {
            cJSON *iss = cJSON_AddObjectToObject(o, "issuer");
            cJSON_AddStringToObject(iss, "id", r->iss);
            cJSON_AddStringToObject(iss, "name", r->issuer_name);
        }
        if (r->has_cti) {
            char hex[2 * CLAIMS_CTI_LEN + 1];
            claims_cti_hex(hex, r->cti);
            cJSON_AddStringToObject(o, "attestation_id", hex);
        }
        if (r->has_holder) {
            cJSON *h = cJSON_AddObjectToObject(o, "holder");
            cJSON_AddStringToObject(h, "family_name", r->fn);
            cJSON_AddStringToObject(h, "given_names", r->gn);
        }
        if (r->has_work) {
            static const char *const codes[] = {"no", "yes", "previous_conditions"};
            cJSON_AddStringToObject(o, "work", codes[r->wrk <= 2 ? r->wrk : 0]);
        }
        if (r->has_until) {
            cJSON_AddStringToObject(o, "effective_until", r->until);
            cJSON_AddBoolToObject(o, "extended", r->extended);
        }
        if (r->has_status) rt_instant(o, "status_as_of", r->status_as_of);
    }
    cJSON *limit = cJSON_AddObjectToObject(o, "limit");
    cJSON_AddStringToObject(limit, "fr", receipttext_limit(LANG_FR));
    cJSON_AddStringToObject(limit, "en", receipttext_limit(LANG_EN));
    return o;
}
