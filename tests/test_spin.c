/*
 * test_spin.c - the adaptive spin of the library's waits (libclient/spin.h):
 * a full spin at first and after any wait a spin ended, none after
 * SPIN_MISSES waits in a row that slept, and then a full probe once in
 * SPIN_PROBE_EVERY waits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "spin.h"

/* @n waits that slept. */
static void
sp_miss(struct spin_state *s, unsigned n)
{
	while (n-- > 0)
		spin_learn(s, false);
}

static void
spins_until_waits_in_a_row_slept_then_probes(void **state)
{
	struct spin_state s;
	unsigned i;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < SPIN_MISSES; i++) {
		assert_int_equal(spin_budget_ns(&s), SPIN_FULL_NS);
		spin_learn(&s, false);
	}
	/* none now, then one probe in SPIN_PROBE_EVERY waits */
	for (i = 1; i < 3 * SPIN_PROBE_EVERY; i++) {
		uint64_t want = i % SPIN_PROBE_EVERY == 0 ? SPIN_FULL_NS : 0;

		assert_int_equal(spin_budget_ns(&s), want);
		spin_learn(&s, false);
	}
}

static void
a_wait_the_spin_ended_brings_it_back(void **state)
{
	struct spin_state s;
	unsigned i;

	(void)state;
	memset(&s, 0, sizeof(s));
	/* a peer that answers within the spin only now and then keeps it */
	for (i = 0; i < 10; i++) {
		sp_miss(&s, SPIN_MISSES - 1);
		spin_learn(&s, true);
		assert_int_equal(spin_budget_ns(&s), SPIN_FULL_NS);
	}
	/* from no spin at all: the probe that pays brings it back */
	sp_miss(&s, SPIN_MISSES);
	for (i = 1; i < SPIN_PROBE_EVERY; i++)
		assert_int_equal(spin_budget_ns(&s), 0);
	assert_int_equal(spin_budget_ns(&s), SPIN_FULL_NS);
	spin_learn(&s, true);
	for (i = 0; i < 4; i++) {
		assert_int_equal(spin_budget_ns(&s), SPIN_FULL_NS);
		spin_learn(&s, true);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spins_until_waits_in_a_row_slept_then_probes),
		cmocka_unit_test(a_wait_the_spin_ended_brings_it_back),
	};

	return cmocka_run_group_tests_name("spin", tests, NULL, NULL);
}
