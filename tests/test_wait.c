/*
 * test_wait.c - the waits and what ends them, against a real eshmd:
 * eshm_interrupt() from another thread, from a signal handler and before
 * the wait; a writer waiting on a full queue interrupted; eshm_wait_remote()
 * across a peer's kill and restart; eshm_read_until()'s absolute deadline;
 * eshm_read_ex_until() waiting with the message's number and what it
 * skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "client_util.h"
#include "harness.h"

#define WT_LONG_MS 10000

/* Thread: interrupt the handle @arg after 100 ms. */
static void *
wt_interrupt_later(void *arg)
{
	tc_sleep_ms(100);
	eshm_interrupt(arg);
	return NULL;
}

static ESHMHandle *wt_signalled;

static void
wt_on_alarm(int sig)
{
	(void)sig;
	eshm_interrupt(wt_signalled);
}

/* Attach the master and the slave of @name in this process. */
static void
wt_pair(const char *name, ESHMChannelMode mode, uint32_t depth, ESHMHandle **m, ESHMHandle **s)
{
	*m = tc_attach_channel(name, ESHM_ROLE_MASTER, mode, depth, 64, false,
	                       ESHM_DISCONNECT_NEVER);
	*s = tc_attach_channel(name, ESHM_ROLE_SLAVE, mode, depth, 64, false,
	                       ESHM_DISCONNECT_NEVER);
	assert_non_null(*m);
	assert_non_null(*s);
	assert_true(th_wait_until(tc_remote_alive, *s, 10000));
}

static void
interrupt_from_another_thread_or_a_signal_handler_ends_a_read(void **state)
{
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };
	struct sigaction sa, old;
	unsigned char buf[64];
	ESHMHandle *m, *s;
	long long t0, took;
	pthread_t t;
	size_t n;

	(void)state;
	wt_pair("wt_read", ESHM_CHANNEL_LATEST, 0, &m, &s);
	/* another thread */
	assert_int_equal(pthread_create(&t, NULL, wt_interrupt_later, s), 0);
	t0 = th_now_ns();
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, WT_LONG_MS),
	                 ESHM_ERROR_INTERRUPTED);
	took = th_now_ns() - t0;
	pthread_join(t, NULL);
	print_message("interrupted by a thread after %.1f ms (interrupt at 100 ms)\n",
	              (double)took / 1e6);
	assert_true(took >= 90 * 1000000LL && took < 5000 * 1000000LL);
	/* a signal handler */
	wt_signalled = s;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wt_on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	t0 = th_now_ns();
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, WT_LONG_MS),
	                 ESHM_ERROR_INTERRUPTED);
	took = th_now_ns() - t0;
	sigaction(SIGALRM, &old, NULL);
	print_message("interrupted by a signal handler after %.1f ms\n", (double)took / 1e6);
	assert_true(took < 5000 * 1000000LL);
	/* the handle reads on afterwards */
	assert_int_equal(eshm_write(m, "after", 6), ESHM_SUCCESS);
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, WT_LONG_MS), ESHM_SUCCESS);
	assert_string_equal((char *)buf, "after");
	eshm_destroy(s);
	eshm_destroy(m);
}

static void
interrupt_before_a_wait_is_kept_for_the_next_wait(void **state)
{
	unsigned char buf[64];
	ESHMHandle *m, *s;
	long long t0;
	size_t n;

	(void)state;
	wt_pair("wt_kept", ESHM_CHANNEL_LATEST, 0, &m, &s);
	/* two interrupts before any wait count as one */
	assert_int_equal(eshm_interrupt(s), ESHM_SUCCESS);
	assert_int_equal(eshm_interrupt(s), ESHM_SUCCESS);
	t0 = th_now_ns();
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, WT_LONG_MS),
	                 ESHM_ERROR_INTERRUPTED);
	assert_true(th_now_ns() - t0 < 1000 * 1000000LL);
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, 30), ESHM_ERROR_TIMEOUT);
	/* a read that finds data does not wait: the interrupt stays */
	assert_int_equal(eshm_interrupt(s), ESHM_SUCCESS);
	assert_int_equal(eshm_write(m, "data", 5), ESHM_SUCCESS);
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, WT_LONG_MS), ESHM_SUCCESS);
	assert_int_equal(eshm_wait_remote(s, WT_LONG_MS), ESHM_SUCCESS);
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, WT_LONG_MS),
	                 ESHM_ERROR_INTERRUPTED);
	assert_int_equal(eshm_interrupt(NULL), ESHM_ERROR_INVALID_PARAM);
	eshm_destroy(s);
	eshm_destroy(m);
}

static void
interrupt_ends_a_write_waiting_for_room(void **state)
{
	ESHMHandle *m, *s;
	long long t0;
	pthread_t t;

	(void)state;
	wt_pair("wt_room", ESHM_CHANNEL_QUEUE, 1, &m, &s);
	assert_int_equal(eshm_write(m, "first", 6), ESHM_SUCCESS);
	assert_int_equal(eshm_write(m, "second", 7), ESHM_ERROR_QUEUE_FULL);
	assert_int_equal(pthread_create(&t, NULL, wt_interrupt_later, m), 0);
	t0 = th_now_ns();
	assert_int_equal(eshm_write_timeout(m, "second", 7, WT_LONG_MS), ESHM_ERROR_INTERRUPTED);
	assert_true(th_now_ns() - t0 < 5000 * 1000000LL);
	pthread_join(t, NULL);
	eshm_destroy(s);
	eshm_destroy(m);
}

/* Child: after 200 ms, attach as the slave of @arg and stay. */
static int
wt_late_slave(void *arg)
{
	tc_sleep_ms(200);
	if (tc_attach(arg, ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER) == NULL)
		return 1;
	for (;;)
		pause();
}

static void
wait_remote_sees_a_peer_come_die_and_come_back(void **state)
{
	ESHMHandle *m;
	long long t0, took;
	pthread_t t;
	pid_t pid;

	(void)state;
	m = tc_attach("wt_remote", ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_NEVER);
	assert_non_null(m);
	assert_int_equal(eshm_wait_remote(m, 0), ESHM_ERROR_TIMEOUT);
	assert_int_equal(eshm_wait_remote(NULL, 0), ESHM_ERROR_INVALID_PARAM);
	for (int round = 0; round < 2; round++) {
		pid = th_spawn(wt_late_slave, "wt_remote");
		t0 = th_now_ns();
		assert_int_equal(eshm_wait_remote(m, WT_LONG_MS), ESHM_SUCCESS);
		took = th_now_ns() - t0;
		print_message("round %d: the peer seen after %.0f ms (it attaches at 200 ms)\n",
		              round, (double)took / 1e6);
		assert_true(took >= 150 * 1000000LL);
		kill(pid, SIGKILL);
		th_wait_child(pid);
		assert_true(th_wait_until(tc_remote_dead, m, WT_LONG_MS));
	}
	/* and an interrupt ends it */
	assert_int_equal(pthread_create(&t, NULL, wt_interrupt_later, m), 0);
	assert_int_equal(eshm_wait_remote(m, WT_LONG_MS), ESHM_ERROR_INTERRUPTED);
	pthread_join(t, NULL);
	eshm_destroy(m);
}

static void
read_until_waits_to_an_absolute_deadline(void **state)
{
	unsigned char buf[64];
	struct timespec now;
	ESHMHandle *m, *s;
	long long t0, took;
	uint64_t deadline;
	size_t n;

	(void)state;
	wt_pair("wt_until", ESHM_CHANNEL_LATEST, 0, &m, &s);
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	/* a deadline passed: no wait */
	assert_int_equal(eshm_read_until(s, buf, sizeof(buf), &n, deadline), ESHM_ERROR_TIMEOUT);
	t0 = th_now_ns();
	assert_int_equal(eshm_read_until(s, buf, sizeof(buf), &n, deadline + 50 * 1000000u),
	                 ESHM_ERROR_TIMEOUT);
	took = th_now_ns() - t0;
	assert_true(took >= 40 * 1000000LL && took < 5000 * 1000000LL);
	assert_int_equal(eshm_write(m, "x", 2), ESHM_SUCCESS);
	assert_int_equal(eshm_read_until(s, buf, sizeof(buf), &n, deadline), ESHM_SUCCESS);
	assert_int_equal(eshm_read_until(NULL, buf, sizeof(buf), &n, deadline),
	                 ESHM_ERROR_INVALID_PARAM);
	eshm_destroy(s);
	eshm_destroy(m);
}

/* Thread: write message "late" on the master @arg after 100 ms. */
static void *
wt_write_later(void *arg)
{
	tc_sleep_ms(100);
	eshm_write(arg, "late", 5);
	return NULL;
}

static void
read_ex_until_waits_and_says_which_message(void **state)
{
	ESHMMessageInfo info;
	unsigned char buf[64];
	ESHMHandle *m, *s;
	long long t0, took;
	uint64_t now;
	pthread_t t;
	int i;

	(void)state;
	wt_pair("wt_ex", ESHM_CHANNEL_LATEST, 0, &m, &s);
	now = (uint64_t)th_now_ns();
	/* bad arguments and a deadline passed */
	assert_int_equal(eshm_read_ex_until(s, buf, sizeof(buf), NULL, now + WT_LONG_MS),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_ex_until(NULL, buf, sizeof(buf), &info, now),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_ex_until(s, buf, sizeof(buf), &info, now), ESHM_ERROR_TIMEOUT);
	/* five written before the read: the newest, four skipped */
	for (i = 1; i <= 5; i++)
		assert_int_equal(eshm_write(m, &i, sizeof(i)), ESHM_SUCCESS);
	assert_int_equal(eshm_read_ex_until(s, buf, sizeof(buf), &info,
	                                    (uint64_t)th_now_ns() + 1000000000u),
	                 ESHM_SUCCESS);
	assert_int_equal(info.size, sizeof(i));
	assert_int_equal(info.sequence, 5);
	assert_int_equal(info.missed, 4);
	/* one written while the read waits: the next, none skipped */
	assert_int_equal(pthread_create(&t, NULL, wt_write_later, m), 0);
	t0 = th_now_ns();
	assert_int_equal(eshm_read_ex_until(s, buf, sizeof(buf), &info,
	                                    (uint64_t)t0 + WT_LONG_MS * 1000000ull),
	                 ESHM_SUCCESS);
	took = th_now_ns() - t0;
	pthread_join(t, NULL);
	assert_true(took >= 90 * 1000000LL && took < 5000 * 1000000LL);
	assert_string_equal((char *)buf, "late");
	assert_int_equal(info.sequence, 6);
	assert_int_equal(info.missed, 0);
	/* an interrupt ends it */
	assert_int_equal(pthread_create(&t, NULL, wt_interrupt_later, s), 0);
	assert_int_equal(eshm_read_ex_until(s, buf, sizeof(buf), &info,
	                                    (uint64_t)th_now_ns() + WT_LONG_MS * 1000000ull),
	                 ESHM_ERROR_INTERRUPTED);
	pthread_join(t, NULL);
	eshm_destroy(s);
	eshm_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(interrupt_from_another_thread_or_a_signal_handler_ends_a_read),
		cmocka_unit_test(interrupt_before_a_wait_is_kept_for_the_next_wait),
		cmocka_unit_test(interrupt_ends_a_write_waiting_for_room),
		cmocka_unit_test(wait_remote_sees_a_peer_come_die_and_come_back),
		cmocka_unit_test(read_until_waits_to_an_absolute_deadline),
		cmocka_unit_test(read_ex_until_waits_and_says_which_message),
	};

	return cmocka_run_group_tests_name("wait", tests, th_group_setup, th_group_teardown);
}
