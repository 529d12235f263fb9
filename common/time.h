/*
 * time.h: dates and instants in Europe/Paris civil time, without the
 * TZ database.
 *
 * Everything here is pure arithmetic (proleptic Gregorian calendar,
 * days-from-civil), deterministic and thread-safe: no TZ, no localtime(),
 * no global state. Instants are int64_t seconds since 1970-01-01T00:00:00Z
 * (leap seconds ignored, as in POSIX time).
 *
 * The Paris rule is the EU one, applied to every year: CET = UTC+1, and
 * CEST = UTC+2 from the last Sunday of March 01:00 UTC (inclusive) to the
 * last Sunday of October 01:00 UTC (exclusive). It has been the law since
 * 1996; earlier instants get it too, which is wrong for history but right
 * for this system (it only deals with recent and future dates).
 *
 * Local times that do not exist (the hour skipped in March) and local times
 * that happen twice (the hour repeated in October) only arise between
 * 02:00 and 03:00 local on the switch days. Midnight, noon and 23:59:59
 * are never affected.
 *
 * Formatting functions clamp to the years 0000..9999 so that their fixed
 * size outputs always hold.
 */
#ifndef API_APITIME_H
#define API_APITIME_H

#include <stdint.h>

/*
 * Strict "YYYY-MM-DD": exactly 10 characters, a real calendar date, year
 * 1900..9999. Sets *y, *m, *d only on success. 0 or -1.
 */
int time_parse_date(int *y, int *m, int *d, const char *s);

/*
 * A possibly partial date, for birth dates: "YYYY-MM-DD", "YYYY-MM" or
 * "YYYY", each part real (year 1900..9999, month 01..12, day valid in that
 * month). 0 or -1.
 */
int time_check_partial_date(const char *s);

/*
 * 00:00:00 and 23:59:59 Europe/Paris of a date, as epoch seconds. The date
 * must be a real one (month 1..12, day valid in the month); otherwise
 * INT64_MIN is returned.
 */
int64_t time_paris_start_of_day(int y, int m, int d);
int64_t time_paris_end_of_day(int y, int m, int d);

/* The Europe/Paris calendar date of instant t as "YYYY-MM-DD" and a NUL. */
void time_paris_date(char out[11], int64_t t);

/* The offset of Europe/Paris from UTC at instant t: 3600 or 7200 seconds. */
int time_paris_offset(int64_t t);

/*
 * Parses an instant. Accepted forms (strict, nothing else around them):
 *   "YYYY-MM-DD"                 12:00:00 Europe/Paris that day
 *   "YYYY-MM-DDTHH:MM:SSZ"       UTC
 *   "YYYY-MM-DDTHH:MM:SS+HH:MM"  with an explicit offset (also "-HH:MM";
 *                                offset at most 18:00)
 *   "YYYY-MM-DDTHH:MM:SS"        Europe/Paris local time; a local time
 *                                skipped by the March switch is refused, a
 *                                repeated one means the first (CEST)
 *   "@SECONDS"                   epoch seconds, optionally negative, within
 *                                the years 0000..9999
 * Dates follow time_parse_date (years 1900..9999); HH 00..23, MM and SS
 * 00..59 (no leap second). Sets *t only on success. 0 or -1.
 */
int time_parse_instant(int64_t *t, const char *s);

/* "YYYY-MM-DDTHH:MM:SSZ" and a NUL. */
void time_format_utc(char out[21], int64_t t);

/*
 * The HTTP date of RFC 9110 (IMF-fixdate), "Sun, 06 Nov 1994 08:49:37 GMT"
 * and a NUL, without the C library's time zone lock.
 */
void time_format_http(char out[30], int64_t t);

/* Europe/Paris local time with its offset, "YYYY-MM-DDTHH:MM:SS+01:00". */
void time_format_paris(char out[26], int64_t t);

/*
 * A duration as written on command lines and in configuration files.
 * unit: 'd' days, 'w' weeks, 'm' calendar months, 'h' hours, 's' seconds.
 */
typedef struct {
    unsigned n;
    char unit;
} time_duration;

/*
 * Parses "15d", "2w", "3m", "24h", "60s": a decimal number 1..100000
 * without sign or leading zero, then the unit letter (lower case), then
 * nothing. Sets *d only on success. 0 or -1.
 */
int time_parse_duration(time_duration *d, const char *s);

/*
 * t + d. Hours and seconds are elapsed time. Days, weeks and months are
 * civil: the same Europe/Paris local time of day, that many calendar days
 * (weeks = 7 days) or calendar months later; months are clamped to the
 * last day of the target month (2026-01-31 + 1m = 2026-02-28). If the
 * local time falls in the hour skipped in March, the result is one hour
 * later (as mktime does). A duration with another unit returns t.
 */
int64_t time_add_duration(int64_t t, time_duration d);

/*
 * Adds months to a real calendar date, clamping the day to the last day of
 * the target month (2026-01-31 + 1 = 2026-02-28, 2028-01-31 + 1 =
 * 2028-02-29). -1 (and nothing changed) if the date is not real or the
 * result is after the year 9999; 0 otherwise.
 */
int time_date_add_months(int *y, int *m, int *d, unsigned months);

#endif
