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

enum { CTL_OPT_CAPACITY = 0x200, CTL_OPT_STALE_MS, CTL_OPT_AUTO_CLEANUP };

static const struct option ctl_create_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "capacity", required_argument, NULL, CTL_OPT_CAPACITY },
	{ "stale-ms", required_argument, NULL, CTL_OPT_STALE_MS },
	{ "auto-cleanup", no_argument, NULL, CTL_OPT_AUTO_CLEANUP },
	{ NULL, 0, NULL, 0 },
};

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
		default:
			return ctx->exit_code;
		}
	}
	return ctl_segment_request(ctx, argc, argv, req.name, PROTO_REQ_CREATE, &req,
	                           PROTO_REP_STATUS, &rep, NULL);
}

const struct ctl_cmd ctl_cmd_create = {
	.name = "create",
	.synopsis = "NAME [--capacity BYTES] [--stale-ms MS] [--auto-cleanup]",
	.help = "Create the segment NAME before any endpoint attaches.  It is an error if\n"
	        "it exists already.\n\n"
	        "Options:\n"
	        "  --capacity BYTES  largest message per direction, 1 to 16M (suffixes K\n"
	        "                    and M allowed; default: eshmd's, normally 4096)\n"
	        "  --stale-ms MS     the segment's default stale threshold, taken by\n"
	        "                    endpoints that attach with 0; 1 to 600000\n"
	        "                    (default: eshmd's default_stale_threshold_ms)\n"
	        "  --auto-cleanup    let eshmd remove the segment once endpoints attached\n"
	        "                    and all are gone\n",
	.run = ctl_create_run,
};
