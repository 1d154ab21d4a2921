/*
 * rate.c - windowed rates of sampled counters (see rate.h).
 */
#include "rate.h"

#define RATE_SEC_NS UINT64_C(1000000000)

void
rate_reset(struct rate_window *w)
{
	*w = (struct rate_window){0};
}

/* Start the window at this sample: the rate is known again one sample on. */
static void
rate_restart(struct rate_window *w, uint64_t v, uint64_t now_ns)
{
	w->ref_ns = now_ns;
	w->ref_v = v;
	w->mid_ns = 0;
	w->moved_ns = now_ns;
	w->last_v = v;
}

void
rate_sample(struct rate_window *w, uint64_t v, uint64_t now_ns, uint64_t still_ns)
{
	if (w->ref_ns == 0 || v < w->last_v) {
		rate_restart(w, v, now_ns);
		return;
	}
	if (v == w->last_v && now_ns - w->moved_ns >= still_ns) {
		/* Standing still: 0 now, and a resume is measured from here. */
		rate_restart(w, v, now_ns);
		w->moved_ns = now_ns - still_ns;
		w->per_s = 0;
		w->known = true;
		return;
	}
	if (v != w->last_v) {
		w->moved_ns = now_ns;
		w->last_v = v;
	}
	if (now_ns > w->ref_ns) {
		w->per_s = (v - w->ref_v) * RATE_SEC_NS / (now_ns - w->ref_ns);
		w->known = true;
	}
	if (w->mid_ns == 0 && now_ns - w->ref_ns >= RATE_SEC_NS) {
		w->mid_ns = now_ns;
		w->mid_v = v;
	} else if (w->mid_ns != 0 && now_ns - w->ref_ns >= 2 * RATE_SEC_NS) {
		w->ref_ns = w->mid_ns;
		w->ref_v = w->mid_v;
		w->mid_ns = 0;
	}
}
