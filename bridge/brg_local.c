/*
 * brg_local.c - the bridge's own endpoint on the local segment (brg_local.h).
 */
#include <stdio.h>
#include <string.h>

#include "brg_err.h"
#include "brg_local.h"
#include "brg_log.h"
#include "layout.h"

/* Apply @c's creation settings and @socket to new options, or NULL. */
static ESHMOptions *
brg_local_options(const struct brg_config *c, const char *socket)
{
	ESHMOptions *o = eshm_options_new();

	if (o == NULL)
		return NULL;
	/* The role shows its peer stale until the remote is declared, never
	 * alive on the bridge's own account. */
	if (eshm_options_set_stand_in(o, true) != ESHM_SUCCESS ||
	    eshm_options_set_capacity(o, (size_t)c->capacity) != ESHM_SUCCESS ||
	    eshm_options_set_channel_mode(o, c->mode) != ESHM_SUCCESS ||
	    eshm_options_set_queue_depth(o, c->queue_depth) != ESHM_SUCCESS ||
	    (socket != NULL && socket[0] != '\0' &&
	     eshm_options_set_socket_path(o, socket) != ESHM_SUCCESS)) {
		eshm_options_free(o);
		return NULL;
	}
	return o;
}

int
brg_local_open(struct brg_local *l, const struct brg_config *c, const char *socket, char *err,
               size_t errlen)
{
	ESHMConfig cfg;
	ESHMOptions *o;
	ESHMStats2 st;

	if (l == NULL || c == NULL)
		return BRG_ERR_INVALID;
	memset(l, 0, sizeof(*l));
	if (c->stand_in != ESHM_ROLE_MASTER && c->stand_in != ESHM_ROLE_SLAVE)
		return BRG_ERR_INVALID;
	o = brg_local_options(c, socket);
	if (o == NULL) {
		snprintf(err, errlen, "cannot set the segment's options");
		return BRG_ERR_NO_MEMORY;
	}
	cfg = eshm_default_config(c->segment);
	cfg.role = c->stand_in;
	cfg.use_threads = true;
	cfg.stale_threshold_ms = c->stale_threshold_ms;
	cfg.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	/* The segment outlives a restart of the bridge: the local program
	 * keeps its messages while the bridge comes back. */
	cfg.auto_cleanup = false;
	l->h = eshm_init_with_options(&cfg, o);
	if (l->h == NULL && eshm_last_error() == ESHM_ERROR_INVALID_PARAM) {
		/* An eshmd before 0.3.0 knows no stand-in attach: the role then
		 * shows the bridge's own liveness until the first declaration. */
		brg_log(LOG_WARNING, "eshmd refuses a stand-in attach (%s): attaching as a plain %s",
		        eshm_last_error_message(), proto_role_name(c->stand_in));
		eshm_options_set_stand_in(o, false);
		l->h = eshm_init_with_options(&cfg, o);
	}
	eshm_options_free(o);
	if (l->h == NULL) {
		snprintf(err, errlen, "cannot attach to segment %s as %s: %s (%s)", c->segment,
		         proto_role_name(c->stand_in), eshm_error_string(eshm_last_error()),
		         eshm_last_error_message());
		return BRG_ERR_ESHM;
	}
	l->role = c->stand_in;
	/* The segment may predate the bridge: what it is, not what was asked. */
	if (eshm_get_stats_ex(l->h, &st, sizeof(st)) != ESHM_SUCCESS) {
		snprintf(err, errlen, "segment %s: no statistics", c->segment);
		brg_local_close(l);
		return BRG_ERR_ESHM;
	}
	l->mode = st.channel_mode;
	l->queue_depth = st.queue_depth;
	l->capacity = st.stats.capacity;
	return BRG_OK;
}

void
brg_local_close(struct brg_local *l)
{
	if (l == NULL || l->h == NULL)
		return;
	eshm_destroy(l->h);
	l->h = NULL;
}

int
brg_local_peer(struct brg_local *l, struct brg_report *out)
{
	ESHMStats2 st;
	bool alive = false, again = false;
	int tries;

	if (l == NULL || l->h == NULL || out == NULL)
		return BRG_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	/* Alive comes from one call, stale and dead from another: a verdict
	 * that changed between them would read as "detached"; look again. */
	for (tries = 0; tries < 3; tries++) {
		if (eshm_check_remote_alive(l->h, &alive) == ESHM_ERROR_DETACHED ||
		    eshm_get_stats_ex(l->h, &st, sizeof(st)) == ESHM_ERROR_DETACHED ||
		    eshm_check_remote_alive(l->h, &again) == ESHM_ERROR_DETACHED)
			return BRG_ERR_STOPPED;
		if (alive == again)
			break;
	}
	if (again)
		out->state = SEG_EP_ALIVE;
	else if (st.stats.remote_is_dead)
		out->state = SEG_EP_DEAD;
	else if (st.stats.remote_is_stale)
		out->state = SEG_EP_STALE;
	else
		out->state = SEG_EP_DETACHED;
	out->pid = st.remote_pid;
	out->attaches = st.remote_attaches;
	return BRG_OK;
}
