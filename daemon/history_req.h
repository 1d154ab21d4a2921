/*
 * history_req.h - the EVENTS and COUNTERS requests: eshmd's history and
 * counters as the peer may see them.  Called by request.c once the
 * request was checked; registry.lock held.
 */
#ifndef ESHMD_HISTORY_REQ_H
#define ESHMD_HISTORY_REQ_H

#include "daemon.h"
#include "reply.h"

/*
 * EVENTS (@body: a checked struct proto_events): a stream of the events
 * the peer of @c may see, then DONE, or, when it follows, the events to
 * come.  Returns 0.
 */
int hreq_events(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
                struct reply *r);

/* COUNTERS: refusals by reason, events, the monitor's time.  Returns 0. */
int hreq_counters(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
                  struct reply *r);

#endif /* ESHMD_HISTORY_REQ_H */
