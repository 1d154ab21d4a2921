/*
 * test_thread_safety.c - what eshm.h allows on one handle from several
 * threads: one thread writing while another reads, and any number of
 * threads calling eshm_get_stats() and eshm_check_remote_alive() at the
 * same time.
 *
 * Both endpoints of one segment live in this process, so ThreadSanitizer
 * (ci/tsan.sh) sees every thread that touches them, the library's own
 * included: a writer and a reader on each handle, and a monitor on both.
 * Payloads carry their own checksum (tests/client_util.h): a torn message
 * fails.  Writers pause now and then, so readers also sleep on the futex
 * and are woken.  $ESHM_THREADS_MS sets the duration (default 3000 ms).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

#define TS_CAPACITY 1024

struct ts_side {
	ESHMHandle *h;
	uint64_t seed;                /* distinguishes the two writers' payloads */
	unsigned long writes, write_errors;
	unsigned long reads, timed_reads, torn, read_errors;
};

struct ts_run {
	struct ts_side side[2];
	int monitored;                /* handles the monitor watches: side[0..monitored) */
	atomic_bool stop;
	unsigned long monitor_calls, monitor_errors, not_alive;
};

struct ts_thread {
	struct ts_run *run;
	int index;
};

static void *
ts_writer(void *arg)
{
	const struct ts_thread *t = arg;
	struct ts_side *s = &t->run->side[t->index];
	unsigned char buf[TS_CAPACITY];
	uint64_t i;

	for (i = 1; !atomic_load(&t->run->stop); i++) {
		size_t len = 8 + (size_t)((i * 2654435761u) % (TS_CAPACITY - 8));

		tc_fill(buf, len, s->seed + i);
		if (eshm_write(s->h, buf, len) == ESHM_SUCCESS)
			s->writes++;
		else
			s->write_errors++;
		/* now and then the reader runs dry and sleeps on the futex */
		if (i % 256 == 0)
			usleep(200);
	}
	return NULL;
}

static void *
ts_reader(void *arg)
{
	const struct ts_thread *t = arg;
	struct ts_side *s = &t->run->side[t->index];
	unsigned char buf[TS_CAPACITY];
	unsigned long i;
	size_t n;
	int rc;

	for (i = 0; !atomic_load(&t->run->stop); i++) {
		if (i % 2 == 0)
			rc = eshm_read(s->h, buf, sizeof(buf), &n);
		else
			rc = eshm_read_timeout(s->h, buf, sizeof(buf), &n, 5);
		if (rc == ESHM_SUCCESS) {
			s->reads++;
			s->torn += !tc_intact(buf, n);
		} else if (rc != ESHM_ERROR_NO_DATA && rc != ESHM_ERROR_TIMEOUT) {
			s->read_errors++;
		}
		s->timed_reads += rc == ESHM_SUCCESS && i % 2 == 1;
	}
	return NULL;
}

static void *
ts_monitor(void *arg)
{
	struct ts_run *r = arg;
	ESHMStats st;
	bool alive;
	int i;

	while (!atomic_load(&r->stop)) {
		for (i = 0; i < r->monitored; i++) {
			r->monitor_errors += eshm_get_stats(r->side[i].h, &st) != ESHM_SUCCESS;
			r->monitor_errors += eshm_check_remote_alive(r->side[i].h, &alive) != ESHM_SUCCESS;
			r->not_alive += !alive;
			r->monitor_calls += 2;
		}
	}
	return NULL;
}

struct ts_init {
	ESHMConfig config;
	ESHMOptions *options;
};

/* eshm_init_with_options() of a struct ts_init: for tc_attach_when_free(). */
static ESHMHandle *
ts_init(const void *arg)
{
	const struct ts_init *i = arg;

	return eshm_init_with_options(&i->config, i->options);
}

static ESHMHandle *
ts_attach(const char *name, ESHMRole role)
{
	struct ts_init i = { eshm_default_config(name), eshm_options_new() };
	ESHMHandle *h;

	assert_non_null(i.options);
	assert_int_equal(eshm_options_set_capacity(i.options, TS_CAPACITY), ESHM_SUCCESS);
	i.config.role = role;
	/* sanitizers slow everything down: no verdict is what this is about */
	i.config.stale_threshold_ms = 5000;
	i.config.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	/* the previous holder's detach may still be on its way (ts_detach) */
	h = tc_attach_when_free(ts_init, &i, 10000);
	eshm_options_free(i.options);
	assert_non_null(h);
	return h;
}

/*
 * eshm_destroy() waits 100 ms for eshmd to confirm; with these threads
 * spinning on a loaded machine eshmd may answer later, and the role is
 * freed when it reads the request.  Either is right here.
 */
static void
ts_detach(ESHMHandle *h)
{
	int rc = eshm_destroy(h);

	if (rc != ESHM_SUCCESS)
		printf("# eshm_destroy: %s\n", eshm_error_string(rc));
	assert_true(rc == ESHM_SUCCESS || rc == ESHM_ERROR_DAEMON_UNAVAILABLE);
}

static void
writers_readers_and_a_monitor_share_two_handles_without_a_torn_message(void **state)
{
	unsigned duration_ms = tf_env_count("ESHM_THREADS_MS", 3000);
	struct ts_run r;
	struct ts_thread t[2] = { { &r, 0 }, { &r, 1 } };
	pthread_t w[2], rd[2], mon;
	ESHMStats st[2];
	int i;

	memset(&r, 0, sizeof(r));
	r.side[0].h = ts_attach("ts_threads", ESHM_ROLE_MASTER);
	r.side[1].h = ts_attach("ts_threads", ESHM_ROLE_SLAVE);
	r.side[0].seed = 1000000000000ull;
	r.side[1].seed = 2000000000000ull;
	r.monitored = 2;
	assert_true(th_wait_until(tc_remote_alive, r.side[0].h, 10000));
	assert_true(th_wait_until(tc_remote_alive, r.side[1].h, 10000));
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&w[i], NULL, ts_writer, &t[i]), 0);
		assert_int_equal(pthread_create(&rd[i], NULL, ts_reader, &t[i]), 0);
	}
	assert_int_equal(pthread_create(&mon, NULL, ts_monitor, &r), 0);
	tc_sleep_ms((int)duration_ms);
	atomic_store(&r.stop, true);
	for (i = 0; i < 2; i++) {
		pthread_join(w[i], NULL);
		pthread_join(rd[i], NULL);
	}
	pthread_join(mon, NULL);

	for (i = 0; i < 2; i++) {
		struct ts_side *s = &r.side[i];

		assert_int_equal(eshm_get_stats(s->h, &st[i]), ESHM_SUCCESS);
		printf("# %s: %lu writes, %lu reads (%lu through eshm_read_timeout), %lu torn, %lu missed, "
		       "%lu retries; errors: %lu writing, %lu reading\n",
		       i == 0 ? "master" : "slave", s->writes, s->reads, s->timed_reads, s->torn,
		       (unsigned long)st[i].missed, (unsigned long)st[i].read_retries,
		       s->write_errors, s->read_errors);
	}
	printf("# monitor: %lu calls in %u ms, %lu errors, remote not alive %lu times\n",
	       r.monitor_calls, duration_ms, r.monitor_errors, r.not_alive);
	for (i = 0; i < 2; i++) {
		struct ts_side *s = &r.side[i];

		assert_true(s->writes > 0);
		assert_true(s->reads > 0);
		assert_int_equal(s->torn, 0);
		assert_int_equal(s->write_errors, 0);
		assert_int_equal(s->read_errors, 0);
		/* what the statistics say of this handle is what it did */
		assert_int_equal(st[i].write_count, s->writes);
		assert_int_equal(st[i].read_count, s->reads);
	}
	assert_true(r.monitor_calls > 0);
	assert_int_equal(r.monitor_errors, 0);
	assert_int_equal(r.not_alive, 0);
	ts_detach(r.side[1].h);
	ts_detach(r.side[0].h);
}

static void
new_peer_blocks_are_switched_to_under_a_writer_a_reader_and_a_monitor(void **state)
{
	struct ts_run r;
	struct ts_thread t = { &r, 0 };
	unsigned char buf[TS_CAPACITY];
	pthread_t w, rd, mon;
	unsigned long from_slaves = 0;
	int round, i;

	/* the master's threads run on while slave after slave attaches,
	 * writes and detaches: each time the control thread maps a new peer
	 * block and retires the old one under the data path */
	memset(&r, 0, sizeof(r));
	r.side[0].h = ts_attach("ts_switch", ESHM_ROLE_MASTER);
	r.side[0].seed = 1000000000000ull;
	r.monitored = 1;
	assert_int_equal(pthread_create(&w, NULL, ts_writer, &t), 0);
	assert_int_equal(pthread_create(&rd, NULL, ts_reader, &t), 0);
	assert_int_equal(pthread_create(&mon, NULL, ts_monitor, &r), 0);
	for (round = 0; round < 20; round++) {
		ESHMHandle *s = ts_attach("ts_switch", ESHM_ROLE_SLAVE);
		size_t n;

		for (i = 1; i <= 50; i++) {
			size_t len = 8 + (size_t)(i * 13 + round);

			tc_fill(buf, len, 3000000000000ull + 100 * (uint64_t)round + (uint64_t)i);
			assert_int_equal(eshm_write(s, buf, len), ESHM_SUCCESS);
			if (eshm_read(s, buf, sizeof(buf), &n) == ESHM_SUCCESS) {
				from_slaves++;
				assert_true(tc_intact(buf, n));
			}
			usleep(200);
		}
		ts_detach(s);
	}
	atomic_store(&r.stop, true);
	pthread_join(w, NULL);
	pthread_join(rd, NULL);
	pthread_join(mon, NULL);
	printf("# master over 20 slaves: %lu writes, %lu reads, %lu torn, errors: %lu writing, "
	       "%lu reading, %lu monitoring; the slaves read %lu of its messages\n",
	       r.side[0].writes, r.side[0].reads, r.side[0].torn, r.side[0].write_errors,
	       r.side[0].read_errors, r.monitor_errors, from_slaves);
	assert_true(r.side[0].reads > 0);
	assert_true(from_slaves > 0);
	assert_int_equal(r.side[0].torn, 0);
	assert_int_equal(r.side[0].write_errors, 0);
	assert_int_equal(r.side[0].read_errors, 0);
	assert_int_equal(r.monitor_errors, 0);
	ts_detach(r.side[0].h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			writers_readers_and_a_monitor_share_two_handles_without_a_torn_message),
		cmocka_unit_test(
			new_peer_blocks_are_switched_to_under_a_writer_a_reader_and_a_monitor),
	};

	return cmocka_run_group_tests_name("thread_safety", tests, th_group_setup,
	                                   th_group_teardown);
}
