/*
 * ctl_cmd_show.c - eshmctl show NAME: everything eshmd knows about one segment.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "ctl_commands.h"
#include "ctl_conn.h"
#include "ctl_fmt.h"
#include "ctl_observers.h"
#include "layout.h"
#include "ctl_table.h"
#include "ctl_json.h"

static const struct option ctl_show_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "json", no_argument, NULL, CTL_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static const char *const ctl_show_ep_headers[] = { "ENDPOINT", "MASTER", "SLAVE" };
static const char *const ctl_show_ch_headers[] = { "CHANNEL", "MASTER->SLAVE", "SLAVE->MASTER" };

/* One row of a two-column block: label, then the master's and the slave's value. */
static int
ctl_show_row(struct ctl_table *t, const char *label, const char *m, const char *s,
             const char *mcolor, const char *scolor)
{
	int rc = 0;

	rc |= ctl_table_cell(t, label, NULL);
	rc |= ctl_table_cell(t, m, mcolor);
	rc |= ctl_table_cell(t, s, scolor);
	return rc;
}

static int
ctl_show_endpoints(const struct proto_segment_info *seg, uint64_t now, bool color)
{
	const struct proto_endpoint_info *ep = seg->endpoint;
	char v[2][64], w[2][CTL_FMT_SIZE];
	struct ctl_table *t;
	int i, rc = 0;

	t = ctl_table_new(3, ctl_show_ep_headers, "lll");
	if (t == NULL)
		return -1;
	rc |= ctl_show_row(t, "pid", ctl_fmt_pid(ep[0].pid, w[0]), ctl_fmt_pid(ep[1].pid, w[1]),
	                   NULL, NULL);
	rc |= ctl_show_row(t, "process", ep[0].comm[0] != '\0' ? ep[0].comm : "-",
	                   ep[1].comm[0] != '\0' ? ep[1].comm : "-", NULL, NULL);
	/* A bridge's role: the state shown is the remote process's. */
	for (i = 0; i < 2; i++) {
		if (ep[i].flags & PROTO_EP_BRIDGED)
			snprintf(v[i], sizeof(v[i]), "pid %" PRId32 " on %.40s", ep[i].remote_pid,
			         ep[i].remote_host);
		else
			snprintf(v[i], sizeof(v[i]), "-");
	}
	if ((ep[0].flags | ep[1].flags) & PROTO_EP_BRIDGED)
		rc |= ctl_show_row(t, "bridged for", v[0], v[1], NULL, NULL);
	rc |= ctl_show_row(t, "state", seg_state_name(ep[0].state), seg_state_name(ep[1].state),
	                   color ? ctl_state_color(ep[0].state) : NULL,
	                   color ? ctl_state_color(ep[1].state) : NULL);
	for (i = 0; i < 2; i++)
		snprintf(v[i], sizeof(v[i]), "%" PRIu32, ep[i].uid);
	rc |= ctl_show_row(t, "uid", ep[0].pid > 0 ? v[0] : "-", ep[1].pid > 0 ? v[1] : "-", NULL,
	                   NULL);
	for (i = 0; i < 2; i++)
		snprintf(v[i], sizeof(v[i]), "%" PRIu32 " ms", ep[i].stale_threshold_ms);
	rc |= ctl_show_row(t, "tolerates peer", v[0], v[1], NULL, NULL);
	for (i = 0; i < 2; i++)
		snprintf(v[i], sizeof(v[i]), "%" PRIu32 " ms", ep[i].judged_ms);
	rc |= ctl_show_row(t, "judged stale at", v[0], v[1], NULL, NULL);
	for (i = 0; i < 2; i++)
		snprintf(v[i], sizeof(v[i]), "%" PRIu32 " ms", ep[i].silent_ms);
	rc |= ctl_show_row(t, "silent", v[0], v[1], NULL, NULL);
	for (i = 0; i < 2; i++) {
		if (ep[i].heartbeat_rate == PROTO_RATE_UNKNOWN)
			snprintf(v[i], sizeof(v[i]), "%" PRIu64 " (-/s)", ep[i].heartbeat);
		else
			snprintf(v[i], sizeof(v[i]), "%" PRIu64 " (%" PRIu64 "/s)", ep[i].heartbeat,
			         ep[i].heartbeat_rate);
	}
	rc |= ctl_show_row(t, "heartbeat", v[0], v[1], NULL, NULL);
	for (i = 0; i < 2; i++) {
		if (ep[i].attach_realtime_ns != 0)
			snprintf(v[i], sizeof(v[i]), "%s ago",
			         ctl_fmt_since(ep[i].attach_realtime_ns, now, w[i]));
		else
			snprintf(v[i], sizeof(v[i]), "never");
	}
	rc |= ctl_show_row(t, "attached", v[0], v[1], NULL, NULL);
	for (i = 0; i < 2; i++)
		snprintf(v[i], sizeof(v[i]), "%" PRIu64, ep[i].incarnation);
	rc |= ctl_show_row(t, "attaches", v[0], v[1], NULL, NULL);
	if (rc == 0)
		rc = ctl_table_print(t, stdout, "\n");
	ctl_table_free(t);
	return rc;
}

static int
ctl_show_channels(const struct proto_segment_info *seg, uint64_t now)
{
	const struct proto_channel_info *ch = seg->channel;
	char v[2][64], w[CTL_FMT_SIZE];
	struct ctl_table *t;
	int i, rc = 0;

	t = ctl_table_new(3, ctl_show_ch_headers, "lll");
	if (t == NULL)
		return -1;
#define CTL_SHOW_U64(label, field) \
	do { \
		for (i = 0; i < 2; i++) \
			snprintf(v[i], sizeof(v[i]), "%" PRIu64, (uint64_t)ch[i].field); \
		rc |= ctl_show_row(t, label, v[0], v[1], NULL, NULL); \
	} while (0)
	CTL_SHOW_U64("messages", head);
	CTL_SHOW_U64("read", read_count);
	CTL_SHOW_U64("missed", missed);
	for (i = 0; i < 2; i++) {
		if (ch[i].missed_rate == PROTO_RATE_UNKNOWN)
			snprintf(v[i], sizeof(v[i]), "-");
		else
			snprintf(v[i], sizeof(v[i]), "%" PRIu64 "/s", ch[i].missed_rate);
	}
	rc |= ctl_show_row(t, "missing", v[0], v[1], NULL, NULL);
	CTL_SHOW_U64("retries", retries);
	CTL_SHOW_U64("gave up", contended);
	if (seg->mode == SEG_MODE_QUEUE)
		CTL_SHOW_U64("unread", unread);
#undef CTL_SHOW_U64
	for (i = 0; i < 2; i++) {
		if (ch[i].last_write_realtime_ns == 0)
			snprintf(v[i], sizeof(v[i]), "-");
		else
			snprintf(v[i], sizeof(v[i]), "%" PRIu32 " bytes", ch[i].last_size);
	}
	rc |= ctl_show_row(t, "last size", v[0], v[1], NULL, NULL);
	for (i = 0; i < 2; i++) {
		if (ch[i].last_write_realtime_ns != 0)
			snprintf(v[i], sizeof(v[i]), "%s ago",
			         ctl_fmt_since(ch[i].last_write_realtime_ns, now, w));
		else
			snprintf(v[i], sizeof(v[i]), "never");
	}
	rc |= ctl_show_row(t, "last write", v[0], v[1], NULL, NULL);
	if (rc == 0)
		rc = ctl_table_print(t, stdout, "\n");
	ctl_table_free(t);
	return rc;
}

static int
ctl_show_print(const struct proto_segment_info *seg, const struct proto_observers_reply *obs,
               bool color)
{
	const uint64_t now = clock_real_ns();
	char a[CTL_FMT_SIZE], b[CTL_FMT_SIZE];
	char flags[64] = "";

	if (seg->flags & SEG_FLAG_AUTO_CLEANUP)
		strcat(flags, "auto-cleanup ");
	if (seg->flags & SEG_FLAG_TIMESTAMPS)
		strcat(flags, "timestamps ");
	if (seg->verdict_flags & SEG_VERDICT_REVOKED)
		strcat(flags, "revoked ");
	if (flags[0] == '\0')
		strcpy(flags, "none ");
	flags[strlen(flags) - 1] = '\0';

	printf("segment          %s\n", seg->name);
	printf("layout version   %" PRIu32 "\n", seg->layout_version);
	printf("generation       %" PRIu64 "\n", seg->generation);
	printf("capacity         %" PRIu64 " bytes (%s)\n", seg->capacity,
	       ctl_fmt_bytes(seg->capacity, a));
	if (seg->mode == SEG_MODE_QUEUE)
		printf("channels         queue of %" PRIu32 " messages (%" PRIu32 " slots)\n",
		       seg->queue_depth, seg->slots);
	else
		printf("channels         latest value (%" PRIu32 " slots)\n", seg->slots);
	printf("memory           %s\n", ctl_fmt_bytes(seg->bytes, a));
	printf("observers        %" PRIu32 "\n", seg->observers);
	printf("created          %s (%s ago)\n", ctl_fmt_time(seg->created_realtime_ns, a),
	       ctl_fmt_since(seg->created_realtime_ns, now, b));
	printf("owner            uid %" PRIu32 ", gid %" PRIu32 "\n", seg->owner_uid,
	       seg->owner_gid);
	printf("flags            %s\n", flags);
	printf("stale threshold  %" PRIu32 " ms (segment default)\n", seg->stale_threshold_ms);
	printf("check interval   %" PRIu32 " ms\n\n", seg->check_interval_ms);
	if (ctl_show_endpoints(seg, now, color) != 0)
		return -1;
	putchar('\n');
	if (ctl_show_channels(seg, now) != 0)
		return -1;
	if (obs != NULL && obs->count != 0) {
		putchar('\n');
		if (ctl_observers_print(obs, seg->mode, now, stdout, "\n") != 0)
			return -1;
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

static int
ctl_show_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_segment_info seg;
	struct proto_observers_reply obs, *have = NULL;
	struct proto_name req;
	int rc;

	if (ctl_getopt(ctx, argc, argv, "", ctl_show_longopts) != -1)
		return ctx->exit_code;
	memset(&req, 0, sizeof(req));
	rc = ctl_segment_request(ctx, argc, argv, req.name, PROTO_REQ_SHOW, &req,
	                         PROTO_REP_SEGMENT, &seg, NULL);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (ctl_observers_fetch(ctx, -1, req.name, &obs) == ESHM_SUCCESS)
		have = &obs;
	if (ctx->json)
		return ctl_json_print(ctl_json_segment(&seg, have, clock_real_ns()));
	if (ctl_show_print(&seg, have, ctl_use_color(stdout)) != 0)
		return ctl_error("cannot write the description of '%s'", req.name);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_show = {
	.name = "show",
	.synopsis = "NAME [--json]",
	.help = "Describe the segment NAME: layout version, generation, capacity, creation,\n"
	        "thresholds; for each endpoint its pid, process name, state, heartbeat and\n"
	        "attach time; for each channel its sequence number, messages written, read\n"
	        "and missed, and the time since its last write; for each observer its pid,\n"
	        "process name, the channel it reads, messages read and missed.\n\n"
	        "Options:\n"
	        "  --json          print a JSON object (schema in eshmctl(8))\n",
	.run = ctl_show_run,
};
