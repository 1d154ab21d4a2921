/*
 * roundtrip.c - the harness every transport runs through: the master (this
 * process, CPU 0) and the slave (a forked child, CPU 1).  Round trips: the
 * master sends a numbered message, the slave echoes it, the master times
 * the pair and checks the echo.  Streams: the master sends numbered
 * messages one way as fast as the transport takes them, the slave checks
 * each (in order, none lost, payload intact) and answers the last, the
 * master times the whole.
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

/* The payload of every message: byte i is i * 31 + 7, after the tag. */
static void
rt_fill(unsigned char *buf, size_t size)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (unsigned char)(i * 31 + 7);
}

/* A stream's slave: messages 0 .. @n - 1 in order, each intact; then the
 * last one back.  0, or the exit status that says what went wrong. */
static int
rt_slave_stream(const struct rt_ops *ops, void *st, size_t size, size_t n, unsigned char *buf)
{
	unsigned char *want = malloc(size);
	int rc = 0;

	if (want == NULL)
		return 4;
	rt_fill(want, size);
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		uint64_t tag;

		if (ops->recv(st, 1, buf, size) != 0)
			rc = 2;
		memcpy(&tag, buf, sizeof(tag));
		if (rc == 0 && (tag != i || memcmp(buf + sizeof(tag), want + sizeof(tag),
		                                   size - sizeof(tag)) != 0))
			rc = 5;
	}
	if (rc == 0 && ops->send(st, 1, buf, size) != 0)
		rc = 3;
	free(want);
	return rc;
}

static int
rt_slave(const struct rt_ops *ops, void *st, size_t size, size_t stream, int ready_fd)
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
	if (stream > 0) {
		int rc = rt_slave_stream(ops, st, size, stream, buf);

		if (ops->detach != NULL)
			ops->detach(st, 1);
		free(buf);
		return rc;
	}
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

/* A stream of @n messages; its rate into @res. */
static int
rt_stream_loop(const struct rt_ops *ops, void *st, unsigned char *out, unsigned char *in,
               size_t size, size_t n, struct rt_result *res)
{
	uint64_t t0 = bench_now_ns(), t1, last = n - 1, echo;

	for (uint64_t i = 0; i < n; i++) {
		memcpy(out, &i, sizeof(i));
		if (ops->send(st, 0, out, size) != 0)
			return -1;
	}
	if (ops->recv(st, 0, in, size) != 0)
		return -1;
	t1 = bench_now_ns();
	memcpy(&echo, in, sizeof(echo));
	if (echo != last)
		return -1;
	res->per_s = (double)n / ((double)(t1 - t0) / 1e9);
	return 0;
}

/* The measurement of rt_run() (@stream 0) or rt_stream() (@iters
 * messages) on @st, which setup() made. */
static int
rt_measure(const struct rt_ops *ops, void *st, size_t size, size_t iters, bool stream,
           struct rt_result *res)
{
	int ready[2];
	unsigned char *out = NULL, *in = NULL;
	double *samples = NULL;
	char verdict = 0;
	pid_t pid;
	int rc = -1, attached = 0;

	if (size < sizeof(uint64_t) || pipe(ready) != 0)
		return -1;
	out = malloc(size);
	in = malloc(size);
	samples = calloc(iters, sizeof(*samples));
	if (out == NULL || in == NULL || samples == NULL)
		goto out_pipe;
	rt_fill(out, size);
	fflush(NULL);
	if ((pid = fork()) < 0)
		goto out_pipe;
	if (pid == 0) {
		close(ready[0]);
		_exit(rt_slave(ops, st, size, stream ? iters : 0, ready[1]));
	}
	close(ready[1]);
	ready[1] = -1;
	bench_pin(BENCH_MASTER_CPU);
	if (ops->attach == NULL || ops->attach(st, 0) == 0)
		attached = 1;
	if (bench_read_full(ready[0], &verdict, 1) != 0 || verdict != 'R' || !attached)
		goto out_child;
	if (stream) {
		rc = rt_stream_loop(ops, st, out, in, size, iters, res);
		goto out_child;
	}
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
	free(out);
	free(in);
	free(samples);
	res->ok = rc == 0;
	return rc;
}

/* rt_measure() in a child process of its own, its result sent back on a pipe. */
static int
rt_in_child(const struct rt_ops *ops, void *st, size_t size, size_t iters, bool stream,
            struct rt_result *res)
{
	int fd[2], status, rc = -1;
	pid_t pid;

	if (pipe(fd) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		rt_measure(ops, st, size, iters, stream, res);
		_exit(bench_write_full(fd[1], res, sizeof(*res)) == 0 ? 0 : 1);
	}
	close(fd[1]);
	if (pid > 0 && bench_read_full(fd[0], res, sizeof(*res)) == 0 && res->ok)
		rc = 0;
	close(fd[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->ok = rc == 0;
	return rc;
}

/* rt_run() or rt_stream(). */
static int
rt_go(const struct rt_ops *ops, size_t size, size_t iters, bool stream, struct rt_result *res)
{
	void *st = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", ops->name);
	res->size = size;
	if (ops->setup != NULL && (st = ops->setup(size)) == NULL)
		return -1;
	rc = ops->fresh_process ? rt_in_child(ops, st, size, iters, stream, res)
	                        : rt_measure(ops, st, size, iters, stream, res);
	if (st != NULL && ops->teardown != NULL)
		ops->teardown(st);
	return rc;
}

int
rt_run(const struct rt_ops *ops, size_t size, size_t iters, struct rt_result *res)
{
	return rt_go(ops, size, iters, false, res);
}

int
rt_stream(const struct rt_ops *ops, size_t size, size_t messages, struct rt_result *res)
{
	if (messages == 0)
		return -1;
	return rt_go(ops, size, messages, true, res);
}
