/*
 * channel.c - the slow parts of channel protocol 2: starting a writer or
 * a reader on a block, sleeping and waking on the futex, the membarrier
 * registration, and the repair of slots a dead writer left half-written.
 * The data path itself (chan_write, chan_read) is inline in channel.h.
 */
#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"


_Atomic int chan_membarrier_ready;

static pthread_mutex_t chan_membarrier_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t chan_atfork_once = PTHREAD_ONCE_INIT;

/* fork() while another thread registers: the child must not inherit the
 * lock held, so fork waits for it. */
static void
chan_atfork_prepare(void)
{
	pthread_mutex_lock(&chan_membarrier_lock);
}

static void
chan_atfork_parent(void)
{
	pthread_mutex_unlock(&chan_membarrier_lock);
}

static void
chan_atfork_child(void)
{
	/* A child is a new mm, unregistered: it registers again before it
	 * writes, and meanwhile its writers use the full fence. */
	atomic_store_explicit(&chan_membarrier_ready, 0, memory_order_relaxed);
	pthread_mutex_unlock(&chan_membarrier_lock);
}

static void
chan_atfork_install(void)
{
	pthread_atfork(chan_atfork_prepare, chan_atfork_parent, chan_atfork_child);
}

void
chan_membarrier_setup(void)
{
	long cmds;
	int ready = -1;

	pthread_once(&chan_atfork_once, chan_atfork_install);
	if (atomic_load_explicit(&chan_membarrier_ready, memory_order_acquire) != 0)
		return;
	pthread_mutex_lock(&chan_membarrier_lock);
	if (atomic_load_explicit(&chan_membarrier_ready, memory_order_relaxed) == 0) {
		cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
		if (cmds > 0 && (cmds & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
		    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0)
			ready = 1;
		atomic_store_explicit(&chan_membarrier_ready, ready, memory_order_release);
	}
	pthread_mutex_unlock(&chan_membarrier_lock);
}

void
chan_writer_init(struct chan_writer *w, struct seg_block *block, const struct seg_geometry *g)
{
	uint64_t head = atomic_load_explicit(&block->head, memory_order_relaxed);
	uint64_t next = atomic_load_explicit(&chan_slot(block, g, head + 1)->seq,
	                                     memory_order_relaxed);

	memset(w, 0, sizeof(*w));
	w->block = block;
	w->g = g;
	w->last = head;
	/* A writer stopped between its slot and its head stores used one
	 * more number: never publish a second message under it. */
	if (chan_seq_number(next) == head + 1)
		w->last = head + 1;
}

void
chan_loan_cancel(struct chan_writer *w)
{
	uint64_t m = w->last + 1;

	w->loaned = 0;
	atomic_store_explicit(&chan_slot(w->block, w->g, m)->seq, (2 * m) | SEG_SEQ_VOID,
	                      memory_order_release);
	atomic_store_explicit(&w->block->head, m, memory_order_release);
	w->last = m;
	chan_store_load_fence();
}

void
chan_cursor_init(struct chan_cursor *cur, const struct seg_block *block,
                 const struct seg_geometry *g, bool consumer, uint64_t position)
{
	uint64_t head;

	(void)g;
	memset(cur, 0, sizeof(*cur));
	if (consumer) {
		cur->last = position;
		return;
	}
	/* head is published after its slot: message head is complete, or
	 * the writer has moved on and the probe finds a newer one. */
	head = atomic_load_explicit(&block->head, memory_order_acquire);
	cur->last = head > 0 ? head - 1 : 0;
}

void
chan_consumer_start(struct chan_cursor *cur, struct seg_reader *rd, const struct seg_block *block,
                    const struct seg_geometry *g, uint64_t incarnation)
{
	uint64_t head = atomic_load_explicit(&block->head, memory_order_acquire);
	uint64_t pos = 0;

	if (atomic_load_explicit(&rd->position_of, memory_order_relaxed) == incarnation)
		pos = atomic_load_explicit(&rd->position, memory_order_relaxed);
	if (pos > head)
		pos = head;
	chan_cursor_init(cur, block, g, true, pos);
	/* position before position_of (release): a writer that sees its
	 * incarnation named sees this position, or a later one. */
	atomic_store_explicit(&rd->position, pos, memory_order_relaxed);
	atomic_store_explicit(&rd->position_of, incarnation, memory_order_release);
}

void
chan_position_inherit(struct seg_reader *to, const struct seg_reader *from)
{
	atomic_store_explicit(&to->position,
	                      atomic_load_explicit(&from->position, memory_order_relaxed),
	                      memory_order_relaxed);
	atomic_store_explicit(&to->position_of,
	                      atomic_load_explicit(&from->position_of, memory_order_relaxed),
	                      memory_order_relaxed);
}

/* The futex word: the low 32-bit half of the 64-bit head. */
static uint32_t *
chan_futex_word(const struct seg_block *block)
{
	char *p = (char *)&block->head;

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	p += sizeof(uint32_t);
#endif
	return (uint32_t *)p;
}

void
chan_wake(const struct seg_block *block)
{
	/* Not FUTEX_PRIVATE_FLAG: the readers are other processes. */
	syscall(SYS_futex, chan_futex_word(block), FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

bool
chan_heavy_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) == 0;
}

static bool
chan_ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The first of @deadline and now + one slice, when @fenced is false (the
 * other side may have missed us: look again soon). */
static const struct timespec *
chan_sleep_until(const struct timespec *deadline, const struct timespec *now, bool fenced,
                 struct timespec *slice)
{
	if (fenced)
		return deadline;
	*slice = *now;
	clock_ts_add_ns(slice, CHAN_SLICE_NS);
	return chan_ts_before(slice, deadline) ? slice : deadline;
}

/* The futex_waitv() of Linux 5.16; ENOSYS before it. */
static long
chan_futex_waitv(struct futex_waitv *w, unsigned n, const struct timespec *until)
{
#ifdef SYS_futex_waitv
	return syscall(SYS_futex_waitv, w, n, 0, until, CLOCK_MONOTONIC);
#else
	(void)w;
	(void)n;
	(void)until;
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * Sleep while @word (@shared between processes, or private) holds @val,
 * and while @also's word holds its value, until the absolute
 * CLOCK_MONOTONIC time @until.  Without futex_waitv() @also is looked at
 * once a slice.  Returns ESHM_ERROR_TIMEOUT once @deadline has passed,
 * else 0 (spurious returns are possible).
 */
static int
chan_futex_wait(const void *word, uint32_t val, bool shared, const struct chan_also *also,
                const struct timespec *until, const struct timespec *deadline)
{
	struct futex_waitv w[2];
	struct timespec now, slice;
	long r = -1;

	if (also != NULL) {
		memset(w, 0, sizeof(w));
		w[0].val = val;
		w[0].uaddr = (uintptr_t)word;
		w[0].flags = FUTEX_32 | (shared ? 0 : FUTEX_PRIVATE_FLAG);
		w[1].val = also->val;
		w[1].uaddr = (uintptr_t)also->word;
		w[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
		r = chan_futex_waitv(w, 2, until);
		if (r < 0 && errno == ENOSYS) {
			clock_gettime(CLOCK_MONOTONIC, &slice);
			clock_ts_add_ns(&slice, CHAN_SLICE_NS);
			if (chan_ts_before(&slice, until))
				until = &slice;
			also = NULL;
		}
	}
	if (also == NULL)
		r = syscall(SYS_futex, word, shared ? FUTEX_WAIT_BITSET : FUTEX_WAIT_BITSET_PRIVATE,
		            val, until, NULL, FUTEX_BITSET_MATCH_ANY);
	if (r < 0 && errno == ETIMEDOUT) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!chan_ts_before(&now, deadline))
			return ESHM_ERROR_TIMEOUT;
	}
	return 0;
}

int
chan_wait_word(const _Atomic uint32_t *word, uint32_t val, const struct chan_also *also,
               const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!chan_ts_before(&now, deadline))
		return ESHM_ERROR_TIMEOUT;
	return chan_futex_wait((const void *)word, val, false, also, deadline, deadline);
}

uint32_t
chan_room_announce(struct seg_block *own, const struct seg_reader *consumer, bool *fenced)
{
	/* Loaded before the room-wait word is stored: an increment after
	 * this makes the futex return at once. */
	uint32_t seq = atomic_load_explicit(&consumer->room_seq, memory_order_acquire);

	atomic_store_explicit(&own->room_wait, 1, memory_order_relaxed);
	*fenced = chan_heavy_fence();
	return seq;
}

int
chan_wait_room(struct chan_writer *w, const struct seg_reader *consumer,
               const struct timespec *deadline)
{
	return chan_wait_room_also(w, consumer, NULL, deadline);
}

int
chan_wait_room_also(struct chan_writer *w, const struct seg_reader *consumer,
                    const struct chan_also *also, const struct timespec *deadline)
{
	struct timespec now, slice;
	const struct timespec *until;
	uint32_t seq;
	int rc = 0;

	bool fenced;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!chan_ts_before(&now, deadline))
		return ESHM_ERROR_TIMEOUT;
	seq = chan_room_announce(w->block, consumer, &fenced);
	until = chan_sleep_until(deadline, &now, fenced, &slice);
	if (!chan_queue_room(w, consumer))
		rc = chan_futex_wait((const void *)&consumer->room_seq, seq, true, also, until,
		                     deadline);
	atomic_store_explicit(&w->block->room_wait, 0, memory_order_relaxed);
	return rc;
}

void
chan_wake_room(struct seg_reader *rd)
{
	atomic_store_explicit(&rd->room_seq,
	                      atomic_load_explicit(&rd->room_seq, memory_order_relaxed) + 1,
	                      memory_order_release);
	syscall(SYS_futex, &rd->room_seq, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

int
chan_wait(const struct seg_block *block, const struct seg_geometry *g, struct seg_reader *rd,
          const struct chan_cursor *cur, bool consumer, const struct timespec *deadline)
{
	return chan_wait_also(block, g, rd, cur, consumer, NULL, NULL, deadline);
}

int
chan_wait_also(const struct seg_block *block, const struct seg_geometry *g, struct seg_reader *rd,
               const struct chan_cursor *cur, bool consumer, const struct chan_also *also,
               const _Atomic uint32_t *unheard, const struct timespec *deadline)
{
	const struct timespec *until;
	struct timespec now, slice;
	uint64_t head;
	bool heard;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!chan_ts_before(&now, deadline))
		return ESHM_ERROR_TIMEOUT;
	atomic_fetch_or_explicit(&rd->waits, SEG_WAITS_ASLEEP, memory_order_relaxed);
	heard = chan_heavy_fence() &&
	        (unheard == NULL || atomic_load_explicit(unheard, memory_order_relaxed) == 0);
	until = chan_sleep_until(deadline, &now, heard, &slice);
	/* head before the slots (acquire): a message published after this
	 * load changes head, and the futex then refuses to sleep. */
	head = atomic_load_explicit(&block->head, memory_order_acquire);
	if (!chan_has_new(block, g, cur, consumer))
		rc = chan_futex_wait(chan_futex_word(block), (uint32_t)head, true, also, until,
		                     deadline);
	atomic_fetch_and_explicit(&rd->waits, ~SEG_WAITS_ASLEEP, memory_order_relaxed);
	return rc;
}

unsigned
chan_repair(struct seg_block *block, const struct seg_geometry *g)
{
	unsigned repaired = 0;
	uint32_t i;

	for (i = 0; i < g->slots; i++) {
		struct seg_slot *s = seg_slot_at(block, g, i);
		uint64_t seen = atomic_load_explicit(&s->seq, memory_order_acquire);

		/* Only the exact odd value seen: if the writer completes its
		 * message meanwhile, the swap fails (see channel.h). */
		if ((seen & 1) &&
		    atomic_compare_exchange_strong_explicit(&s->seq, &seen,
		                                            (seen + 1) | SEG_SEQ_VOID,
		                                            memory_order_release,
		                                            memory_order_relaxed))
			repaired++;
	}
	if (repaired != 0)
		chan_wake(block);
	return repaired;
}
