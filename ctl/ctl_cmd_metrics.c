/*
 * ctl_cmd_metrics.c - eshmctl metrics: eshmd's state in the Prometheus text
 * exposition format (version 0.0.4), for node_exporter's textfile
 * collector or any agent that reads it.
 *
 * Counters are exported as counters (the monitoring system computes
 * rates), in base units, names prefixed eshm_; no timestamps (the textfile
 * collector refuses them).  The segments are the ones eshmd's LIST shows
 * the caller, so a user sees only what the access policy lets it see.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl_commands.h"
#include "ctl_conn.h"
#include "layout.h"

static const struct option ctl_metrics_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char *const ctl_metrics_state[] = { "detached", "alive", "stale", "dead" };
static const char *const ctl_metrics_channel[] = { "master_to_slave", "slave_to_master" };

/* A metric family of each endpoint (role) or each channel of a segment. */
struct ctl_metric {
	const char *name;
	const char *type;          /* "counter" or "gauge" */
	const char *help;
	bool per_channel;          /* else per endpoint */
	bool queue_only;
	uint64_t (*value)(const struct proto_segment_info *s, int i);
};

static uint64_t
ctl_m_heartbeats(const struct proto_segment_info *s, int i)
{
	return s->endpoint[i].heartbeat;
}

static uint64_t
ctl_m_attaches(const struct proto_segment_info *s, int i)
{
	return s->endpoint[i].incarnation;
}

static uint64_t
ctl_m_written(const struct proto_segment_info *s, int i)
{
	return s->channel[i].head;
}

static uint64_t
ctl_m_read(const struct proto_segment_info *s, int i)
{
	return s->channel[i].read_count;
}

static uint64_t
ctl_m_missed(const struct proto_segment_info *s, int i)
{
	return s->channel[i].missed;
}

static uint64_t
ctl_m_retries(const struct proto_segment_info *s, int i)
{
	return s->channel[i].retries;
}

static uint64_t
ctl_m_contended(const struct proto_segment_info *s, int i)
{
	return s->channel[i].contended;
}

static uint64_t
ctl_m_unread(const struct proto_segment_info *s, int i)
{
	return s->channel[i].unread;
}

static const struct ctl_metric ctl_metrics[] = {
	{ "eshm_endpoint_heartbeats_total", "counter",
	  "Heartbeats of the role's current holder (restarts at each attach).", false, false,
	  ctl_m_heartbeats },
	{ "eshm_endpoint_attaches_total", "counter", "Attaches to the role so far.", false, false,
	  ctl_m_attaches },
	{ "eshm_channel_written_messages_total", "counter",
	  "Messages the channel's current writer published.", true, false, ctl_m_written },
	{ "eshm_channel_read_messages_total", "counter", "Messages the channel's reader read.",
	  true, false, ctl_m_read },
	{ "eshm_channel_missed_messages_total", "counter",
	  "Messages overwritten before the reader read them (latest-value channels).", true,
	  false, ctl_m_missed },
	{ "eshm_channel_read_retries_total", "counter",
	  "Copies the reader redid because a write overlapped them.", true, false,
	  ctl_m_retries },
	{ "eshm_channel_contended_reads_total", "counter",
	  "Reads that gave up because writes overlapped every copy.", true, false,
	  ctl_m_contended },
	{ "eshm_channel_unread_messages", "gauge",
	  "Messages a queue holds that its reader has not read.", true, true, ctl_m_unread },
};

static void
ctl_metrics_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The daemon-wide families, from STATUS. */
static void
ctl_metrics_daemon(const struct proto_status_reply *st)
{
	int i;

	ctl_metrics_head("eshm_up", "gauge", "Whether eshmd answered (1).");
	printf("eshm_up 1\n");
	ctl_metrics_head("eshm_daemon_uptime_seconds", "gauge", "Time since eshmd started.");
	printf("eshm_daemon_uptime_seconds %.3f\n", (double)st->uptime_ms / 1e3);
	ctl_metrics_head("eshm_segments", "gauge", "Segments eshmd supervises.");
	printf("eshm_segments %" PRIu32 "\n", st->segments);
	ctl_metrics_head("eshm_segments_max", "gauge", "max_segments in eshmd.conf.");
	printf("eshm_segments_max %" PRIu32 "\n", st->total.max_segments);
	ctl_metrics_head("eshm_endpoints", "gauge", "Roles of all segments, by state.");
	for (i = 0; i < 4; i++)
		printf("eshm_endpoints{state=\"%s\"} %" PRIu32 "\n", ctl_metrics_state[i],
		       st->endpoints_by_state[i]);
	ctl_metrics_head("eshm_observers", "gauge", "Observers attached to all segments.");
	printf("eshm_observers %" PRIu32 "\n", st->observers);
	ctl_metrics_head("eshm_connections", "gauge", "Control connections eshmd holds.");
	printf("eshm_connections %" PRIu32 "\n", st->total.connections);
	ctl_metrics_head("eshm_connections_max", "gauge", "max_connections in eshmd.conf.");
	printf("eshm_connections_max %" PRIu32 "\n", st->total.max_connections);
	ctl_metrics_head("eshm_memory_bytes", "gauge", "Bytes of the segments' memfds.");
	printf("eshm_memory_bytes %" PRIu64 "\n", st->total.bytes);
	ctl_metrics_head("eshm_memory_max_bytes", "gauge", "max_bytes in eshmd.conf.");
	printf("eshm_memory_max_bytes %" PRIu64 "\n", st->total.max_bytes);
}

/* A family of one sample, @ns nanoseconds in seconds. */
static void
ctl_metrics_seconds(const char *name, const char *type, const char *help, uint64_t ns)
{
	ctl_metrics_head(name, type, help);
	printf("%s %.9f\n", name, (double)ns / 1e9);
}

/* eshmd's own counters, from COUNTERS. */
static void
ctl_metrics_counters(const struct proto_counters *k)
{
	uint32_t i;

	ctl_metrics_head("eshm_refusals_total", "counter",
	                 "Requests and connections eshmd refused, by the error answered.");
	for (i = 1; i < k->reasons && i < PROTO_REASONS; i++)
		printf("eshm_refusals_total{reason=\"%s\"} %" PRIu64 "\n",
		       proto_error_name(-(int)i), k->refusals[i]);
	printf("eshm_refusals_total{reason=\"other\"} %" PRIu64 "\n", k->refusals[0]);
	ctl_metrics_head("eshm_events_total", "counter",
	                 "Events eshmd recorded (eshmctl events) since it started.");
	printf("eshm_events_total %" PRIu64 "\n", k->events);
	ctl_metrics_head("eshm_monitor_passes_total", "counter",
	                 "Passes of eshmd's monitor over every heartbeat.");
	printf("eshm_monitor_passes_total %" PRIu64 "\n", k->monitor_passes);
	ctl_metrics_seconds("eshm_monitor_pass_seconds_total", "counter",
	                    "Wall-clock time the monitor's passes took.", k->monitor_busy_ns);
	ctl_metrics_seconds("eshm_monitor_cpu_seconds_total", "counter",
	                    "CPU time of eshmd's monitor thread.", k->monitor_cpu_ns);
	ctl_metrics_seconds("eshm_monitor_last_pass_seconds", "gauge",
	                    "How long the monitor's last pass took.", k->monitor_last_pass_ns);
	ctl_metrics_seconds("eshm_monitor_max_pass_seconds", "gauge",
	                    "How long the monitor's longest pass took since eshmd started.",
	                    k->monitor_max_pass_ns);
}

/* The per-segment families. */
static void
ctl_metrics_segments(const struct proto_segment_info *segs, size_t n)
{
	size_t k, f;
	int i, s;

	ctl_metrics_head("eshm_segment_capacity_bytes", "gauge", "Largest message of the segment.");
	for (k = 0; k < n; k++)
		printf("eshm_segment_capacity_bytes{segment=\"%s\"} %" PRIu64 "\n", segs[k].name,
		       segs[k].capacity);
	ctl_metrics_head("eshm_segment_memory_bytes", "gauge", "Bytes of the segment's memfds.");
	for (k = 0; k < n; k++)
		printf("eshm_segment_memory_bytes{segment=\"%s\"} %" PRIu64 "\n", segs[k].name,
		       segs[k].bytes);
	ctl_metrics_head("eshm_segment_observers", "gauge", "Observers of the segment.");
	for (k = 0; k < n; k++)
		printf("eshm_segment_observers{segment=\"%s\"} %" PRIu32 "\n", segs[k].name,
		       segs[k].observers);
	ctl_metrics_head("eshm_endpoint_state", "gauge",
	                 "1 for the role's state (eshmd's verdict), 0 for the others.");
	for (k = 0; k < n; k++)
		for (i = 0; i < 2; i++)
			for (s = 0; s < 4; s++)
				printf("eshm_endpoint_state{segment=\"%s\",role=\"%s\",state=\"%s\"} "
				       "%d\n",
				       segs[k].name, seg_role_name(i), ctl_metrics_state[s],
				       segs[k].endpoint[i].state == (uint32_t)s);
	ctl_metrics_head("eshm_endpoint_silent_seconds", "gauge",
	                 "How long the role's heartbeat has not moved, as eshmd counted.");
	for (k = 0; k < n; k++)
		for (i = 0; i < 2; i++)
			printf("eshm_endpoint_silent_seconds{segment=\"%s\",role=\"%s\"} %.3f\n",
			       segs[k].name, seg_role_name(i),
			       (double)segs[k].endpoint[i].silent_ms / 1e3);
	for (f = 0; f < sizeof(ctl_metrics) / sizeof(ctl_metrics[0]); f++) {
		const struct ctl_metric *m = &ctl_metrics[f];

		ctl_metrics_head(m->name, m->type, m->help);
		for (k = 0; k < n; k++) {
			if (m->queue_only && segs[k].mode != SEG_MODE_QUEUE)
				continue;
			for (i = 0; i < 2; i++)
				printf("%s{segment=\"%s\",%s=\"%s\"} %" PRIu64 "\n", m->name,
				       segs[k].name, m->per_channel ? "channel" : "role",
				       m->per_channel ? ctl_metrics_channel[i] : seg_role_name(i),
				       m->value(&segs[k], i));
		}
	}
}

static int
ctl_metrics_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_status_reply st;
	struct proto_counters counters;
	struct proto_segment_info *segs;
	size_t n;
	int rc = ctl_no_operands(ctx, argc, argv, ctl_metrics_longopts);

	if (rc != -1)
		return rc;
	if (ctl_request(ctx, NULL, PROTO_REQ_STATUS, NULL, PROTO_REP_DAEMON, &st, NULL) != 0 ||
	    ctl_request(ctx, NULL, PROTO_REQ_COUNTERS, NULL, PROTO_REP_COUNTERS, &counters,
	                NULL) != 0)
		return CTL_EXIT_FAIL;
	rc = ctl_fetch_list(ctx, &segs, &n);
	if (rc != CTL_EXIT_OK)
		return rc;
	ctl_metrics_daemon(&st);
	ctl_metrics_counters(&counters);
	ctl_metrics_segments(segs, n);
	free(segs);
	return fflush(stdout) == 0 && !ferror(stdout) ? CTL_EXIT_OK
	                                              : ctl_error("cannot write the metrics");
}

const struct ctl_cmd ctl_cmd_metrics = {
	.name = "metrics",
	.synopsis = "",
	.help = "Print eshmd's state in the Prometheus text exposition format: the\n"
	        "daemon's segments, endpoints by state, observers, connections and memory\n"
	        "with their limits, requests refused by reason, events recorded, and the\n"
	        "monitor's passes with their time and CPU time; per segment its capacity, memory and observers; per\n"
	        "role its state, silence, heartbeats and attaches; per channel the\n"
	        "messages written, read and missed, read retries and contended reads, and\n"
	        "a queue's unread messages.  Counters end in _total; no timestamps, so\n"
	        "node_exporter's textfile collector takes the output as it is.  Only the\n"
	        "segments eshmd's access policy lets the caller see are listed.\n",
	.run = ctl_metrics_run,
};
