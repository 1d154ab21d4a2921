/*
 * ctl_cmd_create.c - eshmctl create NAME: a segment made ahead of its endpoints.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl_commands.h"
#include "ctl_conn.h"
#include "eshm.h"
#include "layout.h"

enum {
	CTL_OPT_CAPACITY = 0x200,
	CTL_OPT_STALE_MS,
	CTL_OPT_AUTO_CLEANUP,
	CTL_OPT_MODE,
	CTL_OPT_QUEUE_DEPTH,
	CTL_OPT_TIMESTAMPS,
};

static const struct option ctl_create_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "capacity", required_argument, NULL, CTL_OPT_CAPACITY },
	{ "stale-ms", required_argument, NULL, CTL_OPT_STALE_MS },
	{ "auto-cleanup", no_argument, NULL, CTL_OPT_AUTO_CLEANUP },
	{ "mode", required_argument, NULL, CTL_OPT_MODE },
	{ "queue-depth", required_argument, NULL, CTL_OPT_QUEUE_DEPTH },
	{ "timestamps", no_argument, NULL, CTL_OPT_TIMESTAMPS },
	{ NULL, 0, NULL, 0 },
};

/* --mode latest|queue */
static int
ctl_create_mode(struct ctl_ctx *ctx, const char *text, uint32_t *mode)
{
	if (strcmp(text, "latest") == 0)
		*mode = SEG_MODE_LATEST;
	else if (strcmp(text, "queue") == 0)
		*mode = SEG_MODE_QUEUE;
	else
		return ctl_usage_error(ctx, "--mode takes latest or queue, not '%s'", text);
	return 0;
}

static int
ctl_create_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_create req;
	struct proto_status rep;
	uint64_t v;
	int opt;

	memset(&req, 0, sizeof(req));
	while ((opt = ctl_getopt(ctx, argc, argv, "", ctl_create_longopts)) != -1) {
		switch (opt) {
		case CTL_OPT_CAPACITY:
			if (ctl_parse_uint(ctx, "--capacity", optarg, 1, SEG_CAPACITY_MAX, true, &v) != 0)
				return CTL_EXIT_USAGE;
			req.capacity = v;
			break;
		case CTL_OPT_STALE_MS:
			if (ctl_parse_uint(ctx, "--stale-ms", optarg, ESHM_STALE_THRESHOLD_MS_MIN,
			                   ESHM_STALE_THRESHOLD_MS_MAX, false, &v) != 0)
				return CTL_EXIT_USAGE;
			req.stale_threshold_ms = (uint32_t)v;
			break;
		case CTL_OPT_AUTO_CLEANUP:
			req.flags |= PROTO_ATTACH_AUTO_CLEANUP;
			break;
		case CTL_OPT_MODE:
			if (ctl_create_mode(ctx, optarg, &req.mode) != 0)
				return CTL_EXIT_USAGE;
			break;
		case CTL_OPT_QUEUE_DEPTH:
			if (ctl_parse_uint(ctx, "--queue-depth", optarg, 1, ESHM_QUEUE_DEPTH_MAX, false,
			                   &v) != 0)
				return CTL_EXIT_USAGE;
			req.queue_depth = (uint32_t)v;
			break;
		case CTL_OPT_TIMESTAMPS:
			req.flags |= PROTO_ATTACH_TIMESTAMPS;
			break;
		default:
			return ctx->exit_code;
		}
	}
	if (req.queue_depth != 0 && req.mode != SEG_MODE_QUEUE)
		return ctl_usage_error(ctx, "--queue-depth needs --mode queue");
	return ctl_segment_request(ctx, argc, argv, req.name, PROTO_REQ_CREATE, &req,
	                           PROTO_REP_STATUS, &rep, NULL);
}

const struct ctl_cmd ctl_cmd_create = {
	.name = "create",
	.synopsis = "NAME [--capacity BYTES] [--stale-ms MS] [--mode MODE] [--queue-depth N] "
	            "[--timestamps] [--auto-cleanup]",
	.help = "Create the segment NAME before any endpoint attaches.  It is an error if\n"
	        "it exists already.\n\n"
	        "Options:\n"
	        "  --capacity BYTES  largest message per direction, 1 to 16M (suffixes K\n"
	        "                    and M allowed; default: eshmd's, normally 4096)\n"
	        "  --stale-ms MS     the segment's default stale threshold, taken by\n"
	        "                    endpoints that attach with 0; 1 to 600000\n"
	        "                    (default: eshmd's default_stale_threshold_ms)\n"
	        "  --auto-cleanup    let eshmd remove the segment once endpoints attached\n"
	        "                    and all are gone\n"
	        "  --mode MODE       latest (default: a write replaces, a read gets the\n"
	        "                    newest) or queue (every message read once, in order)\n"
	        "  --queue-depth N   unread messages a queue holds, 1 to 65536\n"
	        "                    (default: eshmd's, 64)\n"
	        "  --timestamps      store each message's write time\n",
	.run = ctl_create_run,
};
