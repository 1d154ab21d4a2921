/*
 * history_req.c - EVENTS and COUNTERS (see history_req.h).
 *
 * Who sees an event: operators (root, admin_group) see all; a user sees
 * the events of the segments the access policy lets it use (by the owner
 * recorded in the event, so a removed segment's history stays its
 * owner's), the events about itself (its own refusals), and eshmd's
 * starts and stops.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "eshm.h"
#include "history.h"
#include "history_req.h"

static bool
hreq_visible(const struct eshmd *d, const struct srv_conn *c, const struct reply_stream *how,
             const struct hist_event *ev)
{
	const struct proto_events *f = &how->filter;

	if (f->name[0] != '\0' && strcmp(f->name, ev->segment) != 0)
		return false;
	if (ev->realtime_ns < f->since_realtime_ns)
		return false;
	if (how->privileged || ev->uid == c->uid)
		return true;
	if (ev->segment[0] == '\0')
		return ev->type == HIST_STARTED || ev->type == HIST_STOPPED;
	return ev->type != HIST_REFUSED && ev->type != HIST_LIMIT &&
	       acc_check_owner(d, c, ev->owner) == ESHM_SUCCESS;
}

/* EVENTS' stream: the next event the peer may see, telling what it lost. */
static bool
hreq_next(const struct eshmd *d, const struct srv_conn *c, const struct reply_stream *how,
          struct reply_cursor *cur, union reply_body *item)
{
	const struct hist_event *ev;
	struct proto_event *out = &item->event;
	uint64_t lost;

	for (;;) {
		ev = hist_at(&d->hist, cur->event, &lost);
		cur->lost += lost;
		if (ev == NULL) {
			cur->event = d->hist.next;
			return false;
		}
		cur->event = ev->serial + 1;
		if (hreq_visible(d, c, how, ev))
			break;
	}
	memset(out, 0, sizeof(*out));
	out->serial = ev->serial;
	out->realtime_ns = ev->realtime_ns;
	out->lost = cur->lost;
	cur->lost = 0;
	out->pid = ev->pid;
	out->uid = ev->uid;
	out->role = ev->role;
	out->status = ev->status;
	snprintf(out->kind, sizeof(out->kind), "%s", hist_type_name(ev->type));
	snprintf(out->message_id, sizeof(out->message_id), "%s", hist_message_id(ev->type));
	snprintf(out->segment, sizeof(out->segment), "%s", ev->segment);
	snprintf(out->message, sizeof(out->message), "%s", ev->message);
	return true;
}

int
hreq_events(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
            struct reply *r)
{
	const struct proto_events *req = body;

	reply_body(r, PROTO_REP_DONE);
	r->stream.type = PROTO_REP_EVENT;
	r->stream.next = hreq_next;
	r->stream.follow = (req->flags & PROTO_EVENTS_FOLLOW) != 0;
	r->stream.privileged = acc_privileged(d, c->fd, c->uid, c->gid);
	r->stream.filter = *req;
	return ESHM_SUCCESS;
}

int
hreq_counters(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
              struct reply *r)
{
	struct proto_counters *out = &reply_body(r, PROTO_REP_COUNTERS)->counters;
	int i;

	out->reasons = PROTO_REASONS;
	for (i = 0; i < PROTO_REASONS && i < HIST_REASONS; i++)
		out->refusals[i] = d->hist.refusals[i];
	out->events = d->hist.next - 1;
	out->monitor_passes = d->monitor_pass;
	out->monitor_busy_ns = d->monitor_busy_ns;
	out->monitor_cpu_ns = d->monitor_cpu_ns;
	out->monitor_last_pass_ns = d->monitor_last_ns;
	out->monitor_max_pass_ns = d->monitor_max_ns;
	return ESHM_SUCCESS;
}
