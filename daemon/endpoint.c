/*
 * endpoint.c - the transitions of an endpoint slot: attach, clean detach,
 * death.  The slot's line B in the segment is what clients and eshmctl
 * read; the state is stored last (release) so a reader that sees "alive"
 * also sees the pid and threshold that go with it.
 */
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "endpoint.h"
#include "log.h"
#include "notify.h"
#include "procinfo.h"

void
ep_unlink_watchers(struct reg_endpoint *ep)
{
	if (ep->conn != NULL) {
		ep->conn->seg = NULL;
		ep->conn = NULL;
	}
	if (ep->pidfd >= 0) {
		/* Closing the last reference also takes it out of epoll. */
		close(ep->pidfd);
		ep->pidfd = -1;
	}
	ep->polled = false;
}

uint32_t
ep_period_ms(uint64_t period_us)
{
	if (period_us == 0)
		return 1;
	if (period_us > 1000000u)
		return 1000;
	return (uint32_t)((period_us + 999u) / 1000u);
}

void
ep_attach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c,
          uint32_t threshold_ms, uint64_t period_us)
{
	pid_t pid = c->pid;
	uid_t uid = c->uid;
	struct seg_endpoint *e = seg->map.endpoint[index];
	struct reg_endpoint *ep = &seg->ep[index];
	uint64_t start = 0;

	ep_unlink_watchers(ep);
	if (proc_start_time(pid, &start) < 0)
		start = 0;
	if (proc_comm(pid, ep->comm, sizeof(ep->comm)) < 0)
		ep->comm[0] = '\0';
	/* A new writer continues the previous one's channel: repair a write
	 * the previous holder left half done. */
	if (chan_repair(seg->map.channel[index]))
		log_msg(LOG_INFO, "segment %s: repaired the %s's channel before attach", seg->name,
		        seg_role_name(index));
	atomic_store_explicit(&e->pid, (int32_t)pid, memory_order_relaxed);
	atomic_store_explicit(&e->start_time, start, memory_order_relaxed);
	atomic_store_explicit(&e->stale_threshold_ms, threshold_ms, memory_order_relaxed);
	atomic_store_explicit(&e->silent_ms, 0, memory_order_relaxed);
	atomic_store_explicit(&e->attach_realtime_ns, clock_real_ns(), memory_order_relaxed);
	atomic_store_explicit(&e->uid, (uint32_t)uid, memory_order_relaxed);
	atomic_fetch_add_explicit(&e->attach_count, 1, memory_order_relaxed);
	ep->last_heartbeat = atomic_load_explicit(&e->heartbeat, memory_order_relaxed);
	ep->silent_ms = 0;
	ep->period_ms = ep_period_ms(period_us);
	ep->rate_mono_ns = clock_mono_ns();
	ep->change_mono_ns = ep->rate_mono_ns;
	ep->rate_heartbeat = ep->last_heartbeat;
	ep->rate = 0;
	seg->empty_since_ns = 0;
	ep->conn = c;
	c->seg = seg;
	c->role_index = index;
	atomic_store_explicit(&e->state, SEG_EP_ALIVE, memory_order_release);
	log_msg(LOG_INFO, "segment %s: %s attached (pid %d, uid %u, threshold %u ms)", seg->name,
	        seg_role_name(index), (int)pid, (unsigned)uid, threshold_ms);
	ntf_status(d);
}

/* The slot is left in @state. */
static void
ep_leave(struct eshmd *d, struct reg_segment *seg, int index, uint32_t state)
{
	struct seg_endpoint *e = seg->map.endpoint[index];

	ep_unlink_watchers(&seg->ep[index]);
	atomic_store_explicit(&e->silent_ms, 0, memory_order_relaxed);
	atomic_store_explicit(&e->state, state, memory_order_release);
	seg->ep[index].rate = 0;
	ntf_status(d);
}

void
ep_dead(struct eshmd *d, struct reg_segment *seg, int index)
{
	int32_t pid = atomic_load_explicit(&seg->map.endpoint[index]->pid, memory_order_relaxed);
	bool repaired;

	/* The writer is gone: a sequence it left odd will never turn even. */
	repaired = chan_repair(seg->map.channel[index]) != 0;
	log_msg(LOG_NOTICE, "segment %s: %s (pid %d) died%s", seg->name,
	        seg_role_name(index), (int)pid,
	        repaired ? "; repaired its half-written message" : "");
	ep_leave(d, seg, index, SEG_EP_DEAD);
}

void
ep_detach(struct eshmd *d, struct reg_segment *seg, int index)
{
	int32_t pid = atomic_load_explicit(&seg->map.endpoint[index]->pid, memory_order_relaxed);

	log_msg(LOG_INFO, "segment %s: %s (pid %d) detached", seg->name,
	        seg_role_name(index), (int)pid);
	ep_leave(d, seg, index, SEG_EP_DETACHED);
}

void
ep_reattach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c)
{
	struct reg_endpoint *ep = &seg->ep[index];

	/* The connection watches the process from now on. */
	ep_unlink_watchers(ep);
	ep->conn = c;
	c->seg = seg;
	c->role_index = index;
	if (ep->comm[0] == '\0')
		proc_comm(c->pid, ep->comm, sizeof(ep->comm));
	log_msg(LOG_INFO, "segment %s: %s (pid %d) reattached", seg->name,
	        seg_role_name(index), (int)c->pid);
}
