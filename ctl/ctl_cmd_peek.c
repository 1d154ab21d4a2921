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
#include "clock.h"
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

/* Why a read found no message, from what the channel shows now. */
static const char *
ctl_peek_why_empty(struct seg_channel *ch)
{
	uint64_t seq = atomic_load_explicit(&ch->seq, memory_order_acquire);

	if (seq == 0)
		return "no message has been written yet";
	if (seq & 1)
		return "its writer is in the middle of a write (or died in one)";
	return "the last write was cut short by its writer's death; nothing to show";
}

/*
 * Copy the latest message of channel @dir of @map into @buf.
 *
 * chan_read() is the one seqlock read side; it updates the reader's shared
 * counters and a cursor.  Handing it a reader block and a cursor of our own
 * keeps every store out of the segment (which is mapped read-only anyway),
 * so the endpoints' counters and positions are left exactly as they were.
 * A zero cursor makes the newest complete message count as unread.
 */
static int
ctl_peek_read(struct seg_map *map, int dir, unsigned char *buf, size_t *len, uint64_t *seq)
{
	struct seg_reader scratch;
	struct chan_cursor cur;
	int rc;

	memset(&scratch, 0, sizeof(scratch));
	memset(&cur, 0, sizeof(cur));
	rc = chan_read(map->channel[dir], &scratch, map->capacity, &cur, buf, map->capacity, len);
	*seq = cur.last_seq;
	return rc;
}

static int
ctl_peek_show(const char *name, struct seg_map *map, int dir)
{
	struct seg_channel *ch = map->channel[dir];
	char ago[CTL_FMT_SIZE];
	unsigned char *buf;
	size_t len = 0, text_len;
	uint64_t seq;
	int rc;

	buf = malloc(map->capacity);
	if (buf == NULL)
		return ctl_error("out of memory for a %" PRIu64 "-byte message", map->capacity);
	rc = ctl_peek_read(map, dir, buf, &len, &seq);
	if (rc == ESHM_ERROR_NO_DATA) {
		printf("%s %s: %s\n", name, ctl_peek_dir_name[dir], ctl_peek_why_empty(ch));
		rc = CTL_EXIT_OK;
		goto out;
	}
	if (rc != ESHM_SUCCESS) {
		rc = ctl_error("cannot read %s %s: %s", name, ctl_peek_dir_name[dir],
		               eshm_error_string(rc));
		goto out;
	}
	printf("%s %s: message %" PRIu64 ", %zu bytes, written %s ago\n", name,
	       ctl_peek_dir_name[dir], seq / 2, len,
	       ctl_fmt_since(atomic_load_explicit(&map->reader[dir]->last_write_realtime_ns,
	                                          memory_order_relaxed),
	                     clock_real_ns(), ago));
	if (ctl_is_text(buf, len, &text_len)) {
		fwrite(buf, 1, text_len, stdout);
		if (buf[text_len - 1] != '\n')
			putchar('\n');
	} else {
		ctl_hexdump(stdout, buf, len);
	}
	rc = fflush(stdout) == 0 && !ferror(stdout) ? CTL_EXIT_OK
	                                             : ctl_error("cannot write the message");
out:
	free(buf);
	return rc;
}

static int
ctl_peek_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_name req;
	struct proto_status rep;
	struct seg_map map;
	int opt, rc, fd, dir = SEG_M2S;

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
	rc = ctl_segment_request(ctx, argc, argv, req.name, PROTO_REQ_PEEK, &req, PROTO_REP_STATUS,
	                         &rep, &fd);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (fd < 0)
		return ctl_error("eshmd answered PEEK for '%s' without the segment's descriptor; "
		                 "use matching versions of eshmctl and eshmd",
		                 req.name);
	rc = seg_map_fd(fd, 1, &map);
	close(fd);
	if (rc != 0)
		return ctl_report(ctx, rc, req.name, NULL);
	rc = ctl_peek_show(req.name, &map, dir);
	seg_unmap(&map);
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
