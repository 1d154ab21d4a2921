/*
 * request.c - what eshmd does for each request: parse, validate, act,
 * reply.  Everything a client sends is checked here, at the edge, before
 * anything is touched; an invalid request gets its ESHM_ERROR_* and the
 * next one is served as usual.  A malformed datagram (which no correct
 * client sends) also ends the connection.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "eshm.h"
#include "log.h"
#include "procinfo.h"
#include "segment.h"

/* The segment @name if the peer may see it; else replies and returns NULL. */
static struct reg_segment *
req_lookup(struct eshmd *d, struct srv_conn *c, uint32_t id, const char *name)
{
	struct reg_segment *seg;
	int rc = proto_name_valid(name);

	if (rc != ESHM_SUCCESS) {
		srv_reply_status(d, c, id, rc, "invalid segment name");
		return NULL;
	}
	seg = reg_find(&d->reg, name);
	if (seg == NULL) {
		srv_reply_status(d, c, id, ESHM_ERROR_NOT_FOUND, "no segment %s", name);
		return NULL;
	}
	if (acc_check(d, c, seg->map.header) != ESHM_SUCCESS) {
		srv_reply_status(d, c, id, ESHM_ERROR_PERMISSION,
		                 "uid %u may not use segment %s", (unsigned)c->uid, name);
		return NULL;
	}
	return seg;
}

/*
 * Create segment @name; replies on error and returns NULL.  An object of
 * that name already in /dev/shm is adopted if valid, unless @create_only.
 */
static struct reg_segment *
req_create_segment(struct eshmd *d, struct srv_conn *c, uint32_t id, const char *name,
                   uint64_t capacity, uint32_t threshold, uint32_t flags, bool create_only)
{
	struct segobj_params p;
	struct reg_segment *seg;
	int rc;

	if (d->reg.count >= d->set.max_segments) {
		srv_reply_status(d, c, id, ESHM_ERROR_LIMIT, "too many segments (max_segments = %u)",
		                 d->set.max_segments);
		return NULL;
	}
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
		rc = adopt_one(d, name, &seg);
		if (rc == ESHM_SUCCESS && !create_only)
			return seg;
		srv_reply_status(d, c, id, rc == ESHM_SUCCESS ? ESHM_ERROR_EXISTS : rc,
		                 "/dev/shm/%s%s exists: %s", d->set.shm_prefix, name,
		                 rc == ESHM_SUCCESS ? "adopted it" : eshm_error_string(rc));
		return NULL;
	}
	if (rc != ESHM_SUCCESS) {
		srv_reply_status(d, c, id, rc, "cannot create segment %s: %s", name,
		                 eshm_error_string(rc));
		return NULL;
	}
	seg->empty_since_ns = clock_mono_ns();
	reg_insert(&d->reg, seg);
	log_msg(LOG_INFO, "segment %s created by uid %u (capacity %llu)", name, (unsigned)c->uid,
	        (unsigned long long)capacity);
	ntf_status(d);
	return seg;
}

/*
 * The read-write descriptor of @seg to pass on, opened by name and checked
 * to be the object eshmd mapped; on refusal replies and returns -1.  Taken
 * before the endpoint is touched, so a refused attach changes nothing.
 */
static int
req_open_for_attach(struct eshmd *d, struct srv_conn *c, uint32_t id, struct reg_segment *seg)
{
	int fd = segobj_reopen(d->set.shm_prefix, seg, false);

	if (fd < 0) {
		srv_reply_status(d, c, id, fd, "cannot pass segment %s: %s (see eshmd's log)",
		                 seg->name, eshm_error_string(fd));
		return -1;
	}
	return fd;
}

/* Reply to an accepted ATTACH or REATTACH, passing @fd, and close it. */
static void
req_reply_attach(struct eshmd *d, struct srv_conn *c, uint32_t id, struct reg_segment *seg,
                 int index, int fd)
{
	struct proto_attach_reply r;

	memset(&r, 0, sizeof(r));
	r.status = ESHM_SUCCESS;
	r.role = seg_role(index);
	r.capacity = seg->map.capacity;
	r.generation = seg->generation;
	r.total_size = seg_total_size(seg->map.capacity);
	srv_reply(d, c, PROTO_REP_ATTACH, id, &r, fd);
	close(fd);
}

/* Checks shared by ATTACH and REATTACH; replies and returns -1 on error. */
static int
req_check_attach(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct proto_attach *a)
{
	int rc = proto_name_valid(a->name);

	if (rc != ESHM_SUCCESS) {
		srv_reply_status(d, c, id, rc, "invalid segment name");
		return -1;
	}
	if (c->seg != NULL) {
		srv_reply_status(d, c, id, ESHM_ERROR_INVALID_PARAM,
		                 "this connection already holds an endpoint");
		return -1;
	}
	if (a->role > ESHM_ROLE_SLAVE) {
		srv_reply_status(d, c, id, ESHM_ERROR_INVALID_PARAM, "role %u is not a role",
		                 a->role);
		return -1;
	}
	if (a->stale_threshold_ms < ESHM_STALE_THRESHOLD_MS_MIN ||
	    a->stale_threshold_ms > ESHM_STALE_THRESHOLD_MS_MAX) {
		srv_reply_status(d, c, id, ESHM_ERROR_INVALID_PARAM,
		                 "stale threshold %u ms outside %u..%u", a->stale_threshold_ms,
		                 ESHM_STALE_THRESHOLD_MS_MIN, ESHM_STALE_THRESHOLD_MS_MAX);
		return -1;
	}
	if (a->disconnect_behavior > ESHM_DISCONNECT_NEVER ||
	    (a->flags & ~PROTO_ATTACH_AUTO_CLEANUP) != 0) {
		srv_reply_status(d, c, id, ESHM_ERROR_INVALID_PARAM,
		                 "unknown disconnect behaviour or flags");
		return -1;
	}
	return 0;
}

static void
req_attach(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct proto_attach *a)
{
	struct reg_segment *seg;
	int index, fd;

	if (req_check_attach(d, c, id, a) < 0)
		return;
	if (a->capacity == 0) {
		srv_reply_status(d, c, id, ESHM_ERROR_INVALID_PARAM, "capacity 0");
		return;
	}
	if (a->capacity > d->set.max_capacity) {
		srv_reply_status(d, c, id, ESHM_ERROR_LIMIT,
		                 "capacity %llu above max_capacity = %llu",
		                 (unsigned long long)a->capacity,
		                 (unsigned long long)d->set.max_capacity);
		return;
	}
	if (reg_held_endpoints(&d->reg) >= d->set.max_endpoints) {
		srv_reply_status(d, c, id, ESHM_ERROR_LIMIT,
		                 "too many endpoints (max_endpoints = %u)", d->set.max_endpoints);
		return;
	}
	seg = reg_find(&d->reg, a->name);
	if (seg == NULL) {
		seg = req_create_segment(d, c, id, a->name, a->capacity, d->set.default_stale_ms,
		                         a->flags, false);
		if (seg == NULL)
			return;
	}
	if (acc_check(d, c, seg->map.header) != ESHM_SUCCESS) {
		srv_reply_status(d, c, id, ESHM_ERROR_PERMISSION,
		                 "uid %u may not use segment %s", (unsigned)c->uid, a->name);
		return;
	}
	if (a->role == ESHM_ROLE_AUTO)
		index = !reg_ep_held(seg, SEG_MASTER) ? SEG_MASTER
		        : !reg_ep_held(seg, SEG_SLAVE) ? SEG_SLAVE
		                                       : -1;
	else {
		index = seg_role_index(a->role);
		if (reg_ep_held(seg, index))
			index = -1;
	}
	if (index < 0) {
		srv_reply_status(d, c, id, ESHM_ERROR_ROLE_TAKEN, "%s of %s held by a live endpoint",
		                 a->role == ESHM_ROLE_AUTO ? "both roles" : "the role", a->name);
		return;
	}
	fd = req_open_for_attach(d, c, id, seg);
	if (fd < 0)
		return;
	ep_attach(d, seg, index, c, a->stale_threshold_ms, a->heartbeat_period_us);
	req_reply_attach(d, c, id, seg, index, fd);
}

static void
req_reattach(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct proto_attach *a)
{
	struct reg_segment *seg;
	struct seg_endpoint *e;
	uint64_t start = 0;
	int index, fd;

	if (req_check_attach(d, c, id, a) < 0)
		return;
	if (a->role == ESHM_ROLE_AUTO) {
		srv_reply_status(d, c, id, ESHM_ERROR_INVALID_PARAM,
		                 "reattach names the role it held");
		return;
	}
	seg = reg_find(&d->reg, a->name);
	if (seg == NULL || seg->generation != a->generation) {
		srv_reply_status(d, c, id, ESHM_ERROR_NOT_FOUND,
		                 "segment %s of generation %llu is gone", a->name,
		                 (unsigned long long)a->generation);
		return;
	}
	index = seg_role_index(a->role);
	e = seg->map.endpoint[index];
	/* Only the very process recorded for the role gets it back. */
	if (atomic_load_explicit(&e->pid, memory_order_relaxed) != (int32_t)c->pid ||
	    proc_start_time(c->pid, &start) < 0 ||
	    atomic_load_explicit(&e->start_time, memory_order_relaxed) != start) {
		srv_reply_status(d, c, id, ESHM_ERROR_PERMISSION,
		                 "the %s of %s is recorded for another process",
		                 seg_role_name(index), a->name);
		return;
	}
	if (!reg_ep_held(seg, index)) {
		srv_reply_status(d, c, id, ESHM_ERROR_NOT_FOUND, "the %s of %s was released",
		                 seg_role_name(index), a->name);
		return;
	}
	if (seg->ep[index].conn != NULL) {
		srv_reply_status(d, c, id, ESHM_ERROR_ROLE_TAKEN,
		                 "the %s of %s is attached through another connection",
		                 seg_role_name(index), a->name);
		return;
	}
	fd = req_open_for_attach(d, c, id, seg);
	if (fd < 0)
		return;
	ep_reattach(d, seg, index, c);
	req_reply_attach(d, c, id, seg, index, fd);
}

static void
req_detach(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct proto_name *n)
{
	struct reg_segment *seg;
	int rc = proto_name_valid(n->name);

	if (rc != ESHM_SUCCESS) {
		srv_reply_status(d, c, id, rc, "invalid segment name");
		return;
	}
	if (c->seg == NULL || strcmp(c->seg->name, n->name) != 0) {
		srv_reply_status(d, c, id, ESHM_ERROR_NOT_FOUND,
		                 "this connection holds no endpoint of %s", n->name);
		return;
	}
	/* Answered only now, so the role is free when the client returns. */
	seg = c->seg;
	ep_detach(d, seg, c->role_index);
	cln_after_leave(d, seg);
	srv_reply_status(d, c, id, ESHM_SUCCESS, "detached");
}

static void
req_status(struct eshmd *d, struct srv_conn *c, uint32_t id)
{
	struct proto_status_reply r;

	memset(&r, 0, sizeof(r));
	r.status = ESHM_SUCCESS;
	r.pid = (int32_t)getpid();
	r.uptime_ms = (clock_mono_ns() - d->start_mono_ns) / 1000000u;
	r.segments = reg_counts(&d->reg, r.endpoints_by_state);
	r.check_interval_ms = d->set.check_interval_ms;
	snprintf(r.version, sizeof(r.version), "%s", PACKAGE_VERSION);
	snprintf(r.socket_path, sizeof(r.socket_path), "%s", d->set.socket_path);
	snprintf(r.shm_prefix, sizeof(r.shm_prefix), "%s", d->set.shm_prefix);
	srv_reply(d, c, PROTO_REP_DAEMON, id, &r, -1);
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

static void
req_send_info(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct reg_segment *seg)
{
	const struct seg_header *h = seg->map.header;
	struct proto_segment_info info;
	int i;

	memset(&info, 0, sizeof(info));
	info.status = ESHM_SUCCESS;
	info.layout_version = h->version;
	snprintf(info.name, sizeof(info.name), "%s", seg->name);
	info.capacity = seg->map.capacity;
	info.generation = seg->generation;
	info.created_realtime_ns = h->created_realtime_ns;
	info.stale_threshold_ms = h->stale_threshold_ms;
	info.flags = atomic_load_explicit(&h->flags, memory_order_relaxed);
	info.owner_uid = h->owner_uid;
	info.check_interval_ms =
		atomic_load_explicit(&seg->map.daemon->check_interval_ms, memory_order_relaxed);
	for (i = 0; i < 2; i++) {
		req_fill_endpoint(seg, i, &info.endpoint[i]);
		req_fill_channel(seg, i, &info.channel[i]);
	}
	srv_reply(d, c, PROTO_REP_SEGMENT, id, &info, -1);
}

static void
req_list(struct eshmd *d, struct srv_conn *c, uint32_t id)
{
	const struct reg_segment *seg;
	struct proto_status done;

	for (seg = d->reg.head; seg != NULL; seg = seg->next)
		if (acc_check(d, c, seg->map.header) == ESHM_SUCCESS)
			req_send_info(d, c, id, seg);
	memset(&done, 0, sizeof(done));
	done.status = ESHM_SUCCESS;
	srv_reply(d, c, PROTO_REP_DONE, id, &done, -1);
}

static void
req_show(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct proto_name *n)
{
	struct reg_segment *seg = req_lookup(d, c, id, n->name);

	if (seg != NULL)
		req_send_info(d, c, id, seg);
}

static void
req_create(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct proto_create *r)
{
	uint64_t capacity = r->capacity;
	uint32_t threshold = r->stale_threshold_ms;
	int rc = proto_name_valid(r->name);

	if (rc != ESHM_SUCCESS) {
		srv_reply_status(d, c, id, rc, "invalid segment name");
		return;
	}
	if (capacity == 0)
		capacity = SEG_CAPACITY_DEFAULT < d->set.max_capacity ? SEG_CAPACITY_DEFAULT
		                                                      : d->set.max_capacity;
	if (capacity > d->set.max_capacity) {
		srv_reply_status(d, c, id, ESHM_ERROR_LIMIT,
		                 "capacity %llu above max_capacity = %llu",
		                 (unsigned long long)capacity,
		                 (unsigned long long)d->set.max_capacity);
		return;
	}
	if (threshold == 0)
		threshold = d->set.default_stale_ms;
	if (threshold > ESHM_STALE_THRESHOLD_MS_MAX || (r->flags & ~PROTO_ATTACH_AUTO_CLEANUP) != 0) {
		srv_reply_status(d, c, id, ESHM_ERROR_INVALID_PARAM,
		                 "stale threshold above %u ms or unknown flags",
		                 ESHM_STALE_THRESHOLD_MS_MAX);
		return;
	}
	if (reg_find(&d->reg, r->name) != NULL) {
		srv_reply_status(d, c, id, ESHM_ERROR_EXISTS, "segment %s exists", r->name);
		return;
	}
	if (req_create_segment(d, c, id, r->name, capacity, threshold, r->flags, true) != NULL)
		srv_reply_status(d, c, id, ESHM_SUCCESS, "created");
}

static void
req_remove(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct proto_remove *r)
{
	struct reg_segment *seg = req_lookup(d, c, id, r->name);

	if (seg == NULL)
		return;
	if ((reg_ep_held(seg, SEG_MASTER) || reg_ep_held(seg, SEG_SLAVE)) && !r->force) {
		srv_reply_status(d, c, id, ESHM_ERROR_BUSY,
		                 "segment %s has attached endpoints (force to revoke them)",
		                 r->name);
		return;
	}
	/* A holder removing its own segment keeps its connection. */
	if (c->seg == seg) {
		seg->ep[c->role_index].conn = NULL;
		c->seg = NULL;
	}
	log_msg(LOG_NOTICE, "segment %s removed by uid %u%s", seg->name, (unsigned)c->uid,
	        r->force ? " (forced)" : "");
	cln_remove(d, seg, true);
	srv_reply_status(d, c, id, ESHM_SUCCESS, "removed");
}

static void
req_peek(struct eshmd *d, struct srv_conn *c, uint32_t id, const struct proto_name *n)
{
	struct reg_segment *seg = req_lookup(d, c, id, n->name);
	struct proto_status st;
	int fd;

	if (seg == NULL)
		return;
	fd = segobj_reopen(d->set.shm_prefix, seg, true);
	if (fd < 0) {
		srv_reply_status(d, c, id, fd, "cannot pass segment %s: %s (see eshmd's log)",
		                 seg->name, eshm_error_string(fd));
		return;
	}
	memset(&st, 0, sizeof(st));
	st.status = ESHM_SUCCESS;
	snprintf(st.message, sizeof(st.message), "read-only");
	srv_reply(d, c, PROTO_REP_STATUS, id, &st, fd);
	close(fd);
}

int
req_handle(struct eshmd *d, struct srv_conn *c, const void *buf, size_t len)
{
	const struct proto_hdr *hdr;
	const void *body;
	uint32_t id = 0;
	int rc;

	rc = proto_parse(buf, len, &hdr, &body);
	if (rc != ESHM_SUCCESS) {
		/* Echo the id if there is one, so the sender matches the error. */
		if (len >= sizeof(struct proto_hdr))
			memcpy(&id, (const unsigned char *)buf + offsetof(struct proto_hdr, id),
			       sizeof(id));
		srv_reply_status(d, c, id, rc, "malformed request: %s", eshm_error_string(rc));
		return -1;
	}
	id = hdr->id;
	pthread_mutex_lock(&d->reg.lock);
	switch (hdr->type) {
	case PROTO_REQ_ATTACH:
		req_attach(d, c, id, body);
		break;
	case PROTO_REQ_REATTACH:
		req_reattach(d, c, id, body);
		break;
	case PROTO_REQ_DETACH:
		req_detach(d, c, id, body);
		break;
	case PROTO_REQ_STATUS:
		req_status(d, c, id);
		break;
	case PROTO_REQ_LIST:
		req_list(d, c, id);
		break;
	case PROTO_REQ_SHOW:
		req_show(d, c, id, body);
		break;
	case PROTO_REQ_CREATE:
		req_create(d, c, id, body);
		break;
	case PROTO_REQ_REMOVE:
		req_remove(d, c, id, body);
		break;
	case PROTO_REQ_PEEK:
		req_peek(d, c, id, body);
		break;
	default:
		/* A reply type sent as a request. */
		pthread_mutex_unlock(&d->reg.lock);
		srv_reply_status(d, c, id, ESHM_ERROR_PROTOCOL, "type %u is not a request",
		                 hdr->type);
		return -1;
	}
	pthread_mutex_unlock(&d->reg.lock);
	return 0;
}
