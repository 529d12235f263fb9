/*
 * test_clientaddr.c: the client address behind a request for the
 * anonymous rate limit: the peer, or, through trusted proxies only, the
 * address X-Forwarded-For names, read from the right; and the bucket of
 * an address (IPv4 address, IPv6 /64).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/clientaddr.h"

static void addr(uint8_t out[CLIENTADDR_LEN], const char *s)
{
    assert_int_equal(clientaddr_parse(out, s, strlen(s)), 0);
}

/* resolve, formatted back as text */
static const char *who(const char *peer, const char *xff, const char *const *trusted, size_t n)
{
    static char text[CLIENTADDR_TEXT_MAX];
    uint8_t t[4][CLIENTADDR_LEN], out[CLIENTADDR_LEN];
    for (size_t i = 0; i < n; i++) addr(t[i], trusted[i]);
    if (clientaddr_resolve(out, peer, xff, (const uint8_t(*)[CLIENTADDR_LEN])t, n) != 0) return "error";
    clientaddr_format(text, out);
    return text;
}

static void test_parse(void **state)
{
    (void)state;
    uint8_t a[CLIENTADDR_LEN], b[CLIENTADDR_LEN];
    addr(a, "192.0.2.1");
    addr(b, "::ffff:192.0.2.1");
    assert_memory_equal(a, b, CLIENTADDR_LEN); /* IPv4 is IPv4-mapped */
    addr(a, "2001:db8::1");
    char text[CLIENTADDR_TEXT_MAX];
    clientaddr_format(text, a);
    assert_string_equal(text, "2001:db8::1");
    static const char *const bad[] = {
        "",        "192.0.2",    "192.0.2.1:80",
        "[::1]",   "::1%lo",     "300.1.1.1",
        "unknown", "192.0.2.1 ", "1234567890123456789012345678901234567890123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (clientaddr_parse(a, bad[i], strlen(bad[i])) == 0) fail_msg("'%s' parsed", bad[i]);
    assert_int_equal(clientaddr_parse(a, NULL, 0), -1);
}

static void test_untrusted_peer(void **state)
{
    (void)state;
    const char *proxies[] = {"10.0.0.1"};
    assert_string_equal(who("192.0.2.7", NULL, proxies, 1), "192.0.2.7");
    /* anybody can write X-Forwarded-For: ignored unless the peer is a trusted proxy */
    assert_string_equal(who("192.0.2.7", "203.0.113.9", proxies, 1), "192.0.2.7");
    assert_string_equal(who("192.0.2.7", "203.0.113.9", NULL, 0), "192.0.2.7");
    assert_string_equal(who("not an address", NULL, NULL, 0), "error");
}

static void test_trusted_proxies(void **state)
{
    (void)state;
    const char *one[] = {"127.0.0.1"};
    assert_string_equal(who("127.0.0.1", "203.0.113.9", one, 1), "203.0.113.9");
    assert_string_equal(who("127.0.0.1", NULL, one, 1), "127.0.0.1");
    assert_string_equal(who("127.0.0.1", "", one, 1), "127.0.0.1");
    /* the right-most entry is the one the proxy appended; what the client wrote before it is not believed */
    assert_string_equal(who("127.0.0.1", "198.51.100.1, 203.0.113.9", one, 1), "203.0.113.9");
    /* a chain of trusted proxies is walked through */
    const char *two[] = {"127.0.0.1", "10.0.0.2"};
    assert_string_equal(who("127.0.0.1", "198.51.100.1,203.0.113.9, 10.0.0.2", two, 2), "203.0.113.9");
    assert_string_equal(who("127.0.0.1", "10.0.0.2", two, 2), "10.0.0.2"); /* all trusted: the left-most */
    /* garbage stops the walk at the last address known good */
    assert_string_equal(who("127.0.0.1", "203.0.113.9, garbage", one, 1), "127.0.0.1");
    assert_string_equal(who("127.0.0.1", "203.0.113.9, 10.0.0.2:443", two, 2), "127.0.0.1");
    assert_string_equal(who("127.0.0.1", "198.51.100.1,,10.0.0.2", two, 2), "10.0.0.2");
    assert_string_equal(who("127.0.0.1", "2001:db8::7", one, 1), "2001:db8::7");
    const char *v6[] = {"::1"};
    assert_string_equal(who("::1", "192.0.2.44", v6, 1), "192.0.2.44");
}

static void test_buckets(void **state)
{
    (void)state;
    uint8_t a[CLIENTADDR_LEN], b[CLIENTADDR_LEN], ka[9], kb[9];
    addr(a, "192.0.2.1");
    addr(b, "192.0.2.2");
    size_t la = clientaddr_bucket(ka, a), lb = clientaddr_bucket(kb, b);
    assert_int_equal(la, 5);
    assert_false(la == lb && memcmp(ka, kb, la) == 0);
    /* one /64: one bucket */
    addr(a, "2001:db8:1:2::1");
    addr(b, "2001:db8:1:2:ffff:ffff:ffff:ffff");
    la = clientaddr_bucket(ka, a);
    lb = clientaddr_bucket(kb, b);
    assert_int_equal(la, 9);
    assert_true(la == lb && memcmp(ka, kb, la) == 0);
    addr(b, "2001:db8:1:3::1");
    lb = clientaddr_bucket(kb, b);
    assert_false(memcmp(ka, kb, la) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_untrusted_peer),
        cmocka_unit_test(test_trusted_proxies),
        cmocka_unit_test(test_buckets),
    };
    return cmocka_run_group_tests_name("clientaddr", tests, NULL, NULL);
}
