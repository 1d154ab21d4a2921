/*
 * test_recovery.c - what happens after a crash: a writer killed mid-write,
 * eshmd killed and restarted under traffic, segments cleaned up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

/* Whether eshmd knows segment @name (0 or 1). */
static int
obj_count(const char *name)
{
	return tf_segment_exists(&th_group_daemon, name) ? 1 : 0;
}

/* ------------------------------------------------ writer killed mid-write */

#define BIG (4u * 1024u * 1024u)

static int
big_writer(void *arg)
{
	ESHMConfig c = eshm_default_config(arg);
	ESHMOptions *o = eshm_options_new();
	unsigned char *buf[2] = { malloc(BIG), malloc(BIG) };
	ESHMHandle *m;
	uint64_t i;

	c.role = ESHM_ROLE_MASTER;
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	c.auto_cleanup = false;
	eshm_options_set_capacity(o, BIG);
	m = eshm_init_with_options(&c, o);
	if (m == NULL || buf[0] == NULL || buf[1] == NULL)
		return 1;
	/* Two payloads that differ everywhere, alternated: a torn read mixes
	 * them and fails its checksum.  A write of 4 MiB takes about a
	 * millisecond; with a short pause after each, a signal lands mid-write
	 * most of the time and the reader still gets whole messages. */
	tc_fill(buf[0], BIG, 1);
	tc_fill(buf[1], BIG, 2);
	for (i = 0;; i++) {
		eshm_write(m, buf[i & 1], BIG);
		usleep(200);
	}
}

/* What the master's current block shows, as eshmctl peek sees it: its
 * writer's attach number, messages published, slots left odd. */
struct peek {
	uint64_t incarnation, head;
	unsigned odd;
};

static struct peek
peek_master(const char *name)
{
	struct tf_view v;
	struct peek p = { 0, 0, 0 };

	assert_int_equal(tf_view_segment(&th_group_daemon, name, &v), 0);
	p.incarnation = v.incarnation[SEG_MASTER];
	if (tf_view_block(&v, SEG_MASTER) != NULL)
		p.head = atomic_load(&tf_view_block(&v, SEG_MASTER)->head);
	p.odd = tf_view_odd_slots(&v, SEG_MASTER);
	tf_view_release(&v);
	return p;
}

static bool
none_odd(void *arg)
{
	return peek_master(arg).odd == 0;
}

static void
writer_killed_mid_write_never_hangs_or_tears_reader(void **state)
{
	const char *name = "rec_torn";
	ESHMConfig c = eshm_default_config(name);
	unsigned char *buf = malloc(BIG);
	ESHMHandle *s;
	int round, odd_at_kill = 0, good = 0;

	c.role = ESHM_ROLE_SLAVE;
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	c.auto_cleanup = false;
	assert_non_null(buf);
	for (round = 0; round < 20; round++) {
		uint64_t writer0 = round == 0 ? 0 : peek_master(name).incarnation;
		pid_t pid = th_spawn(big_writer, (void *)name);
		long long until;
		size_t n;
		int rc;

		if (round == 0) {
			tc_sleep_ms(200);
			s = eshm_init(&c);
			assert_non_null(s);
		}
		/* the new writer is writing once its own block has a message */
		until = th_now_ns() + 5000 * 1000000LL;
		while (round > 0 && th_now_ns() < until) {
			struct peek p = peek_master(name);

			if (p.incarnation > writer0 && p.head > 0)
				break;
			tc_sleep_ms(1);
		}
		until = th_now_ns() + (5 + rand() % 40) * 1000000LL;
		while (th_now_ns() < until) {
			rc = eshm_read(s, buf, BIG, &n);
			if (rc == ESHM_SUCCESS) {
				assert_true(tc_intact(buf, n));
				good++;
			} else {
				assert_int_equal(rc, ESHM_ERROR_NO_DATA);
			}
		}
		/* Freeze the writer where it is, look, then kill it there. */
		kill(pid, SIGSTOP);
		if (peek_master(name).odd != 0) {
			odd_at_kill++;
			/* a reader facing a write that never ends is not held: it
			 * gets the newest whole message, or none */
			until = th_now_ns();
			rc = eshm_read(s, buf, BIG, &n);
			if (rc == ESHM_SUCCESS)
				assert_true(tc_intact(buf, n));
			else
				assert_int_equal(rc, ESHM_ERROR_NO_DATA);
			assert_true(th_now_ns() - until < 100 * 1000000LL);
		}
		kill(pid, SIGKILL);
		th_wait_child(pid);
		/* reads stay bounded and whole while and after eshmd repairs */
		until = th_now_ns() + 20 * 1000000LL;
		while (th_now_ns() < until) {
			rc = eshm_read(s, buf, BIG, &n);
			if (rc == ESHM_SUCCESS)
				assert_true(tc_intact(buf, n));
			else
				assert_int_equal(rc, ESHM_ERROR_NO_DATA);
		}
		assert_true(th_wait_until(none_odd, (void *)name, 1000));
	}
	print_message("%d of 20 kills left a slot odd; %d whole messages read\n", odd_at_kill,
	              good);
	assert_true(odd_at_kill > 0);
	assert_true(good > 0);
	eshm_destroy(s);
	free(buf);
}

/* ------------------------------------------------ eshmd restarts */

static bool
master_role_free(void *name)
{
	ESHMHandle *m = tc_attach(name, ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_NEVER);

	if (m == NULL)
		return false;
	eshm_destroy(m);
	return true;
}

static void
eshmd_killed_and_restarted_data_path_keeps_going(void **state)
{
	const char *name = "rec_restart";
	ESHMHandle *m = tc_attach(name, ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_ON_TIMEOUT);
	uint64_t v = 0, stop = UINT64_MAX;
	ESHMStats st;
	pid_t pid;
	int restart, rc;

	assert_non_null(m);
	pid = th_spawn(tc_echo_slave, (void *)name);
	for (restart = 0; restart < 3; restart++) {
		long long until = th_now_ns() + 100000000LL;
		uint64_t before;
		bool alive = false;

		while (th_now_ns() < until)
			assert_true(tc_echo_once(m, ++v));
		th_daemon_kill(&th_group_daemon);
		before = v;
		until = th_now_ns() + 100000000LL;
		while (th_now_ns() < until)
			assert_true(tc_echo_once(m, ++v));
		assert_true(v > before + 10);
		assert_int_equal(th_daemon_start(&th_group_daemon, NULL), 0);
		assert_true(th_wait_until(tc_daemon_alive, m, 10000));
		for (int i = 0; i < 100; i++)
			assert_true(tc_echo_once(m, ++v));
		assert_int_equal(eshm_check_remote_alive(m, &alive), ESHM_SUCCESS);
		assert_true(alive);
		eshm_get_stats(m, &st);
		assert_false(st.remote_is_dead);
		assert_int_equal(obj_count(name), 1);
	}
	print_message("%llu round trips across 3 eshmd restarts\n", (unsigned long long)v);
	assert_int_equal(eshm_write(m, &stop, sizeof(stop)), ESHM_SUCCESS);
	assert_int_equal(th_wait_child(pid), 0);
	/* The re-established connection detaches: the role is free again.
	 * On a loaded machine eshmd may confirm after the destroy's 100 ms;
	 * it then frees the role when it reads the request. */
	rc = eshm_destroy(m);
	if (rc != ESHM_SUCCESS)
		print_message("destroy unconfirmed: %s\n", eshm_error_string(rc));
	assert_true(rc == ESHM_SUCCESS || rc == ESHM_ERROR_TIMEOUT ||
	            rc == ESHM_ERROR_DAEMON_UNAVAILABLE);
	assert_true(th_wait_until(master_role_free, (void *)name, rc == ESHM_SUCCESS ? 0 : 5000));
}

/* ------------------------------------------------ cleanup */

static bool
no_object_left(void *arg)
{
	return obj_count(arg) == 0;
}

static int
attach_and_sleep(void *arg)
{
	if (tc_attach(arg, ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER) == NULL)
		return 1;
	for (;;)
		pause();
}

static void
auto_cleanup_leaves_nothing_behind(void **state)
{
	ESHMHandle *m = tc_attach("rec_clean", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *s = tc_attach("rec_clean", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	pid_t a, b;

	assert_non_null(m);
	assert_non_null(s);
	assert_int_equal(obj_count("rec_clean"), 1);
	eshm_destroy(m);
	eshm_destroy(s);
	assert_true(th_wait_until(no_object_left, "rec_clean", 1000));

	/* endpoints killed rather than detached */
	a = th_spawn(attach_and_sleep, "rec_killed");
	b = th_spawn(attach_and_sleep, "rec_killed");
	tc_sleep_ms(300);
	assert_int_equal(obj_count("rec_killed"), 1);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	th_wait_child(a);
	th_wait_child(b);
	assert_true(th_wait_until(no_object_left, "rec_killed", 1000));
}

static void
without_auto_cleanup_segment_stays(void **state)
{
	ESHMConfig c = eshm_default_config("rec_keep");
	ESHMHandle *m;
	char buf[8];
	size_t n;

	c.auto_cleanup = false;
	m = eshm_init(&c);
	assert_non_null(m);
	assert_int_equal(eshm_write(m, "kept", 5), ESHM_SUCCESS);
	eshm_destroy(m);
	tc_sleep_ms(50);
	assert_int_equal(obj_count("rec_keep"), 1);
	c.role = ESHM_ROLE_SLAVE;
	m = eshm_init(&c);
	assert_non_null(m);
	assert_int_equal(eshm_read(m, buf, sizeof(buf), &n), ESHM_SUCCESS);
	assert_string_equal(buf, "kept");
	eshm_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writer_killed_mid_write_never_hangs_or_tears_reader),
		cmocka_unit_test(eshmd_killed_and_restarted_data_path_keeps_going),
		cmocka_unit_test(auto_cleanup_leaves_nothing_behind),
		cmocka_unit_test(without_auto_cleanup_segment_stays),
	};

	return cmocka_run_group_tests_name("recovery", tests, th_group_setup, th_group_teardown);
}
