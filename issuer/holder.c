/*
 * holder.c: from the issuer's input (JSON or CSV) to api_claims (see
 * holder.h for the fields and their rules).
 *
 * Both front ends feed one record builder: holder_rec_set() takes a field
 * and its text value and does every per-field check and conversion;
 * holder_rec_finish() checks that nothing is missing and the rules between
 * fields (dates in order, at most three months of validity). The JSON front
 * end uses cJSON and only maps types (a JSON boolean becomes "true" or
 * "false"); before cJSON sees the text, jsonscan_check refuses it when it
 * is malformed, nested deeper than the format (HOLDER_JSON_DEPTH: the
 * object, and previous_title in it) or has an object or array of more than
 * HOLDER_JSON_MEMBERS entries, so that whatever the input holds, cJSON
 * never recurses or allocates beyond that. The CSV front end is a small
 * RFC 4180 reader over the caller's buffer that never allocates per row
 * and never stores more than HOLDER_FIELD_MAX bytes of a field.
 *
 * This file must not trust any length in the input, abort, or print: bad
 * input is an error code and a "field: message" text. Messages never
 * include the values themselves (names are personal data); unknown keys
 * and column names are echoed only after being cut short and stripped to
 * printable ASCII. It does not fill the issuer's fields (iss, iat, cti,
 * status) and does not sign anything.
 */
#include "issuer/holder.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/jsonscan.h"
#include "common/text.h"
#include "common/time.h"

/* ---- fields ---- */

enum {
    H_FN,
    H_GN,
    H_DOB,
    H_NAT,
    H_FNN,
    H_APP,
    H_TIT,
    H_WRK,
    H_FIL,
    H_NBF,
    H_EXP,
    H_PRV_NO,
    H_PRV_EXP,
    H_NFIELDS,
    H_NREQUIRED = H_PRV_NO /* fields before this one are required */
};

static const char *const holder_json_names[H_NFIELDS] = {
    "family_name",
    "given_names",
    "birth_date",
    "nationality",
    "foreign_national_number",
    "application",
    "title_requested",
    "work_authorised",
    "filed_on",
    "valid_from",
    "valid_until",
    "previous_title.number",
    "previous_title.expires_on",
};

static const char *const holder_csv_names[H_NFIELDS] = {
    "family_name",
    "given_names",
    "birth_date",
    "nationality",
    "foreign_national_number",
    "application",
    "title_requested",
    "work_authorised",
    "filed_on",
    "valid_from",
    "valid_until",
    "previous_title_number",
    "previous_title_expires_on",
};

/* One record being built. */
typedef struct {
    api_claims *c;
    const char *const *names; /* holder_json_names or holder_csv_names */
    unsigned seen;            /* bit per field */
    int prv_given;            /* a previous title was started */
    int nbf_y, nbf_m, nbf_d;
    int exp_y, exp_m, exp_d;
} holder_rec;

static void set_err(char *err, size_t errcap, const char *field, const char *msg)
{
    if (err && errcap) snprintf(err, errcap, "%s: %s", field, msg);
}

static api_err field_err(const holder_rec *r, int f, char *err, size_t errcap, const char *msg)
{
    set_err(err, errcap, r->names[f], msg);
    return API_ERR_CLAIMS;
}

/* A name or key from the input, safe to print: printable ASCII, at most 40 bytes. */
static void sanitize(char out[48], const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < 40; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = ch >= 0x20 && ch < 0x7f && ch != '"' ? (char)ch : '?';
    }
    if (n > 40) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static void rec_begin(holder_rec *r, api_claims *c, const char *const *names)
{
    memset(r, 0, sizeof *r);
    memset(c, 0, sizeof *c);
    r->c = c;
    r->names = names;
    c->v = 1;
}

static api_err set_text(holder_rec *r, int f, char *dst, size_t cap, const char *v, size_t n, char *err,
                        size_t errcap)
{
    text_check u = text_check_plain((const uint8_t *)v, n);
    if (u == TEXT_BAD_UTF8) return field_err(r, f, err, errcap, "not valid UTF-8");
    if (u == TEXT_CONTROL) return field_err(r, f, err, errcap, "contains a control character");
    if (n > cap - 1) {
        char msg[48];
        snprintf(msg, sizeof msg, "longer than %zu bytes", cap - 1);
        return field_err(r, f, err, errcap, msg);
    }
    memcpy(dst, v, n);
    dst[n] = '\0';
    return API_OK;
}

static api_err set_date(holder_rec *r, int f, char dst[11], int *y, int *m, int *d, const char *v, char *err,
                        size_t errcap)
{
    int yy, mm, dd;
    if (time_parse_date(&yy, &mm, &dd, v))
        return field_err(r, f, err, errcap, "expected a real date YYYY-MM-DD");
    memcpy(dst, v, 11);
    if (y) {
        *y = yy;
        *m = mm;
        *d = dd;
    }
    return API_OK;
}

static int all_of(const char *v, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(set, v[i])) return 0;
    return 1;
}

#define DIGITS  "0123456789"
#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/*
 * The one validation of a field value, shared by JSON and CSV: checks,
 * converts and stores value (vlen bytes, not trusted to be NUL-free) into
 * the record. Surrounding spaces and tabs are trimmed first.
 */
static api_err holder_rec_set(holder_rec *r, int f, const char *value, size_t vlen, char *err, size_t errcap)
{
    api_claims *c = r->c;
    char v[HOLDER_FIELD_MAX + 1];
    if (vlen > HOLDER_FIELD_MAX) return field_err(r, f, err, errcap, "longer than 4096 bytes");
    if (memchr(value, '\0', vlen)) return field_err(r, f, err, errcap, "contains a NUL byte");
    while (vlen > 0 && (value[0] == ' ' || value[0] == '\t')) value++, vlen--;
    while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t')) vlen--;
    /* Some people have no given name: given_names may be empty (the format allows it), nothing else. */
    if (vlen == 0 && f != H_GN) return field_err(r, f, err, errcap, "empty");
    memcpy(v, value, vlen);
    v[vlen] = '\0';

    api_err e = API_OK;
    switch (f) {
    case H_FN:
        e = set_text(r, f, c->fn, sizeof c->fn, v, vlen, err, errcap);
        break;
    case H_GN:
        e = set_text(r, f, c->gn, sizeof c->gn, v, vlen, err, errcap);
        break;
    case H_TIT:
        e = set_text(r, f, c->tit, sizeof c->tit, v, vlen, err, errcap);
        break;
    case H_DOB:
        if (time_check_partial_date(v))
            return field_err(r, f, err, errcap, "expected YYYY-MM-DD, YYYY-MM or YYYY");
        memcpy(c->dob, v, vlen + 1);
        break;
    case H_NAT:
        if (vlen != 3 || !all_of(v, vlen, LETTERS))
            return field_err(r, f, err, errcap, "expected 3 letters (ISO 3166-1 alpha-3)");
        for (int i = 0; i < 3; i++) c->nat[i] = v[i] >= 'a' && v[i] <= 'z' ? (char)(v[i] - 'a' + 'A') : v[i];
        c->nat[3] = '\0';
        break;
    case H_FNN:
        if (vlen != 10 || !all_of(v, vlen, DIGITS)) return field_err(r, f, err, errcap, "expected 10 digits");
        memcpy(c->fnn, v, 11);
        break;
    case H_APP:
        if (!strcasecmp(v, "first"))
            c->app = CLAIMS_APP_FIRST;
        else if (!strcasecmp(v, "renewal"))
            c->app = CLAIMS_APP_RENEWAL;
        else if (!strcasecmp(v, "change") || !strcasecmp(v, "change_of_status"))
            c->app = CLAIMS_APP_CHANGE;
        else
            return field_err(r, f, err, errcap, "expected first, renewal or change");
        break;
    case H_WRK:
        if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "oui") || !strcmp(v, "1"))
            c->wrk = CLAIMS_WRK_YES;
        else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "non") || !strcmp(v, "0"))
            c->wrk = CLAIMS_WRK_NO;
        else if (!strcasecmp(v, "previous"))
            c->wrk = CLAIMS_WRK_PREVIOUS;
        else
            return field_err(r, f, err, errcap, "expected true, false or previous");
        break;
    case H_FIL:
        e = set_date(r, f, c->fil, NULL, NULL, NULL, v, err, errcap);
        break;
    case H_NBF: {
        char tmp[11];
        e = set_date(r, f, tmp, &r->nbf_y, &r->nbf_m, &r->nbf_d, v, err, errcap);
        break;
    }
    case H_EXP: {
        char tmp[11];
        e = set_date(r, f, tmp, &r->exp_y, &r->exp_m, &r->exp_d, v, err, errcap);
        break;
    }
    case H_PRV_NO:
        if (vlen > CLAIMS_PRV_NO_MAX - 1 || !all_of(v, vlen, LETTERS DIGITS "-"))
            return field_err(r, f, err, errcap, "expected 1 to 31 letters, digits or '-'");
        memcpy(c->prv_no, v, vlen + 1);
        r->prv_given = 1;
        break;
    case H_PRV_EXP:
        e = set_date(r, f, c->prv_exp, NULL, NULL, NULL, v, err, errcap);
        r->prv_given = 1;
        break;
    default:
        return API_ERR_ARG;
    }
    if (!e) r->seen |= 1u << f;
    return e;
}

static int date_cmp(int y1, int m1, int d1, int y2, int m2, int d2)
{
    long a = (long)y1 * 10000 + m1 * 100 + d1, b = (long)y2 * 10000 + m2 * 100 + d2;
    return (a > b) - (a < b);
}

/* Completeness and the rules between fields; computes nbf and exp. */
static api_err holder_rec_finish(holder_rec *r, char *err, size_t errcap)
{
    api_claims *c = r->c;
    for (int f = 0; f < H_NREQUIRED; f++)
        if (!(r->seen & (1u << f))) return field_err(r, f, err, errcap, "missing");
    if (r->prv_given) {
        int have_no = !!(r->seen & (1u << H_PRV_NO)), have_exp = !!(r->seen & (1u << H_PRV_EXP));
        if (!have_no || !have_exp) {
            char msg[96];
            int missing = have_no ? H_PRV_EXP : H_PRV_NO, other = have_no ? H_PRV_NO : H_PRV_EXP;
            snprintf(msg, sizeof msg, "missing (required with %s)", r->names[other]);
            return field_err(r, missing, err, errcap, msg);
        }
        c->has_prv = 1;
    }
    /* a partial birth date compares on its own length: "1990" <= "1990-..." */
    size_t dl = strlen(c->dob);
    if (strncmp(c->dob, c->fil, dl) > 0) return field_err(r, H_DOB, err, errcap, "after filed_on");

    int fy, fm, fd;
    (void)time_parse_date(&fy, &fm, &fd, c->fil);
    if (date_cmp(fy, fm, fd, r->nbf_y, r->nbf_m, r->nbf_d) > 0)
        return field_err(r, H_FIL, err, errcap, "after valid_from");
    if (date_cmp(r->exp_y, r->exp_m, r->exp_d, r->nbf_y, r->nbf_m, r->nbf_d) < 0)
        return field_err(r, H_EXP, err, errcap, "before valid_from");
    int ly = r->nbf_y, lm = r->nbf_m, ld = r->nbf_d;
    if (time_date_add_months(&ly, &lm, &ld, 3) || date_cmp(r->exp_y, r->exp_m, r->exp_d, ly, lm, ld) > 0)
        return field_err(r, H_EXP, err, errcap, "more than three months after valid_from");

    c->nbf = time_paris_start_of_day(r->nbf_y, r->nbf_m, r->nbf_d);
    c->exp = time_paris_end_of_day(r->exp_y, r->exp_m, r->exp_d);
    return API_OK;
}

/* ---- JSON ---- */

#define HOLDER_JSON_DEPTH   2  /* the object, and the previous_title object in it */
#define HOLDER_JSON_MEMBERS 32 /* 12 fields, with room for unknown ones to be named */
#define HOLDER_JSON_BOM     "\xEF\xBB\xBF"

/*
 * cJSON turns "\u0000" into a NUL that silently cuts the string short;
 * find it first. Walks strings only, honouring escapes. 1 if found.
 */
static int json_has_nul_escape(const char *s, size_t n)
{
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_str) {
            if (s[i] == '"') in_str = 1;
            continue;
        }
        if (s[i] == '"') {
            in_str = 0;
        } else if (s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == 'u' && n - i >= 6 && !memcmp(s + i + 2, "0000", 4)) return 1;
            i++; /* skip the escaped character */
        }
    }
    return 0;
}

static int json_field_lookup(const char *key)
{
    for (int f = 0; f < H_NREQUIRED; f++)
        if (!strcmp(key, holder_json_names[f])) return f;
    return -1;
}

static api_err json_unknown(char *err, size_t errcap, const char *prefix, const char *key)
{
    char name[48], field[64];
    sanitize(name, key, strlen(key));
    snprintf(field, sizeof field, "%s%s", prefix, name);
    set_err(err, errcap, field, "unknown field");
    return API_ERR_CLAIMS;
}

static api_err json_string_field(holder_rec *r, int f, const cJSON *item, char *err, size_t errcap)
{
    if (r->seen & (1u << f)) return field_err(r, f, err, errcap, "duplicate field");
    if (!cJSON_IsString(item) || !item->valuestring) return field_err(r, f, err, errcap, "expected a string");
    return holder_rec_set(r, f, item->valuestring, strlen(item->valuestring), err, errcap);
}

static api_err json_previous_title(holder_rec *r, const cJSON *obj, char *err, size_t errcap)
{
    if (cJSON_IsNull(obj)) return API_OK; /* same as absent */
    if (!cJSON_IsObject(obj)) {
        set_err(err, errcap, "previous_title", "expected an object");
        return API_ERR_CLAIMS;
    }
    r->prv_given = 1;
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *key = it->string ? it->string : "";
        int f = !strcmp(key, "number") ? H_PRV_NO : !strcmp(key, "expires_on") ? H_PRV_EXP : -1;
        if (f < 0) return json_unknown(err, errcap, "previous_title.", key);
        api_err e = json_string_field(r, f, it, err, errcap);
        if (e) return e;
    }
    return API_OK;
}

static api_err json_object(holder_rec *r, const cJSON *root, char *err, size_t errcap)
{
    int seen_prv = 0;
    if (!cJSON_IsObject(root)) {
        set_err(err, errcap, "json", "expected an object");
        return API_ERR_CLAIMS;
    }
    for (const cJSON *it = root->child; it; it = it->next) {
        const char *key = it->string ? it->string : "";
        api_err e;
        if (!strcmp(key, "previous_title")) {
            if (seen_prv++) {
                set_err(err, errcap, "previous_title", "duplicate field");
                return API_ERR_CLAIMS;
            }
            e = json_previous_title(r, it, err, errcap);
        } else {
            int f = json_field_lookup(key);
            if (f < 0) return json_unknown(err, errcap, "", key);
            if (f == H_WRK && cJSON_IsBool(it)) {
                if (r->seen & (1u << f)) return field_err(r, f, err, errcap, "duplicate field");
                const char *b = cJSON_IsTrue(it) ? "true" : "false";
                e = holder_rec_set(r, f, b, strlen(b), err, errcap);
            } else if (f == H_WRK &&
                       !(cJSON_IsString(it) && it->valuestring && !strcasecmp(it->valuestring, "previous"))) {
                e = field_err(r, f, err, errcap, "expected true, false or \"previous\"");
            } else {
                e = json_string_field(r, f, it, err, errcap);
            }
        }
        if (e) return e;
    }
    return holder_rec_finish(r, err, errcap);
}

/*
 * The structure of the text (after any BOM, whose length is base), checked
 * before cJSON builds anything: "json: ..." naming the problem and its byte
 * offset in the input.
 */
static api_err json_scan(char *err, size_t errcap, const char *text, size_t len, size_t base)
{
    size_t at = 0;
    char msg[96];
    switch (jsonscan_check(text, len, HOLDER_JSON_DEPTH, HOLDER_JSON_MEMBERS, &at)) {
    case JSONSCAN_OK:
        return API_OK;
    case JSONSCAN_TOO_DEEP:
        snprintf(msg, sizeof msg, "nested more than %d levels deep at byte %zu", HOLDER_JSON_DEPTH,
                 base + at);
        break;
    case JSONSCAN_TOO_MANY_MEMBERS:
        snprintf(msg, sizeof msg, "more than %d members in one object or array at byte %zu",
                 HOLDER_JSON_MEMBERS, base + at);
        break;
    case JSONSCAN_MALFORMED:
    default:
        /* a complete value before the byte that stopped the scan: something follows the object */
        if (at < len && jsonscan_check(text, at, HOLDER_JSON_DEPTH, HOLDER_JSON_MEMBERS, NULL) == JSONSCAN_OK)
            snprintf(msg, sizeof msg, "data after the object");
        else
            snprintf(msg, sizeof msg, "syntax error at byte %zu", base + at);
        break;
    }
    set_err(err, errcap, "json", msg);
    return API_ERR_CLAIMS;
}

api_err holder_from_json(api_claims *c, char *err, size_t errcap, const char *json, size_t len)
{
    if (!err) errcap = 0;
    if (errcap) err[0] = '\0';
    if (!c || !json) return API_ERR_ARG;
    memset(c, 0, sizeof *c);
    if (len > HOLDER_JSON_MAX) {
        set_err(err, errcap, "json", "larger than 1 MiB");
        return API_ERR_TOO_LARGE;
    }
    if (memchr(json, '\0', len)) {
        set_err(err, errcap, "json", "contains a NUL byte");
        return API_ERR_CLAIMS;
    }
    /* a UTF-8 byte-order mark is skipped, as cJSON always did here */
    size_t bom = len >= 3 && !memcmp(json, HOLDER_JSON_BOM, 3) ? 3 : 0;
    json += bom;
    len -= bom;
    api_err e = json_scan(err, errcap, json, len, bom);
    if (e) return e;
    if (json_has_nul_escape(json, len)) {
        set_err(err, errcap, "json", "\\u0000 is not allowed in a string");
        return API_ERR_CLAIMS;
    }

    char *copy = malloc(len + 1); /* cJSON gets a NUL-terminated copy */
    if (!copy) return API_ERR_NOMEM;
    memcpy(copy, json, len);
    copy[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 0);
    if (!root) {
        char msg[64];
        size_t at = bom + (end && end >= copy ? (size_t)(end - copy) : 0);
        snprintf(msg, sizeof msg, "syntax error at byte %zu", at);
        set_err(err, errcap, "json", msg);
        e = API_ERR_CLAIMS;
    } else {
        while (end && *end && strchr(" \t\r\n", *end)) end++;
        if (end && *end) {
            set_err(err, errcap, "json", "data after the object");
            e = API_ERR_CLAIMS;
        } else {
            holder_rec r;
            rec_begin(&r, c, holder_json_names);
            e = json_object(&r, root, err, errcap);
        }
        cJSON_Delete(root);
    }
    free(copy);
    if (e) memset(c, 0, sizeof *c);
    return e;
}

/* ---- CSV ---- */

#define CSV_COLS_MAX 32 /* columns kept per row; more make a bad row */

enum { CSV_OK, CSV_TOO_LONG, CSV_UNTERMINATED, CSV_AFTER_QUOTE, CSV_STRAY_QUOTE };

struct holder_csv {
    const char *data;
    size_t len, pos;
    size_t line; /* physical line at pos, 1-based */
    int ncols;
    int col_field[CSV_COLS_MAX]; /* column -> H_* */
    char *buf;                   /* CSV_COLS_MAX fields of HOLDER_FIELD_MAX bytes */
    size_t flen[CSV_COLS_MAX];
};

typedef struct {
    size_t line; /* first physical line */
    size_t nfields;
    int blank;
    int error; /* CSV_* */
    size_t error_col;
} csv_row;

static void row_error(csv_row *row, int kind, size_t col)
{
    if (!row->error) {
        row->error = kind;
        row->error_col = col;
    }
}

/* Reads one record at csv->pos; 0 if there is none left. */
static int csv_read_row(holder_csv *csv, csv_row *row)
{
    const char *d = csv->data;
    size_t n = csv->len, pos = csv->pos;
    if (pos >= n) return 0;
    memset(row, 0, sizeof *row);
    row->line = csv->line;
    int first_quoted = 0;

    for (size_t col = 0;; col++) {
        char *dst = col < CSV_COLS_MAX ? csv->buf + col * HOLDER_FIELD_MAX : NULL;
        size_t fl = 0;
        int quoted = 0;
#define CSV_APPEND(ch)                                                                                       \
    do {                                                                                                     \
        if (fl < HOLDER_FIELD_MAX) {                                                                         \
            if (dst) dst[fl] = (ch);                                                                         \
        } else {                                                                                             \
            row_error(row, CSV_TOO_LONG, col);                                                               \
        }                                                                                                    \
        if (fl <= HOLDER_FIELD_MAX) fl++;                                                                    \
    } while (0)
        if (pos < n && d[pos] == '"') {
            quoted = 1;
            if (col == 0) first_quoted = 1;
            pos++;
            for (;;) {
                if (pos >= n) {
                    row_error(row, CSV_UNTERMINATED, col);
                    break;
                }
                char ch = d[pos];
                if (ch == '"') {
                    if (pos + 1 < n && d[pos + 1] == '"') {
                        CSV_APPEND('"');
                        pos += 2;
                        continue;
                    }
                    pos++;
                    break;
                }
                if (ch == '\n') csv->line++;
                CSV_APPEND(ch);
                pos++;
            }
        }
        while (pos < n) {
            char ch = d[pos];
            if (ch == ',' || ch == '\n' || (ch == '\r' && pos + 1 < n && d[pos + 1] == '\n')) break;
            if (quoted)
                row_error(row, CSV_AFTER_QUOTE, col);
            else if (ch == '"')
                row_error(row, CSV_STRAY_QUOTE, col);
            CSV_APPEND(ch);
            pos++;
        }
#undef CSV_APPEND
        if (col < CSV_COLS_MAX) csv->flen[col] = fl > HOLDER_FIELD_MAX ? HOLDER_FIELD_MAX : fl;
        row->nfields = col + 1;
        if (pos >= n) break;
        if (d[pos] == ',') {
            pos++;
            continue;
        }
        pos += d[pos] == '\r' ? 2 : 1;
        csv->line++;
        break;
    }
    csv->pos = pos;

    if (row->nfields == 1 && !first_quoted && !row->error) {
        size_t i = 0;
        while (i < csv->flen[0] && (csv->buf[i] == ' ' || csv->buf[i] == '\t')) i++;
        row->blank = i == csv->flen[0];
    }
    return 1;
}

/* Next record that is not a blank line; 0 at the end. */
static int csv_next_record(holder_csv *csv, csv_row *row)
{
    for (;;) {
        if (!csv_read_row(csv, row)) return 0;
        if (!row->blank) return 1;
    }
}

static const char *csv_row_error_text(int kind)
{
    switch (kind) {
    case CSV_TOO_LONG:
        return "longer than 4096 bytes";
    case CSV_UNTERMINATED:
        return "unterminated quoted field";
    case CSV_AFTER_QUOTE:
        return "characters after a closing quote";
    case CSV_STRAY_QUOTE:
        return "quote inside an unquoted field";
    default:
        return "bad field";
    }
}

static int csv_column_lookup(const char *name, size_t n)
{
    for (int f = 0; f < H_NFIELDS; f++)
        if (strlen(holder_csv_names[f]) == n && !memcmp(name, holder_csv_names[f], n)) return f;
    return -1;
}

/* Appends "; " (if needed) and text to msg, silently cut at its capacity. */
static void msg_append(char *msg, size_t cap, const char *text)
{
    size_t l = strlen(msg);
    if (l + 1 >= cap) return;
    snprintf(msg + l, cap - l, "%s%s", l ? "; " : "", text);
}

static api_err csv_parse_header(holder_csv *csv, char *err, size_t errcap)
{
    csv_row row;
    char msg[512] = "", piece[96], name[48];
    if (!csv_next_record(csv, &row)) {
        set_err(err, errcap, "header", "no header row");
        return API_ERR_CLAIMS;
    }
    if (row.error) {
        set_err(err, errcap, "header", csv_row_error_text(row.error));
        return API_ERR_CLAIMS;
    }
    if (row.nfields > CSV_COLS_MAX) {
        set_err(err, errcap, "header", "too many columns");
        return API_ERR_CLAIMS;
    }
    csv->ncols = (int)row.nfields;
    unsigned present = 0;
    for (int i = 0; i < csv->ncols; i++) {
        const char *s = csv->buf + (size_t)i * HOLDER_FIELD_MAX;
        size_t l = csv->flen[i];
        while (l > 0 && (*s == ' ' || *s == '\t')) s++, l--;
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t')) l--;
        int f = csv_column_lookup(s, l);
        sanitize(name, s, l);
        if (f < 0) {
            snprintf(piece, sizeof piece, "unknown column \"%s\"", name);
            msg_append(msg, sizeof msg, piece);
        } else if (present & (1u << f)) {
            snprintf(piece, sizeof piece, "duplicate column \"%s\"", name);
            msg_append(msg, sizeof msg, piece);
        }
        csv->col_field[i] = f;
        if (f >= 0) present |= 1u << f;
    }
    int prv = !!(present & (1u << H_PRV_NO)) + !!(present & (1u << H_PRV_EXP));
    for (int f = 0; f < H_NFIELDS; f++) {
        if (present & (1u << f)) continue;
        if (f >= H_NREQUIRED && prv == 0) continue; /* the optional pair, left out together */
        snprintf(piece, sizeof piece, "missing column \"%s\"", holder_csv_names[f]);
        msg_append(msg, sizeof msg, piece);
    }
    if (msg[0]) {
        set_err(err, errcap, "header", msg);
        return API_ERR_CLAIMS;
    }
    return API_OK;
}

api_err holder_csv_open(holder_csv **csv, char *err, size_t errcap, const char *data, size_t len)
{
    if (!err) errcap = 0;
    if (errcap) err[0] = '\0';
    if (!csv || !data) return API_ERR_ARG;
    *csv = NULL;
    if (len > HOLDER_CSV_MAX) {
        set_err(err, errcap, "csv", "larger than 64 MiB");
        return API_ERR_TOO_LARGE;
    }
    holder_csv *x = calloc(1, sizeof *x);
    if (!x) return API_ERR_NOMEM;
    x->buf = malloc((size_t)CSV_COLS_MAX * HOLDER_FIELD_MAX);
    if (!x->buf) {
        free(x);
        return API_ERR_NOMEM;
    }
    x->data = data;
    x->len = len;
    x->line = 1;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) x->pos = 3;
    api_err e = csv_parse_header(x, err, errcap);
    if (e) {
        holder_csv_close(x);
        return e;
    }
    *csv = x;
    return API_OK;
}

static int csv_bad_row(api_claims *c, char *err, size_t errcap, size_t line, const char *msg)
{
    if (err && errcap) snprintf(err, errcap, "line %zu: %s", line, msg);
    memset(c, 0, sizeof *c);
    return -1;
}

int holder_csv_next(holder_csv *csv, api_claims *c, size_t *line, char *err, size_t errcap)
{
    csv_row row;
    char msg[256];
    if (!err) errcap = 0;
    if (errcap) err[0] = '\0';
    if (!csv || !c) return 0; /* not -1: a caller looping to the end must stop */
    if (!csv_next_record(csv, &row)) return 0;
    if (line) *line = row.line;

    if (row.error) {
        const char *col =
            row.error_col < (size_t)csv->ncols ? holder_csv_names[csv->col_field[row.error_col]] : "row";
        set_err(msg, sizeof msg, col, csv_row_error_text(row.error));
        return csv_bad_row(c, err, errcap, row.line, msg);
    }
    if (row.nfields != (size_t)csv->ncols) {
        snprintf(msg, sizeof msg, "expected %d fields, found %zu", csv->ncols, row.nfields);
        return csv_bad_row(c, err, errcap, row.line, msg);
    }

    holder_rec r;
    rec_begin(&r, c, holder_csv_names);
    for (int i = 0; i < csv->ncols; i++) {
        int f = csv->col_field[i];
        const char *v = csv->buf + (size_t)i * HOLDER_FIELD_MAX;
        size_t l = csv->flen[i];
        if (f >= H_NREQUIRED && all_of(v, l, " \t")) continue; /* no previous title */
        if (holder_rec_set(&r, f, v, l, msg, sizeof msg)) return csv_bad_row(c, err, errcap, row.line, msg);
    }
    if (holder_rec_finish(&r, msg, sizeof msg)) return csv_bad_row(c, err, errcap, row.line, msg);
    return 1;
}

void holder_csv_close(holder_csv *csv)
{
    if (!csv) return;
    free(csv->buf);
    free(csv);
}
