/*
 * rate.h - per-second rates of counters eshmd samples on every monitor
 * pass (heartbeats, messages missed).  A rate is known from the second
 * sample on, covers one to two seconds once that much has passed, and
 * drops to 0 as soon as the counter stands still, so a paused process
 * shows 0, not the average of a window it spent beating, and shows its
 * true rate again one pass after it resumes.  Monitor thread,
 * registry.lock held.
 */
#ifndef ESHMD_RATE_H
#define ESHMD_RATE_H

#include <stdbool.h>
#include <stdint.h>

struct rate_window {
	uint64_t ref_ns, ref_v;      /* the oldest sample the rate covers */
	uint64_t mid_ns, mid_v;      /* a sample 1 s later: the next reference */
	uint64_t moved_ns, last_v;   /* when the counter last moved, and its value */
	uint64_t per_s;              /* the rate; valid when known */
	bool known;                  /* two samples exist */
};

/* Forget every sample: the rate is unknown until two more exist. */
void rate_reset(struct rate_window *w);

/*
 * Sample the counter's value @v at CLOCK_MONOTONIC @now_ns.  A counter
 * that has not moved for @still_ns has a rate of 0, and its window starts
 * again from now.  A counter that went backwards (a new holder) starts
 * over.
 */
void rate_sample(struct rate_window *w, uint64_t v, uint64_t now_ns, uint64_t still_ns);

#endif /* ESHMD_RATE_H */
