/*
 * report.h: a verification result as people and machines read it: text
 * for a terminal (French, then English) and a JSON object whose `result`
 * field is the stable verdict code (docs/format.md, "Verification
 * report"). Used by the command line and by the HTTP service.
 */
#ifndef API_REPORT_H
#define API_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "verifier/verify.h"

/* Which claims a report echoes (the service's relying-party profiles). */
typedef enum {
    REPORT_FULL = 0,  /* every claim: command line, social agencies */
    REPORT_EMPLOYER,  /* identity, validity, right to work */
    REPORT_IDENTITY,  /* identity and validity: banks, landlords */
    REPORT_ANONYMOUS, /* verdict, names and validity only */
} report_profile;

/* The languages of a report's explanation, a set: REPORT_LANG_NONE leaves the member out. */
#define REPORT_LANG_NONE 0u
#define REPORT_LANG_FR   1u
#define REPORT_LANG_EN   2u

/* The JSON object of a result, explained in French and English; NULL when out of memory. */
cJSON *report_json(const verify_result *r, const verify_ctx *ctx, report_profile p);

/*
 * The same, with the explanation in the languages of the set langs only,
 * and no `explanation` member when langs is REPORT_LANG_NONE: the compact
 * answers a system asks for (`lang=`, `explain=false`, Accept-Language).
 */
cJSON *report_json_lang(const verify_result *r, const verify_ctx *ctx, report_profile p, unsigned langs);

/* The text report, French then English. */
void report_text(FILE *out, const verify_result *r, const verify_ctx *ctx);

#endif
