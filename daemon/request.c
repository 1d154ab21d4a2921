/*
 * request.c - what eshmd does for each request, one way through: parse
 * the datagram, validate it with the one check of its type (every field,
 * before anything is touched), act, and leave the answer in a struct
 * reply that the server sends once.  An invalid request gets its
 * ESHM_ERROR_* and the next one is served as usual; a malformed datagram
 * (which no correct client sends) also ends the connection.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "adopt.h"
#include "cleanup.h"
#include "clock.h"
#include "endpoint.h"
#include "eshm.h"
#include "log.h"
#include "notify.h"
#include "procinfo.h"
#include "request.h"
#include "segment.h"

/* The flags an ATTACH or REATTACH may carry. */
#define REQ_ATTACH_FLAGS (PROTO_ATTACH_AUTO_CLEANUP | PROTO_ATTACH_SEGMENT_THRESHOLD)

/* One kind of request: its check, then what it does. */
struct req_kind {
	uint16_t type;
	/*
	 * Validate every field of @body, which proto_parse() accepted, for
	 * the peer of @c.  Returns 0, or the error left in @r.  NULL: the
	 * request has no body to check.
	 */
	int (*check)(const struct eshmd *d, const struct srv_conn *c, const void *body,
	             struct reply *r);
	/* Act on the valid @body and leave the answer in @r.  Returns its status. */
	int (*act)(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r);
};

/* ---------------------------------------------------------------- checks */

static int
req_check_name(const char *name, struct reply *r)
{
	int rc = proto_name_valid(name);

	return rc == ESHM_SUCCESS ? rc : reply_status(r, rc, "invalid segment name");
}

/* A capacity a new segment may have (0: the default, CREATE only). */
static int
req_check_capacity(const struct eshmd *d, uint64_t capacity, struct reply *r)
{
	if (capacity > d->set.max_capacity)
		return reply_status(r, ESHM_ERROR_LIMIT, "capacity %llu above max_capacity = %llu",
		                    (unsigned long long)capacity,
		                    (unsigned long long)d->set.max_capacity);
	return ESHM_SUCCESS;
}

/* What ATTACH and REATTACH both carry. */
static int
req_check_attach_fields(const struct srv_conn *c, const struct proto_attach *a, struct reply *r)
{
	int rc = req_check_name(a->name, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	if (c->seg != NULL)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "this connection already holds an endpoint");
	if (a->role > ESHM_ROLE_SLAVE)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "role %u is not a role", a->role);
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
	return ESHM_SUCCESS;
}

static int
req_check_attach(const struct eshmd *d, const struct srv_conn *c, const void *body,
                 struct reply *r)
{
	const struct proto_attach *a = body;
	int rc = req_check_attach_fields(c, a, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	if (a->capacity == 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "capacity 0");
	return req_check_capacity(d, a->capacity, r);
}

static int
req_check_reattach(const struct eshmd *d, const struct srv_conn *c, const void *body,
                   struct reply *r)
{
	const struct proto_attach *a = body;
	int rc = req_check_attach_fields(c, a, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	if (a->role == ESHM_ROLE_AUTO)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM, "reattach names the role it held");
	return ESHM_SUCCESS;
}

/* DETACH, SHOW and PEEK carry only a name. */
static int
req_check_named(const struct eshmd *d, const struct srv_conn *c, const void *body,
                struct reply *r)
{
	return req_check_name(((const struct proto_name *)body)->name, r);
}

static int
req_check_create(const struct eshmd *d, const struct srv_conn *c, const void *body,
                 struct reply *r)
{
	const struct proto_create *cr = body;
	int rc = req_check_name(cr->name, r);

	if (rc == ESHM_SUCCESS)
		rc = req_check_capacity(d, cr->capacity, r);
	if (rc != ESHM_SUCCESS)
		return rc;
	if (cr->stale_threshold_ms > ESHM_STALE_THRESHOLD_MS_MAX ||
	    (cr->flags & ~PROTO_ATTACH_AUTO_CLEANUP) != 0)
		return reply_status(r, ESHM_ERROR_INVALID_PARAM,
		                    "stale threshold above %u ms or unknown flags",
		                    ESHM_STALE_THRESHOLD_MS_MAX);
	return ESHM_SUCCESS;
}

static int
req_check_remove(const struct eshmd *d, const struct srv_conn *c, const void *body,
                 struct reply *r)
{
	return req_check_name(((const struct proto_remove *)body)->name, r);
}

/* ---------------------------------------------------------------- acting */

/* The segment called @name, if it exists and the peer of @c may use it. */
static int
req_lookup(struct eshmd *d, const struct srv_conn *c, const char *name, struct reg_segment **out,
           struct reply *r)
{
	*out = reg_find(&d->reg, name);
	if (*out == NULL)
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "no segment %s", name);
	if (acc_check(d, c, (*out)->map.header) != ESHM_SUCCESS)
		return reply_status(r, ESHM_ERROR_PERMISSION, "uid %u may not use segment %s",
		                    (unsigned)c->uid, name);
	return ESHM_SUCCESS;
}

/*
 * Create segment @name for the peer of @c into *@out.  An object of that
 * name already in /dev/shm is adopted if valid, and is the segment unless
 * @create_only.
 */
static int
req_create_segment(struct eshmd *d, const struct srv_conn *c, const char *name,
                   uint64_t capacity, uint32_t threshold, uint32_t flags, bool create_only,
                   struct reg_segment **out, struct reply *r)
{
	struct segobj_params p;
	struct reg_segment *seg;
	int rc;

	if (d->reg.count >= d->set.max_segments)
		return reply_status(r, ESHM_ERROR_LIMIT, "too many segments (max_segments = %u)",
		                    d->set.max_segments);
	memset(&p, 0, sizeof(p));
	p.capacity = capacity;
	p.stale_threshold_ms = threshold;
	p.flags = flags & PROTO_ATTACH_AUTO_CLEANUP ? SEG_FLAG_AUTO_CLEANUP : 0;
	p.owner_uid = c->uid;
	p.owner_gid = c->gid;
	p.generation = reg_next_generation(&d->reg);
	rc = segobj_create(d->set.shm_prefix, name, &p, &seg);
	if (rc == ESHM_ERROR_EXISTS) {
		/* Appeared behind eshmd's back: a valid segment is adopted (a
		 * CREATE still finds it exists), anything else is left alone. */
		rc = adopt_one(d, name, out);
		if (rc == ESHM_SUCCESS && !create_only)
			return ESHM_SUCCESS;
		return reply_status(r, rc == ESHM_SUCCESS ? ESHM_ERROR_EXISTS : rc,
		                    "/dev/shm/%s%s exists: %s", d->set.shm_prefix, name,
		                    rc == ESHM_SUCCESS ? "adopted it" : eshm_error_string(rc));
	}
	if (rc != ESHM_SUCCESS)
		return reply_status(r, rc, "cannot create segment %s: %s", name,
		                    eshm_error_string(rc));
	seg->empty_since_ns = clock_mono_ns();
	reg_insert(&d->reg, seg);
	log_msg(LOG_INFO, "segment %s created by uid %u (capacity %llu)", name, (unsigned)c->uid,
	        (unsigned long long)capacity);
	ntf_status(d);
	*out = seg;
	return ESHM_SUCCESS;
}

/*
 * Open @seg's object to pass it on (read-only if @read_only), checked to
 * be the object eshmd mapped, into r->fd.  Done before anything else is
 * touched, so a refused attach changes nothing.
 */
static int
req_pass_segment(const struct eshmd *d, const struct reg_segment *seg, bool read_only,
                 struct reply *r)
{
	int fd = segobj_reopen(d->set.shm_prefix, seg, read_only);

	if (fd < 0)
		return reply_status(r, fd, "cannot pass segment %s: %s (see eshmd's log)",
		                    seg->name, eshm_error_string(fd));
	r->fd = fd;
	return ESHM_SUCCESS;
}

/*
 * The stale threshold of the endpoint @a attaches to @seg: its own, or the
 * segment's default, set at its creation (eshmctl create --stale-ms, else
 * default_stale_threshold_ms).
 */
static uint32_t
req_threshold(const struct eshmd *d, const struct reg_segment *seg, const struct proto_attach *a)
{
	/* Read once: clients map the header read-write. */
	uint32_t t = *(const volatile uint32_t *)&seg->map.header->stale_threshold_ms;

	if (!(a->flags & PROTO_ATTACH_SEGMENT_THRESHOLD))
		return a->stale_threshold_ms;
	if (t < ESHM_STALE_THRESHOLD_MS_MIN || t > ESHM_STALE_THRESHOLD_MS_MAX) {
		log_msg(LOG_WARNING, "segment %s: default stale threshold %u ms out of bounds; "
		                     "taking default_stale_threshold_ms = %u",
		        seg->name, t, d->set.default_stale_ms);
		t = d->set.default_stale_ms;
	}
	return t;
}

/*
 * The answer to an accepted ATTACH or REATTACH of endpoint @index with
 * @threshold_ms; r->fd is the segment.
 */
static int
req_attach_reply(const struct reg_segment *seg, int index, uint32_t threshold_ms,
                 struct reply *r)
{
	struct proto_attach_reply *a = &reply_body(r, PROTO_REP_ATTACH)->attach;

	a->role = seg_role(index);
	a->capacity = seg->map.capacity;
	a->generation = seg->generation;
	a->total_size = seg_total_size(seg->map.capacity);
	a->stale_threshold_ms = threshold_ms;
	return ESHM_SUCCESS;
}

static int
req_attach(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	const struct proto_attach *a = body;
	struct reg_segment *seg;
	uint32_t threshold;
	int index, rc;

	if (reg_held_endpoints(&d->reg) >= d->set.max_endpoints)
		return reply_status(r, ESHM_ERROR_LIMIT, "too many endpoints (max_endpoints = %u)",
		                    d->set.max_endpoints);
	seg = reg_find(&d->reg, a->name);
	if (seg == NULL) {
		rc = req_create_segment(d, c, a->name, a->capacity, d->set.default_stale_ms,
		                        a->flags, false, &seg, r);
		if (rc != ESHM_SUCCESS)
			return rc;
	}
	if (acc_check(d, c, seg->map.header) != ESHM_SUCCESS)
		return reply_status(r, ESHM_ERROR_PERMISSION, "uid %u may not use segment %s",
		                    (unsigned)c->uid, a->name);
	if (a->role == ESHM_ROLE_AUTO)
		index = !reg_ep_held(seg, SEG_MASTER) ? SEG_MASTER
		        : !reg_ep_held(seg, SEG_SLAVE) ? SEG_SLAVE
		                                       : -1;
	else {
		index = seg_role_index(a->role);
		if (reg_ep_held(seg, index))
			index = -1;
	}
	if (index < 0)
		return reply_status(r, ESHM_ERROR_ROLE_TAKEN, "%s of %s held by a live endpoint",
		                    a->role == ESHM_ROLE_AUTO ? "both roles" : "the role", a->name);
	rc = req_pass_segment(d, seg, false, r);
	if (rc != ESHM_SUCCESS)
		return rc;
	threshold = req_threshold(d, seg, a);
	ep_attach(d, seg, index, c, threshold, a->heartbeat_period_us);
	return req_attach_reply(seg, index, threshold, r);
}

static int
req_reattach(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	const struct proto_attach *a = body;
	struct reg_segment *seg = reg_find(&d->reg, a->name);
	int index = seg_role_index(a->role), rc;
	struct seg_endpoint *e;
	uint64_t start = 0;

	if (seg == NULL || seg->generation != a->generation)
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "segment %s of generation %llu is gone",
		                    a->name, (unsigned long long)a->generation);
	e = seg->map.endpoint[index];
	/* Only the very process recorded for the role gets it back. */
	if (atomic_load_explicit(&e->pid, memory_order_relaxed) != (int32_t)c->pid ||
	    proc_start_time(c->pid, &start) < 0 ||
	    atomic_load_explicit(&e->start_time, memory_order_relaxed) != start)
		return reply_status(r, ESHM_ERROR_PERMISSION,
		                    "the %s of %s is recorded for another process",
		                    seg_role_name(index), a->name);
	if (!reg_ep_held(seg, index))
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "the %s of %s was released",
		                    seg_role_name(index), a->name);
	if (seg->ep[index].conn != NULL)
		return reply_status(r, ESHM_ERROR_ROLE_TAKEN,
		                    "the %s of %s is attached through another connection",
		                    seg_role_name(index), a->name);
	rc = req_pass_segment(d, seg, false, r);
	if (rc != ESHM_SUCCESS)
		return rc;
	ep_reattach(d, seg, index, c);
	return req_attach_reply(seg, index,
	                        atomic_load_explicit(&e->stale_threshold_ms, memory_order_relaxed),
	                        r);
}

static int
req_detach(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	const struct proto_name *n = body;
	struct reg_segment *seg = c->seg;

	if (seg == NULL || strcmp(seg->name, n->name) != 0)
		return reply_status(r, ESHM_ERROR_NOT_FOUND, "this connection holds no endpoint of %s",
		                    n->name);
	/* Answered only after, so the role is free when the client returns. */
	ep_detach(d, seg, c->role_index);
	cln_after_leave(d, seg);
	return reply_status(r, ESHM_SUCCESS, "detached");
}

static int
req_status(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	struct proto_status_reply *st = &reply_body(r, PROTO_REP_DAEMON)->daemon;

	st->pid = (int32_t)getpid();
	st->uptime_ms = (clock_mono_ns() - d->start_mono_ns) / 1000000u;
	st->segments = reg_counts(&d->reg, st->endpoints_by_state);
	st->check_interval_ms = d->set.check_interval_ms;
	snprintf(st->version, sizeof(st->version), "%s", PACKAGE_VERSION);
	snprintf(st->socket_path, sizeof(st->socket_path), "%s", d->set.socket_path);
	snprintf(st->shm_prefix, sizeof(st->shm_prefix), "%s", d->set.shm_prefix);
	return ESHM_SUCCESS;
}

static void
req_fill_endpoint(const struct reg_segment *seg, int index, struct proto_endpoint_info *out)
{
	const struct seg_endpoint *e = seg->map.endpoint[index];
	const struct reg_endpoint *ep = &seg->ep[index];

	out->pid = atomic_load_explicit(&e->pid, memory_order_relaxed);
	out->state = atomic_load_explicit(&e->state, memory_order_acquire);
	out->uid = atomic_load_explicit(&e->uid, memory_order_relaxed);
	out->stale_threshold_ms = atomic_load_explicit(&e->stale_threshold_ms, memory_order_relaxed);
	out->silent_ms = atomic_load_explicit(&e->silent_ms, memory_order_relaxed);
	out->heartbeat = atomic_load_explicit(&e->heartbeat, memory_order_relaxed);
	out->heartbeat_rate = ep->rate;
	out->start_time = atomic_load_explicit(&e->start_time, memory_order_relaxed);
	out->attach_realtime_ns = atomic_load_explicit(&e->attach_realtime_ns, memory_order_relaxed);
	snprintf(out->comm, sizeof(out->comm), "%s", ep->comm);
	if (out->comm[0] == '\0' && out->pid > 0 &&
	    (out->state == SEG_EP_ALIVE || out->state == SEG_EP_STALE))
		proc_comm(out->pid, out->comm, sizeof(out->comm));
}

static void
req_fill_channel(const struct reg_segment *seg, int index, struct proto_channel_info *out)
{
	const struct seg_channel *ch = seg->map.channel[index];
	const struct seg_reader *rd = seg->map.reader[index];

	out->seq = atomic_load_explicit(&ch->seq, memory_order_acquire);
	out->write_count = out->seq / 2;
	out->read_count = atomic_load_explicit(&rd->read_count, memory_order_relaxed);
	out->missed = atomic_load_explicit(&rd->missed, memory_order_relaxed);
	out->retries = atomic_load_explicit(&rd->retries, memory_order_relaxed);
	out->last_write_realtime_ns =
		atomic_load_explicit(&rd->last_write_realtime_ns, memory_order_relaxed);
	out->last_size = atomic_load_explicit(&ch->size, memory_order_relaxed);
}

/* What SHOW and LIST tell of @seg. */
static void
req_fill_info(const struct reg_segment *seg, struct proto_segment_info *info)
{
	const struct seg_header *h = seg->map.header;
	int i;

	memset(info, 0, sizeof(*info));
	info->status = ESHM_SUCCESS;
	info->layout_version = h->version;
	snprintf(info->name, sizeof(info->name), "%s", seg->name);
	info->capacity = seg->map.capacity;
	info->generation = seg->generation;
	info->created_realtime_ns = h->created_realtime_ns;
	info->stale_threshold_ms = h->stale_threshold_ms;
	info->flags = atomic_load_explicit(&h->flags, memory_order_relaxed);
	info->owner_uid = h->owner_uid;
	info->check_interval_ms =
		atomic_load_explicit(&seg->map.daemon->check_interval_ms, memory_order_relaxed);
	for (i = 0; i < 2; i++) {
		req_fill_endpoint(seg, i, &info->endpoint[i]);
		req_fill_channel(seg, i, &info->channel[i]);
	}
}

/* LIST's stream: the next segment the peer may see. */
static bool
req_list_next(const struct eshmd *d, const struct srv_conn *c, struct reply_stream *s,
              union reply_body *item)
{
	const struct reg_segment *seg = s->cursor;

	while (seg != NULL && acc_check(d, c, seg->map.header) != ESHM_SUCCESS)
		seg = seg->next;
	if (seg == NULL)
		return false;
	req_fill_info(seg, &item->segment);
	s->cursor = seg->next;
	return true;
}

static int
req_list(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	reply_body(r, PROTO_REP_DONE);
	r->stream.type = PROTO_REP_SEGMENT;
	r->stream.next = req_list_next;
	r->stream.cursor = d->reg.head;
	return ESHM_SUCCESS;
}

static int
req_show(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	struct reg_segment *seg;
	int rc = req_lookup(d, c, ((const struct proto_name *)body)->name, &seg, r);

	if (rc != ESHM_SUCCESS)
		return rc;
	req_fill_info(seg, &reply_body(r, PROTO_REP_SEGMENT)->segment);
	return ESHM_SUCCESS;
}

static int
req_create(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	const struct proto_create *cr = body;
	uint64_t capacity = cr->capacity;
	uint32_t threshold = cr->stale_threshold_ms;
	struct reg_segment *seg;
	int rc;

	if (capacity == 0)
		capacity = SEG_CAPACITY_DEFAULT < d->set.max_capacity ? SEG_CAPACITY_DEFAULT
		                                                      : d->set.max_capacity;
	if (threshold == 0)
		threshold = d->set.default_stale_ms;
	if (reg_find(&d->reg, cr->name) != NULL)
		return reply_status(r, ESHM_ERROR_EXISTS, "segment %s exists", cr->name);
	rc = req_create_segment(d, c, cr->name, capacity, threshold, cr->flags, true, &seg, r);
	if (rc != ESHM_SUCCESS)
		return rc;
	return reply_status(r, ESHM_SUCCESS, "created");
}

static int
req_remove(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	const struct proto_remove *rm = body;
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
	log_msg(LOG_NOTICE, "segment %s removed by uid %u%s", seg->name, (unsigned)c->uid,
	        rm->force ? " (forced)" : "");
	cln_remove(d, seg, true);
	return reply_status(r, ESHM_SUCCESS, "removed");
}

static int
req_peek(struct eshmd *d, struct srv_conn *c, const void *body, struct reply *r)
{
	struct reg_segment *seg;
	int rc = req_lookup(d, c, ((const struct proto_name *)body)->name, &seg, r);

	if (rc == ESHM_SUCCESS)
		rc = req_pass_segment(d, seg, true, r);
	if (rc != ESHM_SUCCESS)
		return rc;
	return reply_status(r, ESHM_SUCCESS, "read-only");
}

static const struct req_kind req_kinds[] = {
	{PROTO_REQ_ATTACH, req_check_attach, req_attach},
	{PROTO_REQ_REATTACH, req_check_reattach, req_reattach},
	{PROTO_REQ_DETACH, req_check_named, req_detach},
	{PROTO_REQ_STATUS, NULL, req_status},
	{PROTO_REQ_LIST, NULL, req_list},
	{PROTO_REQ_SHOW, req_check_named, req_show},
	{PROTO_REQ_CREATE, req_check_create, req_create},
	{PROTO_REQ_REMOVE, req_check_remove, req_remove},
	{PROTO_REQ_PEEK, req_check_named, req_peek},
};

int
req_handle(struct eshmd *d, struct srv_conn *c, const void *buf, size_t len, struct reply *r)
{
	const struct req_kind *k = NULL;
	const struct proto_hdr *hdr;
	const void *body;
	uint32_t id = 0;
	size_t i;
	int rc;

	rc = proto_parse(buf, len, &hdr, &body);
	if (rc != ESHM_SUCCESS) {
		/* Echo the id if there is one, so the sender matches the error. */
		if (len >= sizeof(struct proto_hdr))
			memcpy(&id, (const unsigned char *)buf + offsetof(struct proto_hdr, id),
			       sizeof(id));
		reply_init(r, id);
		reply_status(r, rc, "malformed request: %s", eshm_error_string(rc));
		return -1;
	}
	reply_init(r, hdr->id);
	for (i = 0; i < sizeof(req_kinds) / sizeof(req_kinds[0]); i++)
		if (req_kinds[i].type == hdr->type)
			k = &req_kinds[i];
	if (k == NULL) {
		/* A reply type sent as a request. */
		reply_status(r, ESHM_ERROR_PROTOCOL, "type %u is not a request", hdr->type);
		return -1;
	}
	rc = k->check != NULL ? k->check(d, c, body, r) : ESHM_SUCCESS;
	if (rc == ESHM_SUCCESS)
		rc = k->act(d, c, body, r);
	if (rc != ESHM_SUCCESS)
		log_msg(LOG_DEBUG, "pid %d: request %u refused: %s", (int)c->pid, hdr->type,
		        r->body.status.message);
	return 0;
}
