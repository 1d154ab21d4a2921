/*
 * obsquiet.c - the observers' quiet words (see obsquiet.h).
 *
 * The word is the third party of the writer's and the observer's Dekker
 * handshake: an observer sets its waits bit, fences, then loads the word
 * (quiet: sleep in slices); eshmd stores the word, fences, then loads the
 * waits bits again.  One of them sees the other: an observer that
 * started waiting while eshmd declared the channel quiet is seen here,
 * and the word goes back to 0 with a wake of the channel's head.
 */
#include "channel.h"
#include "obsquiet.h"

/* Whether an observer of channel @index of @seg wants a wake.  Its block
 * is the observer's to write: a number, looked at and nothing more. */
static bool
oq_any_waits(const struct reg_segment *seg, int index)
{
	uint32_t i;

	if (seg->nobservers == 0)
		return false;
	for (i = 0; i < SEG_OBSERVERS_MAX; i++) {
		const struct reg_observer *o = &seg->observers[i];
		const struct seg_reader *rd = seg_observer_of(&o->block.map);

		if (o->conn != NULL && o->observed == index && rd != NULL &&
		    atomic_load_explicit(&rd->waits, memory_order_relaxed) != 0)
			return true;
	}
	return false;
}

/* Channel @index of @seg is no longer quiet: its writer looks at the
 * observers again, and whoever slept meanwhile is woken. */
static void
oq_wake(struct reg_segment *seg, _Atomic uint32_t *quiet, int index)
{
	const struct seg_block *w = seg_block_of(&seg->ep[index].block.map);

	atomic_store_explicit(quiet, 0, memory_order_relaxed);
	/* the writer loads the word after its publish: the wake comes after
	 * the store, as the writer's own would */
	atomic_thread_fence(memory_order_seq_cst);
	if (w != NULL)
		chan_wake(w);
}

void
oq_sample(struct reg_segment *seg, uint64_t now)
{
	struct seg_status *st = seg_status_of(&seg->status.map);
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < 2; i++) {
		_Atomic uint32_t *quiet = &st->verdict.observers_quiet[i];

		if (oq_any_waits(seg, i)) {
			seg->obs_calm_since_ns[i] = 0;
			if (atomic_load_explicit(quiet, memory_order_relaxed) != 0)
				oq_wake(seg, quiet, i);
			continue;
		}
		if (seg->obs_calm_since_ns[i] == 0) {
			seg->obs_calm_since_ns[i] = now;
			continue;
		}
		if (atomic_load_explicit(quiet, memory_order_relaxed) != 0 ||
		    now - seg->obs_calm_since_ns[i] < OQ_HOLD_NS)
			continue;
		atomic_store_explicit(quiet, 1, memory_order_relaxed);
		/* an observer that set its bit before it could see the 1 is
		 * seen now (the observer's side is its heavy fence) */
		atomic_thread_fence(memory_order_seq_cst);
		if (oq_any_waits(seg, i))
			oq_wake(seg, quiet, i);
	}
}
