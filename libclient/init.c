/*
 * init.c - creating and destroying handles: validate the configuration,
 * attach through eshmd, map what it passes, hand the connection to the
 * control thread and start the heartbeat; the synchronous detach; the
 * calling thread's last error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"

static _Thread_local int init_last_error;
static _Thread_local char init_last_message[PROTO_TEXT_SIZE];

ESHM_EXPORT ESHMConfig
eshm_default_config(const char *name)
{
	ESHMConfig c;

	memset(&c, 0, sizeof(c));
	c.shm_name = name;
	c.role = ESHM_ROLE_AUTO;
	c.use_threads = true;
	c.stale_threshold_ms = 100;
	c.disconnect_behavior = ESHM_DISCONNECT_ON_TIMEOUT;
	c.auto_cleanup = true;
	return c;
}

ESHM_EXPORT int
eshm_last_error(void)
{
	return init_last_error;
}

ESHM_EXPORT const char *
eshm_last_error_message(void)
{
	if (init_last_error == ESHM_SUCCESS)
		return eshm_error_string(ESHM_SUCCESS);
	return init_last_message;
}

int
lib_fail(int code, const char *fmt, ...)
{
	va_list ap;

	init_last_error = code;
	va_start(ap, fmt);
	vsnprintf(init_last_message, sizeof(init_last_message), fmt, ap);
	va_end(ap);
	return code;
}

/* Every field is checked, so a struct filled field by field works and a
 * garbage enum never reaches eshmd; the message names the field. */
static int
init_check_config(const ESHMConfig *c)
{
	if (c == NULL)
		return lib_fail(ESHM_ERROR_INVALID_PARAM, "config is NULL");
	if (proto_name_valid(c->shm_name) != ESHM_SUCCESS)
		return lib_fail(ESHM_ERROR_NAME_INVALID, "shm_name: %s",
		                eshm_error_string(ESHM_ERROR_NAME_INVALID));
	if ((unsigned)c->role > ESHM_ROLE_OBSERVER)
		return lib_fail(ESHM_ERROR_INVALID_PARAM,
		                "role: %d is not ESHM_ROLE_AUTO, _MASTER, _SLAVE or _OBSERVER",
		                (int)c->role);
	if ((unsigned)c->disconnect_behavior > ESHM_DISCONNECT_NEVER)
		return lib_fail(ESHM_ERROR_INVALID_PARAM,
		                "disconnect_behavior: %d is not an ESHMDisconnectBehavior",
		                (int)c->disconnect_behavior);
	/* 0 asks for the segment's default, which eshmd resolves. */
	if (c->stale_threshold_ms > ESHM_STALE_THRESHOLD_MS_MAX)
		return lib_fail(ESHM_ERROR_INVALID_PARAM,
		                "stale_threshold_ms: %u is above %u (0 takes the segment's default)",
		                c->stale_threshold_ms, ESHM_STALE_THRESHOLD_MS_MAX);
	return ESHM_SUCCESS;
}

/* Socket path: the options, else $ESHM_SOCKET, else the configured default. */
static int
init_socket_path(struct ESHMOptions *o)
{
	const char *path;

	if (o->socket_path[0] != '\0')
		return ESHM_SUCCESS;
	path = proto_socket_path(NULL);
	if (strlen(path) >= sizeof(o->socket_path))
		return lib_fail(ESHM_ERROR_DAEMON_UNAVAILABLE, "the socket path %s is too long",
		                path);
	strcpy(o->socket_path, path);
	return ESHM_SUCCESS;
}

/* Free what @h holds; in a forked child only the memory and descriptors
 * are its own (the mappings were not inherited). */
static void
init_release(ESHMHandle *h)
{
	/* first: the event thread must let go of the mappings */
	ev_unregister(h);
	peer_release_all(h);
	obs_release_all(h);
	if (!h->forked) {
		seg_unmap(&h->own_map);
		seg_unmap(&h->status_map);
	}
	if (h->own_fd >= 0)
		close(h->own_fd);
	if (h->status_fd >= 0)
		close(h->status_fd);
	if (h->peer_pidfd >= 0)
		close(h->peer_pidfd);
	if (h->sock >= 0)
		close(h->sock);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static ESHMHandle *
init_fail(ESHMHandle *h, int code)
{
	if (h != NULL)
		init_release(h);
	init_last_error = code;
	errno = att_errno(code);
	return NULL;
}

static ESHMHandle *
init_new(const ESHMConfig *config, const ESHMOptions *options)
{
	ESHMHandle *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->sock = -1;
	h->status_fd = -1;
	h->own_fd = -1;
	h->peer_pidfd = -1;
	h->ev_fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	if (options != NULL)
		h->options = *options;
	else {
		h->options.capacity = SEG_CAPACITY_DEFAULT;
		h->options.heartbeat_period_us = ESHM_HEARTBEAT_US_DEFAULT;
		h->options.connect_timeout_ms = ESHM_CONNECT_MS_DEFAULT;
		h->options.observed = ESHM_ROLE_MASTER;
	}
	h->config = *config;
	strcpy(h->name, config->shm_name);
	h->config.shm_name = h->name;
	return h;
}

ESHM_EXPORT ESHMHandle *
eshm_init_with_options(const ESHMConfig *config, const ESHMOptions *options)
{
	ESHMHandle *h;
	int rc;

	rc = init_check_config(config);
	if (rc != ESHM_SUCCESS)
		return init_fail(NULL, rc);
	h = init_new(config, options);
	if (h == NULL)
		return init_fail(NULL, lib_fail(ESHM_ERROR_NO_MEMORY, "out of memory"));
	rc = init_socket_path(&h->options);
	if (rc != ESHM_SUCCESS)
		return init_fail(h, rc);
	h->sock = proto_connect_timeout(h->options.socket_path, (int)h->options.connect_timeout_ms);
	if (h->sock < 0)
		return init_fail(h, lib_fail(ESHM_ERROR_DAEMON_UNAVAILABLE, "cannot reach eshmd at %s: %s",
		                             h->options.socket_path, strerror(-h->sock)));
	rc = att_attach(h, h->sock);
	if (rc == ESHM_SUCCESS)
		rc = ctl_register(h);
	/* an observer has no heartbeat: it is nobody's remote */
	if (rc == ESHM_SUCCESS && config->use_threads && !h->observer) {
		rc = hb_register(h);
		if (rc != ESHM_SUCCESS)
			ctl_unregister(h);
	}
	if (rc != ESHM_SUCCESS) {
		/* eshmd may have given us the role: hand it back before failing. */
		if (h->own_map.base != NULL)
			att_detach(h, h->sock,
			           clock_mono_ns() + (uint64_t)ESHM_DETACH_WAIT_MS * 1000000u);
		if (rc == ESHM_ERROR_SYSTEM)
			lib_fail(rc, "cannot start the library's threads");
		return init_fail(h, rc);
	}
	init_last_error = ESHM_SUCCESS;
	return h;
}

ESHM_EXPORT ESHMHandle *
eshm_init(const ESHMConfig *config)
{
	return eshm_init_with_options(config, NULL);
}

ESHM_EXPORT int
eshm_destroy(ESHMHandle *handle)
{
	uint64_t deadline = clock_mono_ns() + (uint64_t)ESHM_DETACH_WAIT_MS * 1000000u;
	int rc = ESHM_SUCCESS;

	if (handle == NULL)
		return ESHM_SUCCESS;
	if (handle->forked) {
		/* The parent's endpoint: nothing of it is this process's to end. */
		init_release(handle);
		return ESHM_SUCCESS;
	}
	/* a loan out is given back: readers never see it half-written */
	if (handle->writer.loaned != 0 && live_attached(handle))
		chan_loan_cancel(&handle->writer);
	if (handle->config.use_threads && !handle->observer)
		hb_unregister(handle);
	ctl_unregister(handle);
	/* From here on the socket is ours alone.  eshmd away or hung: the
	 * reconnect, the reattach and the answer together are not awaited
	 * longer than ESHM_DETACH_WAIT_MS; eshmd frees the role when it reads
	 * the request, or when this process exits.  A role taken over, a
	 * segment removed: nothing is ours to release. */
	if (live_attached(handle)) {
		/* eshmd restarted and the control thread has not reattached yet:
		 * reattach here, so the role is free when we return. */
		if (handle->sock < 0 || handle->link != LIB_LINK_UP)
			rc = att_reattach_now(handle, deadline);
		if (rc == ESHM_SUCCESS)
			rc = att_detach(handle, handle->sock, deadline);
		if (rc == ESHM_ERROR_DETACHED || rc == ESHM_ERROR_NOT_FOUND)
			rc = ESHM_SUCCESS;
	}
	init_release(handle);
	return rc;
}

ESHM_EXPORT ESHMRole
eshm_get_role(const ESHMHandle *handle)
{
	if (handle == NULL)
		return (ESHMRole)-1;
	if (handle->observer)
		return ESHM_ROLE_OBSERVER;
	return seg_role(handle->role);
}
