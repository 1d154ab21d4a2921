/*
 * test_seqlock_stress.c - a writer thread and a reader thread hammer one
 * channel of a real shared-memory object; every message the reader accepts
 * must be whole (checksummed, random length), the sequence accounting must
 * add up, and a sleeping reader must never miss its wake-up.  Both sides
 * are threads of one process so ThreadSanitizer can watch the protocol.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel.h"
#include "clock.h"
#include "layout.h"

#define CAP 1024u
#define HEAD 16u

struct stress {
	struct seg_map map;
	struct seg_channel *ch;
	struct seg_reader *rd;
	uint64_t messages;      /* how many the writer sends */
	uint32_t pause_every;   /* writer sleeps every n messages (0: never) */
	_Atomic bool done;
};

static uint32_t
fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* Message @index: {index, length, checksum of the body}, then the body. */
static uint32_t
compose(unsigned char *buf, uint64_t index, uint64_t *rng)
{
	uint32_t len, sum, i;

	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	len = HEAD + (uint32_t)(*rng % (CAP - HEAD + 1));
	for (i = HEAD; i < len; i++)
		buf[i] = (unsigned char)(index * 131u + i);
	sum = fnv1a(buf + HEAD, len - HEAD);
	memcpy(buf, &index, 8);
	memcpy(buf + 8, &len, 4);
	memcpy(buf + 12, &sum, 4);
	return len;
}

static void *
writer(void *arg)
{
	struct stress *s = arg;
	unsigned char buf[CAP];
	uint64_t i, rng = 0x9e3779b97f4a7c15u;

	for (i = 1; i <= s->messages; i++) {
		uint32_t len = compose(buf, i, &rng);

		chan_write(s->ch, s->rd, buf, len);
		if (s->pause_every != 0 && i % s->pause_every == 0)
			usleep(200);
	}
	atomic_store_explicit(&s->done, true, memory_order_release);
	return NULL;
}

static void
setup_segment(struct stress *s)
{
	int fd = memfd_create("eshm-stress", MFD_CLOEXEC);
	void *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)seg_total_size(CAP)), 0);
	p = mmap(NULL, seg_total_size(CAP), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	seg_format(p, CAP, 1, 100, 0, 0, 0);
	munmap(p, seg_total_size(CAP));
	assert_int_equal(seg_map_fd(fd, 0, &s->map), ESHM_SUCCESS);
	close(fd);
	s->ch = s->map.channel[SEG_M2S];
	s->rd = s->map.reader[SEG_M2S];
}

/* Check one received message; returns its index. */
static uint64_t
verify(const unsigned char *buf, size_t got)
{
	uint64_t index;
	uint32_t len, sum, i;

	assert_true(got >= HEAD && got <= CAP);
	memcpy(&index, buf, 8);
	memcpy(&len, buf + 8, 4);
	memcpy(&sum, buf + 12, 4);
	assert_int_equal(len, got);
	assert_int_equal(sum, fnv1a(buf + HEAD, len - HEAD));
	for (i = HEAD; i < len; i++)
		assert_int_equal(buf[i], (unsigned char)(index * 131u + i));
	return index;
}

static void
run(struct stress *s, bool sleeping)
{
	struct chan_cursor cur;
	unsigned char buf[CAP];
	uint64_t last = 0, received = 0;
	pthread_t t;

	setup_segment(s);
	chan_cursor_init(&cur, s->ch);
	assert_int_equal(pthread_create(&t, NULL, writer, s), 0);
	while (last < s->messages) {
		size_t got;
		int rc = chan_read(s->ch, s->rd, s->map.capacity, &cur, buf, sizeof(buf), &got);

		if (rc == ESHM_SUCCESS) {
			uint64_t index = verify(buf, got);

			/* Latest value, never twice, never backwards. */
			assert_true(index > last);
			last = index;
			received++;
			continue;
		}
		assert_int_equal(rc, ESHM_ERROR_NO_DATA);
		if (sleeping) {
			struct timespec deadline;

			/* A lost wake-up would leave the reader asleep with the
			 * last message unread: ten seconds is far beyond any
			 * scheduling delay. */
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			clock_ts_add_ns(&deadline, 10ull * 1000000000u);
			assert_int_equal(chan_wait(s->ch, s->rd, &cur, &deadline), 0);
		}
	}
	pthread_join(t, NULL);
	assert_int_equal(last, s->messages);
	/* Every message was either received or counted as missed. */
	assert_int_equal(received + cur.missed, s->messages);
	assert_int_equal(cur.reads, received);
	assert_int_equal(atomic_load(&s->rd->read_count), received);
	assert_int_equal(atomic_load(&s->rd->missed), cur.missed);
	assert_int_equal(atomic_load(&s->rd->retries), cur.retries);
	assert_int_equal(atomic_load(&s->rd->waiters), 0);
	assert_int_equal(chan_write_count(s->ch), s->messages);
	print_message("# %llu messages: %llu received, %llu missed, %llu retries\n",
	              (unsigned long long)s->messages, (unsigned long long)received,
	              (unsigned long long)cur.missed, (unsigned long long)cur.retries);
	seg_unmap(&s->map);
}

static void
concurrent_reader_never_sees_torn_message(void **state)
{
	struct stress s = {.messages = 200000};

	run(&s, false);
}

static void
sleeping_reader_never_misses_wake_up(void **state)
{
	struct stress s = {.messages = 20000, .pause_every = 16};

	run(&s, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_reader_never_sees_torn_message),
		cmocka_unit_test(sleeping_reader_never_misses_wake_up),
	};

	return cmocka_run_group_tests_name("seqlock_stress", tests, NULL, NULL);
}
