/*
 * ctl_cmd_watch.c - eshmctl watch [NAME]: the segment table, refreshed, with
 * heartbeat rates and messages per second.  On a terminal it redraws in
 * place and quits on 'q' or Ctrl-C; otherwise it prints plain snapshots.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ctl_commands.h"
#include "ctl_conn.h"
#include "eshm.h"
#include "ctl_fmt.h"
#include "ctl_observers.h"
#include "layout.h"
#include "ctl_segtable.h"
#include "ctl_stop.h"
#include "ctl_term.h"

enum { CTL_OPT_INTERVAL = 'n', CTL_OPT_COUNT = 'c' };

static const struct option ctl_watch_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "interval", required_argument, NULL, CTL_OPT_INTERVAL },
	{ "count", required_argument, NULL, CTL_OPT_COUNT },
	{ NULL, 0, NULL, 0 },
};

/* What a segment looked like in the previous frame, for rates. */
struct ctl_watch_seen {
	char name[PROTO_NAME_SIZE];
	uint64_t generation;
	uint64_t writes[2];
};

struct ctl_watch {
	struct ctl_ctx *ctx;
	const char *name;          /* the one segment watched, or NULL for all */
	uint64_t interval_ns;
	uint64_t count;            /* frames to draw, 0 for no end */
	bool tty, keys, color;
	int sock;                  /* kept open between frames; -1 when lost */
	struct proto_status_reply daemon;
	struct proto_segment_info *segs; /* this frame, malloc'd */
	size_t nsegs;
	struct proto_observers_reply obs; /* the one segment's observers; count 0: none or unknown */
	struct ctl_watch_seen *seen; /* previous frame */
	size_t nseen;
	uint64_t seen_mono_ns;
	char error[700];           /* why this frame has no data, or "" */
};

static volatile sig_atomic_t ctl_watch_stop;

static void
ctl_watch_on_signal(int sig)
{
	(void)sig;
	ctl_watch_stop = 1;
}

/* Ask eshmd for this frame's data; on failure fill w->error.  Returns 0 or -1. */
static int
ctl_watch_fetch(struct ctl_watch *w)
{
	struct proto_name req;
	int rc;

	free(w->segs);
	w->segs = NULL;
	w->nsegs = 0;
	memset(&w->obs, 0, sizeof(w->obs));
	w->error[0] = '\0';
	if (w->sock < 0) {
		w->sock = proto_connect(w->ctx->socket_path);
		if (w->sock < 0) {
			ctl_explain_connect(w->ctx, -w->sock, w->error, sizeof(w->error));
			w->sock = -1;
			return -1;
		}
	}
	rc = proto_call(w->sock, PROTO_REQ_STATUS, NULL, NULL, PROTO_REP_DAEMON, &w->daemon, NULL,
	                NULL, CTL_REPLY_TIMEOUT_MS);
	if (rc == 0 && w->name != NULL) {
		memset(&req, 0, sizeof(req));
		snprintf(req.name, sizeof(req.name), "%s", w->name);
		w->segs = malloc(sizeof(*w->segs));
		if (w->segs == NULL)
			rc = ESHM_ERROR_NO_MEMORY;
		else
			rc = proto_call(w->sock, PROTO_REQ_SHOW, &req, NULL, PROTO_REP_SEGMENT,
			                w->segs, NULL, NULL, CTL_REPLY_TIMEOUT_MS);
		w->nsegs = rc == 0 ? 1 : 0;
		/* Without the observers the frame still stands; a connection
		 * in doubt is opened afresh next time. */
		if (rc == 0 && w->segs->observers != 0 &&
		    ctl_observers_fetch(w->ctx, w->sock, w->name, &w->obs) != 0) {
			close(w->sock);
			w->sock = -1;
		}
	} else if (rc == 0) {
		rc = ctl_list(w->sock, &w->segs, &w->nsegs);
	}
	if (rc == 0)
		return 0;
	if (rc == ESHM_ERROR_DAEMON_UNAVAILABLE || rc == ESHM_ERROR_PROTOCOL) {
		/* The connection is in an unknown state: start afresh next time. */
		close(w->sock);
		w->sock = -1;
	}
	ctl_explain(w->ctx, rc, w->name, NULL, w->error, sizeof(w->error));
	return -1;
}

/* Messages per second on both channels of @s since the previous frame (-1: unknown). */
static void
ctl_watch_rates(const struct ctl_watch *w, const struct proto_segment_info *s, uint64_t now_mono,
                double rates[2])
{
	const double dt = (double)(now_mono - w->seen_mono_ns) / 1e9;
	size_t i;
	int c;

	rates[0] = rates[1] = -1;
	if (w->seen_mono_ns == 0 || dt <= 0)
		return;
	for (i = 0; i < w->nseen; i++) {
		if (w->seen[i].generation != s->generation || strcmp(w->seen[i].name, s->name) != 0)
			continue;
		for (c = 0; c < 2; c++)
			if (s->channel[c].head >= w->seen[i].writes[c])
				rates[c] = (double)(s->channel[c].head - w->seen[i].writes[c]) / dt;
		return;
	}
}

/* Remember this frame's counters for the next one's rates. */
static void
ctl_watch_remember(struct ctl_watch *w, uint64_t now_mono)
{
	struct ctl_watch_seen *seen;
	size_t i;

	seen = realloc(w->seen, (w->nsegs != 0 ? w->nsegs : 1) * sizeof(*seen));
	if (seen == NULL) {
		w->nseen = 0;
		return;
	}
	w->seen = seen;
	for (i = 0; i < w->nsegs; i++) {
		memcpy(seen[i].name, w->segs[i].name, sizeof(seen[i].name));
		seen[i].generation = w->segs[i].generation;
		seen[i].writes[0] = w->segs[i].channel[0].head;
		seen[i].writes[1] = w->segs[i].channel[1].head;
	}
	w->nseen = w->nsegs;
	w->seen_mono_ns = now_mono;
}

/* Render one frame into @out, lines ended by '\n'.  Returns 0 or -1. */
static int
ctl_watch_render(struct ctl_watch *w, FILE *out)
{
	const uint64_t now_real = clock_real_ns(), now_mono = clock_mono_ns();
	char when[CTL_FMT_SIZE], up[CTL_FMT_SIZE], every[CTL_FMT_SIZE];
	struct ctl_table *t;
	double rates[2];
	size_t i;
	int rc = 0;

	ctl_fmt_time(now_real, when);
	ctl_fmt_duration(w->interval_ns / 1000000, every);
	if (w->error[0] != '\0') {
		fprintf(out, "%s  every %s%s\n\n%s\n", when, every, w->tty ? ", q quits" : "",
		        w->error);
		w->nseen = 0;
		w->seen_mono_ns = 0;
		return ferror(out) ? -1 : 0;
	}
	fprintf(out, "%s  eshmd %s pid %" PRId32 ", up %s, %" PRIu32 " segments; every %s%s\n\n",
	        when, w->daemon.version, w->daemon.pid, ctl_fmt_duration(w->daemon.uptime_ms, up),
	        w->daemon.segments, every, w->tty ? ", q quits" : "");
	t = ctl_segtable_new(true);
	if (t == NULL)
		return -1;
	for (i = 0; i < w->nsegs && rc == 0; i++) {
		ctl_watch_rates(w, &w->segs[i], now_mono, rates);
		rc = ctl_segtable_add(t, &w->segs[i], rates, now_real, w->color);
	}
	if (rc == 0)
		rc = ctl_table_print(t, out, "\n");
	ctl_table_free(t);
	if (rc == 0 && w->name != NULL && w->obs.count != 0) {
		fputc('\n', out);
		rc = ctl_observers_print(&w->obs, w->segs->mode, now_real, out, "\n");
	}
	ctl_watch_remember(w, now_mono);
	return rc;
}

/*
 * Put frame @text on the screen: over the previous one on a terminal, cut to
 * its height so nothing scrolls; after it otherwise.  Returns 0 or -1.
 */
static int
ctl_watch_show(const struct ctl_watch *w, const char *text)
{
	const char *p = text, *nl;
	int rows, row = 0;

	if (!w->tty) {
		fputs(text, stdout);
		putchar('\n');
		return fflush(stdout) == 0 ? 0 : -1;
	}
	rows = ctl_term_rows(STDOUT_FILENO);
	fputs(CTL_TERM_HOME, stdout);
	while (*p != '\0' && (rows <= 0 || row < rows)) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (row > 0)
			fputc('\n', stdout);
		fwrite(p, 1, (size_t)(nl - p), stdout);
		fputs(CTL_TERM_EOL, stdout);
		row++;
		p = *nl != '\0' ? nl + 1 : nl;
	}
	fputs(CTL_TERM_EOS, stdout);
	return fflush(stdout) == 0 ? 0 : -1;
}

/* Wait until @deadline (CLOCK_MONOTONIC ns), a quit key or a signal. */
static void
ctl_watch_wait(const struct ctl_watch *w, uint64_t deadline)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char keys[32];
	ssize_t n, i;
	uint64_t now;

	while (!ctl_watch_stop && (now = clock_mono_ns()) < deadline) {
		int ms = (int)((deadline - now + 999999) / 1000000);

		if (poll(&pfd, w->keys ? 1 : 0, ms) <= 0 || !w->keys)
			continue;
		if (pfd.revents & (POLLHUP | POLLERR)) {
			ctl_watch_stop = 1;
			return;
		}
		n = read(STDIN_FILENO, keys, sizeof(keys));
		for (i = 0; i < n; i++)
			if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3)
				ctl_watch_stop = 1;
	}
}

static int
ctl_watch_loop(struct ctl_watch *w)
{
	uint64_t frames = 0, deadline = clock_mono_ns();
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int rc = CTL_EXIT_OK;

	while (!ctl_watch_stop) {
		int fetched = ctl_watch_fetch(w);

		/* A watch that cannot start says so and fails, like any command;
		 * a terminal view rides out later outages and retries. */
		if (fetched != 0 && (frames == 0 || !w->tty)) {
			rc = ctl_error("%s", w->error);
			break;
		}
		out = open_memstream(&text, &len);
		if (out == NULL || ctl_watch_render(w, out) != 0 || fclose(out) != 0) {
			rc = ctl_error("out of memory drawing the view");
			break;
		}
		if (ctl_watch_show(w, text) != 0) {
			rc = ctl_stop_write_failed("the view");
			break;
		}
		free(text);
		text = NULL;
		frames++;
		if (w->count != 0 && frames >= w->count)
			break;
		deadline += w->interval_ns;
		if (deadline < clock_mono_ns())
			deadline = clock_mono_ns() + w->interval_ns;
		ctl_watch_wait(w, deadline);
	}
	free(text);
	return rc;
}

static int
ctl_watch_parse_interval(struct ctl_ctx *ctx, const char *text, uint64_t *ns)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(s) || s < 0.1 || s > 3600)
		return ctl_usage_error(ctx, "--interval '%s' is not a number of seconds from 0.1 to "
		                            "3600",
		                       text);
	*ns = (uint64_t)(s * 1e9);
	return 0;
}

static int
ctl_watch_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_watch w = { .ctx = ctx, .interval_ns = 1000000000u, .sock = -1 };
	int opt, rc;

	while ((opt = ctl_getopt(ctx, argc, argv, "n:c:", ctl_watch_longopts)) != -1) {
		if (opt == CTL_OPT_INTERVAL)
			rc = ctl_watch_parse_interval(ctx, optarg, &w.interval_ns);
		else if (opt == CTL_OPT_COUNT)
			rc = ctl_parse_uint(ctx, "--count", optarg, 1, UINT32_MAX, false, &w.count);
		else
			return ctx->exit_code;
		if (rc != 0)
			return rc;
	}
	rc = ctl_operands(ctx, argc, argv, 0, 1);
	if (rc != 0)
		return rc;
	if (optind < argc) {
		w.name = argv[optind];
		rc = ctl_check_name(ctx, w.name);
		if (rc != 0)
			return rc;
	}

	ctl_stop_catch(ctl_watch_on_signal);

	w.tty = isatty(STDOUT_FILENO);
	w.color = ctl_use_color(stdout);
	if (w.tty) {
		w.keys = isatty(STDIN_FILENO) && ctl_term_keys(STDIN_FILENO) == 0;
		fputs(CTL_TERM_ENTER, stdout);
		fflush(stdout);
		ctl_term_handle_suspend();
	}
	rc = ctl_watch_loop(&w);
	if (w.tty) {
		fputs(CTL_TERM_LEAVE, stdout);
		fflush(stdout);
		ctl_term_restore();
	}
	if (w.sock >= 0)
		close(w.sock);
	free(w.segs);
	free(w.seen);
	return rc;
}

const struct ctl_cmd ctl_cmd_watch = {
	.name = "watch",
	.synopsis = "[NAME] [--interval SECONDS] [--count N]",
	.help = "Show the segment table (only NAME if given) live, with heartbeats and\n"
	        "messages per second, refreshed every interval.  On a terminal the view\n"
	        "is redrawn in place and 'q' or Ctrl-C quits; otherwise a plain snapshot\n"
	        "is printed each interval until interrupted.\n\n"
	        "Options:\n"
	        "  -n, --interval SECONDS  time between refreshes, 0.1 to 3600 (default 1)\n"
	        "  -c, --count N           stop after N refreshes (default: never)\n",
	.run = ctl_watch_run,
};
