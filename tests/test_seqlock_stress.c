/*
 * test_seqlock_stress.c - a writer thread, a reader thread and observer
 * threads hammer one channel in both modes: every message accepted must
 * be whole (self-checking, random length), the numbers and missed counts
 * must add up, a queue's consumer must get every message once and in
 * order, and a sleeping reader must never miss its wake-up.  All sides
 * are threads of one process so ThreadSanitizer can watch the protocol
 * (ci/tsan.sh); test_chan_xproc runs the same across processes.
 *
 * The writer sends at least the messages asked for, and goes on until
 * every reader has read READS_MIN of them (or STRESS_NS passed), so the
 * sides really overlap however the threads are scheduled.
 * $ESHM_STRESS_MESSAGES scales the runs (default 100000 messages).
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel.h"
#include "clock.h"
#include "layout.h"
#include "memfd_util.h"
#include "message_util.h"

#define OBSERVERS 2
#define WAIT_NS (10ull * 1000000000u) /* far beyond any scheduling delay */
#define READS_MIN 2000
#define STRESS_NS (30ull * 1000000000u)

struct stress {
	struct tm_channel c;
	uint64_t messages;      /* at least */
	_Atomic uint64_t total; /* the number of the last message, once decided */
	uint32_t pause_every;   /* the writer sleeps every n messages (0: never) */
	bool sleep;             /* readers sleep on the futex when nothing is new */
	uint64_t full;          /* QUEUE_FULL refusals the writer met */
	uint64_t wakes;         /* FUTEX_WAKE calls the writer made */
};

/* One reading thread: the channel's reader (a queue's consumer) or an
 * observer, with its own reader part. */
struct reader {
	struct stress *s;
	struct seg_reader *rd;
	bool consumer;
	struct chan_cursor cur;
	struct tmsg_stream seen;
	uint64_t contended;
};

static uint64_t
scaled(uint64_t n)
{
	const char *env = getenv("ESHM_STRESS_MESSAGES");

	return env != NULL && atoll(env) > 0 ? n * (uint64_t)atoll(env) / 100000 : n;
}

/* Wake the sleepers once if any reader part says it sleeps. */
static void
wake_sleepers(struct stress *s)
{
	bool any = chan_reader_waits(tm_consumer_part(&s->c));
	unsigned i;

	for (i = 0; i < s->c.observers && !any; i++)
		any = chan_reader_waits(tm_observer_part(&s->c, i));
	if (any) {
		chan_wake(tm_writer_block(&s->c));
		s->wakes++;
	}
}

/* Whether message @i may be the last one. */
static bool
enough(struct stress *s, uint64_t i, uint64_t t0)
{
	unsigned k;

	if (i < s->messages)
		return false;
	if (clock_mono_ns() - t0 > STRESS_NS)
		return true;
	if (atomic_load_explicit(&tm_consumer_part(&s->c)->reads, memory_order_relaxed) <
	    READS_MIN)
		return false;
	for (k = 0; k < s->c.observers; k++)
		if (atomic_load_explicit(&tm_observer_part(&s->c, k)->reads,
		                         memory_order_relaxed) < READS_MIN)
			return false;
	return true;
}

static void *
writer(void *arg)
{
	struct stress *s = arg;
	unsigned char *buf = malloc(s->c.g.capacity);
	struct chan_writer w;
	uint64_t i, rng = 0x243f6a8885a308d3u, t0 = clock_mono_ns();

	chan_writer_init(&w, tm_writer_block(&s->c), &s->c.g);
	for (i = 1; buf != NULL && atomic_load(&s->total) == 0; i++) {
		uint32_t len = tmsg_length(&rng, (uint32_t)s->c.g.capacity);

		/* Known before it is published, so a reader that has it
		 * knows it was the last. */
		if (enough(s, i, t0))
			atomic_store(&s->total, i);
		tmsg_compose(buf, len, i);
		while (chan_write(&w, tm_consumer_part(&s->c), buf, len) == ESHM_ERROR_QUEUE_FULL) {
			s->full++;
			sched_yield();
		}
		wake_sleepers(s);
		if (s->pause_every != 0 && i % s->pause_every == 0)
			usleep(200);
	}
	free(buf);
	return NULL;
}

static void *
read_all(void *arg)
{
	struct reader *r = arg;
	struct stress *s = r->s;
	const struct seg_block *b = tm_reader_block(&s->c);
	unsigned char *buf = malloc(s->c.g.capacity);
	struct timespec deadline;
	struct chan_msg info;

	while (buf != NULL && r->seen.failure[0] == '\0' &&
	       (atomic_load(&s->total) == 0 || r->seen.last < atomic_load(&s->total))) {
		int rc = chan_read(b, &s->c.g, &r->cur, r->consumer, r->rd, buf, s->c.g.capacity,
		                   &info);

		if (rc == ESHM_SUCCESS) {
			tmsg_accept(&r->seen, buf, &info);
		} else if (rc == ESHM_ERROR_CONTENDED) {
			r->contended++;
		} else if (rc != ESHM_ERROR_NO_DATA) {
			snprintf(r->seen.failure, sizeof(r->seen.failure), "read returned %d", rc);
		} else if (s->sleep) {
			/* A lost wake-up leaves the reader asleep with the
			 * last message unread until the deadline. */
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			clock_ts_add_ns(&deadline, WAIT_NS);
			if (chan_wait(b, &s->c.g, r->rd, &r->cur, r->consumer, &deadline) != 0)
				snprintf(r->seen.failure, sizeof(r->seen.failure),
				         "asleep for 10 s after message %llu",
				         (unsigned long long)r->seen.last);
		} else {
			sched_yield();
		}
	}
	free(buf);
	return NULL;
}

static void
check_reader(struct stress *s, const struct reader *r, const char *who)
{
	uint64_t total = atomic_load(&s->total);

	const struct tmsg_stream *seen = &r->seen;

	if (seen->failure[0] != '\0')
		fail_msg("%s: %s", who, seen->failure);
	assert_int_equal(seen->last, total);
	assert_int_equal(seen->received + seen->missed, total);
	if (r->consumer)
		assert_int_equal(seen->received, total);
	/* The shared counters say what the cursor says. */
	assert_int_equal(r->cur.reads, seen->received);
	assert_int_equal(r->cur.missed, seen->missed);
	assert_int_equal(r->cur.contended, r->contended);
	assert_int_equal(atomic_load(&r->rd->reads), seen->received);
	assert_int_equal(atomic_load(&r->rd->missed), seen->missed);
	assert_int_equal(atomic_load(&r->rd->retries), r->cur.retries);
	assert_int_equal(atomic_load(&r->rd->contended), r->contended);
	assert_int_equal(atomic_load(&r->rd->position), total);
	assert_false(chan_reader_waits(r->rd));
	print_message("# %s: %llu received, %llu missed, %llu retries, %llu contended\n", who,
	              (unsigned long long)seen->received, (unsigned long long)seen->missed,
	              (unsigned long long)r->cur.retries, (unsigned long long)r->contended);
}

static void
run(struct stress *s, uint64_t capacity, uint32_t mode, uint32_t depth)
{
	struct reader r[1 + OBSERVERS];
	pthread_t t[1 + OBSERVERS], wt;
	unsigned i;

	assert_int_equal(tm_channel_open(&s->c, capacity, mode, depth, 0, OBSERVERS), 0);
	chan_membarrier_setup();
	memset(r, 0, sizeof(r));
	for (i = 0; i <= OBSERVERS; i++) {
		r[i].s = s;
		r[i].consumer = i == 0 && mode == SEG_MODE_QUEUE;
		r[i].seen.in_order = r[i].consumer;
		r[i].rd = i == 0 ? tm_consumer_part(&s->c) : tm_observer_part(&s->c, i - 1);
		chan_cursor_init(&r[i].cur, tm_reader_block(&s->c), &s->c.g, r[i].consumer, 0);
		assert_int_equal(pthread_create(&t[i], NULL, read_all, &r[i]), 0);
	}
	assert_int_equal(pthread_create(&wt, NULL, writer, s), 0);
	pthread_join(wt, NULL);
	for (i = 0; i <= OBSERVERS; i++)
		pthread_join(t[i], NULL);
	assert_true(atomic_load(&s->total) >= s->messages);
	assert_int_equal(atomic_load(&tm_writer_block(&s->c)->head), atomic_load(&s->total));
	print_message("# %llu messages, %llu refused as full, %llu wakes\n",
	              (unsigned long long)atomic_load(&s->total), (unsigned long long)s->full,
	              (unsigned long long)s->wakes);
	for (i = 0; i <= OBSERVERS; i++) {
		char who[32];

		snprintf(who, sizeof(who), i == 0 ? "reader" : "observer %u", i);
		check_reader(s, &r[i], who);
	}
	tm_channel_close(&s->c);
}

static void
latest_readers_never_see_a_torn_message(void **state)
{
	struct stress s = { .messages = scaled(100000) };

	run(&s, 1024, SEG_MODE_LATEST, 0);
}

static void
latest_sleeping_readers_never_miss_a_wake_up(void **state)
{
	struct stress s = { .messages = scaled(20000), .pause_every = 16, .sleep = true };

	run(&s, 1024, SEG_MODE_LATEST, 0);
}

static void
queue_consumer_gets_every_message_once_in_order(void **state)
{
	struct stress s = { .messages = scaled(100000) };

	run(&s, 512, SEG_MODE_QUEUE, 64);
}

static void
queue_sleeping_consumer_behind_a_full_queue(void **state)
{
	struct stress s = { .messages = scaled(20000), .pause_every = 64, .sleep = true };

	run(&s, 256, SEG_MODE_QUEUE, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(latest_readers_never_see_a_torn_message),
		cmocka_unit_test(latest_sleeping_readers_never_miss_a_wake_up),
		cmocka_unit_test(queue_consumer_gets_every_message_once_in_order),
		cmocka_unit_test(queue_sleeping_consumer_behind_a_full_queue),
	};

	return cmocka_run_group_tests_name("seqlock_stress", tests, NULL, NULL);
}
