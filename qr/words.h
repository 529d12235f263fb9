/*
 * words.h: the words for people of what an attestation carries and what
 * the law makes of it, French first and English second: the right to
 * work for a wrk value, the kind of application, what an API is, what to
 * compare, the line saying it is information and not legal advice, and
 * dates written out. They rest on the facts of docs/legal.md (CESEDA
 * R. 431-15-1 and R. 431-15-2).
 *
 * Two roles say these sentences: the verifier beside a verdict
 * (verifier/explain.c hands them on) and the issuer on the printed
 * attestation (issuer/pdf.c), so they live here, once, and the page says
 * what a verification says. The web checker's copies are checked against
 * them through the published bundle vectors (docs/vectors/bundle.json).
 */
#ifndef API_WORDS_H
#define API_WORDS_H

#include <stddef.h>

typedef enum { WORDS_FR = 0, WORDS_EN = 1, WORDS_LANG_COUNT } words_lang;

/* The right to work for a wrk value (CLAIMS_WRK_*), with its article; an unknown value reads as "no". */
const char *words_work(unsigned wrk, words_lang l);

/* The kind of application (CLAIMS_APP_*), lower case: "renouvellement"; unknown: "demande". */
const char *words_application(unsigned app, words_lang l);

/* What an API is and why it is to be accepted, in three sentences. */
const char *words_about(words_lang l);

/* What to compare with other documents (renewal: the expired permit too). */
const char *words_compare(int renewal_with_permit, words_lang l);

/* One line: information, not legal advice. */
const char *words_disclaimer(words_lang l);

/*
 * A calendar date "YYYY-MM-DD" written for people into out (capacity
 * cap): "15 décembre 2026", "1er décembre 2026", "1 December 2026".
 * Anything else (a partial birth date, "1990-04") is copied as it is.
 */
void words_date(char *out, size_t cap, const char *ymd, words_lang l);

#endif
