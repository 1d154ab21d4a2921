/*
 * channel.c - the slow parts of the channel seqlock: sleeping and waking
 * on the futex, and the repair of a channel whose writer died.
 */
#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"

/* A reader that cannot force the writer's barrier sleeps no longer than this. */
#define CHAN_SLICE_NS 1000000L

/* 0: not tried in this process; 1: registered; -1: unavailable. */
_Atomic int chan_membarrier_ready;

static pthread_mutex_t chan_membarrier_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t chan_atfork_once = PTHREAD_ONCE_INIT;

static void
chan_membarrier_forget(void)
{
	/* a child is a new mm: it registers again on its first attach */
	atomic_store_explicit(&chan_membarrier_ready, 0, memory_order_relaxed);
}

static void
chan_membarrier_install_atfork(void)
{
	pthread_atfork(NULL, NULL, chan_membarrier_forget);
}

void
chan_membarrier_setup(void)
{
	long cmds;
	int ready = -1;

	pthread_once(&chan_atfork_once, chan_membarrier_install_atfork);
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

/* The reader's half of the asymmetric fence; false if it could not run. */
static bool
chan_heavy_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) == 0;
}

/* The futex word is the low 32-bit half of the 64-bit sequence. */
static uint32_t *
chan_futex_word(struct seg_channel *ch)
{
	char *p = (char *)&ch->seq;

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	p += sizeof(uint32_t);
#endif
	return (uint32_t *)p;
}

void
chan_wake(struct seg_channel *ch)
{
	/* Not FUTEX_PRIVATE_FLAG: the readers are other processes. */
	syscall(SYS_futex, chan_futex_word(ch), FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

int
chan_wait(struct seg_channel *ch, struct seg_reader *rd, const struct chan_cursor *cur,
          const struct timespec *deadline)
{
	struct timespec now;
	uint64_t s;
	long rc;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > deadline->tv_sec ||
	    (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
		return ESHM_ERROR_TIMEOUT;
	atomic_fetch_add_explicit(&rd->waiters, 1, memory_order_seq_cst);
	if (!chan_heavy_fence()) {
		/* the writer may have missed us: wake up soon to look again */
		struct timespec slice = now;

		slice.tv_nsec += CHAN_SLICE_NS;
		if (slice.tv_nsec >= 1000000000L) {
			slice.tv_sec++;
			slice.tv_nsec -= 1000000000L;
		}
		if (slice.tv_sec < deadline->tv_sec ||
		    (slice.tv_sec == deadline->tv_sec && slice.tv_nsec < deadline->tv_nsec))
			deadline = &slice;
	}
	s = atomic_load_explicit(&ch->seq, memory_order_seq_cst);
	rc = 0;
	if ((s & 1) || s <= cur->last_seq) {
		/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time; the
		 * kernel returns at once if the word is no longer (uint32_t)s. */
		rc = syscall(SYS_futex, chan_futex_word(ch), FUTEX_WAIT_BITSET, (uint32_t)s,
		             deadline, NULL, FUTEX_BITSET_MATCH_ANY);
		if (rc < 0 && errno == ETIMEDOUT)
			rc = ESHM_ERROR_TIMEOUT;
		else
			rc = 0;
	}
	atomic_fetch_sub_explicit(&rd->waiters, 1, memory_order_seq_cst);
	return (int)rc;
}

int
chan_repair(struct seg_channel *ch)
{
	uint64_t s = atomic_load_explicit(&ch->seq, memory_order_acquire);

	if (!(s & 1))
		return 0;
	atomic_store_explicit(&ch->size, SEG_SIZE_VOID, memory_order_relaxed);
	atomic_store_explicit(&ch->seq, s + 1, memory_order_release);
	chan_wake(ch);
	return 1;
}
