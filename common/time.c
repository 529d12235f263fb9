/*
 * time.c: Europe/Paris civil time by arithmetic (see time.h).
 *
 * This file owns the calendar: days-from-civil and civil-from-days
 * (H. Hinnant's algorithms, exact for the proleptic Gregorian calendar over
 * the whole int64_t day range we use), the EU summer-time rule, and the
 * strict parsers and fixed-width formatters of dates, instants and
 * durations.
 *
 * It must not call the C library's time zone machinery (localtime, mktime,
 * TZ, tzset): those read global state and the system's zone files, and the
 * answers here must be the same on every machine and in every thread. It
 * keeps no state at all.
 *
 * Internally a "local" value is Paris wall-clock time counted as if it
 * were UTC (epoch seconds + offset). Inputs are clamped to a range far
 * wider than any real use (about +-35,000 years) so that no sum can
 * overflow; the formatters clamp again to the years 0000..9999.
 */
#include "common/time.h"

#include <stddef.h>
#include <string.h>

#define DAY       86400
#define T_LIMIT   ((int64_t)1 << 40)      /* clamp for arithmetic */
#define T_MIN_FMT ((int64_t)-62167219200) /* 0000-01-01T00:00:00Z */
#define T_MAX_FMT ((int64_t)253402300799) /* 9999-12-31T23:59:59Z */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Floor division and modulo for a positive divisor. */
static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) < 0) q--;
    return q;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t *y, unsigned *m, unsigned *d, int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday .. 6 = Saturday; day 0 (1970-01-01) was a Thursday. */
static unsigned weekday_from_days(int64_t z)
{
    return (unsigned)(((z % 7) + 7 + 4) % 7);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int is_real_date(int64_t y, int m, int d, int64_t ymin)
{
    return y >= ymin && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
           (unsigned)d <= days_in_month(y, (unsigned)m);
}

/* 01:00 UTC on the last Sunday of month m (March or October: 31 days). */
static int64_t last_sunday_0100z(int64_t y, unsigned m)
{
    int64_t z = days_from_civil(y, m, 31);
    z -= weekday_from_days(z);
    return z * DAY + 3600;
}

int time_paris_offset(int64_t t)
{
    t = clamp64(t, -T_LIMIT, T_LIMIT);
    int64_t y;
    unsigned m, d;
    civil_from_days(&y, &m, &d, fdiv(t, DAY));
    if (m < 3 || m > 10) return 3600;
    return t >= last_sunday_0100z(y, 3) && t < last_sunday_0100z(y, 10) ? 7200 : 3600;
}

/*
 * Paris wall-clock time (as if UTC) to an instant. Returns 0, or 1 when the
 * local time was skipped by the March switch (then *t is one hour later in
 * CEST, the mktime reading). A repeated local time gives the earlier
 * instant (CEST).
 */
static int local_to_utc(int64_t *t, int64_t local)
{
    int64_t summer = local - 7200, winter = local - 3600;
    if (time_paris_offset(summer) == 7200) {
        *t = summer;
        return 0;
    }
    *t = winter;
    return time_paris_offset(winter) == 3600 ? 0 : 1;
}

static int64_t utc_to_local(int64_t t)
{
    t = clamp64(t, -T_LIMIT, T_LIMIT);
    return t + time_paris_offset(t);
}

/* ---- parsing helpers ---- */

/* n decimal digits exactly; 0 or -1. */
static int parse_digits(int *out, const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "YYYY-MM-DD" at s (exactly 10 characters checked, not what follows). */
static int parse_date_prefix(int *y, int *m, int *d, const char *s)
{
    int yy, mm, dd;
    for (int i = 0; i < 10; i++)
        if (s[i] == '\0') return -1;
    if (parse_digits(&yy, s, 4) || s[4] != '-' || parse_digits(&mm, s + 5, 2) || s[7] != '-' ||
        parse_digits(&dd, s + 8, 2))
        return -1;
    if (!is_real_date(yy, mm, dd, 1900)) return -1;
    *y = yy;
    *m = mm;
    *d = dd;
    return 0;
}

/* "HH:MM:SS" at s (8 characters); seconds of the day; 0 or -1. */
static int parse_time_prefix(int *sod, const char *s)
{
    int hh, mi, ss;
    for (int i = 0; i < 8; i++)
        if (s[i] == '\0') return -1;
    if (parse_digits(&hh, s, 2) || s[2] != ':' || parse_digits(&mi, s + 3, 2) || s[5] != ':' ||
        parse_digits(&ss, s + 6, 2))
        return -1;
    if (hh > 23 || mi > 59 || ss > 59) return -1;
    *sod = hh * 3600 + mi * 60 + ss;
    return 0;
}

int time_parse_date(int *y, int *m, int *d, const char *s)
{
    int yy, mm, dd;
    if (!y || !m || !d || !s) return -1;
    if (parse_date_prefix(&yy, &mm, &dd, s) || s[10] != '\0') return -1;
    *y = yy;
    *m = mm;
    *d = dd;
    return 0;
}

int time_check_partial_date(const char *s)
{
    int y, m, d;
    if (!s) return -1;
    size_t n = 0;
    while (n < 11 && s[n]) n++;
    if (n == 10) return time_parse_date(&y, &m, &d, s);
    if (n == 7) {
        if (parse_digits(&y, s, 4) || s[4] != '-' || parse_digits(&m, s + 5, 2)) return -1;
        return is_real_date(y, m, 1, 1900) ? 0 : -1;
    }
    if (n == 4) {
        if (parse_digits(&y, s, 4)) return -1;
        return is_real_date(y, 1, 1, 1900) ? 0 : -1;
    }
    return -1;
}

int64_t time_paris_start_of_day(int y, int m, int d)
{
    int64_t t;
    if (!is_real_date(y, m, d, 0)) return INT64_MIN;
    (void)local_to_utc(&t, days_from_civil(y, (unsigned)m, (unsigned)d) * DAY);
    return t;
}

int64_t time_paris_end_of_day(int y, int m, int d)
{
    int64_t t;
    if (!is_real_date(y, m, d, 0)) return INT64_MIN;
    (void)local_to_utc(&t, days_from_civil(y, (unsigned)m, (unsigned)d) * DAY + DAY - 1);
    return t;
}

/* "@SECONDS", optionally negative, within the formatting range. */
static int parse_epoch(int64_t *t, const char *s)
{
    int neg = 0;
    int64_t v = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (*s == '\0') return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
        if (v > T_MAX_FMT) return -1;
    }
    if (neg) v = -v;
    if (v < T_MIN_FMT) return -1;
    *t = v;
    return 0;
}

int time_parse_instant(int64_t *t, const char *s)
{
    int y, m, d, sod;
    if (!t || !s) return -1;
    if (s[0] == '@') return parse_epoch(t, s + 1);
    if (parse_date_prefix(&y, &m, &d, s)) return -1;
    int64_t local_day = days_from_civil(y, (unsigned)m, (unsigned)d) * DAY;
    if (s[10] == '\0') {
        (void)local_to_utc(t, local_day + 12 * 3600);
        return 0;
    }
    if (s[10] != 'T' || parse_time_prefix(&sod, s + 11)) return -1;
    const char *z = s + 19;
    int64_t wall = local_day + sod;
    if (z[0] == '\0') {
        int64_t r;
        if (local_to_utc(&r, wall)) return -1; /* skipped by the March switch */
        *t = r;
        return 0;
    }
    if (z[0] == 'Z' && z[1] == '\0') {
        *t = wall;
        return 0;
    }
    if (z[0] == '+' || z[0] == '-') {
        int oh, om;
        if (!z[1] || !z[2] || !z[3] || !z[4] || !z[5]) return -1;
        if (parse_digits(&oh, z + 1, 2) || z[3] != ':' || parse_digits(&om, z + 4, 2) || z[6] != '\0')
            return -1;
        if (om > 59 || oh * 60 + om > 18 * 60) return -1;
        int64_t off = (int64_t)(oh * 3600 + om * 60);
        *t = z[0] == '+' ? wall - off : wall + off;
        return 0;
    }
    return -1;
}

/* ---- formatting ---- */

static char *put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + (v % 10));
        v /= 10;
    }
    return p + n;
}

/* "YYYY-MM-DDTHH:MM:SS" (19 characters, no NUL) of a local or UTC value. */
static char *put_datetime(char *p, int64_t v, int with_time)
{
    int64_t y, days = fdiv(v, DAY), sod = v - days * DAY;
    unsigned m, d;
    civil_from_days(&y, &m, &d, days);
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    if (!with_time) return p;
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    return p;
}

void time_paris_date(char out[11], int64_t t)
{
    t = clamp64(t, T_MIN_FMT - 3600, T_MAX_FMT - 3600);
    char *p = put_datetime(out, utc_to_local(t), 0);
    *p = '\0';
}

void time_format_utc(char out[21], int64_t t)
{
    t = clamp64(t, T_MIN_FMT, T_MAX_FMT);
    char *p = put_datetime(out, t, 1);
    *p++ = 'Z';
    *p = '\0';
}

void time_format_http(char out[30], int64_t t)
{
    static const char days[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"}; /* 1970-01-01: Thu */
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    t = clamp64(t, T_MIN_FMT, T_MAX_FMT);
    int64_t y, day = fdiv(t, DAY), sod = t - day * DAY;
    unsigned m, d;
    civil_from_days(&y, &m, &d, day);
    char *p = out;
    memcpy(p, days[day - fdiv(day, 7) * 7], 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    p = put_digits(p, d, 2);
    *p++ = ' ';
    memcpy(p, months[m - 1], 3);
    p += 3;
    *p++ = ' ';
    p = put_digits(p, y, 4);
    *p++ = ' ';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    memcpy(p, " GMT", 5);
}

void time_format_paris(char out[26], int64_t t)
{
    t = clamp64(t, T_MIN_FMT - 3600, T_MAX_FMT - 3600);
    int off = time_paris_offset(t);
    char *p = put_datetime(out, t + off, 1);
    *p++ = '+';
    p = put_digits(p, off / 3600, 2);
    *p++ = ':';
    p = put_digits(p, 0, 2);
    *p = '\0';
}

/* ---- durations ---- */

int time_parse_duration(time_duration *d, const char *s)
{
    unsigned n = 0;
    size_t i = 0;
    if (!d || !s || s[0] < '1' || s[0] > '9') return -1;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        n = n * 10 + (unsigned)(s[i] - '0');
        if (n > 100000) return -1;
    }
    char u = s[i];
    if ((u != 'd' && u != 'w' && u != 'm' && u != 'h' && u != 's') || s[i + 1] != '\0') return -1;
    d->n = n;
    d->unit = u;
    return 0;
}

/* Months added to a year/month/day with clamping, no range check. */
static void add_months_raw(int64_t *y, unsigned *m, unsigned *d, uint64_t months)
{
    int64_t idx = *y * 12 + (int64_t)(*m - 1) + (int64_t)months;
    *y = fdiv(idx, 12);
    *m = (unsigned)(idx - *y * 12) + 1;
    unsigned dim = days_in_month(*y, *m);
    if (*d > dim) *d = dim;
}

int64_t time_add_duration(int64_t t, time_duration d)
{
    t = clamp64(t, -T_LIMIT, T_LIMIT);
    int64_t n = d.n, r;
    switch (d.unit) {
    case 's':
        return t + n;
    case 'h':
        return t + n * 3600;
    case 'd':
    case 'w': {
        int64_t local = utc_to_local(t) + (d.unit == 'w' ? 7 * n : n) * DAY;
        (void)local_to_utc(&r, local);
        return r;
    }
    case 'm': {
        int64_t local = utc_to_local(t), days = fdiv(local, DAY), sod = local - days * DAY, y;
        unsigned mo, dd;
        civil_from_days(&y, &mo, &dd, days);
        add_months_raw(&y, &mo, &dd, d.n);
        (void)local_to_utc(&r, days_from_civil(y, mo, dd) * DAY + sod);
        return r;
    }
    default:
        return t;
    }
}

int time_date_add_months(int *y, int *m, int *d, unsigned months)
{
    if (!y || !m || !d || !is_real_date(*y, *m, *d, 0)) return -1;
    int64_t yy = *y;
    unsigned mm = (unsigned)*m, dd = (unsigned)*d;
    add_months_raw(&yy, &mm, &dd, months);
    if (yy > 9999) return -1;
    *y = (int)yy;
    *m = (int)mm;
    *d = (int)dd;
    return 0;
}
