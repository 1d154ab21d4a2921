/*
 * proxy.c - a bridge's declarations of the remote state (see proxy.h).
 *
 * A bridge process is alive on this host whatever its remote peer does:
 * what it declares is the only word eshmd has about the remote process,
 * so it is taken only from the holder of the role itself (the pid the
 * kernel gives for the socket) and only from users trusted with bridges.
 * It can only make things look worse than eshmd's own judgement: a
 * stalled or dead bridge shows stale or dead whatever it said.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "eshm.h"
#include "history.h"
#include "notify.h"
#include "proxy.h"
#include "statusblock.h"

void
prx_clear(struct reg_endpoint *ep)
{
	ep->proxied = false;
	ep->proxy_state = SEG_EP_DETACHED;
	ep->remote_pid = 0;
	ep->remote_host[0] = '\0';
}

bool
prx_permitted(const struct eshmd *d, const struct srv_conn *c, struct reply *r)
{
	if (acc_bridge(d, c))
		return true;
	reply_status(r, ESHM_ERROR_PERMISSION,
	             "only root and members of bridge_group may stand in for a remote process");
	return false;
}

void
prx_stand_in(struct reg_endpoint *ep)
{
	prx_clear(ep);
	ep->proxied = true;
	ep->proxy_state = SEG_EP_STALE;
}

int
prx_request(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
            struct reply *r)
{
	const struct proto_proxy *p = body;
	struct reg_segment *seg = reg_find(&d->reg, p->name);
	struct hist_subject subject;
	struct reg_endpoint *ep;
	uint32_t before;
	bool changed;
	int index;

	if (!prx_permitted(d, c, r))
		return r->body.status.status;
	if (seg == NULL)
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "no segment %s", p->name);
	index = seg_role_index(p->role);
	ep = &seg->ep[index];
	if (!reg_ep_held(seg, index) || ep->pid != c->pid)
		return reply_status(r, ESHM_ERROR_PERMISSION, "pid %d does not hold the %s of %s",
		                    (int)c->pid, seg_role_name(index), seg->name);
	before = reg_ep_shown(ep);
	changed = !ep->proxied || ep->proxy_state != p->state || ep->remote_pid != p->remote_pid ||
	          strcmp(ep->remote_host, p->remote_host) != 0;
	ep->proxied = true;
	ep->proxy_state = p->state;
	ep->remote_pid = p->remote_pid;
	snprintf(ep->remote_host, sizeof(ep->remote_host), "%s", p->remote_host);
	if (changed) {
		subject = hist_endpoint(seg, index);
		hist_record(d, HIST_BRIDGED, &subject,
		            "segment %s: the %s (pid %d) stands in for pid %d on %s, %s there",
		            seg->name, seg_role_name(index), (int)ep->pid, (int)p->remote_pid,
		            p->remote_host, seg_state_name(p->state));
	}
	if (reg_ep_shown(ep) != before) {
		stb_verdict(seg);
		ntf_status(d);
	}
	return reply_status(r, ESHM_SUCCESS, "%s", seg_state_name(reg_ep_shown(ep)));
}
