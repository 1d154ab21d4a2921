/*
 * roundtrip.c - the round-trip harness every transport runs through: the
 * master (this process, CPU 0) sends a numbered message, the slave (a forked
 * child, CPU 1) echoes it, the master times the pair and checks the echo.
 */
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define RT_STOP UINT64_MAX

static int
rt_slave(const struct rt_ops *ops, void *st, size_t size, int ready_fd)
{
	unsigned char *buf = malloc(size);
	char verdict = 'F';
	uint64_t tag;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	bench_pin(BENCH_SLAVE_CPU);
	if (buf != NULL && (ops->attach == NULL || ops->attach(st, 1) == 0))
		verdict = 'R';
	bench_write_full(ready_fd, &verdict, 1);
	close(ready_fd);
	if (verdict != 'R')
		return 1;
	for (;;) {
		if (ops->recv(st, 1, buf, size) != 0)
			return 2;
		memcpy(&tag, buf, sizeof(tag));
		if (tag == RT_STOP)
			break;
		if (ops->send(st, 1, buf, size) != 0)
			return 3;
	}
	if (ops->detach != NULL)
		ops->detach(st, 1);
	free(buf);
	return 0;
}

/* One timed (or warm-up) pass of @n round trips numbered from @first. */
static int
rt_loop(const struct rt_ops *ops, void *st, unsigned char *out, unsigned char *in, size_t size,
        uint64_t first, size_t n, double *samples)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t tag = first + i, echo;
		uint64_t t0, t1;

		memcpy(out, &tag, sizeof(tag));
		if (ops->gap_ns > 0)
			bench_sleep_ns(ops->gap_ns);
		t0 = bench_now_ns();
		if (ops->send(st, 0, out, size) != 0 || ops->recv(st, 0, in, size) != 0)
			return -1;
		t1 = bench_now_ns();
		memcpy(&echo, in, sizeof(echo));
		if (echo != tag)
			return -1;
		if (!ops->tag_only &&
		    memcmp(in + sizeof(tag), out + sizeof(tag), size - sizeof(tag)) != 0)
			return -1;
		if (samples != NULL)
			samples[i] = (double)(t1 - t0);
	}
	return 0;
}

int
rt_run(const struct rt_ops *ops, size_t size, size_t iters, struct rt_result *res)
{
	int ready[2];
	void *st = NULL;
	unsigned char *out = NULL, *in = NULL;
	double *samples = NULL;
	char verdict = 0;
	pid_t pid;
	int rc = -1, attached = 0;

	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", ops->name);
	res->size = size;
	if (size < sizeof(uint64_t) || pipe(ready) != 0)
		return -1;
	out = malloc(size);
	in = malloc(size);
	samples = calloc(iters, sizeof(*samples));
	if (ops->setup != NULL && (st = ops->setup(size)) == NULL)
		goto out_pipe;
	if (out == NULL || in == NULL || samples == NULL)
		goto out_pipe;
	for (size_t i = 0; i < size; i++)
		out[i] = (unsigned char)(i * 31 + 7);
	fflush(NULL);
	if ((pid = fork()) < 0)
		goto out_pipe;
	if (pid == 0) {
		close(ready[0]);
		_exit(rt_slave(ops, st, size, ready[1]));
	}
	close(ready[1]);
	ready[1] = -1;
	bench_pin(BENCH_MASTER_CPU);
	if (ops->attach == NULL || ops->attach(st, 0) == 0)
		attached = 1;
	if (bench_read_full(ready[0], &verdict, 1) != 0 || verdict != 'R' || !attached)
		goto out_child;
	if (rt_loop(ops, st, out, in, size, 0, iters / 10 + 1, NULL) != 0 ||
	    rt_loop(ops, st, out, in, size, iters / 10 + 1, iters, samples) != 0)
		goto out_child;
	{
		uint64_t stop = RT_STOP;

		memcpy(out, &stop, sizeof(stop));
		if (ops->send(st, 0, out, size) != 0)
			goto out_child;
	}
	bench_dist_of(samples, iters, &res->rt);
	rc = 0;
out_child:
	if (rc != 0)
		kill(pid, SIGKILL);
	{
		int status;

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = -1;
	}
	if (attached && ops->detach != NULL)
		ops->detach(st, 0);
	bench_unpin();
out_pipe:
	close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (st != NULL && ops->teardown != NULL)
		ops->teardown(st);
	free(out);
	free(in);
	free(samples);
	res->ok = rc == 0;
	return rc;
}
