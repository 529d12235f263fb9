/*
 * test_idxperm.c: status-list indices come from a keyed permutation of
 * [0, 2^21): every counter gets a distinct index, the sequence depends on
 * the seed, and it does not follow issuance order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "issuer/idxperm.h"

static void seed_of(uint8_t seed[IDXPERM_SEED_LEN], uint8_t b)
{
    memset(seed, b, IDXPERM_SEED_LEN);
}

static void test_bijection(void **state)
{
    (void)state;
    uint8_t seed[IDXPERM_SEED_LEN];
    seed_of(seed, 0x5e);
    uint8_t *seen = calloc(IDXPERM_SIZE / 8, 1);
    assert_non_null(seen);
    size_t distinct = 0, fixed_points = 0;
    for (uint32_t n = 0; n < IDXPERM_SIZE; n++) {
        uint32_t v = idxperm_map(seed, n);
        if (v >= IDXPERM_SIZE) fail_msg("counter %u -> %u, out of range", n, v);
        if (seen[v / 8] & (1u << (v % 8))) fail_msg("counter %u -> %u, already given", n, v);
        seen[v / 8] |= (uint8_t)(1u << (v % 8));
        distinct++;
        if (v == n) fixed_points++;
    }
    assert_int_equal(distinct, IDXPERM_SIZE);
    for (size_t i = 0; i < IDXPERM_SIZE / 8; i++) assert_int_equal(seen[i], 0xff);
    free(seen);
    /* a random permutation has about one fixed point */
    print_message("fixed points: %zu\n", fixed_points);
    assert_true(fixed_points < 20);
}

/* A restore finds the counter of a published index: unmap undoes map, over the whole list. */
static void test_unmap(void **state)
{
    (void)state;
    uint8_t seed[IDXPERM_SEED_LEN];
    seed_of(seed, 0x77);
    for (uint32_t n = 0; n < IDXPERM_SIZE; n += 7) {
        uint32_t v = idxperm_map(seed, n);
        if (idxperm_unmap(seed, v) != n) fail_msg("counter %u -> %u -> %u", n, v, idxperm_unmap(seed, v));
    }
    assert_int_equal(idxperm_map(seed, idxperm_unmap(seed, IDXPERM_SIZE - 1)), IDXPERM_SIZE - 1);
}

static void test_depends_on_seed(void **state)
{
    (void)state;
    uint8_t a[IDXPERM_SEED_LEN], b[IDXPERM_SEED_LEN];
    seed_of(a, 0x5e);
    seed_of(b, 0x5e);
    b[31] ^= 1; /* one bit of difference */
    size_t same = 0;
    for (uint32_t n = 0; n < 10000; n++) {
        uint32_t x = idxperm_map(a, n), y = idxperm_map(b, n);
        if (x == y) same++;
        /* deterministic */
        assert_int_equal(x, idxperm_map(a, n));
    }
    print_message("same index under two seeds: %zu of 10000\n", same);
    assert_true(same < 10);
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static void test_not_in_order(void **state)
{
    (void)state;
    uint8_t seed[IDXPERM_SEED_LEN];
    seed_of(seed, 0x01);
    uint32_t v[1000], sorted[1000];
    size_t ascents = 0;
    for (uint32_t n = 0; n < 1000; n++) {
        v[n] = idxperm_map(seed, n);
        if (n && v[n] > v[n - 1]) ascents++;
    }
    memcpy(sorted, v, sizeof v);
    qsort(sorted, 1000, sizeof sorted[0], cmp_u32);
    assert_memory_not_equal(sorted, v, sizeof v);
    /* about half of the steps go up in a random order */
    print_message("ascents among the first 1000: %zu\n", ascents);
    assert_true(ascents > 400 && ascents < 600);
    /* the first indices are spread over the whole range, not packed at the start */
    uint32_t max = sorted[999], min = sorted[0];
    assert_true(max > IDXPERM_SIZE / 2);
    assert_true(min < IDXPERM_SIZE / 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bijection),
        cmocka_unit_test(test_unmap),
        cmocka_unit_test(test_depends_on_seed),
        cmocka_unit_test(test_not_in_order),
    };
    return cmocka_run_group_tests_name("idxperm", tests, NULL, NULL);
}
