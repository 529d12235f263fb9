/*
 * receipttext.h: what a verification receipt proves, in words, French
 * then English (api-verifier receipt check, and any page that shows a
 * receipt): who checked, when, for whom, with what result, and the limit
 * of it: a receipt is not an authorisation issued by the préfecture and
 * says nothing of the attestation after the check (legal.md).
 */
#ifndef API_RECEIPTTEXT_H
#define API_RECEIPTTEXT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "qr/receipt.h"
#include "verifier/explain.h"

/* One sentence: why a receipt is accepted or refused. */
const char *receipttext_check(receipt_check c, explain_lang l);

/* The caller's profile in words ("employeur", "employer", ...); the code itself when unknown. */
const char *receipttext_profile(const char *profile, explain_lang l);

/* The limit of a receipt: what it proves, and that it is no authorisation of the préfecture. */
const char *receipttext_limit(explain_lang l);

/*
 * The text of a check: its answer, then for an authentic receipt every
 * member it carries, French then English. key: the key that signed (may
 * be NULL for a refused receipt).
 */
void receipttext_print(FILE *out, receipt_check c, const api_receipt *r, const receipt_key *key);

/* The same as a JSON object (check, then the receipt's members for an authentic one); NULL without memory. */
cJSON *receipttext_json(receipt_check c, const api_receipt *r, const receipt_key *key);

#endif
