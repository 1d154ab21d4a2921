/*
 * ctl_cmd_list.c - eshmctl list: one row (or JSON object) per segment.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "clock.h"
#include "ctl_commands.h"
#include "ctl_conn.h"
#include "ctl_fmt.h"
#include "ctl_segtable.h"
#include "ctl_json.h"

static const struct option ctl_list_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "json", no_argument, NULL, CTL_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

struct ctl_list_out {
	struct ctl_table *table; /* text output */
	json_object *array;      /* --json output */
	uint64_t now_ns;
	bool color;
	int failed;
};

static void
ctl_list_each(const struct proto_segment_info *s, void *arg)
{
	struct ctl_list_out *out = arg;

	if (out->array != NULL) {
		json_object *seg = ctl_json_segment(s, out->now_ns);

		if (seg == NULL || json_object_array_add(out->array, seg) != 0)
			out->failed = 1;
	} else if (ctl_segtable_add(out->table, s, NULL, out->now_ns, out->color) != 0) {
		out->failed = 1;
	}
}

static int
ctl_list_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_list_out out = { 0 };
	json_object *doc = NULL;
	int sock, rc;

	if (ctl_getopt(ctx, argc, argv, "", ctl_list_longopts) != -1)
		return ctx->exit_code;
	rc = ctl_operands(ctx, argc, argv, 0, 0);
	if (rc != 0)
		return rc;
	if (ctx->json) {
		doc = json_object_new_object();
		out.array = json_object_new_array();
		if (doc == NULL || out.array == NULL) {
			json_object_put(doc);
			json_object_put(out.array);
			return ctl_error("out of memory");
		}
		json_object_object_add(doc, "segments", out.array);
	} else {
		out.table = ctl_segtable_new(false);
		if (out.table == NULL)
			return ctl_error("out of memory");
		out.color = ctl_use_color(stdout);
	}
	sock = ctl_connect(ctx);
	if (sock < 0) {
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	out.now_ns = clock_real_ns();
	rc = ctl_list(sock, ctl_list_each, &out);
	close(sock);
	if (rc != 0) {
		rc = ctl_report(ctx, rc, NULL, NULL);
		goto out;
	}
	if (out.failed) {
		rc = ctl_error("out of memory");
		goto out;
	}
	if (doc != NULL) {
		rc = ctl_json_print(doc);
		doc = NULL;
	} else {
		rc = ctl_table_print(out.table, stdout, "\n") == 0 && fflush(stdout) == 0
		         ? CTL_EXIT_OK
		         : ctl_error("cannot write the list");
	}
out:
	json_object_put(doc);
	ctl_table_free(out.table);
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
