/*
 * verify.c: the verification pipeline of verify.h, in its fixed order.
 *
 * Nothing here touches the network, a file or a clock: the trust list, the
 * time and the status source come from the caller, so the CLI, the HTTP
 * service and the tests run the very same code. Claims are decoded only
 * after the signature has verified: unauthenticated bytes are parsed no
 * further than the COSE envelope. The envelope's typ says which
 * presentation was read (the full code or the holder's card); from there
 * on the two differ only in the claims decoder and in the date step 8
 * compares with a retired key's retired_at (the card has no iat: its nbf).
 */
#include "verifier/verify.h"

#include <string.h>

#include "qr/cose.h"
#include "qr/qrtext.h"

static const char *const verdict_codes[VERDICT_COUNT] = {
    "valid",          "expired",           "not_yet_valid",  "revoked",          "suspended", "superseded",
    "status_unknown", "invalid_signature", "unknown_issuer", "untrusted_issuer", "malformed",
};

const char *verdict_code(verdict v)
{
    return (unsigned)v < VERDICT_COUNT ? verdict_codes[v] : "unknown";
}

static void verify_set(verify_result *r, verdict v, api_reason reason)
{
    r->verdict = v;
    r->reason = reason;
}

int verify_status_fresh(const verify_status *st, int64_t now, int64_t max_staleness)
{
    return now - st->as_of <= max_staleness;
}

/* Steps 9 to 13, once the attestation is authentic. */
static void verify_status_and_dates(verify_result *r, const verify_ctx *ctx)
{
    const api_claims *c = &r->claims;
    verify_status st;
    memset(&st, 0, sizeof st);
    int have_status = 0;
    if (ctx->status_fn) {
        if (ctx->status_fn(ctx->status_arg, &r->issuer, c->status_idx, &st) != 0) {
            verify_set(r, VERDICT_STATUS_UNKNOWN, API_REASON_STATUS_ERROR);
            return;
        }
        have_status = st.held;
    }
    r->status_checked = have_status;
    r->status_as_of = have_status ? st.as_of : 0;
    r->status = have_status ? st.status : STATUS_VALID;
    r->effective_exp = c->exp;
    if (have_status && st.extended_until > c->exp) {
        r->effective_exp = st.extended_until;
        r->extended = 1;
    }

    if (have_status && st.status == STATUS_REVOKED) {
        verify_set(r, VERDICT_REVOKED, API_REASON_REVOKED);
        return;
    }
    if (have_status && st.status == STATUS_SUPERSEDED) {
        verify_set(r, VERDICT_SUPERSEDED, API_REASON_SUPERSEDED);
        return;
    }
    if (ctx->now < c->nbf) {
        verify_set(r, VERDICT_NOT_YET_VALID, API_REASON_NOT_YET_VALID);
        return;
    }
    if (ctx->now > r->effective_exp) {
        verify_set(r, VERDICT_EXPIRED, API_REASON_EXPIRED);
        return;
    }
    if (have_status && st.status == STATUS_SUSPENDED) {
        verify_set(r, VERDICT_SUSPENDED, API_REASON_SUSPENDED);
        return;
    }
    if (ctx->status_fn && !have_status) {
        verify_set(r, VERDICT_STATUS_UNKNOWN, API_REASON_NO_STATUS);
        return;
    }
    if (have_status && !verify_status_fresh(&st, ctx->now, ctx->max_staleness)) {
        verify_set(r, VERDICT_STATUS_UNKNOWN, API_REASON_STATUS_STALE);
        return;
    }
    if (ctx->now > ctx->tl->exp) {
        verify_set(r, VERDICT_STATUS_UNKNOWN, API_REASON_TRUST_LIST_EXPIRED);
        return;
    }
    verify_set(r, VERDICT_VALID, API_REASON_NONE);
}

/* Step 2's typ: the presentation it names, if this verification accepts it; API_ERR_TYP otherwise. */
static api_err verify_presentation(verify_result *r, const verify_ctx *ctx, const cose_sign1 *msg)
{
    claims_presentation p = claims_presentation_of_typ(msg->typ);
    unsigned accept = ctx->accept ? ctx->accept : VERIFY_ACCEPT_FULL | VERIFY_ACCEPT_REDUCED;
    if ((p == CLAIMS_PRESENTATION_FULL && (accept & VERIFY_ACCEPT_FULL)) ||
        (p == CLAIMS_PRESENTATION_REDUCED && (accept & VERIFY_ACCEPT_REDUCED))) {
        r->presentation = p;
        return API_OK;
    }
    return API_ERR_TYP;
}

/*
 * The time step 8 compares with a retired key's retired_at: iat, or for a
 * card, which carries no iat, its nbf. Both are the signer's word: a key
 * that signs after its retirement can write an early iat as well as an
 * early nbf. A card whose validity begins after the key was retired is
 * refused even when its full code, signed before, is not
 * (docs/format.md, "The reduced presentation").
 */
static int64_t verify_issued_at(const verify_result *r)
{
    return r->presentation == CLAIMS_PRESENTATION_REDUCED ? r->claims.nbf : r->claims.iat;
}

void verify_qrtext(verify_result *r, const verify_ctx *ctx, const char *text, size_t len)
{
    memset(r, 0, sizeof *r);
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t cose_len = sizeof cose;
    api_err e = qrtext_decode(cose, &cose_len, text, len);
    if (e == API_OK) {
        cose_sign1 msg;
        e = cose_sign1_parse(&msg, cose, cose_len, NULL);
        if (e == API_OK) e = verify_presentation(r, ctx, &msg);
        if (e == API_OK) {
            const trust_entry *entry = trust_find_kid(ctx->tl, msg.kid);
            if (!entry) {
                verify_set(r, VERDICT_UNKNOWN_ISSUER, API_REASON_UNKNOWN_KID);
                return;
            }
            r->has_issuer = 1;
            r->issuer = *entry;
            if (entry->state == TRUST_COMPROMISED) {
                verify_set(r, VERDICT_UNTRUSTED_ISSUER, API_REASON_KEY_COMPROMISED);
                return;
            }
            if (cose_sign1_verify(&msg, entry->pub) != API_OK) {
                verify_set(r, VERDICT_INVALID_SIGNATURE, API_REASON_SIGNATURE);
                return;
            }
            e = r->presentation == CLAIMS_PRESENTATION_REDUCED
                    ? claims_reduced_decode(&r->claims, msg.payload, msg.payload_len)
                    : claims_decode(&r->claims, msg.payload, msg.payload_len);
            if (e == API_OK) {
                r->has_claims = 1;
                claims_cti_hex(r->cti_hex, r->claims.cti);
                if (strcmp(r->claims.iss, entry->id) != 0) {
                    verify_set(r, VERDICT_UNTRUSTED_ISSUER, API_REASON_ISSUER_MISMATCH);
                    return;
                }
                if (entry->state == TRUST_RETIRED && verify_issued_at(r) >= entry->retired_at) {
                    verify_set(r, VERDICT_UNTRUSTED_ISSUER, API_REASON_ISSUED_AFTER_RETIREMENT);
                    return;
                }
                {
                    verify_status_and_dates(r, ctx);
                    return;
                }
            }
        }
    }
    /* A decoder failed: the input is malformed, unless the failure says nothing of it (out of memory). */
    api_reason why = reason_from_err(e);
    r->has_claims = 0;
    verify_set(r, why == API_REASON_INTERNAL_ERROR ? VERDICT_STATUS_UNKNOWN : VERDICT_MALFORMED, why);
}

void verify_malformed(verify_result *r, api_err e)
{
    memset(r, 0, sizeof *r);
    verify_set(r, VERDICT_MALFORMED, reason_from_err(e));
}
