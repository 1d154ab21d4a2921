/*
 * ctl_cmd_status.c - eshmctl status: eshmd itself at a glance.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "ctl_commands.h"
#include "ctl_conn.h"
#include "ctl_fmt.h"
#include "layout.h"
#include "ctl_json.h"

static const struct option ctl_status_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "json", no_argument, NULL, CTL_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

/* "used of max" for one line of usage; max 0 means no limit. */
static void
ctl_status_usage(const char *label, const struct proto_usage *u)
{
	char a[CTL_FMT_SIZE], b[CTL_FMT_SIZE];

	printf("%-11s %" PRIu32 " of %" PRIu32 " segments, %s of %s, %" PRIu32 " of %" PRIu32
	       " connections\n",
	       label, u->segments, u->max_segments, ctl_fmt_bytes(u->bytes, a),
	       ctl_fmt_bytes(u->max_bytes, b), u->connections, u->max_connections);
}

static void
ctl_status_print(const struct proto_status_reply *st)
{
	char buf[CTL_FMT_SIZE];

	printf("version     %s\n", st->version);
	printf("pid         %" PRId32 "\n", st->pid);
	printf("uptime      %s\n", ctl_fmt_duration(st->uptime_ms, buf));
	printf("socket      %s\n", st->socket_path);
	printf("memfd names %s<segment>.*\n", st->shm_prefix);
	printf("check       every %" PRIu32 " ms\n", st->check_interval_ms);
	printf("segments    %" PRIu32 "\n", st->segments);
	printf("endpoints   %" PRIu32 " alive, %" PRIu32 " stale, %" PRIu32 " dead, %" PRIu32
	       " detached\n",
	       st->endpoints_by_state[SEG_EP_ALIVE], st->endpoints_by_state[SEG_EP_STALE],
	       st->endpoints_by_state[SEG_EP_DEAD], st->endpoints_by_state[SEG_EP_DETACHED]);
	printf("observers   %" PRIu32 "\n", st->observers);
	ctl_status_usage("usage", &st->total);
	ctl_status_usage("your usage", &st->user);
}

static int
ctl_status_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_status_reply st;
	int rc = ctl_no_operands(ctx, argc, argv, ctl_status_longopts);

	if (rc != -1)
		return rc;
	if (ctl_request(ctx, NULL, PROTO_REQ_STATUS, NULL, PROTO_REP_DAEMON, &st, NULL) != 0)
		return CTL_EXIT_FAIL;
	if (ctx->json)
		return ctl_json_print(ctl_json_status(&st));
	ctl_status_print(&st);
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

const struct ctl_cmd ctl_cmd_status = {
	.name = "status",
	.synopsis = "[--json]",
	.help = "Show eshmd's version, pid, uptime, socket, shared-memory prefix and how\n"
	        "many segments and endpoints (by state) it supervises.\n\n"
	        "Options:\n"
	        "  --json          print a JSON object (schema in eshmctl(8))\n",
	.run = ctl_status_run,
};
