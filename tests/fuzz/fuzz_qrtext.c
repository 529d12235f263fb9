/*
 * fuzz_qrtext.c: libFuzzer target for the whole verification,
 * verify_qrtext (verifier/verify.c), with the testkit trust list (FR-75 and
 * FR-13) at a fixed time, without and with a status source. The input is
 * the QR text (a full code or a holder's card). Never a crash; a verdict
 * is always one of the known ones, with a reason unless valid, and `valid`
 * needs verified claims of the presentation the typ named.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/unit/testkit.c"
#include "verifier/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_status(void *arg, const trust_entry *entry, uint32_t idx, verify_status *out)
{
    (void)arg;
    memset(out, 0, sizeof *out);
    out->held = 1;
    out->as_of = idx % 5 != 0 ? 1790850000 : 1700000000; /* one in five older than the bound below */
    out->status = idx % 4;
    out->extended_until = entry->id[3] == '7' ? 1830000000 : 0;
    return 0;
}

static void fuzz_check(const verify_result *r)
{
    if ((unsigned)r->verdict >= VERDICT_COUNT || (unsigned)r->reason >= API_REASON_COUNT) __builtin_trap();
    if (r->verdict == VERDICT_VALID && (r->reason != API_REASON_NONE || !r->has_claims)) __builtin_trap();
    if (r->verdict != VERDICT_VALID && r->reason == API_REASON_NONE) __builtin_trap();
    /* the claims of the presentation the typ named: the full code's, or the holder's card's */
    if (r->has_claims && r->presentation == CLAIMS_PRESENTATION_NONE) __builtin_trap();
    if (r->has_claims && r->presentation == CLAIMS_PRESENTATION_FULL &&
        claims_validate(&r->claims, NULL) != API_OK)
        __builtin_trap();
    if (r->has_claims && r->presentation == CLAIMS_PRESENTATION_REDUCED &&
        claims_reduced_validate(&r->claims, NULL) != API_OK)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static trust_list tl;
    static int ready;
    if (!ready) {
        if (testkit_trust_list(&tl) != 0) __builtin_trap();
        ready = 1;
    }
    verify_result r;
    verify_ctx ctx = {.tl = &tl, .now = 1790856000 /* 2026-10-01T12:00:00Z */};
    verify_qrtext(&r, &ctx, (const char *)data, size);
    fuzz_check(&r);
    ctx.status_fn = fuzz_status;
    ctx.max_staleness = 24 * 3600; /* as_of 1790000000 is fresh at now, 1700000000 is not */
    verify_qrtext(&r, &ctx, (const char *)data, size);
    fuzz_check(&r);
    return 0;
}
