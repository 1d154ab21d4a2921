/*
 * eshm_heartbeat.c - what being attached costs an idle process: its CPU
 * time (getrusage) over the same window as a process that is not attached
 * and one that runs a bare 1 ms clock_nanosleep loop, all side by side.
 * Each heartbeat period the detection family sweeps is measured here too.
 */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "eshm.h"

static const uint32_t hb_periods[] = { 1000, 2000, 5000, 10000, 20000, 50000 };

enum hb_kind { HB_IDLE, HB_BARE, HB_ATTACHED };

struct hb_report {
	int ok;
	uint64_t cpu_ns, wall_ns, beats;
};

static atomic_bool hb_stop;

/* The yardstick: a thread waking every 1 ms on absolute deadlines and
 * doing nothing, as a heartbeat thread with no work would. */
static void *
hb_bare_loop(void *arg)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load_explicit(&hb_stop, memory_order_relaxed)) {
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	return NULL;
}

static uint64_t
hb_beats(ESHMHandle *h)
{
	ESHMStats st;

	return eshm_get_stats(h, &st) == ESHM_SUCCESS ? st.master_heartbeat : 0;
}

static void
hb_child(enum hb_kind kind, uint32_t period_us, uint64_t run_ns, int out)
{
	struct hb_report rep = { .ok = 1 };
	ESHMHandle *h = NULL;
	pthread_t th;
	uint64_t c0, t0, b0 = 0;
	char name[96];

	if (kind == HB_ATTACHED) {
		bench_segment_name("hb", name, sizeof(name));
		h = bench_attach(name, ESHM_ROLE_MASTER, true, 0, period_us, 64);
		rep.ok = h != NULL;
	} else if (kind == HB_BARE)
		rep.ok = pthread_create(&th, NULL, hb_bare_loop, NULL) == 0;
	/* Let the attach and thread start-up fall outside the window. */
	bench_sleep_ns(100000000);
	if (h != NULL)
		b0 = hb_beats(h);
	c0 = bench_self_cpu_ns();
	t0 = bench_now_ns();
	bench_sleep_ns(run_ns);
	rep.cpu_ns = bench_self_cpu_ns() - c0;
	rep.wall_ns = bench_now_ns() - t0;
	if (h != NULL)
		rep.beats = hb_beats(h) - b0;
	bench_write_full(out, &rep, sizeof(rep));
	if (kind == HB_BARE) {
		atomic_store(&hb_stop, true);
		pthread_join(th, NULL);
	}
	eshm_destroy(h);
	_exit(0);
}

int
eshm_bench_heartbeat(const struct bench_opts *o, struct heartbeat_result *r)
{
	enum { NP = sizeof(hb_periods) / sizeof(hb_periods[0]), NC = NP + 2 };
	uint64_t run_ns = o->quick ? 500000000u : 10000000000u;
	struct hb_report rep[NC];
	pid_t pid[NC];
	int out[NC][2];
	int rc = 0;

	memset(r, 0, sizeof(*r));
	memset(rep, 0, sizeof(rep));
	/* All at once: each mostly sleeps, and one window serves them all. */
	for (int i = 0; i < NC; i++) {
		enum hb_kind kind = i == 0 ? HB_IDLE : i == 1 ? HB_BARE : HB_ATTACHED;

		pid[i] = -1;
		if (pipe(out[i]) != 0) {
			rc = -1;
			continue;
		}
		fflush(NULL);
		if ((pid[i] = fork()) == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			hb_child(kind, i >= 2 ? hb_periods[i - 2] : 0, run_ns, out[i][1]);
		}
		close(out[i][1]);
	}
	for (int i = 0; i < NC; i++) {
		if (pid[i] <= 0)
			continue;
		if (bench_read_full(out[i][0], &rep[i], sizeof(rep[i])) != 0 || !rep[i].ok)
			rc = -1;
		close(out[i][0]);
		waitpid(pid[i], NULL, 0);
	}
	if (rc != 0)
		return -1;
	r->seconds = (double)run_ns / 1e9;
	r->idle_pct = 100.0 * (double)rep[0].cpu_ns / (double)rep[0].wall_ns;
	r->bare_loop_pct = 100.0 * (double)rep[1].cpu_ns / (double)rep[1].wall_ns;
	r->nperiods = NP;
	for (int i = 0; i < NP; i++) {
		r->period_us[i] = hb_periods[i];
		r->attached_pct[i] = 100.0 * (double)rep[i + 2].cpu_ns / (double)rep[i + 2].wall_ns;
		r->beats_per_s[i] = (double)rep[i + 2].beats * 1e9 / (double)rep[i + 2].wall_ns;
	}
	r->ok = true;
	return 0;
}
