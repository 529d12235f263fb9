/*
 * fedstate.h: the federation folder's state, FED/federation.json: the
 * issuers the ministry has admitted and the last sequence number
 * published. The signed trust list is made from it (trust.h).
 */
#ifndef API_FEDSTATE_H
#define API_FEDSTATE_H

#include "common/err.h"
#include "qr/trust.h"

/* Loads FED/federation.json into tl (seq = last published). */
api_err fedstate_load(trust_list *tl, const char *dir, char *err, size_t errcap);

/* Saves tl as FED/federation.json, atomically. */
api_err fedstate_save(const trust_list *tl, const char *dir);

/* Adds an entry; API_ERR_EXISTS when its kid is already listed (an issuer's or a receipt signer's). */
api_err fedstate_add(trust_list *tl, const trust_entry *entry);

/* Adds a verifier's receipt key; API_ERR_EXISTS when its kid is already listed. */
api_err fedstate_add_receipt_signer(trust_list *tl, const trust_receipt_signer *s);

#endif
