/*
 * liveness.c - what the library knows of its remote, and the statistics.
 *
 * eshmd's monitor is the authority while it runs: it writes each
 * endpoint's state into the status block, judged by the threshold of the
 * endpoint's peer (common/liveness.h), so the verdict a handle reads is
 * already the one its own threshold gives.  While the monitor is away
 * (eshmd restarting or hung), the control thread judges the remote's
 * heartbeat here by the same rule, and the peer's pidfd tells a death.
 */
#include <string.h>

#include "clock.h"
#include "handle.h"

/* The remote's heartbeat counter and the date of its last beat, from the
 * latest peer block (0 and 0: none). */
static uint64_t
live_remote_heartbeat(const struct ESHMHandle *h, uint64_t *beat_ns)
{
	struct lib_peer *p = atomic_load_explicit(&h->peer_latest, memory_order_acquire);

	*beat_ns = 0;
	return p == NULL ? 0 : live_sample(p->block, beat_ns);
}

static bool
live_daemon_running(const struct ESHMHandle *h, uint64_t now_ns)
{
	const struct seg_status_daemon *sd = &h->st->daemon;

	return live_daemon_fresh(atomic_load_explicit(&sd->pass_mono_ns, memory_order_relaxed),
	                         atomic_load_explicit(&sd->check_interval_ms, memory_order_relaxed),
	                         now_ns);
}

bool
live_watch(struct ESHMHandle *h, uint64_t now_ns, uint32_t interval_ms)
{
	bool away = !live_daemon_running(h, now_ns);
	uint64_t heartbeat, beat;
	uint32_t state;

	pthread_mutex_lock(&h->lock);
	heartbeat = live_remote_heartbeat(h, &beat);
	if (!away) {
		/* Start counting afresh from eshmd's last verdict next time. */
		live_start(&h->local, heartbeat, now_ns);
		atomic_store_explicit(&h->daemon_away, false, memory_order_release);
		pthread_mutex_unlock(&h->lock);
		return false;
	}
	/* What eshmd last said stands for a remote that left: only a held
	 * role has a heartbeat worth judging. */
	state = seg_state_load(&h->st->verdict.state[1 - h->role]);
	if (h->peer_exited)
		state = SEG_EP_DEAD;
	else if (state == SEG_EP_ALIVE || state == SEG_EP_STALE)
		state = live_judge(&h->local, heartbeat, beat, now_ns, interval_ms,
		                   h->config.stale_threshold_ms +
		                           live_period_ms(atomic_load_explicit(
		                                   &h->st->endpoint[1 - h->role].period_us,
		                                   memory_order_relaxed)));
	atomic_store_explicit(&h->local_state, state, memory_order_relaxed);
	atomic_store_explicit(&h->daemon_away, true, memory_order_release);
	pthread_mutex_unlock(&h->lock);
	return true;
}

/* Heartbeat rates of both endpoints: eshmd's estimate while it runs,
 * else measured here between two calls.  h->lock held. */
static void
live_rates(struct ESHMHandle *h, uint64_t now_ns, bool running, uint64_t hb[2], uint64_t rate[2])
{
	int i;

	if (running) {
		for (i = 0; i < 2; i++)
			rate[i] = atomic_load_explicit(&h->st->endpoint[i].heartbeat_rate,
			                               memory_order_relaxed);
		h->rate_ns = 0;
		return;
	}
	if (h->rate_ns != 0 && now_ns > h->rate_ns) {
		for (i = 0; i < 2; i++)
			h->rate[i] = (hb[i] - h->rate_hb[i]) * 1000000000u / (now_ns - h->rate_ns);
	}
	for (i = 0; i < 2; i++) {
		h->rate_hb[i] = hb[i];
		rate[i] = h->rate[i];
	}
	h->rate_ns = now_ns;
}

ESHM_EXPORT int
eshm_check_remote_alive(ESHMHandle *handle, bool *alive)
{
	if (handle == NULL || alive == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	*alive = false;
	/* A handle that is no endpoint any more (a forked child's copy,
	 * taken over, removed) says so, as the data path does. */
	if (handle->forked || !live_attached(handle))
		return ESHM_ERROR_DETACHED;
	*alive = live_remote_state(handle) == SEG_EP_ALIVE;
	return ESHM_SUCCESS;
}

/* Messages written by role @index and read by its peer, per the blocks
 * mapped here (the own block and the latest peer block).  h->lock held. */
static void
live_channel_counts(struct ESHMHandle *h, int index, uint64_t *written, uint64_t *read)
{
	struct lib_peer *p = atomic_load_explicit(&h->peer_latest, memory_order_acquire);
	const struct seg_block *writer = index == h->role ? h->own : p != NULL ? p->block : NULL;
	const struct seg_block *reader = index == h->role ? (p != NULL ? p->block : NULL) : h->own;

	/* An observer maps only the observed writer's block: what its
	 * reader read, it does not see. */
	if (h->observer)
		reader = NULL;
	*written = writer == NULL ? 0 : atomic_load_explicit(&writer->head, memory_order_relaxed);
	*read = reader == NULL ? 0
	                       : atomic_load_explicit(&reader->reader.reads, memory_order_relaxed);
}

ESHM_EXPORT int
eshm_get_stats(ESHMHandle *handle, ESHMStats *stats)
{
	struct ESHMHandle *h = handle;
	uint64_t now, hb[2], rate[2];
	struct lib_peer *p;
	bool running, attached;
	uint32_t state;

	if (h == NULL || stats == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	memset(stats, 0, sizeof(*stats));
	if (h->forked)
		return ESHM_ERROR_DETACHED;
	now = clock_mono_ns();
	running = live_daemon_running(h, now);
	pthread_mutex_lock(&h->lock);
	p = atomic_load_explicit(&h->peer_latest, memory_order_acquire);
	hb[h->role] = h->own == NULL ? 0
	                             : atomic_load_explicit(&h->own->heartbeat, memory_order_relaxed);
	hb[1 - h->role] =
		p == NULL ? 0 : atomic_load_explicit(&p->block->heartbeat, memory_order_relaxed);
	live_rates(h, now, running, hb, rate);
	live_channel_counts(h, SEG_MASTER, &stats->m2s_write_count, &stats->m2s_read_count);
	live_channel_counts(h, SEG_SLAVE, &stats->s2m_write_count, &stats->s2m_read_count);
	pthread_mutex_unlock(&h->lock);
	stats->master_heartbeat = hb[SEG_MASTER];
	stats->slave_heartbeat = hb[SEG_SLAVE];
	stats->master_heartbeat_delta = rate[SEG_MASTER];
	stats->slave_heartbeat_delta = rate[SEG_SLAVE];
	attached = live_attached(h);
	state = attached ? live_remote_state(h) : SEG_EP_DETACHED;
	stats->remote_is_stale = state == SEG_EP_STALE;
	stats->remote_is_dead = state == SEG_EP_DEAD;
	stats->write_count = atomic_load_explicit(&h->writes, memory_order_relaxed);
	/* The reader keeps its shared counters in its own block with atomic
	 * stores: a snapshot from any thread is safe. */
	stats->read_count = atomic_load_explicit(&h->rd_part->reads, memory_order_relaxed);
	stats->missed = atomic_load_explicit(&h->rd_part->missed, memory_order_relaxed);
	stats->read_retries = atomic_load_explicit(&h->rd_part->retries, memory_order_relaxed);
	stats->capacity = h->g.capacity;
	stats->generation = h->generation;
	stats->daemon_alive = running;
	return attached ? ESHM_SUCCESS : ESHM_ERROR_DETACHED;
}

ESHM_EXPORT int
eshm_get_stats_ex(ESHMHandle *handle, ESHMStats2 *stats, size_t size)
{
	struct ESHMHandle *h = handle;
	struct lib_peer *p;
	ESHMStats2 all;
	int rc, remote;

	if (h == NULL || stats == NULL || size < sizeof(ESHMStats))
		return ESHM_ERROR_INVALID_PARAM;
	memset(&all, 0, sizeof(all));
	rc = eshm_get_stats(h, &all.stats);
	if (!h->forked) {
		remote = 1 - h->role;
		all.channel_mode =
			h->g.mode == SEG_MODE_QUEUE ? ESHM_CHANNEL_QUEUE : ESHM_CHANNEL_LATEST;
		all.queue_depth = h->g.mode == SEG_MODE_QUEUE ? h->g.queue_depth : 0;
		all.timestamps = (h->g.seg_flags & SEG_FLAG_TIMESTAMPS) != 0;
		all.remote_attaches =
			atomic_load_explicit(&h->st->verdict.incarnation[remote], memory_order_relaxed);
		if (all.remote_attaches != 0)
			all.remote_pid =
				atomic_load_explicit(&h->st->endpoint[remote].pid, memory_order_relaxed);
		all.own_attach = h->incarnation;
		all.observers =
			atomic_load_explicit(&h->st->verdict.observers, memory_order_relaxed);
		all.read_contended =
			atomic_load_explicit(&h->rd_part->contended, memory_order_relaxed);
		pthread_mutex_lock(&h->lock);
		p = atomic_load_explicit(&h->peer_latest, memory_order_acquire);
		if (h->g.mode == SEG_MODE_QUEUE && !h->observer)
			all.queue_unread = chan_queue_unread(h->own, h->incarnation,
			                                     p != NULL ? &p->block->reader : NULL,
			                                     &h->g);
		pthread_mutex_unlock(&h->lock);
	}
	memcpy(stats, &all, size < sizeof(all) ? size : sizeof(all));
	/* A caller built against a longer struct gets zeros for what this
	 * library does not know. */
	if (size > sizeof(all))
		memset((char *)stats + sizeof(all), 0, size - sizeof(all));
	return rc;
}
