/*
 * liveness.h - the one rule that judges a heartbeat counter, used by
 * eshmd's monitor and by the library while eshmd is away.
 *
 * An endpoint is stale when its counter stayed unchanged over checks
 * adding up to the threshold, and at least that much time passed since
 * the check that last saw it move (the floor: a late check followed by a
 * punctual one must not count time that did not pass).  It is alive again
 * at the first check that sees the counter move.  Counting checks rather
 * than reading the clock alone keeps a checker delayed by load from ever
 * declaring a false verdict: it counts fewer checks, never more.
 */
#ifndef ESHM_COMMON_LIVENESS_H
#define ESHM_COMMON_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

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
	uint64_t change_mono_ns;      /* CLOCK_MONOTONIC of the check that last saw it move */
	uint32_t silent_ms;           /* unchanged checks times their interval */
	uint32_t state;               /* SEG_EP_ALIVE or SEG_EP_STALE */
};

/* Start @c at @now_ns on a counter now at @heartbeat, alive. */
void live_start(struct live_counts *c, uint64_t heartbeat, uint64_t now_ns);

/*
 * One check of the counter, now at @heartbeat, at @now_ns.  A counting
 * check (@interval_ms > 0, the periodic one) adds @interval_ms to the
 * silence of an unchanged counter; an extra check (0) only re-evaluates.
 * When only the floor keeps a stale verdict back, *@due_ns (if not NULL)
 * is lowered to the time the floor will be met.
 * Returns the new state, SEG_EP_ALIVE or SEG_EP_STALE (also in @c->state).
 */
uint32_t live_judge(struct live_counts *c, uint64_t heartbeat, uint64_t now_ns,
                    uint32_t interval_ms, uint32_t threshold_ms, uint64_t *due_ns);

/*
 * Whether eshmd's monitor counts as running: its last pass, stamped at
 * @pass_mono_ns (0: never), is recent for its check interval
 * @interval_ms (three intervals, at least 100 ms), at @now_ns.  A pass
 * stamped in the future (a clock read just after ours) is recent.
 */
bool live_daemon_fresh(uint64_t pass_mono_ns, uint32_t interval_ms, uint64_t now_ns);

#endif /* ESHM_COMMON_LIVENESS_H */
