/*
 * ctl_cmd_remove.c - eshmctl remove NAME: unlink a segment, detaching its
 * endpoints only when forced.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_commands.h"
#include "ctl_conn.h"
#include "eshm.h"
#include "layout.h"

enum { CTL_OPT_FORCE = 'f' };

static const struct option ctl_remove_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "force", no_argument, NULL, CTL_OPT_FORCE },
	{ NULL, 0, NULL, 0 },
};

/*
 * After a refusal, name the endpoints still attached, so the operator
 * knows whom to stop.  Best effort: silent if eshmd does not answer.
 */
static void
ctl_remove_explain_busy(const struct ctl_ctx *ctx, const char *name)
{
	struct proto_segment_info seg;
	struct proto_name req;
	int sock, i;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	sock = proto_connect(ctx->socket_path);
	if (sock < 0)
		return;
	if (proto_call(sock, PROTO_REQ_SHOW, &req, NULL, PROTO_REP_SEGMENT, &seg, NULL, NULL,
	               CTL_REPLY_TIMEOUT_MS) == 0) {
		for (i = 0; i < 2; i++)
			if (seg.endpoint[i].state == SEG_EP_ALIVE ||
			    seg.endpoint[i].state == SEG_EP_STALE)
				fprintf(stderr, "eshmctl:   %s: pid %" PRId32 " (%s), %s\n", seg_role_name(i),
				        seg.endpoint[i].pid, seg.endpoint[i].comm,
				        seg_state_name(seg.endpoint[i].state));
	}
	close(sock);
}

static int
ctl_remove_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_remove req;
	struct proto_status rep;
	int opt, rc;

	memset(&req, 0, sizeof(req));
	while ((opt = ctl_getopt(ctx, argc, argv, "f", ctl_remove_longopts)) != -1) {
		if (opt != CTL_OPT_FORCE)
			return ctx->exit_code;
		req.force = 1;
	}
	rc = ctl_segment_request(ctx, argc, argv, req.name, PROTO_REQ_REMOVE, &req,
	                         PROTO_REP_STATUS, &rep, NULL);
	/* A refusal is a PROTO_REP_STATUS too: rep holds eshmd's answer. */
	if (rc == CTL_EXIT_FAIL && rep.status == ESHM_ERROR_BUSY)
		ctl_remove_explain_busy(ctx, req.name);
	return rc;
}

const struct ctl_cmd ctl_cmd_remove = {
	.name = "remove",
	.synopsis = "NAME [--force]",
	.help = "Remove the segment NAME.  eshmd refuses while an endpoint is attached\n"
	        "(alive or stale) and names it.\n\n"
	        "Options:\n"
	        "  -f, --force     remove it anyway: attached endpoints are detached and\n"
	        "                  their next eshm_write() or eshm_read() returns\n"
	        "                  ESHM_ERROR_DETACHED; they do not crash\n",
	.run = ctl_remove_run,
};
