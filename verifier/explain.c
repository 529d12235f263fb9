/*
 * explain.c: the texts of explain.h, one table per kind of text.
 *
 * Sentences are short and avoid legal jargon; they name the articles
 * where a relying party may want to check them. The texts say what the
 * law says of an API (docs/legal.md), never more: they are information,
 * not legal advice, and say so.
 */
#include "verifier/explain.h"

#include <stdio.h>
#include <string.h>

#include "common/time.h"

static const char *const verdict_texts[VERDICT_COUNT][LANG_COUNT] = {
    [VERDICT_VALID] = {"Attestation valide : c'est un document officiel de la préfecture, authentique et en "
                       "cours de validité.",
                       "Valid attestation: an official document of the préfecture, authentic and current."},
    [VERDICT_EXPIRED] = {"Attestation expirée : sa date de fin de validité est passée.",
                         "Expired attestation: its end of validity has passed."},
    [VERDICT_NOT_YET_VALID] = {"Attestation pas encore valide : sa période de validité n'a pas commencé.",
                               "Attestation not yet valid: its period of validity has not started."},
    [VERDICT_REVOKED] = {"Attestation annulée par la préfecture : elle ne prouve plus rien.",
                         "Attestation cancelled by the préfecture: it no longer proves anything."},
    [VERDICT_SUSPENDED] = {"Attestation suspendue par la préfecture : elle ne peut pas être acceptée pour "
                           "l'instant.",
                           "Attestation suspended by the préfecture: it cannot be accepted for now."},
    [VERDICT_SUPERSEDED] = {"Attestation remplacée : la préfecture a pris une décision sur la demande.",
                            "Attestation replaced: the préfecture has decided on the application."},
    [VERDICT_STATUS_UNKNOWN] =
        {"Validité impossible à confirmer pour l'instant : l'attestation est authentique, "
         "mais son état à jour n'est pas connu.",
         "Validity cannot be confirmed for now: the attestation is authentic, but its "
         "current status is not known."},
    [VERDICT_INVALID_SIGNATURE] =
        {"Attestation non authentique : la signature ne correspond pas, le document a "
         "pu être modifié ou falsifié.",
         "Not authentic: the signature does not match, the document may have been "
         "altered or forged."},
    [VERDICT_UNKNOWN_ISSUER] = {"Émetteur inconnu : ce code n'a pas été signé par une préfecture reconnue.",
                                "Unknown issuer: this code was not signed by a recognised préfecture."},
    [VERDICT_UNTRUSTED_ISSUER] =
        {"Émetteur non fiable : la clé qui a signé ce code n'est pas ou plus digne de "
         "confiance.",
         "Untrusted issuer: the key that signed this code is not, or no longer, "
         "trusted."},
    [VERDICT_MALFORMED] = {"Code illisible : ce n'est pas un code d'attestation, ou il est abîmé.",
                           "Unreadable code: this is not an attestation code, or it is damaged."},
};

static const char *const next_step_texts[VERDICT_COUNT][LANG_COUNT] = {
    [VERDICT_VALID] = {"Vérifiez que la personne est bien le titulaire, puis acceptez le document.",
                       "Check that the person is the holder, then accept the document."},
    [VERDICT_EXPIRED] =
        {"Demandez une attestation plus récente ou le nouveau titre de séjour. Tant que la "
         "préfecture n'a pas décidé, l'attestation doit être renouvelée : la personne peut la "
         "demander à sa préfecture.",
         "Ask for a more recent attestation or the new residence permit. Until the préfecture "
         "decides, the attestation must be renewed: the holder can ask the préfecture for it."},
    [VERDICT_NOT_YET_VALID] =
        {"Vérifiez à nouveau à partir de la date de début, ou demandez l'attestation en "
         "cours.",
         "Check again from the start date, or ask for the current attestation."},
    [VERDICT_REVOKED] =
        {"N'acceptez pas ce document. Demandez un document en cours de validité ; la personne "
         "peut contacter sa préfecture.",
         "Do not accept this document. Ask for a current document; the holder can contact the "
         "préfecture."},
    [VERDICT_SUSPENDED] =
        {"N'acceptez pas ce document pour l'instant et vérifiez à nouveau plus tard ; la "
         "personne peut contacter sa préfecture.",
         "Do not accept this document for now and check again later; the holder can contact "
         "the préfecture."},
    [VERDICT_SUPERSEDED] =
        {"Demandez l'attestation de décision favorable ou le nouveau titre de séjour. Ce "
         "résultat ne dit pas quelle est la décision.",
         "Ask for the attestation of favourable decision or the new residence permit. This "
         "result does not say what the decision is."},
    [VERDICT_STATUS_UNKNOWN] =
        {"Réessayez plus tard, avec une connexion à internet. Le document n'est pas "
         "faux : seul son état à jour manque.",
         "Try again later, with an internet connection. The document is not forged: only "
         "its current status is missing."},
    [VERDICT_INVALID_SIGNATURE] = {"N'acceptez pas ce document. Scannez à nouveau pour écarter une erreur de "
                                   "lecture ; sinon, la personne peut contacter sa préfecture.",
                                   "Do not accept this document. Scan again to rule out a reading error; "
                                   "otherwise the holder can contact the préfecture."},
    [VERDICT_UNKNOWN_ISSUER] = {"N'acceptez pas ce document. Si la personne conteste, elle peut contacter sa "
                                "préfecture.",
                                "Do not accept this document. If the holder disagrees, they can contact the "
                                "préfecture."},
    [VERDICT_UNTRUSTED_ISSUER] = {"N'acceptez pas ce document. La personne peut demander une nouvelle "
                                  "attestation à sa préfecture.",
                                  "Do not accept this document. The holder can ask the préfecture for a new "
                                  "attestation."},
    [VERDICT_MALFORMED] = {"Scannez à nouveau le code, bien à plat et bien éclairé, ou saisissez le texte du "
                           "code.",
                           "Scan the code again, flat and well lit, or type in the code's text."},
};

static const char *const reason_texts[API_REASON_COUNT][LANG_COUNT] = {
    [API_REASON_NONE] = {"", ""},
    [API_REASON_PREFIX] = {"le texte ne commence pas par API1:", "the text does not start with API1:"},
    [API_REASON_BASE45] = {"caractères invalides dans le code", "invalid characters in the code"},
    [API_REASON_ZLIB] = {"données compressées abîmées", "damaged compressed data"},
    [API_REASON_TOO_LARGE] = {"code trop long", "code too long"},
    [API_REASON_CBOR] = {"données abîmées", "damaged data"},
    [API_REASON_NOT_COSE_SIGN1] = {"ce n'est pas un document signé", "not a signed document"},
    [API_REASON_TYP] = {"ce document signé n'est pas une attestation",
                        "this signed document is not an attestation"},
    [API_REASON_ALG] = {"algorithme de signature inconnu", "unknown signature algorithm"},
    [API_REASON_CLAIMS] = {"contenu de l'attestation incomplet ou invalide",
                           "attestation content incomplete or invalid"},
    [API_REASON_SIGNATURE] = {"signature invalide", "invalid signature"},
    [API_REASON_UNKNOWN_KID] = {"clé de signature inconnue", "unknown signing key"},
    [API_REASON_KEY_COMPROMISED] = {"la clé de la préfecture a été compromise",
                                    "the préfecture's key was compromised"},
    [API_REASON_ISSUER_MISMATCH] = {"la clé n'appartient pas à l'émetteur indiqué",
                                    "the key does not belong to the stated issuer"},
    [API_REASON_ISSUED_AFTER_RETIREMENT] = {"émis après le retrait de la clé",
                                            "issued after the key was retired"},
    [API_REASON_REVOKED] = {"annulée par la préfecture", "cancelled by the préfecture"},
    [API_REASON_SUPERSEDED] = {"une décision a été prise", "a decision was taken"},
    [API_REASON_SUSPENDED] = {"suspendue par la préfecture", "suspended by the préfecture"},
    [API_REASON_EXPIRED] = {"date de fin dépassée", "end date passed"},
    [API_REASON_NOT_YET_VALID] = {"date de début pas encore atteinte", "start date not reached"},
    [API_REASON_NO_STATUS] = {"aucune donnée d'état pour cette préfecture",
                              "no status data for this préfecture"},
    [API_REASON_STATUS_STALE] = {"données d'état trop anciennes", "status data too old"},
    [API_REASON_TRUST_LIST_EXPIRED] = {"liste de confiance expirée", "trust list expired"},
    [API_REASON_STATUS_ERROR] = {"erreur interne de lecture de l'état", "internal error reading the status"},
    [API_REASON_INTERNAL_ERROR] = {"erreur interne", "internal error"},
};

const char *explain_verdict(verdict v, explain_lang l)
{
    return (unsigned)v < VERDICT_COUNT ? verdict_texts[v][l] : verdict_texts[VERDICT_MALFORMED][l];
}

const char *explain_next_step(verdict v, explain_lang l)
{
    return (unsigned)v < VERDICT_COUNT ? next_step_texts[v][l] : next_step_texts[VERDICT_MALFORMED][l];
}

const char *explain_reason(api_reason reason, explain_lang l)
{
    if ((unsigned)reason >= API_REASON_COUNT) return reason_code(reason);
    const char *text = reason_texts[reason][l];
    return text ? text : reason_code(reason); /* a reason added without its text: its code */
}

const char *explain_work(unsigned wrk, explain_lang l)
{
    static const char *const texts[3][LANG_COUNT] = {
        {"N'autorise pas son titulaire à travailler (CESEDA, art. R. 431-15-2).",
         "Does not allow its holder to work (CESEDA, art. R. 431-15-2)."},
        {"Autorise son titulaire à travailler (CESEDA, art. R. 431-15-2).",
         "Allows its holder to work (CESEDA, art. R. 431-15-2)."},
        {"Autorise son titulaire à travailler, dans les mêmes conditions que son titre précédent (CESEDA, "
         "art. R. 431-15-2).",
         "Allows its holder to work, under the same conditions as the previous permit (CESEDA, "
         "art. R. 431-15-2)."},
    };
    return texts[wrk <= 2 ? wrk : 0][l];
}

const char *explain_application(unsigned app, explain_lang l)
{
    static const char *const texts[4][LANG_COUNT] = {
        {"demande", "application"},
        {"première demande", "first application"},
        {"renouvellement", "renewal"},
        {"changement de statut", "change of status"},
    };
    return texts[app <= 3 ? app : 0][l];
}

const char *explain_about(explain_lang l)
{
    static const char *const texts[LANG_COUNT] = {
        "L'attestation de prolongation d'instruction (API) est remise par la préfecture quand l'examen d'une "
        "demande de titre de séjour dure au-delà de la fin du titre détenu (CESEDA, art. R. 431-15-1). "
        "Pendant sa validité, elle prouve que son titulaire est en séjour régulier : avec le titre expiré "
        "pour "
        "un renouvellement, seule pour une première demande. Elle a remplacé l'ancien récépissé papier et "
        "elle "
        "est renouvelée tant que la préfecture n'a pas décidé.",
        "The attestation de prolongation d'instruction (API) is given by the préfecture when the examination "
        "of a residence-permit application lasts beyond the end of the permit held (CESEDA, "
        "art. R. 431-15-1). While valid, it proves that its holder stays lawfully in France: together with "
        "the "
        "expired permit for a renewal, on its own for a first application. It replaced the old paper "
        "récépissé and is renewed as long as the préfecture has not decided.",
    };
    return texts[l];
}

const char *explain_compare(int renewal_with_permit, explain_lang l)
{
    static const char *const texts[2][LANG_COUNT] = {
        {"Comparez le nom, les prénoms et la date de naissance avec une pièce d'identité.",
         "Compare the names and birth date with an identity document."},
        {"Comparez le nom, les prénoms et la date de naissance avec une pièce d'identité, et demandez le "
         "titre "
         "de séjour expiré dont le numéro est indiqué : pour un renouvellement, l'attestation vaut avec lui.",
         "Compare the names and birth date with an identity document, and ask for the expired residence "
         "permit whose number is shown: for a renewal, the attestation is valid together with it."},
    };
    return texts[renewal_with_permit ? 1 : 0][l];
}

const char *explain_disclaimer(explain_lang l)
{
    return l == LANG_EN ? "Information, not legal advice." : "Information, pas un conseil juridique.";
}

void explain_date(char *out, size_t cap, const char *ymd, explain_lang l)
{
    static const char *const months[LANG_COUNT][12] = {
        {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
         "novembre", "décembre"},
        {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
         "November", "December"},
    };
    int y, m, d;
    if (time_parse_date(&y, &m, &d, ymd) != 0) {
        snprintf(out, cap, "%s", ymd);
        return;
    }
    if (l == LANG_FR && d == 1)
        snprintf(out, cap, "1er %s %d", months[l][m - 1], y);
    else
        snprintf(out, cap, "%d %s %d", d, months[l][m - 1], y);
}
