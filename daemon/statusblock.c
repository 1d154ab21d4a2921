/*
 * statusblock.c - writing the status block (see statusblock.h).  A state
 * is stored after the values that go with it (release), so a client that
 * loads "alive" with acquire also sees the incarnation and pid of that
 * holder.
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "statusblock.h"

/* Store @v into the atomic @field only if it differs: the lines are shared. */
#define STB_SET(field, v, order)                                                        \
	do {                                                                            \
		if (atomic_load_explicit(&(field), memory_order_relaxed) != (v))        \
			atomic_store_explicit(&(field), (v), (order));                  \
	} while (0)

void
stb_verdict(struct reg_segment *seg)
{
	struct seg_status *st = seg_status_of(&seg->status.map);
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < 2; i++) {
		STB_SET(st->verdict.incarnation[i], seg->ep[i].incarnation, memory_order_relaxed);
		uint32_t shown = reg_ep_shown(&seg->ep[i]);

		if (atomic_load_explicit(&st->verdict.state[i], memory_order_relaxed) != shown) {
			atomic_store_explicit(&st->verdict.state[i], shown, memory_order_release);
			/* a client's event thread sleeps on it (once per change) */
			syscall(SYS_futex, &st->verdict.state[i], FUTEX_WAKE, INT32_MAX, NULL, NULL,
			        0);
		}
	}
	STB_SET(st->verdict.observers, seg->nobservers, memory_order_relaxed);
	STB_SET(st->verdict.flags, seg->verdict_flags, memory_order_release);
}

void
stb_endpoint(struct reg_segment *seg, int index)
{
	struct seg_status *st = seg_status_of(&seg->status.map);
	const struct reg_endpoint *ep = &seg->ep[index];
	struct seg_status_endpoint *e;

	if (st == NULL)
		return;
	e = &st->endpoint[index];
	STB_SET(e->pid, (int32_t)ep->pid, memory_order_relaxed);
	STB_SET(e->uid, (uint32_t)ep->uid, memory_order_relaxed);
	STB_SET(e->start_time, ep->start_time, memory_order_relaxed);
	STB_SET(e->threshold_ms, ep->threshold_ms, memory_order_relaxed);
	STB_SET(e->judged_ms, ep->judged_ms, memory_order_relaxed);
	STB_SET(e->silent_ms, live_silent_ms(&ep->live), memory_order_relaxed);
	STB_SET(e->period_us, ep->period_us, memory_order_relaxed);
	STB_SET(e->attach_realtime_ns, ep->attach_realtime_ns, memory_order_relaxed);
	STB_SET(e->heartbeat_rate, ep->rate.per_s, memory_order_relaxed);
}

void
stb_observer(struct reg_segment *seg, int slot)
{
	struct seg_status *st = seg_status_of(&seg->status.map);
	const struct reg_observer *o = &seg->observers[slot];
	struct seg_status_observer *so;

	if (st == NULL)
		return;
	so = &st->observer[slot];
	STB_SET(so->pid, (int32_t)o->pid, memory_order_relaxed);
	STB_SET(so->uid, (uint32_t)o->uid, memory_order_relaxed);
	STB_SET(so->observed, (uint32_t)o->observed, memory_order_relaxed);
	STB_SET(so->incarnation, o->incarnation, memory_order_relaxed);
	STB_SET(so->attach_realtime_ns, o->attach_realtime_ns, memory_order_relaxed);
	STB_SET(so->state, o->state, memory_order_release);
}

void
stb_daemon(struct reg_segment *seg, uint64_t pass, uint64_t now_ns, uint32_t interval_ms)
{
	struct seg_status *st = seg_status_of(&seg->status.map);

	if (st == NULL)
		return;
	STB_SET(st->daemon.check_interval_ms, interval_ms, memory_order_relaxed);
	STB_SET(st->daemon.pid, (int32_t)getpid(), memory_order_relaxed);
	atomic_store_explicit(&st->daemon.pass_mono_ns, now_ns, memory_order_relaxed);
	atomic_store_explicit(&st->daemon.pass, pass, memory_order_release);
}

void
stb_all(struct reg_segment *seg)
{
	stb_endpoint(seg, SEG_MASTER);
	stb_endpoint(seg, SEG_SLAVE);
	stb_verdict(seg);
}
