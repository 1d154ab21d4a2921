/*
 * proxy.h - roles held by a bridge (eshm-bridge) as the stand-in of a
 * process on another host: the PROXY request declares that process's
 * state, and the role shows it, unless eshmd's own judgement of the bridge
 * is worse.  Event loop and monitor thread, registry.lock held.
 */
#ifndef ESHMD_PROXY_H
#define ESHMD_PROXY_H

#include <stdint.h>

#include "daemon.h"
#include "reply.h"

/* Forget what a bridge declared for @ep (a new holder, or none). */
void prx_clear(struct reg_endpoint *ep);

/* Whether the client of @c may stand in for a remote process (root or
 * bridge_group); if not, the refusal is left in @r. */
bool prx_permitted(const struct eshmd *d, const struct srv_conn *c, struct reply *r);

/* @ep is held by a stand-in (PROTO_ATTACH_STAND_IN) that declared
 * nothing yet: its remote shows stale. */
void prx_stand_in(struct reg_endpoint *ep);

/*
 * PROXY (@body: a struct proto_proxy whose strings proto_parse() checked):
 * accepted from the process holding the role, run by root or a member of
 * bridge_group.  Returns 0 or the error left in @r.
 */
int prx_request(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
                struct reply *r);

#endif /* ESHMD_PROXY_H */
