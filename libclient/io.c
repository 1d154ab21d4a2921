/*
 * io.c - the data path that never waits: eshm_write(), eshm_read(),
 * eshm_read_ex(), and the steps zerocopy.c and wait.c share.
 *
 * Only mapped memory is touched: the own block, the peer's block and the
 * status block.  No lock, no clock, no system call, except the futex wake
 * when a reader announced it sleeps.
 */
#include <string.h>

#include "clock.h"
#include "handle.h"

/* Without the heartbeat thread, each call is this endpoint's sign of life. */
CHAN_HOT void
io_beat(ESHMHandle *h)
{
	if (!h->config.use_threads && h->own != NULL)
		atomic_store_explicit(&h->own->heartbeat,
		                      atomic_load_explicit(&h->own->heartbeat, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
}

/* What the disconnect behaviour makes of the remote's @state. */
CHAN_HOT int
io_verdict(const ESHMHandle *h, uint32_t state)
{
	switch (h->config.disconnect_behavior) {
	case ESHM_DISCONNECT_NEVER:
		return ESHM_SUCCESS;
	case ESHM_DISCONNECT_ON_TIMEOUT:
		return state == SEG_EP_DEAD ? ESHM_ERROR_REMOTE_DEAD : ESHM_SUCCESS;
	default:
		return state == SEG_EP_DEAD    ? ESHM_ERROR_REMOTE_DEAD
		       : state == SEG_EP_STALE ? ESHM_ERROR_REMOTE_STALE
		                               : ESHM_SUCCESS;
	}
}

void
io_cursor_start(struct ESHMHandle *h, const struct lib_peer *p)
{
	if (io_consumer(h))
		chan_consumer_start(&h->cursor, h->rd_part, p->block, &h->g, p->incarnation);
	else
		/* A late reader gets the latest value, not the history. */
		chan_cursor_init(&h->cursor, p->block, &h->g, false, 0);
	atomic_store_explicit(&h->cursor_incarnation, p->incarnation, memory_order_relaxed);
}

/* io_write_gate(), inlined into eshm_write(). */
CHAN_HOT int
io_gate(ESHMHandle *h, size_t size, struct lib_peer **p)
{
	if (h->forked)
		return ESHM_ERROR_DETACHED;
	if (h->observer)
		return ESHM_ERROR_READ_ONLY;
	if (h->writer.loaned != 0)
		return ESHM_ERROR_PENDING;
	if (size > h->g.capacity)
		return ESHM_ERROR_DATA_TOO_LARGE;
	io_beat(h);
	if (!live_attached(h))
		return ESHM_ERROR_DETACHED;
	*p = peer_enter(h, &h->peer_wr);
	return ESHM_SUCCESS;
}

const struct seg_reader *
io_queue_reader(const ESHMHandle *h, const struct lib_peer *p)
{
	return io_consumer(h) && p != NULL ? &p->block->reader : NULL;
}

int
io_full(ESHMHandle *h)
{
	int verdict = io_verdict(h, live_remote_state(h));

	if (h->ev_fd >= 0)
		ev_queue_full(h);
	/* a full queue whose reader is gone says that rather than "full" */
	return verdict != ESHM_SUCCESS ? verdict : ESHM_ERROR_QUEUE_FULL;
}

/* io_published(), inlined into eshm_write(). */
CHAN_HOT int
io_after_publish(ESHMHandle *h, const struct lib_peer *p)
{
	uint32_t state;

	atomic_store_explicit(&h->writes,
	                      atomic_load_explicit(&h->writes, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	state = live_remote_state(h);
	/* A reader that died asleep leaves its wait word set: only a reader
	 * eshmd says is attached is worth a system call.  An observer's page
	 * is emptied when it leaves. */
	if ((p != NULL && (state == SEG_EP_ALIVE || state == SEG_EP_STALE) &&
	     chan_reader_waits(&p->block->reader)) ||
	    obs_any_waits(h))
		chan_wake(h->own);
	return io_verdict(h, state);
}

int
io_write_gate(ESHMHandle *h, size_t size, struct lib_peer **p)
{
	return io_gate(h, size, p);
}

int
io_published(ESHMHandle *h, const struct lib_peer *p)
{
	return io_after_publish(h, p);
}

ESHM_EXPORT int
eshm_write(ESHMHandle *handle, const void *data, size_t size)
{
	struct lib_peer *p;
	int rc;

	if (handle == NULL || data == NULL || size == 0)
		return ESHM_ERROR_INVALID_PARAM;
	rc = io_gate(handle, size, &p);
	if (rc != ESHM_SUCCESS)
		return rc;
	/* Always published, whatever the remote's state: what a writer last
	 * asked for is what the next peer reads.  The return code then says
	 * the remote's state, per the disconnect behaviour. */
	rc = chan_write(&handle->writer, io_queue_reader(handle, p), data, (uint32_t)size);
	if (rc == ESHM_ERROR_QUEUE_FULL)
		return io_full(handle);
	return io_after_publish(handle, p);
}

/*
 * Whether the read side is on the block of the peer role's current holder,
 * as eshmd's status says.  A block the control thread has not mapped yet
 * may hold messages: only once the reader is on the current block has a
 * dead remote nothing more to deliver.
 */
CHAN_HOT bool
io_on_current_block(const ESHMHandle *h)
{
	const struct lib_peer *p = atomic_load_explicit(&h->peer_rd, memory_order_relaxed);

	return p != NULL &&
	       p->incarnation == atomic_load_explicit(&h->st->verdict.incarnation[1 - h->role],
	                                              memory_order_relaxed);
}

/* Whether the queue's consumer @h still has messages to read in @cur, a
 * block the writer's role has since left.  Out of line: the read's usual
 * path inlines only the test that the block was left. */
static __attribute__((noinline)) bool
io_left_block_has_more(ESHMHandle *h, const struct lib_peer *cur)
{
	return cur->incarnation == atomic_load_explicit(&h->cursor_incarnation,
	                                                memory_order_relaxed) &&
	       chan_has_new(cur->block, &h->g, &h->cursor, true);
}

/*
 * The peer block to read from: the latest, except that a queue's reader
 * first reads what the previous holder of the writer's role left in its
 * block, so a writer replaced loses nothing it published.
 */
CHAN_HOT struct lib_peer *
io_read_side(ESHMHandle *h)
{
	struct lib_peer *cur = atomic_load_explicit(&h->peer_rd, memory_order_relaxed);

	if (io_consumer(h) && cur != NULL &&
	    cur != atomic_load_explicit(&h->peer_latest, memory_order_acquire) &&
	    io_left_block_has_more(h, cur))
		return cur;
	return peer_enter(h, &h->peer_rd);
}

/* A new holder of the peer's role writes a fresh block @p: all of it is
 * new to this reader (a latest-value reader starts before its first
 * message, the queue's consumer where its position says). */
static __attribute__((noinline)) void
io_cursor_switch(ESHMHandle *h, const struct lib_peer *p)
{
	if (io_consumer(h)) {
		io_cursor_start(h, p);
	} else {
		h->cursor.last = 0;
		atomic_store_explicit(&h->cursor_incarnation, p->incarnation, memory_order_relaxed);
	}
}

/* The peer block to read from, its cursor started on it; NULL: none. */
CHAN_HOT struct lib_peer *
io_read_block(ESHMHandle *h)
{
	struct lib_peer *p = io_read_side(h);

	if (p != NULL &&
	    atomic_load_explicit(&h->cursor_incarnation, memory_order_relaxed) != p->incarnation)
		io_cursor_switch(h, p);
	return p;
}

/*
 * The checks before a read: the handle, and the disconnect behaviour
 * before looking.  Returns ESHM_SUCCESS with the remote's *@state and the
 * peer block to read in *@p (NULL: none yet), or the error to return.
 */
CHAN_HOT int
io_read_begin(ESHMHandle *handle, uint32_t *state, struct lib_peer **p)
{
	int rc;

	if (handle->forked)
		return ESHM_ERROR_DETACHED;
	if (handle->view.slot != NULL)
		return ESHM_ERROR_PENDING;
	io_beat(handle);
	if (!live_attached(handle))
		return ESHM_ERROR_DETACHED;
	*state = live_remote_state(handle);
	/* IMMEDIATELY reports the remote's state before looking; the other
	 * behaviours deliver what the remote wrote before it went. */
	if (handle->config.disconnect_behavior == ESHM_DISCONNECT_IMMEDIATELY) {
		rc = io_verdict(handle, *state);
		if (rc != ESHM_SUCCESS)
			return rc;
	}
	*p = io_read_block(handle);
	return ESHM_SUCCESS;
}

/* After the read step returned @rc: nothing there may mean the remote is
 * gone (the disconnect behaviour after looking), and re-arms events. */
CHAN_HOT int
io_read_end(ESHMHandle *handle, int rc, uint32_t state)
{
	if (rc != ESHM_ERROR_NO_DATA)
		return rc;
	if (handle->ev_fd >= 0)
		ev_read_empty(handle);
	if (io_verdict(handle, state) != ESHM_SUCCESS && io_on_current_block(handle))
		return io_verdict(handle, state);
	return rc;
}

int
io_read_checked(ESHMHandle *handle, io_read_fn *fn, void *arg)
{
	struct lib_peer *p;
	uint32_t state;
	int rc = io_read_begin(handle, &state, &p);

	if (rc != ESHM_SUCCESS)
		return rc;
	return io_read_end(handle, p != NULL ? fn(handle, p, arg) : ESHM_ERROR_NO_DATA, state);
}

/* The copying read of eshm_read() and eshm_read_ex(), all inline: the
 * data path makes no indirect call. */
CHAN_HOT int
io_copy_read(ESHMHandle *h, void *buffer, size_t size, struct chan_msg *msg)
{
	struct lib_peer *p;
	uint32_t state;
	int rc = io_read_begin(h, &state, &p);

	if (rc != ESHM_SUCCESS)
		return rc;
	rc = p != NULL ? chan_read(p->block, &h->g, &h->cursor, io_consumer(h), h->rd_part, buffer,
	                           size, msg)
	               : ESHM_ERROR_NO_DATA;
	return io_read_end(h, rc, state);
}

ESHM_EXPORT int
eshm_read(ESHMHandle *handle, void *buffer, size_t buffer_size, size_t *bytes_read)
{
	struct chan_msg msg = {0};
	int rc;

	if (handle == NULL || buffer == NULL || buffer_size == 0 || bytes_read == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	rc = io_copy_read(handle, buffer, buffer_size, &msg);
	if (rc == ESHM_SUCCESS || rc == ESHM_ERROR_BUFFER_TOO_SMALL)
		*bytes_read = msg.size;
	/* eshm_read() reports a read that gave up under contention as "no
	 * data" (the only case where the buffer may have changed). */
	return rc == ESHM_ERROR_CONTENDED ? ESHM_ERROR_NO_DATA : rc;
}

ESHM_EXPORT int
eshm_read_ex(ESHMHandle *handle, void *buffer, size_t buffer_size, ESHMMessageInfo *info)
{
	struct chan_msg msg = {0};
	int rc;

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (handle == NULL || buffer == NULL || buffer_size == 0 || info == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	rc = io_copy_read(handle, buffer, buffer_size, &msg);
	if (rc == ESHM_ERROR_BUFFER_TOO_SMALL)
		info->size = msg.size;
	if (rc != ESHM_SUCCESS)
		return rc;
	info->size = msg.size;
	info->sequence = msg.number;
	info->missed = msg.missed;
	info->write_time_ns = msg.write_mono_ns;
	info->writer_attach = atomic_load_explicit(&handle->cursor_incarnation, memory_order_relaxed);
	return ESHM_SUCCESS;
}
