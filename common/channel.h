/*
 * channel.h - channel protocol 2: one writer publishes messages into a
 * ring of slots in its own endpoint block (layout.h); readers copy them
 * from a read-only mapping, without locks or system calls.
 *
 * Two modes share the slot format.  Latest value: SEG_LATEST_SLOTS slots,
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
 *           seq = 2m (release); head = m (relaxed); store-load fence;
 *           then the caller wakes whoever announced it waits.
 *   reader: s1 = seq (acquire); not the message wanted -> stop;
 *           size (checked), data; acquire fence; s2 = seq (relaxed);
 *           s1 != s2 -> retry (bounded).
 *
 * [TO BE COMPLETED with the implementation: the lost-wake-up argument
 * (asymmetric fence, FUTEX_WAIT on the head word of a read-only mapping),
 * the latest-value probe and why it returns the newest complete message,
 * the queue's room check, the repair argument, and the ThreadSanitizer
 * note.]
 */
#ifndef ESHM_COMMON_CHANNEL_H
#define ESHM_COMMON_CHANNEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "eshm.h"
#include "layout.h"

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
	uint32_t loaned;              /* bytes of the loan out, 0: none */
};

/* A reader's private position on a channel, kept in its handle. */
struct chan_cursor {
	uint64_t last;                /* message number last consumed; 0: none */
	uint64_t reads;               /* messages consumed */
	uint64_t missed;              /* messages skipped (overwritten before read) */
	uint64_t retries;             /* copies redone because a write overlapped */
	uint64_t contended;           /* reads that gave up */
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

/* ---------------------------------------------------------------- writer */

/*
 * Start @w on @block, the writer's own block (a fresh one is all zeros; a
 * block handed back after an eshmd restart continues from its head).
 */
void chan_writer_init(struct chan_writer *w, struct seg_block *block, const struct seg_geometry *g);

/*
 * Publish @size bytes (1..capacity: the caller checked) from @data.  Queue
 * mode: @consumer is the consumer's reader part (read-only mapping; NULL
 * when none ever attached: then the queue fills to its depth), and a full
 * queue is refused.  Latest mode ignores @consumer.  Ends with the
 * store-load fence, so the caller may then load who waits
 * (chan_reader_waits()) and wake them (chan_wake()).  One writer per block.
 * Returns ESHM_SUCCESS or ESHM_ERROR_QUEUE_FULL.
 */
int chan_write(struct chan_writer *w, const struct seg_reader *consumer, const void *data,
               uint32_t size);

/* Whether the reader part @rd announced that it sleeps on the writer's
 * head (an untrusted word: any value other than 0 means yes). */
bool chan_reader_waits(const struct seg_reader *rd);

/* FUTEX_WAKE every reader asleep on @block's head (a system call). */
void chan_wake(const struct seg_block *block);

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
 * Copy the next message for @cur from @block into @buf (@buflen bytes).
 * @consumer: the queue's consumer (the next message in order; consuming it
 * stores its number in @rd->position, which frees its slot); otherwise
 * latest-value semantics (the newest complete message), or on a queue the
 * oldest message still in the ring that @cur has not consumed (an
 * observer).  @rd: the caller's own reader part, whose shared counters are
 * updated, or NULL (eshmctl peek: nothing is written anywhere).  @info
 * may be NULL.  One reader per cursor at a time.
 * Returns ESHM_SUCCESS; ESHM_ERROR_NO_DATA (nothing new, @buf untouched);
 * ESHM_ERROR_BUFFER_TOO_SMALL (@info->size is the size needed, the message
 * stays unread, @buf untouched); ESHM_ERROR_SEGMENT_CORRUPT (the writer
 * stored a size above the capacity: the message is consumed, @buf
 * untouched); ESHM_ERROR_CONTENDED (CHAN_READ_ATTEMPTS copies were
 * overlapped by writes: counted, the message stays unread, @buf may have
 * changed).
 */
int chan_read(const struct seg_block *block, const struct seg_geometry *g, struct chan_cursor *cur,
              bool consumer, struct seg_reader *rd, void *buf, size_t buflen,
              struct chan_msg *info);

/* True when @block holds a complete message @cur has not consumed. */
bool chan_has_new(const struct seg_block *block, const struct seg_geometry *g,
                  const struct chan_cursor *cur, bool consumer);

/*
 * Sleep until @block may hold something new for @cur, or until the
 * CLOCK_MONOTONIC time @deadline.  Announces itself in @rd->wait (the
 * caller's own reader part) for the time of the sleep.  Spurious returns
 * are possible: callers re-read and loop.
 * Returns 0, or ESHM_ERROR_TIMEOUT once @deadline has passed.
 */
int chan_wait(const struct seg_block *block, const struct seg_geometry *g, struct seg_reader *rd,
              const struct chan_cursor *cur, bool consumer, const struct timespec *deadline);

/* ---------------------------------------------------------------- repair */

/*
 * Turn every slot of @block left odd by a writer that died mid-write into
 * a void message, with a compare-and-swap on the exact odd value seen, and
 * wake its readers.  Only eshmd, and only after the kernel proved the
 * writer's death.  Returns the number of slots repaired.
 */
unsigned chan_repair(struct seg_block *block, const struct seg_geometry *g);

#endif /* ESHM_COMMON_CHANNEL_H */
