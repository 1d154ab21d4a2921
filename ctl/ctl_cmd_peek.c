/*
 * ctl_cmd_peek.c - eshmctl peek NAME: the latest message of one channel, read
 * through a read-only mapping without consuming it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "ctl_commands.h"
#include "ctl_conn.h"
#include "eshm.h"
#include "ctl_dump.h"
#include "ctl_fmt.h"
#include "layout.h"

enum { CTL_OPT_DIRECTION = 'd' };

static const struct option ctl_peek_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "direction", required_argument, NULL, CTL_OPT_DIRECTION },
	{ NULL, 0, NULL, 0 },
};

static const char *const ctl_peek_dir_name[2] = { "master->slave", "slave->master" };

/* The blocks a PEEK brought, mapped read-only. */
struct ctl_peek {
	struct seg_mapping status;
	struct seg_geometry g;
	struct seg_mapping block;    /* of the chosen direction's writer; unmapped if none */
	uint64_t incarnation;
};

/* Why a read found no message, from what the block shows now. */
static const char *
ctl_peek_why_empty(const struct ctl_peek *pk)
{
	const struct seg_block *b = seg_block_of(&pk->block);

	if (pk->block.base == NULL)
		return "no endpoint ever held the writing role";
	if (atomic_load_explicit(&b->head, memory_order_acquire) == 0)
		return "no message has been written yet";
	return "its last write was cut short (its writer is in the middle of one, or died "
	       "in one); nothing to show";
}

/*
 * Copy the newest message of the chosen channel into @buf.
 *
 * chan_read() is the one read side; given a cursor of our own and no
 * reader part it writes nothing anywhere (the blocks are mapped read-only
 * anyway), so the endpoints' counters and positions stay exactly as they
 * were.  A fresh cursor makes the newest complete message count as unread.
 */
static int
ctl_peek_read(const struct ctl_peek *pk, unsigned char *buf, struct chan_msg *msg)
{
	struct chan_cursor cur;

	memset(&cur, 0, sizeof(cur));
	if (pk->block.base == NULL)
		return ESHM_ERROR_NO_DATA;
	return chan_read(seg_block_of(&pk->block), &pk->g, &cur, false, NULL, buf,
	                 (size_t)pk->g.capacity, msg);
}

static int
ctl_peek_show(const char *name, const struct ctl_peek *pk, int dir)
{
	struct chan_msg msg;
	unsigned char *buf;
	size_t text_len;
	int rc;

	buf = malloc(pk->g.capacity);
	if (buf == NULL)
		return ctl_error("out of memory for a %" PRIu64 "-byte message", pk->g.capacity);
	rc = ctl_peek_read(pk, buf, &msg);
	if (rc == ESHM_ERROR_NO_DATA) {
		printf("%s %s: %s\n", name, ctl_peek_dir_name[dir], ctl_peek_why_empty(pk));
		rc = CTL_EXIT_OK;
		goto out;
	}
	if (rc != ESHM_SUCCESS) {
		rc = ctl_error("cannot read %s %s: %s", name, ctl_peek_dir_name[dir],
		               eshm_error_string(rc));
		goto out;
	}
	printf("%s %s: message %" PRIu64 ", %zu bytes (writer's attach %" PRIu64 ")\n", name,
	       ctl_peek_dir_name[dir], msg.number, msg.size, pk->incarnation);
	if (msg.size > 0 && ctl_is_text(buf, msg.size, &text_len)) {
		fwrite(buf, 1, text_len, stdout);
		if (buf[text_len - 1] != '\n')
			putchar('\n');
	} else {
		ctl_hexdump(stdout, buf, msg.size);
	}
	rc = fflush(stdout) == 0 && !ferror(stdout) ? CTL_EXIT_OK
	                                             : ctl_error("cannot write the message");
out:
	free(buf);
	return rc;
}

/* Map what a PEEK reply @rep brought in @fds for direction @dir. */
static int
ctl_peek_map(const struct proto_peek_reply *rep, const struct proto_fds *fds, int dir,
             struct ctl_peek *pk)
{
	uint32_t bit = dir == SEG_MASTER ? PROTO_FD_MASTER : PROTO_FD_SLAVE;
	int status_fd = proto_fds_get(fds, rep->fds, PROTO_FD_STATUS);
	int block_fd = proto_fds_get(fds, rep->fds, bit);
	int rc;

	memset(pk, 0, sizeof(*pk));
	if (status_fd < 0)
		return ESHM_ERROR_PROTOCOL;
	rc = seg_map_status(status_fd, false, &pk->status, &pk->g);
	if (rc != ESHM_SUCCESS || block_fd < 0)
		return rc;
	pk->incarnation = rep->incarnation[dir];
	return seg_map_block(block_fd, &pk->g, false, false, &pk->block);
}

static int
ctl_peek_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_peek_reply rep;
	struct proto_name req;
	struct proto_fds fds;
	struct ctl_peek pk;
	int opt, rc, dir = SEG_M2S;

	while ((opt = ctl_getopt(ctx, argc, argv, "d:", ctl_peek_longopts)) != -1) {
		if (opt != CTL_OPT_DIRECTION)
			return ctx->exit_code;
		if (strcmp(optarg, "m2s") == 0)
			dir = SEG_M2S;
		else if (strcmp(optarg, "s2m") == 0)
			dir = SEG_S2M;
		else
			return ctl_usage_error(ctx, "--direction must be m2s or s2m, not '%s'", optarg);
	}
	memset(&req, 0, sizeof(req));
	rc = ctl_segment_request(ctx, argc, argv, req.name, PROTO_REQ_PEEK, &req, PROTO_REP_PEEK,
	                         &rep, &fds);
	if (rc != CTL_EXIT_OK)
		return rc;
	rc = ctl_peek_map(&rep, &fds, dir, &pk);
	proto_fds_close(&fds);
	if (rc == ESHM_SUCCESS)
		rc = ctl_peek_show(req.name, &pk, dir);
	else
		rc = ctl_report(ctx, rc, req.name, NULL);
	seg_unmap(&pk.block);
	seg_unmap(&pk.status);
	return rc;
}

const struct ctl_cmd ctl_cmd_peek = {
	.name = "peek",
	.synopsis = "NAME [--direction m2s|s2m]",
	.help = "Show the latest message of one channel of the segment NAME: as text when\n"
	        "it is printable, as a hex dump otherwise.  The segment is mapped\n"
	        "read-only: the message stays unread for its reader and nothing in the\n"
	        "segment changes.\n\n"
	        "Options:\n"
	        "  -d, --direction m2s|s2m  the channel: master to slave (default) or\n"
	        "                           slave to master\n",
	.run = ctl_peek_run,
};
