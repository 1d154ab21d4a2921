/*
 * eshm_observers.c - what observers cost a writer: its eshm_write() rate
 * (64 B, CPU 0, no reader) alone and with four observer processes (CPU 1)
 * each reading once a millisecond, in alternating blocks; the ratio is the
 * median of the per-pair ratios, so a host that moves the virtual CPUs
 * between phases moves both sides of each pair.
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

#define OBS_MSG 64u

/* The writer: one command byte per block ('w': write for the block's time,
 * then report writes and ns; 'q': detach and exit). */
static void
obs_writer(const char *name, uint64_t block_ns, int cmd, int out)
{
	unsigned char buf[OBS_MSG] = { 0 };
	uint64_t rep[2], t0, n;
	ESHMHandle *h;
	char c;

	bench_pin(BENCH_MASTER_CPU);
	h = bench_attach(name, ESHM_ROLE_MASTER, true, 0, 0, OBS_MSG);
	c = h != NULL ? 'R' : 'F';
	bench_write_full(out, &c, 1);
	while (h != NULL && bench_read_full(cmd, &c, 1) == 0 && c == 'w') {
		t0 = bench_now_ns();
		n = 0;
		do {
			for (int i = 0; i < 1024; i++, n++) {
				memcpy(buf, &n, sizeof(n));
				if (eshm_write(h, buf, OBS_MSG) != ESHM_SUCCESS)
					_exit(1);
			}
		} while (bench_now_ns() - t0 < block_ns);
		rep[0] = n;
		rep[1] = bench_now_ns() - t0;
		bench_write_full(out, rep, sizeof(rep));
	}
	eshm_destroy(h);
	_exit(0);
}

/* An observer: attach, say so, then read once a millisecond until killed.
 * On the other CPU, as a reader would be: what is measured is what the
 * observers cost the writer's own calls, not their share of its CPU. */
static void
obs_observer(const char *name, int out)
{
	unsigned char buf[OBS_MSG];
	ESHMHandle *h;
	size_t n;
	char c;

	bench_pin(BENCH_SLAVE_CPU);
	h = bench_attach(name, ESHM_ROLE_OBSERVER, false, 0, 0, OBS_MSG);
	c = h != NULL ? 'R' : 'F';
	bench_write_full(out, &c, 1);
	if (h == NULL)
		_exit(1);
	for (;;) {
		eshm_read(h, buf, sizeof(buf), &n);
		bench_sleep_ns(1000000);
	}
}

/* Fork a child running @fn's role; its pipe's read end in *@from. */
static pid_t
obs_fork(bool writer, const char *name, uint64_t block_ns, int cmd, int *from)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (writer)
			obs_writer(name, block_ns, cmd, p[1]);
		obs_observer(name, p[1]);
	}
	close(p[1]);
	*from = p[0];
	if (pid < 0)
		close(p[0]);
	return pid;
}

/* Start the observers, each ready (attached) before this returns 0. */
static int
obs_start(const char *name, pid_t *pids, size_t n)
{
	int rc = 0, fd;
	char c;

	for (size_t i = 0; i < n; i++) {
		pids[i] = obs_fork(false, name, 0, -1, &fd);
		if (pids[i] < 0)
			return -1;
		if (bench_read_full(fd, &c, 1) != 0 || c != 'R')
			rc = -1;
		close(fd);
	}
	/* the writer's control thread maps them a moment later */
	bench_sleep_ns(50000000);
	return rc;
}

static void
obs_stop(pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = -1;
		}
}

/* One block of the writer's: writes per second. */
static double
obs_block(int cmd, int from)
{
	uint64_t rep[2];

	if (bench_write_full(cmd, "w", 1) != 0 || bench_read_full(from, rep, sizeof(rep)) != 0 ||
	    rep[1] == 0)
		return -1;
	return (double)rep[0] * 1e9 / (double)rep[1];
}

int
eshm_bench_observers(const struct bench_opts *o, struct observers_result *r)
{
	size_t blocks = o->quick ? 2 : 9;
	uint64_t block_ns = o->quick ? 50000000u : 300000000u;
	double alone[16], with[16], ratio[16];
	pid_t writer, obs[BENCH_OBSERVERS];
	int cmd[2], from = -1, rc = 0;
	char name[96], c;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < BENCH_OBSERVERS; i++)
		obs[i] = -1;
	bench_segment_name("obs", name, sizeof(name));
	if (pipe(cmd) != 0)
		return -1;
	writer = obs_fork(true, name, block_ns, cmd[0], &from);
	close(cmd[0]);
	if (writer < 0 || bench_read_full(from, &c, 1) != 0 || c != 'R')
		rc = -1;
	for (size_t b = 0; rc == 0 && b < blocks; b++) {
		alone[b] = obs_block(cmd[1], from);
		rc |= obs_start(name, obs, BENCH_OBSERVERS);
		with[b] = rc == 0 ? obs_block(cmd[1], from) : -1;
		obs_stop(obs, BENCH_OBSERVERS);
		if (alone[b] <= 0 || with[b] <= 0)
			rc = -1;
		else
			ratio[b] = with[b] / alone[b];
	}
	obs_stop(obs, BENCH_OBSERVERS);
	bench_write_full(cmd[1], "q", 1);
	close(cmd[1]);
	if (from >= 0)
		close(from);
	if (writer > 0)
		waitpid(writer, NULL, 0);
	if (rc != 0)
		return -1;
	r->observers = BENCH_OBSERVERS;
	r->blocks = blocks;
	r->alone_per_s = bench_median(alone, blocks);
	r->with_per_s = bench_median(with, blocks);
	r->ratio = bench_median(ratio, blocks);
	r->ok = true;
	return 0;
}
