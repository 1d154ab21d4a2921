/*
 * test_channel.c - the channel seqlock's semantics seen from one process:
 * latest value, never twice, missed counting, repair, size limits, and the
 * futex wait.
 */
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel.h"
#include "clock.h"
#include "layout.h"

#define CAP 256

struct fixture {
	void *base;
	struct seg_map map;
	struct seg_channel *ch;
	struct seg_reader *rd;
	struct chan_cursor cur;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->base = aligned_alloc(SEG_CACHE_LINE, seg_total_size(CAP));
	seg_format(f->base, CAP, 1, 100, 0, 0, 0);
	assert_int_equal(seg_validate(f->base, seg_total_size(CAP), &f->map), ESHM_SUCCESS);
	f->ch = f->map.channel[SEG_M2S];
	f->rd = f->map.reader[SEG_M2S];
	chan_cursor_init(&f->cur, f->ch);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	free(f->base);
	free(f);
	return 0;
}

static void
put(struct fixture *f, const char *text)
{
	chan_write(f->ch, f->rd, text, (uint32_t)strlen(text) + 1);
}

static int
get(struct fixture *f, char *buf, size_t len, size_t *got)
{
	return chan_read(f->ch, f->rd, f->map.capacity, &f->cur, buf, len, got);
}

static void
read_before_any_write_is_no_data(void **state)
{
	struct fixture *f = *state;
	char buf[CAP];
	size_t got = 0;

	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_ERROR_NO_DATA);
	assert_false(chan_has_new(f->ch, &f->cur));
}

static void
reader_gets_latest_value_and_counts_missed(void **state)
{
	struct fixture *f = *state;
	char buf[CAP];
	size_t got = 0;

	put(f, "one");
	put(f, "two");
	put(f, "three");
	assert_true(chan_has_new(f->ch, &f->cur));
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_SUCCESS);
	assert_string_equal(buf, "three");
	assert_int_equal(got, 6);
	assert_int_equal(f->cur.missed, 2);
	assert_int_equal(f->cur.reads, 1);
	assert_int_equal(atomic_load(&f->rd->missed), 2);
	assert_int_equal(atomic_load(&f->rd->read_count), 1);
	assert_int_equal(chan_write_count(f->ch), 3);
}

static void
message_is_never_read_twice(void **state)
{
	struct fixture *f = *state;
	char buf[CAP];
	size_t got = 0;

	put(f, "once");
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_SUCCESS);
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_ERROR_NO_DATA);
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_ERROR_NO_DATA);
	put(f, "twice");
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_SUCCESS);
	assert_string_equal(buf, "twice");
	assert_int_equal(f->cur.missed, 0);
	assert_int_equal(f->cur.reads, 2);
}

static void
late_reader_starts_at_latest_message(void **state)
{
	struct fixture *f = *state;
	struct chan_cursor late;
	char buf[CAP];
	size_t got = 0;

	put(f, "old");
	put(f, "newest");
	chan_cursor_init(&late, f->ch);
	assert_int_equal(chan_read(f->ch, f->rd, CAP, &late, buf, sizeof(buf), &got), ESHM_SUCCESS);
	assert_string_equal(buf, "newest");
	assert_int_equal(late.missed, 0);
}

static void
buffer_too_small_reports_size_and_leaves_message_unread(void **state)
{
	struct fixture *f = *state;
	char buf[CAP];
	size_t got = 0;

	put(f, "0123456789");
	assert_int_equal(get(f, buf, 4, &got), ESHM_ERROR_BUFFER_TOO_SMALL);
	assert_int_equal(got, 11);
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_SUCCESS);
	assert_string_equal(buf, "0123456789");
}

static void
oversize_size_field_is_clamped_to_capacity(void **state)
{
	struct fixture *f = *state;
	char *buf = malloc(CAP * 2);
	size_t got = 0;

	put(f, "x");
	/* A scribbled size must never take the copy past the channel. */
	atomic_store(&f->ch->size, CAP * 100);
	assert_int_equal(get(f, buf, CAP * 2, &got), ESHM_SUCCESS);
	assert_int_equal(got, CAP);
	free(buf);
}

static void
odd_sequence_of_dead_writer_is_no_data_then_void_after_repair(void **state)
{
	struct fixture *f = *state;
	char buf[CAP];
	size_t got = 0;

	put(f, "good");
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_SUCCESS);
	/* A writer that died half-way: odd sequence, torn bytes. */
	atomic_store(&f->ch->seq, atomic_load(&f->ch->seq) + 1);
	memset(f->ch->data, 'T', 8);
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_ERROR_NO_DATA);
	assert_int_equal(chan_repair(f->ch), 1);
	assert_int_equal(chan_repair(f->ch), 0);
	assert_int_equal(atomic_load(&f->ch->seq) & 1, 0);
	assert_int_equal(atomic_load(&f->ch->size), SEG_SIZE_VOID);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_ERROR_NO_DATA);
	assert_int_equal(buf[0], 0);
	/* The void message is consumed, so it does not come back. */
	assert_int_equal(f->cur.last_seq, atomic_load(&f->ch->seq));
	assert_int_equal(f->cur.reads, 1);
	put(f, "after");
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_SUCCESS);
	assert_string_equal(buf, "after");
}

static void
writer_recovers_unrepaired_odd_sequence(void **state)
{
	struct fixture *f = *state;
	char buf[CAP];
	size_t got = 0;

	atomic_store(&f->ch->seq, 5);
	put(f, "fresh");
	assert_int_equal(atomic_load(&f->ch->seq), 8);
	assert_int_equal(get(f, buf, sizeof(buf), &got), ESHM_SUCCESS);
	assert_string_equal(buf, "fresh");
}

static void
wait_times_out_when_nothing_is_written(void **state)
{
	struct fixture *f = *state;
	struct timespec deadline;
	uint64_t t0 = clock_mono_ns();
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	clock_ts_add_ns(&deadline, 30 * 1000000u);
	do
		rc = chan_wait(f->ch, f->rd, &f->cur, &deadline);
	while (rc == 0);
	assert_int_equal(rc, ESHM_ERROR_TIMEOUT);
	assert_true(clock_mono_ns() - t0 >= 30 * 1000000u);
	assert_int_equal(atomic_load(&f->rd->waiters), 0);
}

static void *
late_writer(void *arg)
{
	struct fixture *f = arg;

	usleep(20000);
	put(f, "wake");
	return NULL;
}

static void
wait_returns_when_writer_publishes(void **state)
{
	struct fixture *f = *state;
	struct timespec deadline;
	pthread_t t;
	char buf[CAP];
	size_t got;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	clock_ts_add_ns(&deadline, 10ull * 1000000000u);
	assert_int_equal(pthread_create(&t, NULL, late_writer, f), 0);
	while ((rc = get(f, buf, sizeof(buf), &got)) == ESHM_ERROR_NO_DATA)
		assert_int_equal(chan_wait(f->ch, f->rd, &f->cur, &deadline), 0);
	assert_int_equal(rc, ESHM_SUCCESS);
	assert_string_equal(buf, "wake");
	pthread_join(t, NULL);
}

#define BIG_CAP (1024u * 1024u)
#define FLOOD_INTERVAL_NS 10000

static struct seg_channel *flood_ch;

/* A write that lands in the middle of the reader's copy: a timer signal
 * interrupts the copy and publishes, as a writer on another CPU would. */
static void
flood_publish(int sig)
{
	uint64_t seq = atomic_load_explicit(&flood_ch->seq, memory_order_relaxed);

	atomic_store_explicit(&flood_ch->seq, seq + 1, memory_order_relaxed);
	atomic_store_explicit(&flood_ch->seq, seq + 2, memory_order_release);
}

static void
read_returns_while_writer_overlaps_every_copy(void **state)
{
	void *base = aligned_alloc(SEG_CACHE_LINE, seg_total_size(BIG_CAP));
	unsigned char *payload = calloc(1, BIG_CAP), *buf = malloc(BIG_CAP);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	struct itimerspec every = { { 0, FLOOD_INTERVAL_NS }, { 0, FLOOD_INTERVAL_NS } };
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { .sa_handler = flood_publish, .sa_flags = SA_RESTART };
	struct chan_cursor cur;
	struct seg_map map;
	timer_t timer;
	size_t got;
	int rc;

	alarm(120); /* a reader that never returns fails here instead of hanging */
	seg_format(base, BIG_CAP, 1, 100, 0, 0, 0);
	assert_int_equal(seg_validate(base, seg_total_size(BIG_CAP), &map), ESHM_SUCCESS);
	flood_ch = map.channel[SEG_M2S];
	chan_write(flood_ch, map.reader[SEG_M2S], payload, BIG_CAP);
	chan_cursor_init(&cur, flood_ch);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	assert_int_equal(timer_create(CLOCK_MONOTONIC, &sev, &timer), 0);
	assert_int_equal(timer_settime(timer, 0, &every, NULL), 0);
	/* Every copy of 1 MiB outlasts the timer's interval, so a write
	 * overlaps it: the read must give up after CHAN_MAX_RETRIES copies. */
	rc = chan_read(flood_ch, map.reader[SEG_M2S], map.capacity, &cur, buf, BIG_CAP, &got);
	timer_settime(timer, 0, &off, NULL);
	timer_delete(timer);
	signal(SIGUSR1, SIG_DFL);
	alarm(0);
	assert_int_equal(rc, ESHM_ERROR_NO_DATA);
	assert_int_equal(cur.retries, CHAN_MAX_RETRIES);
	free(buf);
	free(payload);
	free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(read_before_any_write_is_no_data, setup, teardown),
		cmocka_unit_test_setup_teardown(reader_gets_latest_value_and_counts_missed, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(message_is_never_read_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(late_reader_starts_at_latest_message, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_too_small_reports_size_and_leaves_message_unread,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(oversize_size_field_is_clamped_to_capacity, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(
			odd_sequence_of_dead_writer_is_no_data_then_void_after_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(writer_recovers_unrepaired_odd_sequence, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(wait_times_out_when_nothing_is_written, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(wait_returns_when_writer_publishes, setup, teardown),
		cmocka_unit_test(read_returns_while_writer_overlaps_every_copy),
	};

	return cmocka_run_group_tests_name("channel", tests, NULL, NULL);
}
