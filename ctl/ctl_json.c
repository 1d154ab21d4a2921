/*
 * ctl_json.c - status, list and show as JSON documents (schema in eshmctl(8)).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_cli.h"
#include "ctl_fmt.h"
#include "eshm.h"
#include "layout.h"
#include "ctl_json.h"

static void
ctl_json_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* A rate, or null where eshmd has not sampled it twice yet. */
static void
ctl_json_rate(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, v == PROTO_RATE_UNKNOWN ? NULL : json_object_new_uint64(v));
}

/* "bridged": where the remote process a bridge stands in for runs, or null. */
static void
ctl_json_bridged(json_object *o, const struct proto_endpoint_info *ep)
{
	json_object *b = NULL;

	if ((ep->flags & PROTO_EP_BRIDGED) && (b = json_object_new_object()) != NULL) {
		json_object_object_add(b, "remote_pid", json_object_new_int(ep->remote_pid));
		json_object_object_add(b, "remote_host", json_object_new_string(ep->remote_host));
	}
	json_object_object_add(o, "bridged", b);
}

static void
ctl_json_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *
ctl_json_usage(const struct proto_usage *u)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	ctl_json_u64(o, "segments", u->segments);
	ctl_json_u64(o, "max_segments", u->max_segments);
	ctl_json_u64(o, "bytes", u->bytes);
	ctl_json_u64(o, "max_bytes", u->max_bytes);
	ctl_json_u64(o, "connections", u->connections);
	ctl_json_u64(o, "max_connections", u->max_connections);
	return o;
}

json_object *
ctl_json_status(const struct proto_status_reply *st)
{
	json_object *o = json_object_new_object();
	json_object *eps = json_object_new_object();
	uint32_t i;

	if (o == NULL || eps == NULL) {
		json_object_put(o);
		json_object_put(eps);
		return NULL;
	}
	ctl_json_str(o, "version", st->version);
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	ctl_json_u64(o, "uptime_ms", st->uptime_ms);
	ctl_json_str(o, "socket", st->socket_path);
	ctl_json_str(o, "shm_prefix", st->shm_prefix);
	ctl_json_u64(o, "check_interval_ms", st->check_interval_ms);
	ctl_json_u64(o, "segments", st->segments);
	for (i = 0; i < 4; i++)
		ctl_json_u64(eps, seg_state_name(i), st->endpoints_by_state[i]);
	json_object_object_add(o, "endpoints", eps);
	ctl_json_u64(o, "observers", st->observers);
	json_object_object_add(o, "usage", ctl_json_usage(&st->total));
	json_object_object_add(o, "your_usage", ctl_json_usage(&st->user));
	return o;
}

static json_object *
ctl_json_endpoint(const struct proto_endpoint_info *ep)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "pid", json_object_new_int(ep->pid));
	ctl_json_str(o, "state", seg_state_name(ep->state));
	ctl_json_str(o, "process", ep->comm);
	ctl_json_u64(o, "uid", ep->uid);
	ctl_json_u64(o, "stale_threshold_ms", ep->stale_threshold_ms);
	ctl_json_u64(o, "judged_by_ms", ep->judged_ms);
	ctl_json_u64(o, "silent_ms", ep->silent_ms);
	ctl_json_u64(o, "incarnation", ep->incarnation);
	ctl_json_u64(o, "heartbeat", ep->heartbeat);
	ctl_json_rate(o, "heartbeat_rate", ep->heartbeat_rate);
	ctl_json_u64(o, "start_time", ep->start_time);
	ctl_json_u64(o, "attach_realtime_ns", ep->attach_realtime_ns);
	ctl_json_bridged(o, ep);
	return o;
}

static json_object *
ctl_json_channel(const struct proto_channel_info *ch, uint64_t now_ns)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	/* The sequence of layout 1 rose by 2 per message: kept for scripts. */
	ctl_json_u64(o, "sequence", 2 * ch->head);
	ctl_json_u64(o, "messages", ch->head);
	ctl_json_u64(o, "position", ch->position);
	ctl_json_u64(o, "read", ch->read_count);
	ctl_json_u64(o, "missed", ch->missed);
	ctl_json_rate(o, "missed_rate", ch->missed_rate);
	ctl_json_u64(o, "retries", ch->retries);
	ctl_json_u64(o, "contended", ch->contended);
	ctl_json_u64(o, "unread", ch->unread);
	ctl_json_u64(o, "last_size", ch->last_size);
	ctl_json_u64(o, "last_write_realtime_ns", ch->last_write_realtime_ns);
	if (ch->last_write_realtime_ns != 0)
		ctl_json_u64(o, "since_last_write_ms",
		             ctl_ms_between(ch->last_write_realtime_ns, now_ns));
	else
		json_object_object_add(o, "since_last_write_ms", NULL);
	return o;
}

static json_object *
ctl_json_observer(const struct proto_observer_info *e, uint64_t now_ns)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	ctl_json_u64(o, "slot", e->slot);
	json_object_object_add(o, "pid", json_object_new_int(e->pid));
	ctl_json_str(o, "process", e->comm);
	ctl_json_u64(o, "uid", e->uid);
	ctl_json_str(o, "reads",
	             e->observed == ESHM_ROLE_SLAVE ? "slave_to_master" : "master_to_slave");
	ctl_json_u64(o, "incarnation", e->incarnation);
	ctl_json_u64(o, "position", e->position);
	ctl_json_u64(o, "read", e->read_count);
	ctl_json_u64(o, "missed", e->missed);
	ctl_json_u64(o, "retries", e->retries);
	ctl_json_u64(o, "contended", e->contended);
	ctl_json_u64(o, "unread", e->unread);
	ctl_json_u64(o, "attach_realtime_ns", e->attach_realtime_ns);
	ctl_json_u64(o, "attached_ms", ctl_ms_between(e->attach_realtime_ns, now_ns));
	return o;
}

/* The observers array, or null when eshmd did not say. */
static json_object *
ctl_json_observers(const struct proto_observers_reply *obs, uint64_t now_ns)
{
	json_object *a;
	uint32_t i;

	if (obs == NULL)
		return NULL;
	a = json_object_new_array();
	for (i = 0; a != NULL && i < obs->count && i < PROTO_OBSERVERS_MAX; i++)
		json_object_array_add(a, ctl_json_observer(&obs->observer[i], now_ns));
	return a;
}

json_object *
ctl_json_segment(const struct proto_segment_info *s, const struct proto_observers_reply *obs,
                 uint64_t now_ns)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	ctl_json_str(o, "name", s->name);
	ctl_json_u64(o, "layout_version", s->layout_version);
	ctl_json_u64(o, "capacity", s->capacity);
	ctl_json_u64(o, "generation", s->generation);
	ctl_json_u64(o, "created_realtime_ns", s->created_realtime_ns);
	ctl_json_u64(o, "age_ms", ctl_ms_between(s->created_realtime_ns, now_ns));
	ctl_json_u64(o, "stale_threshold_ms", s->stale_threshold_ms);
	ctl_json_u64(o, "check_interval_ms", s->check_interval_ms);
	ctl_json_u64(o, "owner_uid", s->owner_uid);
	ctl_json_u64(o, "owner_gid", s->owner_gid);
	ctl_json_u64(o, "bytes", s->bytes);
	ctl_json_str(o, "mode", s->mode == SEG_MODE_QUEUE ? "queue" : "latest");
	ctl_json_u64(o, "queue_depth", s->queue_depth);
	ctl_json_u64(o, "slots", s->slots);
	ctl_json_u64(o, "observers", s->observers);
	json_object_object_add(o, "auto_cleanup",
	                       json_object_new_boolean((s->flags & SEG_FLAG_AUTO_CLEANUP) != 0));
	json_object_object_add(o, "timestamps",
	                       json_object_new_boolean((s->flags & SEG_FLAG_TIMESTAMPS) != 0));
	json_object_object_add(o, "revoked", json_object_new_boolean(
	                                             (s->verdict_flags & SEG_VERDICT_REVOKED) != 0));
	json_object_object_add(o, seg_role_name(SEG_MASTER),
	                       ctl_json_endpoint(&s->endpoint[SEG_MASTER]));
	json_object_object_add(o, seg_role_name(SEG_SLAVE),
	                       ctl_json_endpoint(&s->endpoint[SEG_SLAVE]));
	json_object_object_add(o, "master_to_slave", ctl_json_channel(&s->channel[SEG_M2S], now_ns));
	json_object_object_add(o, "slave_to_master", ctl_json_channel(&s->channel[SEG_S2M], now_ns));
	json_object_object_add(o, "observer_list", ctl_json_observers(obs, now_ns));
	return o;
}

int
ctl_json_print(json_object *doc)
{
	const char *text;
	int rc = 0;

	if (doc == NULL)
		return ctl_error("out of memory building the JSON output");
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
	                                               JSON_C_TO_STRING_SPACED |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL || printf("%s\n", text) < 0 || fflush(stdout) != 0)
		rc = ctl_error("cannot write the JSON output: %s", strerror(errno));
	json_object_put(doc);
	return rc;
}
