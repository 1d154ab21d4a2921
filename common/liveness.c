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
	c->check_mono_ns = now_ns;
	c->silent_ns = 0;
	c->due_ns = 0;
	c->state = SEG_EP_ALIVE;
}

/* @span counted by one check of at most @cap. */
static uint64_t
live_count(uint64_t span, uint64_t cap)
{
	return span < cap ? span : cap;
}

uint32_t
live_judge(struct live_counts *c, uint64_t heartbeat, uint64_t beat_ns, uint64_t now_ns,
           uint32_t interval_ms, uint32_t threshold_ms)
{
	uint64_t cap = (uint64_t)interval_ms * LIVE_NS_PER_MS;
	uint64_t threshold = (uint64_t)threshold_ms * LIVE_NS_PER_MS;
	uint64_t since = now_ns > c->check_mono_ns ? now_ns - c->check_mono_ns : 0;

	c->due_ns = 0;
	if (heartbeat != c->last_heartbeat) {
		/* The beat happened after the check that last saw the old
		 * counter and before this one: a date outside that window
		 * is not believed. */
		c->change_mono_ns = beat_ns > c->check_mono_ns && beat_ns <= now_ns ? beat_ns : now_ns;
		c->last_heartbeat = heartbeat;
		c->silent_ns = live_count(now_ns - c->change_mono_ns, cap);
		c->state = SEG_EP_ALIVE;
	} else {
		c->silent_ns += live_count(since, cap);
		if (c->state == SEG_EP_ALIVE && c->silent_ns >= threshold)
			c->state = SEG_EP_STALE;
		/* Only a counter seen still asks for a check of its own: one
		 * that moves at every check never costs an extra one. */
		else if (c->state == SEG_EP_ALIVE && threshold - c->silent_ns <= cap)
			c->due_ns = now_ns + (threshold - c->silent_ns);
	}
	if (now_ns > c->check_mono_ns)
		c->check_mono_ns = now_ns;
	return c->state;
}

uint32_t
live_silent_ms(const struct live_counts *c)
{
	uint64_t ms = c->silent_ns / LIVE_NS_PER_MS;

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
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
