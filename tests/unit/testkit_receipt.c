/*
 * testkit_receipt.c: the example verification receipt of docs/format.md
 * ("Verification receipts") and its key, for the receipt's unit tests,
 * its vector generator and the tests of what is built on it.
 */
#include <stdio.h>
#include <string.h>

#include "tests/unit/testkit.h"

void testkit_receipt_key(testkit_key *k)
{
    testkit_key_from_seed(k, TESTKIT_SEED_RECEIPT);
}

void testkit_receipt(api_receipt *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->verifier, sizeof r->verifier, "%s", TESTKIT_RECEIPT_ORG);
    r->checked_at = testkit_time("2026-10-01T12:00:00Z");
    snprintf(r->result, sizeof r->result, "valid");
    snprintf(r->profile, sizeof r->profile, "employer");
    snprintf(r->org, sizeof r->org, "Boulangerie Martin");
    r->has_issuer = 1;
    snprintf(r->iss, sizeof r->iss, "FR-75");
    snprintf(r->issuer_name, sizeof r->issuer_name, "Préfecture de police de Paris");
    r->has_cti = 1;
    memcpy(r->cti, testkit_cti, CLAIMS_CTI_LEN);
    r->has_holder = 1;
    snprintf(r->fn, sizeof r->fn, "DIALLO");
    snprintf(r->gn, sizeof r->gn, "Aminata");
    r->has_work = 1;
    r->wrk = CLAIMS_WRK_YES;
    r->has_until = 1;
    snprintf(r->until, sizeof r->until, "2026-12-15");
    r->extended = 0;
    r->has_status = 1;
    r->status_as_of = testkit_time("2026-10-01T11:45:00Z");
}

void testkit_receipt_keyset(receipt_key *out, const testkit_key *k, const char *name)
{
    memset(out, 0, sizeof *out);
    memcpy(out->pub, k->pk, COSE_PK_LEN);
    memcpy(out->kid, k->kid, COSE_KID_LEN);
    snprintf(out->name, sizeof out->name, "%s", name);
}
