/*
 * ctl_cmd_list.c - eshmctl list: one row (or JSON object) per segment.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ctl_commands.h"
#include "ctl_conn.h"
#include "ctl_fmt.h"
#include "ctl_observers.h"
#include "ctl_segtable.h"
#include "ctl_json.h"

static const struct option ctl_list_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "json", no_argument, NULL, CTL_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

/*
 * The observers of @seg, asked on @sock (one connection for the whole
 * list): NULL when eshmd did not say; a segment without any needs no
 * question.
 */
static const struct proto_observers_reply *
ctl_list_observers(const struct ctl_ctx *ctx, int sock, const struct proto_segment_info *seg,
                   struct proto_observers_reply *buf)
{
	if (seg->observers == 0) {
		memset(buf, 0, sizeof(*buf));
		return buf;
	}
	if (sock < 0 || ctl_observers_fetch(ctx, sock, seg->name, buf) != 0)
		return NULL;
	return buf;
}

/* The list as a JSON document. */
static json_object *
ctl_list_json(const struct ctl_ctx *ctx, const struct proto_segment_info *segs, size_t n,
              uint64_t now)
{
	json_object *doc = json_object_new_object();
	json_object *array = json_object_new_array();
	struct proto_observers_reply obs;
	json_object *seg;
	int sock = -1;
	size_t i;

	if (doc == NULL || array == NULL) {
		json_object_put(doc);
		json_object_put(array);
		return NULL;
	}
	json_object_object_add(doc, "segments", array);
	for (i = 0; i < n; i++) {
		if (sock < 0 && segs[i].observers != 0)
			sock = proto_connect(ctx->socket_path);
		seg = ctl_json_segment(&segs[i], ctl_list_observers(ctx, sock, &segs[i], &obs), now);
		if (seg == NULL || json_object_array_add(array, seg) != 0) {
			json_object_put(seg);
			json_object_put(doc);
			doc = NULL;
			break;
		}
	}
	if (sock >= 0)
		close(sock);
	return doc;
}

/* The list as the aligned table. */
static int
ctl_list_text(const struct proto_segment_info *segs, size_t n, uint64_t now)
{
	const bool color = ctl_use_color(stdout);
	struct ctl_table *t = ctl_segtable_new(false);
	size_t i;
	int rc = t != NULL ? 0 : -1;

	for (i = 0; i < n && rc == 0; i++)
		rc = ctl_segtable_add(t, &segs[i], NULL, now, color);
	if (rc != 0)
		rc = ctl_error("out of memory");
	else if (ctl_table_print(t, stdout, "\n") != 0 || fflush(stdout) != 0)
		rc = ctl_error("cannot write the list");
	ctl_table_free(t);
	return rc;
}

static int
ctl_list_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_segment_info *segs;
	size_t n;
	int rc = ctl_no_operands(ctx, argc, argv, ctl_list_longopts);

	if (rc != -1)
		return rc;
	rc = ctl_fetch_list(ctx, &segs, &n);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (ctx->json)
		rc = ctl_json_print(ctl_list_json(ctx, segs, n, clock_real_ns()));
	else
		rc = ctl_list_text(segs, n, clock_real_ns());
	free(segs);
	return rc;
}

const struct ctl_cmd ctl_cmd_list = {
	.name = "list",
	.synopsis = "[--json]",
	.help = "List every segment eshmd supervises, one row each: name, capacity, the\n"
	        "master's and the slave's pid, state and heartbeats per second, messages\n"
	        "written each way, messages missed by the readers, and age.  States are\n"
	        "coloured when standard output is a terminal.\n\n"
	        "Options:\n"
	        "  --json          print a JSON object (schema in eshmctl(8))\n",
	.run = ctl_list_run,
};
