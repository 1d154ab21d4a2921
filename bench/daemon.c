/*
 * daemon.c - the private eshmd the eshm figures run against: its own
 * directory, socket and shared-memory prefix, never the system's daemon,
 * started and stopped by the tests' harness with the limits a scaling run
 * needs.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "eshm.h"

/* The scaling run attaches 10,000 segments: eshmd needs a descriptor per
 * connection and per segment, and limits above its defaults. */
#define BENCH_FD_LIMIT 65536
static const char bench_daemon_conf[] =
	"[limits]\n"
	"max_segments = 20000\n"
	"max_endpoints = 40000\n"
	"max_connections = 40000\n";

/* Raise the soft (and, when allowed, the hard) descriptor limit; children
 * inherit it. */
static void
bench_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_max < BENCH_FD_LIMIT) {
		struct rlimit want = { BENCH_FD_LIMIT, BENCH_FD_LIMIT };

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int
bench_daemon_start(struct th_daemon *d, const char *eshmd)
{
	char conf[192];
	const char *extra[] = { "--config", conf, NULL };
	FILE *f;

	bench_raise_fd_limit();
	if (th_daemon_prepare(d) < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/eshmd.conf", d->dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fputs(bench_daemon_conf, f);
	fclose(f);
	if (th_daemon_spawn(d, eshmd, extra) == 0)
		return 0;
	if (errno == ECHILD)
		fprintf(stderr, "eshm-bench: %s exited at start (see %s)\n", eshmd, d->log);
	else if (errno == ETIMEDOUT)
		fprintf(stderr, "eshm-bench: %s did not open %s within 10 s\n", eshmd, d->sock);
	return -1;
}

void
bench_daemon_stop(struct th_daemon *d)
{
	/* An eshmd that ignores SIGTERM for 5 s is killed. */
	th_daemon_stop_within(d, 5000);
	th_daemon_cleanup(d);
}

const char *
bench_segment_name(const char *tag, char *buf, size_t len)
{
	static unsigned counter;

	snprintf(buf, len, "bench-%s-%ld-%u", tag, (long)getpid(), counter++);
	return buf;
}

struct ESHMHandle *
bench_attach(const char *name, int role, bool use_threads, uint32_t threshold_ms,
             uint32_t period_us, size_t capacity)
{
	ESHMConfig cfg = eshm_default_config(name);
	ESHMOptions *opt = eshm_options_new();
	ESHMHandle *h = NULL;

	if (opt == NULL)
		return NULL;
	cfg.role = (ESHMRole)role;
	cfg.use_threads = use_threads;
	cfg.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	if (threshold_ms > 0)
		cfg.stale_threshold_ms = threshold_ms;
	if ((period_us == 0 || eshm_options_set_heartbeat_period_us(opt, period_us) == 0) &&
	    (capacity == 0 || eshm_options_set_capacity(opt, capacity) == 0))
		h = eshm_init_with_options(&cfg, opt);
	eshm_options_free(opt);
	if (h == NULL)
		fprintf(stderr, "eshm-bench: attach %s: %s\n", name,
		        eshm_error_string(eshm_last_error()));
	return h;
}
