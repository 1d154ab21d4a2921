/*
 * test_observer.c - observers across real processes against a real eshmd:
 * eight observers beside the slave of a writer at full speed see nothing
 * torn; an observer cannot write and is nobody's remote; on a queue it
 * never holds the writer back and counts what it missed; the limit, a
 * missing segment, a dead observer, a replaced writer, an eshmd restart.
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

#define OB_MSG 1024u
#define OB_OBSERVERS 8

/* What the children of a test share. */
struct ob_board {
	_Atomic bool stop;
	_Atomic unsigned long reads[OB_OBSERVERS + 1];
	_Atomic unsigned long torn;
};

static struct ob_board *board;

static ESHMHandle *
ob_attach(const char *name, ESHMRole role, ESHMChannelMode mode, uint32_t depth)
{
	return tc_attach_channel(name, role, mode, depth, OB_MSG, false, ESHM_DISCONNECT_NEVER);
}

/* The master of latest-value segment @name: for tc_attach_when_free(). */
static ESHMHandle *
ob_attach_master(const void *name)
{
	return ob_attach(name, ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 0);
}

/* Child: the master, writing checksummed messages flat out until told. */
static int
ob_writer(void *name)
{
	ESHMHandle *h = ob_attach(name, ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 0);
	unsigned char buf[OB_MSG];
	uint64_t n;

	if (h == NULL)
		return 1;
	for (n = 1; !atomic_load(&board->stop); n++) {
		tc_fill(buf, 64 + n % (OB_MSG - 64), n);
		if (eshm_write(h, buf, 64 + n % (OB_MSG - 64)) != ESHM_SUCCESS)
			return 2;
	}
	eshm_destroy(h);
	return 0;
}

/* Read @h until told to stop, checking every message; count in slot @i. */
static int
ob_read_until_stopped(ESHMHandle *h, int i)
{
	unsigned char buf[OB_MSG];
	size_t n;
	int rc;

	while (!atomic_load(&board->stop)) {
		rc = eshm_read_timeout(h, buf, sizeof(buf), &n, 100);
		if (rc == ESHM_ERROR_TIMEOUT)
			continue;
		if (rc != ESHM_SUCCESS)
			return 3;
		if (!tc_intact(buf, n))
			atomic_fetch_add(&board->torn, 1);
		atomic_fetch_add(&board->reads[i], 1);
	}
	return 0;
}

/* Child: observer number arg of the master's channel of "ob_eight". */
static int
ob_observer(void *arg)
{
	ESHMHandle *h = ob_attach("ob_eight", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0);
	int rc;

	if (h == NULL)
		return 1;
	if (eshm_get_role(h) != ESHM_ROLE_OBSERVER)
		return 2;
	rc = ob_read_until_stopped(h, (int)(intptr_t)arg);
	eshm_destroy(h);
	return rc;
}

/* th_wait_until() condition: every observer has read something (an
 * observer's own attach can take long on a loaded machine). */
static bool
ob_all_observers_read(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < OB_OBSERVERS; i++)
		if (atomic_load(&board->reads[i]) == 0)
			return false;
	return true;
}

static bool
ob_observers_are(void *arg)
{
	const uintptr_t *want = arg;
	ESHMStats2 st;

	return eshm_get_stats_ex((ESHMHandle *)want[0], &st, sizeof(st)) == ESHM_SUCCESS &&
	       st.observers == want[1];
}

static void
eight_observers_beside_the_slave_see_nothing_torn(void **state)
{
	pid_t writer, obs[OB_OBSERVERS];
	uintptr_t want[2];
	ESHMHandle *s;
	ESHMStats2 st;
	int i, rc;

	(void)state;
	memset(board, 0, sizeof(*board));
	s = ob_attach("ob_eight", ESHM_ROLE_SLAVE, ESHM_CHANNEL_LATEST, 0);
	assert_non_null(s);
	writer = th_spawn(ob_writer, "ob_eight");
	for (i = 0; i < OB_OBSERVERS; i++)
		obs[i] = th_spawn(ob_observer, (void *)(intptr_t)i);
	assert_true(th_wait_until(tc_remote_alive, s, 10000));
	want[0] = (uintptr_t)s;
	want[1] = OB_OBSERVERS;
	assert_true(th_wait_until(ob_observers_are, want, 10000));
	assert_int_equal(eshm_get_stats_ex(s, &st, sizeof(st)), ESHM_SUCCESS);
	assert_int_equal(st.observers, OB_OBSERVERS);
	/* the slave reads in this process, as the ninth reader */
	{
		long long until = th_now_ns() + 1000 * 1000000LL;
		unsigned char buf[OB_MSG];
		size_t n;

		while (th_now_ns() < until) {
			rc = eshm_read_timeout(s, buf, sizeof(buf), &n, 100);
			if (rc == ESHM_SUCCESS) {
				assert_true(tc_intact(buf, n));
				atomic_fetch_add(&board->reads[OB_OBSERVERS], 1);
			} else {
				assert_int_equal(rc, ESHM_ERROR_TIMEOUT);
			}
		}
	}
	/* eshmd counts an observer once attached; its own eshm_init() may
	 * still be finishing: the writer goes on until each one has read */
	assert_true(th_wait_until(ob_all_observers_read, NULL, 10000));
	atomic_store(&board->stop, true);
	assert_int_equal(th_wait_child(writer), 0);
	for (i = 0; i < OB_OBSERVERS; i++)
		assert_int_equal(th_wait_child(obs[i]), 0);
	print_message("slave %lu reads; observers:", atomic_load(&board->reads[OB_OBSERVERS]));
	for (i = 0; i < OB_OBSERVERS; i++) {
		print_message(" %lu", atomic_load(&board->reads[i]));
		assert_true(atomic_load(&board->reads[i]) > 0);
	}
	print_message("; %lu torn\n", atomic_load(&board->torn));
	assert_int_equal(atomic_load(&board->torn), 0);
	assert_true(atomic_load(&board->reads[OB_OBSERVERS]) > 0);
	eshm_destroy(s);
}

static void
observer_cannot_write_and_is_nobodys_remote(void **state)
{
	ESHMHandle *m, *o;
	unsigned char buf[OB_MSG];
	ESHMMessageInfo info;
	ESHMStats2 st;
	uintptr_t want[2];
	bool alive = true;
	size_t n;

	(void)state;
	/* an observer creates nothing */
	assert_null(ob_attach("ob_none", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0));
	assert_int_equal(eshm_last_error(), ESHM_ERROR_NOT_FOUND);
	m = ob_attach("ob_alone", ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 0);
	assert_non_null(m);
	tc_fill(buf, 100, 1);
	assert_int_equal(eshm_write(m, buf, 100), ESHM_SUCCESS);
	o = ob_attach("ob_alone", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0);
	assert_non_null(o);
	assert_int_equal(eshm_write(o, buf, 100), ESHM_ERROR_READ_ONLY);
	assert_int_equal(eshm_write_timeout(o, buf, 100, 10), ESHM_ERROR_READ_ONLY);
	/* it reads the latest message already there */
	assert_int_equal(eshm_read_ex(o, buf, sizeof(buf), &info), ESHM_SUCCESS);
	assert_int_equal(info.size, 100);
	assert_int_equal(info.sequence, 1);
	assert_true(tc_intact(buf, 100));
	assert_int_equal(eshm_read(o, buf, sizeof(buf), &n), ESHM_ERROR_NO_DATA);
	/* the observed writer is its "remote"; it is nobody's */
	assert_true(th_wait_until(tc_remote_alive, o, 5000));
	assert_int_equal(eshm_check_remote_alive(m, &alive), ESHM_SUCCESS);
	assert_false(alive);
	assert_int_equal(eshm_get_stats_ex(m, &st, sizeof(st)), ESHM_SUCCESS);
	assert_int_equal(st.observers, 1);
	assert_int_equal(st.remote_attaches, 0);
	/* the master's message count is the observer's to see, not its reads */
	assert_int_equal(eshm_get_stats_ex(o, &st, sizeof(st)), ESHM_SUCCESS);
	assert_int_equal(st.stats.m2s_write_count, 1);
	assert_int_equal(st.stats.read_count, 1);
	/* gone once eshmd read its detach (after the 100 ms eshm_destroy
	 * waits, on a loaded machine) */
	eshm_destroy(o);
	want[0] = (uintptr_t)m;
	want[1] = 0;
	assert_true(th_wait_until(ob_observers_are, want, 10000));
	eshm_destroy(m);
}

static void
observer_of_a_queue_never_holds_the_writer_back(void **state)
{
	ESHMHandle *m, *s, *o;
	unsigned char buf[OB_MSG];
	ESHMMessageInfo info;
	uint64_t n, last = 0, missed = 0, reads = 0;
	size_t len;

	(void)state;
	m = ob_attach("ob_queue", ESHM_ROLE_MASTER, ESHM_CHANNEL_QUEUE, 8);
	s = ob_attach("ob_queue", ESHM_ROLE_SLAVE, ESHM_CHANNEL_QUEUE, 8);
	o = ob_attach("ob_queue", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_QUEUE, 8);
	assert_non_null(m);
	assert_non_null(s);
	assert_non_null(o);
	assert_true(th_wait_until(tc_remote_alive, m, 5000));
	/* the slave keeps up, the observer reads once every 10 messages */
	for (n = 1; n <= 200; n++) {
		tc_fill(buf, 64, n);
		assert_int_equal(eshm_write_timeout(m, buf, 64, 5000), ESHM_SUCCESS);
		assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &len, 5000), ESHM_SUCCESS);
		assert_int_equal(tc_seed(buf), n);
		if (n % 10 != 0)
			continue;
		while (eshm_read_ex(o, buf, sizeof(buf), &info) == ESHM_SUCCESS) {
			assert_true(tc_intact(buf, info.size));
			assert_int_equal(tc_seed(buf), info.sequence);
			assert_true(info.sequence > last);
			assert_int_equal(info.missed, info.sequence - last - 1);
			missed += info.missed;
			last = info.sequence;
			reads++;
		}
	}
	print_message("the observer read %llu and missed %llu of 200\n",
	              (unsigned long long)reads, (unsigned long long)missed);
	assert_int_equal(last, 200);
	assert_int_equal(reads + missed, 200);
	assert_true(missed > 0);
	eshm_destroy(o);
	eshm_destroy(s);
	eshm_destroy(m);
}

/* Child: observe "ob_limit" and wait to be killed. */
static int
ob_idle_observer(void *name)
{
	if (ob_attach(name, ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0) == NULL)
		return 1;
	for (;;)
		pause();
}

static void
observers_are_limited_and_a_dead_one_frees_its_slot(void **state)
{
	ESHMHandle *m, *extra;
	pid_t obs[OB_OBSERVERS];
	uintptr_t want[2];
	int i;

	(void)state;
	m = ob_attach("ob_limit", ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 0);
	assert_non_null(m);
	want[0] = (uintptr_t)m;
	for (i = 0; i < OB_OBSERVERS; i++)
		obs[i] = th_spawn(ob_idle_observer, "ob_limit");
	want[1] = OB_OBSERVERS;
	assert_true(th_wait_until(ob_observers_are, want, 10000));
	/* eshmd.conf's max_observers is 8 by default */
	extra = ob_attach("ob_limit", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0);
	assert_null(extra);
	assert_int_equal(eshm_last_error(), ESHM_ERROR_LIMIT);
	assert_non_null(strstr(eshm_last_error_message(), "max_observers"));
	kill(obs[0], SIGKILL);
	th_wait_child(obs[0]);
	want[1] = OB_OBSERVERS - 1;
	assert_true(th_wait_until(ob_observers_are, want, 10000));
	extra = ob_attach("ob_limit", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0);
	assert_non_null(extra);
	eshm_destroy(extra);
	for (i = 1; i < OB_OBSERVERS; i++) {
		kill(obs[i], SIGKILL);
		th_wait_child(obs[i]);
	}
	eshm_destroy(m);
}

/* Child: write @arg's message 1000 as a new master and stay. */
static int
ob_second_writer(void *name)
{
	unsigned char buf[64];
	ESHMHandle *h;

	/* the first master's detach may be confirmed late */
	h = tc_attach_when_free(ob_attach_master, name, 10000);
	if (h == NULL)
		return 1;
	tc_fill(buf, sizeof(buf), 1000);
	if (eshm_write(h, buf, sizeof(buf)) != ESHM_SUCCESS)
		return 2;
	pause();
	return 0;
}

/* th_wait_until() condition: an observer of "ob_follow" attached into *@arg. */
static bool
ob_attached_anew(void *arg)
{
	ESHMHandle **o = arg;

	*o = ob_attach("ob_follow", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0);
	return *o != NULL || eshm_last_error() != ESHM_ERROR_BUSY;
}

static void
observer_follows_a_new_writer_and_is_detached_by_an_eshmd_restart(void **state)
{
	ESHMHandle *m, *s, *o;
	unsigned char buf[OB_MSG];
	ESHMMessageInfo info;
	long long until;
	pid_t pid;
	int rc;

	(void)state;
	m = ob_attach("ob_follow", ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 0);
	assert_non_null(m);
	/* the slave keeps the segment: observers do not (auto-cleanup) */
	s = ob_attach("ob_follow", ESHM_ROLE_SLAVE, ESHM_CHANNEL_LATEST, 0);
	assert_non_null(s);
	o = ob_attach("ob_follow", ESHM_ROLE_OBSERVER, ESHM_CHANNEL_LATEST, 0);
	assert_non_null(o);
	eshm_destroy(m);
	pid = th_spawn(ob_second_writer, "ob_follow");
	until = th_now_ns() + 10000 * 1000000LL;
	do
		rc = eshm_read_ex(o, buf, sizeof(buf), &info);
	while (rc == ESHM_ERROR_NO_DATA && th_now_ns() < until && (tc_sleep_ms(1), true));
	assert_int_equal(rc, ESHM_SUCCESS);
	assert_int_equal(tc_seed(buf), 1000);
	assert_int_equal(info.writer_attach, 2);
	/* observers are not recorded: after a restart, attach anew */
	th_daemon_kill(&th_group_daemon);
	assert_int_equal(th_daemon_start(&th_group_daemon, NULL), 0);
	until = th_now_ns() + 10000 * 1000000LL;
	do
		rc = eshm_read_ex(o, buf, sizeof(buf), &info);
	while (rc == ESHM_ERROR_NO_DATA && th_now_ns() < until && (tc_sleep_ms(1), true));
	assert_int_equal(rc, ESHM_ERROR_DETACHED);
	eshm_destroy(o);
	/* once the endpoints handed the segment back, a new observer
	 * attaches (until then eshmd says "busy, try again") */
	assert_true(th_wait_until(ob_attached_anew, &o, 10000));
	assert_non_null(o);
	eshm_destroy(o);
	eshm_destroy(s);
	kill(pid, SIGKILL);
	th_wait_child(pid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eight_observers_beside_the_slave_see_nothing_torn),
		cmocka_unit_test(observer_cannot_write_and_is_nobodys_remote),
		cmocka_unit_test(observer_of_a_queue_never_holds_the_writer_back),
		cmocka_unit_test(observers_are_limited_and_a_dead_one_frees_its_slot),
		cmocka_unit_test(observer_follows_a_new_writer_and_is_detached_by_an_eshmd_restart),
	};

	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	             0);
	if (board == MAP_FAILED)
		return 1;
	return cmocka_run_group_tests_name("observer", tests, th_group_setup, th_group_teardown);
}
