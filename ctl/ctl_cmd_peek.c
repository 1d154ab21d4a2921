/*
 * ctl_cmd_peek.c - eshmctl peek NAME: the latest message of one channel,
 * read as an observer of it (libeshm-client, ESHM_ROLE_OBSERVER), so the
 * channel's reader still gets it and no count of the segment's changes;
 * with --follow, every message as it comes.
 */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctl_commands.h"
#include "ctl_conn.h"
#include "ctl_dump.h"
#include "ctl_stop.h"
#include "eshm.h"

enum { CTL_OPT_DIRECTION = 'd', CTL_OPT_FOLLOW = 'f', CTL_OPT_COUNT = 'c' };

static const struct option ctl_peek_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "direction", required_argument, NULL, CTL_OPT_DIRECTION },
	{ "follow", no_argument, NULL, CTL_OPT_FOLLOW },
	{ "count", required_argument, NULL, CTL_OPT_COUNT },
	{ NULL, 0, NULL, 0 },
};

/* How long one wait of --follow lasts before it looks at its stop flag. */
#define CTL_PEEK_WAIT_MS 1000u

struct ctl_peek {
	const char *name;
	ESHMRole writer;             /* the role whose channel is read */
	bool follow;
	uint64_t count;              /* --follow: messages to print, 0 for no end */
	ESHMHandle *h;
	unsigned char *buf;
	size_t capacity;
};

/* The handle --follow waits on, for the signal handler. */
static ESHMHandle *volatile ctl_peek_waiting;
static volatile sig_atomic_t ctl_peek_stop;

static void
ctl_peek_on_signal(int sig)
{
	ESHMHandle *h = ctl_peek_waiting;

	(void)sig;
	ctl_peek_stop = 1;
	if (h != NULL)
		eshm_interrupt(h);
}

static const char *
ctl_peek_direction(const struct ctl_peek *pk)
{
	return pk->writer == ESHM_ROLE_MASTER ? "master->slave" : "slave->master";
}

/* Attach as an observer of the chosen channel.  Returns 0 or the exit code. */
static int
ctl_peek_attach(struct ctl_ctx *ctx, struct ctl_peek *pk)
{
	ESHMConfig config = eshm_default_config(pk->name);
	ESHMOptions *options = eshm_options_new();
	ESHMStats stats;
	int rc;

	if (options == NULL)
		return ctl_error("out of memory");
	config.role = ESHM_ROLE_OBSERVER;
	/* one look needs no thread; following needs the control thread to
	 * see a new writer */
	config.use_threads = pk->follow;
	config.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	config.auto_cleanup = false;
	rc = eshm_options_set_socket_path(options, ctx->socket_path);
	if (rc == ESHM_SUCCESS)
		rc = eshm_options_set_observed_role(options, pk->writer);
	if (rc == ESHM_SUCCESS) {
		pk->h = eshm_init_with_options(&config, options);
		if (pk->h == NULL)
			rc = eshm_last_error();
	}
	eshm_options_free(options);
	if (rc != ESHM_SUCCESS)
		return ctl_report(ctx, rc, pk->name, eshm_last_error_message());
	rc = eshm_get_stats(pk->h, &stats);
	if (rc == ESHM_SUCCESS) {
		pk->capacity = stats.capacity;
		pk->buf = malloc(pk->capacity > 0 ? pk->capacity : 1);
		if (pk->buf == NULL)
			return ctl_error("out of memory for a %zu-byte message", pk->capacity);
	}
	return rc == ESHM_SUCCESS ? CTL_EXIT_OK : ctl_report(ctx, rc, pk->name, NULL);
}

/* Print the message in pk->buf that @info describes. */
static int
ctl_peek_print(const struct ctl_peek *pk, const ESHMMessageInfo *info)
{
	size_t text_len;

	printf("%s %s: message %" PRIu64 ", %zu bytes (writer's attach %" PRIu64 ")", pk->name,
	       ctl_peek_direction(pk), info->sequence, info->size, info->writer_attach);
	if (pk->follow && info->missed > 0)
		printf(", %" PRIu64 " missed", info->missed);
	putchar('\n');
	if (info->size > 0 && ctl_is_text(pk->buf, info->size, &text_len)) {
		fwrite(pk->buf, 1, text_len, stdout);
		if (pk->buf[text_len - 1] != '\n')
			putchar('\n');
	} else {
		ctl_hexdump(stdout, pk->buf, info->size);
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? CTL_EXIT_OK
	                                              : ctl_stop_write_failed("the message");
}

/* Why the one look found no message. */
static const char *
ctl_peek_why_empty(const struct ctl_peek *pk)
{
	ESHMStats stats;
	uint64_t written;

	if (eshm_get_stats(pk->h, &stats) != ESHM_SUCCESS)
		return "nothing to show";
	written = pk->writer == ESHM_ROLE_MASTER ? stats.m2s_write_count : stats.s2m_write_count;
	if (written == 0)
		return "no message has been written yet";
	return "its last write was cut short (its writer is in the middle of one, or died "
	       "in one); nothing to show";
}

/* The newest message, once. */
static int
ctl_peek_once(struct ctl_ctx *ctx, struct ctl_peek *pk)
{
	ESHMMessageInfo info;
	int rc = eshm_read_ex(pk->h, pk->buf, pk->capacity, &info);

	if (rc == ESHM_ERROR_NO_DATA) {
		printf("%s %s: %s\n", pk->name, ctl_peek_direction(pk), ctl_peek_why_empty(pk));
		return fflush(stdout) == 0 ? CTL_EXIT_OK : ctl_error("cannot write the answer");
	}
	if (rc != ESHM_SUCCESS)
		return ctl_report(ctx, rc, pk->name, NULL);
	return ctl_peek_print(pk, &info);
}

/* Every message as it comes, until a signal, --count or a failure. */
static int
ctl_peek_follow(struct ctl_ctx *ctx, struct ctl_peek *pk)
{
	ESHMMessageInfo info;
	uint64_t shown = 0;
	int rc = CTL_EXIT_OK;

	ctl_peek_waiting = pk->h;
	while (!ctl_peek_stop && (pk->count == 0 || shown < pk->count)) {
		int r = eshm_read_ex_until(pk->h, pk->buf, pk->capacity, &info,
		                           clock_mono_ns() + CTL_PEEK_WAIT_MS * 1000000ull);

		if (r == ESHM_ERROR_TIMEOUT || r == ESHM_ERROR_INTERRUPTED)
			continue;
		if (r != ESHM_SUCCESS) {
			rc = ctl_report(ctx, r, pk->name, NULL);
			break;
		}
		shown++;
		rc = ctl_peek_print(pk, &info);
		if (rc != CTL_EXIT_OK)
			break;
	}
	ctl_peek_waiting = NULL;
	return rc;
}

static int
ctl_peek_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_peek pk = { .writer = ESHM_ROLE_MASTER };
	int opt, rc;

	while ((opt = ctl_getopt(ctx, argc, argv, "d:fc:", ctl_peek_longopts)) != -1) {
		if (opt == CTL_OPT_DIRECTION) {
			if (strcmp(optarg, "m2s") == 0)
				pk.writer = ESHM_ROLE_MASTER;
			else if (strcmp(optarg, "s2m") == 0)
				pk.writer = ESHM_ROLE_SLAVE;
			else
				return ctl_usage_error(ctx, "--direction must be m2s or s2m, not '%s'",
				                       optarg);
		} else if (opt == CTL_OPT_FOLLOW) {
			pk.follow = true;
		} else if (opt == CTL_OPT_COUNT) {
			if (ctl_parse_uint(ctx, "--count", optarg, 1, UINT64_MAX, false, &pk.count) != 0)
				return CTL_EXIT_USAGE;
		} else {
			return ctx->exit_code;
		}
	}
	if (pk.count != 0 && !pk.follow)
		return ctl_usage_error(ctx, "--count needs --follow");
	rc = ctl_segment_operand(ctx, argc, argv, &pk.name);
	if (rc != 0)
		return rc;
	/* --follow stops on SIGINT, SIGTERM and SIGHUP.  The handlers go in
	 * before the attach: eshmd lists the observer before eshm_init()
	 * returns here, and a signal sent by whoever saw it listed must still
	 * end the run cleanly, detached, rather than kill it with the
	 * observer slot held. */
	if (pk.follow)
		ctl_stop_catch(ctl_peek_on_signal);
	rc = ctl_peek_attach(ctx, &pk);
	if (rc == CTL_EXIT_OK)
		rc = pk.follow ? ctl_peek_follow(ctx, &pk) : ctl_peek_once(ctx, &pk);
	if (pk.h != NULL)
		eshm_destroy(pk.h);
	free(pk.buf);
	return rc;
}

const struct ctl_cmd ctl_cmd_peek = {
	.name = "peek",
	.synopsis = "NAME [--direction m2s|s2m] [--follow [--count N]]",
	.help = "Show the latest message of one channel of the segment NAME: as text when\n"
	        "it is printable, as a hex dump otherwise.  eshmctl reads it as an observer\n"
	        "of the channel: the channel's reader still gets the message and no count\n"
	        "of the segment changes.\n\n"
	        "Options:\n"
	        "  -d, --direction m2s|s2m  the channel: master to slave (default) or\n"
	        "                           slave to master\n"
	        "  -f, --follow             then every new message as it comes, until\n"
	        "                           interrupted\n"
	        "  -c, --count N            with --follow, stop after N messages\n",
	.run = ctl_peek_run,
};
