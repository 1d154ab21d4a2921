/*
 * liveness.c - judging the remote endpoint, and the statistics.
 *
 * eshmd's monitor is the authority while it runs: it writes each
 * endpoint's state and silent time.  The library judges the remote by its
 * own threshold against that silent time, and falls back to watching the
 * remote's heartbeat counter itself while the monitor is not running.
 */
#include <string.h>

#include "clock.h"
#include "handle.h"

bool
live_daemon_fresh(const struct ESHMHandle *h, uint64_t now_ns)
{
	uint64_t pass = atomic_load_explicit(&h->map.daemon->pass_mono_ns, memory_order_relaxed);

	if (pass == 0)
		return false;
	/* CLOCK_MONOTONIC is system-wide; a pass stamped just after our
	 * clock read is fresh too. */
	return pass >= now_ns || now_ns - pass < ESHM_DAEMON_FRESH_NS;
}

void
live_local_check(struct ESHMHandle *h, uint32_t elapsed_ms)
{
	uint64_t hb = atomic_load_explicit(&live_remote(h)->heartbeat, memory_order_relaxed);
	uint64_t last = atomic_load_explicit(&h->local_last_hb, memory_order_relaxed);
	uint32_t silent;

	if (hb != last) {
		atomic_store_explicit(&h->local_last_hb, hb, memory_order_relaxed);
		atomic_store_explicit(&h->local_change_ns, clock_mono_ns(), memory_order_relaxed);
		atomic_store_explicit(&h->local_silent_ms, 0, memory_order_relaxed);
		return;
	}
	if (elapsed_ms > 0) {
		/* Counted in checks, not wall time: a check delayed by load
		 * never turns into a false verdict. */
		silent = atomic_load_explicit(&h->local_silent_ms, memory_order_relaxed);
		if (silent <= UINT32_MAX - elapsed_ms)
			silent += elapsed_ms;
	} else {
		uint64_t since = clock_mono_ns() -
		                 atomic_load_explicit(&h->local_change_ns, memory_order_relaxed);

		since /= 1000000u;
		silent = since > UINT32_MAX ? UINT32_MAX : (uint32_t)since;
	}
	atomic_store_explicit(&h->local_silent_ms, silent, memory_order_relaxed);
}

bool
live_update_stale(struct ESHMHandle *h, uint64_t now_ns)
{
	struct seg_endpoint *ep = live_remote(h);
	uint32_t state = atomic_load_explicit(&ep->state, memory_order_relaxed);
	uint32_t silent, interval;
	bool stale;

	if (state != SEG_EP_ALIVE && state != SEG_EP_STALE)
		stale = false;
	else {
		/* A count of unchanged checks proves one interval less of
		 * silence than it sums (the beat may have come right after
		 * the last check that saw it move), so that interval is taken
		 * off: never stale before the threshold has really passed. */
		if (live_daemon_fresh(h, now_ns)) {
			silent = atomic_load_explicit(&ep->silent_ms, memory_order_relaxed);
			interval = atomic_load_explicit(&h->map.daemon->check_interval_ms,
			                                memory_order_relaxed);
		} else {
			silent = atomic_load_explicit(&h->local_silent_ms, memory_order_relaxed);
			interval = h->config.use_threads ? ESHM_LOCAL_CHECK_MS : 0;
		}
		stale = silent >= interval && silent - interval >= h->config.stale_threshold_ms;
	}
	atomic_store_explicit(&h->remote_stale, stale, memory_order_relaxed);
	return stale;
}

void
live_update_rates(struct ESHMHandle *h, uint64_t now_ns)
{
	uint64_t hb[2], dt;
	int i;

	for (i = 0; i < 2; i++)
		hb[i] = atomic_load_explicit(&h->map.endpoint[i]->heartbeat, memory_order_relaxed);
	dt = now_ns - h->rate_ns;
	if (h->rate_ns != 0 && dt > 0) {
		for (i = 0; i < 2; i++)
			atomic_store_explicit(&h->rate[i],
			                      (hb[i] - h->rate_hb[i]) * 1000000000u / dt,
			                      memory_order_relaxed);
	}
	h->rate_hb[0] = hb[0];
	h->rate_hb[1] = hb[1];
	h->rate_ns = now_ns;
}

/* The remote's verdict by this handle's threshold; false if detached. */
static bool
live_alive(ESHMHandle *h)
{
	uint32_t state;

	if (atomic_load_explicit(&h->detached, memory_order_relaxed) ||
	    (atomic_load_explicit(&h->map.header->flags, memory_order_relaxed) & SEG_FLAG_REVOKED))
		return false;
	state = atomic_load_explicit(&live_remote(h)->state, memory_order_relaxed);
	if (state != SEG_EP_ALIVE && state != SEG_EP_STALE)
		return false;
	if (!h->config.use_threads)
		live_local_check(h, 0);
	return !live_update_stale(h, clock_mono_ns());
}

ESHM_EXPORT int
eshm_check_remote_alive(ESHMHandle *handle, bool *alive)
{
	if (handle == NULL || alive == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	*alive = live_alive(handle);
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_get_stats(ESHMHandle *handle, ESHMStats *stats)
{
	struct seg_map *m;
	uint64_t now;
	uint32_t state;

	if (handle == NULL || stats == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	m = &handle->map;
	now = clock_mono_ns();
	memset(stats, 0, sizeof(*stats));
	if (!handle->config.use_threads) {
		/* Rates over the time since the previous call, once it is
		 * long enough to mean something. */
		if (now - handle->rate_ns >= 100u * 1000000u)
			live_update_rates(handle, now);
		live_local_check(handle, 0);
	}
	stats->master_heartbeat =
		atomic_load_explicit(&m->endpoint[SEG_MASTER]->heartbeat, memory_order_relaxed);
	stats->slave_heartbeat =
		atomic_load_explicit(&m->endpoint[SEG_SLAVE]->heartbeat, memory_order_relaxed);
	stats->master_heartbeat_delta =
		atomic_load_explicit(&handle->rate[SEG_MASTER], memory_order_relaxed);
	stats->slave_heartbeat_delta =
		atomic_load_explicit(&handle->rate[SEG_SLAVE], memory_order_relaxed);
	state = atomic_load_explicit(&live_remote(handle)->state, memory_order_relaxed);
	stats->remote_is_stale = live_update_stale(handle, now);
	stats->remote_is_dead = state == SEG_EP_DEAD;
	stats->m2s_write_count = chan_write_count(m->channel[SEG_M2S]);
	stats->m2s_read_count =
		atomic_load_explicit(&m->reader[SEG_M2S]->read_count, memory_order_relaxed);
	stats->s2m_write_count = chan_write_count(m->channel[SEG_S2M]);
	stats->s2m_read_count =
		atomic_load_explicit(&m->reader[SEG_S2M]->read_count, memory_order_relaxed);
	stats->write_count = atomic_load_explicit(&handle->writes, memory_order_relaxed);
	/* The cursor belongs to the reading thread; these are snapshots. */
	stats->read_count = __atomic_load_n(&handle->cursor.reads, __ATOMIC_RELAXED);
	stats->missed = __atomic_load_n(&handle->cursor.missed, __ATOMIC_RELAXED);
	stats->read_retries = __atomic_load_n(&handle->cursor.retries, __ATOMIC_RELAXED);
	stats->capacity = m->capacity;
	stats->generation = handle->generation;
	stats->daemon_alive = live_daemon_fresh(handle, now);
	return ESHM_SUCCESS;
}
