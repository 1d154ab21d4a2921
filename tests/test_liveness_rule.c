/*
 * test_liveness_rule.c - the one liveness rule of common/liveness.h, fed
 * with samples: stale once the checks since the last beat count up to the
 * threshold, each counting at most one interval; a beat dated by its
 * holder only between the checks around it; alive at the first check
 * that sees a move; and the daemon line's freshness.
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
		assert_int_equal(live_judge(&c, 5, 0, now, 10, 100), SEG_EP_ALIVE);
	}
	now += 10 * MS;
	assert_int_equal(live_judge(&c, 5, 0, now, 10, 100), SEG_EP_STALE);
	assert_int_equal(live_silent_ms(&c), 100);
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
		live_judge(&c, 0, 0, now, 10, 50);
	}
	assert_int_equal(c.state, SEG_EP_STALE);
	now += 10 * MS;
	assert_int_equal(live_judge(&c, 1, 0, now, 10, 50), SEG_EP_ALIVE);
	assert_int_equal(live_silent_ms(&c), 0);
	assert_int_equal(c.change_mono_ns, now);
}

static void
checks_in_a_burst_count_only_the_time_that_passed(void **state)
{
	struct live_counts c;
	uint64_t now = 0;
	int i;

	/* The counter moved at t=0; a checker catching up runs ten checks
	 * 2 ms apart: they count 20 ms, not ten intervals. */
	live_start(&c, 7, now);
	for (i = 0; i < 10; i++) {
		now += 2 * MS;
		assert_int_equal(live_judge(&c, 7, 0, now, 10, 100), SEG_EP_ALIVE);
	}
	assert_int_equal(live_silent_ms(&c), 20);
	while (c.state == SEG_EP_ALIVE) {
		now += 10 * MS;
		live_judge(&c, 7, 0, now, 10, 100);
	}
	assert_int_equal(now, 100 * MS);
}

static void
a_check_of_interval_zero_counts_no_silence(void **state)
{
	struct live_counts c;

	live_start(&c, 1, 0);
	assert_int_equal(live_judge(&c, 1, 0, 500 * MS, 0, 100), SEG_EP_ALIVE);
	assert_int_equal(live_silent_ms(&c), 0);
}

static void
a_delayed_checker_never_declares_early(void **state)
{
	struct live_counts c;
	uint64_t now = 0;

	/* Checks come every 30 ms though the interval says 10: each counts
	 * one interval, so the verdict comes later, never sooner than the
	 * threshold. */
	live_start(&c, 3, now);
	while (c.state == SEG_EP_ALIVE) {
		now += 30 * MS;
		live_judge(&c, 3, 0, now, 10, 100);
	}
	assert_int_equal(now, 300 * MS);
	assert_int_equal(live_silent_ms(&c), 100);
}

static void
a_dated_beat_makes_the_verdict_due_at_its_date_plus_the_threshold(void **state)
{
	struct live_counts c;
	uint64_t now = 0;
	int i;

	/* The check at 10 ms sees a beat dated 3 ms: the silence counts
	 * from 3 ms, and an extra check is due at 3 + 51 ms, before the
	 * counting check at 60 ms. */
	live_start(&c, 1, now);
	now += 10 * MS;
	assert_int_equal(live_judge(&c, 2, 3 * MS, now, 10, 51), SEG_EP_ALIVE);
	assert_int_equal(c.change_mono_ns, 3 * MS);
	assert_int_equal(live_silent_ms(&c), 7);
	assert_int_equal(c.due_ns, 0);
	for (i = 0; i < 4; i++) {
		now += 10 * MS;
		assert_int_equal(live_judge(&c, 2, 3 * MS, now, 10, 51), SEG_EP_ALIVE);
	}
	assert_int_equal(c.due_ns, 54 * MS);
	assert_int_equal(live_judge(&c, 2, 3 * MS, 53 * MS, 10, 51), SEG_EP_ALIVE);
	assert_int_equal(c.due_ns, 54 * MS);
	assert_int_equal(live_judge(&c, 2, 3 * MS, 54 * MS, 10, 51), SEG_EP_STALE);
	assert_int_equal(c.due_ns, 0);
}

static void
a_counter_that_moves_at_every_check_never_asks_for_an_extra_one(void **state)
{
	struct live_counts c;
	uint64_t now = 0;
	int i;

	/* A threshold shorter than the interval, a beat dated just after
	 * each check: each check sees a move and asks for nothing, so a
	 * holder (or a vandal) moving its counter costs no extra pass. */
	live_start(&c, 0, now);
	for (i = 1; i <= 100; i++) {
		now += 10 * MS;
		assert_int_equal(live_judge(&c, (uint64_t)i, now - 9 * MS, now, 10, 2), SEG_EP_ALIVE);
		assert_int_equal(c.due_ns, 0);
	}
}

static void
a_date_outside_the_checks_around_the_beat_is_not_believed(void **state)
{
	struct live_counts c;

	/* Before the check that last saw the old counter: the beat cannot
	 * have happened then, so the check that sees the move dates it. */
	live_start(&c, 1, 100 * MS);
	live_judge(&c, 2, 95 * MS, 110 * MS, 10, 51);
	assert_int_equal(c.change_mono_ns, 110 * MS);
	/* In the future (another time namespace, or a lie). */
	live_judge(&c, 3, 500 * MS, 120 * MS, 10, 51);
	assert_int_equal(c.change_mono_ns, 120 * MS);
	/* Not dated. */
	live_judge(&c, 4, 0, 130 * MS, 10, 51);
	assert_int_equal(c.change_mono_ns, 130 * MS);
	/* Inside: believed. */
	live_judge(&c, 5, 131 * MS, 140 * MS, 10, 51);
	assert_int_equal(c.change_mono_ns, 131 * MS);
}

static void
a_stalled_machine_counts_one_interval_for_an_old_date(void **state)
{
	struct live_counts c;

	/* The holder beat just after the check at 0, then nothing ran for
	 * 200 ms: the check that sees the move counts one interval, not
	 * the 200 ms, and says alive. */
	live_start(&c, 1, 0);
	assert_int_equal(live_judge(&c, 2, 1 * MS, 200 * MS, 10, 51), SEG_EP_ALIVE);
	assert_int_equal(live_silent_ms(&c), 10);
}

static void
silence_in_ms_saturates(void **state)
{
	struct live_counts c;

	live_start(&c, 0, 0);
	c.silent_ns = UINT64_MAX;
	assert_int_equal(live_silent_ms(&c), UINT32_MAX);
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
		cmocka_unit_test(checks_in_a_burst_count_only_the_time_that_passed),
		cmocka_unit_test(a_check_of_interval_zero_counts_no_silence),
		cmocka_unit_test(a_delayed_checker_never_declares_early),
		cmocka_unit_test(a_dated_beat_makes_the_verdict_due_at_its_date_plus_the_threshold),
		cmocka_unit_test(a_counter_that_moves_at_every_check_never_asks_for_an_extra_one),
		cmocka_unit_test(a_date_outside_the_checks_around_the_beat_is_not_believed),
		cmocka_unit_test(a_stalled_machine_counts_one_interval_for_an_old_date),
		cmocka_unit_test(silence_in_ms_saturates),
		cmocka_unit_test(daemon_line_fresh_for_three_intervals_and_at_least_100_ms),
	};

	return cmocka_run_group_tests_name("liveness_rule", tests, NULL, NULL);
}
