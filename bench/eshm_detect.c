/*
 * eshm_detect.c - how fast the other endpoint learns that its remote
 * stopped (SIGSTOP -> stale), came back (SIGCONT -> alive) or died
 * (SIGKILL -> dead), as seen through eshm_get_stats() polled every 100 us.
 * The heartbeat period is swept to find the longest one that keeps the
 * stale verdict as sharp as at 1 ms.
 */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eshm.h"

#define DET_POLL_NS 100000u
#define DET_GIVE_UP_MS 3000.0

/* The remote: attach as slave and idle until killed. */
static pid_t
det_spawn_remote(const char *name, uint32_t period_us)
{
	int ready[2];
	pid_t pid;
	char c = 'F';

	if (pipe(ready) != 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		if (bench_attach(name, ESHM_ROLE_SLAVE, true, 0, period_us, 64) != NULL)
			c = 'R';
		bench_write_full(ready[1], &c, 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0 || bench_read_full(ready[0], &c, 1) != 0 || c != 'R') {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

enum det_verdict { DET_STALE, DET_ALIVE, DET_DEAD };

static bool
det_holds(ESHMHandle *h, enum det_verdict v)
{
	ESHMStats st;

	if (eshm_get_stats(h, &st) != ESHM_SUCCESS)
		return false;
	switch (v) {
	case DET_STALE: return st.remote_is_stale;
	case DET_ALIVE: return !st.remote_is_stale && !st.remote_is_dead;
	case DET_DEAD: return st.remote_is_dead;
	}
	return false;
}

/* Milliseconds from @t0 until verdict @v holds, or a negative number. */
static double
det_wait(ESHMHandle *h, enum det_verdict v, uint64_t t0)
{
	for (;;) {
		uint64_t now = bench_now_ns();

		if (det_holds(h, v))
			return (double)(now - t0) / 1e6;
		if ((double)(now - t0) / 1e6 > DET_GIVE_UP_MS)
			return -1;
		bench_sleep_ns(DET_POLL_NS);
	}
}

/* Run for @ms with the remote running, counting stale verdicts seen. */
static unsigned
det_run_for(ESHMHandle *h, double ms)
{
	uint64_t end = bench_now_ns() + (uint64_t)(ms * 1e6);
	unsigned false_stale = 0;
	bool was = false;

	while (bench_now_ns() < end) {
		bool now = det_holds(h, DET_STALE);

		false_stale += now && !was;
		was = now;
		bench_sleep_ns(DET_POLL_NS * 5);
	}
	return false_stale;
}

static int
det_stop_cont(uint32_t threshold_ms, uint32_t period_us, size_t trials, struct detect_row *row)
{
	double *stale = calloc(trials, sizeof(double)), *alive = calloc(trials, sizeof(double));
	ESHMHandle *h;
	pid_t pid = -1;
	char name[96];
	size_t n = 0;
	int rc = -1;

	memset(row, 0, sizeof(*row));
	row->threshold_ms = threshold_ms;
	row->period_us = period_us;
	bench_segment_name("det", name, sizeof(name));
	h = bench_attach(name, ESHM_ROLE_MASTER, true, threshold_ms, 0, 64);
	if (h == NULL || stale == NULL || alive == NULL)
		goto out;
	if ((pid = det_spawn_remote(name, period_us)) < 0 || det_wait(h, DET_ALIVE, bench_now_ns()) < 0)
		goto out;
	for (n = 0; n < trials; n++) {
		uint64_t t0;

		/* A varying run between trials spreads the stop over the phase
		 * of the heartbeat and of eshmd's 10 ms pass. */
		row->false_stale += det_run_for(h, 2.0 * threshold_ms / 5 + (double)(rand() % 20));
		kill(pid, SIGSTOP);
		t0 = bench_now_ns();
		stale[n] = det_wait(h, DET_STALE, t0);
		kill(pid, SIGCONT);
		t0 = bench_now_ns();
		alive[n] = det_wait(h, DET_ALIVE, t0);
		if (stale[n] < 0 || alive[n] < 0)
			goto out;
	}
	rc = 0;
out:
	bench_dist_of(stale, n, &row->stale_ms);
	bench_dist_of(alive, n, &row->alive_ms);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	eshm_destroy(h);
	free(stale);
	free(alive);
	return rc;
}

static int
det_kill(size_t trials, struct bench_dist *d)
{
	double *v = calloc(trials, sizeof(double));
	ESHMHandle *h;
	char name[96];
	size_t n = 0;
	int rc = -1;

	bench_segment_name("dead", name, sizeof(name));
	h = bench_attach(name, ESHM_ROLE_MASTER, true, 100, 0, 64);
	if (h == NULL || v == NULL)
		goto out;
	for (n = 0; n < trials; n++) {
		pid_t pid = det_spawn_remote(name, 0);
		uint64_t t0;

		if (pid < 0 || det_wait(h, DET_ALIVE, bench_now_ns()) < 0)
			goto out;
		bench_sleep_ns((uint64_t)(rand() % 10) * 1000000u);
		kill(pid, SIGKILL);
		t0 = bench_now_ns();
		v[n] = det_wait(h, DET_DEAD, t0);
		waitpid(pid, NULL, 0);
		if (v[n] < 0)
			goto out;
	}
	rc = 0;
out:
	bench_dist_of(v, n, d);
	eshm_destroy(h);
	free(v);
	return rc;
}

/*
 * As sharp as 1 ms: never a false stale, the stale verdict neither early
 * (before threshold - 10 ms: a long period leaves the counter still for a
 * while before the stop) nor late (after threshold + 15 ms at p99), and the
 * alive verdict within 25 ms of SIGCONT at p99.
 */
static bool
det_sharp(const struct detect_row *x)
{
	return x->stale_ms.n > 0 && x->false_stale == 0 &&
	       x->stale_ms.min >= x->threshold_ms - 10.0 &&
	       x->stale_ms.p99 <= x->threshold_ms + 15.0 && x->alive_ms.p99 <= 25.0;
}

int
eshm_bench_detect(const struct bench_opts *o, struct detect_result *r)
{
	static const uint32_t sweep[] = { 2000, 5000, 10000, 20000, 50000 };
	size_t trials = o->quick ? 3 : 20, sweep_trials = o->quick ? 2 : 10;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	srand((unsigned)getpid());
	rc |= det_stop_cont(50, 1000, trials, &r->row[r->nrows++]);
	rc |= det_stop_cont(100, 1000, trials, &r->row[r->nrows++]);
	for (size_t i = 0; i < sizeof(sweep) / sizeof(sweep[0]); i++)
		rc |= det_stop_cont(50, sweep[i], sweep_trials, &r->row[r->nrows++]);
	if (det_sharp(&r->row[0])) {
		r->longest_sharp_period_us = 1000;
		for (size_t i = 2; i < r->nrows; i++)
			if (det_sharp(&r->row[i]))
				r->longest_sharp_period_us = r->row[i].period_us;
	}
	rc |= det_kill(trials, &r->dead_ms);
	r->ok = rc == 0;
	return rc;
}
