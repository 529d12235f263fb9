/*
 * words.c: the sentences of words.h, one table per kind of text.
 *
 * Sentences are short and avoid legal jargon; they name the articles
 * where a relying party may want to check them. They say what the law
 * says of an API (docs/legal.md), never more: they are information, not
 * legal advice, and words_disclaimer says so. Changing one changes the
 * verifier's reports, the printed attestation and the published bundle
 * vectors together (make vectors), which is the point of keeping them
 * here.
 */
#include "qr/words.h"

#include <stdio.h>

#include "common/time.h"

const char *words_work(unsigned wrk, words_lang l)
{
    static const char *const texts[3][WORDS_LANG_COUNT] = {
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

const char *words_application(unsigned app, words_lang l)
{
    static const char *const texts[4][WORDS_LANG_COUNT] = {
        {"demande", "application"},
        {"première demande", "first application"},
        {"renouvellement", "renewal"},
        {"changement de statut", "change of status"},
    };
    return texts[app <= 3 ? app : 0][l];
}

const char *words_about(words_lang l)
{
    static const char *const texts[WORDS_LANG_COUNT] = {
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

const char *words_compare(int renewal_with_permit, words_lang l)
{
    static const char *const texts[2][WORDS_LANG_COUNT] = {
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

const char *words_disclaimer(words_lang l)
{
    return l == WORDS_EN ? "Information, not legal advice." : "Information, pas un conseil juridique.";
}

void words_date(char *out, size_t cap, const char *ymd, words_lang l)
{
    static const char *const months[WORDS_LANG_COUNT][12] = {
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
    if (l == WORDS_FR && d == 1)
        snprintf(out, cap, "1er %s %d", months[l][m - 1], y);
    else
        snprintf(out, cap, "%d %s %d", d, months[l][m - 1], y);
}
