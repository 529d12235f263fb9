/*
 * explain.h: the plain-language texts shown with a verdict, French first
 * and English second, resting on the facts of docs/legal.md (CESEDA
 * R. 431-15-1 and R. 431-15-2). The verdicts' strings live in tables in
 * explain.c; the sentences about the attestation itself, which the
 * printed attestation says too, in qr/words.c: a language is added in
 * those two places.
 */
#ifndef API_EXPLAIN_H
#define API_EXPLAIN_H

#include <stddef.h>

#include "verifier/verify.h"

typedef enum { LANG_FR = 0, LANG_EN = 1, LANG_COUNT } explain_lang;

/* One sentence: what the verdict means. */
const char *explain_verdict(verdict v, explain_lang l);

/* What the person at the counter should do next. */
const char *explain_next_step(verdict v, explain_lang l);

/* A short text for a reason (verify_result.reason): "" for API_REASON_NONE, never NULL. */
const char *explain_reason(api_reason reason, explain_lang l);

/* The right to work for a wrk value (CLAIMS_WRK_*). */
const char *explain_work(unsigned wrk, explain_lang l);

/* The kind of application (CLAIMS_APP_*). */
const char *explain_application(unsigned app, explain_lang l);

/* What an API is and why it is to be accepted, in three sentences. */
const char *explain_about(explain_lang l);

/* What to compare with other documents (renewal: the expired permit too). */
const char *explain_compare(int renewal_with_permit, explain_lang l);

/*
 * What a reduced code (the holder's card) does not present, and what to
 * ask for when it is needed; NULL for the full code (and for NONE).
 */
const char *explain_presentation(claims_presentation p, explain_lang l);

/* One line: information, not legal advice. */
const char *explain_disclaimer(explain_lang l);

/* A calendar date "YYYY-MM-DD" written for people: "15 décembre 2026". */
void explain_date(char *out, size_t cap, const char *ymd, explain_lang l);

#endif
