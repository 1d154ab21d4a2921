/*
 * cleanup.c - when a segment goes away: on operator removal, once its
 * endpoints left (on-empty), after a quiet time (idle), or never (keep).
 */
#include <string.h>

#include "cleanup.h"
#include "clock.h"
#include "endpoint.h"
#include "log.h"
#include "notify.h"
#include "segment.h"

static bool
cln_empty(const struct reg_segment *seg)
{
	return !reg_ep_held(seg, SEG_MASTER) && !reg_ep_held(seg, SEG_SLAVE);
}

void
cln_after_leave(struct eshmd *d, struct reg_segment *seg)
{
	uint32_t flags;

	if (!cln_empty(seg))
		return;
	seg->empty_since_ns = clock_mono_ns();
	flags = atomic_load_explicit(&seg->map.header->flags, memory_order_relaxed);
	if (d->set.cleanup == ESHMD_CLEANUP_ON_EMPTY && (flags & SEG_FLAG_AUTO_CLEANUP)) {
		log_msg(LOG_INFO, "segment %s: no endpoint left, removing it (auto-cleanup)",
		        seg->name);
		cln_remove(d, seg, false);
	}
}

void
cln_idle_sweep(struct eshmd *d)
{
	uint64_t now = clock_mono_ns();
	uint64_t idle = (uint64_t)d->set.cleanup_idle_s * 1000000000u;
	struct reg_segment *seg, *next;

	if (d->set.cleanup != ESHMD_CLEANUP_IDLE)
		return;
	for (seg = d->reg.head; seg != NULL; seg = next) {
		next = seg->next;
		if (!cln_empty(seg))
			continue;
		if (seg->empty_since_ns == 0)
			seg->empty_since_ns = now;
		if (now - seg->empty_since_ns < idle)
			continue;
		log_msg(LOG_INFO, "segment %s: idle for %u s, removing it", seg->name,
		        d->set.cleanup_idle_s);
		cln_remove(d, seg, false);
	}
}

void
cln_remove(struct eshmd *d, struct reg_segment *seg, bool revoke)
{
	int i, rc;

	if (revoke)
		atomic_fetch_or_explicit(&seg->map.header->flags, SEG_FLAG_REVOKED,
		                         memory_order_release);
	for (i = 0; i < 2; i++) {
		struct reg_endpoint *ep = &seg->ep[i];

		if (reg_ep_held(seg, i))
			atomic_store_explicit(&seg->map.endpoint[i]->state, SEG_EP_DETACHED,
			                      memory_order_release);
		/* The hang-up tells the holder at once; the server closes the
		 * connection once the request or event at hand is done. */
		if (ep->conn != NULL) {
			ep->conn->close_pending = true;
			d->close_pending = true;
		}
		ep_unlink_watchers(ep);
	}
	rc = segobj_unlink(d->set.shm_prefix, seg->name);
	if (rc < 0)
		log_msg(LOG_WARNING, "segment %s: cannot unlink: %s", seg->name, strerror(-rc));
	reg_drop(&d->reg, seg);
	ntf_status(d);
}
