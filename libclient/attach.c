/*
 * attach.c - the endpoint's requests to eshmd (attach, reattach after an
 * eshmd restart, detach) and the descriptors they bring: the status block
 * (read-only), the endpoint's own block (read-write), the peer's block
 * (read-only) and a pidfd of the peer's process.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"

/* Take the descriptor of @bit out of @fds, which came with @mask; -1 if absent. */
static int
att_take(struct proto_fds *fds, uint32_t mask, uint32_t bit)
{
	if (proto_fds_get(fds, mask, bit) < 0)
		return -1;
	return proto_fds_take(fds, (unsigned)__builtin_popcount(mask & (bit - 1)));
}

static void
att_fill(const struct ESHMHandle *h, struct proto_attach *req)
{
	memset(req, 0, sizeof(*req));
	memcpy(req->name, h->name, sizeof(req->name));
	req->role = (uint32_t)h->config.role;
	req->stale_threshold_ms = h->config.stale_threshold_ms;
	if (req->stale_threshold_ms == 0)
		req->flags |= PROTO_ATTACH_SEGMENT_THRESHOLD;
	req->disconnect_behavior = (uint32_t)h->config.disconnect_behavior;
	if (h->config.auto_cleanup)
		req->flags |= PROTO_ATTACH_AUTO_CLEANUP;
	req->capacity = h->options.capacity;
	req->mode = h->options.channel_mode == ESHM_CHANNEL_QUEUE ? SEG_MODE_QUEUE : SEG_MODE_LATEST;
	req->queue_depth = req->mode == SEG_MODE_QUEUE ? h->options.queue_depth : 0;
	if (h->options.timestamps)
		req->flags |= PROTO_ATTACH_TIMESTAMPS;
	if (h->options.stand_in)
		req->flags |= PROTO_ATTACH_STAND_IN;
	req->takeover_ms = h->options.takeover_ms;
	req->observed = h->config.role == ESHM_ROLE_OBSERVER ? h->options.observed : 0;
	req->heartbeat_period_us = h->config.use_threads ? h->options.heartbeat_period_us : 0;
}

/* Map the status block and the own block eshmd passed, and check they
 * are the segment its reply describes. */
static int
att_map(struct ESHMHandle *h, const struct proto_attach_reply *r, struct proto_fds *fds)
{
	int status_fd = proto_fds_get(fds, r->fds, PROTO_FD_STATUS);
	int own_fd = proto_fds_get(fds, r->fds, PROTO_FD_OWN);
	int rc, err;

	if (status_fd < 0 || own_fd < 0)
		return lib_fail(ESHM_ERROR_PROTOCOL, "eshmd's reply lacks the segment's descriptors");
	rc = seg_map_status(status_fd, false, &h->status_map, &h->g);
	if (rc != ESHM_SUCCESS)
		return lib_fail(rc, "the status block eshmd passed is not valid");
	h->st = seg_status_of(&h->status_map);
	if (h->st->ident.generation != r->generation)
		return lib_fail(ESHM_ERROR_PROTOCOL, "the status block is not the segment attached");
	rc = seg_map_block(own_fd, &h->g, h->observer, true, &h->own_map);
	if (rc != ESHM_SUCCESS)
		return lib_fail(rc, "the endpoint block eshmd passed is not valid");
	if (h->observer) {
		h->rd_part = seg_observer_of(&h->own_map);
	} else {
		h->own = seg_block_of(&h->own_map);
		h->rd_part = &h->own->reader;
	}
	/* Reserve every page of the own block now: a shortage of memory is an
	 * error of eshm_init(), never a SIGBUS in a later write.  The pages
	 * are charged to this process's memory cgroup. */
	err = posix_fallocate(own_fd, 0, (off_t)h->own_map.size);
	if (err != 0)
		return lib_fail(err == ENOSPC || err == ENOMEM ? ESHM_ERROR_NO_MEMORY
		                                                : ESHM_ERROR_SYSTEM,
		                "cannot reserve the %llu bytes of the endpoint block: %s",
		                (unsigned long long)h->own_map.size, strerror(err));
	/* A forked child holds none of this endpoint's memory. */
	madvise(h->status_map.base, h->status_map.size, MADV_DONTFORK);
	madvise(h->own_map.base, h->own_map.size, MADV_DONTFORK);
	h->status_fd = att_take(fds, r->fds, PROTO_FD_STATUS);
	h->own_fd = att_take(fds, r->fds, PROTO_FD_OWN);
	return ESHM_SUCCESS;
}

/* Take the peer's block and pidfd a reply brought, if newer than ours. */
static int
att_take_peer(struct ESHMHandle *h, uint32_t mask, struct proto_fds *fds, uint64_t incarnation,
              int32_t pid)
{
	struct lib_peer *cur = atomic_load_explicit(&h->peer_latest, memory_order_acquire);
	int rc = ESHM_SUCCESS, fd;

	if (proto_fds_get(fds, mask, PROTO_FD_PEER) >= 0 &&
	    (cur == NULL || cur->incarnation != incarnation)) {
		rc = peer_publish(h, att_take(fds, mask, PROTO_FD_PEER), incarnation);
		if (rc != ESHM_SUCCESS)
			return rc;
	}
	fd = att_take(fds, mask, PROTO_FD_PIDFD);
	if (fd >= 0) {
		if (h->peer_pidfd >= 0)
			close(h->peer_pidfd);
		h->peer_pidfd = fd;
		h->peer_pid = pid;
		pthread_mutex_lock(&h->lock);
		h->peer_exited = false;
		pthread_mutex_unlock(&h->lock);
	}
	return rc;
}

int
att_attach(struct ESHMHandle *h, int sock)
{
	char message[PROTO_TEXT_SIZE];
	struct proto_attach_reply reply;
	struct proto_attach req;
	struct proto_fds fds;
	struct lib_peer *p;
	int rc;

	att_fill(h, &req);
	rc = proto_call(sock, PROTO_REQ_ATTACH, &req, NULL, PROTO_REP_ATTACH, &reply, &fds,
	                message, (int)h->options.connect_timeout_ms);
	if (rc != ESHM_SUCCESS) {
		proto_fds_close(&fds);
		if (message[0] != '\0')
			return lib_fail(rc, "%s", message);
		return lib_fail(rc, "%s", eshm_error_string(rc));
	}
	h->observer = reply.role == ESHM_ROLE_OBSERVER;
	if ((h->observer ? h->config.role != ESHM_ROLE_OBSERVER || reply.slot >= SEG_OBSERVERS_MAX
	                 : seg_role_index(reply.role) < 0) ||
	    reply.stale_threshold_ms < ESHM_STALE_THRESHOLD_MS_MIN ||
	    reply.stale_threshold_ms > ESHM_STALE_THRESHOLD_MS_MAX) {
		proto_fds_close(&fds);
		return lib_fail(ESHM_ERROR_PROTOCOL, "eshmd's attach reply is malformed");
	}
	/* An observer reads the observed writer's channel as that writer's
	 * peer does. */
	h->role = h->observer ? 1 - seg_role_index(h->options.observed)
	                      : seg_role_index(reply.role);
	h->obs_slot = h->observer ? reply.slot : 0;
	h->generation = reply.generation;
	h->incarnation = reply.incarnation;
	h->config.stale_threshold_ms = reply.stale_threshold_ms;
	rc = att_map(h, &reply, &fds);
	if (rc == ESHM_SUCCESS)
		rc = att_take_peer(h, reply.fds, &fds, reply.peer_incarnation, reply.peer_pid);
	proto_fds_close(&fds);
	if (rc != ESHM_SUCCESS)
		return rc;
	if (!h->observer) {
		chan_writer_init(&h->writer, h->own, &h->g);
		h->writer.incarnation = h->incarnation;
	}
	p = atomic_load_explicit(&h->peer_latest, memory_order_relaxed);
	if (p != NULL) {
		/* the read side is on it: a queue's reader drains it before
		 * moving to a later writer's block */
		io_cursor_start(h, p);
		atomic_store_explicit(&h->peer_rd, p, memory_order_relaxed);
	}
	/* before this handle's first write: its writes may then use the
	 * light fence (common/channel.h) */
	chan_membarrier_setup();
	return ESHM_SUCCESS;
}

void
att_reattach_request(const struct ESHMHandle *h, struct proto_attach *req, struct proto_fds *fds)
{
	struct lib_peer *p = atomic_load_explicit(&h->peer_latest, memory_order_acquire);

	att_fill(h, req);
	req->role = (uint32_t)seg_role(h->role);
	req->stale_threshold_ms = h->config.stale_threshold_ms;
	req->flags &= ~PROTO_ATTACH_SEGMENT_THRESHOLD;
	req->generation = h->generation;
	req->incarnation = h->incarnation;
	proto_fds_init(fds);
	fds->fd[fds->n++] = h->status_fd;
	fds->fd[fds->n++] = h->own_fd;
	req->fds = PROTO_FD_STATUS | PROTO_FD_OWN;
	if (p != NULL) {
		fds->fd[fds->n++] = p->fd;
		req->fds |= PROTO_FD_PEER;
	}
}

int
att_reattached(struct ESHMHandle *h, const struct proto_attach_reply *reply, struct proto_fds *fds)
{
	int rc = reply->status;

	if (rc == ESHM_SUCCESS && (reply->generation != h->generation ||
	                           reply->incarnation != h->incarnation))
		rc = ESHM_ERROR_PROTOCOL;
	if (rc == ESHM_SUCCESS)
		rc = att_take_peer(h, reply->fds, fds, reply->peer_incarnation, reply->peer_pid);
	proto_fds_close(fds);
	return rc;
}

/* Milliseconds left until @deadline_ns (0 once it passed: try without
 * waiting). */
static int
att_ms_left(uint64_t deadline_ns)
{
	uint64_t now = clock_mono_ns();

	return now >= deadline_ns ? 0 : (int)((deadline_ns - now) / 1000000u);
}

int
att_reattach_now(struct ESHMHandle *h, uint64_t deadline_ns)
{
	struct proto_attach_reply reply;
	struct proto_attach req;
	struct proto_fds send, got;
	int rc;

	if (h->sock >= 0)
		close(h->sock);
	h->sock = proto_connect_timeout(h->options.socket_path, att_ms_left(deadline_ns));
	if (h->sock < 0)
		return ESHM_ERROR_DAEMON_UNAVAILABLE;
	att_reattach_request(h, &req, &send);
	rc = proto_call(h->sock, PROTO_REQ_REATTACH, &req, &send, PROTO_REP_ATTACH, &reply, &got,
	                NULL, att_ms_left(deadline_ns));
	if (rc == ESHM_SUCCESS)
		return att_reattached(h, &reply, &got);
	proto_fds_close(&got);
	return rc;
}

int
att_detach(const struct ESHMHandle *h, int sock, uint64_t deadline_ns)
{
	struct proto_name req;
	struct proto_status reply;

	memset(&req, 0, sizeof(req));
	memcpy(req.name, h->name, sizeof(req.name));
	return proto_call(sock, PROTO_REQ_DETACH, &req, NULL, PROTO_REP_STATUS, &reply, NULL, NULL,
	                  att_ms_left(deadline_ns));
}

int
att_errno(int code)
{
	switch (code) {
	case ESHM_SUCCESS:
		return 0;
	case ESHM_ERROR_NAME_INVALID:
	case ESHM_ERROR_INVALID_PARAM:
		return EINVAL;
	case ESHM_ERROR_ROLE_TAKEN:
	case ESHM_ERROR_BUSY:
		return EBUSY;
	case ESHM_ERROR_DAEMON_UNAVAILABLE:
		return ECONNREFUSED;
	case ESHM_ERROR_PERMISSION:
		return EACCES;
	case ESHM_ERROR_NO_MEMORY:
		return ENOMEM;
	case ESHM_ERROR_NO_SPACE:
		return ENOSPC;
	case ESHM_ERROR_NOT_FOUND:
		return ENOENT;
	case ESHM_ERROR_EXISTS:
		return EEXIST;
	case ESHM_ERROR_LIMIT:
		return EMFILE;
	case ESHM_ERROR_TIMEOUT:
		return ETIMEDOUT;
	default:
		return EPROTO;
	}
}
