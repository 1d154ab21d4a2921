/*
 * test_channel.c - channel protocol 2 seen from one process, on a block
 * that is a sealed memfd mapped read-write by its writer and read-only by
 * its readers: latest value, queue, observers, timestamps, what a failed
 * read leaves in the buffer, repair, and the futex wait.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel.h"
#include "clock.h"
#include "harness.h"
#include "layout.h"
#include "memfd_util.h"

#define CAP 256
#define UNTOUCHED 0xee

struct fixture {
	struct tm_channel c;
	struct chan_writer w;
	struct chan_cursor cur;
	struct seg_reader *rd;        /* the consumer's (or latest reader's) reader part */
	uint64_t noted_waits;         /* a waits word a helper thread saw */
	pid_t reader_tid;             /* the thread that sleeps in chan_wait() */
	_Atomic uint32_t *unheard;    /* given to chan_wait_also(); set: the helper never wakes */
	unsigned char buf[CAP];
};

static struct fixture *
open_channel(uint64_t capacity, uint32_t mode, uint32_t depth, uint32_t flags)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(tm_channel_open(&f->c, capacity, mode, depth, flags, 1), 0);
	chan_membarrier_setup();
	chan_writer_init(&f->w, tm_writer_block(&f->c), &f->c.g);
	chan_cursor_init(&f->cur, tm_reader_block(&f->c), &f->c.g, mode == SEG_MODE_QUEUE, 0);
	f->rd = tm_consumer_part(&f->c);
	memset(f->buf, UNTOUCHED, sizeof(f->buf));
	return f;
}

static int
setup_latest(void **state)
{
	*state = open_channel(CAP, SEG_MODE_LATEST, 0, 0);
	return 0;
}

static int
setup_queue(void **state)
{
	*state = open_channel(CAP, SEG_MODE_QUEUE, 5, 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tm_channel_close(&f->c);
	free(f);
	return 0;
}

/* Publish @text with its NUL. */
static int
put(struct fixture *f, const char *text)
{
	return chan_write(&f->w, tm_consumer_part(&f->c), text, (uint32_t)strlen(text) + 1);
}

/* Read as the channel's reader (the queue's consumer) into f->buf. */
static int
get(struct fixture *f, struct chan_msg *info)
{
	return chan_read(tm_reader_block(&f->c), &f->c.g, &f->cur,
	                 f->c.g.mode == SEG_MODE_QUEUE, f->rd, f->buf, sizeof(f->buf), info);
}

/* Read with another cursor @cur (not the consumer), reader part @rd. */
static int
get_with(struct fixture *f, struct chan_cursor *cur, struct seg_reader *rd, struct chan_msg *info)
{
	return chan_read(tm_reader_block(&f->c), &f->c.g, cur, false, rd, f->buf, sizeof(f->buf),
	                 info);
}

static void
assert_untouched(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != UNTOUCHED)
			fail_msg("buffer byte %zu changed to 0x%02x", i, buf[i]);
}

static void
read_before_any_write_is_no_data(void **state)
{
	struct fixture *f = *state;
	struct chan_msg info = { 0 };

	assert_false(chan_has_new(tm_reader_block(&f->c), &f->c.g, &f->cur, false));
	assert_int_equal(get(f, &info), ESHM_ERROR_NO_DATA);
	assert_untouched(f->buf, sizeof(f->buf));
	assert_int_equal(f->cur.last, 0);
	assert_int_equal(atomic_load(&f->rd->position), 0);
	assert_int_equal(atomic_load(&f->rd->reads), 0);
}

static void
newest_message_wins_and_missed_is_exact(void **state)
{
	struct fixture *f = *state;
	uint64_t rng = 7, written = 0, missed = 0, reads = 0;
	struct chan_msg info;
	char text[32];
	int round;

	for (round = 0; round < 50; round++) {
		unsigned n = 1 + (unsigned)(rng = rng * 6364136223846793005u + 1) % 11, i;

		for (i = 0; i < n; i++) {
			snprintf(text, sizeof(text), "message %llu", (unsigned long long)++written);
			assert_int_equal(put(f, text), ESHM_SUCCESS);
		}
		assert_true(chan_has_new(tm_reader_block(&f->c), &f->c.g, &f->cur, false));
		memset(&info, 0, sizeof(info));
		assert_int_equal(get(f, &info), ESHM_SUCCESS);
		reads++;
		missed += n - 1;
		assert_string_equal((char *)f->buf, text);
		assert_int_equal(info.size, strlen(text) + 1);
		assert_int_equal(info.number, written);
		assert_int_equal(info.missed, n - 1);
		assert_int_equal(info.write_mono_ns, 0);
	}
	assert_int_equal(f->cur.reads, reads);
	assert_int_equal(f->cur.missed, missed);
	assert_int_equal(f->cur.retries, 0);
	assert_int_equal(atomic_load(&f->rd->reads), reads);
	assert_int_equal(atomic_load(&f->rd->missed), missed);
	assert_int_equal(atomic_load(&f->rd->position), written);
	assert_int_equal(atomic_load(&tm_writer_block(&f->c)->head), written);
}

static void
message_is_never_read_twice(void **state)
{
	struct fixture *f = *state;

	put(f, "once");
	assert_int_equal(get(f, NULL), ESHM_SUCCESS);
	assert_false(chan_has_new(tm_reader_block(&f->c), &f->c.g, &f->cur, false));
	memset(f->buf, UNTOUCHED, sizeof(f->buf));
	assert_int_equal(get(f, NULL), ESHM_ERROR_NO_DATA);
	assert_int_equal(get(f, NULL), ESHM_ERROR_NO_DATA);
	assert_untouched(f->buf, sizeof(f->buf));
	put(f, "twice");
	assert_int_equal(get(f, NULL), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "twice");
	assert_int_equal(f->cur.missed, 0);
	assert_int_equal(f->cur.reads, 2);
}

static void
late_reader_starts_at_the_latest_message(void **state)
{
	struct fixture *f = *state;
	struct chan_cursor late;
	struct chan_msg info;
	int i;

	for (i = 0; i < 9; i++)
		put(f, i == 8 ? "newest" : "old");
	chan_cursor_init(&late, tm_reader_block(&f->c), &f->c.g, false, 0);
	assert_int_equal(get_with(f, &late, NULL, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "newest");
	assert_int_equal(info.number, 9);
	assert_int_equal(info.missed, 0);
	assert_int_equal(get_with(f, &late, NULL, &info), ESHM_ERROR_NO_DATA);
}

static void
reader_without_reader_part_writes_nothing(void **state)
{
	struct fixture *f = *state;
	struct chan_cursor peek;
	struct seg_reader before;

	put(f, "peeked");
	memcpy(&before, f->rd, sizeof(before));
	chan_cursor_init(&peek, tm_reader_block(&f->c), &f->c.g, false, 0);
	assert_int_equal(get_with(f, &peek, NULL, NULL), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "peeked");
	assert_memory_equal(&before, f->rd, sizeof(before));
	assert_int_equal(peek.reads, 1);
}

static void
buffer_too_small_leaves_message_unread_and_buffer_untouched(void **state)
{
	struct fixture *f = *state;
	struct chan_msg info = { 0 };

	put(f, "0123456789");
	assert_int_equal(chan_read(tm_reader_block(&f->c), &f->c.g, &f->cur, false, f->rd, f->buf,
	                           4, &info),
	                 ESHM_ERROR_BUFFER_TOO_SMALL);
	assert_int_equal(info.size, 11);
	assert_int_equal(info.number, 1);
	assert_untouched(f->buf, sizeof(f->buf));
	assert_int_equal(f->cur.last, 0);
	assert_int_equal(atomic_load(&f->rd->reads), 0);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "0123456789");
}

static void
size_above_capacity_is_corrupt_consumed_and_never_copied(void **state)
{
	struct fixture *f = *state;
	static const uint32_t sizes[] = { CAP + 1, UINT32_MAX };
	struct chan_msg info;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		put(f, "x");
		/* The writer stores a size no message can have. */
		atomic_store(&chan_slot(tm_writer_block(&f->c), &f->c.g, f->w.last)->size, sizes[i]);
		assert_int_equal(get(f, &info), ESHM_ERROR_SEGMENT_CORRUPT);
		assert_untouched(f->buf, sizeof(f->buf));
		assert_int_equal(get(f, &info), ESHM_ERROR_NO_DATA);
	}
	assert_int_equal(f->cur.reads, 0);
	put(f, "fine");
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "fine");
}

static void
slot_naming_another_slots_message_is_ignored(void **state)
{
	struct fixture *f = *state;
	struct chan_msg info;

	put(f, "real");
	/* Slot 2 claims complete message 7, which belongs to slot 3. */
	atomic_store(&chan_slot(tm_writer_block(&f->c), &f->c.g, 2)->seq, 14);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_int_equal(info.number, 1);
	assert_string_equal((char *)f->buf, "real");
	memset(f->buf, UNTOUCHED, sizeof(f->buf));
	assert_int_equal(get(f, &info), ESHM_ERROR_NO_DATA);
	assert_untouched(f->buf, sizeof(f->buf));
	assert_int_equal(f->cur.retries, 0);
}

/* What a writer that died in the middle of message @m leaves: the odd
 * sequence and part of its bytes. */
static void
die_mid_write(struct fixture *f, uint64_t m)
{
	struct seg_slot *s = chan_slot(tm_writer_block(&f->c), &f->c.g, m);

	atomic_store(&s->seq, 2 * m - 1);
	atomic_store(&s->size, 100);
	memset(seg_slot_data(s, &f->c.g), 'T', 50);
}

static void
odd_slot_of_dead_writer_is_no_data_then_void_after_repair(void **state)
{
	struct fixture *f = *state;
	struct chan_cursor behind;
	struct chan_msg info;
	struct chan_writer next;

	put(f, "good");
	chan_cursor_init(&behind, tm_reader_block(&f->c), &f->c.g, false, 0);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	die_mid_write(f, 2);
	memset(f->buf, UNTOUCHED, sizeof(f->buf));
	assert_false(chan_has_new(tm_reader_block(&f->c), &f->c.g, &f->cur, false));
	assert_int_equal(get(f, &info), ESHM_ERROR_NO_DATA);
	assert_untouched(f->buf, sizeof(f->buf));
	assert_int_equal(f->cur.last, 1);

	assert_int_equal(chan_repair(tm_writer_block(&f->c), &f->c.g), 1);
	assert_int_equal(chan_repair(tm_writer_block(&f->c), &f->c.g), 0);
	assert_int_equal(atomic_load(&chan_slot(tm_writer_block(&f->c), &f->c.g, 2)->seq),
	                 4 | SEG_SEQ_VOID);
	/* The void is consumed as no data and does not come back. */
	assert_int_equal(get(f, &info), ESHM_ERROR_NO_DATA);
	assert_untouched(f->buf, sizeof(f->buf));
	assert_int_equal(f->cur.last, 2);
	assert_int_equal(f->cur.reads, 1);
	assert_int_equal(atomic_load(&f->rd->position), 2);

	/* The block handed back: its writer goes on after the void. */
	chan_writer_init(&next, tm_writer_block(&f->c), &f->c.g);
	assert_int_equal(next.last, 2);
	assert_int_equal(chan_write(&next, NULL, "after", 6), ESHM_SUCCESS);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "after");
	assert_int_equal(info.number, 3);
	assert_int_equal(info.missed, 0);
	/* A reader still before the void passes over it: not missed. */
	assert_int_equal(get_with(f, &behind, NULL, &info), ESHM_SUCCESS);
	assert_int_equal(info.number, 3);
	assert_int_equal(info.missed, 1);   /* message 1, overwritten for this reader */
}

/* The repair's compare-and-swap meets a writer that completes its message
 * between the repair's look at the slot and its swap: the page of eshmd's
 * mapping is made read-only, so the swap faults, and the fault handler
 * completes the message through the writer's mapping before letting the
 * swap run. */
static struct {
	struct fixture *f;
	struct seg_slot *slot;        /* in the writer's mapping */
	void *page;                   /* of the slot in eshmd's mapping */
	uint64_t m;
	volatile sig_atomic_t completed;
} race;

/*
 * The writer's last store, as another process makes it.  ThreadSanitizer
 * sees one process and must not see this store either: its runtime may
 * hold a lock across the swap that faulted, and an instrumented atomic
 * here would wait for it forever.  An aligned 8-byte store is atomic on
 * every CPU this runs on.
 */
__attribute__((no_sanitize("thread"))) static void
complete_write_unseen(_Atomic uint64_t *seq, uint64_t value)
{
	*(volatile uint64_t *)seq = value;
}

static void
complete_write_then_allow_swap(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	if ((char *)si->si_addr < (char *)race.page ||
	    (char *)si->si_addr >= (char *)race.page + SEG_PAGE) {
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	complete_write_unseen(&race.slot->seq, 2 * race.m);
	race.completed = 1;
	mprotect(race.page, SEG_PAGE, PROT_READ | PROT_WRITE);
}

static void
repair_never_clobbers_a_message_completed_meanwhile(void **state)
{
	struct fixture *f = *state;
	struct sigaction sa = { .sa_sigaction = complete_write_then_allow_swap,
		                .sa_flags = SA_SIGINFO }, old;
	struct seg_mapping eshmd;
	struct seg_block *repairer;
	struct chan_msg info;
	unsigned char want[100];

	assert_int_equal(seg_map_block(f->c.fd, &f->c.g, false, true, &eshmd), ESHM_SUCCESS);
	repairer = seg_block_of(&eshmd);
	put(f, "first");
	/* Message 2 is written in full, all but its last store. */
	race.f = f;
	race.m = 2;
	race.slot = chan_slot(tm_writer_block(&f->c), &f->c.g, 2);
	die_mid_write(f, 2);
	memset(seg_slot_data(race.slot, &f->c.g), 'C', 100);
	race.page = (void *)((uintptr_t)chan_slot(repairer, &f->c.g, 2) & ~(uintptr_t)(SEG_PAGE - 1));
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	assert_int_equal(mprotect(race.page, SEG_PAGE, PROT_READ), 0);
	assert_int_equal(chan_repair(repairer, &f->c.g), 0);
	sigaction(SIGSEGV, &old, NULL);
	assert_int_equal(race.completed, 1);
	assert_int_equal(atomic_load(&race.slot->seq), 4);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_int_equal(info.number, 2);
	assert_int_equal(info.size, 100);
	memset(want, 'C', sizeof(want));
	assert_memory_equal(f->buf, want, sizeof(want));

	/* The other order: the swap first, then the writer's last store.
	 * The message then appears complete, with all of its data. */
	die_mid_write(f, 3);
	memset(seg_slot_data(chan_slot(tm_writer_block(&f->c), &f->c.g, 3), &f->c.g), 'D', 100);
	assert_int_equal(chan_repair(repairer, &f->c.g), 1);
	atomic_store_explicit(&chan_slot(tm_writer_block(&f->c), &f->c.g, 3)->seq, 6,
	                      memory_order_release);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_int_equal(info.number, 3);
	assert_int_equal(f->buf[0], 'D');
	assert_int_equal(f->buf[99], 'D');
	seg_unmap(&eshmd);
}

static void
writer_continues_from_the_head_of_a_block_handed_back(void **state)
{
	struct fixture *f = *state;
	struct chan_writer again;
	struct chan_msg info;

	put(f, "1");
	put(f, "2");
	put(f, "3");
	chan_writer_init(&again, tm_writer_block(&f->c), &f->c.g);
	assert_int_equal(again.last, 3);
	assert_int_equal(chan_write(&again, NULL, "4", 2), ESHM_SUCCESS);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_int_equal(info.number, 4);
	assert_string_equal((char *)f->buf, "4");
	/* Stopped between the slot and head: that number is used. */
	atomic_store(&chan_slot(tm_writer_block(&f->c), &f->c.g, 5)->seq, 10);
	chan_writer_init(&again, tm_writer_block(&f->c), &f->c.g);
	assert_int_equal(again.last, 5);
}

/* In a forked child: the registration is the parent's mm's, so the child
 * starts unregistered (full fences) and registers again. */
static int
child_registers_again(void *arg)
{
	struct fixture *f = arg;

	if (atomic_load(&chan_membarrier_ready) != 0)
		return 1;
	chan_membarrier_setup();
	if (atomic_load(&chan_membarrier_ready) != 1)
		return 2;
	return chan_write(&f->w, NULL, "child", 6) == ESHM_SUCCESS ? 0 : 3;
}

static void
membarrier_registration_is_redone_after_fork(void **state)
{
	struct fixture *f = *state;
	struct chan_msg info;

	chan_membarrier_setup();
	if (atomic_load(&chan_membarrier_ready) != 1)
		skip(); /* a kernel without MEMBARRIER_CMD_GLOBAL_EXPEDITED */
	assert_int_equal(th_wait_child_within(th_spawn(child_registers_again, f), 10000), 0);
	assert_int_equal(atomic_load(&chan_membarrier_ready), 1);
	/* The child wrote through the shared block. */
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "child");
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
		rc = chan_wait(tm_reader_block(&f->c), &f->c.g, f->rd, &f->cur, false, &deadline);
	while (rc == 0);
	assert_int_equal(rc, ESHM_ERROR_TIMEOUT);
	assert_true(clock_mono_ns() - t0 >= 30 * 1000000u);
	assert_false(chan_reader_waits(f->rd));
	/* A deadline already past returns at once. */
	assert_int_equal(chan_wait(tm_reader_block(&f->c), &f->c.g, f->rd, &f->cur, false,
	                           &deadline),
	                 ESHM_ERROR_TIMEOUT);
	/* And the buffer of a read after the timeout is untouched. */
	assert_int_equal(get(f, NULL), ESHM_ERROR_NO_DATA);
	assert_untouched(f->buf, sizeof(f->buf));
}

/* Whether thread @tid of this process is blocked in a futex call: its
 * /proc syscall file starts with the call's number while it blocks
 * ("running" otherwise). */
static bool
blocked_in_futex(pid_t tid)
{
	char path[64];
	long nr = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall", (long)tid);
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	if (fscanf(fp, "%ld", &nr) != 1)
		nr = -1;
	fclose(fp);
	return nr == SYS_futex;
}

/* Sees the reader announce its sleep and block on the futex, notes its
 * waits word, then publishes and wakes (unless the reader is unheard). */
static void *
publish_once_reader_sleeps(void *arg)
{
	struct fixture *f = arg;
	uint64_t give_up = clock_mono_ns() + 10ull * 1000000000u;

	while (!((atomic_load(&f->rd->waits) & SEG_WAITS_ASLEEP) &&
	         blocked_in_futex(f->reader_tid)) &&
	       clock_mono_ns() < give_up)
		usleep(100);
	f->noted_waits = atomic_load(&f->rd->waits);
	put(f, "wake");
	if (chan_reader_waits(f->rd) && f->unheard == NULL)
		chan_wake(tm_writer_block(&f->c));
	return NULL;
}

/* Read, sleeping in chan_wait_also() between tries, until a helper thread
 * publishes once it saw this thread asleep: woken (or back from a slice),
 * not timed out. */
static void
sleep_until_woken(struct fixture *f)
{
	struct timespec deadline;
	uint64_t t0 = clock_mono_ns();
	pthread_t t;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	clock_ts_add_ns(&deadline, 20ull * 1000000000u);
	f->reader_tid = gettid();
	assert_int_equal(pthread_create(&t, NULL, publish_once_reader_sleeps, f), 0);
	while ((rc = get(f, NULL)) == ESHM_ERROR_NO_DATA)
		assert_int_equal(chan_wait_also(tm_reader_block(&f->c), &f->c.g, f->rd, &f->cur,
		                                false, NULL, f->unheard, &deadline),
		                 0);
	pthread_join(t, NULL);
	assert_int_equal(rc, ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "wake");
	/* Woken, not timed out: far from the deadline. */
	assert_true(clock_mono_ns() - t0 < 15ull * 1000000000u);
}

static void
wait_returns_when_writer_publishes(void **state)
{
	struct fixture *f = *state;

	sleep_until_woken(f);
	assert_int_equal(f->noted_waits, SEG_WAITS_ASLEEP);
	assert_false(chan_reader_waits(f->rd));
}

/*
 * An observer on a channel eshmd says is quiet: its writer publishes
 * without looking at its waits word, so it wakes nobody.  The sleeper,
 * seeing the quiet word after announcing itself, sleeps in slices and
 * finds the message anyway (else it would sleep to its deadline, 20 s).
 */
static void
an_unheard_sleeper_finds_a_message_nobody_woke_it_for(void **state)
{
	struct fixture *f = *state;
	_Atomic uint32_t quiet = 1;

	f->unheard = &quiet;
	sleep_until_woken(f);
	assert_int_equal(f->noted_waits, SEG_WAITS_ASLEEP);
	assert_false(chan_reader_waits(f->rd));
}

/*
 * A reading thread's asleep bit and the event thread's armed bit share one
 * word: a wait sets and clears its own bit only, and the writer sees
 * either.
 */
static void
asleep_and_armed_bits_share_the_waits_word_without_touching_each_other(void **state)
{
	struct fixture *f = *state;

	atomic_fetch_or(&f->rd->waits, SEG_WAITS_ARMED);
	assert_true(chan_reader_waits(f->rd));
	sleep_until_woken(f);
	assert_int_equal(f->noted_waits, SEG_WAITS_ASLEEP | SEG_WAITS_ARMED);
	/* Awake again: the armed bit is still there, and still means "wake". */
	assert_int_equal(atomic_load(&f->rd->waits), SEG_WAITS_ARMED);
	assert_true(chan_reader_waits(f->rd));
	atomic_fetch_and(&f->rd->waits, ~SEG_WAITS_ARMED);
	assert_false(chan_reader_waits(f->rd));
}

/*
 * Every copy overlapped: the reader maps the block read-only with the
 * middle page of each slot's data made inaccessible.  A copy touching
 * one faults; the handler, standing for a writer on another CPU,
 * publishes slots + 1 messages (so the slot copied is overwritten and
 * the newest message moves to the next slot), then opens that page.
 * Each of the reader's attempts copies from another slot, so each faults
 * once: deterministic, no timer, and done in microseconds.
 */
#define BIG_CAP (5u * SEG_PAGE)
/* Its slots: as few as a latest-value channel has. */
#define BIG_SLOTS SEG_LATEST_SLOTS_MIN

static struct {
	struct chan_writer *w;
	unsigned char *payload;
	void *page[BIG_SLOTS];
	_Atomic unsigned faults;
	bool void_after;      /* then leave every slot void (writers that died) */
} overlap;

static void
publish_during_copy(int sig, siginfo_t *si, void *ctx)
{
	unsigned i, k;

	(void)sig;
	(void)ctx;
	for (i = 0; i < BIG_SLOTS; i++)
		if ((char *)si->si_addr >= (char *)overlap.page[i] &&
		    (char *)si->si_addr < (char *)overlap.page[i] + SEG_PAGE)
			break;
	if (i == BIG_SLOTS) {
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	for (k = 0; k <= BIG_SLOTS; k++)
		chan_write(overlap.w, NULL, overlap.payload, BIG_CAP);
	for (k = 1; overlap.void_after && k <= BIG_SLOTS; k++) {
		uint64_t m = overlap.w->last + k;

		atomic_store(&chan_slot(overlap.w->block, overlap.w->g, m)->seq,
		             (2 * m) | SEG_SEQ_VOID);
	}
	atomic_fetch_add(&overlap.faults, 1);
	mprotect(overlap.page[i], SEG_PAGE, PROT_READ);
}

/* One chan_read() of a big latest-value channel whose every copy faults
 * into publish_during_copy(); returns its code.  The caller closes @c. */
static int
overlapped_read(struct tm_channel *c, struct chan_writer *w, struct chan_cursor *cur,
                struct chan_msg *info, unsigned char *buf, bool void_after)
{
	struct sigaction sa = { .sa_sigaction = publish_during_copy, .sa_flags = SA_SIGINFO }, old;
	uint64_t t0;
	unsigned i;
	int rc;

	assert_int_equal(tm_channel_open(c, BIG_CAP, SEG_MODE_LATEST, 0, 0, 0), 0);
	assert_int_equal(c->g.slots, BIG_SLOTS);
	chan_writer_init(w, tm_writer_block(c), &c->g);
	overlap.w = w;
	overlap.payload = calloc(1, BIG_CAP);
	overlap.void_after = void_after;
	atomic_store(&overlap.faults, 0);
	assert_non_null(overlap.payload);
	for (i = 0; i < BIG_SLOTS; i++) {
		uintptr_t mid = (uintptr_t)seg_slot_data(chan_slot(tm_reader_block(c), &c->g, i), &c->g) +
		                BIG_CAP / 2;

		overlap.page[i] = (void *)(mid & ~(uintptr_t)(SEG_PAGE - 1));
		chan_write(w, NULL, overlap.payload, BIG_CAP);
	}
	chan_cursor_init(cur, tm_reader_block(c), &c->g, false, 0);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	for (i = 0; i < BIG_SLOTS; i++)
		assert_int_equal(mprotect(overlap.page[i], SEG_PAGE, PROT_NONE), 0);
	alarm(30); /* a reader that never returned would fail here, not hang */
	t0 = clock_mono_ns();
	memset(buf, UNTOUCHED, BIG_CAP);
	rc = chan_read(tm_reader_block(c), &c->g, cur, false, tm_consumer_part(c), buf, BIG_CAP,
	               info);
	t0 = clock_mono_ns() - t0;
	alarm(0);
	sigaction(SIGSEGV, &old, NULL);
	for (i = 0; i < BIG_SLOTS; i++)
		mprotect(overlap.page[i], SEG_PAGE, PROT_READ);
	free(overlap.payload);
	assert_true(t0 < 5ull * 1000000000u);
	return rc;
}

/* The read gave up once, after @copies overlapped copies, read nothing,
 * and said so in the cursor and the reader part. */
static void
assert_gave_up_once(const struct tm_channel *c, const struct chan_cursor *cur, unsigned copies)
{
	assert_int_equal(atomic_load(&overlap.faults), copies);
	assert_int_equal(cur->retries, copies);
	assert_int_equal(cur->contended, 1);
	assert_int_equal(cur->reads, 0);
	assert_int_equal(atomic_load(&tm_consumer_part(c)->retries), copies);
	assert_int_equal(atomic_load(&tm_consumer_part(c)->contended), 1);
}

static void
read_overlapped_by_every_copy_gives_up_contended(void **state)
{
	unsigned char *buf = malloc(BIG_CAP);
	struct tm_channel c;
	struct chan_writer w;
	struct chan_cursor cur;
	struct chan_msg info;

	assert_non_null(buf);
	assert_int_equal(overlapped_read(&c, &w, &cur, &info, buf, false), ESHM_ERROR_CONTENDED);
	assert_gave_up_once(&c, &cur, CHAN_READ_ATTEMPTS);
	assert_int_equal(cur.last, BIG_SLOTS - 1);
	/* Nothing overlaps any more: the next read returns the newest. */
	assert_int_equal(chan_read(tm_reader_block(&c), &c.g, &cur, false, tm_consumer_part(&c), buf,
	                           BIG_CAP, &info),
	                 ESHM_SUCCESS);
	assert_int_equal(info.number, w.last);
	assert_int_equal(info.size, BIG_CAP);
	free(buf);
	tm_channel_close(&c);
}

/* An overlapped copy, then nothing complete left to read: the buffer was
 * written, so the call gave up under contention; "no data" would promise
 * an untouched buffer. */
static void
read_overlapped_then_finding_nothing_gives_up_contended(void **state)
{
	unsigned char *buf = malloc(BIG_CAP);
	struct tm_channel c;
	struct chan_writer w;
	struct chan_cursor cur;
	struct chan_msg info;

	assert_non_null(buf);
	assert_int_equal(overlapped_read(&c, &w, &cur, &info, buf, true), ESHM_ERROR_CONTENDED);
	assert_gave_up_once(&c, &cur, 1);
	free(buf);
	tm_channel_close(&c);
}

static void
queue_delivers_every_message_once_in_order(void **state)
{
	struct fixture *f = *state;
	uint64_t written = 0, received = 0;
	struct chan_msg info;
	char text[32];
	int round;

	for (round = 0; round < 40; round++) {
		unsigned n = 1 + (unsigned)round % 5, i;

		for (i = 0; i < n; i++) {
			snprintf(text, sizeof(text), "q%llu", (unsigned long long)++written);
			assert_int_equal(put(f, text), ESHM_SUCCESS);
		}
		while (get(f, &info) == ESHM_SUCCESS) {
			snprintf(text, sizeof(text), "q%llu", (unsigned long long)++received);
			assert_string_equal((char *)f->buf, text);
			assert_int_equal(info.number, received);
			assert_int_equal(info.missed, 0);
		}
		assert_int_equal(received, written);
	}
	assert_int_equal(f->cur.missed, 0);
	assert_int_equal(atomic_load(&f->rd->position), written);
	assert_int_equal(atomic_load(&f->rd->reads), written);
}

static void
full_queue_is_refused_until_the_consumer_frees_room(void **state)
{
	struct fixture *f = *state;
	uint32_t depth = f->c.g.queue_depth;
	struct seg_slot *next;
	uint64_t seq;
	unsigned i;

	for (i = 0; i < depth; i++)
		assert_int_equal(put(f, "fill"), ESHM_SUCCESS);
	next = chan_slot(tm_writer_block(&f->c), &f->c.g, depth + 1);
	seq = atomic_load(&next->seq);
	assert_int_equal(put(f, "over"), ESHM_ERROR_QUEUE_FULL);
	assert_int_equal(put(f, "over"), ESHM_ERROR_QUEUE_FULL);
	/* A refusal publishes nothing. */
	assert_int_equal(atomic_load(&next->seq), seq);
	assert_int_equal(atomic_load(&tm_writer_block(&f->c)->head), depth);
	assert_int_equal(f->w.last, depth);
	/* One consumed, one more fits. */
	assert_int_equal(get(f, NULL), ESHM_SUCCESS);
	assert_int_equal(atomic_load(&f->rd->position), 1);
	assert_int_equal(put(f, "room"), ESHM_SUCCESS);
	assert_int_equal(put(f, "over"), ESHM_ERROR_QUEUE_FULL);
}

static void
writer_reloads_the_consumer_position_only_when_its_room_runs_out(void **state)
{
	struct fixture *f = *state;
	uint32_t depth = f->c.g.queue_depth;
	unsigned i;

	for (i = 0; i < depth; i++)
		assert_int_equal(put(f, "fill"), ESHM_SUCCESS);
	while (get(f, NULL) == ESHM_SUCCESS)
		;
	assert_int_equal(put(f, "reload"), ESHM_SUCCESS);
	/* The room now cached is trusted until used up, whatever the
	 * position says meanwhile (here it falls back to 0). */
	atomic_store(&f->rd->position, 0);
	for (i = 1; i < depth; i++)
		assert_int_equal(put(f, "cached"), ESHM_SUCCESS);
	assert_int_equal(put(f, "over"), ESHM_ERROR_QUEUE_FULL);
	/* A position past the last message counts as the last one: a
	 * consumer that lies loses its own messages, nothing else. */
	atomic_store(&f->rd->position, UINT64_MAX);
	for (i = 0; i < 3 * depth; i++)
		assert_int_equal(put(f, "trusting"), ESHM_SUCCESS);
}

static void
consumer_takes_head_as_a_hint_and_the_slot_as_the_truth(void **state)
{
	struct fixture *f = *state;
	struct chan_msg info;

	put(f, "one");
	put(f, "two");
	/* A head beyond what was written: the slots still decide. */
	atomic_store(&tm_writer_block(&f->c)->head, 100);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_int_equal(info.number, 1);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_int_equal(info.number, 2);
	memset(f->buf, UNTOUCHED, sizeof(f->buf));
	assert_int_equal(get(f, &info), ESHM_ERROR_NO_DATA);
	assert_untouched(f->buf, sizeof(f->buf));
	/* A head behind, seen by a consumer starting after message 2:
	 * nothing until it moves, then everything. */
	put(f, "three");
	put(f, "four");
	atomic_store(&tm_writer_block(&f->c)->head, 2);
	chan_cursor_init(&f->cur, tm_reader_block(&f->c), &f->c.g, true, 2);
	assert_int_equal(get(f, &info), ESHM_ERROR_NO_DATA);
	put(f, "five");
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "three");
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "five");
	assert_int_equal(f->cur.missed, 0);
}

/* Thread: after 20 ms, read one message as the queue's consumer. */
static void *
consume_later(void *arg)
{
	struct fixture *f = arg;

	usleep(20000);
	assert_int_equal(get(f, NULL), ESHM_SUCCESS);
	return NULL;
}

static void
writer_waiting_for_room_is_woken_by_the_consumers_read(void **state)
{
	struct fixture *f = *state;
	struct timespec deadline;
	uint64_t t0;
	pthread_t t;
	unsigned i;
	int rc;

	for (i = 0; i < f->c.g.queue_depth; i++)
		assert_int_equal(put(f, "fill"), ESHM_SUCCESS);
	assert_int_equal(put(f, "late"), ESHM_ERROR_QUEUE_FULL);
	/* nobody reads: the wait ends at its deadline */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	clock_ts_add_ns(&deadline, 30u * 1000000u);
	while ((rc = chan_wait_room(&f->w, tm_consumer_part(&f->c), &deadline)) == 0)
		assert_int_equal(put(f, "late"), ESHM_ERROR_QUEUE_FULL);
	assert_int_equal(rc, ESHM_ERROR_TIMEOUT);
	/* a read frees a slot and wakes the writer, far before its deadline */
	t0 = clock_mono_ns();
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	clock_ts_add_ns(&deadline, 20ull * 1000000000u);
	assert_int_equal(pthread_create(&t, NULL, consume_later, f), 0);
	while ((rc = put(f, "late")) == ESHM_ERROR_QUEUE_FULL)
		assert_int_equal(chan_wait_room(&f->w, tm_consumer_part(&f->c), &deadline), 0);
	pthread_join(t, NULL);
	assert_int_equal(rc, ESHM_SUCCESS);
	assert_true(clock_mono_ns() - t0 < 15ull * 1000000000u);
	assert_int_equal(atomic_load(&tm_writer_block(&f->c)->room_wait), 0);
	/* the consumer made the system call only because the writer waited */
	assert_true(atomic_load(&f->rd->room_seq) >= 1);
}

static void
queue_position_counts_only_for_the_writer_block_it_names(void **state)
{
	struct fixture *f = *state;
	struct seg_reader *rd = tm_consumer_part(&f->c);
	unsigned i;

	/* a consumer whose position names another block (the writer of
	 * incarnation 7 is new): nothing of this block is consumed yet */
	f->w.incarnation = 7;
	atomic_store(&rd->position, 1000);
	atomic_store(&rd->position_of, 6);
	for (i = 0; i < f->c.g.queue_depth; i++)
		assert_int_equal(put(f, "new"), ESHM_SUCCESS);
	assert_int_equal(put(f, "over"), ESHM_ERROR_QUEUE_FULL);
	/* the consumer moves to this block: a position beyond the head (an
	 * untrusted number) counts as the head, named with release */
	atomic_store(&rd->position_of, 7);
	atomic_store(&rd->position, 1000);
	chan_consumer_start(&f->cur, rd, tm_reader_block(&f->c), &f->c.g, 7);
	assert_int_equal(atomic_load(&rd->position), f->c.g.queue_depth);
	assert_int_equal(f->cur.last, f->c.g.queue_depth);
	f->w.room = 0;
	assert_int_equal(put(f, "room"), ESHM_SUCCESS);
	/* the same start on a block it does not name begins at the first */
	atomic_store(&rd->position_of, 3);
	chan_consumer_start(&f->cur, rd, tm_reader_block(&f->c), &f->c.g, 7);
	assert_int_equal(f->cur.last, 0);
	assert_int_equal(atomic_load(&rd->position_of), 7);
	/* eshmd hands a new consumer block the old one's position */
	{
		struct seg_reader fresh;

		memset(&fresh, 0, sizeof(fresh));
		chan_position_inherit(&fresh, rd);
		assert_int_equal(atomic_load(&fresh.position), 0);
		assert_int_equal(atomic_load(&fresh.position_of), 7);
	}
}

static void
queue_without_consumer_fills_to_its_depth(void **state)
{
	struct fixture *f = *state;
	unsigned i;

	for (i = 0; i < f->c.g.queue_depth; i++)
		assert_int_equal(chan_write(&f->w, NULL, "x", 2), ESHM_SUCCESS);
	assert_int_equal(chan_write(&f->w, NULL, "x", 2), ESHM_ERROR_QUEUE_FULL);
}

static void
observer_of_a_queue_reads_the_oldest_and_counts_what_it_missed(void **state)
{
	struct fixture *f = *state;
	struct seg_reader *orp = tm_observer_part(&f->c, 0);
	struct chan_cursor obs;
	struct chan_msg info;
	char text[32];
	uint64_t n;

	chan_cursor_init(&obs, tm_reader_block(&f->c), &f->c.g, false, 0);
	for (n = 1; n <= 3; n++) {
		snprintf(text, sizeof(text), "q%llu", (unsigned long long)n);
		assert_int_equal(put(f, text), ESHM_SUCCESS);
	}
	assert_int_equal(get_with(f, &obs, orp, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "q1");
	assert_int_equal(info.missed, 0);
	/* The consumer keeps up; the observer does not, and never holds the
	 * writer back. */
	for (; n <= 40; n++) {
		snprintf(text, sizeof(text), "q%llu", (unsigned long long)n);
		assert_int_equal(put(f, text), ESHM_SUCCESS);
		assert_int_equal(get(f, NULL), ESHM_SUCCESS);
	}
	while (get(f, NULL) == ESHM_SUCCESS)
		;
	/* The ring (8 slots) holds 33..40: the oldest comes first. */
	assert_int_equal(get_with(f, &obs, orp, &info), ESHM_SUCCESS);
	assert_int_equal(info.number, 40 - f->c.g.slots + 1);
	assert_int_equal(info.missed, 40 - f->c.g.slots + 1 - 2);
	for (n = info.number + 1; n <= 40; n++) {
		assert_int_equal(get_with(f, &obs, orp, &info), ESHM_SUCCESS);
		assert_int_equal(info.number, n);
		assert_int_equal(info.missed, 0);
	}
	assert_int_equal(get_with(f, &obs, orp, &info), ESHM_ERROR_NO_DATA);
	assert_int_equal(atomic_load(&orp->missed), 40 - f->c.g.slots - 1);
	assert_int_equal(atomic_load(&orp->reads), f->c.g.slots + 1);
	assert_int_equal(atomic_load(&orp->position), 40);
	/* The consumer saw everything, in order. */
	assert_int_equal(f->cur.reads, 40);
	assert_int_equal(f->cur.missed, 0);
}

static void
timestamps_are_reported_only_when_the_segment_carries_them(void **state)
{
	struct fixture *f = open_channel(CAP, SEG_MODE_LATEST, 0, SEG_FLAG_TIMESTAMPS);
	struct chan_msg info;
	uint64_t t0, t1;

	t0 = clock_mono_ns();
	put(f, "stamped");
	t1 = clock_mono_ns();
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_string_equal((char *)f->buf, "stamped");
	assert_true(info.write_mono_ns >= t0 && info.write_mono_ns <= t1);
	teardown((void **)&f);

	f = open_channel(CAP, SEG_MODE_QUEUE, 4, SEG_FLAG_TIMESTAMPS);
	put(f, "queued");
	assert_int_equal(get(f, &info), ESHM_SUCCESS);
	assert_true(info.write_mono_ns >= t1 && info.write_mono_ns <= clock_mono_ns());
	teardown((void **)&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(read_before_any_write_is_no_data, setup_latest,
		                                teardown),
		cmocka_unit_test_setup_teardown(newest_message_wins_and_missed_is_exact, setup_latest,
		                                teardown),
		cmocka_unit_test_setup_teardown(message_is_never_read_twice, setup_latest, teardown),
		cmocka_unit_test_setup_teardown(late_reader_starts_at_the_latest_message, setup_latest,
		                                teardown),
		cmocka_unit_test_setup_teardown(reader_without_reader_part_writes_nothing,
		                                setup_latest, teardown),
		cmocka_unit_test_setup_teardown(
			buffer_too_small_leaves_message_unread_and_buffer_untouched, setup_latest,
			teardown),
		cmocka_unit_test_setup_teardown(size_above_capacity_is_corrupt_consumed_and_never_copied,
		                                setup_latest, teardown),
		cmocka_unit_test_setup_teardown(slot_naming_another_slots_message_is_ignored,
		                                setup_latest, teardown),
		cmocka_unit_test_setup_teardown(
			odd_slot_of_dead_writer_is_no_data_then_void_after_repair, setup_latest,
			teardown),
		cmocka_unit_test_setup_teardown(repair_never_clobbers_a_message_completed_meanwhile,
		                                setup_latest, teardown),
		cmocka_unit_test_setup_teardown(writer_continues_from_the_head_of_a_block_handed_back,
		                                setup_latest, teardown),
		cmocka_unit_test_setup_teardown(membarrier_registration_is_redone_after_fork,
		                                setup_latest, teardown),
		cmocka_unit_test_setup_teardown(wait_times_out_when_nothing_is_written, setup_latest,
		                                teardown),
		cmocka_unit_test_setup_teardown(wait_returns_when_writer_publishes, setup_latest,
		                                teardown),
		cmocka_unit_test_setup_teardown(an_unheard_sleeper_finds_a_message_nobody_woke_it_for,
		                                setup_latest, teardown),
		cmocka_unit_test_setup_teardown(
			asleep_and_armed_bits_share_the_waits_word_without_touching_each_other,
			setup_latest, teardown),
		cmocka_unit_test(read_overlapped_by_every_copy_gives_up_contended),
		cmocka_unit_test(read_overlapped_then_finding_nothing_gives_up_contended),
		cmocka_unit_test_setup_teardown(queue_delivers_every_message_once_in_order,
		                                setup_queue, teardown),
		cmocka_unit_test_setup_teardown(full_queue_is_refused_until_the_consumer_frees_room,
		                                setup_queue, teardown),
		cmocka_unit_test_setup_teardown(
			writer_reloads_the_consumer_position_only_when_its_room_runs_out, setup_queue,
			teardown),
		cmocka_unit_test_setup_teardown(
			consumer_takes_head_as_a_hint_and_the_slot_as_the_truth, setup_queue,
			teardown),
		cmocka_unit_test_setup_teardown(writer_waiting_for_room_is_woken_by_the_consumers_read,
		                                setup_queue, teardown),
		cmocka_unit_test_setup_teardown(queue_position_counts_only_for_the_writer_block_it_names,
		                                setup_queue, teardown),
		cmocka_unit_test_setup_teardown(queue_without_consumer_fills_to_its_depth, setup_queue,
		                                teardown),
		cmocka_unit_test_setup_teardown(
			observer_of_a_queue_reads_the_oldest_and_counts_what_it_missed, setup_queue,
			teardown),
		cmocka_unit_test(timestamps_are_reported_only_when_the_segment_carries_them),
	};

	return cmocka_run_group_tests_name("channel", tests, NULL, NULL);
}
