/*
 * channel.h - the seqlock of one channel: a single writer publishes the
 * latest message, readers copy it without locks or system calls.
 *
 * Memory orders follow the proven recipe (Boehm, "Can seqlocks get along
 * with programming language memory models?"):
 *
 *   writer: s = seq (relaxed); seq = s+1 (relaxed); release fence;
 *           size, data; seq = s+2 (release); store-load fence;
 *           FUTEX_WAKE only if a reader announced itself in waiters.
 *   reader: s1 = seq (acquire); odd -> pause, retry (bounded);
 *           size (clamped), data; acquire fence; s2 = seq (relaxed);
 *           s1 != s2 -> retry.
 *
 * The release fence keeps the data stores from rising above the odd store;
 * the acquire fence keeps the data loads from sinking below the re-check.
 *
 * No wake-up is lost: a reader going to sleep increments waiters, then
 * looks at seq once more; the writer stores seq, then loads waiters.  One
 * of the two must see the other, which needs a store-load barrier on both
 * sides.  The reader, about to sleep anyway, pays for both: it issues
 * membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which runs a full barrier on
 * every CPU running a registered process, so the writer's side is only a
 * compiler barrier (the asymmetric fence of liburcu).  A process that could
 * not register with membarrier uses a real seq_cst fence when it writes;
 * a reader that cannot issue membarrier sleeps in 1 ms slices, so even a
 * missed wake-up costs at most that.
 *
 * ThreadSanitizer does not model fences and would report the copies as
 * races; under it the copies are hidden from it and the protocol's
 * happens-before edges are annotated instead, keeping the fast memcpy.
 */
#ifndef ESHM_COMMON_CHANNEL_H
#define ESHM_COMMON_CHANNEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

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

/* Pauses a reader spends on an odd sequence before it reports no data: a
 * write takes nanoseconds, so only a preempted or dead writer exceeds it. */
#define CHAN_ODD_SPINS 2000

/* Copies a reader redoes because a write overlapped before it reports no
 * data: a writer publishing large messages back to back can overlap every
 * copy, and a read must return all the same. */
#define CHAN_MAX_RETRIES 1000

/* A reader's private position in a channel, kept in its handle. */
struct chan_cursor {
	uint64_t last_seq; /* sequence of the last message consumed (even) */
	uint64_t reads;    /* messages this cursor consumed */
	uint64_t missed;   /* messages overwritten before it read them */
	uint64_t retries;  /* copies redone because a write overlapped */
};

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

/*
 * Start a cursor on @ch so that the newest complete message already in it
 * is still unread (a late reader gets the latest value, not the history).
 * Thread-safe with respect to the writer.
 */
static inline void
chan_cursor_init(struct chan_cursor *cur, struct seg_channel *ch)
{
	uint64_t s = atomic_load_explicit(&ch->seq, memory_order_acquire) & ~UINT64_C(1);

	memset(cur, 0, sizeof(*cur));
	cur->last_seq = s >= 2 ? s - 2 : 0;
}

/* Number of messages ever published on @ch (void ones included). */
static inline uint64_t
chan_write_count(struct seg_channel *ch)
{
	return atomic_load_explicit(&ch->seq, memory_order_relaxed) / 2;
}

/* Wake every reader asleep on @ch (a system call; writers call it only when
 * waiters says someone sleeps). */
void chan_wake(struct seg_channel *ch);

/* 1 once this process registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED, so its
 * writers may use the light fence; see chan_membarrier_setup(). */
extern _Atomic int chan_membarrier_ready;

/*
 * Register this process for membarrier's global expedited command, once
 * (again after fork()).  Call before the first chan_write() of a process.
 * Thread-safe.
 */
void chan_membarrier_setup(void);

/* The writer's store-load barrier between publishing seq and reading
 * waiters; see the top of this file. */
static inline void
chan_store_load_fence(void)
{
	if (atomic_load_explicit(&chan_membarrier_ready, memory_order_relaxed) == 1)
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/*
 * Publish @size bytes from @data (the caller checked 1..capacity).  Only the
 * channel's one writer may call it.  Wait-free apart from the wake-up when
 * a reader sleeps.
 */
static inline void
chan_write(struct seg_channel *ch, struct seg_reader *rd, const void *data, uint32_t size)
{
	uint64_t s = atomic_load_explicit(&ch->seq, memory_order_relaxed);

	/* An odd sequence here means the previous writer died mid-write and
	 * nobody repaired it yet: start from the next even value so readers
	 * never take a half-written message for a stable one. */
	s += s & 1;
	atomic_store_explicit(&ch->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&ch->size, size, memory_order_relaxed);
	CHAN_TSAN_HIDE_BEGIN();
	memcpy(ch->data, data, size);
	CHAN_TSAN_HIDE_END();
	CHAN_TSAN_RELEASE(&ch->seq);
	atomic_store_explicit(&ch->seq, s + 2, memory_order_release);
	chan_store_load_fence();
	if (atomic_load_explicit(&rd->waiters, memory_order_relaxed) != 0)
		chan_wake(ch);
}

/* The reader's shared counters are written by the one reader only. */
static inline void
chan_count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

/*
 * Copy the newest message of @ch that @cur has not consumed into @buf
 * (@buflen bytes) and its length into *@len.  @capacity is the validated
 * capacity (seg_map.capacity), never the header's live value.  @rd's shared
 * counters are updated.  Only one reader per cursor at a time.
 *
 * Returns ESHM_SUCCESS; ESHM_ERROR_NO_DATA when nothing new is complete (a
 * void message left by a repair is consumed this way; so is a sequence that
 * stays odd for CHAN_ODD_SPINS pauses, and a writer that overlapped
 * CHAN_MAX_RETRIES copies in a row: the message stays unread); ESHM_ERROR_BUFFER_TOO_SMALL with
 * *@len the size needed, the message left unread.
 */
static inline int
chan_read(struct seg_channel *ch, struct seg_reader *rd, uint64_t capacity,
          struct chan_cursor *cur, void *buf, size_t buflen, size_t *len)
{
	unsigned spins = 0, overlaps = 0;
	uint64_t s1, s2, n, msg;
	uint32_t size;

	for (;;) {
		s1 = atomic_load_explicit(&ch->seq, memory_order_acquire);
		if (s1 & 1) {
			if (++spins > CHAN_ODD_SPINS)
				return ESHM_ERROR_NO_DATA;
			chan_pause();
			continue;
		}
		if (s1 <= cur->last_seq)
			return ESHM_ERROR_NO_DATA;
		size = atomic_load_explicit(&ch->size, memory_order_relaxed);
		/* Not trusted until the re-check: clamp so a torn size can
		 * never take the copy past the channel. */
		n = size == SEG_SIZE_VOID ? 0 : size > capacity ? capacity : size;
		if (n > buflen)
			n = 0;
		else if (n > 0) {
			CHAN_TSAN_HIDE_BEGIN();
			memcpy(buf, ch->data, (size_t)n);
			CHAN_TSAN_HIDE_END();
		}
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&ch->seq, memory_order_relaxed);
		if (s1 != s2) {
			cur->retries++;
			chan_count(&rd->retries, 1);
			if (++overlaps >= CHAN_MAX_RETRIES)
				return ESHM_ERROR_NO_DATA;
			continue;
		}
		CHAN_TSAN_ACQUIRE(&ch->seq);
		break;
	}
	msg = size == SEG_SIZE_VOID ? 0 : size > capacity ? capacity : size;
	if (msg > buflen) {
		*len = (size_t)msg;
		return ESHM_ERROR_BUFFER_TOO_SMALL;
	}
	/* The sequence rises by exactly 2 per message. */
	n = (s1 - cur->last_seq) / 2 - 1;
	cur->last_seq = s1;
	if (n > 0) {
		cur->missed += n;
		chan_count(&rd->missed, n);
	}
	if (size == SEG_SIZE_VOID)
		return ESHM_ERROR_NO_DATA;
	cur->reads++;
	chan_count(&rd->read_count, 1);
	*len = (size_t)msg;
	return ESHM_SUCCESS;
}

/* True when @ch holds a complete message @cur has not consumed. */
static inline bool
chan_has_new(struct seg_channel *ch, const struct chan_cursor *cur)
{
	uint64_t s = atomic_load_explicit(&ch->seq, memory_order_acquire);

	return !(s & 1) && s > cur->last_seq;
}

/*
 * Sleep until @ch's sequence moves past what @cur consumed, or until the
 * CLOCK_MONOTONIC time @deadline.  Announces itself in @rd->waiters, then
 * runs the heavy side of the asymmetric fence before the final look at the
 * sequence (see the top of this file).  Spurious returns are possible: callers re-read and loop.
 * Returns 0, or ESHM_ERROR_TIMEOUT once @deadline has passed.
 */
int chan_wait(struct seg_channel *ch, struct seg_reader *rd, const struct chan_cursor *cur,
              const struct timespec *deadline);

/*
 * Repair @ch whose writer is known dead: if its sequence is odd, leave a
 * void message (size SEG_SIZE_VOID) and make the sequence even, so readers
 * stop waiting and never receive the torn bytes.  Only the segment's owner
 * (eshmd) calls it, and only while no writer holds the role.
 * Returns 1 if a repair was needed, 0 otherwise.
 */
int chan_repair(struct seg_channel *ch);

#endif /* ESHM_COMMON_CHANNEL_H */
