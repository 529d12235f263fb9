/*
 * receiptpdf.h: a verification receipt as a one-page PDF, the proof an
 * employer files (POST /api/v1/receipt.pdf).
 *
 * The page says, in French then in English, what the receipt says and no
 * more: when the check was made, by which verifier and for whom, the
 * verdict and its reason, and the members the caller's profile saw (the
 * préfecture, the attestation id, the holder, the right to work, the end
 * of validity, the time of the status held). It says what a receipt is
 * not: an authorisation of the préfecture. The receipt's own QR text is
 * printed as a code, so the paper can be checked again
 * (`api-verifier receipt check`).
 *
 * The caller has verified the receipt: this file draws what it is handed.
 * The PDF is deterministic: its dates are the check's time.
 */
#ifndef API_RECEIPTPDF_H
#define API_RECEIPTPDF_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "qr/receipt.h"

/*
 * Draws receipt r, whose QR text is text (len bytes), into a new PDF
 * (*pdf, *pdf_len: the caller frees it). key_id: the signing key's kid in
 * hex, printed in the footer (NULL: none). API_ERR_ARG when a name holds
 * a character no installed font has (field names it), API_ERR_NOMEM,
 * API_ERR_IO (no font, or Cairo failed).
 */
api_err receiptpdf_render(uint8_t **pdf, size_t *pdf_len, const api_receipt *r, const char *text, size_t len,
                          const char *key_id, const char **field);

#endif
