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

/* The JSON object of a result; NULL when out of memory. */
cJSON *report_json(const verify_result *r, const verify_ctx *ctx, report_profile p);

/* The text report, French then English. */
void report_text(FILE *out, const verify_result *r, const verify_ctx *ctx);

#endif
