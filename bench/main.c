/*
 * main.c - eshm-bench: measures eshm and its alternatives in one run on one
 * machine and prints the figures with their ratios (or JSON with --json).
 */
#include "bench.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static void
bench_usage(FILE *f)
{
	fputs("usage: eshm-bench [--quick] [--json] [--eshmd PATH] [--only FAMILY]\n"
	      "  --quick      a few seconds, small samples (what make check runs)\n"
	      "  --json       one JSON object on stdout instead of the tables\n"
	      "  --eshmd PATH eshmd to start privately (default: $ESHMD, else the one\n"
	      "               built next to this program)\n"
	      "  --only NAME  run only the families whose name contains NAME:\n"
	      "               seqlock, api, roundtrip, stream, throughput, loan,\n"
	      "               observers, heartbeat, detect, kill, scale\n",
	      f);
}

/* eshmd from the build tree this program lives in: bench/eshm-bench, or
 * bench/.libs/eshm-bench under libtool. */
static const char *
bench_find_eshmd(void)
{
	static char path[PATH_MAX + 32];
	char exe[PATH_MAX];
	const char *env;
	ssize_t n;

	if ((env = getenv("ESHMD")) != NULL && env[0] != '\0')
		return env;
	if ((env = getenv("ESHM_TEST_BUILDDIR")) != NULL && env[0] != '\0') {
		snprintf(path, sizeof(path), "%s/daemon/eshmd", env);
		if (access(path, X_OK) == 0)
			return path;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		const char *dir = dirname(exe);
		const char *up[] = { "../daemon/eshmd", "../../daemon/eshmd" };

		for (size_t i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, up[i]);
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	return NULL;
}

static bool
bench_wants(const struct bench_opts *o, const char *family)
{
	return o->only == NULL || strstr(family, o->only) != NULL;
}

/* The cost of reading the clock, which every timed sample includes. */
static double
bench_clock_cost(void)
{
	uint64_t t0 = bench_now_ns(), t1;

	for (int i = 0; i < 100000; i++)
		(void)bench_now_ns();
	t1 = bench_now_ns();
	return (double)(t1 - t0) / 100001.0;
}

static int
bench_roundtrips(const struct bench_opts *o, bool with_eshm, struct bench_results *r)
{
	static const size_t sizes[] = { 64, 4096 };
	/* An installed peer (ZeroMQ, iceoryx) that cannot run here is left
	 * out of the tables with a note, not a failure of the benchmark;
	 * iceoryx, which must start its RouDi broker, only in a full run. */
	struct {
		const struct rt_ops *ops;
		bool eshm, spinning, optional;
	} list[] = {
		{ &peer_floor_ops, false, true, false },  { &peer_floor_copy_ops, false, true, false },
		{ &eshm_spin_ops, true, true, false },    { &eshm_futex_ops, true, false, false },
		{ &eshm_slept_ops, true, false, false },  { &eshm_epoll_ops, true, false, false },
		{ &peer_mutex_ops, false, false, false }, { &peer_unix_ops, false, false, false },
		{ &peer_pipe_ops, false, false, false },  { &peer_mq_ops, false, false, false },
#ifdef HAVE_ZMQ
		{ &peer_zmq_ops, false, false, true },
#endif
#ifdef HAVE_ICEORYX
		{ &peer_iox_ops, false, true, true },
#endif
	};
	int rc = 0;

	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
			size_t iters = list[i].spinning ? (o->quick ? 2000 : 200000)
			                                : (o->quick ? 200 : 20000);
			struct rt_result *res;

			if (list[i].eshm && !with_eshm)
				continue;
			if (list[i].ops == &peer_floor_ops && s > 0)
				continue; /* one line carries no payload: one size */
			if (list[i].optional && list[i].ops->fresh_process && o->quick)
				continue;
			res = &r->rt[r->nrt++];
			bench_progress("round trip %s, %zu B, %zu times", list[i].ops->name,
			               sizes[s], iters);
			if (rt_run(list[i].ops, sizes[s], iters, res) == 0)
				continue;
			fprintf(stderr, "eshm-bench: round trip %s %zu B %s\n", list[i].ops->name,
			        sizes[s], list[i].optional ? "could not run here: left out" : "failed");
			if (list[i].optional)
				r->nrt--;
			else
				rc = -1;
		}
	return rc;
}

/* A peer SIGKILLed: how soon each transport's survivor knows (eshm's own
 * dead verdict is the detection family's). */
static int
bench_kills(const struct bench_opts *o, struct bench_results *r)
{
	/* An installed peer that cannot run here is left out with a note, as
	 * in the round trips; the Unix socket always can. */
	static const struct {
		const struct kill_ops *ops;
		bool optional;
	} list[] = {
		{ &kill_unix_ops, false },
#ifdef HAVE_ZMQ
		{ &kill_zmq_ops, true },
#endif
#ifdef HAVE_ICEORYX
		{ &kill_iox_ops, true },
#endif
	};
	size_t trials = o->quick ? 3 : 20;
	int rc = 0;

	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		const struct kill_ops *ops = list[i].ops;

		if (ops->full_only && o->quick)
			continue;
		bench_progress("a peer killed: %s, %zu times", ops->name, trials);
		if (kill_run(ops, trials, &r->kill[r->nkill]) == 0) {
			r->nkill++;
			continue;
		}
		fprintf(stderr, "eshm-bench: a peer killed, %s %s\n", ops->name,
		        list[i].optional ? "could not run here: left out" : "failed");
		if (!list[i].optional)
			rc = -1;
	}
	return rc;
}

/* One-way streams of 64 B, every message checked: eshm's queue beside the
 * peers that deliver every message too. */
static int
bench_streams(const struct bench_opts *o, bool with_eshm, struct bench_results *r)
{
	struct {
		const struct rt_ops *ops;
		bool eshm, optional;
	} list[] = {
		{ &eshm_queue_ops, true, false }, { &peer_unix_ops, false, false },
		{ &peer_pipe_ops, false, false },
#ifdef HAVE_ZMQ
		{ &peer_zmq_ops, false, true },
#endif
#ifdef HAVE_ICEORYX
		{ &peer_iox_stream_ops, false, true },
#endif
	};
	size_t messages = o->quick ? 20000 : 1000000;
	int rc = 0;

	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		struct rt_result *res;

		if ((list[i].eshm && !with_eshm) ||
		    (list[i].optional && list[i].ops->fresh_process && o->quick) ||
		    r->nstream == BENCH_STREAMS_MAX)
			continue;
		res = &r->stream[r->nstream++];
		bench_progress("stream %s, 64 B, %zu messages", list[i].ops->name, messages);
		if (rt_stream(list[i].ops, 64, messages, res) == 0)
			continue;
		fprintf(stderr, "eshm-bench: stream %s %s\n", list[i].ops->name,
		        list[i].optional ? "could not run here: left out" : "failed");
		if (list[i].optional)
			r->nstream--;
		else
			rc = -1;
	}
	return rc;
}

/* 0 if family @name ran (@rc == 0); else says which one could not, and 1. */
static int
bench_ran(int rc, const char *name)
{
	if (rc == 0)
		return 0;
	fprintf(stderr, "eshm-bench: the %s measurements could not run\n", name);
	return 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },      { "json", no_argument, NULL, 'j' },
		{ "eshmd", required_argument, NULL, 'e' }, { "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { 0 };
	struct th_daemon d = { .pid = -1 };
	struct bench_results *r;
	uint64_t t0 = bench_now_ns();
	bool have_daemon = false;
	int c, failed = 0;

	while ((c = getopt_long(argc, argv, "qje:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': o.quick = true; break;
		case 'j': o.json = true; break;
		case 'e': o.eshmd = optarg; break;
		case 'o': o.only = optarg; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		bench_usage(stderr);
		return 2;
	}
	bench_quiet = o.json;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return 1;
	r->quick = o.quick;
	report_machine(r);
	r->clock_ns = bench_clock_cost();
	if (o.eshmd == NULL)
		o.eshmd = bench_find_eshmd();
	if (o.eshmd == NULL)
		fprintf(stderr, "eshm-bench: eshmd not found (use --eshmd or $ESHMD); "
		                "measuring the peers only\n");
	else if (bench_daemon_start(&d, o.eshmd) != 0)
		fprintf(stderr, "eshm-bench: cannot start %s; measuring the peers only\n", o.eshmd);
	else
		have_daemon = true;
	if (!have_daemon)
		failed = 1;

	if (bench_wants(&o, "seqlock")) {
		bench_progress("channel cost, uncontended and contended, queue");
		failed |= bench_ran(eshm_bench_seqlock(&o, &r->seq), "seqlock");
	}
	if (have_daemon && bench_wants(&o, "api")) {
		bench_progress("eshm_write and eshm_read through the library");
		failed |= bench_ran(eshm_bench_api(&o, &r->api), "api");
	}
	if (bench_wants(&o, "roundtrip"))
		failed |= bench_ran(bench_roundtrips(&o, have_daemon, r), "roundtrip");
	if (have_daemon && bench_wants(&o, "roundtrip"))
		failed |= bench_ran(eshm_bench_rtpairs(&o, &r->rtp), "paired round trip");
	if (bench_wants(&o, "stream"))
		failed |= bench_ran(bench_streams(&o, have_daemon, r), "stream");
	if (have_daemon && bench_wants(&o, "throughput")) {
		bench_progress("throughput");
		failed |= bench_ran(eshm_bench_throughput(&o, &r->tp), "throughput");
	}
	if (have_daemon && bench_wants(&o, "loan")) {
		bench_progress("zero-copy writes");
		failed |= bench_ran(eshm_bench_loan(&o, &r->loan), "loan");
	}
	if (have_daemon && bench_wants(&o, "observers")) {
		bench_progress("a writer with observers");
		failed |= bench_ran(eshm_bench_observers(&o, &r->obs), "observers");
	}
	if (have_daemon && bench_wants(&o, "heartbeat")) {
		bench_progress("heartbeat cost");
		failed |= bench_ran(eshm_bench_heartbeat(&o, &r->hb), "heartbeat");
	}
	if (have_daemon && bench_wants(&o, "detect")) {
		bench_progress("detection");
		failed |= bench_ran(eshm_bench_detect(&o, &r->det), "detect");
	}
	if (bench_wants(&o, "kill"))
		failed |= bench_ran(bench_kills(&o, r), "kill");
	if (have_daemon && bench_wants(&o, "scale")) {
		bench_progress("eshmd scaling");
		failed |= bench_ran(eshm_bench_scale(&o, &d, &r->scale), "scale");
	}
	if (have_daemon)
		bench_daemon_stop(&d);
	r->elapsed_s = (double)(bench_now_ns() - t0) / 1e9;
	if (o.json) {
		if (report_json(r) != 0)
			failed = 1;
	} else
		report_table(r);
	free(r);
	if (failed)
		fprintf(stderr, "eshm-bench: some measurements could not run\n");
	return failed ? 1 : 0;
}
