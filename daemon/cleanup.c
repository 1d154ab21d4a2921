/*
 * cleanup.c - when a segment goes away (see cleanup.h).
 */
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "cleanup.h"
#include "clock.h"
#include "events.h"
#include "fdstore.h"
#include "history.h"
#include "log.h"
#include "notify.h"
#include "observer.h"
#include "records.h"
#include "statusblock.h"

static bool
cln_empty(const struct reg_segment *seg)
{
	return !reg_ep_held(seg, SEG_MASTER) && !reg_ep_held(seg, SEG_SLAVE);
}

void
cln_after_leave(struct eshmd *d, struct reg_segment *seg)
{
	if (!cln_empty(seg))
		return;
	seg->empty_since_ns = clock_mono_ns();
	if (d->set.cleanup == ESHMD_CLEANUP_ON_EMPTY && (seg->g.seg_flags & SEG_FLAG_AUTO_CLEANUP)) {
		struct hist_subject subject = hist_segment(seg, 0, 0);

		hist_record(d, HIST_REMOVED, &subject,
		            "segment %s: no endpoint left, removing it (auto-cleanup)", seg->name);
		cln_remove(d, seg, false);
	}
}

void
cln_idle_sweep(struct eshmd *d)
{
	uint64_t now = clock_mono_ns();
	uint64_t idle = (uint64_t)d->set.cleanup_idle_s * 1000000000u;
	struct reg_segment *seg, *next;
	struct hist_subject subject;

	if (d->set.cleanup != ESHMD_CLEANUP_IDLE)
		return;
	for (seg = d->reg.head; seg != NULL; seg = next) {
		next = seg->next;
		if (!cln_empty(seg) || seg->restore_deadline_ns != 0)
			continue;
		if (seg->empty_since_ns == 0)
			seg->empty_since_ns = now;
		if (now - seg->empty_since_ns < idle)
			continue;
		subject = hist_segment(seg, 0, 0);
		hist_record(d, HIST_REMOVED, &subject, "segment %s: idle for %u s, removing it",
		            seg->name, d->set.cleanup_idle_s);
		cln_remove(d, seg, false);
	}
}

void
cln_remove(struct eshmd *d, struct reg_segment *seg, bool revoke)
{
	int i;

	if (revoke)
		seg->verdict_flags |= SEG_VERDICT_REVOKED;
	for (i = 0; i < 2; i++) {
		struct reg_endpoint *ep = &seg->ep[i];

		if (reg_ep_held(seg, i))
			ep->state = SEG_EP_DETACHED;
		/* The hang-up tells the holder at once; the server closes the
		 * connection once the request or event at hand is done. */
		if (ep->conn != NULL) {
			ep->conn->close_pending = true;
			ep->conn->seg = NULL;
			ep->conn = NULL;
			d->close_pending = true;
		}
		if (ep->pidfd >= 0) {
			/* its tag is freed with the segment */
			ev_close(d->epfd, ep->pidfd);
			ep->pidfd = -1;
		}
		ep->polled = false;
		fds_drop_block(seg->generation, i, ep->incarnation);
	}
	obs_drop_all(d, seg);
	stb_verdict(seg);
	fds_drop_status(seg->generation);
	rec_remove(d, seg->name);
	if (seg->bytes != 0)
		bud_segment(d, seg->owner_uid, seg->bytes, -1);
	reg_drop(&d->reg, seg);
	ntf_status(d);
}
