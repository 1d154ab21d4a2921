/*
 * test_liveness_rule.c - the one liveness rule of common/liveness.h, fed
 * with samples: stale after checks adding up to the threshold and never
 * before the threshold has passed since the counter last moved, alive at
 * the first check that sees it move, and the daemon line's freshness.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>

#include "layout.h"
#include "liveness.h"

#define MS UINT64_C(1000000)

static void
stale_after_checks_adding_up_to_the_threshold(void **state)
{
	struct live_counts c;
	uint64_t now = 1000 * MS;
	int i;

	live_start(&c, 5, now);
	for (i = 1; i < 10; i++) {
		now += 10 * MS;
		assert_int_equal(live_judge(&c, 5, now, 10, 100, NULL), SEG_EP_ALIVE);
	}
	now += 10 * MS;
	assert_int_equal(live_judge(&c, 5, now, 10, 100, NULL), SEG_EP_STALE);
	assert_int_equal(c.silent_ms, 100);
	assert_int_equal(c.state, SEG_EP_STALE);
}

static void
alive_again_at_the_first_check_that_sees_a_move(void **state)
{
	struct live_counts c;
	uint64_t now = 0;
	int i;

	live_start(&c, 0, now);
	for (i = 0; i < 20; i++) {
		now += 10 * MS;
		live_judge(&c, 0, now, 10, 50, NULL);
	}
	assert_int_equal(c.state, SEG_EP_STALE);
	now += 10 * MS;
	assert_int_equal(live_judge(&c, 1, now, 10, 50, NULL), SEG_EP_ALIVE);
	assert_int_equal(c.silent_ms, 0);
	assert_int_equal(c.change_mono_ns, now);
}

static void
punctual_checks_after_a_late_one_do_not_count_time_that_did_not_pass(void **state)
{
	struct live_counts c;
	uint64_t now = 0, due = UINT64_MAX;

	/* The counter moved at t=0; a checker that ran its ten checks in a
	 * burst (catching up) counts 100 ms of silence by t=20 ms: the floor
	 * keeps the verdict back, and says when it is due. */
	live_start(&c, 7, now);
	for (int i = 0; i < 10; i++) {
		now += 2 * MS;
		assert_int_equal(live_judge(&c, 7, now, 10, 100, &due), SEG_EP_ALIVE);
	}
	assert_true(c.silent_ms >= 100);
	assert_int_equal(due, 100 * MS);
	/* An extra check (interval 0) at the due time gives the verdict
	 * without counting more silence. */
	assert_int_equal(live_judge(&c, 7, 100 * MS, 0, 100, NULL), SEG_EP_STALE);
}

static void
an_extra_check_counts_no_silence(void **state)
{
	struct live_counts c;

	live_start(&c, 1, 0);
	assert_int_equal(live_judge(&c, 1, 500 * MS, 0, 100, NULL), SEG_EP_ALIVE);
	assert_int_equal(c.silent_ms, 0);
}

static void
a_delayed_checker_never_declares_early(void **state)
{
	struct live_counts c;
	uint64_t now = 0;

	/* Checks come every 30 ms though the interval says 10: it counts
	 * fewer checks than time passed, so the verdict comes later, never
	 * sooner than the threshold. */
	live_start(&c, 3, now);
	while (c.state == SEG_EP_ALIVE) {
		now += 30 * MS;
		live_judge(&c, 3, now, 10, 100, NULL);
	}
	assert_true(now >= 100 * MS);
	assert_int_equal(c.silent_ms, 100);
}

static void
silence_saturates_instead_of_wrapping(void **state)
{
	struct live_counts c;

	live_start(&c, 0, 0);
	c.silent_ms = UINT32_MAX - 5;
	live_judge(&c, 0, 1, 10, 100, NULL);
	assert_int_equal(c.silent_ms, UINT32_MAX);
}

static void
daemon_line_fresh_for_three_intervals_and_at_least_100_ms(void **state)
{
	uint64_t pass = 10000 * MS;

	assert_false(live_daemon_fresh(0, 10, pass));
	assert_true(live_daemon_fresh(pass, 10, pass + 100 * MS));
	assert_false(live_daemon_fresh(pass, 10, pass + 101 * MS));
	assert_true(live_daemon_fresh(pass, 1000, pass + 3000 * MS));
	assert_false(live_daemon_fresh(pass, 1000, pass + 3001 * MS));
	/* stamped by a clock read just after the caller's */
	assert_true(live_daemon_fresh(pass + 5 * MS, 10, pass));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stale_after_checks_adding_up_to_the_threshold),
		cmocka_unit_test(alive_again_at_the_first_check_that_sees_a_move),
		cmocka_unit_test(punctual_checks_after_a_late_one_do_not_count_time_that_did_not_pass),
		cmocka_unit_test(an_extra_check_counts_no_silence),
		cmocka_unit_test(a_delayed_checker_never_declares_early),
		cmocka_unit_test(silence_saturates_instead_of_wrapping),
		cmocka_unit_test(daemon_line_fresh_for_three_intervals_and_at_least_100_ms),
	};

	return cmocka_run_group_tests_name("liveness_rule", tests, NULL, NULL);
}
