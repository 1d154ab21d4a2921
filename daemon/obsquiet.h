/*
 * obsquiet.h - eshmd vouching, per channel, that no observer of it waits
 * for a wake, so that the channel's writer skips the observers' pages
 * after each publish (seg_status_verdict.observers_quiet).
 *
 * Each counting monitor pass loads the waits word of every observer of a
 * segment.  A channel becomes quiet once none was set for
 * OQ_HOLD_NS; it stops being quiet, and its sleepers are woken, at the
 * first pass that finds one set.  An observer that goes to sleep on a
 * quiet channel sleeps in short slices until then (chan_wait_also()).
 * Monitor thread, registry.lock held.
 */
#ifndef ESHMD_OBSQUIET_H
#define ESHMD_OBSQUIET_H

#include <stdint.h>

#include "registry.h"

/* How long no observer of a channel may have waited before eshmd says it
 * is quiet: transitions (each costing a sleeping observer up to one
 * monitor pass of short slices) come at most this often. */
#define OQ_HOLD_NS (1000u * 1000000u)

/* Look at the observers of @seg at the CLOCK_MONOTONIC time @now and
 * update each channel's quiet word. */
void oq_sample(struct reg_segment *seg, uint64_t now);

#endif /* ESHMD_OBSQUIET_H */
