/*
 * wait.c - the calls that wait: eshm_read_timeout(), eshm_read_until(),
 * eshm_read_ex_until(), eshm_write_timeout(), eshm_wait_remote(), and
 * eshm_interrupt(), which ends any of them.
 *
 * Each spins briefly, then sleeps on a futex that whoever it waits for
 * wakes (the writer's head, the consumer's room sequence, the control
 * thread's peer sequence) together with the handle's interrupt counter
 * (futex_waitv), in slices so that a remote dying meanwhile is noticed.
 * An interrupt is a counter eshm_interrupt() increments; a wait consumes
 * every interrupt not yet consumed, before it sleeps, so one that came
 * while nothing waited ends the next wait.  How long a wait spins is
 * learned from the handle's recent waits (spin.h).
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"

/* A sleeping reader looks at the remote's state at least this often. */
#define WAIT_SLICE_NS (50u * 1000000u)
/* A writer waiting for room, too: a consumer that died frees none. */
#define WAIT_ROOM_SLICE_NS (10u * 1000000u)
/* A wait for the remote looks at eshmd's verdict this often. */
#define WAIT_REMOTE_SLICE_NS (5u * 1000000u)

ESHM_EXPORT int
eshm_interrupt(ESHMHandle *handle)
{
	if (handle == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	/* An atomic add and a system call: safe in a signal handler. */
	atomic_fetch_add_explicit(&handle->intr_seq, 1, memory_order_release);
	syscall(SYS_futex, &handle->intr_seq, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
	return ESHM_SUCCESS;
}

/*
 * About to sleep: consume a pending interrupt (true), or fill @also so the
 * sleep ends when one comes.  Concurrent waits of one handle (a reader and
 * a writer) consume each interrupt once between them.
 */
static bool
wait_interrupted(ESHMHandle *h, struct chan_also *also)
{
	uint32_t done = atomic_load_explicit(&h->intr_done, memory_order_relaxed);
	uint32_t seq = atomic_load_explicit(&h->intr_seq, memory_order_acquire);

	while (seq != done)
		if (atomic_compare_exchange_weak_explicit(&h->intr_done, &done, seq,
		                                          memory_order_relaxed,
		                                          memory_order_relaxed))
			return true;
	also->word = &h->intr_seq;
	also->val = seq;
	return false;
}

/* The first of @end and @now + @slice_ns (CLOCK_MONOTONIC ns), as a
 * timespec for the futex. */
static struct timespec
wait_until(uint64_t now, uint64_t end, uint64_t slice_ns)
{
	uint64_t t = end - now > slice_ns ? now + slice_ns : end;
	struct timespec ts = { (time_t)(t / 1000000000u), (long)(t % 1000000000u) };

	return ts;
}

/* Sleep until the peer's block changes or someone publishes, until @ts,
 * or until @also changes. */
static void
wait_sleep(ESHMHandle *h, const struct timespec *ts, const struct chan_also *also)
{
	uint32_t seq = atomic_load_explicit(&h->peer_seq, memory_order_acquire);
	struct lib_peer *p = peer_enter(h, &h->peer_rd);

	if (p != NULL) {
		chan_wait_also(p->block, &h->g, h->rd_part, &h->cursor, io_consumer(h), also,
		               obs_unheard(h), ts);
		return;
	}
	/* No peer block yet: the control thread bumps peer_seq and wakes us
	 * when one arrives. */
	chan_wait_word(&h->peer_seq, seq, also, ts);
}

/* One read of a waiting read: eshm_read()'s when @info is NULL, else
 * eshm_read_ex()'s. */
struct wait_rd {
	void *buffer;
	size_t size;
	size_t *bytes_read;
	ESHMMessageInfo *info;
};

static int
wait_try(ESHMHandle *h, const struct wait_rd *r)
{
	if (r->info != NULL)
		return eshm_read_ex(h, r->buffer, r->size, r->info);
	return eshm_read(h, r->buffer, r->size, r->bytes_read);
}

/* Read until the CLOCK_MONOTONIC time @end (ns) at the latest. */
static int
wait_read(ESHMHandle *h, const struct wait_rd *r, uint64_t end)
{
	uint64_t start = clock_mono_ns(), spin = spin_budget_ns(&h->spin_rd), now;
	struct chan_also also;
	struct timespec ts;
	struct lib_peer *p;
	int rc;

	for (now = start; now - start < spin && now < end; now = clock_mono_ns()) {
		p = peer_enter(h, &h->peer_rd);
		if (p != NULL && (atomic_load_explicit(&h->cursor_incarnation, memory_order_relaxed) !=
		                          p->incarnation ||
		                  chan_has_new(p->block, &h->g, &h->cursor, io_consumer(h)))) {
			rc = wait_try(h, r);
			if (rc != ESHM_ERROR_NO_DATA) {
				spin_learn(&h->spin_rd, true);
				return rc;
			}
		}
		chan_pause();
	}
	spin_learn(&h->spin_rd, false);
	for (;;) {
		now = clock_mono_ns();
		if (now >= end)
			return ESHM_ERROR_TIMEOUT;
		if (wait_interrupted(h, &also))
			return ESHM_ERROR_INTERRUPTED;
		ts = wait_until(now, end, WAIT_SLICE_NS);
		wait_sleep(h, &ts, &also);
		rc = wait_try(h, r);
		if (rc != ESHM_ERROR_NO_DATA)
			return rc;
	}
}

/* A read, then, while there is nothing, a wait until @deadline_ns. */
static int
wait_read_until(ESHMHandle *h, const struct wait_rd *r, uint64_t deadline_ns)
{
	int rc = wait_try(h, r);

	if (rc != ESHM_ERROR_NO_DATA)
		return rc;
	if (clock_mono_ns() >= deadline_ns)
		return ESHM_ERROR_TIMEOUT;
	return wait_read(h, r, deadline_ns);
}

ESHM_EXPORT int
eshm_read_timeout(ESHMHandle *handle, void *buffer, size_t buffer_size, size_t *bytes_read,
                  uint32_t timeout_ms)
{
	struct wait_rd r = {buffer, buffer_size, bytes_read, NULL};
	int rc = wait_try(handle, &r);

	if (rc != ESHM_ERROR_NO_DATA || timeout_ms == 0)
		return rc;
	return wait_read(handle, &r, clock_mono_ns() + (uint64_t)timeout_ms * 1000000u);
}

ESHM_EXPORT int
eshm_read_until(ESHMHandle *handle, void *buffer, size_t buffer_size, size_t *bytes_read,
                uint64_t deadline_ns)
{
	struct wait_rd r = {buffer, buffer_size, bytes_read, NULL};

	return wait_read_until(handle, &r, deadline_ns);
}

ESHM_EXPORT int
eshm_read_ex_until(ESHMHandle *handle, void *buffer, size_t buffer_size, ESHMMessageInfo *info,
                   uint64_t deadline_ns)
{
	struct wait_rd r = {buffer, buffer_size, NULL, info};

	/* Without @info, wait_try() would be eshm_read()'s. */
	if (info == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	return wait_read_until(handle, &r, deadline_ns);
}

ESHM_EXPORT int
eshm_write_timeout(ESHMHandle *handle, const void *data, size_t size, uint32_t timeout_ms)
{
	uint64_t start, end, now, spin;
	struct chan_also also;
	struct timespec ts;
	struct lib_peer *p;
	int rc;

	rc = eshm_write(handle, data, size);
	if (rc != ESHM_ERROR_QUEUE_FULL || timeout_ms == 0)
		return rc;
	start = clock_mono_ns();
	end = start + (uint64_t)timeout_ms * 1000000u;
	spin = spin_budget_ns(&handle->spin_wr);
	for (now = start; now - start < spin && now < end; now = clock_mono_ns()) {
		chan_pause();
		rc = eshm_write(handle, data, size);
		if (rc != ESHM_ERROR_QUEUE_FULL) {
			spin_learn(&handle->spin_wr, true);
			return rc;
		}
	}
	spin_learn(&handle->spin_wr, false);
	for (;;) {
		now = clock_mono_ns();
		if (now >= end)
			return ESHM_ERROR_TIMEOUT;
		if (wait_interrupted(handle, &also))
			return ESHM_ERROR_INTERRUPTED;
		ts = wait_until(now, end, WAIT_ROOM_SLICE_NS);
		p = peer_enter(handle, &handle->peer_wr);
		if (p != NULL)
			chan_wait_room_also(&handle->writer, &p->block->reader, &also, &ts);
		else
			/* No reader ever attached: none will wake us but an
			 * interrupt. */
			chan_wait_word(&handle->intr_seq, also.val, NULL, &ts);
		rc = eshm_write(handle, data, size);
		if (rc != ESHM_ERROR_QUEUE_FULL)
			return rc;
	}
}

ESHM_EXPORT int
eshm_wait_remote(ESHMHandle *handle, uint32_t timeout_ms)
{
	const struct lib_peer *p;
	uint64_t end, now;
	struct chan_also also;
	struct timespec ts;
	uint32_t seq;

	if (handle == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	end = clock_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		if (handle->forked || !live_attached(handle))
			return ESHM_ERROR_DETACHED;
		seq = atomic_load_explicit(&handle->peer_seq, memory_order_acquire);
		/* alive, and its current block mapped here: a read or write
		 * now reaches it */
		p = atomic_load_explicit(&handle->peer_latest, memory_order_acquire);
		if (live_remote_state(handle) == SEG_EP_ALIVE && p != NULL &&
		    p->incarnation ==
		            atomic_load_explicit(&handle->st->verdict.incarnation[1 - handle->role],
		                                 memory_order_relaxed))
			return ESHM_SUCCESS;
		now = clock_mono_ns();
		if (now >= end)
			return ESHM_ERROR_TIMEOUT;
		if (wait_interrupted(handle, &also))
			return ESHM_ERROR_INTERRUPTED;
		/* A new remote's block bumps peer_seq; a stale one coming
		 * back shows only in eshmd's verdict, looked at each slice. */
		ts = wait_until(now, end, WAIT_REMOTE_SLICE_NS);
		chan_wait_word(&handle->peer_seq, seq, &also, &ts);
	}
}
