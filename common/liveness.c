/*
 * liveness.c - the one rule that judges a heartbeat counter (see
 * liveness.h).  Pure arithmetic on what the caller passes: no clock read,
 * no shared memory, so eshmd's monitor and the library apply exactly the
 * same verdicts to the same samples.
 */
#include "layout.h"
#include "liveness.h"

#define LIVE_NS_PER_MS UINT64_C(1000000)
/* The daemon line counts as fresh for three check intervals, and never
 * less than this: a monitor pass may be delayed by load. */
#define LIVE_DAEMON_FRESH_MIN_MS 100u

void
live_start(struct live_counts *c, uint64_t heartbeat, uint64_t now_ns)
{
	c->last_heartbeat = heartbeat;
	c->change_mono_ns = now_ns;
	c->silent_ms = 0;
	c->state = SEG_EP_ALIVE;
}

uint32_t
live_judge(struct live_counts *c, uint64_t heartbeat, uint64_t now_ns, uint32_t interval_ms,
           uint32_t threshold_ms, uint64_t *due_ns)
{
	uint64_t floor_ns;

	if (heartbeat != c->last_heartbeat) {
		c->last_heartbeat = heartbeat;
		c->change_mono_ns = now_ns;
		c->silent_ms = 0;
		c->state = SEG_EP_ALIVE;
		return c->state;
	}
	if (interval_ms > 0)
		c->silent_ms = c->silent_ms > UINT32_MAX - interval_ms ? UINT32_MAX
		                                                       : c->silent_ms + interval_ms;
	if (c->state != SEG_EP_ALIVE || c->silent_ms < threshold_ms)
		return c->state;
	floor_ns = c->change_mono_ns + (uint64_t)threshold_ms * LIVE_NS_PER_MS;
	if (now_ns >= floor_ns)
		c->state = SEG_EP_STALE;
	else if (due_ns != NULL && floor_ns < *due_ns)
		*due_ns = floor_ns;
	return c->state;
}

bool
live_daemon_fresh(uint64_t pass_mono_ns, uint32_t interval_ms, uint64_t now_ns)
{
	uint64_t window_ms = 3 * (uint64_t)interval_ms;

	if (pass_mono_ns == 0)
		return false;
	if (pass_mono_ns >= now_ns)
		return true;
	if (window_ms < LIVE_DAEMON_FRESH_MIN_MS)
		window_ms = LIVE_DAEMON_FRESH_MIN_MS;
	return now_ns - pass_mono_ns <= window_ms * LIVE_NS_PER_MS;
}
