/*
 * holder.h: the issuer's input about one applicant (a JSON object, or a
 * row of a CSV file) turned into attestation claims.
 *
 * Input fields (JSON names; CSV columns are the same, with
 * previous_title_number and previous_title_expires_on for the nested pair):
 *
 *   family_name, given_names   text, trimmed, 1..127 bytes of UTF-8 without
 *                              control characters                -> fn, gn
 *   birth_date                 YYYY-MM-DD, YYYY-MM or YYYY         -> dob
 *   nationality                3 ASCII letters (upper-cased)       -> nat
 *   foreign_national_number    exactly 10 digits                   -> fnn
 *   application                first | renewal | change (or
 *                              change_of_status), any case         -> app
 *   title_requested            text, 1..159 bytes                  -> tit
 *   work_authorised            JSON true / false / "previous"; CSV
 *                              true false yes no oui non 1 0
 *                              previous, any case                  -> wrk
 *   filed_on                   YYYY-MM-DD, not after valid_from    -> fil
 *   valid_from                 YYYY-MM-DD        -> nbf (00:00:00 Paris)
 *   valid_until                YYYY-MM-DD, from valid_from to valid_from
 *                              + 3 months (CESEDA R. 431-15-1)
 *                                                -> exp (23:59:59 Paris)
 *   previous_title             optional {"number": 1..31 letters, digits
 *                              or '-', "expires_on": YYYY-MM-DD}, both
 *                              required when present; JSON null = absent
 *                                                -> prv_no, prv_exp
 *
 * All fields but previous_title are required; a birth date after filed_on
 * is refused. JSON: unknown and duplicate fields and wrong types are
 * errors. Values go through one validation shared by JSON and CSV.
 * Error texts are "field: message" and never repeat the value (names are
 * personal data). iss, iat, cti, status_idx and status_uri are left zero
 * for the caller; v is 1.
 */
#ifndef API_HOLDER_H
#define API_HOLDER_H

#include <stddef.h>

#include "qr/claims.h"
#include "common/err.h"

#define HOLDER_JSON_MAX  (1u << 20)  /* bytes of one JSON object */
#define HOLDER_CSV_MAX   (64u << 20) /* bytes of one CSV file */
#define HOLDER_FIELD_MAX 4096        /* bytes of one value */

/*
 * Parses one JSON object (len bytes, no NUL needed) into c. On failure c is
 * zeroed, err gets "field: message" (or "json: message" for the syntax) and
 * the result is API_ERR_CLAIMS, or API_ERR_TOO_LARGE over
 * HOLDER_JSON_MAX, API_ERR_NOMEM, API_ERR_ARG for NULL pointers. err may
 * be NULL (no message).
 */
api_err holder_from_json(api_claims *c, char *err, size_t errcap, const char *json, size_t len);

typedef struct holder_csv holder_csv;

/*
 * Starts reading a CSV file (UTF-8, an optional BOM, RFC 4180 quoting, LF
 * or CRLF line ends): parses the header row. Unknown, duplicate and
 * missing columns are errors that name them (API_ERR_CLAIMS, err starts
 * with "header: "). The two previous_title_* columns may be left out
 * together. data is not copied: it must outlive the reader. Also
 * API_ERR_TOO_LARGE over HOLDER_CSV_MAX, API_ERR_NOMEM, API_ERR_ARG.
 */
api_err holder_csv_open(holder_csv **csv, char *err, size_t errcap, const char *data, size_t len);

/*
 * Next data row: returns 1 and fills c for a good row, 0 at the end, -1
 * for a bad row (c zeroed, err = "line N: field: message", *line = the
 * row's first physical line number, 1-based, the header being line 1).
 * After -1 the caller may call again for the next row. Blank lines are
 * skipped. A row with the wrong number of fields, a field over
 * HOLDER_FIELD_MAX bytes, a stray or unterminated quote is a bad row;
 * the reader then goes on at the next row (an unterminated quote runs to
 * the end of the input). For a previous title, both columns empty means
 * none, one empty is an error. A NULL csv or c gives 0. err may be NULL.
 */
int holder_csv_next(holder_csv *csv, api_claims *c, size_t *line, char *err, size_t errcap);

void holder_csv_close(holder_csv *csv);

#endif
