/*
 * request.c - what eshmd does for each request, one way through: parse
 * the datagram, validate it with the one check of its type (every field,
 * before anything is touched), act, and leave the answer in a struct
 * reply that the server sends once.  An invalid request gets its
 * ESHM_ERROR_* and the next one is served as usual; a malformed datagram
 * (which no correct client sends) also ends the connection.
 *
 * Every decision is taken from eshmd's registry and the peer's
 * SO_PEERCRED credentials; nothing read from shared memory decides
 * anything here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "budget.h"
#include "channel.h"
#include "cleanup.h"
#include "clock.h"
#include "endpoint.h"
#include "eshm.h"
#include "fdstore.h"
#include "history.h"
#include "history_req.h"
#include "log.h"
#include "memfd.h"
#include "observer.h"
#include "notify.h"
#include "procinfo.h"
#include "proxy.h"
#include "records.h"
#include "request.h"
#include "statusblock.h"

/* The flags an ATTACH or REATTACH may carry. */
#define REQ_ATTACH_FLAGS \
	(PROTO_ATTACH_AUTO_CLEANUP | PROTO_ATTACH_SEGMENT_THRESHOLD | PROTO_ATTACH_TIMESTAMPS | \
	 PROTO_ATTACH_STAND_IN)
/* The flags a CREATE may carry. */
#define REQ_CREATE_FLAGS (PROTO_ATTACH_AUTO_CLEANUP | PROTO_ATTACH_TIMESTAMPS)
/* What eshmd offers in HELLO. */
#define REQ_CAPS \
	(PROTO_CAP_PEER_PIDFD | PROTO_CAP_TAKEOVER | PROTO_CAP_QUEUE | PROTO_CAP_OBSERVER | \
	 PROTO_CAP_TIMESTAMPS | PROTO_CAP_EVENTS | PROTO_CAP_PROXY | PROTO_CAP_STAND_IN | \
	 PROTO_CAP_OBSERVER_LIST)
/* Queue depth of a queue created by CREATE without one. */
#define REQ_QUEUE_DEPTH_DEFAULT 64u
/* Longest heartbeat period and takeover wait a request may name. */
#define REQ_PERIOD_US_MAX 10000000u
#define REQ_TAKEOVER_MS_MAX 3600000u

/* One kind of request: its check, then what it does. */
struct req_kind {
	uint16_t type;
	/*
	 * Validate every field of @body, which proto_parse() accepted, for
	 * the peer of @c, which passed the descriptors @in.  Returns 0, or
	 * the error left in @r.  NULL: nothing to check.
	 */
	int (*check)(const struct eshmd *d, const struct srv_conn *c, const void *body,
	             const struct proto_fds *in, struct reply *r);
	/* Act on the valid @body and leave the answer in @r.  Returns its status. */
	int (*act)(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
	           struct reply *r);
	bool named;             /* the body starts with a segment name */
};

/* ---------------------------------------------------------------- checks */

static int
req_check_name(const char *name, struct reply *r)
{
	int rc = proto_name_valid(name);

	return rc == ESHM_SUCCESS ? rc : reply_status(r, rc, "invalid segment name");
}

/* No descriptor may come with a request but REATTACH. */
static int
req_check_no_fds(const struct proto_fds *in, struct reply *r)
{
	if (in->n != 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "%u descriptor(s) passed with a request that takes none", in->n);
	return ESHM_SUCCESS;
}

/*
 * A new segment's parameters: a capacity under max_capacity, a mode, a
 * queue depth that goes with it, known flags.  *@g receives the geometry.
 */
static int
req_check_geometry(const struct eshmd *d, uint64_t capacity, uint32_t mode, uint32_t depth,
                   uint32_t seg_flags, struct seg_geometry *g, struct reply *r)
{
	if (capacity == 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "capacity 0");
	if (capacity > d->set.max_capacity)
		return reply_status(r, ESHM_ERROR_LIMIT, "capacity %llu above max_capacity = %llu",
		                    (unsigned long long)capacity,
		                    (unsigned long long)d->set.max_capacity);
	if (seg_geometry(capacity, mode, depth, seg_flags, g) != ESHM_SUCCESS)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "mode %u with queue depth %u is not a channel (latest: 0, "
		                    "queue: 1..%u)",
		                    mode, depth, SEG_QUEUE_DEPTH_MAX);
	return ESHM_SUCCESS;
}

static uint32_t
req_seg_flags(uint32_t proto_flags)
{
	return (proto_flags & PROTO_ATTACH_AUTO_CLEANUP ? SEG_FLAG_AUTO_CLEANUP : 0) |
	       (proto_flags & PROTO_ATTACH_TIMESTAMPS ? SEG_FLAG_TIMESTAMPS : 0);
}

/* What ATTACH and REATTACH both carry. */
static int
req_check_attach_fields(const struct eshmd *d, const struct srv_conn *c,
                        const struct proto_attach *a, struct reply *r)
{
	int rc = req_check_name(a->name, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	if (c->seg != NULL || c->obs_seg != NULL)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "this connection already holds an endpoint");
	if (a->role > ESHM_ROLE_OBSERVER)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "role %u is not a role this eshmd offers", a->role);
	if (a->role == ESHM_ROLE_OBSERVER && seg_role_index(a->observed) < 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "an observer observes the master's or the slave's channel, not %u",
		                    a->observed);
	if (a->flags & PROTO_ATTACH_SEGMENT_THRESHOLD) {
		if (a->stale_threshold_ms != 0)
			return reply_status(r, ESHM_ERROR_INVALID_PARAM,
			                    "stale threshold %u ms, and the segment's asked too",
			                    a->stale_threshold_ms);
	} else if (a->stale_threshold_ms < ESHM_STALE_THRESHOLD_MS_MIN ||
	           a->stale_threshold_ms > ESHM_STALE_THRESHOLD_MS_MAX)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "stale threshold %u ms outside %u..%u",
		                    a->stale_threshold_ms, ESHM_STALE_THRESHOLD_MS_MIN,
		                    ESHM_STALE_THRESHOLD_MS_MAX);
	if (a->disconnect_behavior > ESHM_DISCONNECT_NEVER || (a->flags & ~REQ_ATTACH_FLAGS) != 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "unknown disconnect behaviour or flags");
	if (a->heartbeat_period_us > REQ_PERIOD_US_MAX || a->takeover_ms > REQ_TAKEOVER_MS_MAX)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "heartbeat period above %u us or takeover above %u ms",
		                    REQ_PERIOD_US_MAX, REQ_TAKEOVER_MS_MAX);
	if (!(a->flags & PROTO_ATTACH_STAND_IN))
		return ESHM_SUCCESS;
	if (a->role == ESHM_ROLE_OBSERVER)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "an observer stands in for nobody");
	return prx_permitted(d, c, r) ? ESHM_SUCCESS : r->body.status.status;
}

static int
req_check_attach(const struct eshmd *d, const struct srv_conn *c, const void *body,
                 const struct proto_fds *in, struct reply *r)
{
	const struct proto_attach *a = body;
	struct seg_geometry g;
	int rc = req_check_attach_fields(d, c, a, r);

	if (rc == ESHM_SUCCESS)
		rc = req_check_no_fds(in, r);
	if (rc == ESHM_SUCCESS && a->fds != 0)
		rc = reply_status(r, ESHM_ERROR_INVALID_PARAM, "ATTACH hands back no descriptor");
	if (rc != ESHM_SUCCESS)
		return rc;
	return req_check_geometry(d, a->capacity, a->mode, a->queue_depth, req_seg_flags(a->flags),
	                          &g, r);
}

static int
req_check_reattach(const struct eshmd *d, const struct srv_conn *c, const void *body,
                   const struct proto_fds *in, struct reply *r)
{
	const struct proto_attach *a = body;
	const uint32_t need = PROTO_FD_STATUS | PROTO_FD_OWN;
	int rc = req_check_attach_fields(d, c, a, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	if (a->role == ESHM_ROLE_AUTO)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "reattach names the role it held");
	if (a->role == ESHM_ROLE_OBSERVER)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "observers attach anew after an eshmd restart");
	if ((a->fds & need) != need || (a->fds & ~(need | PROTO_FD_PEER)) != 0 ||
	    (unsigned)__builtin_popcount(a->fds) != in->n)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "reattach hands back its status and own blocks (fds 0x%x, %u "
		                    "passed)",
		                    a->fds, in->n);
	return ESHM_SUCCESS;
}

/* DETACH, SHOW and PEEK carry only a name. */
static int
req_check_named(const struct eshmd *d, const struct srv_conn *c, const void *body,
                const struct proto_fds *in, struct reply *r)
{
	int rc = req_check_name(((const struct proto_name *)body)->name, r);

	return rc == ESHM_SUCCESS ? req_check_no_fds(in, r) : rc;
}

/* STATUS, LIST and HELLO carry nothing to check but the descriptors. */
static int
req_check_plain(const struct eshmd *d, const struct srv_conn *c, const void *body,
                const struct proto_fds *in, struct reply *r)
{
	return req_check_no_fds(in, r);
}

static int
req_check_events(const struct eshmd *d, const struct srv_conn *c, const void *body,
                 const struct proto_fds *in, struct reply *r)
{
	const struct proto_events *ev = body;
	int rc;

	if (ev->name[0] != '\0' && (rc = req_check_name(ev->name, r)) != ESHM_SUCCESS)
		return rc;
	if ((ev->flags & ~PROTO_EVENTS_FOLLOW) != 0 || ev->reserved != 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "unknown EVENTS flags 0x%x",
		                    ev->flags);
	return req_check_no_fds(in, r);
}

static int
req_check_proxy(const struct eshmd *d, const struct srv_conn *c, const void *body,
                const struct proto_fds *in, struct reply *r)
{
	const struct proto_proxy *p = body;
	int rc = req_check_name(p->name, r);
	size_t i;

	if (rc != ESHM_SUCCESS)
		return rc;
	if (p->role != ESHM_ROLE_MASTER && p->role != ESHM_ROLE_SLAVE)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "role %u is not master or slave",
		                    p->role);
	if (p->state > SEG_EP_DEAD || p->reserved != 0 || p->remote_pid < 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "state %u, pid %d or reserved %u out of range", p->state,
		                    (int)p->remote_pid, p->reserved);
	/* The host goes into log lines and eshmctl's output: printable only,
	 * so no client can forge a line. */
	for (i = 0; p->remote_host[i] != '\0'; i++)
		if (p->remote_host[i] < 0x20 || p->remote_host[i] > 0x7e)
			return reply_status(r, ESHM_ERROR_INVALID_PARAM,
			                    "the remote host holds byte 0x%02x",
			                    (unsigned char)p->remote_host[i]);
	return req_check_no_fds(in, r);
}

static int
req_check_create(const struct eshmd *d, const struct srv_conn *c, const void *body,
                 const struct proto_fds *in, struct reply *r)
{
	const struct proto_create *cr = body;
	struct seg_geometry g;
	uint64_t capacity = cr->capacity;
	uint32_t depth = cr->queue_depth;
	int rc = req_check_name(cr->name, r);

	if (rc == ESHM_SUCCESS)
		rc = req_check_no_fds(in, r);
	if (rc != ESHM_SUCCESS)
		return rc;
	if (cr->stale_threshold_ms > ESHM_STALE_THRESHOLD_MS_MAX ||
	    (cr->flags & ~REQ_CREATE_FLAGS) != 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "stale threshold above %u ms or unknown flags",
		                    ESHM_STALE_THRESHOLD_MS_MAX);
	if (capacity == 0)
		capacity = 1;
	if (cr->mode == SEG_MODE_QUEUE && depth == 0)
		depth = REQ_QUEUE_DEPTH_DEFAULT;
	return req_check_geometry(d, capacity, cr->mode, depth, req_seg_flags(cr->flags), &g, r);
}

static int
req_check_remove(const struct eshmd *d, const struct srv_conn *c, const void *body,
                 const struct proto_fds *in, struct reply *r)
{
	const struct proto_remove *rm = body;
	int rc = req_check_name(rm->name, r);

	if (rc == ESHM_SUCCESS)
		rc = req_check_no_fds(in, r);
	if (rc == ESHM_SUCCESS && rm->force > 1)
		rc = reply_status(r, ESHM_ERROR_INVALID_PARAM, "force is 0 or 1");
	return rc;
}

/* ---------------------------------------------------------------- acting */

/* The segment called @name, if it exists, is complete and the peer of @c may use it. */
static int
req_lookup(struct eshmd *d, const struct srv_conn *c, const char *name, struct reg_segment **out,
           struct reply *r)
{
	*out = reg_find(&d->reg, name);
	if (*out == NULL)
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "no segment %s", name);
	if (acc_check(d, c, *out) != ESHM_SUCCESS)
		return reply_status(r, ESHM_ERROR_PERMISSION, "uid %u may not use segment %s",
		                    (unsigned)c->uid, name);
	return ESHM_SUCCESS;
}

/* Refuse a segment restored after an eshmd restart whose memfds are still awaited. */
static int
req_complete(const struct reg_segment *seg, struct reply *r)
{
	if (seg->status.fd < 0)
		return reply_status(r, ESHM_ERROR_BUSY,
		                    "segment %s is being restored after an eshmd restart; try again",
		                    seg->name);
	return ESHM_SUCCESS;
}

/*
 * Create segment @name of geometry @g for the peer of @c, with default
 * threshold @threshold, into *@out: its status memfd, formatted; its
 * cost charged to the creator.
 */
static int
req_create_segment(struct eshmd *d, const struct srv_conn *c, const char *name,
                   const struct seg_geometry *g, uint32_t threshold, struct reg_segment **out,
                   struct reply *r)
{
	struct hist_subject subject;
	struct reg_segment *seg;
	uint64_t bytes = seg_cost(g);
	char why[PROTO_TEXT_SIZE];
	int rc;

	rc = bud_segment_allowed(d, c->uid, bytes, why, sizeof(why));
	if (rc != ESHM_SUCCESS)
		return reply_status(r, rc, "cannot create segment %s: %s", name, why);
	seg = reg_segment_new(name);
	if (seg == NULL)
		return reply_status(r, ESHM_ERROR_NO_MEMORY, "out of memory");
	seg->g = *g;
	seg->generation = reg_next_generation(&d->reg);
	seg->owner_uid = c->uid;
	seg->owner_gid = c->gid;
	seg->default_threshold_ms = threshold;
	seg->bytes = bytes;
	rc = memfd_new(d->set.shm_prefix, name, ".status", SEG_STATUS_SIZE, &seg->status.id);
	if (rc >= 0) {
		seg->status.fd = rc;
		rc = memfd_map(seg->status.fd, SEG_STATUS_SIZE, &seg->status.map);
	}
	if (rc < 0) {
		reg_memfd_clear(&seg->status);
		free(seg);
		return reply_status(r, rc, "cannot create segment %s: %s", name,
		                    eshm_error_string(rc));
	}
	seg_status_format(seg_status_of(&seg->status.map), g, seg->generation, threshold,
	                  (uint32_t)c->uid, (uint32_t)c->gid);
	seg->created_realtime_ns = seg_status_of(&seg->status.map)->ident.created_realtime_ns;
	seg->empty_since_ns = clock_mono_ns();
	reg_insert(&d->reg, seg);
	bud_segment(d, c->uid, bytes, +1);
	/* The daemon line now, not at the next monitor pass: a client that
	 * attaches at once must see eshmd's verdicts as current. */
	stb_daemon(seg, 0, clock_mono_ns(), d->set.check_interval_ms);
	stb_all(seg);
	fds_put_status(seg);
	rec_save(d, seg);
	subject = hist_segment(seg, c->pid, c->uid);
	hist_record(d, HIST_CREATED, &subject,
	            "segment %s created by uid %u (capacity %llu, %s, %llu bytes)", name,
	            (unsigned)c->uid, (unsigned long long)g->capacity,
	            g->mode == SEG_MODE_QUEUE ? "queue" : "latest value", (unsigned long long)bytes);
	ntf_status(d);
	*out = seg;
	return ESHM_SUCCESS;
}

/* A new read-only descriptor of @m, added to @r; false if none could be had. */
static bool
req_pass_ro(const struct reg_memfd *m, struct reply *r)
{
	return m->fd >= 0 && reply_add_fd(r, memfd_reopen(m->fd, 0)) == 0;
}

/* A duplicate of the pidfd of role @index's holder, added to @r. */
static bool
req_pass_pidfd(const struct reg_segment *seg, int index, struct reply *r)
{
	const struct reg_endpoint *ep = &seg->ep[index];

	return ep->pidfd >= 0 && reg_ep_held(seg, index) &&
	       reply_add_fd(r, fcntl(ep->pidfd, F_DUPFD_CLOEXEC, 0)) == 0;
}

/*
 * The answer to an accepted ATTACH or REATTACH of role @index: the status
 * block read-only, the caller's block read-write, the peer's current block
 * read-only and its holder's pidfd.
 */
static int
req_attach_reply(const struct srv_conn *c, const struct reg_segment *seg, int index,
                 struct reply *r)
{
	struct proto_attach_reply *a = &reply_body(r, PROTO_REP_ATTACH)->attach;
	const struct reg_endpoint *ep = &seg->ep[index], *peer = &seg->ep[!index];

	a->role = seg_role(index);
	a->generation = seg->generation;
	a->incarnation = ep->incarnation;
	a->stale_threshold_ms = ep->threshold_ms;
	if (!req_pass_ro(&seg->status, r) ||
	    reply_add_fd(r, memfd_reopen(ep->block.fd, 1)) < 0)
		return reply_status(r, ESHM_ERROR_SYSTEM,
		                    "cannot pass the blocks of %s (out of descriptors?)", seg->name);
	a->fds = PROTO_FD_STATUS | PROTO_FD_OWN;
	if (req_pass_ro(&peer->block, r)) {
		a->fds |= PROTO_FD_PEER;
		a->peer_incarnation = peer->incarnation;
	}
	if ((!c->hello || (c->caps & PROTO_CAP_PEER_PIDFD)) && req_pass_pidfd(seg, !index, r)) {
		a->fds |= PROTO_FD_PIDFD;
		a->peer_pid = (int32_t)peer->pid;
	}
	return ESHM_SUCCESS;
}

/*
 * The role the ATTACH @a gets in @seg into *@index, and whether its holder
 * must be taken over first.  AUTO: master if free, else slave; a held
 * role goes only to a takeover of a holder stale for takeover_ms.
 */
static int
req_pick_role(const struct reg_segment *seg, const struct proto_attach *a, int *index,
              bool *takeover, struct reply *r)
{
	uint64_t now = clock_mono_ns();
	int i, first = 0, last = 1;

	*takeover = false;
	if (a->role != ESHM_ROLE_AUTO)
		first = last = seg_role_index(a->role);
	for (i = first; i <= last; i++)
		if (!reg_ep_held(seg, i)) {
			*index = i;
			return ESHM_SUCCESS;
		}
	for (i = first; i <= last && a->takeover_ms > 0; i++) {
		const struct reg_endpoint *ep = &seg->ep[i];

		if (ep->state == SEG_EP_STALE && ep->stale_since_ns != 0 &&
		    now - ep->stale_since_ns >= (uint64_t)a->takeover_ms * 1000000u) {
			*index = i;
			*takeover = true;
			return ESHM_SUCCESS;
		}
	}
	if (first == last)
		return reply_status(r, ESHM_ERROR_ROLE_TAKEN, "the %s of %s is held by pid %d (%s)",
		                    seg_role_name(first), seg->name, (int)seg->ep[first].pid,
		                    seg_state_name(seg->ep[first].state));
	return reply_status(r, ESHM_ERROR_ROLE_TAKEN,
	                    "both roles of %s are held: master by pid %d (%s), slave by pid %d (%s)",
	                    seg->name, (int)seg->ep[0].pid, seg_state_name(seg->ep[0].state),
	                    (int)seg->ep[1].pid, seg_state_name(seg->ep[1].state));
}

static int
req_attach(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
           struct reply *r)
{
	const struct proto_attach *a = body;
	struct reg_segment *seg = reg_find(&d->reg, a->name);
	char why[PROTO_TEXT_SIZE];
	struct seg_geometry g;
	struct ep_new n;
	bool created = false, takeover = false;
	int index = 0, rc;

	if (a->role == ESHM_ROLE_OBSERVER) {
		/* an observer reads what exists: it creates nothing */
		if (seg == NULL)
			return reply_status(r, ESHM_ERROR_NOT_FOUND, "no segment named %s", a->name);
		if ((rc = req_complete(seg, r)) != ESHM_SUCCESS)
			return rc;
		if (acc_check(d, c, seg) != ESHM_SUCCESS)
			return reply_status(r, ESHM_ERROR_PERMISSION, "uid %u may not use segment %s",
			                    (unsigned)c->uid, a->name);
		return obs_attach(d, c, seg, seg_role_index(a->observed), r);
	}
	if (reg_held_endpoints(&d->reg) >= d->set.max_endpoints)
		return reply_status(r, ESHM_ERROR_LIMIT, "max_endpoints = %u reached",
		                    d->set.max_endpoints);
	if (seg == NULL) {
		seg_geometry(a->capacity, a->mode, a->queue_depth, req_seg_flags(a->flags), &g);
		rc = req_create_segment(d, c, a->name, &g, d->set.default_stale_ms, &seg, r);
		if (rc != ESHM_SUCCESS)
			return rc;
		created = true;
	} else if ((rc = req_complete(seg, r)) != ESHM_SUCCESS) {
		return rc;
	} else if (acc_check(d, c, seg) != ESHM_SUCCESS) {
		return reply_status(r, ESHM_ERROR_PERMISSION, "uid %u may not use segment %s",
		                    (unsigned)c->uid, a->name);
	}
	rc = req_pick_role(seg, a, &index, &takeover, r);
	if (rc == ESHM_SUCCESS)
		rc = ep_prepare(d, seg, index, c, &n, why, sizeof(why));
	if (rc != ESHM_SUCCESS) {
		if (r->type != PROTO_REP_STATUS || r->body.status.status == ESHM_SUCCESS)
			reply_status(r, rc, "cannot attach to %s: %s", a->name, why);
		if (created)
			cln_remove(d, seg, false);
		return rc;
	}
	if (takeover)
		ep_takeover(d, seg, index);
	n.threshold_ms = a->flags & PROTO_ATTACH_SEGMENT_THRESHOLD ? seg->default_threshold_ms
	                                                           : a->stale_threshold_ms;
	n.period_us = a->heartbeat_period_us;
	n.stand_in = (a->flags & PROTO_ATTACH_STAND_IN) != 0;
	ep_attach(d, seg, index, c, &n);
	if (created)
		fds_barrier();
	return req_attach_reply(c, seg, index, r);
}

/*
 * Check the memfd @fd handed back as @what against @m (and its recorded
 * identity @id, of @size bytes); if eshmd lacks it (not in the fd store
 * after a restart), take it: a read-write descriptor of its own and a
 * mapping.  Nothing is changed on refusal.
 */
static int
req_take_back(const struct reg_segment *seg, const char *what, int fd, const struct memfd_id *id,
              uint64_t size, struct reg_memfd *m, struct reply *r)
{
	const char *why = NULL;
	int own;

	if (memfd_verify(fd, id, size, &why) != ESHM_SUCCESS) {
		log_msg(LOG_WARNING, "segment %s: refused a reattach: its %s is %s", seg->name, what,
		        why);
		return reply_status(r, ESHM_ERROR_PERMISSION, "the %s handed back is %s", what, why);
	}
	if (m->fd >= 0)
		return ESHM_SUCCESS;
	own = memfd_reopen(fd, 1);
	if (own < 0)
		return reply_status(r, own, "cannot take back the %s", what);
	if (memfd_map(own, size, &m->map) != ESHM_SUCCESS) {
		close(own);
		return reply_status(r, ESHM_ERROR_NO_MEMORY, "cannot map the %s", what);
	}
	m->fd = own;
	m->id = *id;
	return ESHM_SUCCESS;
}

static int
req_reattach(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
             struct reply *r)
{
	const struct proto_attach *a = body;
	struct reg_segment *seg = reg_find(&d->reg, a->name);
	int index = seg_role_index(a->role), pidfd, rc;
	struct reg_memfd status = {.fd = -1}, own = {.fd = -1}, peer = {.fd = -1};
	struct seg_geometry g;
	struct reg_endpoint *ep;
	uint64_t start = 0;

	if (seg == NULL || seg->generation != a->generation)
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "segment %s of generation %llu is gone",
		                    a->name, (unsigned long long)a->generation);
	ep = &seg->ep[index];
	if (!reg_ep_held(seg, index))
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "the %s of %s was released",
		                    seg_role_name(index), a->name);
	/* Only the very process recorded for the role gets it back. */
	pidfd = proc_pidfd(c->pid, c->accept_boot_ns, &start);
	if ((pidfd < 0 && pidfd != -ENOSYS) || ep->pid != c->pid || ep->start_time != start ||
	    ep->incarnation != a->incarnation) {
		if (pidfd >= 0)
			close(pidfd);
		log_msg(LOG_WARNING, "segment %s: refused the reattach of pid %d uid %u as %s: "
		                     "recorded for pid %d, block %llu",
		        a->name, (int)c->pid, (unsigned)c->uid, seg_role_name(index), (int)ep->pid,
		        (unsigned long long)ep->incarnation);
		return reply_status(r, ESHM_ERROR_PERMISSION,
		                    "the %s of %s is recorded for another process or block",
		                    seg_role_name(index), a->name);
	}
	if (pidfd < 0)
		pidfd = -1;
	seg_geometry(seg->g.capacity, seg->g.mode, seg->g.queue_depth, seg->g.seg_flags, &g);
	/* Checked all before anything is kept, so a refusal changes nothing. */
	rc = req_take_back(seg, "status block", proto_fds_get(in, a->fds, PROTO_FD_STATUS),
	                   &seg->status.id, SEG_STATUS_SIZE, seg->status.fd >= 0 ? &seg->status
	                                                                         : &status, r);
	if (rc == ESHM_SUCCESS)
		rc = req_take_back(seg, "own block", proto_fds_get(in, a->fds, PROTO_FD_OWN),
		                   &ep->block.id, g.block_size,
		                   ep->block.fd >= 0 ? &ep->block : &own, r);
	/* The peer's block only helps an eshmd that lost it; one that is not
	 * the peer's current block (the client had not switched yet, or it
	 * lies) is ignored rather than refused. */
	if (rc == ESHM_SUCCESS && (a->fds & PROTO_FD_PEER) && seg->ep[!index].block.fd < 0 &&
	    seg->ep[!index].incarnation != 0 &&
	    memfd_verify(proto_fds_get(in, a->fds, PROTO_FD_PEER), &seg->ep[!index].block.id,
	                 g.block_size, NULL) == ESHM_SUCCESS)
		rc = req_take_back(seg, "peer block", proto_fds_get(in, a->fds, PROTO_FD_PEER),
		                   &seg->ep[!index].block.id, g.block_size, &peer, r);
	if (rc == ESHM_SUCCESS && status.fd >= 0 &&
	    seg_status_validate(seg_status_of(&status.map), SEG_STATUS_SIZE, &g) != ESHM_SUCCESS)
		rc = reply_status(r, ESHM_ERROR_PERMISSION, "the status block handed back is damaged");
	if (rc != ESHM_SUCCESS) {
		reg_memfd_clear(&status);
		reg_memfd_clear(&own);
		reg_memfd_clear(&peer);
		if (pidfd >= 0)
			close(pidfd);
		return rc;
	}
	if (status.fd >= 0) {
		seg->status = status;
		seg->restore_deadline_ns = 0;
		fds_put_status(seg);
	}
	if (own.fd >= 0) {
		ep->block = own;
		fds_put_block(seg, index);
	}
	if (peer.fd >= 0) {
		seg->ep[!index].block = peer;
		fds_put_block(seg, !index);
	}
	/* after an eshmd restart nothing is declared yet */
	if ((a->flags & PROTO_ATTACH_STAND_IN) && !ep->proxied)
		prx_stand_in(ep);
	stb_all(seg);
	ep_reattach(d, seg, index, c, pidfd);
	return req_attach_reply(c, seg, index, r);
}

static int
req_detach(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
           struct reply *r)
{
	const struct proto_name *n = body;
	struct reg_segment *seg = c->seg;

	if (c->obs_seg != NULL && strcmp(c->obs_seg->name, n->name) == 0) {
		obs_leave(d, c);
		return reply_status(r, ESHM_SUCCESS, "detached");
	}
	if (seg == NULL || strcmp(seg->name, n->name) != 0)
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "this connection holds no endpoint of %s",
		                    n->name);
	/* Answered only after, so the role is free when the client returns. */
	ep_detach(d, seg, c->role_index);
	cln_after_leave(d, seg);
	return reply_status(r, ESHM_SUCCESS, "detached");
}

static int
req_hello(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
          struct reply *r)
{
	const struct proto_hello *h = body;
	struct proto_hello_reply *hr = &reply_body(r, PROTO_REP_HELLO)->hello;

	c->hello = true;
	c->caps = h->caps & REQ_CAPS;
	hr->layout_version = SEG_LAYOUT_VERSION;
	hr->caps = REQ_CAPS;
	hr->max_capacity = d->set.max_capacity;
	hr->max_queue_depth = SEG_QUEUE_DEPTH_MAX;
	hr->max_observers = d->set.max_observers;
	snprintf(hr->version, sizeof(hr->version), "%s", PACKAGE_VERSION);
	log_msg(LOG_DEBUG, "pid %d says hello: %s, caps 0x%llx", (int)c->pid, h->software,
	        (unsigned long long)h->caps);
	return ESHM_SUCCESS;
}

static void
req_usage(const struct reg_usage *u, uint32_t max_segments, uint32_t max_connections,
          uint64_t max_bytes, struct proto_usage *out)
{
	out->segments = u->segments;
	out->connections = u->connections;
	out->bytes = u->bytes;
	out->max_segments = max_segments;
	out->max_connections = max_connections;
	out->max_bytes = max_bytes;
}

static int
req_status(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
           struct reply *r)
{
	struct proto_status_reply *st = &reply_body(r, PROTO_REP_DAEMON)->daemon;
	struct reg_usage mine = bud_usage(d, c->uid);
	const struct reg_segment *seg;

	st->pid = (int32_t)getpid();
	st->uptime_ms = (clock_mono_ns() - d->start_mono_ns) / 1000000u;
	st->segments = reg_counts(&d->reg, st->endpoints_by_state);
	st->check_interval_ms = d->set.check_interval_ms;
	for (seg = d->reg.head; seg != NULL; seg = seg->next)
		st->observers += seg->nobservers;
	snprintf(st->version, sizeof(st->version), "%s", PACKAGE_VERSION);
	snprintf(st->socket_path, sizeof(st->socket_path), "%s", d->set.socket_path);
	snprintf(st->shm_prefix, sizeof(st->shm_prefix), "%s", d->set.shm_prefix);
	req_usage(&d->reg.total, d->set.max_segments, d->set.max_clients, d->set.max_bytes,
	          &st->total);
	req_usage(&mine, c->uid == 0 ? d->set.max_segments : d->set.max_segments_user,
	          c->uid == 0 ? d->set.max_clients : d->set.max_clients_user,
	          c->uid == 0 ? d->set.max_bytes : d->set.max_bytes_user, &st->user);
	return ESHM_SUCCESS;
}

/* A block's word, loaded once: the block is the client's and only displayed. */
#define REQ_PEEK_WORD(field) atomic_load_explicit(&(field), memory_order_relaxed)

static void
req_fill_endpoint(const struct reg_segment *seg, int index, struct proto_endpoint_info *out)
{
	const struct reg_endpoint *ep = &seg->ep[index];
	const struct seg_block *b = seg_block_of(&ep->block.map);

	out->pid = (int32_t)ep->pid;
	out->state = reg_ep_shown(ep);
	out->uid = (uint32_t)ep->uid;
	out->stale_threshold_ms = ep->threshold_ms;
	out->judged_ms = ep->judged_ms;
	out->silent_ms = reg_ep_held(seg, index) ? live_silent_ms(&ep->live) : 0;
	out->heartbeat = b != NULL ? REQ_PEEK_WORD(b->heartbeat) : 0;
	out->heartbeat_rate = ep->rate.known ? ep->rate.per_s : PROTO_RATE_UNKNOWN;
	out->start_time = ep->start_time;
	out->attach_realtime_ns = ep->attach_realtime_ns;
	out->incarnation = ep->incarnation;
	snprintf(out->comm, sizeof(out->comm), "%s", ep->comm);
	if (ep->proxied) {
		out->flags |= PROTO_EP_BRIDGED;
		out->remote_pid = (int32_t)ep->remote_pid;
		snprintf(out->remote_host, sizeof(out->remote_host), "%s", ep->remote_host);
	}
}

static void
req_fill_channel(const struct reg_segment *seg, int index, struct proto_channel_info *out)
{
	const struct seg_block *w = seg_block_of(&seg->ep[index].block.map);
	const struct seg_block *rd = seg_block_of(&seg->ep[!index].block.map);

	if (w != NULL) {
		out->head = REQ_PEEK_WORD(w->head);
		if (out->head != 0) {
			uint32_t size = REQ_PEEK_WORD(
				seg_slot_at((struct seg_block *)w, &seg->g,
				            (uint32_t)(out->head % seg->g.slots))->size);

			out->last_size = size <= seg->g.capacity ? size : 0;
		}
	}
	if (rd != NULL) {
		out->position = REQ_PEEK_WORD(rd->reader.position);
		out->read_count = REQ_PEEK_WORD(rd->reader.reads);
		out->missed = REQ_PEEK_WORD(rd->reader.missed);
		out->retries = REQ_PEEK_WORD(rd->reader.retries);
		out->contended = REQ_PEEK_WORD(rd->reader.contended);
	}
	if (w != NULL && seg->g.mode == SEG_MODE_QUEUE)
		out->unread = (uint32_t)chan_queue_unread(w, seg->ep[index].incarnation,
		                                          rd != NULL ? &rd->reader : NULL, &seg->g);
	out->last_write_realtime_ns = seg->write_realtime_ns[index];
	out->missed_rate = seg->missed_rate[index].known ? seg->missed_rate[index].per_s
	                                                 : PROTO_RATE_UNKNOWN;
}

/* What SHOW and LIST tell of @seg. */
static void
req_fill_info(const struct eshmd *d, const struct reg_segment *seg,
              struct proto_segment_info *info)
{
	int i;

	memset(info, 0, sizeof(*info));
	info->layout_version = SEG_LAYOUT_VERSION;
	snprintf(info->name, sizeof(info->name), "%s", seg->name);
	info->capacity = seg->g.capacity;
	info->generation = seg->generation;
	info->created_realtime_ns = seg->created_realtime_ns;
	info->bytes = seg->bytes;
	info->stale_threshold_ms = seg->default_threshold_ms;
	info->flags = seg->g.seg_flags;
	info->verdict_flags = seg->verdict_flags;
	info->owner_uid = (uint32_t)seg->owner_uid;
	info->owner_gid = (uint32_t)seg->owner_gid;
	info->check_interval_ms = d->set.check_interval_ms;
	info->mode = seg->g.mode;
	info->queue_depth = seg->g.queue_depth;
	info->slots = seg->g.slots;
	info->observers = seg->nobservers;
	for (i = 0; i < 2; i++) {
		req_fill_endpoint(seg, i, &info->endpoint[i]);
		req_fill_channel(seg, i, &info->channel[i]);
	}
}

/* LIST's stream: the next segment the peer may see. */
static bool
req_list_next(const struct eshmd *d, const struct srv_conn *c, const struct reply_stream *how,
              struct reply_cursor *cur, union reply_body *item)
{
	const struct reg_segment *seg = cur->seg.at;

	while (seg != NULL && acc_check(d, c, seg) != ESHM_SUCCESS)
		seg = seg->next;
	if (seg == NULL) {
		cur->seg.at = NULL;
		return false;
	}
	req_fill_info(d, seg, &item->segment);
	cur->seg.at = seg->next;
	return true;
}

static int
req_list(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
         struct reply *r)
{
	reply_body(r, PROTO_REP_DONE);
	r->stream.type = PROTO_REP_SEGMENT;
	r->stream.next = req_list_next;
	return ESHM_SUCCESS;
}

static int
req_show(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
         struct reply *r)
{
	struct reg_segment *seg;
	int rc = req_lookup(d, c, ((const struct proto_name *)body)->name, &seg, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	req_fill_info(d, seg, &reply_body(r, PROTO_REP_SEGMENT)->segment);
	return ESHM_SUCCESS;
}

static int
req_observers(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
              struct reply *r)
{
	struct reg_segment *seg;
	int rc = req_lookup(d, c, ((const struct proto_name *)body)->name, &seg, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	obs_list(seg, &reply_body(r, PROTO_REP_OBSERVERS)->observers);
	return ESHM_SUCCESS;
}

static int
req_create(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
           struct reply *r)
{
	const struct proto_create *cr = body;
	uint64_t capacity = cr->capacity;
	uint32_t threshold = cr->stale_threshold_ms, depth = cr->queue_depth;
	struct reg_segment *seg;
	struct seg_geometry g;
	int rc;

	if (capacity == 0)
		capacity = SEG_CAPACITY_DEFAULT < d->set.max_capacity ? SEG_CAPACITY_DEFAULT
		                                                      : d->set.max_capacity;
	if (threshold == 0)
		threshold = d->set.default_stale_ms;
	if (cr->mode == SEG_MODE_QUEUE && depth == 0)
		depth = REQ_QUEUE_DEPTH_DEFAULT;
	if (reg_find(&d->reg, cr->name) != NULL)
		return reply_status(r, ESHM_ERROR_EXISTS, "segment %s exists", cr->name);
	seg_geometry(capacity, cr->mode, depth, req_seg_flags(cr->flags), &g);
	rc = req_create_segment(d, c, cr->name, &g, threshold, &seg, r);
	if (rc != ESHM_SUCCESS)
		return rc;
	fds_barrier();
	return reply_status(r, ESHM_SUCCESS, "created");
}

static int
req_remove(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
           struct reply *r)
{
	const struct proto_remove *rm = body;
	struct hist_subject subject;
	struct reg_segment *seg;
	int rc = req_lookup(d, c, rm->name, &seg, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	if ((reg_ep_held(seg, SEG_MASTER) || reg_ep_held(seg, SEG_SLAVE)) && !rm->force)
		return reply_status(r, ESHM_ERROR_BUSY,
		                    "segment %s has attached endpoints (force to revoke them)",
		                    rm->name);
	/* A holder removing its own segment keeps its connection. */
	if (c->seg == seg) {
		seg->ep[c->role_index].conn = NULL;
		c->seg = NULL;
	}
	subject = hist_segment(seg, c->pid, c->uid);
	hist_record(d, HIST_REMOVED, &subject, "segment %s removed by uid %u%s", seg->name,
	            (unsigned)c->uid, rm->force ? " (forced)" : "");
	cln_remove(d, seg, true);
	return reply_status(r, ESHM_SUCCESS, "removed");
}

static int
req_peek(struct eshmd *d, struct srv_conn *c, const void *body, struct proto_fds *in,
         struct reply *r)
{
	struct reg_segment *seg;
	struct proto_peek_reply *p;
	int rc = req_lookup(d, c, ((const struct proto_name *)body)->name, &seg, r), i;

	if (rc == ESHM_SUCCESS)
		rc = req_complete(seg, r);
	if (rc != ESHM_SUCCESS)
		return rc;
	p = &reply_body(r, PROTO_REP_PEEK)->peek;
	if (!req_pass_ro(&seg->status, r))
		return reply_status(r, ESHM_ERROR_SYSTEM, "cannot pass the status block of %s",
		                    seg->name);
	p->fds = PROTO_FD_STATUS;
	for (i = 0; i < 2; i++)
		if (req_pass_ro(&seg->ep[i].block, r)) {
			p->fds |= i == SEG_MASTER ? PROTO_FD_MASTER : PROTO_FD_SLAVE;
			p->incarnation[i] = seg->ep[i].incarnation;
		}
	return ESHM_SUCCESS;
}

static const struct req_kind req_kinds[] = {
	{PROTO_REQ_ATTACH, req_check_attach, req_attach, true},
	{PROTO_REQ_REATTACH, req_check_reattach, req_reattach, true},
	{PROTO_REQ_DETACH, req_check_named, req_detach, true},
	{PROTO_REQ_STATUS, req_check_plain, req_status, false},
	{PROTO_REQ_LIST, req_check_plain, req_list, false},
	{PROTO_REQ_SHOW, req_check_named, req_show, true},
	{PROTO_REQ_CREATE, req_check_create, req_create, true},
	{PROTO_REQ_REMOVE, req_check_remove, req_remove, true},
	{PROTO_REQ_PEEK, req_check_named, req_peek, true},
	{PROTO_REQ_HELLO, req_check_plain, req_hello, false},
	{PROTO_REQ_EVENTS, req_check_events, hreq_events, true},
	{PROTO_REQ_COUNTERS, req_check_plain, hreq_counters, false},
	{PROTO_REQ_PROXY, req_check_proxy, prx_request, true},
	{PROTO_REQ_OBSERVERS, req_check_named, req_observers, true},
};

/*
 * Count and record the refusal of request @k from @c with the answer in
 * @r, naming the segment the request named if that is a valid name.  The
 * refused user (and operators) may see it, whoever owns the segment.
 */
static void
req_note_refusal(struct eshmd *d, const struct srv_conn *c, const struct req_kind *k,
                 const void *body, const struct reply *r)
{
	const char *name = k->named && proto_name_valid(body) == ESHM_SUCCESS ? body : NULL;
	struct hist_subject s = {.segment = name, .role = -1, .pid = c->pid, .uid = c->uid,
	                         .owner = c->uid, .status = r->body.status.status};

	hist_refusal(d, HIST_REFUSED, &s, "%s%s%srefused pid %d uid %u: %s",
	             name != NULL ? "segment " : "", name != NULL ? name : "",
	             name != NULL ? ": " : "", (int)c->pid, (unsigned)c->uid,
	             r->body.status.message);
}

/* Answer a datagram proto_parse() refused with @rc.  Returns -1 to close. */
static int
req_refuse(const void *buf, size_t len, const struct proto_hdr *hdr, int rc, struct reply *r)
{
	uint32_t id = 0;

	/* Echo the id if there is one, so the sender matches the error. */
	if (len >= sizeof(struct proto_hdr))
		memcpy(&id, (const unsigned char *)buf + offsetof(struct proto_hdr, id), sizeof(id));
	reply_init(r, id);
	if (rc == ESHM_ERROR_VERSION_MISMATCH) {
		/* In the sender's own framing, so an old library reads it. */
		r->version = hdr->version;
		reply_status(r, rc, "protocol version %u is not spoken here: this eshmd speaks "
		                    "version %u; upgrade libeshm-client",
		             hdr->version, PROTO_VERSION);
	} else if (hdr != NULL && proto_body_size(hdr->type) < 0) {
		/* A later protocol feature: refused, the connection stays. */
		reply_status(r, ESHM_ERROR_PROTOCOL, "unknown request type %u", hdr->type);
		return 0;
	} else {
		reply_status(r, rc, "malformed request: %s", eshm_error_string(rc));
	}
	r->close = true;
	return -1;
}

int
req_handle(struct eshmd *d, struct srv_conn *c, const void *buf, size_t len,
           struct proto_fds *in, struct reply *r)
{
	const struct req_kind *k = NULL;
	const struct proto_hdr *hdr = NULL;
	const void *body;
	size_t i;
	int rc;

	rc = proto_parse(buf, len, &hdr, &body);
	if (rc != ESHM_SUCCESS)
		return req_refuse(buf, len, hdr, rc, r);
	reply_init(r, hdr->id);
	for (i = 0; i < sizeof(req_kinds) / sizeof(req_kinds[0]); i++)
		if (req_kinds[i].type == hdr->type)
			k = &req_kinds[i];
	if (k == NULL) {
		reply_status(r, ESHM_ERROR_PROTOCOL, "type %u is not a request", hdr->type);
		return 0;
	}
	rc = k->check(d, c, body, in, r);
	if (rc == ESHM_SUCCESS)
		rc = k->act(d, c, body, in, r);
	if (rc != ESHM_SUCCESS)
		req_note_refusal(d, c, k, body, r);
	return 0;
}
