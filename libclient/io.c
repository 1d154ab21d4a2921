/*
 * io.c - the data path: eshm_write(), eshm_read(), eshm_read_timeout().
 * Only the mapped segment is touched: no system call (but the futex when a
 * reader sleeps), no lock.
 */
#include "clock.h"
#include "handle.h"

/* Spin this long for a message before eshm_read_timeout() sleeps: a kernel
 * wake-up costs tens of microseconds, a near-miss should not pay it. */
#define IO_SPIN_NS 20000u
/* A sleeping reader looks at the remote's state at least this often. */
#define IO_SLICE_NS (50u * 1000000u)

/*
 * What the remote's state and the disconnect behaviour allow: ESHM_SUCCESS,
 * ESHM_ERROR_DETACHED, ESHM_ERROR_REMOTE_STALE or ESHM_ERROR_REMOTE_DEAD.
 */
static inline int
io_gate(ESHMHandle *h)
{
	uint32_t state;
	bool stale;

	if (atomic_load_explicit(&h->detached, memory_order_relaxed) ||
	    (atomic_load_explicit(&h->map.header->flags, memory_order_relaxed) & SEG_FLAG_REVOKED))
		return ESHM_ERROR_DETACHED;
	if (h->config.disconnect_behavior == ESHM_DISCONNECT_NEVER)
		return ESHM_SUCCESS;
	state = atomic_load_explicit(&live_remote(h)->state, memory_order_relaxed);
	if (state == SEG_EP_DEAD)
		return ESHM_ERROR_REMOTE_DEAD;
	if (state == SEG_EP_DETACHED ||
	    h->config.disconnect_behavior != ESHM_DISCONNECT_IMMEDIATELY)
		return ESHM_SUCCESS;
	if (h->config.use_threads)
		stale = atomic_load_explicit(&h->remote_stale, memory_order_relaxed);
	else {
		live_local_check(h, 0);
		stale = live_update_stale(h, clock_mono_ns());
	}
	return stale ? ESHM_ERROR_REMOTE_STALE : ESHM_SUCCESS;
}

/* Without the heartbeat thread, each call is this endpoint's sign of life. */
static inline void
io_beat(ESHMHandle *h)
{
	_Atomic uint64_t *hb = &h->map.endpoint[h->role]->heartbeat;

	if (!h->config.use_threads)
		atomic_store_explicit(hb, atomic_load_explicit(hb, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
}

ESHM_EXPORT int
eshm_write(ESHMHandle *handle, const void *data, size_t size)
{
	int rc;

	if (handle == NULL || data == NULL || size == 0)
		return ESHM_ERROR_INVALID_PARAM;
	if (size > handle->map.capacity)
		return ESHM_ERROR_DATA_TOO_LARGE;
	io_beat(handle);
	rc = io_gate(handle);
	if (rc != ESHM_SUCCESS)
		return rc;
	chan_write(handle->map.channel[handle->role], handle->map.reader[handle->role], data,
	           (uint32_t)size);
	atomic_store_explicit(&handle->writes,
	                      atomic_load_explicit(&handle->writes, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_read(ESHMHandle *handle, void *buffer, size_t buffer_size, size_t *bytes_read)
{
	int rc;

	if (handle == NULL || buffer == NULL || buffer_size == 0 || bytes_read == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	io_beat(handle);
	rc = io_gate(handle);
	if (rc != ESHM_SUCCESS)
		return rc;
	return chan_read(handle->map.channel[1 - handle->role], handle->map.reader[1 - handle->role],
	                 handle->map.capacity, &handle->cursor, buffer, buffer_size, bytes_read);
}

ESHM_EXPORT int
eshm_read_timeout(ESHMHandle *handle, void *buffer, size_t buffer_size, size_t *bytes_read,
                  uint32_t timeout_ms)
{
	struct seg_channel *ch;
	uint64_t start, end, now;
	int rc;

	rc = eshm_read(handle, buffer, buffer_size, bytes_read);
	if (rc != ESHM_ERROR_NO_DATA || timeout_ms == 0)
		return rc;
	ch = handle->map.channel[1 - handle->role];
	start = clock_mono_ns();
	end = start + (uint64_t)timeout_ms * 1000000u;
	for (now = start; now - start < IO_SPIN_NS && now < end; now = clock_mono_ns()) {
		if (chan_has_new(ch, &handle->cursor)) {
			rc = eshm_read(handle, buffer, buffer_size, bytes_read);
			if (rc != ESHM_ERROR_NO_DATA)
				return rc;
		}
		chan_pause();
	}
	for (;;) {
		struct timespec deadline;
		uint64_t until;

		now = clock_mono_ns();
		if (now >= end)
			return ESHM_ERROR_TIMEOUT;
		/* Sleep in slices so a remote dying meanwhile is noticed. */
		until = end - now > IO_SLICE_NS ? now + IO_SLICE_NS : end;
		deadline.tv_sec = (time_t)(until / 1000000000u);
		deadline.tv_nsec = (long)(until % 1000000000u);
		chan_wait(ch, handle->map.reader[1 - handle->role], &handle->cursor, &deadline);
		rc = eshm_read(handle, buffer, buffer_size, bytes_read);
		if (rc != ESHM_ERROR_NO_DATA)
			return rc;
	}
}
