/*
 * channel.h - channel protocol 2: one writer publishes messages into a
 * ring of slots in its own endpoint block (layout.h); readers copy them
 * from a read-only mapping, without locks or system calls.
 *
 * Two modes share the slot format.  Latest value: 4 to 32 slots (layout.h),
 * the writer never waits, a reader gets the newest complete message it
 * has not consumed.  Queue: every message is read exactly once, in order,
 * by the one consumer, and the writer refuses to overwrite a slot the
 * consumer has not freed.  Observers read either mode without ever holding
 * the writer back.
 *
 * Message m (1, 2, ...) goes to slot m % slots.  A slot's sequence is
 * 2m - 1 while m is written, 2m once it is complete, and 2m | SEG_SEQ_VOID
 * for a message that never completed (a repair, a cancelled loan), which
 * readers consume as "no data".  A sequence of a slot only grows, except
 * through the repair's compare-and-swap from 2m - 1 to 2m | SEG_SEQ_VOID.
 *
 * Memory orders per slot follow the proven seqlock recipe (Boehm, "Can
 * seqlocks get along with programming language memory models?"):
 *
 *   writer: seq = 2m - 1 (relaxed); release fence; size, data;
 *           seq = 2m (release); head = m (release); store-load fence;
 *           then the caller wakes whoever announced it waits.
 *   reader: s1 = seq (acquire); not the message wanted -> stop;
 *           size (checked), data; acquire fence; s2 = seq (relaxed);
 *           s1 != s2 -> retry (bounded).
 *
 * The release fence keeps the data stores from rising above the odd
 * store; the acquire fence keeps the data loads from sinking below the
 * re-check (an acquire load of s2 would not: later loads may not rise
 * above it, earlier ones may sink below).  Nothing read inside the window
 * is trusted before s1 == s2: the size is checked against the capacity and
 * the buffer before any byte is copied, and acted on only after the
 * re-check.  A copy whose re-check fails may have stored torn bytes in the
 * caller's buffer, which is why nothing is copied before a complete
 * message was found, and why the only failure that may leave the buffer
 * changed is ESHM_ERROR_CONTENDED.
 *
 * The copies are plain copies (memcpy, or for 8 to 64 bytes a few vector
 * moves) of memory the other side writes while a copy may run: a data
 * race in the letter of C11, as in the Linux kernel's seqcount readers
 * and Folly's seqlock.  The sequence re-check discards every copy such a
 * race could have torn; the bytes themselves are never interpreted before
 * it.  A word-by-word relaxed atomic copy would be race-free and was
 * measured 3-7 times slower at 4 KiB.
 *
 * Latest value: the newest complete message.  The writer fills slots in
 * message order, so the reader probes from c = last + 1: the slot c % slots
 * holds a number j.  j < c: message c has not started, nor has anything
 * after it: the probe ends.  j >= c complete: j is the newest seen so far
 * and the probe goes on at j + 1.  j > c in progress: the writer is at j,
 * so j - slots + 1 .. j - 1 are the complete ones and the probe goes on at
 * j - slots + 1.  j == c in progress: nothing after c exists: the end.  A
 * void j >= c is passed over (consumed, not counted as missed).  A number
 * that does not belong to its slot (j % slots != c % slots: only a vandal
 * stores one) ends the probe like an older one.  When the probe ends at a
 * slot where message c has not completed, the candidate c - 1 was the
 * newest complete message at the moment of that load: it is returned, or
 * a newer one if the writer completed one meanwhile.  Every step raises
 * c, and at most slots + 1 probes run per copy, whatever the slots hold: a
 * writer faster than a probe would otherwise lead the probe on from one
 * newer message to the next, and the newest found by then is as good a
 * latest value as any.  Missed: the numbers between the previous message
 * and the one returned, minus the voids the probe passed, so exact
 * against a writer that counts.  A writer at full speed must publish slots - 1
 * messages and start another during one copy to overlap it; an overlapped
 * copy is retried with a new probe, at most CHAN_READ_ATTEMPTS copies per
 * call, and one that gave up is counted (contended) and reported.
 *
 * Queue: the consumer reads last + 1, complete in its slot, and after the
 * copy and the re-check stores last + 1 in its reader part's position
 * (release).  The writer may publish m only while m - position <=
 * queue_depth <= slots, so message m's slot held m - slots, which the
 * consumer has consumed: its release store, read by the writer with an
 * acquire load, orders its copy before the writer's overwrite, and the
 * consumer is never overlapped.  The writer caches its room (publishes
 * left before the consumer's position must be loaded again) and reloads
 * the position only when the cache is exhausted, so a consumer keeping up
 * costs the writer one cache miss per queue_depth messages.  The consumer,
 * in turn, loads head only once it has read all head last announced
 * (chan_consumer_ahead()), as the reader of a plain ring polls the
 * writer's index.  The position
 * is an untrusted number: a value beyond the last message counts as the
 * last message, one further behind than the depth as a full queue.  An
 * observer on a queue (and a consumer whose position the writer did not
 * honour) reads the oldest message still in the ring: a slot holding a
 * number above the one wanted means the writer passed it, the oldest
 * intact message is then that number (or head, if higher) - slots + 1,
 * and the skipped ones count as missed.
 *
 * A writer waiting for room (eshm_write_timeout()) loads the consumer's
 * room sequence, stores its own room-wait word (line 0 of its block, which
 * otherwise changes once a heartbeat period), runs the heavy side of the
 * fence below, loads the consumer's position once more and calls
 * FUTEX_WAIT on the room sequence with the value it loaded.  The consumer,
 * after storing its position, runs the light side and loads the room-wait
 * word; only when it is set does it increment its room sequence and call
 * FUTEX_WAKE.  Either the writer sees the new position, or the consumer
 * sees the room-wait word and its increment makes the writer's FUTEX_WAIT
 * return at once or wakes it.  A consumer pays a compiler barrier and a
 * load of a line that is almost always in its cache, and a system call
 * only while a writer waits.
 *
 * A queue position counts messages of one writer block: the consumer
 * stores, after it, the incarnation of the block it counts in
 * (position_of), and a writer counts a position only when it names its
 * own block, so a new writer block starts empty until the consumer moved
 * to it, and a new consumer block given the previous consumer's position
 * (by eshmd) goes on where that one stopped.
 *
 * No wake-up is lost.  A reader about to sleep stores its reader part's
 * wait word, runs a full barrier, loads head, looks for a new message
 * once more, and calls FUTEX_WAIT on head's low 32 bits with the value it
 * loaded.  The writer stores the slot and head, runs a full barrier, then
 * loads the wait word.  Of two threads that each store, fence and load,
 * one sees the other's store: either the writer sees the wait word and
 * calls FUTEX_WAKE (which cannot come before its head store, and the
 * kernel compares head with the value the reader loaded atomically with
 * queueing it), or the reader sees the message and does not sleep.  The
 * reader, about to sleep anyway, pays for both barriers: it calls
 * membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which runs a full barrier
 * on every CPU running a registered process, so the writer's side is a
 * compiler barrier only (the asymmetric fence of liburcu).  A writer whose
 * process could not register uses a real seq_cst fence; a reader that
 * cannot issue membarrier sleeps in 1 ms slices, so even a missed wake-up
 * costs at most that.  The futex is shared (not FUTEX_PRIVATE_FLAG): its
 * key is the memfd's inode and offset, which FUTEX_WAIT takes on a
 * read-only mapping too.
 *
 * Repair.  A writer that died mid-write left one slot at 2m - 1.  Once the
 * kernel proved the death, eshmd compare-and-swaps that exact odd value to
 * 2m | SEG_SEQ_VOID.  Had the verdict been wrong and the writer still run,
 * its last store of the message (seq = 2m) comes after all of its data: if
 * it lands before the CAS, the CAS fails and the message stays complete;
 * if after, it replaces the void with a complete message whose data is all
 * there.  A completed message is never clobbered, a torn one never
 * delivered (at worst a reader consumed the void and misses m).
 *
 * ThreadSanitizer models neither standalone fences nor the seqlock idea
 * that a racy copy is discarded, and would report the copies.  Under it
 * the copies are hidden from it and the protocol's happens-before edges
 * are annotated instead (__tsan_release before the writer's even store,
 * __tsan_acquire after a reader's successful re-check), keeping the fast
 * memcpy.  TSan sees threads, not processes: the stress test runs both
 * sides of a channel as threads of one process.
 */
#ifndef ESHM_COMMON_CHANNEL_H
#define ESHM_COMMON_CHANNEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "eshm.h"
#include "layout.h"

#if defined(__SANITIZE_THREAD__)
#define CHAN_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CHAN_TSAN 1
#endif
#endif

#ifdef CHAN_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define CHAN_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define CHAN_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#define CHAN_TSAN_HIDE_BEGIN()                                                                     \
	do {                                                                                       \
		AnnotateIgnoreReadsBegin(__FILE__, __LINE__);                                      \
		AnnotateIgnoreWritesBegin(__FILE__, __LINE__);                                     \
	} while (0)
#define CHAN_TSAN_HIDE_END()                                                                       \
	do {                                                                                       \
		AnnotateIgnoreWritesEnd(__FILE__, __LINE__);                                       \
		AnnotateIgnoreReadsEnd(__FILE__, __LINE__);                                        \
	} while (0)
#else
#define CHAN_TSAN_RELEASE(p) ((void)0)
#define CHAN_TSAN_ACQUIRE(p) ((void)0)
#define CHAN_TSAN_HIDE_BEGIN() ((void)0)
#define CHAN_TSAN_HIDE_END() ((void)0)
#endif

/*
 * The data path's steps are inlined whatever the compiler's size
 * heuristics say: a call per step costs more than a small message's copy.
 */
#define CHAN_HOT static inline __attribute__((always_inline))

/* Copies one read call redoes because a write overlapped, before it gives
 * up as contended: a writer at full speed must publish slots - 1 messages
 * during one copy to overlap it, so a read that gives up is rare. */
#define CHAN_READ_ATTEMPTS 4

/* The writer's private state, kept in its handle. */
struct chan_writer {
	struct seg_block *block;      /* its own block, mapped read-write */
	const struct seg_geometry *g; /* validated at attach */
	uint64_t last;                /* last message number published */
	uint64_t room;                /* queue: publishes left before reloading the consumer's position */
	uint64_t incarnation;         /* queue: of its block, which a consumer's position must name */
	uint32_t loaned;              /* bytes of the loan out, 0: none */
};

/* A reader's private position on a channel, kept in its handle. */
struct chan_cursor {
	uint64_t last;                /* message number last consumed; 0: none */
	uint64_t reads;               /* messages consumed */
	uint64_t missed;              /* messages skipped (overwritten before read) */
	uint64_t retries;             /* copies redone because a write overlapped */
	uint64_t contended;           /* reads that gave up */
	uint64_t avail;               /* queue's consumer: head as it last loaded it */
};

/* What chan_read() tells of the message it returned. */
struct chan_msg {
	size_t size;                  /* bytes (BUFFER_TOO_SMALL: bytes needed) */
	uint64_t number;              /* the writer's message number; 1 = first of its block */
	uint64_t missed;              /* messages skipped since the previous read */
	uint64_t write_mono_ns;       /* 0 unless the segment carries timestamps */
};

/* A spin-wait hint to the CPU. */
static inline void
chan_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Register this process for membarrier's global expedited command, once
 * (again after fork()), before its first chan_write().  Thread-safe. */
void chan_membarrier_setup(void);

/* 1 once this process registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED, so
 * its writers may use the light side of the fence; -1 if it cannot; 0 not
 * tried yet (see chan_membarrier_setup()). */
extern _Atomic int chan_membarrier_ready;

/* The writer's store-load barrier between publishing and loading the wait
 * words: a compiler barrier when readers can force a real one with
 * membarrier, a full fence otherwise. */
CHAN_HOT void
chan_store_load_fence(void)
{
	if (atomic_load_explicit(&chan_membarrier_ready, memory_order_relaxed) == 1)
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/* The message number a slot sequence refers to: 2m - 1, 2m and
 * 2m | SEG_SEQ_VOID all give m; 0 (a slot never written) gives 0. */
CHAN_HOT uint64_t
chan_seq_number(uint64_t seq)
{
	return ((seq & ~SEG_SEQ_VOID) + 1) >> 1;
}

/* The slot of message @n of the block at @b. */
CHAN_HOT struct seg_slot *
chan_slot(const struct seg_block *b, const struct seg_geometry *g, uint64_t n)
{
	/* slots is a power of two (seg_geometry). */
	return seg_slot_at((struct seg_block *)b, g, (uint32_t)(n & (g->slots - 1)));
}

/*
 * The copy into or out of a slot: memcpy, whose call and size dispatch
 * cost more than the copy itself for a small message; those (8 to 64
 * bytes) are copied as two overlapping fixed-size blocks the compiler
 * turns into a few vector moves.
 */
CHAN_HOT void
chan_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (n >= 32 && n <= 64) {
		__builtin_memcpy(d, s, 32);
		__builtin_memcpy(d + n - 32, s + n - 32, 32);
	} else if (n >= 16 && n < 32) {
		__builtin_memcpy(d, s, 16);
		__builtin_memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8 && n < 16) {
		__builtin_memcpy(d, s, 8);
		__builtin_memcpy(d + n - 8, s + n - 8, 8);
	} else {
		memcpy(d, s, n);
	}
}

/* ---------------------------------------------------------------- writer */

/*
 * Start @w on @block, the writer's own block (a fresh one is all zeros; a
 * block handed back after an eshmd restart continues from its head).
 */
void chan_writer_init(struct chan_writer *w, struct seg_block *block, const struct seg_geometry *g);

/*
 * Fetch the line at @p to be written: owned, not shared, so the store
 * that follows waits for nothing.  GCC turns a write prefetch into
 * PREFETCHW on x86 only when told the CPU has it; every x86-64 CPU runs
 * the instruction (those without it as a no-op), so it is written out.
 */
CHAN_HOT void
chan_prefetch_for_write(const unsigned char *p)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__("prefetchw %0" : : "m"(*p));
#else
	__builtin_prefetch(p, 1);
#endif
}

/*
 * Fetch the line or two holding message @n's header and the start of its
 * data, for writing (@write) or reading.  A read's copy waits for the size
 * in the header before it loads the data's tail, so a message whose data
 * crosses into the slot's second line would otherwise cost two cache
 * misses one after the other.
 */
CHAN_HOT void
chan_prefetch_message(const struct seg_block *block, const struct seg_geometry *g, uint64_t n,
                      bool write)
{
	const unsigned char *s = (const unsigned char *)chan_slot(block, g, n);
	bool two = g->data_offset + g->capacity > SEG_CACHE_LINE;

	if (write) {
		chan_prefetch_for_write(s);
		if (two)
			chan_prefetch_for_write(s + SEG_CACHE_LINE);
	} else {
		__builtin_prefetch(s);
		if (two)
			__builtin_prefetch(s + SEG_CACHE_LINE);
	}
}

/*
 * How many messages ahead a queue's writer fetches the slot it will fill,
 * once the consumer freed it: the slot's lines sit in the consumer's
 * cache, and fetching them about one transfer's time ahead keeps the
 * writer's stores from waiting for each in turn (a 64-byte queue's rate
 * rose by a third with 8 on a 2-vCPU AMD EPYC VM; 2 and 16 did less).
 */
#define CHAN_WRITE_AHEAD 8

/* Queue mode: refill @w's room from the consumer's position, which counts
 * only when it names @w's block (position_of).  Returns false when the
 * queue holds queue_depth unconsumed messages. */
CHAN_HOT bool
chan_queue_room(struct chan_writer *w, const struct seg_reader *consumer)
{
	uint64_t pos = 0, used;

	/* Acquire, both: position_of is stored after the position it goes
	 * with, and the consumer's copy of the slot we are about to reuse
	 * happened before its release store of the position. */
	if (consumer != NULL &&
	    atomic_load_explicit(&consumer->position_of, memory_order_acquire) == w->incarnation)
		pos = atomic_load_explicit(&consumer->position, memory_order_acquire);
	if (pos > w->last)
		pos = w->last;
	used = w->last - pos;
	w->room = used < w->g->queue_depth ? w->g->queue_depth - used : 0;
	return w->room != 0;
}

/*
 * Open message last + 1 for writing: in queue mode take room for it (a
 * full queue is refused), then mark its slot odd.  Until chan_end() (or a
 * cancel) readers see the message as being written.  Returns
 * ESHM_SUCCESS with *@slot set, or ESHM_ERROR_QUEUE_FULL.
 */
CHAN_HOT int
chan_begin(struct chan_writer *w, const struct seg_reader *consumer, struct seg_slot **slot)
{
	const struct seg_geometry *g = w->g;
	uint64_t m = w->last + 1;
	struct seg_slot *s;

	if (g->mode == SEG_MODE_QUEUE) {
		if (w->room == 0 && !chan_queue_room(w, consumer))
			return ESHM_ERROR_QUEUE_FULL;
		w->room--;
		if (w->room > CHAN_WRITE_AHEAD)
			chan_prefetch_message(w->block, g, m + CHAN_WRITE_AHEAD, true);
	}
	s = chan_slot(w->block, g, m);
	atomic_store_explicit(&s->seq, 2 * m - 1, memory_order_relaxed);
	/* Release: the data stores that follow stay after the odd store. */
	atomic_thread_fence(memory_order_release);
	*slot = s;
	return ESHM_SUCCESS;
}

/* Complete the message chan_begin() opened in @s with @size bytes (its
 * data already in the slot): size, time, even sequence, head. */
CHAN_HOT void
chan_end(struct chan_writer *w, struct seg_slot *s, uint32_t size)
{
	uint64_t m = w->last + 1;

	atomic_store_explicit(&s->size, size, memory_order_relaxed);
	if (w->g->seg_flags & SEG_FLAG_TIMESTAMPS)
		atomic_store_explicit(&s->write_mono_ns, clock_mono_ns(), memory_order_relaxed);
	CHAN_TSAN_RELEASE(&s->seq);
	atomic_store_explicit(&s->seq, 2 * m, memory_order_release);
	/* Release: a consumer that sees head = m finds m complete. */
	atomic_store_explicit(&w->block->head, m, memory_order_release);
	w->last = m;
	chan_store_load_fence();
}

/*
 * Publish @size bytes (1..capacity: the caller checked) from @data.  Queue
 * mode: @consumer is the consumer's reader part (read-only mapping; NULL
 * when none ever attached: then the queue fills to its depth), and a full
 * queue is refused.  Latest mode ignores @consumer.  Ends with the
 * store-load fence, so the caller may then load who waits
 * (chan_reader_waits()) and wake them (chan_wake()).  One writer per block,
 * no loan out.  No system call, no lock, no clock (unless the segment
 * carries timestamps), no locked instruction (a full fence only in a
 * process that could not register for membarrier).
 * Returns ESHM_SUCCESS or ESHM_ERROR_QUEUE_FULL.
 */
CHAN_HOT int
chan_write(struct chan_writer *w, const struct seg_reader *consumer, const void *data,
           uint32_t size)
{
	struct seg_slot *s;
	int rc = chan_begin(w, consumer, &s);

	if (rc != ESHM_SUCCESS)
		return rc;
	CHAN_TSAN_HIDE_BEGIN();
	chan_copy(seg_slot_data(s, w->g), data, size);
	CHAN_TSAN_HIDE_END();
	chan_end(w, s, size);
	return ESHM_SUCCESS;
}

/*
 * Zero copy: lend the writer the data area of the next message's slot
 * (capacity bytes) in *@data, as chan_write() would fill it; readers see
 * nothing of it until chan_publish().  @loaned: the bytes the caller may
 * publish (1..capacity).  Returns ESHM_SUCCESS or ESHM_ERROR_QUEUE_FULL.
 */
static inline int
chan_loan(struct chan_writer *w, const struct seg_reader *consumer, uint32_t loaned, void **data)
{
	struct seg_slot *s;
	int rc = chan_begin(w, consumer, &s);

	if (rc != ESHM_SUCCESS)
		return rc;
	w->loaned = loaned;
	*data = seg_slot_data(s, w->g);
	return ESHM_SUCCESS;
}

/* Publish the loan out as a message of @size bytes (1..loaned: the caller
 * checked), as chan_write() ends. */
static inline void
chan_publish(struct chan_writer *w, uint32_t size)
{
	w->loaned = 0;
	chan_end(w, chan_slot(w->block, w->g, w->last + 1), size);
}

/* Give the loan out back: its message becomes a void that readers pass
 * over, as a dead writer's half-written one does after the repair. */
void chan_loan_cancel(struct chan_writer *w);

/*
 * Queue mode: how many messages of @writer's block (of @incarnation) the
 * consumer whose reader part is @consumer (NULL: none yet) has not read:
 * all of them while its position names another block, never more than
 * the depth (the numbers are untrusted).  For statistics; any thread.
 */
static inline uint64_t
chan_queue_unread(const struct seg_block *writer, uint64_t incarnation,
                  const struct seg_reader *consumer, const struct seg_geometry *g)
{
	uint64_t head = atomic_load_explicit(&writer->head, memory_order_relaxed), pos = 0;

	if (consumer != NULL &&
	    atomic_load_explicit(&consumer->position_of, memory_order_relaxed) == incarnation)
		pos = atomic_load_explicit(&consumer->position, memory_order_relaxed);
	head -= pos < head ? pos : head;
	return head < g->queue_depth ? head : g->queue_depth;
}

/* Whether the reader part @rd announced that it sleeps on the writer's
 * head, or that its event thread does (armed): an untrusted word, any
 * value other than 0 means yes. */
CHAN_HOT bool
chan_reader_waits(const struct seg_reader *rd)
{
	return atomic_load_explicit(&rd->waits, memory_order_relaxed) != 0;
}

/* FUTEX_WAKE every reader asleep on @block's head (a system call). */
void chan_wake(const struct seg_block *block);

/*
 * Queue mode, the writer @w whose queue is full: wait until @consumer (the
 * consumer's reader part, read-only) frees a slot or until the
 * CLOCK_MONOTONIC time @deadline (see the top: the writer's room-wait
 * word, the consumer's room sequence).  Spurious returns are possible:
 * callers publish again and loop.  A system call or two.
 * Returns 0, or ESHM_ERROR_TIMEOUT once @deadline has passed.
 */
int chan_wait_room(struct chan_writer *w, const struct seg_reader *consumer,
                   const struct timespec *deadline);

/* A sleeper that no writer may have heard (no membarrier, or an observer
 * on a quiet channel) sleeps no longer than this at a time. */
#define CHAN_SLICE_NS 1000000u

/*
 * A second futex word a wait also returns on once it no longer holds @val
 * (a word private to the caller's process, e.g. its interrupt counter),
 * through futex_waitv(); on a kernel without it, the wait looks at the
 * word once a slice (CHAN_SLICE_NS).
 */
struct chan_also {
	const _Atomic uint32_t *word;
	uint32_t val;
};

/* chan_wait_room(), returning as well when @also changes (NULL: never). */
int chan_wait_room_also(struct chan_writer *w, const struct seg_reader *consumer,
                        const struct chan_also *also, const struct timespec *deadline);

/* Sleep while the process-private @word holds @val or until @also changes
 * or the CLOCK_MONOTONIC time @deadline.  Spurious returns are possible.
 * Returns 0, or ESHM_ERROR_TIMEOUT once @deadline has passed. */
int chan_wait_word(const _Atomic uint32_t *word, uint32_t val, const struct chan_also *also,
                   const struct timespec *deadline);

/*
 * The writer's half of the room wait, before it looks at the consumer's
 * position once more: store the room-wait word of its own block @own, run
 * the heavy side of the fence (*@fenced false: it could not, look again
 * within a slice).  Returns the consumer's room sequence to sleep on.  The
 * caller clears the word once it no longer waits.
 */
uint32_t chan_room_announce(struct seg_block *own, const struct seg_reader *consumer,
                            bool *fenced);

/* The reader's (or a waiter's) half of the asymmetric fence: a full
 * barrier on every CPU running a registered process (membarrier).
 * Returns false if it could not run. */
bool chan_heavy_fence(void);

/* The queue's consumer @rd wakes the writer of @block waiting for room
 * (a system call; see chan_read()). */
void chan_wake_room(struct seg_reader *rd);

/* ---------------------------------------------------------------- readers */

/*
 * Start @cur on the channel in @block.  A latest-value reader or an
 * observer starts so that the newest complete message already there is
 * still unread (a late reader gets the latest value, not the history); a
 * queue's consumer (@consumer) starts after message @position.
 */
void chan_cursor_init(struct chan_cursor *cur, const struct seg_block *block,
                      const struct seg_geometry *g, bool consumer, uint64_t position);

/*
 * Start the queue's consumer @cur, whose reader part is @rd (its own), on
 * the writer's @block of @incarnation: after the position @rd holds if it
 * names that block (eshmd copies the previous consumer's into a new
 * holder's block), else from the first message.  The position is an
 * untrusted number: one beyond the writer's head counts as the head.
 * Stores the position and then, with release, position_of, so the writer
 * counts it from then on.
 */
void chan_consumer_start(struct chan_cursor *cur, struct seg_reader *rd,
                         const struct seg_block *block, const struct seg_geometry *g,
                         uint64_t incarnation);

/* eshmd, making a new holder's block: give its reader part @to the queue
 * position of the previous holder's @from (untrusted values, copied). */
void chan_position_inherit(struct seg_reader *to, const struct seg_reader *from);

/* What one probe of the slots found (see the top of this file). */
struct chan_probe {
	const struct seg_slot *slot;  /* the candidate's slot, NULL: none */
	uint64_t seq;                 /* its sequence (2 * number) */
	uint64_t number;              /* its message number */
	uint64_t voids;               /* voids passed before it */
	uint64_t upto;                /* the highest number the probe consumed */
};

/* Where a probe at @c goes on after finding message @j > @c, when the
 * writer may have overwritten everything up to j - slots. */
CHAN_HOT uint64_t
chan_probe_skip(uint64_t c, uint64_t j, uint32_t slots)
{
	uint64_t oldest = j >= slots ? j - slots + 1 : 1;

	return oldest > c ? oldest : c + 1;
}

/* The message number the slot of message @n holds (acquire). */
CHAN_HOT uint64_t
chan_number_at(const struct seg_block *block, const struct seg_geometry *g, uint64_t n)
{
	return chan_seq_number(atomic_load_explicit(&chan_slot(block, g, n)->seq,
	                                            memory_order_acquire));
}

/* Record message @n, complete in @slot with sequence @s, as what @p found,
 * @voids passed before it. */
CHAN_HOT void
chan_probe_found(struct chan_probe *p, const struct seg_slot *slot, uint64_t s, uint64_t n,
                 uint64_t voids)
{
	p->slot = slot;
	p->seq = s;
	p->number = n;
	p->voids = voids;
	p->upto = n;
}

/* Whether a probe at @c ends at a slot holding message number @j: not
 * written since c - slots, or a number that does not belong to this slot
 * (only a vandal stores one). */
CHAN_HOT bool
chan_probe_stops(uint64_t j, uint64_t c, uint32_t slots)
{
	return j < c || ((j ^ c) & (slots - 1)) != 0;
}

/* Fetch the headers of the @count slots from message @from's on.
 * Unrolled: with the probe's fixed count the loop's own instructions
 * outnumbered the prefetches. */
CHAN_HOT void
chan_prefetch_slots(const struct seg_block *block, const struct seg_geometry *g, uint64_t from,
                    uint32_t count)
{
#pragma GCC unroll 4
	for (uint32_t i = 0; i < count; i++)
		__builtin_prefetch(chan_slot(block, g, from + i));
}

/*
 * Probe @block for the message after @last: the newest complete one, or
 * with @oldest the oldest complete one still in the ring.  Every value
 * read is untrusted; every step raises the number probed, and at most
 * slots + 1 slots are looked at.
 *
 * Message c's lines are fetched first, all of them that its header and
 * the start of its data touch.  The newest: the headers of the next few
 * slots are fetched with them (a reader that keeps up finds its message
 * among these), and all the others once the probe finds the writer passed
 * c, so a reader that is behind waits for about one cache miss, not one
 * per step, when the writer has moved them all.
 *
 * In the expected case the slot holds message c itself, and the probe
 * goes on from c, not from the number loaded: equal, but the next load's
 * address then waits for no earlier load, so a reader that is behind
 * has its loads in flight together instead of one miss after another.
 */
CHAN_HOT void
chan_probe(const struct seg_block *block, const struct seg_geometry *g, uint64_t last,
           bool oldest, struct chan_probe *p)
{
	uint64_t c = last + 1, s, j, n, voids = 0;
	uint64_t probes = (uint64_t)g->slots + 1;
	const struct seg_slot *slot;
	bool behind = false;

	p->slot = NULL;
	p->upto = last;
	chan_prefetch_message(block, g, c, false);
	if (!oldest)
		chan_prefetch_slots(block, g, c + 1, SEG_LATEST_SLOTS_MIN - 1);
	/* The usual case first, in fewer steps than the loop takes to reach
	 * the same verdict: message c complete in its slot and (the newest
	 * wanted) nothing after it started. */
	slot = chan_slot(block, g, c);
	s = atomic_load_explicit(&slot->seq, memory_order_acquire);
	if (s == 2 * c && (oldest || chan_probe_stops(chan_number_at(block, g, c + 1), c + 1,
	                                              g->slots))) {
		chan_probe_found(p, slot, s, c, 0);
		return;
	}
	while (probes-- > 0) {
		slot = chan_slot(block, g, c);
		s = atomic_load_explicit(&slot->seq, memory_order_acquire);
		j = chan_seq_number(s);
		if (chan_probe_stops(j, c, g->slots))
			break;
		n = c;
		if (j > c) {
			/* Passed by the writer.  A queue's reader wants the
			 * oldest left: head (loaded only here, off the common
			 * path) says how far the writer went. */
			if (oldest) {
				uint64_t head = atomic_load_explicit(&block->head,
				                                     memory_order_relaxed);

				c = chan_probe_skip(c, head > j ? head : j, g->slots);
				continue;
			}
			if (!behind) {
				behind = true;
				chan_prefetch_slots(block, g, j + 1, g->slots - 1);
			}
			if ((s & 1) && !(s & SEG_SEQ_VOID)) {
				c = chan_probe_skip(c, j, g->slots);
				continue;
			}
			n = j;
		}
		if (s & SEG_SEQ_VOID) {
			voids++;
			p->upto = n;
		} else if (s & 1) {
			break; /* message c is being written: nothing after it exists */
		} else {
			chan_probe_found(p, slot, s, n, voids);
			if (oldest)
				break;
		}
		c = n + 1;
	}
}

/* Add @n to a counter of the caller's own reader part: one writer, so a
 * load and a store, no locked instruction. */
CHAN_HOT void
chan_count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

/* Record that @cur consumed everything up to @upto, @missed of it
 * skipped, the last one read (@read) or not, in @rd too. */
CHAN_HOT void
chan_consume(struct chan_cursor *cur, struct seg_reader *rd, bool consumer, uint64_t upto,
             uint64_t missed, bool read)
{
	cur->last = upto;
	cur->missed += missed;
	cur->reads += read;
	if (rd == NULL)
		return;
	if (missed != 0)
		chan_count(&rd->missed, missed);
	if (read)
		chan_count(&rd->reads, 1);
	/* The consumer's position frees the slots up to it: release, so
	 * its copies come before the writer's reuse (see the top). */
	if (consumer)
		atomic_store_explicit(&rd->position, upto, memory_order_release);
	else
		atomic_store_explicit(&rd->position, upto, memory_order_relaxed);
}

/* Count a call that gave up with the caller's buffer overwritten. */
static inline void
chan_count_contended(struct chan_cursor *cur, struct seg_reader *rd)
{
	cur->contended++;
	if (rd != NULL)
		chan_count(&rd->contended, 1);
}

/* Count an overlapped copy (@gave_up: the last one of a call). */
static inline void
chan_count_overlap(struct chan_cursor *cur, struct seg_reader *rd, bool gave_up)
{
	cur->retries++;
	if (rd != NULL)
		chan_count(&rd->retries, 1);
	if (gave_up)
		chan_count_contended(cur, rd);
}

/*
 * The consumer's half of the room wait (see the top), after it stored its
 * position: the light fence, then the writer's room-wait word, on the
 * writer's quiet heartbeat line; a system call only while a writer waits.
 */
CHAN_HOT void
chan_room_check(const struct seg_block *block, const struct seg_geometry *g, bool consumer,
                struct seg_reader *rd)
{
	if (!consumer || rd == NULL || g->mode != SEG_MODE_QUEUE)
		return;
	chan_store_load_fence();
	if (atomic_load_explicit(&block->room_wait, memory_order_relaxed) != 0)
		chan_wake_room(rd);
}

/* Slots a queue's consumer prefetches ahead of the one it reads. */
#define CHAN_PREFETCH_AHEAD 16

/*
 * A queue's consumer: whether head says message last + 1 was published,
 * loading head only once everything it last said has been consumed, as
 * an SPSC ring's reader does.  So a consumer that keeps up polls head (one
 * store per message) rather than the slot the writer is filling (four),
 * and one that is behind reads slot after slot without touching head,
 * prefetching the slots ahead, which head says are complete.  head is a
 * hint: the slot's sequence decides, so a wrong head costs a vandal's own
 * reader a spurious NO_DATA at most.
 */
CHAN_HOT bool
chan_consumer_ahead(const struct seg_block *block, const struct seg_geometry *g,
                    struct chan_cursor *cur)
{
	if (cur->last >= cur->avail) {
		cur->avail = atomic_load_explicit(&block->head, memory_order_acquire);
		if (cur->avail <= cur->last)
			return false;
	}
	if (cur->avail - cur->last > CHAN_PREFETCH_AHEAD)
		chan_prefetch_message(block, g, cur->last + CHAN_PREFETCH_AHEAD, false);
	return true;
}

/*
 * Copy the next message for @cur from @block into @buf (@buflen bytes).
 * @consumer: the queue's consumer (the next message in order; consuming it
 * stores its number in @rd->position, which frees its slot); otherwise
 * latest-value semantics (the newest complete message), or on a queue the
 * oldest message still in the ring that @cur has not consumed (an
 * observer).  @rd: the caller's own reader part, whose shared counters are
 * updated, or NULL (eshmctl peek: nothing is written anywhere).  @info
 * may be NULL.  One reader per cursor at a time.  No system call, no
 * lock, no clock, no locked instruction; at most CHAN_READ_ATTEMPTS
 * copies.
 * Returns ESHM_SUCCESS; ESHM_ERROR_NO_DATA (nothing new, @buf untouched);
 * ESHM_ERROR_BUFFER_TOO_SMALL (@info->size is the size needed, the message
 * stays unread, @buf untouched); ESHM_ERROR_SEGMENT_CORRUPT (the writer
 * stored a size above the capacity: the message is consumed, @buf
 * untouched); ESHM_ERROR_CONTENDED (CHAN_READ_ATTEMPTS copies were
 * overlapped by writes, or an overlapped copy was followed by nothing
 * complete to read: counted, the message stays unread, @buf may have
 * changed).
 */
CHAN_HOT int
chan_read(const struct seg_block *block, const struct seg_geometry *g, struct chan_cursor *cur,
          bool consumer, struct seg_reader *rd, void *buf, size_t buflen,
          struct chan_msg *info)
{
	struct chan_probe p;
	uint64_t ts = 0, missed;
	uint32_t size = 0;
	int attempt;

	if (consumer && g->mode == SEG_MODE_QUEUE && !chan_consumer_ahead(block, g, cur))
		return ESHM_ERROR_NO_DATA;
	for (attempt = 1;; attempt++) {
		chan_probe(block, g, cur->last, g->mode == SEG_MODE_QUEUE, &p);
		if (p.slot == NULL) {
			if (p.upto > cur->last)
				chan_consume(cur, rd, consumer, p.upto, 0, false);
			/* After an overlapped copy @buf is no longer untouched:
			 * the call gave up under contention. */
			if (attempt > 1) {
				chan_count_contended(cur, rd);
				return ESHM_ERROR_CONTENDED;
			}
			return ESHM_ERROR_NO_DATA;
		}
		size = atomic_load_explicit(&p.slot->size, memory_order_relaxed);
		if (g->seg_flags & SEG_FLAG_TIMESTAMPS)
			ts = atomic_load_explicit(&p.slot->write_mono_ns, memory_order_relaxed);
		if (size <= g->capacity && size <= buflen) {
			CHAN_TSAN_HIDE_BEGIN();
			chan_copy(buf, seg_slot_data((struct seg_slot *)p.slot, g), size);
			CHAN_TSAN_HIDE_END();
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&p.slot->seq, memory_order_relaxed) == p.seq)
			break;
		chan_count_overlap(cur, rd, attempt == CHAN_READ_ATTEMPTS);
		if (attempt == CHAN_READ_ATTEMPTS)
			return ESHM_ERROR_CONTENDED;
	}
	CHAN_TSAN_ACQUIRE(&p.slot->seq);
	missed = p.number - cur->last - 1 - p.voids;
	if (size > g->capacity) {
		chan_consume(cur, rd, consumer, p.upto, missed, false);
		return ESHM_ERROR_SEGMENT_CORRUPT;
	}
	if (info != NULL) {
		info->size = size;
		info->number = p.number;
		info->missed = missed;
		info->write_mono_ns = ts;
	}
	if (size > buflen)
		return ESHM_ERROR_BUFFER_TOO_SMALL;
	chan_consume(cur, rd, consumer, p.upto, missed, true);
	chan_room_check(block, g, consumer, rd);
	return ESHM_SUCCESS;
}

/* A message lent to a reader in place (chan_view()), until released. */
struct chan_view {
	const struct seg_slot *slot;  /* NULL: no view out */
	uint64_t seq;                 /* its sequence when viewed */
	uint64_t number;
	uint64_t upto;                /* what the probe consumed with it */
	uint64_t missed;
	uint32_t size;
};

/*
 * Zero copy: find the message chan_read() would copy and lend it in place:
 * @v holds its slot, and seg_slot_data() of it, @v->size bytes, is what a
 * copy would have taken.  Nothing is consumed until chan_view_release();
 * on a queue the consumer's position stays, so the writer cannot reuse
 * the slot meanwhile; on a latest-value channel it can, and the release
 * says so.  The bytes are untrusted until a release says intact.
 * Returns ESHM_SUCCESS, ESHM_ERROR_NO_DATA or ESHM_ERROR_SEGMENT_CORRUPT
 * (as chan_read(); nothing is lent).
 */
static inline int
chan_view(const struct seg_block *block, const struct seg_geometry *g, struct chan_cursor *cur,
          bool consumer, struct seg_reader *rd, struct chan_view *v)
{
	struct chan_probe p;
	uint32_t size;

	v->slot = NULL;
	if (consumer && g->mode == SEG_MODE_QUEUE && !chan_consumer_ahead(block, g, cur))
		return ESHM_ERROR_NO_DATA;
	chan_probe(block, g, cur->last, g->mode == SEG_MODE_QUEUE, &p);
	if (p.slot == NULL) {
		if (p.upto > cur->last)
			chan_consume(cur, rd, consumer, p.upto, 0, false);
		return ESHM_ERROR_NO_DATA;
	}
	size = atomic_load_explicit(&p.slot->size, memory_order_relaxed);
	if (size > g->capacity) {
		chan_consume(cur, rd, consumer, p.upto, p.number - cur->last - 1 - p.voids, false);
		return ESHM_ERROR_SEGMENT_CORRUPT;
	}
	v->slot = p.slot;
	v->seq = p.seq;
	v->number = p.number;
	v->upto = p.upto;
	v->missed = p.number - cur->last - 1 - p.voids;
	v->size = size;
	return ESHM_SUCCESS;
}

/*
 * End the view @v of @block: whether its slot still holds the message it
 * lent (the sequence re-checked after an acquire fence).  The message is
 * consumed either way; one overwritten meanwhile counts as missed, not
 * read.  Returns ESHM_SUCCESS (intact) or ESHM_ERROR_OVERWRITTEN.
 */
static inline int
chan_view_release(const struct seg_block *block, const struct seg_geometry *g,
                  struct chan_cursor *cur, bool consumer, struct seg_reader *rd,
                  struct chan_view *v)
{
	const struct seg_slot *s = v->slot;
	bool intact;

	atomic_thread_fence(memory_order_acquire);
	intact = atomic_load_explicit(&s->seq, memory_order_relaxed) == v->seq;
	v->slot = NULL;
	if (intact)
		CHAN_TSAN_ACQUIRE(&((struct seg_slot *)s)->seq);
	chan_consume(cur, rd, consumer, v->upto, v->missed + !intact, intact);
	chan_room_check(block, g, consumer, rd);
	return intact ? ESHM_SUCCESS : ESHM_ERROR_OVERWRITTEN;
}

/* True when @block holds a complete message @cur has not consumed. */
static inline bool
chan_has_new(const struct seg_block *block, const struct seg_geometry *g,
             const struct chan_cursor *cur, bool consumer)
{
	struct chan_probe p;

	(void)consumer; /* the consumer and the observers of a queue probe alike */
	chan_probe(block, g, cur->last, g->mode == SEG_MODE_QUEUE, &p);
	return p.slot != NULL;
}

/*
 * Sleep until @block may hold something new for @cur, or until the
 * CLOCK_MONOTONIC time @deadline.  Announces itself in @rd->waits (the
 * caller's own reader part) for the time of the sleep.  Spurious returns
 * are possible: callers re-read and loop.
 * Returns 0, or ESHM_ERROR_TIMEOUT once @deadline has passed.
 */
int chan_wait(const struct seg_block *block, const struct seg_geometry *g, struct seg_reader *rd,
              const struct chan_cursor *cur, bool consumer, const struct timespec *deadline);

/*
 * chan_wait(), returning as well when @also changes (NULL: never).  While
 * @unheard (NULL: never) is nonzero after @rd->waits is set, no writer
 * looks at @rd->waits (an observer on a channel eshmd says is quiet, see
 * obsquiet.h): the sleep is in slices of CHAN_SLICE_NS until eshmd
 * notices it and clears the word.
 */
int chan_wait_also(const struct seg_block *block, const struct seg_geometry *g,
                   struct seg_reader *rd, const struct chan_cursor *cur, bool consumer,
                   const struct chan_also *also, const _Atomic uint32_t *unheard,
                   const struct timespec *deadline);

/* ---------------------------------------------------------------- repair */

/*
 * Turn every slot of @block left odd by a writer that died mid-write into
 * a void message, with a compare-and-swap on the exact odd value seen, and
 * wake its readers.  Only eshmd, and only after the kernel proved the
 * writer's death.  Returns the number of slots repaired.
 */
unsigned chan_repair(struct seg_block *block, const struct seg_geometry *g);

#endif /* ESHM_COMMON_CHANNEL_H */
