/*
 * ctl_fmt.c - human formatting of eshmctl's numbers, durations and states.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_fmt.h"
#include "layout.h"

const char *
ctl_fmt_duration(uint64_t ms, char buf[CTL_FMT_SIZE])
{
	const uint64_t s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 "ms", ms);
	else if (ms < 10000)
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
	else if (s < 60)
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
	return buf;
}

uint64_t
ctl_ms_between(uint64_t then_ns, uint64_t now_ns)
{
	return now_ns > then_ns ? (now_ns - then_ns) / 1000000 : 0;
}

const char *
ctl_fmt_since(uint64_t then_ns, uint64_t now_ns, char buf[CTL_FMT_SIZE])
{
	if (then_ns == 0) {
		snprintf(buf, CTL_FMT_SIZE, "never");
		return buf;
	}
	return ctl_fmt_duration(ctl_ms_between(then_ns, now_ns), buf);
}

const char *
ctl_fmt_bytes(uint64_t bytes, char buf[CTL_FMT_SIZE])
{
	const uint64_t kib = 1024, mib = 1024 * 1024;

	if (bytes >= mib && bytes % mib == 0)
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 "MiB", bytes / mib);
	else if (bytes >= mib)
		snprintf(buf, CTL_FMT_SIZE, "%.1fMiB", (double)bytes / (double)mib);
	else if (bytes >= kib && bytes % kib == 0)
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 "KiB", bytes / kib);
	else if (bytes >= kib)
		snprintf(buf, CTL_FMT_SIZE, "%.1fKiB", (double)bytes / (double)kib);
	else
		snprintf(buf, CTL_FMT_SIZE, "%" PRIu64 "B", bytes);
	return buf;
}

const char *
ctl_fmt_time(uint64_t ns, char buf[CTL_FMT_SIZE])
{
	const time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, CTL_FMT_SIZE, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, CTL_FMT_SIZE, "-");
	return buf;
}

const char *
ctl_fmt_pid(int32_t pid, char buf[CTL_FMT_SIZE])
{
	if (pid > 0)
		snprintf(buf, CTL_FMT_SIZE, "%" PRId32, pid);
	else
		snprintf(buf, CTL_FMT_SIZE, "-");
	return buf;
}

bool
ctl_use_color(FILE *out)
{
	const char *term = getenv("TERM");
	const char *no_color = getenv("NO_COLOR");

	if (!isatty(fileno(out)))
		return false;
	if (no_color != NULL && no_color[0] != '\0')
		return false;
	return term == NULL || strcmp(term, "dumb") != 0;
}

const char *
ctl_state_color(uint32_t state)
{
	switch (state) {
	case SEG_EP_ALIVE:
		return "\033[32m";
	case SEG_EP_STALE:
		return "\033[33m";
	case SEG_EP_DEAD:
		return "\033[31m";
	default:
		return "\033[2m";
	}
}
