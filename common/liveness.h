/*
 * liveness.h - the one rule that judges a heartbeat counter, used by
 * eshmd's monitor and by the library while eshmd is away.
 *
 * An endpoint is stale when its counter stayed unchanged while the checks
 * since its last beat count up to the threshold, and alive again at the
 * first check that sees the counter move.  Each check counts the time
 * since the check before it, but never more than one check interval: a
 * checker delayed by load, or a machine that stood still, counts less
 * silence than the clock shows, never more, so it never declares a false
 * verdict.  The last beat is dated by the time its holder stored beside
 * the counter when that falls between the two checks where the beat must
 * have happened, else by the check that saw the move: a holder can only
 * make its own verdict come sooner by lying, which it can by not beating.
 */
#ifndef ESHM_COMMON_LIVENESS_H
#define ESHM_COMMON_LIVENESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "layout.h"

/*
 * The silence that makes an endpoint beating every @period_us stale after
 * @threshold_ms is counted from its first missed beat, one period after
 * its last: callers judge by threshold + live_period_ms(period) (a period
 * of 0, no heartbeat thread, counts as 1 ms).
 */
static inline uint32_t
live_period_ms(uint32_t period_us)
{
	return period_us == 0 ? 1 : (period_us + 999) / 1000;
}

/* What a checker keeps per watched counter. */
struct live_counts {
	uint64_t last_heartbeat;      /* the counter at the last check */
	uint64_t change_mono_ns;      /* CLOCK_MONOTONIC of its last beat, as dated above */
	uint64_t check_mono_ns;       /* the last check */
	uint64_t silent_ns;           /* silence counted since the last beat */
	uint64_t due_ns;              /* when a check would give the stale verdict,
	                                 before the next periodic one; 0: none */
	uint32_t state;               /* SEG_EP_ALIVE or SEG_EP_STALE */
};

/*
 * The counter of @b and the time its holder stored with it (0: none),
 * loaded in the order the heartbeat stores them (time, then counter with
 * release), so the time is never older than the beat the counter shows.
 */
static inline uint64_t
live_sample(const struct seg_block *b, uint64_t *beat_ns)
{
	uint64_t heartbeat = atomic_load_explicit(&b->heartbeat, memory_order_acquire);

	*beat_ns = atomic_load_explicit(&b->beat_mono_ns, memory_order_relaxed);
	return heartbeat;
}

/* Start @c at @now_ns on a counter now at @heartbeat, alive. */
void live_start(struct live_counts *c, uint64_t heartbeat, uint64_t now_ns);

/*
 * One check, at @now_ns, of the counter now at @heartbeat whose holder
 * dated its last beat @beat_ns (0: not dated).  The check counts the time
 * since the previous one up to @interval_ms (0: it only re-evaluates).
 * When the counter stood still and a check before the next periodic one
 * (at most @interval_ms away) would give the stale verdict, @c->due_ns
 * says when; else it is 0.
 * Returns the new state, SEG_EP_ALIVE or SEG_EP_STALE (also in @c->state).
 */
uint32_t live_judge(struct live_counts *c, uint64_t heartbeat, uint64_t beat_ns, uint64_t now_ns,
                    uint32_t interval_ms, uint32_t threshold_ms);

/* The silence counted so far, in whole ms (saturating). */
uint32_t live_silent_ms(const struct live_counts *c);

/*
 * Whether eshmd's monitor counts as running: its last pass, stamped at
 * @pass_mono_ns (0: never), is recent for its check interval
 * @interval_ms (three intervals, at least 100 ms), at @now_ns.  A pass
 * stamped in the future (a clock read just after ours) is recent.
 */
bool live_daemon_fresh(uint64_t pass_mono_ns, uint32_t interval_ms, uint64_t now_ns);

#endif /* ESHM_COMMON_LIVENESS_H */
