/*
 * ctl_cmd_events.c - eshmctl events: eshmd's history of what happened to
 * its segments and endpoints, as text lines or one JSON object per line,
 * and with --follow the events to come until interrupted.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl_commands.h"
#include "ctl_conn.h"
#include "ctl_json.h"
#include "ctl_stop.h"
#include "eshm.h"

enum { CTL_EVENTS_SINCE = 0x200, CTL_EVENTS_FOLLOW };

static const struct option ctl_events_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "json", no_argument, NULL, CTL_OPT_JSON },
	{ "since", required_argument, NULL, CTL_EVENTS_SINCE },
	{ "follow", no_argument, NULL, CTL_EVENTS_FOLLOW },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t ctl_events_stop;

static void
ctl_events_on_signal(int sig)
{
	(void)sig;
	ctl_events_stop = 1;
}

/* A relative time "-N<unit>" or "N<unit> ago": *@ns gets now minus it. */
static bool
ctl_events_relative(const char *s, uint64_t now, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t s; } units[] = {
		{"s", 1}, {"sec", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400},
	};
	char unit[8] = "", ago[8] = "";
	unsigned long long n;
	size_t i;
	int k;

	if (s[0] == '-' ? sscanf(s + 1, "%llu%7[a-z]%n", &n, unit, &k) != 2 || s[1 + k] != '\0'
	                : sscanf(s, "%llu%7[a-z] %7s", &n, unit, ago) != 3 || strcmp(ago, "ago") != 0)
		return false;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) == 0) {
			uint64_t back = (uint64_t)n * units[i].s * 1000000000u;

			*ns = back < now ? now - back : 1;
			return true;
		}
	}
	return false;
}

/*
 * --since TIME: "now", "today", "yesterday", "@SECONDS" since the epoch,
 * "-30s"/"-5min"/"-2h"/"-1d" or "5min ago", "YYYY-MM-DD", "YYYY-MM-DD
 * HH:MM[:SS]" (or with 'T'), "HH:MM[:SS]" today, in local time.
 */
static bool
ctl_events_since(const char *s, uint64_t *ns)
{
	static const char *const formats[] = {
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
		"%Y-%m-%d",
	};
	uint64_t now = clock_real_ns();
	time_t t = (time_t)(now / 1000000000u);
	struct tm tm;
	const char *end;
	double secs;
	size_t i;
	int k = 0;

	if (strcmp(s, "now") == 0) {
		*ns = now;
		return true;
	}
	if (s[0] == '@') {
		if (sscanf(s + 1, "%lf%n", &secs, &k) != 1 || s[1 + k] != '\0' || secs < 0 ||
		    secs > 1e10)
			return false;
		*ns = (uint64_t)(secs * 1e9);
		return true;
	}
	if (ctl_events_relative(s, now, ns))
		return true;
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		tm.tm_mday -= s[0] == 'y';
	} else {
		for (i = 0, end = NULL; i < sizeof(formats) / sizeof(formats[0]) && end == NULL; i++) {
			memset(&tm, 0, sizeof(tm));
			end = strptime(s, formats[i], &tm);
			if (end != NULL && *end != '\0')
				end = NULL;
		}
		if (end == NULL) {
			/* A time of day, today. */
			localtime_r(&t, &tm);
			tm.tm_sec = 0;
			end = strptime(s, "%H:%M:%S", &tm);
			if (end == NULL || *end != '\0')
				end = strptime(s, "%H:%M", &tm);
			if (end == NULL || *end != '\0')
				return false;
		}
	}
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1 || t < 0)
		return false;
	*ns = (uint64_t)t * 1000000000u;
	return true;
}

/* "2026-12-02T04:10:11.123456+0000", local time, as journalctl's short-iso-precise. */
static const char *
ctl_events_time(uint64_t ns, char *buf, size_t size)
{
	const time_t t = (time_t)(ns / 1000000000u);
	char date[32], zone[8];
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(zone, sizeof(zone), "%z", &tm) == 0)
		snprintf(buf, size, "%" PRIu64 "ns", ns);
	else
		snprintf(buf, size, "%s.%06u%s", date, (unsigned)(ns % 1000000000u / 1000u), zone);
	return buf;
}

static json_object *
ctl_events_json(const struct proto_event *e)
{
	json_object *o = json_object_new_object();
	const char *role = proto_role_name(e->role);
	char when[64];

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "serial", json_object_new_uint64(e->serial));
	json_object_object_add(o, "time",
	                       json_object_new_string(ctl_events_time(e->realtime_ns, when,
	                                                              sizeof(when))));
	json_object_object_add(o, "realtime_ns", json_object_new_uint64(e->realtime_ns));
	json_object_object_add(o, "kind", json_object_new_string(e->kind));
	json_object_object_add(o, "message_id", json_object_new_string(e->message_id));
	json_object_object_add(o, "segment",
	                       e->segment[0] != '\0' ? json_object_new_string(e->segment) : NULL);
	json_object_object_add(o, "role", role != NULL ? json_object_new_string(role) : NULL);
	json_object_object_add(o, "pid", e->pid > 0 ? json_object_new_int(e->pid) : NULL);
	json_object_object_add(o, "uid", e->pid > 0 ? json_object_new_uint64(e->uid) : NULL);
	json_object_object_add(o, "status", json_object_new_int(e->status));
	json_object_object_add(o, "message", json_object_new_string(e->message));
	json_object_object_add(o, "lost", json_object_new_uint64(e->lost));
	return o;
}

/* Print one event (and what was lost before it).  Returns 0 or -1. */
static int
ctl_events_print(const struct ctl_ctx *ctx, const struct proto_event *e)
{
	char when[64];
	json_object *o;
	int rc;

	if (ctx->json) {
		o = ctl_events_json(e);
		if (o == NULL)
			return -1;
		rc = puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) < 0 ? -1 : 0;
		json_object_put(o);
	} else {
		if (e->lost != 0)
			printf("-- %" PRIu64 " events lost: eshmd's history moved past them --\n",
			       e->lost);
		rc = printf("%s %-17s %s\n", ctl_events_time(e->realtime_ns, when, sizeof(when)),
		            e->kind, e->message) < 0 ? -1 : 0;
	}
	/* Each line as it comes, for a pipe that follows. */
	return rc == 0 && fflush(stdout) == 0 ? 0 : -1;
}

/*
 * Read the events of request @id on @sock until DONE, or, following,
 * until interrupted.  Returns the exit code.
 */
static int
ctl_events_recv(const struct ctl_ctx *ctx, int sock, uint32_t id, bool follow, const char *name)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	const struct proto_hdr *hdr;
	const void *body;
	struct proto_status st;
	ssize_t len;
	int rc;

	for (;;) {
		struct pollfd p = {.fd = sock, .events = POLLIN};

		/* Following, wait as long as it takes; a signal ends it. */
		rc = poll(&p, 1, follow ? 250 : CTL_REPLY_TIMEOUT_MS);
		if (ctl_events_stop)
			return CTL_EXIT_OK;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0 && follow)
			continue;
		if (rc <= 0)
			return ctl_report(ctx, ESHM_ERROR_DAEMON_UNAVAILABLE, name,
			                  "eshmd did not answer");
		len = proto_recv(sock, buf, NULL, 0);
		if (len <= 0)
			return ctl_report(ctx, ESHM_ERROR_DAEMON_UNAVAILABLE, name,
			                  "eshmd closed the connection");
		rc = proto_parse(buf, (size_t)len, &hdr, &body);
		if (rc != ESHM_SUCCESS || hdr->id != id)
			return ctl_report(ctx, rc != ESHM_SUCCESS ? rc : ESHM_ERROR_PROTOCOL, name,
			                  NULL);
		if (hdr->type == PROTO_REP_EVENT) {
			if (ctl_events_print(ctx, body) < 0)
				return ctl_stop_write_failed("the events");
			continue;
		}
		if (hdr->type != PROTO_REP_DONE && hdr->type != PROTO_REP_STATUS)
			return ctl_report(ctx, ESHM_ERROR_PROTOCOL, name, NULL);
		memcpy(&st, body, sizeof(st));
		return st.status == ESHM_SUCCESS ? CTL_EXIT_OK
		                                 : ctl_report(ctx, st.status, name, st.message);
	}
}

static int
ctl_events_run(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct proto_events req;
	const char *name = NULL;
	int opt, sock, rc;

	memset(&req, 0, sizeof(req));
	while ((opt = ctl_getopt(ctx, argc, argv, "f", ctl_events_longopts)) != -1) {
		if (opt == CTL_OPT_STOP)
			return ctx->exit_code;
		if (opt == CTL_EVENTS_FOLLOW || opt == 'f')
			req.flags |= PROTO_EVENTS_FOLLOW;
		else if (opt == CTL_EVENTS_SINCE && !ctl_events_since(optarg, &req.since_realtime_ns))
			return ctl_usage_error(ctx, "--since: '%s' is not a time (try "
			                            "'2026-12-01 10:00', '-5min', '@1764583200' "
			                            "or 'today')", optarg);
	}
	rc = ctl_operands(ctx, argc, argv, 0, 1);
	if (rc != 0)
		return rc;
	if (optind < argc) {
		name = argv[optind];
		rc = ctl_check_name(ctx, name);
		if (rc != 0)
			return rc;
		snprintf(req.name, sizeof(req.name), "%s", name);
	}
	sock = ctl_connect(ctx);
	if (sock < 0)
		return CTL_EXIT_FAIL;
	ctl_stop_catch(ctl_events_on_signal);
	rc = proto_send(sock, PROTO_VERSION, PROTO_REQ_EVENTS, 1, &req, NULL);
	if (rc < 0)
		rc = ctl_report(ctx, ESHM_ERROR_DAEMON_UNAVAILABLE, name, strerror(-rc));
	else
		rc = ctl_events_recv(ctx, sock, 1, (req.flags & PROTO_EVENTS_FOLLOW) != 0, name);
	close(sock);
	return rc;
}

const struct ctl_cmd ctl_cmd_events = {
	.name = "events",
	.synopsis = "[NAME] [--since TIME] [-f|--follow] [--json]",
	.help = "Show what eshmd's history holds of what happened to the segments the\n"
	        "caller may see (of NAME only, if given), oldest first, with local\n"
	        "wall-clock times: eshmd starting and stopping; segments created,\n"
	        "restored after a restart and removed; endpoints attached, reattached,\n"
	        "detached, hung up, released, taken over, stale, alive again and dead; a\n"
	        "dead writer's half-written message voided; observers; refused requests\n"
	        "and connections, with the reason.  eshmd keeps the last event_history\n"
	        "events (eshmd.conf) since its start; the journal keeps the rest.\n"
	        "\n"
	        "  --since TIME  only events at or after TIME: 'YYYY-MM-DD [HH:MM[:SS]]',\n"
	        "                'HH:MM[:SS]', 'today', 'yesterday', 'now', '@SECONDS',\n"
	        "                '-30s', '-5min', '-2h', '-1d' or '5min ago'\n"
	        "  -f, --follow  then print new events as they happen until interrupted;\n"
	        "                events eshmd's history dropped before they were read\n"
	        "                are counted in a '-- N events lost --' line\n"
	        "  --json        one JSON object per line (see eshmctl(8))\n",
	.run = ctl_events_run,
};
