/*
 * control.c - the endpoint's requests to eshmd: attach, reattach after an
 * eshmd restart, detach.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "handle.h"

int
ctrl_attach(const struct ESHMHandle *h, int sock, bool reattach,
            struct proto_attach_reply *reply, int *fd)
{
	struct proto_attach req;

	memset(&req, 0, sizeof(req));
	memcpy(req.name, h->name, sizeof(req.name));
	if (reattach) {
		req.role = seg_role(h->role);
		req.generation = h->generation;
	} else
		req.role = (uint32_t)h->config.role;
	/* After the first attach the threshold is the one eshmd recorded,
	 * never 0. */
	req.stale_threshold_ms = h->config.stale_threshold_ms;
	req.disconnect_behavior = (uint32_t)h->config.disconnect_behavior;
	req.flags = h->config.auto_cleanup ? PROTO_ATTACH_AUTO_CLEANUP : 0;
	if (req.stale_threshold_ms == 0)
		req.flags |= PROTO_ATTACH_SEGMENT_THRESHOLD;
	req.capacity = h->options.capacity;
	req.heartbeat_period_us = h->config.use_threads ? h->options.heartbeat_period_us : 0;
	return proto_call(sock, reattach ? PROTO_REQ_REATTACH : PROTO_REQ_ATTACH, &req,
	                  PROTO_REP_ATTACH, reply, fd, (int)h->options.connect_timeout_ms);
}

int
ctrl_detach(const struct ESHMHandle *h, int sock)
{
	struct proto_name req;
	struct proto_status reply;

	memset(&req, 0, sizeof(req));
	memcpy(req.name, h->name, sizeof(req.name));
	return proto_call(sock, PROTO_REQ_DETACH, &req, PROTO_REP_STATUS, &reply, NULL,
	                  (int)h->options.connect_timeout_ms);
}

int
ctrl_reconnect(struct ESHMHandle *h)
{
	struct proto_attach_reply reply;
	int sock, fd, rc;

	if (atomic_load_explicit(&h->map.header->flags, memory_order_relaxed) & SEG_FLAG_REVOKED) {
		atomic_store_explicit(&h->detached, true, memory_order_relaxed);
		return ESHM_ERROR_DETACHED;
	}
	sock = proto_connect(h->options.socket_path);
	if (sock < 0)
		return ESHM_ERROR_DAEMON_UNAVAILABLE;
	rc = ctrl_attach(h, sock, true, &reply, &fd);
	if (fd >= 0)
		close(fd); /* the mapping we hold is the same object */
	if (rc == ESHM_SUCCESS && reply.generation != h->generation)
		rc = ESHM_ERROR_NOT_FOUND;
	if (rc != ESHM_SUCCESS) {
		close(sock);
		/* The segment we hold is not eshmd's any more: nobody
		 * supervises it, so this endpoint is detached for good. */
		if (rc == ESHM_ERROR_NOT_FOUND || rc == ESHM_ERROR_DETACHED)
			atomic_store_explicit(&h->detached, true, memory_order_relaxed);
		return rc;
	}
	if (h->sock >= 0)
		close(h->sock);
	h->sock = sock;
	return ESHM_SUCCESS;
}

int
ctrl_errno(int code)
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
