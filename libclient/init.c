/*
 * init.c - creating and destroying handles: validate the configuration,
 * attach through eshmd, map the segment it passes, start the heartbeat;
 * and the synchronous detach.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"

static _Thread_local int init_last_error;

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

/* Every field is checked, so a struct filled field by field works and a
 * garbage enum never reaches eshmd. */
static int
init_check_config(const ESHMConfig *c)
{
	int rc;

	if (c == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	rc = proto_name_valid(c->shm_name);
	if (rc != ESHM_SUCCESS)
		return rc;
	if ((unsigned)c->role > ESHM_ROLE_SLAVE)
		return ESHM_ERROR_INVALID_PARAM;
	if ((unsigned)c->disconnect_behavior > ESHM_DISCONNECT_NEVER)
		return ESHM_ERROR_INVALID_PARAM;
	/* 0 asks for the segment's default, which eshmd resolves. */
	if (c->stale_threshold_ms > ESHM_STALE_THRESHOLD_MS_MAX)
		return ESHM_ERROR_INVALID_PARAM;
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
		return ESHM_ERROR_DAEMON_UNAVAILABLE;
	strcpy(o->socket_path, path);
	return ESHM_SUCCESS;
}

static ESHMHandle *
init_fail(ESHMHandle *h, int code)
{
	if (h != NULL) {
		seg_unmap(&h->map);
		if (h->sock >= 0)
			close(h->sock);
		free(h);
	}
	init_last_error = code;
	errno = ctrl_errno(code);
	return NULL;
}

/*
 * Map the descriptor eshmd passed and check it is the segment it described;
 * take the stale threshold eshmd recorded (the segment's default when the
 * configuration asked for it with 0).
 */
static int
init_map(ESHMHandle *h, const struct proto_attach_reply *reply, int fd)
{
	int rc;

	if (fd < 0)
		return ESHM_ERROR_PROTOCOL;
	if (seg_role_index(reply->role) < 0 ||
	    reply->stale_threshold_ms < ESHM_STALE_THRESHOLD_MS_MIN ||
	    reply->stale_threshold_ms > ESHM_STALE_THRESHOLD_MS_MAX) {
		close(fd);
		return ESHM_ERROR_PROTOCOL;
	}
	rc = seg_map_fd(fd, 0, &h->map);
	close(fd);
	if (rc != ESHM_SUCCESS)
		return rc;
	if (h->map.capacity != reply->capacity || h->map.header->generation != reply->generation)
		return ESHM_ERROR_PROTOCOL;
	h->role = seg_role_index(reply->role);
	h->generation = reply->generation;
	h->config.stale_threshold_ms = reply->stale_threshold_ms;
	/* before this handle's first write: its writes may then use the
	 * light fence (common/channel.h) */
	chan_membarrier_setup();
	return ESHM_SUCCESS;
}

ESHM_EXPORT ESHMHandle *
eshm_init_with_options(const ESHMConfig *config, const ESHMOptions *options)
{
	struct proto_attach_reply reply;
	ESHMHandle *h;
	int rc, fd;

	rc = init_check_config(config);
	if (rc != ESHM_SUCCESS)
		return init_fail(NULL, rc);
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return init_fail(NULL, ESHM_ERROR_NO_MEMORY);
	h->sock = -1;
	if (options != NULL)
		h->options = *options;
	else {
		h->options.capacity = SEG_CAPACITY_DEFAULT;
		h->options.heartbeat_period_us = ESHM_HEARTBEAT_US_DEFAULT;
		h->options.connect_timeout_ms = ESHM_CONNECT_MS_DEFAULT;
	}
	rc = init_socket_path(&h->options);
	if (rc != ESHM_SUCCESS)
		return init_fail(h, rc);
	h->config = *config;
	strcpy(h->name, config->shm_name);
	h->config.shm_name = h->name;

	h->sock = proto_connect(h->options.socket_path);
	if (h->sock < 0)
		return init_fail(h, ESHM_ERROR_DAEMON_UNAVAILABLE);
	rc = ctrl_attach(h, h->sock, false, &reply, &fd);
	if (rc != ESHM_SUCCESS) {
		if (fd >= 0)
			close(fd);
		return init_fail(h, rc);
	}
	rc = init_map(h, &reply, fd);
	if (rc != ESHM_SUCCESS) {
		/* eshmd gave us the role: hand it back before failing. */
		ctrl_detach(h, h->sock);
		return init_fail(h, rc);
	}

	chan_cursor_init(&h->cursor, h->map.channel[1 - h->role]);
	h->local_last_hb = atomic_load_explicit(&live_remote(h)->heartbeat, memory_order_relaxed);
	h->local_change_ns = clock_mono_ns();
	live_update_rates(h, clock_mono_ns());
	if (config->use_threads) {
		rc = hb_register(h);
		if (rc != ESHM_SUCCESS) {
			ctrl_detach(h, h->sock);
			return init_fail(h, rc);
		}
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
	int rc = ESHM_SUCCESS;

	if (handle == NULL)
		return ESHM_SUCCESS;
	if (handle->config.use_threads)
		hb_unregister(handle);
	/* From here on the socket is ours alone. */
	if (atomic_load_explicit(&handle->detached, memory_order_relaxed))
		rc = ESHM_SUCCESS;
	else {
		rc = handle->sock >= 0 ? ctrl_detach(handle, handle->sock)
		                       : ESHM_ERROR_DAEMON_UNAVAILABLE;
		/* eshmd restarted since the last look: say goodbye on a fresh
		 * connection so the role is free when we return. */
		if (rc == ESHM_ERROR_DAEMON_UNAVAILABLE && ctrl_reconnect(handle) == ESHM_SUCCESS)
			rc = ctrl_detach(handle, handle->sock);
		if (rc == ESHM_ERROR_DETACHED || rc == ESHM_ERROR_NOT_FOUND)
			rc = ESHM_SUCCESS;
	}
	if (handle->sock >= 0)
		close(handle->sock);
	seg_unmap(&handle->map);
	free(handle);
	return rc;
}

ESHM_EXPORT ESHMRole
eshm_get_role(const ESHMHandle *handle)
{
	if (handle == NULL)
		return (ESHMRole)-1;
	return seg_role(handle->role);
}
