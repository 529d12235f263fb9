/*
 * explain.c: the texts of explain.h, one table per kind of text; the
 * sentences about the attestation itself (the right to work, the kind of
 * application, what an API is, what to compare, the disclaimer, dates)
 * are qr/words.c's, which the printed attestation says too.
 *
 * Sentences are short and avoid legal jargon; they name the articles
 * where a relying party may want to check them. The texts say what the
 * law says of an API (docs/legal.md), never more: they are information,
 * not legal advice, and say so.
 */
#include "verifier/explain.h"

#include <string.h>

#include "qr/words.h"

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

/* The sentences that the printed attestation says too live in qr/words.c; the languages are the same. */
_Static_assert((int)LANG_FR == (int)WORDS_FR && (int)LANG_EN == (int)WORDS_EN &&
                   (int)LANG_COUNT == (int)WORDS_LANG_COUNT,
               "explain_lang and words_lang number the languages alike");

const char *explain_work(unsigned wrk, explain_lang l)
{
    return words_work(wrk, (words_lang)l);
}

const char *explain_application(unsigned app, explain_lang l)
{
    return words_application(app, (words_lang)l);
}

const char *explain_about(explain_lang l)
{
    return words_about((words_lang)l);
}

const char *explain_compare(int renewal_with_permit, explain_lang l)
{
    return words_compare(renewal_with_permit, (words_lang)l);
}

const char *explain_presentation(claims_presentation p, explain_lang l)
{
    static const char *const texts[LANG_COUNT] = {
        "Code réduit de la carte du titulaire : il présente les noms, la date de naissance, la validité et "
        "le "
        "droit au travail, mais ni la nationalité, ni le numéro d'étranger, ni la demande. Pour un "
        "renouvellement, l'attestation vaut avec le titre de séjour expiré : si vous en avez besoin, "
        "demandez "
        "l'attestation complète.",
        "Reduced code of the holder's card: it presents the names, the birth date, the validity and the "
        "right "
        "to work, but not the nationality, the foreign-national number or the application. For a renewal, "
        "the "
        "attestation is valid together with the expired residence permit: if you need these, ask for the "
        "full "
        "attestation.",
    };
    return p == CLAIMS_PRESENTATION_REDUCED ? texts[l] : NULL;
}

const char *explain_disclaimer(explain_lang l)
{
    return words_disclaimer((words_lang)l);
}

void explain_date(char *out, size_t cap, const char *ymd, explain_lang l)
{
    words_date(out, cap, ymd, (words_lang)l);
}
