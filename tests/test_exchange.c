/*
 * test_exchange.c - messages between a master and a slave in two processes:
 * byte-exact at every size, latest value, never twice, timeouts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_util.h"
#include "harness.h"

#define CAPACITY 4096

/* Slave side: echo each message back until it reads a 1-byte 0xff. */
static int
echo_slave(void *arg)
{
	ESHMHandle *s = tc_attach(arg, ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER);
	unsigned char buf[CAPACITY];
	size_t n;

	if (s == NULL)
		return 10;
	for (;;) {
		int rc = eshm_read_timeout(s, buf, sizeof(buf), &n, 10000);

		if (rc == ESHM_ERROR_TIMEOUT)
			return 11;
		if (rc != ESHM_SUCCESS)
			continue;
		if (n == 1 && buf[0] == 0xff)
			break;
		while (eshm_write(s, buf, n) != ESHM_SUCCESS)
			;
	}
	eshm_destroy(s);
	return 0;
}

static void
exchange_both_directions_every_size_byte_exact(void **state)
{
	ESHMHandle *m = tc_attach("xchg_sizes", ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_NEVER);
	static unsigned char out[CAPACITY], in[CAPACITY];
	unsigned char stop = 0xff;
	size_t size, n;
	pid_t pid;

	assert_non_null(m);
	pid = th_spawn(echo_slave, "xchg_sizes");
	for (size = 1; size <= CAPACITY; size++) {
		tc_fill(out, size, size * 7919);
		if (size == 1 && out[0] == 0xff)
			out[0] = 0;
		assert_int_equal(eshm_write(m, out, size), ESHM_SUCCESS);
		assert_int_equal(eshm_read_timeout(m, in, sizeof(in), &n, 10000), ESHM_SUCCESS);
		assert_int_equal(n, size);
		assert_memory_equal(in, out, size);
	}
	assert_int_equal(eshm_write(m, &stop, 1), ESHM_SUCCESS);
	assert_int_equal(th_wait_child(pid), 0);
	eshm_destroy(m);
}

static void
oversize_and_zero_writes_refused(void **state)
{
	ESHMHandle *m = tc_attach("xchg_oversize", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	static unsigned char big[CAPACITY + 1];

	assert_non_null(m);
	assert_int_equal(eshm_write(m, big, CAPACITY + 1), ESHM_ERROR_DATA_TOO_LARGE);
	assert_int_equal(eshm_write(m, big, 0), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_write(m, NULL, 4), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_write(m, big, CAPACITY), ESHM_SUCCESS);
	eshm_destroy(m);
}

static void
read_never_returns_one_message_twice(void **state)
{
	ESHMHandle *m = tc_attach("xchg_twice", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *s = tc_attach("xchg_twice", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	char buf[16];
	size_t n;

	assert_non_null(m);
	assert_non_null(s);
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_ERROR_NO_DATA);
	assert_int_equal(eshm_write(m, "one", 4), ESHM_SUCCESS);
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_SUCCESS);
	assert_string_equal(buf, "one");
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_ERROR_NO_DATA);
	assert_int_equal(eshm_write(m, "two", 4), ESHM_SUCCESS);
	assert_int_equal(eshm_write(m, "three", 6), ESHM_SUCCESS);
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_SUCCESS);
	assert_string_equal(buf, "three");
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_ERROR_NO_DATA);
	eshm_destroy(s);
	eshm_destroy(m);
}

static void
missed_counts_overwritten_messages(void **state)
{
	ESHMHandle *m = tc_attach("xchg_missed", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *s = tc_attach("xchg_missed", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	ESHMStats st;
	char buf[16];
	size_t n;
	int i;

	assert_int_equal(eshm_write(m, "a", 2), ESHM_SUCCESS);
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_SUCCESS);
	for (i = 0; i < 5; i++)
		assert_int_equal(eshm_write(m, "b", 2), ESHM_SUCCESS);
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_SUCCESS);
	assert_int_equal(eshm_get_stats(s, &st), ESHM_SUCCESS);
	assert_int_equal(st.missed, 4);
	assert_int_equal(st.read_count, 2);
	assert_int_equal(st.m2s_write_count, 6);
	eshm_destroy(s);
	eshm_destroy(m);
}

static void
late_reader_gets_latest_message_on_first_read(void **state)
{
	ESHMHandle *m = tc_attach("xchg_late", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *s;
	char buf[16];
	size_t n;

	assert_non_null(m);
	assert_int_equal(eshm_write(m, "early", 6), ESHM_SUCCESS);
	s = tc_attach("xchg_late", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	assert_non_null(s);
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_SUCCESS);
	assert_string_equal(buf, "early");
	eshm_destroy(s);
	eshm_destroy(m);
}

static void
buffer_too_small_leaves_message_unread(void **state)
{
	ESHMHandle *m = tc_attach("xchg_small", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *s = tc_attach("xchg_small", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	char buf[32];
	size_t n = 0;

	assert_int_equal(eshm_write(m, "0123456789abcdef", 17), ESHM_SUCCESS);
	assert_int_equal(eshm_read(s, buf, 4, &n), ESHM_ERROR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 17);
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_SUCCESS);
	assert_string_equal(buf, "0123456789abcdef");
	eshm_destroy(s);
	eshm_destroy(m);
}

static void
read_timeout_honours_its_timeout(void **state)
{
	ESHMHandle *m = tc_attach("xchg_timeout", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *s = tc_attach("xchg_timeout", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	char buf[16];
	size_t n;
	long long t0, elapsed_ms;

	t0 = th_now_ns();
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, 50), ESHM_ERROR_TIMEOUT);
	elapsed_ms = (th_now_ns() - t0) / 1000000;
	assert_true(elapsed_ms >= 50);
	assert_true(elapsed_ms < 1000);
	t0 = th_now_ns();
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, 0), ESHM_ERROR_NO_DATA);
	assert_true((th_now_ns() - t0) / 1000000 < 50);
	eshm_destroy(s);
	eshm_destroy(m);
}

static int
late_writer(void *arg)
{
	ESHMHandle *m = tc_attach(arg, ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_NEVER);

	if (m == NULL)
		return 1;
	tc_sleep_ms(100);
	eshm_write(m, "wake", 5);
	tc_sleep_ms(100);
	eshm_destroy(m);
	return 0;
}

static void
read_timeout_wakes_when_message_arrives(void **state)
{
	ESHMHandle *s = tc_attach("xchg_wake", ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER);
	char buf[16];
	size_t n;
	long long t0, elapsed_ms;
	pid_t pid;

	assert_non_null(s);
	pid = th_spawn(late_writer, "xchg_wake");
	t0 = th_now_ns();
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, 10000), ESHM_SUCCESS);
	elapsed_ms = (th_now_ns() - t0) / 1000000;
	assert_string_equal(buf, "wake");
	assert_true(elapsed_ms < 5000);
	assert_int_equal(th_wait_child(pid), 0);
	eshm_destroy(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exchange_both_directions_every_size_byte_exact),
		cmocka_unit_test(oversize_and_zero_writes_refused),
		cmocka_unit_test(read_never_returns_one_message_twice),
		cmocka_unit_test(missed_counts_overwritten_messages),
		cmocka_unit_test(late_reader_gets_latest_message_on_first_read),
		cmocka_unit_test(buffer_too_small_leaves_message_unread),
		cmocka_unit_test(read_timeout_honours_its_timeout),
		cmocka_unit_test(read_timeout_wakes_when_message_arrives),
	};

	return cmocka_run_group_tests_name("exchange", tests, th_group_setup, th_group_teardown);
}
