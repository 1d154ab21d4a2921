/*
 * events.c - a descriptor per handle for poll/epoll (docs/architecture.md,
 * "Event descriptors").
 *
 * The descriptor is an eventfd private to this process: nothing a peer
 * can reach is ever on anyone's write path.  One event thread per process
 * sleeps in futex_waitv on, for each handle that asked for a descriptor,
 * the remote writer's head (after setting the armed bit of the reader
 * part's waits word, which the writer loads after each publish), the
 * remote role's state word in the status block (eshmd wakes it on each
 * verdict change), and, after a write met a full queue, the consumer's
 * room sequence; plus a private control word the library bumps when the
 * list, a peer block or an armed state changes.  Woken, it sets the
 * handle's pending bits and writes its eventfd.  A message makes it stop
 * watching for messages (armed cleared: the writer pays no more system
 * calls) until the application reads to ESHM_ERROR_NO_DATA, which re-arms
 * it.  An observer on a channel eshmd says is quiet sleeps 1 ms at a time
 * until eshmd notices it is armed (obsquiet.h).
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"

/* Waiters of futex_waitv: the control word and three per handle. */
#define EV_WAITERS 128
#define EV_HANDLES_MAX ((EV_WAITERS - 1) / 3)
/* Without eshmd's monitor a remote's state is the control thread's
 * judgement, which wakes nobody: looked at this often. */
#define EV_SLICE_NS (100u * 1000000u)

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ev_once = PTHREAD_ONCE_INIT;
static struct ESHMHandle *ev_list;  /* under ev_lock */
static unsigned ev_count;           /* under ev_lock */
static bool ev_running;             /* under ev_lock */
static _Atomic uint32_t ev_ctl;     /* bumped and woken: look again */

static void
ev_fork_prepare(void)
{
	pthread_mutex_lock(&ev_lock);
}

static void
ev_fork_parent(void)
{
	pthread_mutex_unlock(&ev_lock);
}

/* The child has no event thread, and its handles are forked copies. */
static void
ev_fork_child(void)
{
	ev_list = NULL;
	ev_count = 0;
	ev_running = false;
	pthread_mutex_unlock(&ev_lock);
}

static void
ev_install_atfork(void)
{
	pthread_atfork(ev_fork_prepare, ev_fork_parent, ev_fork_child);
}

void
ev_kick(void)
{
	atomic_fetch_add_explicit(&ev_ctl, 1, memory_order_release);
	syscall(SYS_futex, &ev_ctl, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Make @bits pending on @h and its descriptor readable. */
static void
ev_signal(struct ESHMHandle *h, unsigned bits)
{
	uint64_t one = 1;

	atomic_fetch_or_explicit(&h->ev_bits, bits, memory_order_release);
	/* full counter: readable already */
	if (write(h->ev_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

static void
ev_add(struct futex_waitv *w, unsigned *n, const void *word, uint32_t val, bool shared)
{
	w[*n].val = val;
	w[*n].uaddr = (uintptr_t)word;
	w[*n].flags = FUTEX_32 | (shared ? 0 : FUTEX_PRIVATE_FLAG);
	w[*n].__reserved = 0;
	(*n)++;
}

/* The low 32 bits of head: the futex word writers wake. */
static const uint32_t *
ev_head_word(const struct seg_block *b)
{
	const char *p = (const char *)&b->head;

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	p += sizeof(uint32_t);
#endif
	return (const uint32_t *)p;
}

/* @h no longer watches for room: the room-wait word (shared with a
 * concurrent eshm_write_timeout, which sets it again while it waits, and
 * looks again within its 10 ms slice) is cleared. */
static void
ev_stop_room(struct ESHMHandle *h)
{
	atomic_store_explicit(&h->ev_want_room, false, memory_order_relaxed);
	atomic_store_explicit(&h->own->room_wait, 0, memory_order_relaxed);
}

/* Look at @h, signal what is new, and add what to sleep on to @w.  Sets
 * *@unheard when @h is an observer its writer does not look at (eshmd says
 * its channel is quiet): the sleep must then be short. */
static void
ev_watch(struct ESHMHandle *h, struct futex_waitv *w, unsigned *n, bool *unheard)
{
	const _Atomic uint32_t *quiet = obs_unheard(h);
	struct lib_peer *p = peer_enter(h, &h->peer_ev);
	const _Atomic uint32_t *state_word = &h->st->verdict.state[1 - h->role];
	uint32_t state = live_attached(h) ? live_remote_state(h) : SEG_EP_DETACHED;
	uint64_t head;

	if (state != h->ev_state) {
		h->ev_state = state;
		ev_signal(h, ESHM_EVENT_REMOTE);
	}
	ev_add(w, n, state_word, atomic_load_explicit(state_word, memory_order_relaxed), true);
	if (p != NULL && !atomic_load_explicit(&h->ev_disarmed, memory_order_acquire)) {
		/* the writer's side is the light fence after its publish:
		 * this one must be the heavy side (or the slice bounds a miss) */
		atomic_fetch_or_explicit(&h->rd_part->waits, SEG_WAITS_ARMED, memory_order_relaxed);
		chan_heavy_fence();
		if (quiet != NULL && atomic_load_explicit(quiet, memory_order_relaxed) != 0)
			*unheard = true;
		head = atomic_load_explicit(&p->block->head, memory_order_acquire);
		/* The reader part's position is what the reader consumed of the
		 * block its cursor is on; a block it has not reached yet is all
		 * new to it.  (While it reads, this thread is disarmed.) */
		if (atomic_load_explicit(&h->cursor_incarnation, memory_order_relaxed) !=
		            p->incarnation
		            ? head > 0
		            : head > atomic_load_explicit(&h->rd_part->position, memory_order_relaxed)) {
			atomic_fetch_and_explicit(&h->rd_part->waits, ~SEG_WAITS_ARMED,
			                          memory_order_relaxed);
			atomic_store_explicit(&h->ev_disarmed, true, memory_order_release);
			ev_signal(h, ESHM_EVENT_MESSAGE);
		} else {
			ev_add(w, n, ev_head_word(p->block), (uint32_t)head, true);
		}
	}
	if (atomic_load_explicit(&h->ev_want_room, memory_order_acquire)) {
		const struct seg_reader *consumer = p != NULL ? &p->block->reader : NULL;
		uint32_t seq = 0;
		bool fenced;

		/* unfenced (no membarrier): the 100 ms slice bounds a miss */
		if (consumer != NULL)
			seq = chan_room_announce(h->own, consumer, &fenced);
		if (consumer != NULL &&
		    chan_queue_unread(h->own, h->incarnation, consumer, &h->g) >= h->g.queue_depth) {
			ev_add(w, n, (const void *)&consumer->room_seq, seq, true);
		} else {
			/* Room: stop asking the consumer for wake-ups, or each of
			 * its reads would pay one. */
			ev_stop_room(h);
			ev_signal(h, ESHM_EVENT_ROOM);
		}
	}
}

static void *
ev_main(void *arg)
{
	struct futex_waitv w[EV_WAITERS];
	struct timespec until;
	struct ESHMHandle *h;
	bool unheard;
	uint32_t ctl;
	unsigned n;

	for (;;) {
		ctl = atomic_load_explicit(&ev_ctl, memory_order_acquire);
		n = 0;
		unheard = false;
		ev_add(w, &n, &ev_ctl, ctl, false);
		pthread_mutex_lock(&ev_lock);
		if (ev_list == NULL) {
			ev_running = false;
			pthread_mutex_unlock(&ev_lock);
			return arg;
		}
		for (h = ev_list; h != NULL; h = h->ev_next)
			ev_watch(h, w, &n, &unheard);
		pthread_mutex_unlock(&ev_lock);
		clock_gettime(CLOCK_MONOTONIC, &until);
		clock_ts_add_ns(&until, unheard ? CHAN_SLICE_NS : EV_SLICE_NS);
		/* Addresses of a handle destroyed meanwhile stay queued
		 * harmlessly: the next round rebuilds the list.  A kernel
		 * without futex_waitv (before 5.16): look once a millisecond. */
		if (syscall(SYS_futex_waitv, w, n, 0, &until, CLOCK_MONOTONIC) < 0 && errno == ENOSYS)
			clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){ 0, 1000000 }, NULL);
	}
}

ESHM_EXPORT int
eshm_get_event_fd(ESHMHandle *handle, int *fd)
{
	int rc = ESHM_SUCCESS;

	if (handle == NULL || fd == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	if (handle->forked || !live_attached(handle))
		return ESHM_ERROR_DETACHED;
	pthread_once(&ev_once, ev_install_atfork);
	pthread_mutex_lock(&ev_lock);
	if (handle->ev_fd < 0) {
		if (ev_count >= EV_HANDLES_MAX) {
			rc = ESHM_ERROR_LIMIT;
		} else if ((handle->ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
			rc = ESHM_ERROR_SYSTEM;
		} else {
			handle->ev_state = live_remote_state(handle);
			handle->ev_next = ev_list;
			ev_list = handle;
			ev_count++;
			if (!ev_running) {
				rc = lib_thread_start(ev_main);
				ev_running = rc == ESHM_SUCCESS;
			}
		}
	}
	if (rc == ESHM_SUCCESS)
		*fd = handle->ev_fd;
	pthread_mutex_unlock(&ev_lock);
	ev_kick();
	return rc;
}

ESHM_EXPORT int
eshm_get_events(ESHMHandle *handle, unsigned *events)
{
	uint64_t count;

	if (handle == NULL || events == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	*events = 0;
	if (handle->ev_fd < 0)
		return ESHM_ERROR_INVALID_PARAM;
	if (read(handle->ev_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return ESHM_ERROR_SYSTEM;
	*events = atomic_exchange_explicit(&handle->ev_bits, 0, memory_order_acquire);
	/* A message was announced and not yet read to ESHM_ERROR_NO_DATA:
	 * it still waits, and the descriptor stays readable. */
	if (atomic_load_explicit(&handle->ev_disarmed, memory_order_acquire)) {
		*events |= ESHM_EVENT_MESSAGE;
		ev_signal(handle, 0);
	}
	return ESHM_SUCCESS;
}

void
ev_read_empty(struct ESHMHandle *h)
{
	uint64_t count;

	if (!atomic_load_explicit(&h->ev_disarmed, memory_order_acquire))
		return;
	/* Everything read: quiet again, and watching. */
	if (read(h->ev_fd, &count, sizeof(count)) < 0) {
		/* nothing to drain */
	}
	/* a bit the event thread set meanwhile keeps it readable */
	if (atomic_load_explicit(&h->ev_bits, memory_order_acquire) != 0)
		ev_signal(h, 0);
	atomic_store_explicit(&h->ev_disarmed, false, memory_order_release);
	ev_kick();
}

void
ev_queue_full(struct ESHMHandle *h)
{
	if (!atomic_exchange_explicit(&h->ev_want_room, true, memory_order_acq_rel))
		ev_kick();
}

void
ev_unregister(struct ESHMHandle *h)
{
	struct ESHMHandle **pp;

	if (h->ev_fd < 0)
		return;
	pthread_mutex_lock(&ev_lock);
	for (pp = &ev_list; *pp != NULL; pp = &(*pp)->ev_next)
		if (*pp == h) {
			*pp = h->ev_next;
			ev_count--;
			break;
		}
	pthread_mutex_unlock(&ev_lock);
	ev_kick();
	if (atomic_load_explicit(&h->ev_want_room, memory_order_relaxed) && !h->forked)
		ev_stop_room(h);
	close(h->ev_fd);
	h->ev_fd = -1;
}
