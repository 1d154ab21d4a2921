/*
 * observer.c - observers' slots, blocks and notifications (see observer.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "clock.h"
#include "eshm.h"
#include "history.h"
#include "log.h"
#include "memfd.h"
#include "observer.h"
#include "procinfo.h"
#include "statusblock.h"

/* A free slot of @seg below @max, allocating the slots at first; -1: none. */
static int
obs_free_slot(struct reg_segment *seg, uint32_t max)
{
	uint32_t i;

	if (seg->observers == NULL) {
		seg->observers = calloc(SEG_OBSERVERS_MAX, sizeof(*seg->observers));
		if (seg->observers == NULL)
			return -1;
		for (i = 0; i < SEG_OBSERVERS_MAX; i++)
			seg->observers[i].block.fd = -1;
	}
	for (i = 0; i < max && i < SEG_OBSERVERS_MAX; i++)
		if (seg->observers[i].conn == NULL)
			return (int)i;
	return -1;
}

/* Mark the holder of role @index (if connected) for OBSERVER notifications. */
static void
obs_tell_writer(struct eshmd *d, struct reg_segment *seg, int index)
{
	struct srv_conn *w = seg->ep[index].conn;

	if (w != NULL && reg_ep_held(seg, index)) {
		w->observers_pending = true;
		d->peer_pending = true;
	}
}

/* The subject of an event about the observer on @c. */
static struct hist_subject
obs_subject(const struct reg_segment *seg, const struct srv_conn *c)
{
	return (struct hist_subject){.segment = seg->name, .role = ESHM_ROLE_OBSERVER,
	                             .pid = c->pid, .uid = c->uid, .owner = seg->owner_uid};
}

int
obs_attach(struct eshmd *d, struct srv_conn *c, struct reg_segment *seg, int observed,
           struct reply *r)
{
	struct hist_subject subject;
	struct proto_attach_reply *a;
	struct reg_observer *o;
	char suffix[32];
	int slot, fd, rc;

	slot = obs_free_slot(seg, d->set.max_observers);
	if (slot < 0)
		return reply_status(r, ESHM_ERROR_LIMIT, "%s has max_observers = %u observers",
		                    seg->name, d->set.max_observers);
	o = &seg->observers[slot];
	snprintf(suffix, sizeof(suffix), ".observer%d", slot);
	fd = memfd_new(d->set.shm_prefix, seg->name, suffix, seg->g.observer_block_size,
	               &o->block.id);
	if (fd < 0)
		return reply_status(r, fd, "cannot create an observer block for %s", seg->name);
	o->block.fd = fd;
	/* eshmd's own view, for the monitor's look at its waits word */
	rc = seg_map_block(fd, &seg->g, true, false, &o->block.map);
	if (rc != ESHM_SUCCESS) {
		reg_memfd_clear(&o->block);
		return reply_status(r, rc, "cannot map an observer block of %s", seg->name);
	}
	a = &reply_body(r, PROTO_REP_ATTACH)->attach;
	/* in the order of their PROTO_FD_* bits */
	if (reply_add_fd(r, memfd_reopen(seg->status.fd, 0)) < 0 ||
	    reply_add_fd(r, memfd_reopen(fd, 1)) < 0) {
		reg_memfd_clear(&o->block);
		return reply_status(r, ESHM_ERROR_SYSTEM,
		                    "cannot pass the blocks of %s (out of descriptors?)", seg->name);
	}
	a->fds = PROTO_FD_OWN | PROTO_FD_STATUS;
	if (seg->ep[observed].block.fd >= 0 &&
	    reply_add_fd(r, memfd_reopen(seg->ep[observed].block.fd, 0)) == 0) {
		a->fds |= PROTO_FD_PEER;
		a->peer_incarnation = seg->ep[observed].incarnation;
	}
	o->state = SEG_EP_ALIVE;
	o->pid = c->pid;
	o->uid = c->uid;
	o->observed = observed;
	o->incarnation = ++seg->observer_attaches;
	o->attach_realtime_ns = clock_real_ns();
	proc_comm(c->pid, o->comm, sizeof(o->comm));
	o->conn = c;
	c->obs_seg = seg;
	c->obs_slot = slot;
	seg->nobservers++;
	stb_observer(seg, slot);
	stb_verdict(seg);
	obs_tell_writer(d, seg, observed);
	a->role = ESHM_ROLE_OBSERVER;
	a->generation = seg->generation;
	a->incarnation = o->incarnation;
	a->stale_threshold_ms = seg->default_threshold_ms;
	a->slot = (uint32_t)slot;
	subject = obs_subject(seg, c);
	hist_record(d, HIST_OBSERVER_ATTACHED, &subject,
	            "segment %s: observer %d of the %s's channel attached (pid %d, uid %u)",
	            seg->name, slot, seg_role_name(observed), (int)c->pid, (unsigned)c->uid);
	return ESHM_SUCCESS;
}

void
obs_leave(struct eshmd *d, struct srv_conn *c)
{
	struct reg_segment *seg = c->obs_seg;
	struct hist_subject subject;
	struct reg_observer *o;

	if (seg == NULL)
		return;
	o = &seg->observers[c->obs_slot];
	c->obs_seg = NULL;
	o->conn = NULL;
	o->state = SEG_EP_DETACHED;
	reg_memfd_clear(&o->block);
	seg->nobservers--;
	stb_observer(seg, c->obs_slot);
	stb_verdict(seg);
	obs_tell_writer(d, seg, o->observed);
	subject = obs_subject(seg, c);
	hist_record(d, HIST_OBSERVER_LEFT, &subject, "segment %s: observer %d (pid %d) left",
	            seg->name, c->obs_slot, (int)o->pid);
}

void
obs_announce(struct eshmd *d, struct reg_segment *seg, int index)
{
	uint32_t i;

	if (seg->nobservers == 0)
		return;
	for (i = 0; i < SEG_OBSERVERS_MAX; i++) {
		struct reg_observer *o = &seg->observers[i];

		if (o->conn != NULL && o->observed == index) {
			o->conn->peer_pending = true;
			d->peer_pending = true;
		}
	}
	obs_tell_writer(d, seg, index);
}

/* A word of a block its holder writes: loaded once, only displayed. */
#define OBS_SHOW_WORD(field) atomic_load_explicit(&(field), memory_order_relaxed)

void
obs_list(const struct reg_segment *seg, struct proto_observers_reply *out)
{
	uint32_t i;

	for (i = 0; seg->observers != NULL && i < SEG_OBSERVERS_MAX; i++) {
		const struct reg_observer *o = &seg->observers[i];
		const struct seg_reader *rd = seg_observer_of(&o->block.map);
		const struct seg_block *w = seg_block_of(&seg->ep[o->observed].block.map);
		struct proto_observer_info *e;

		if (o->conn == NULL || rd == NULL)
			continue;
		e = &out->observer[out->count++];
		e->pid = (int32_t)o->pid;
		e->uid = (uint32_t)o->uid;
		e->observed = (uint32_t)seg_role(o->observed);
		e->slot = i;
		e->incarnation = o->incarnation;
		e->attach_realtime_ns = o->attach_realtime_ns;
		e->position = OBS_SHOW_WORD(rd->position);
		e->read_count = OBS_SHOW_WORD(rd->reads);
		e->missed = OBS_SHOW_WORD(rd->missed);
		e->retries = OBS_SHOW_WORD(rd->retries);
		e->contended = OBS_SHOW_WORD(rd->contended);
		if (w != NULL && seg->g.mode == SEG_MODE_QUEUE)
			e->unread = (uint32_t)chan_queue_unread(w, seg->ep[o->observed].incarnation,
			                                        rd, &seg->g);
		snprintf(e->comm, sizeof(e->comm), "%s", o->comm);
	}
}

void
obs_drop_all(struct eshmd *d, struct reg_segment *seg)
{
	uint32_t i;

	for (i = 0; seg->observers != NULL && i < SEG_OBSERVERS_MAX; i++) {
		struct reg_observer *o = &seg->observers[i];

		if (o->conn == NULL)
			continue;
		o->conn->obs_seg = NULL;
		o->conn->close_pending = true;
		o->conn = NULL;
		o->state = SEG_EP_DETACHED;
		d->close_pending = true;
	}
}
