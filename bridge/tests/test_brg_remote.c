/*
 * test_brg_remote.c - what a bridge declares about the remote process
 * (bridge/brg_remote.h): never alive unheard; the reported state while
 * reports come within the lease; stale at once when they stop or DDS
 * says the writer lost its liveliness; dead after dead_after; detached
 * when the other bridge left cleanly.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "brg_err.h"
#include "brg_remote.h"
#include "layout.h"

#define MS UINT64_C(1000000)
#define T0 (UINT64_C(1000) * MS)

static struct brg_report
tr_report(uint32_t state, int32_t pid)
{
	struct brg_report r;

	memset(&r, 0, sizeof(r));
	r.state = state;
	r.pid = pid;
	r.attaches = 1;
	strcpy(r.host, "hostB");
	return r;
}

/* Judging with a lease of 1 s, dead after 3 s, from a first report at T0. */
static void
tr_start(struct brg_remote *r, uint32_t state, int32_t pid)
{
	struct brg_report rep = tr_report(state, pid);

	assert_int_equal(brg_remote_init(r, 1000, 3000), BRG_OK);
	assert_int_equal(brg_remote_report(r, &rep, T0), BRG_OK);
}

static uint32_t
tr_judge(const struct brg_remote *r, uint64_t now)
{
	struct brg_report out;

	assert_int_equal(brg_remote_judge(r, now, &out), BRG_OK);
	return out.state;
}

static void
unheard_is_stale_never_alive(void **state)
{
	struct brg_remote r;
	struct brg_report out;

	assert_int_equal(brg_remote_init(&r, 1000, 3000), BRG_OK);
	assert_int_equal(tr_judge(&r, 0), SEG_EP_STALE);
	/* However long nothing is heard: no report, no death to declare. */
	assert_int_equal(tr_judge(&r, T0 * 100), SEG_EP_STALE);
	brg_remote_liveliness(&r, true);
	assert_int_equal(brg_remote_judge(&r, T0, &out), BRG_OK);
	assert_int_equal(out.state, SEG_EP_STALE);
	assert_int_equal(out.pid, 0);
	assert_int_equal(brg_remote_next_change(&r, T0), UINT64_MAX);
}

static void
reports_within_the_lease_are_taken_as_they_are(void **state)
{
	struct brg_remote r;
	struct brg_report rep = tr_report(SEG_EP_ALIVE, 42), out;

	brg_remote_init(&r, 1000, 3000);
	brg_remote_report(&r, &rep, T0);
	assert_int_equal(brg_remote_judge(&r, T0 + 999 * MS, &out), BRG_OK);
	assert_int_equal(out.state, SEG_EP_ALIVE);
	assert_int_equal(out.pid, 42);
	assert_string_equal(out.host, "hostB");
	rep = tr_report(SEG_EP_STALE, 42);
	brg_remote_report(&r, &rep, T0 + 500 * MS);
	assert_int_equal(tr_judge(&r, T0 + 600 * MS), SEG_EP_STALE);
	rep = tr_report(SEG_EP_DETACHED, 42);
	brg_remote_report(&r, &rep, T0 + 700 * MS);
	assert_int_equal(tr_judge(&r, T0 + 800 * MS), SEG_EP_DETACHED);
	assert_int_equal(brg_remote_next_change(&r, T0 + 800 * MS), T0 + 1700 * MS);
}

static void
silence_is_stale_at_the_lease_then_dead_after_dead_after(void **state)
{
	struct brg_remote r;
	struct brg_report rep = tr_report(SEG_EP_ALIVE, 7);

	tr_start(&r, SEG_EP_ALIVE, 7);
	assert_int_equal(tr_judge(&r, T0 + 999 * MS), SEG_EP_ALIVE);
	assert_int_equal(tr_judge(&r, T0 + 1000 * MS), SEG_EP_STALE);
	assert_int_equal(brg_remote_next_change(&r, T0 + 1000 * MS), T0 + 3000 * MS);
	assert_int_equal(tr_judge(&r, T0 + 2999 * MS), SEG_EP_STALE);
	assert_int_equal(tr_judge(&r, T0 + 3000 * MS), SEG_EP_DEAD);
	assert_int_equal(brg_remote_next_change(&r, T0 + 3000 * MS), UINT64_MAX);
	/* A report again: back to what it says. */
	brg_remote_report(&r, &rep, T0 + 5000 * MS);
	assert_int_equal(tr_judge(&r, T0 + 5000 * MS), SEG_EP_ALIVE);
}

static void
lost_liveliness_is_stale_at_once(void **state)
{
	struct brg_remote r;

	tr_start(&r, SEG_EP_ALIVE, 7);
	brg_remote_liveliness(&r, false);
	assert_int_equal(tr_judge(&r, T0 + 1 * MS), SEG_EP_STALE);
	assert_int_equal(brg_remote_next_change(&r, T0 + 1 * MS), T0 + 3000 * MS);
	assert_int_equal(tr_judge(&r, T0 + 3000 * MS), SEG_EP_DEAD);
	/* DDS saying alive again is not a report: still as silent as before. */
	brg_remote_liveliness(&r, true);
	assert_int_equal(tr_judge(&r, T0 + 3000 * MS), SEG_EP_DEAD);
	assert_int_equal(tr_judge(&r, T0 + 500 * MS), SEG_EP_ALIVE);
}

static void
a_reported_death_stays_dead_when_the_reports_stop(void **state)
{
	struct brg_remote r;

	tr_start(&r, SEG_EP_DEAD, 9);
	assert_int_equal(tr_judge(&r, T0), SEG_EP_DEAD);
	assert_int_equal(tr_judge(&r, T0 + 1500 * MS), SEG_EP_DEAD);
	assert_int_equal(brg_remote_next_change(&r, T0), UINT64_MAX);
}

static void
a_clean_leave_is_detached_until_the_next_report(void **state)
{
	struct brg_remote r;
	struct brg_report rep = tr_report(SEG_EP_ALIVE, 9);

	tr_start(&r, SEG_EP_ALIVE, 9);
	brg_remote_withdrawn(&r);
	brg_remote_liveliness(&r, false);
	assert_int_equal(tr_judge(&r, T0 + 10000 * MS), SEG_EP_DETACHED);
	assert_int_equal(brg_remote_next_change(&r, T0), UINT64_MAX);
	brg_remote_report(&r, &rep, T0 + 20000 * MS);
	assert_int_equal(tr_judge(&r, T0 + 20000 * MS), SEG_EP_ALIVE);
}

static void
bad_arguments_are_refused(void **state)
{
	struct brg_remote r;
	struct brg_report rep = tr_report(4, 1), out;

	assert_int_equal(brg_remote_init(NULL, 1000, 3000), BRG_ERR_INVALID);
	assert_int_equal(brg_remote_init(&r, 0, 3000), BRG_ERR_INVALID);
	assert_int_equal(brg_remote_init(&r, 1000, 1000), BRG_ERR_INVALID);
	assert_int_equal(brg_remote_init(&r, 1000, 3000), BRG_OK);
	assert_int_equal(brg_remote_report(&r, &rep, T0), BRG_ERR_INVALID);
	assert_int_equal(tr_judge(&r, T0), SEG_EP_STALE);
	assert_int_equal(brg_remote_report(&r, NULL, T0), BRG_ERR_INVALID);
	assert_int_equal(brg_remote_judge(&r, T0, NULL), BRG_ERR_INVALID);
	assert_int_equal(brg_remote_judge(NULL, T0, &out), BRG_ERR_INVALID);
	assert_int_equal(brg_remote_liveliness(NULL, true), BRG_ERR_INVALID);
	assert_int_equal(brg_remote_withdrawn(NULL), BRG_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unheard_is_stale_never_alive),
		cmocka_unit_test(reports_within_the_lease_are_taken_as_they_are),
		cmocka_unit_test(silence_is_stale_at_the_lease_then_dead_after_dead_after),
		cmocka_unit_test(lost_liveliness_is_stale_at_once),
		cmocka_unit_test(a_reported_death_stays_dead_when_the_reports_stop),
		cmocka_unit_test(a_clean_leave_is_detached_until_the_next_report),
		cmocka_unit_test(bad_arguments_are_refused),
	};

	return cmocka_run_group_tests_name("brg_remote", tests, NULL, NULL);
}
