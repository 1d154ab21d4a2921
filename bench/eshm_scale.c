/*
 * eshm_scale.c - eshmd's own CPU as the number of attached segments grows
 * (10 to 10,000), heartbeats running.  Two holder processes, one per CPU,
 * attach half of the segments each (master role, 1 ms heartbeat) and time
 * every attach; eshmd's CPU clock is then read over a quiet window.
 */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eshm.h"

#define SCALE_HOLDERS 2
/* In eshmd, per segment with a master attached: the connection, the status
 * memfd, the master's block memfd and its pidfd.  Each holder needs fewer
 * (socket, status and block descriptors) for its half. */
#define SCALE_FDS_PER_SEGMENT 4

struct scale_holder {
	pid_t pid;
	int ready, go;          /* parent's ends */
	unsigned count;
};

/* A holder: attach @count segments, send the attach times (us, doubles),
 * hold them until go closes, detach them all. */
static void
scale_hold(unsigned level, int k, unsigned count, int out, int go)
{
	ESHMHandle **h = calloc(count, sizeof(*h));
	double *us = calloc(count, sizeof(*us));
	char tag[32], name[96], c;
	int ok = h != NULL && us != NULL;

	bench_pin(k);
	snprintf(tag, sizeof(tag), "sc%u.%d", level, k);
	for (unsigned i = 0; ok && i < count; i++) {
		uint64_t t0 = bench_now_ns();

		h[i] = bench_attach(bench_segment_name(tag, name, sizeof(name)), ESHM_ROLE_MASTER,
		                    true, 1000, 0, 64);
		us[i] = (double)(bench_now_ns() - t0) / 1e3;
		ok = h[i] != NULL;
	}
	c = ok ? 'R' : 'F';
	bench_write_full(out, &c, 1);
	if (ok)
		bench_write_full(out, us, count * sizeof(*us));
	bench_read_full(go, &c, 1);
	for (unsigned i = 0; ok && i < count; i++)
		eshm_destroy(h[i]);
	_exit(ok ? 0 : 1);
}

static int
scale_level(const struct bench_opts *o, const struct th_daemon *d, unsigned level,
            struct scale_result *r, size_t li)
{
	struct scale_holder hs[SCALE_HOLDERS];
	double *us = calloc(level, sizeof(*us));
	uint64_t window = o->quick ? 300000000u : 3000000000u;
	int64_t e0, e1, h0 = 0, h1 = 0;
	uint64_t t0, t1;
	unsigned got = 0;
	int ok = us != NULL, base = th_shm_count(d->prefix);

	for (int k = 0; k < SCALE_HOLDERS; k++) {
		int out[2], go[2];

		hs[k].pid = -1;
		hs[k].count = level / SCALE_HOLDERS + (k < (int)(level % SCALE_HOLDERS));
		if (!ok || pipe(out) != 0 || pipe(go) != 0) {
			ok = 0;
			continue;
		}
		fflush(NULL);
		if ((hs[k].pid = fork()) == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(out[0]);
			close(go[1]);
			/* Holding an earlier holder's go pipe would keep it from
			 * ever seeing the end of it. */
			for (int j = 0; j < k; j++) {
				close(hs[j].ready);
				close(hs[j].go);
			}
			scale_hold(level, k, hs[k].count, out[1], go[0]);
		}
		close(out[1]);
		close(go[0]);
		hs[k].ready = out[0];
		hs[k].go = go[1];
	}
	for (int k = 0; ok && k < SCALE_HOLDERS; k++) {
		char c;

		ok = bench_read_full(hs[k].ready, &c, 1) == 0 && c == 'R' &&
		     bench_read_full(hs[k].ready, us + got, hs[k].count * sizeof(*us)) == 0;
		got += hs[k].count;
	}
	if (ok) {
		bench_sleep_ns(500000000); /* let the attach burst settle */
		e0 = bench_pid_cpu_ns(d->pid);
		for (int k = 0; k < SCALE_HOLDERS; k++)
			h0 += bench_pid_cpu_ns(hs[k].pid);
		t0 = bench_now_ns();
		bench_sleep_ns(window);
		e1 = bench_pid_cpu_ns(d->pid);
		for (int k = 0; k < SCALE_HOLDERS; k++)
			h1 += bench_pid_cpu_ns(hs[k].pid);
		t1 = bench_now_ns();
		ok = e0 >= 0 && e1 >= 0;
		r->segments[li] = level;
		r->eshmd_pct[li] = 100.0 * (double)(e1 - e0) / (double)(t1 - t0);
		r->holders_pct[li] = 100.0 * (double)(h1 - h0) / (double)(t1 - t0);
		bench_dist_of(us, level, &r->attach_us[li]);
	}
	for (int k = 0; k < SCALE_HOLDERS; k++) {
		if (hs[k].pid <= 0)
			continue;
		close(hs[k].go);
		close(hs[k].ready);
		if (!ok)
			kill(hs[k].pid, SIGKILL);
		waitpid(hs[k].pid, NULL, 0);
	}
	/* Wait (bounded) for eshmd's clean-up before the next level. */
	for (int i = 0; i < 1000 && th_shm_count(d->prefix) > base; i++)
		bench_sleep_ns(10000000);
	free(us);
	return ok ? 0 : -1;
}

int
eshm_bench_scale(const struct bench_opts *o, const struct th_daemon *d,
                 struct scale_result *r)
{
	static const unsigned levels[BENCH_SCALE_LEVELS] = { 10, 100, 1000, 10000 };
	size_t nlevels = o->quick ? 2 : BENCH_SCALE_LEVELS;
	int rc = 0;

	struct rlimit rl;
	unsigned cap = UINT32_MAX;

	memset(r, 0, sizeof(*r));
	/* eshmd holds SCALE_FDS_PER_SEGMENT descriptors per attached segment:
	 * a level beyond what its descriptor limit allows is measured at that
	 * limit and flagged. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		cap = (unsigned)((rl.rlim_cur - 200) / SCALE_FDS_PER_SEGMENT / 100 * 100);
	r->fd_limit = (unsigned)rl.rlim_cur;
	for (size_t i = 0; i < nlevels; i++) {
		unsigned level = levels[i] < cap ? levels[i] : cap;

		r->capped[i] = level < levels[i];
		bench_progress("eshmd with %u segments", level);
		if (scale_level(o, d, level, r, i) != 0) {
			rc = -1;
			break;
		}
		r->nlevels = i + 1;
	}
	r->ok = r->nlevels > 0;
	return rc;
}
