/*
 * receiptkey.h: the verifier's receipt key, the document that publishes
 * it, and what a receipt is made of (docs/format.md, "Verification
 * receipts").
 *
 * The key. An Ed25519 seed in one file, by default DATA/receipt-key,
 * created at the first start of `serve` (or by `receipt rotate-key`),
 * mode 0600: encrypted in the key-file format of common/keyfile.h when a
 * passphrase is given (--passphrase-file, API_PASSPHRASE), otherwise
 * plain ("APIRKEY\n" and the 32 bytes of the seed). Several replicas of
 * one service share one key file (--receipt-key FILE).
 *
 * Beside the key, FILE.pub, its public key as one base64url line (for
 * api-federation add-receipt-signer --pub), written with each new key.
 *
 * The document. Beside the key, FILE.json: the receipt-keys document that
 * GET /api/v1/receipt-keys serves ({"verifier", "keys": [{kid, alg,
 * public_key, name, not_before, retired_at}]}), current key first. A
 * rotation writes a new key, marks the old one retired at that instant
 * and keeps it in the document: a receipt must stay checkable for as long
 * as an employer keeps it.
 *
 * The receipt of a report. receipt_of_report reads the report that the
 * caller's profile receives (report_json), never the verification result,
 * so a receipt cannot carry a member the report left out.
 *
 * Key sets. receiptkeys_parse reads a receipt-keys document from anyone
 * (a file, a URL): jsonscan first, then cJSON, every member checked.
 */
#ifndef API_RECEIPTKEY_H
#define API_RECEIPTKEY_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "qr/receipt.h"
#include "qr/trust.h"

#define RECEIPTKEY_FILE     "receipt-key" /* in the data folder */
#define RECEIPTKEY_DOC_MAX  (1u << 20)    /* bytes of a receipt-keys document read */
#define RECEIPTKEY_MAX_KEYS 1024          /* keys of one document */
#define RECEIPTKEY_PATH_MAX 4096

typedef struct receiptkey receiptkey;

/*
 * Opens the key file at path, or creates it (and its document) when it
 * does not exist. org: the organisation to publish (--receipt-org); NULL
 * keeps the document's, or for a new key takes "api-verifier (HOST)". A
 * new key is encrypted when passphrase_file is given or API_PASSPHRASE is
 * set; an encrypted one is opened with passphrase_get(passphrase_file).
 * *created tells whether the key was made now. Errors (err says more):
 * API_ERR_IO, API_ERR_KEYFILE (not a receipt key, or a document that does
 * not list it as current), API_ERR_PASSPHRASE, API_ERR_ARG (an org that is
 * not the current key's: rotate the key to change it).
 */
api_err receiptkey_open(receiptkey **out, int *created, const char *path, const char *org,
                        const char *passphrase_file, int64_t now, char *err, size_t errcap);

void receiptkey_free(receiptkey *k);

/* The organisation the key signs as (the receipts' iss). */
const char *receiptkey_org(const receiptkey *k);

/* The receipt-keys document as served (JSON, indented), and its ETag. */
const char *receiptkey_document(const receiptkey *k, size_t *len);
const char *receiptkey_etag(const receiptkey *k);

/* The document's keys, current and retired, as receiptkeys_parse reads them (read once, at open). */
const receipt_key *receiptkey_keys(const receiptkey *k, size_t *n);

/* The current key's kid, hex (16 characters and a NUL). */
const char *receiptkey_kid_hex(const receiptkey *k);

/* The key's public key. */
const uint8_t *receiptkey_public(const receiptkey *k);

/* Signs r (its verifier set to the key's organisation) into text (capacity *len). */
api_err receiptkey_sign(const receiptkey *k, char *text, size_t *len, api_receipt *r);

/*
 * Replaces the key at path with a new one (made the way receiptkey_open
 * makes one), the old key retired at now in the document; creates the
 * first key when there is none. org NULL keeps the current organisation.
 * *old_kid and *new_kid (17 bytes each) get the kids in hex; *old_kid is
 * "" when there was none.
 */
api_err receiptkey_rotate(const char *path, const char *org, const char *passphrase_file, int64_t now,
                          char old_kid[17], char new_kid[17], char *err, size_t errcap);

/*
 * The receipt of a report (report_json's object, as the caller received
 * it): its members, and verifier, org and profile. API_ERR_CLAIMS when the
 * report lacks what every receipt needs.
 */
api_err receipt_of_report(api_receipt *out, const cJSON *report, const char *verifier, const char *org,
                          const char *profile);

/*
 * Reads a receipt-keys document (text of len bytes from anyone) into a
 * malloc'd key set (*keys, *n) and the verifier's name (capacity
 * RECEIPT_ORG_MAX). API_ERR_TRUST_LIST with err for a document that is
 * not one (malformed JSON, a member missing or out of its rules, two keys
 * of one kid, a kid that is not its key's).
 */
api_err receiptkeys_parse(receipt_key **keys, size_t *n, char verifier[RECEIPT_ORG_MAX], const char *text,
                          size_t len, char *err, size_t errcap);

/* The receipt signers of a trust list as a key set (malloc'd; *n may be 0). */
api_err receiptkeys_from_trust(receipt_key **keys, size_t *n, const trust_list *tl);

#endif
