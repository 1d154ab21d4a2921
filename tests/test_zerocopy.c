/*
 * test_zerocopy.c - loans and read views across real processes against a
 * real eshmd: 16 MiB messages lent, filled and published, read in place
 * with checksums; a writer SIGKILLed between loan and publish; a view
 * whose slot the writer reused; every misuse refused with its error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client_util.h"
#include "harness.h"

#define ZC_BIG (16u * 1024u * 1024u)

/* What the children of a test report. */
struct zc_board {
	_Atomic int loaned;           /* the writer holds a loan, half filled */
};

static struct zc_board *board;

static ESHMHandle *
zc_attach(const char *name, ESHMRole role, ESHMChannelMode mode, uint32_t depth, size_t capacity)
{
	return tc_attach_channel(name, role, mode, depth, capacity, false, ESHM_DISCONNECT_NEVER);
}

/* Child: lend, fill and publish 16 MiB messages 1..8 into the queue. */
static int
zc_big_writer(void *name)
{
	ESHMHandle *h = zc_attach(name, ESHM_ROLE_MASTER, ESHM_CHANNEL_QUEUE, 2, ZC_BIG);
	long long until;
	void *buf;
	uint64_t n;
	int rc;

	if (h == NULL)
		return 1;
	for (n = 1; n <= 8; n++) {
		until = th_now_ns() + 20000 * 1000000LL;
		while ((rc = eshm_loan(h, ZC_BIG, &buf)) == ESHM_ERROR_QUEUE_FULL &&
		       th_now_ns() < until)
			tc_sleep_ms(1);
		if (rc != ESHM_SUCCESS)
			return 2;
		tc_fill(buf, ZC_BIG, n);
		if (eshm_publish(h, ZC_BIG) != ESHM_SUCCESS)
			return 3;
	}
	pause();
	return 0;
}

static void
sixteen_mib_messages_are_lent_published_and_read_in_place(void **state)
{
	ESHMHandle *s;
	const void *data;
	size_t size;
	uint64_t n;
	pid_t pid;
	int rc;

	(void)state;
	s = zc_attach("zc_big", ESHM_ROLE_SLAVE, ESHM_CHANNEL_QUEUE, 2, ZC_BIG);
	assert_non_null(s);
	pid = th_spawn(zc_big_writer, "zc_big");
	for (n = 1; n <= 8; n++) {
		long long until = th_now_ns() + 20000 * 1000000LL;

		while ((rc = eshm_read_view(s, &data, &size)) == ESHM_ERROR_NO_DATA &&
		       th_now_ns() < until)
			tc_sleep_ms(1);
		assert_int_equal(rc, ESHM_SUCCESS);
		assert_int_equal(size, ZC_BIG);
		/* a queue holds the slot until the release: the view is the
		 * message, checked in place */
		assert_true(tc_intact(data, size));
		assert_int_equal(tc_seed(data), n);
		assert_int_equal(eshm_read_release(s), ESHM_SUCCESS);
	}
	kill(pid, SIGKILL);
	th_wait_child(pid);
	eshm_destroy(s);
}

/* Child: publish message 1, lend the next, fill half of it, say so, wait. */
static int
zc_dies_with_a_loan(void *name)
{
	ESHMHandle *h = zc_attach(name, ESHM_ROLE_MASTER, ESHM_CHANNEL_QUEUE, 4, 4096);
	unsigned char first[4096];
	void *buf;

	if (h == NULL)
		return 1;
	tc_fill(first, sizeof(first), 1);
	if (eshm_write(h, first, sizeof(first)) != ESHM_SUCCESS ||
	    eshm_loan(h, 4096, &buf) != ESHM_SUCCESS)
		return 2;
	memset(buf, 0x5a, 2048);
	atomic_store(&board->loaned, 1);
	pause();
	return 0;
}

static bool
zc_loaned(void *arg)
{
	(void)arg;
	return atomic_load(&board->loaned) != 0;
}

/* Child: a new writer publishing message 7. */
static int
zc_next_writer(void *name)
{
	ESHMHandle *h = zc_attach(name, ESHM_ROLE_MASTER, ESHM_CHANNEL_QUEUE, 4, 4096);
	unsigned char buf[4096];

	if (h == NULL)
		return 1;
	tc_fill(buf, sizeof(buf), 7);
	if (eshm_write(h, buf, sizeof(buf)) != ESHM_SUCCESS)
		return 2;
	pause();
	return 0;
}

static void
writer_killed_between_loan_and_publish_leaves_nothing_torn_or_stuck(void **state)
{
	unsigned char buf[4096];
	ESHMMessageInfo info;
	ESHMHandle *s;
	long long until;
	pid_t a, b;
	size_t n;
	int rc;

	(void)state;
	atomic_store(&board->loaned, 0);
	s = zc_attach("zc_loan_kill", ESHM_ROLE_SLAVE, ESHM_CHANNEL_QUEUE, 4, 4096);
	assert_non_null(s);
	a = th_spawn(zc_dies_with_a_loan, "zc_loan_kill");
	assert_true(th_wait_until(zc_loaned, NULL, 10000));
	kill(a, SIGKILL);
	th_wait_child(a);
	/* what it published arrives; the half-filled loan never does */
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, 10000), ESHM_SUCCESS);
	assert_true(tc_intact(buf, n));
	assert_int_equal(tc_seed(buf), 1);
	assert_true(th_wait_until(tc_remote_dead, s, 10000));
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_ERROR_NO_DATA);
	/* nothing stuck: the next writer's message comes through */
	b = th_spawn(zc_next_writer, "zc_loan_kill");
	until = th_now_ns() + 10000 * 1000000LL;
	while ((rc = eshm_read_ex(s, buf, sizeof(buf), &info)) == ESHM_ERROR_NO_DATA &&
	       th_now_ns() < until)
		tc_sleep_ms(1);
	assert_int_equal(rc, ESHM_SUCCESS);
	assert_true(tc_intact(buf, info.size));
	assert_int_equal(tc_seed(buf), 7);
	assert_int_equal(info.writer_attach, 2);
	kill(b, SIGKILL);
	th_wait_child(b);
	eshm_destroy(s);
}

static void
view_of_a_reused_slot_is_reported_overwritten(void **state)
{
	unsigned char msg[64];
	ESHMHandle *m, *s;
	const void *data;
	ESHMStats st;
	size_t size;
	int i;

	(void)state;
	m = zc_attach("zc_view", ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 0, 64);
	s = zc_attach("zc_view", ESHM_ROLE_SLAVE, ESHM_CHANNEL_LATEST, 0, 64);
	assert_non_null(m);
	assert_non_null(s);
	assert_true(th_wait_until(tc_remote_alive, s, 10000));
	tc_fill(msg, sizeof(msg), 1);
	assert_int_equal(eshm_write(m, msg, sizeof(msg)), ESHM_SUCCESS);
	/* an intact view */
	assert_int_equal(eshm_read_view(s, &data, &size), ESHM_SUCCESS);
	assert_int_equal(size, sizeof(msg));
	assert_true(tc_intact(data, size));
	assert_int_equal(eshm_read_release(s), ESHM_SUCCESS);
	/* a view whose slot the writer reuses: 32 slots at this capacity
	 * (layout.h), 33 writes */
	tc_fill(msg, sizeof(msg), 2);
	assert_int_equal(eshm_write(m, msg, sizeof(msg)), ESHM_SUCCESS);
	assert_int_equal(eshm_read_view(s, &data, &size), ESHM_SUCCESS);
	assert_int_equal(tc_seed(data), 2);
	for (i = 3; i <= 35; i++) {
		tc_fill(msg, sizeof(msg), (uint64_t)i);
		assert_int_equal(eshm_write(m, msg, sizeof(msg)), ESHM_SUCCESS);
	}
	assert_int_equal(eshm_read_release(s), ESHM_ERROR_OVERWRITTEN);
	assert_int_equal(eshm_get_stats(s, &st), ESHM_SUCCESS);
	assert_int_equal(st.read_count, 1);
	/* the next read gets the newest */
	assert_int_equal(eshm_read_view(s, &data, &size), ESHM_SUCCESS);
	assert_int_equal(tc_seed(data), 35);
	assert_int_equal(eshm_read_release(s), ESHM_SUCCESS);
	eshm_destroy(s);
	eshm_destroy(m);
}

static void
loans_and_views_refuse_every_misuse(void **state)
{
	unsigned char msg[64] = { 1 };
	ESHMHandle *m, *s, *o;
	const void *data;
	size_t size;
	void *buf;

	(void)state;
	m = zc_attach("zc_misuse", ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 0, 64);
	s = zc_attach("zc_misuse", ESHM_ROLE_SLAVE, ESHM_CHANNEL_LATEST, 0, 64);
	o = zc_attach("zc_misuse", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0, 64);
	assert_non_null(m);
	assert_non_null(s);
	assert_non_null(o);
	assert_int_equal(eshm_loan(NULL, 8, &buf), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_loan(m, 0, &buf), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_loan(m, 8, NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_loan(m, 65, &buf), ESHM_ERROR_DATA_TOO_LARGE);
	assert_int_equal(eshm_loan(o, 8, &buf), ESHM_ERROR_READ_ONLY);
	assert_int_equal(eshm_publish(m, 8), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_loan_cancel(m), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_publish(NULL, 8), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_loan_cancel(NULL), ESHM_ERROR_INVALID_PARAM);
	/* one loan at a time, and no write beside it */
	assert_int_equal(eshm_loan(m, 16, &buf), ESHM_SUCCESS);
	assert_non_null(buf);
	assert_int_equal(eshm_loan(m, 16, &buf), ESHM_ERROR_PENDING);
	assert_int_equal(eshm_write(m, msg, sizeof(msg)), ESHM_ERROR_PENDING);
	assert_int_equal(eshm_publish(m, 17), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_publish(m, 0), ESHM_ERROR_INVALID_PARAM);
	/* nothing of a loan is visible, and a cancelled one never is */
	assert_int_equal(eshm_read_view(s, &data, &size), ESHM_ERROR_NO_DATA);
	assert_int_equal(eshm_loan_cancel(m), ESHM_SUCCESS);
	assert_int_equal(eshm_read_view(s, &data, &size), ESHM_ERROR_NO_DATA);
	assert_int_equal(eshm_loan(m, 16, &buf), ESHM_SUCCESS);
	memcpy(buf, "published", 10);
	assert_int_equal(eshm_publish(m, 10), ESHM_SUCCESS);
	assert_int_equal(eshm_write(m, msg, sizeof(msg)), ESHM_SUCCESS);
	/* one view at a time, and no read beside it */
	assert_int_equal(eshm_read_view(NULL, &data, &size), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_view(s, NULL, &size), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_view(s, &data, NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_release(s), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_release(NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_view(s, &data, &size), ESHM_SUCCESS);
	assert_int_equal(eshm_read_view(s, &data, &size), ESHM_ERROR_PENDING);
	assert_int_equal(eshm_read(s, msg, sizeof(msg), &size), ESHM_ERROR_PENDING);
	assert_int_equal(eshm_read_release(s), ESHM_SUCCESS);
	/* an observer views too */
	assert_int_equal(eshm_read_view(o, &data, &size), ESHM_SUCCESS);
	assert_int_equal(size, sizeof(msg));
	assert_int_equal(eshm_read_release(o), ESHM_SUCCESS);
	eshm_destroy(o);
	eshm_destroy(s);
	eshm_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sixteen_mib_messages_are_lent_published_and_read_in_place),
		cmocka_unit_test(writer_killed_between_loan_and_publish_leaves_nothing_torn_or_stuck),
		cmocka_unit_test(view_of_a_reused_slot_is_reported_overwritten),
		cmocka_unit_test(loans_and_views_refuse_every_misuse),
	};

	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	             0);
	if (board == MAP_FAILED)
		return 1;
	return cmocka_run_group_tests_name("zerocopy", tests, th_group_setup, th_group_teardown);
}
