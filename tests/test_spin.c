/*
 * test_spin.c - the adaptive spin of the library's waits (libclient/spin.h):
 * full at first and after any wait a spin ended, halved by each wait that
 * slept down to none, and then a full probe once in SPIN_PROBE_EVERY waits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "spin.h"

static void
full_at_first_and_halved_by_each_wait_that_slept(void **state)
{
	struct spin_state s;
	unsigned i;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < SPIN_HALVINGS; i++) {
		assert_int_equal(spin_budget_ns(&s), SPIN_FULL_NS >> i);
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
a_wait_the_spin_ended_restores_it_in_full(void **state)
{
	struct spin_state s;
	unsigned i;

	(void)state;
	memset(&s, 0, sizeof(s));
	spin_learn(&s, false);
	spin_learn(&s, false);
	assert_int_equal(spin_budget_ns(&s), SPIN_FULL_NS / 4);
	spin_learn(&s, true);
	assert_int_equal(spin_budget_ns(&s), SPIN_FULL_NS);
	/* from no spin at all: the probe that pays brings it back */
	for (i = 0; i < SPIN_HALVINGS; i++)
		spin_learn(&s, false);
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
		cmocka_unit_test(full_at_first_and_halved_by_each_wait_that_slept),
		cmocka_unit_test(a_wait_the_spin_ended_restores_it_in_full),
	};

	return cmocka_run_group_tests_name("spin", tests, NULL, NULL);
}
