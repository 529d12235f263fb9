/*
 * test_time.c: Europe/Paris civil time without the TZ database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/time.h"

static int64_t utc(const char *s)
{
    int64_t t = 0;
    assert_int_equal(time_parse_instant(&t, s), 0);
    return t;
}

static void assert_utc(int64_t t, const char *want)
{
    char buf[21];
    time_format_utc(buf, t);
    assert_string_equal(buf, want);
}

static void test_dst_switch_2026(void **state)
{
    (void)state;
    /* epochs computed independently */
    assert_int_equal(utc("2026-03-29T01:00:00Z"), 1774746000);
    assert_int_equal(utc("2026-10-25T01:00:00Z"), 1792890000);

    assert_int_equal(time_paris_offset(1774746000 - 1), 3600);
    assert_int_equal(time_paris_offset(1774746000), 7200);
    assert_int_equal(time_paris_offset(1792890000 - 1), 7200);
    assert_int_equal(time_paris_offset(1792890000), 3600);
    assert_int_equal(time_paris_offset(utc("2026-01-15T12:00:00Z")), 3600);
    assert_int_equal(time_paris_offset(utc("2026-07-15T12:00:00Z")), 7200);
    assert_int_equal(time_paris_offset(utc("2026-12-31T23:59:59Z")), 3600);
    /* another year: 2027 switches on 28 March and 31 October */
    assert_int_equal(time_paris_offset(utc("2027-03-28T00:59:59Z")), 3600);
    assert_int_equal(time_paris_offset(utc("2027-03-28T01:00:00Z")), 7200);
    assert_int_equal(time_paris_offset(utc("2027-10-31T00:59:59Z")), 7200);
    assert_int_equal(time_paris_offset(utc("2027-10-31T01:00:00Z")), 3600);
}

static void test_start_end_of_day(void **state)
{
    (void)state;
    assert_int_equal(time_paris_start_of_day(2026, 3, 29), 1774738800);
    assert_int_equal(time_paris_end_of_day(2026, 3, 29), 1774821599);
    assert_utc(time_paris_start_of_day(2026, 3, 29), "2026-03-28T23:00:00Z");
    assert_utc(time_paris_end_of_day(2026, 3, 29), "2026-03-29T21:59:59Z");
    assert_utc(time_paris_start_of_day(2026, 3, 28), "2026-03-27T23:00:00Z");
    assert_utc(time_paris_end_of_day(2026, 3, 28), "2026-03-28T22:59:59Z");
    assert_utc(time_paris_start_of_day(2026, 3, 30), "2026-03-29T22:00:00Z");
    assert_utc(time_paris_end_of_day(2026, 3, 30), "2026-03-30T21:59:59Z");
    assert_utc(time_paris_start_of_day(2026, 10, 24), "2026-10-23T22:00:00Z");
    assert_utc(time_paris_end_of_day(2026, 10, 24), "2026-10-24T21:59:59Z");
    assert_utc(time_paris_start_of_day(2026, 10, 25), "2026-10-24T22:00:00Z");
    assert_utc(time_paris_end_of_day(2026, 10, 25), "2026-10-25T22:59:59Z");
    assert_utc(time_paris_start_of_day(2026, 10, 26), "2026-10-25T23:00:00Z");
    assert_utc(time_paris_end_of_day(2026, 10, 26), "2026-10-26T22:59:59Z");
    /* the example attestation */
    assert_int_equal(time_paris_start_of_day(2026, 9, 15), 1789423200);
    assert_int_equal(time_paris_end_of_day(2026, 12, 15), 1797375599);
    /* invalid dates */
    assert_true(time_paris_start_of_day(2026, 2, 30) == INT64_MIN);
    assert_true(time_paris_end_of_day(2026, 13, 1) == INT64_MIN);
}

static void test_leap_years(void **state)
{
    (void)state;
    int y, m, d;
    assert_int_equal(time_parse_date(&y, &m, &d, "2028-02-29"), 0);
    assert_int_equal(y, 2028);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
    assert_int_equal(time_parse_date(&y, &m, &d, "2027-02-29"), -1);
    assert_int_equal(time_parse_date(&y, &m, &d, "1900-02-29"), -1);
    assert_int_equal(time_parse_date(&y, &m, &d, "2000-02-29"), 0);
    assert_int_equal(time_parse_date(&y, &m, &d, "2100-02-29"), -1);
    assert_int_equal(time_parse_date(&y, &m, &d, "2400-02-29"), 0);
    assert_int_equal(time_parse_date(&y, &m, &d, "2026-04-31"), -1);
    assert_int_equal(time_parse_date(&y, &m, &d, "2026-12-31"), 0);
}

static void test_bad_dates(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2026-1-01",
        "2026-13-01",
        "2026-02-30",
        "",
        "2026-01-01x",
        "2026-00-10",
        "2026-01-00",
        "1899-12-31",
        "10000-01-01",
        "99999999999999999999-01-01",
        "2026-01-99999999999999999999",
        "2026/01/01",
        " 2026-01-01",
        "2026-01-01 ",
        "+026-01-01",
        "2026-01-1",
        "2026-01",
        "２０２６-01-01",
        "2026-01-01T00:00:00Z",
    };
    int y = 7, m = 7, d = 7;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (time_parse_date(&y, &m, &d, bad[i]) != -1) fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(y, 7); /* untouched */
    assert_int_equal(time_parse_date(&y, &m, &d, NULL), -1);
    assert_int_equal(time_parse_date(&y, &m, &d, "1900-01-01"), 0);
    assert_int_equal(time_parse_date(&y, &m, &d, "9999-12-31"), 0);
}

static void test_partial_dates(void **state)
{
    (void)state;
    static const char *const good[] = {"1990-04-12", "1990-04", "1990", "2000-02-29", "1900", "9999-12"};
    static const char *const bad[] = {"1990-13", "1990-00",   "1990-4",        "199", "19900",
                                      "1899",    "1990-04-",  "1990-02-30",    "",    "1990-04-12x",
                                      "abcd",    "1990-4-12", "99999999999999"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (time_check_partial_date(good[i])) fail_msg("refused \"%s\"", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!time_check_partial_date(bad[i])) fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(time_check_partial_date(NULL), -1);
}

static void test_parse_instant(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_utc(utc("2026-09-15"), "2026-09-15T10:00:00Z"); /* noon in Paris, CEST */
    assert_utc(utc("2026-01-15"), "2026-01-15T11:00:00Z"); /* noon in Paris, CET */
    assert_utc(utc("2026-01-15T12:00:00Z"), "2026-01-15T12:00:00Z");
    assert_utc(utc("2026-01-15T12:00:00+05:30"), "2026-01-15T06:30:00Z");
    assert_utc(utc("2026-01-15T12:00:00-03:00"), "2026-01-15T15:00:00Z");
    assert_utc(utc("2026-01-15T12:00:00+00:00"), "2026-01-15T12:00:00Z");
    assert_utc(utc("2026-07-15T12:00:00"), "2026-07-15T10:00:00Z");
    assert_utc(utc("2026-01-15T00:00:00"), "2026-01-14T23:00:00Z");
    /* repeated hour in October: the first one (CEST) */
    assert_utc(utc("2026-10-25T02:30:00"), "2026-10-25T00:30:00Z");
    assert_utc(utc("2026-10-25T03:00:00"), "2026-10-25T02:00:00Z");
    /* skipped hour in March */
    assert_int_equal(time_parse_instant(&t, "2026-03-29T02:30:00"), -1);
    assert_utc(utc("2026-03-29T03:00:00"), "2026-03-29T01:00:00Z");
    assert_utc(utc("2026-03-29T01:59:59"), "2026-03-29T00:59:59Z");
    assert_int_equal(utc("@0"), 0);
    assert_int_equal(utc("@-1"), -1);
    assert_int_equal(utc("@1789423200"), 1789423200);
    assert_int_equal(utc("@253402300799"), 253402300799);

    static const char *const bad[] = {
        "",
        "@",
        "@-",
        "@x",
        "@1x",
        "@ 1",
        "@99999999999999999999",
        "@253402300800",
        "@-62167219201",
        "2026-01-01T24:00:00Z",
        "2026-01-01T12:60:00Z",
        "2026-01-01T12:00:60Z",
        "2026-01-01 12:00:00Z",
        "2026-01-01T12:00:00+19:00",
        "2026-01-01T12:00:00+01:0",
        "2026-01-01T12:00:00+01:60",
        "2026-01-01T12:00:00+0100",
        "2026-01-01T12:00Z",
        "2026-01-01T12:00:00z",
        "2026-01-01T12:00:00ZZ",
        "2026-01-01T12:00:00.5Z",
        "2026-01-01T",
        "2026-02-30T12:00:00Z",
        "2026-01-01T12:00:00+01:00x",
        "2026-01-01x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = 42;
        if (time_parse_instant(&t, bad[i]) != -1) fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(t, 42);
    }
    assert_int_equal(time_parse_instant(&t, NULL), -1);
}

static void test_format(void **state)
{
    (void)state;
    char u[21], p[26], d[11];
    time_format_utc(u, 0);
    assert_string_equal(u, "1970-01-01T00:00:00Z");
    time_format_paris(p, 0);
    assert_string_equal(p, "1970-01-01T01:00:00+01:00");
    time_format_paris(p, utc("2026-07-01T10:00:00Z"));
    assert_string_equal(p, "2026-07-01T12:00:00+02:00");
    time_format_paris(p, 1792890000 - 1);
    assert_string_equal(p, "2026-10-25T02:59:59+02:00");
    time_format_paris(p, 1792890000);
    assert_string_equal(p, "2026-10-25T02:00:00+01:00");
    time_format_utc(u, -1);
    assert_string_equal(u, "1969-12-31T23:59:59Z");
    /* the end of a day in Paris is the next UTC day only in winter */
    time_paris_date(d, utc("2026-12-31T23:30:00Z"));
    assert_string_equal(d, "2027-01-01");
    time_paris_date(d, utc("2026-06-30T21:59:59Z"));
    assert_string_equal(d, "2026-06-30");
    time_paris_date(d, utc("2026-06-30T22:00:00Z"));
    assert_string_equal(d, "2026-07-01");
    /* extremes are clamped, never overflow the buffers */
    time_format_utc(u, INT64_MAX);
    assert_string_equal(u, "9999-12-31T23:59:59Z");
    time_format_utc(u, INT64_MIN);
    assert_string_equal(u, "0000-01-01T00:00:00Z");
    time_format_paris(p, INT64_MAX);
    assert_string_equal(p, "9999-12-31T23:59:59+01:00");
    time_format_paris(p, INT64_MIN);
    assert_string_equal(p, "0000-01-01T00:00:00+01:00");
    time_paris_date(d, INT64_MAX);
    assert_string_equal(d, "9999-12-31");
    time_paris_date(d, INT64_MIN);
    assert_string_equal(d, "0000-01-01");
    assert_int_equal(time_paris_offset(INT64_MAX), 3600);
    assert_int_equal(time_paris_offset(INT64_MIN), 3600);
}

static void test_duration_parse(void **state)
{
    (void)state;
    time_duration d;
    static const struct {
        const char *s;
        unsigned n;
        char unit;
    } good[] = {{"15d", 15, 'd'}, {"2w", 2, 'w'}, {"3m", 3, 'm'},          {"24h", 24, 'h'},
                {"60s", 60, 's'}, {"1s", 1, 's'}, {"100000d", 100000, 'd'}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(time_parse_duration(&d, good[i].s), 0);
        assert_int_equal(d.n, good[i].n);
        assert_int_equal(d.unit, good[i].unit);
    }
    static const char *const bad[] = {"",     "d",   "0d",   "15", "15x", "-1d",     "+1d",
                                      " 1d",  "1d ", "015d", "1D", "1dd", "100001d", "99999999999999999999d",
                                      "1.5d", "1 d"};
    d.n = 77;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (time_parse_duration(&d, bad[i]) != -1) fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(d.n, 77);
    assert_int_equal(time_parse_duration(&d, NULL), -1);
}

static void check_add_months(int y, int m, int d, unsigned n, int wy, int wm, int wd)
{
    assert_int_equal(time_date_add_months(&y, &m, &d, n), 0);
    assert_int_equal(y, wy);
    assert_int_equal(m, wm);
    assert_int_equal(d, wd);
}

static void test_month_clamping(void **state)
{
    (void)state;
    check_add_months(2026, 1, 31, 1, 2026, 2, 28);
    check_add_months(2028, 1, 31, 1, 2028, 2, 29);
    check_add_months(2026, 3, 31, 1, 2026, 4, 30);
    check_add_months(2026, 11, 30, 3, 2027, 2, 28);
    check_add_months(2028, 2, 29, 12, 2029, 2, 28);
    check_add_months(2026, 9, 15, 3, 2026, 12, 15);
    check_add_months(2026, 12, 15, 1, 2027, 1, 15);
    check_add_months(2026, 5, 10, 0, 2026, 5, 10);
    check_add_months(2026, 1, 1, 120, 2036, 1, 1);
    int y = 9999, m = 12, d = 1;
    assert_int_equal(time_date_add_months(&y, &m, &d, 1), -1);
    assert_int_equal(y, 9999);
    y = 2026, m = 2, d = 30;
    assert_int_equal(time_date_add_months(&y, &m, &d, 1), -1);
    y = 2026, m = 1, d = 1;
    assert_int_equal(time_date_add_months(&y, &m, &d, 100000), -1);
}

static int64_t add(const char *when, const char *dur)
{
    time_duration d;
    assert_int_equal(time_parse_duration(&d, dur), 0);
    return time_add_duration(utc(when), d);
}

static void assert_paris(int64_t t, const char *want)
{
    char buf[26];
    time_format_paris(buf, t);
    assert_string_equal(buf, want);
}

static void test_add_duration(void **state)
{
    (void)state;
    assert_paris(add("2026-01-31T12:00:00", "1m"), "2026-02-28T12:00:00+01:00");
    assert_paris(add("2026-03-31T23:30:00", "1m"), "2026-04-30T23:30:00+02:00");
    assert_paris(add("2026-09-15T00:00:00", "3m"), "2026-12-15T00:00:00+01:00");
    /* civil days across the March switch: 23 hours, same local time */
    assert_paris(add("2026-03-28T12:00:00", "1d"), "2026-03-29T12:00:00+02:00");
    assert_int_equal(add("2026-03-28T12:00:00", "1d") - utc("2026-03-28T12:00:00"), 23 * 3600);
    assert_paris(add("2026-10-24T12:00:00", "1w"), "2026-10-31T12:00:00+01:00");
    /* hours and seconds are elapsed time */
    assert_paris(add("2026-03-28T12:00:00", "24h"), "2026-03-29T13:00:00+02:00");
    assert_int_equal(add("2026-03-28T12:00:00", "60s") - utc("2026-03-28T12:00:00"), 60);
    /* landing in the skipped hour: one hour later */
    assert_paris(add("2026-01-29T02:30:00", "2m"), "2026-03-29T03:30:00+02:00");
    assert_paris(add("2026-03-28T02:30:00", "1d"), "2026-03-29T03:30:00+02:00");
    /* bad unit: unchanged */
    time_duration bad = {5, 'x'};
    assert_int_equal(time_add_duration(1000, bad), 1000);
    /* no overflow at the extremes */
    time_duration big = {100000, 'm'};
    (void)time_add_duration(INT64_MAX, big);
    (void)time_add_duration(INT64_MIN, big);
}

static int dim(int y, int m)
{
    static const int t[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : t[m - 1];
}

static void test_round_trip_every_day(void **state)
{
    (void)state;
    int64_t prev_end = time_paris_end_of_day(1989, 12, 31);
    int days = 0;
    for (int y = 1990; y <= 2100; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= dim(y, m); d++) {
                char want[40], got[11];
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                int py, pm, pd;
                assert_int_equal(time_parse_date(&py, &pm, &pd, want), 0);
                assert_true(py == y && pm == m && pd == d);
                int64_t s = time_paris_start_of_day(y, m, d), e = time_paris_end_of_day(y, m, d);
                assert_true(s == prev_end + 1);
                int64_t len = e - s + 1;
                assert_true(len == 86400 || len == 82800 || len == 90000);
                time_paris_date(got, s);
                assert_string_equal(got, want);
                time_paris_date(got, e);
                assert_string_equal(got, want);
                time_paris_date(got, s - 1);
                assert_string_not_equal(got, want);
                int64_t noon = 0;
                assert_int_equal(time_parse_instant(&noon, want), 0);
                time_paris_date(got, noon);
                assert_string_equal(got, want);
                prev_end = e;
                days++;
            }
        }
    }
    assert_int_equal(days, 40542); /* 111 years, 27 of them leap */
}

/* The HTTP date against RFC 9110's example and the C library's gmtime_r and strftime (C locale). */
static void test_format_http(void **state)
{
    (void)state;
    char h[30], ref[64];
    time_format_http(h, 784111777);
    assert_string_equal(h, "Sun, 06 Nov 1994 08:49:37 GMT");
    time_format_http(h, -1);
    assert_string_equal(h, "Wed, 31 Dec 1969 23:59:59 GMT");
    time_format_http(h, INT64_MAX);
    assert_string_equal(h, "Fri, 31 Dec 9999 23:59:59 GMT");
    time_format_http(h, INT64_MIN);
    assert_string_equal(h, "Sat, 01 Jan 0000 00:00:00 GMT");
    for (int64_t t = -2208988800; t < 4102444800; t += 86400 * 7 + 3601 * 5 + 17) {
        time_t tt = (time_t)t;
        struct tm tm;
        assert_non_null(gmtime_r(&tt, &tm));
        assert_true(strftime(ref, sizeof ref, "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0);
        time_format_http(h, t);
        assert_string_equal(h, ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dst_switch_2026), cmocka_unit_test(test_start_end_of_day),
        cmocka_unit_test(test_leap_years),      cmocka_unit_test(test_bad_dates),
        cmocka_unit_test(test_partial_dates),   cmocka_unit_test(test_parse_instant),
        cmocka_unit_test(test_format),          cmocka_unit_test(test_format_http),
        cmocka_unit_test(test_duration_parse),  cmocka_unit_test(test_month_clamping),
        cmocka_unit_test(test_add_duration),    cmocka_unit_test(test_round_trip_every_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
