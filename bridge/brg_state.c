/*
 * brg_state.c - the reports on the state topic (brg_state.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brg_err.h"
#include "brg_log.h"
#include "brg_state.h"
#include "layout.h"

/* The role of the real endpoint on this host: the one the bridge does not hold. */
static uint32_t
brg_state_local_role(const struct brg_bridge *b)
{
	return b->local.role == ESHM_ROLE_MASTER ? ESHM_ROLE_SLAVE : ESHM_ROLE_MASTER;
}

static void
brg_state_fill(const struct brg_bridge *b, const struct brg_report *local,
               eshm_bridge_EndpointState *s)
{
	memset(s, 0, sizeof(*s));
	s->role = brg_state_local_role(b);
	s->state = local->state;
	s->pid = local->pid;
	s->attaches = local->attaches;
	snprintf(s->host, sizeof(s->host), "%s", b->host);
	/* A name is at most PROTO_NAME_MAX bytes: it fits with its NUL. */
	memcpy(s->segment, b->cfg.segment, strnlen(b->cfg.segment, sizeof(s->segment) - 1));
	s->bridge_start_ns = b->start_ns;
	s->bridge_pid = (int32_t)getpid();
	s->mode = b->local.mode == ESHM_CHANNEL_QUEUE ? eshm_bridge_MODE_QUEUE
	                                              : eshm_bridge_MODE_LATEST;
	s->capacity = b->local.capacity;
	s->queue_depth = b->local.queue_depth;
}

int
brg_state_publish(struct brg_bridge *b, const struct brg_report *local)
{
	eshm_bridge_EndpointState s;
	dds_return_t rc;

	if (b == NULL || local == NULL || b->dds.state_writer <= 0)
		return BRG_ERR_INVALID;
	brg_state_fill(b, local, &s);
	rc = dds_write(b->dds.state_writer, &s);
	if (rc != DDS_RETCODE_OK) {
		brg_log(LOG_WARNING, "cannot publish the local state: %s", dds_strretcode(rc));
		return BRG_ERR_DDS;
	}
	return BRG_OK;
}

int
brg_state_withdraw(struct brg_bridge *b)
{
	struct brg_report gone;
	eshm_bridge_EndpointState s;

	if (b == NULL || b->dds.state_writer <= 0)
		return BRG_ERR_INVALID;
	memset(&gone, 0, sizeof(gone));
	gone.state = SEG_EP_DETACHED;
	brg_state_fill(b, &gone, &s);
	if (dds_write(b->dds.state_writer, &s) != DDS_RETCODE_OK ||
	    dds_dispose(b->dds.state_writer, &s) != DDS_RETCODE_OK)
		return BRG_ERR_DDS;
	return BRG_OK;
}

/*
 * Copy a label that came from the network: printable ASCII only, so that it
 * can neither break a log line nor look like markup where it is shown.
 */
static void
brg_state_label(char *out, size_t size, const char *in)
{
	size_t i;

	for (i = 0; i + 1 < size && in[i] != '\0'; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f && strchr("<>&\"'", in[i]) == NULL ? in[i]
		                                                                         : '?';
	out[i] = '\0';
}

/* Log, once each, what makes the two sides disagree. */
static void
brg_state_compare(struct brg_bridge *b, const eshm_bridge_EndpointState *s,
                  struct brg_state_peer *peer)
{
	uint32_t mode = b->local.mode == ESHM_CHANNEL_QUEUE ? eshm_bridge_MODE_QUEUE
	                                                    : eshm_bridge_MODE_LATEST;

	char host[BRG_LABEL_SIZE];

	brg_state_label(host, sizeof(host), s->host);
	if (s->bridge_start_ns != peer->bridge_start_ns) {
		brg_log(LOG_INFO, "the bridge on %s (pid %d) reports the %s", host,
		        (int)s->bridge_pid, proto_role_name((int)s->role));
		peer->bridge_start_ns = s->bridge_start_ns;
		peer->bridge_pid = s->bridge_pid;
		peer->warned_geometry = false;
	}
	if (!peer->warned_geometry && (s->mode != mode || s->capacity != b->local.capacity)) {
		brg_log(LOG_WARNING,
		        "the segment on %s is a %s segment of %llu bytes, here a %s of %llu: "
		        "messages above the smaller capacity are refused",
		        host, s->mode == eshm_bridge_MODE_QUEUE ? "queue" : "latest-value",
		        (unsigned long long)s->capacity,
		        mode == eshm_bridge_MODE_QUEUE ? "queue" : "latest-value",
		        (unsigned long long)b->local.capacity);
		peer->warned_geometry = true;
	}
}

/* What the instance's state says of the other bridge: disposed, it left
 * cleanly; without writers, it is lost. */
static void
brg_state_instance(struct brg_remote *r, dds_instance_state_t state)
{
	if (state == DDS_IST_NOT_ALIVE_DISPOSED)
		brg_remote_withdrawn(r);
	else if (state == DDS_IST_NOT_ALIVE_NO_WRITERS)
		brg_remote_liveliness(r, false);
}

/* Liveliness news of the other bridge's writer, if DDS has any. */
static void
brg_state_liveliness(struct brg_bridge *b, struct brg_remote *r)
{
	dds_liveliness_changed_status_t st;

	if (dds_get_liveliness_changed_status(b->dds.state_reader, &st) != DDS_RETCODE_OK)
		return;
	/* Only a change says something; a count read before the first match
	 * must not undo a report that already arrived. */
	if (st.alive_count_change != 0 || st.not_alive_count_change != 0)
		brg_remote_liveliness(r, st.alive_count > 0);
}

int
brg_state_take(struct brg_bridge *b, struct brg_remote *r, struct brg_state_peer *peer,
               uint64_t now_ns)
{
	void *samples[8] = {NULL};
	dds_sample_info_t info[8];
	int i, n, reports = 0;

	if (b == NULL || r == NULL || peer == NULL || b->dds.state_reader <= 0)
		return BRG_ERR_INVALID;
	do {
		n = dds_take(b->dds.state_reader, samples, info, 8, 8);
		if (n < 0)
			return BRG_ERR_DDS;
		for (i = 0; i < n; i++) {
			const eshm_bridge_EndpointState *s = samples[i];
			struct brg_report rep;

			if (!info[i].valid_data) {
				brg_state_instance(r, info[i].instance_state);
				continue;
			}
			if (s->role != (uint32_t)b->local.role) {
				/* Another bridge reporting the role this one reports
				 * is a mistake worth saying once; a role no bridge
				 * reports is ignored. */
				if (s->role == brg_state_local_role(b) && !peer->warned_twin)
					brg_log(LOG_WARNING,
					        "another bridge also reports a %s here: two hosts "
					        "hold the same role; check stand_in",
					        proto_role_name((int)s->role));
				peer->warned_twin = peer->warned_twin || s->role == brg_state_local_role(b);
				continue;
			}
			memset(&rep, 0, sizeof(rep));
			rep.state = s->state > SEG_EP_DEAD ? SEG_EP_STALE : s->state;
			rep.pid = s->pid;
			rep.attaches = s->attaches;
			brg_state_label(rep.host, sizeof(rep.host), s->host);
			brg_state_compare(b, s, peer);
			brg_remote_report(r, &rep, now_ns);
			reports++;
			/* The last report and the end of its writer may come as one
			 * sample: a valid one whose instance is no longer alive. */
			brg_state_instance(r, info[i].instance_state);
		}
		if (n > 0)
			dds_return_loan(b->dds.state_reader, samples, n);
	} while (n == 8);
	brg_state_liveliness(b, r);
	return reports;
}
