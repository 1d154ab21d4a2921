/*
 * eshm_throughput.c - a writer publishing as fast as it can (CPU 0) and a
 * reader spinning on eshm_read() (CPU 1): messages per second each way, how
 * often the reader had to redo a copy, and how many messages it never saw
 * (a latest-value channel drops what the reader is too slow for).
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

#define TP_STOP UINT64_MAX

/* What each child sends back through its pipe. */
struct tp_report {
	int ok;
	uint64_t count;         /* written or read */
	uint64_t retries, missed, torn;
	uint64_t ns;
};

/* A message is its tag, then the tag's low byte repeated: a torn copy
 * mixes two messages and shows up at one end or the other. */
static void
tp_fill(unsigned char *buf, size_t size, uint64_t tag)
{
	memcpy(buf, &tag, sizeof(tag));
	memset(buf + sizeof(tag), (int)(tag & 0xff), size - sizeof(tag));
}

static int
tp_torn(const unsigned char *buf, size_t size)
{
	uint64_t tag;

	memcpy(&tag, buf, sizeof(tag));
	return buf[sizeof(tag)] != (unsigned char)tag || buf[size - 1] != (unsigned char)tag;
}

static void
tp_writer(const char *name, size_t size, uint64_t run_ns, int ready, int go, int out)
{
	struct tp_report rep = { 0 };
	unsigned char *buf = malloc(size);
	ESHMHandle *h;
	uint64_t t0, tag = 0;
	char c = 'R';

	bench_pin(BENCH_MASTER_CPU);
	h = bench_attach(name, ESHM_ROLE_MASTER, true, 0, 0, 4096);
	if (h == NULL || buf == NULL)
		c = 'F';
	bench_write_full(ready, &c, 1);
	if (c != 'R' || bench_read_full(go, &c, 1) != 0)
		_exit(1);
	t0 = bench_now_ns();
	for (;;) {
		/* Reading the clock every 1024 writes keeps it out of the cost. */
		for (int i = 0; i < 1024; i++) {
			tp_fill(buf, size, tag++);
			if (eshm_write(h, buf, size) != ESHM_SUCCESS)
				_exit(1);
		}
		if (bench_now_ns() - t0 >= run_ns)
			break;
	}
	rep.ns = bench_now_ns() - t0;
	rep.count = tag;
	tp_fill(buf, size, TP_STOP);
	rep.ok = eshm_write(h, buf, size) == ESHM_SUCCESS;
	bench_write_full(out, &rep, sizeof(rep));
	/* Stay attached until the reader has the stop message. */
	bench_read_full(go, &c, 1);
	eshm_destroy(h);
	_exit(0);
}

static void
tp_reader(const char *name, size_t size, int ready, int go, int out)
{
	struct tp_report rep = { 0 };
	unsigned char *buf = malloc(size);
	ESHMStats st;
	ESHMHandle *h;
	uint64_t t0, tag;
	size_t n;
	char c = 'R';
	int rc;

	bench_pin(BENCH_SLAVE_CPU);
	h = bench_attach(name, ESHM_ROLE_SLAVE, true, 0, 0, 4096);
	if (h == NULL || buf == NULL)
		c = 'F';
	bench_write_full(ready, &c, 1);
	if (c != 'R' || bench_read_full(go, &c, 1) != 0)
		_exit(1);
	t0 = bench_now_ns();
	for (;;) {
		rc = eshm_read(h, buf, size, &n);
		if (rc == ESHM_ERROR_NO_DATA)
			continue;
		if (rc != ESHM_SUCCESS || n != size)
			_exit(1);
		memcpy(&tag, buf, sizeof(tag));
		if (tag == TP_STOP)
			break;
		rep.count++;
		rep.torn += tp_torn(buf, size);
	}
	rep.ns = bench_now_ns() - t0;
	rep.ok = eshm_get_stats(h, &st) == ESHM_SUCCESS;
	rep.retries = st.read_retries;
	/* The stop message is read, so it is not missed; everything else the
	 * handle skipped was overwritten first. */
	rep.missed = st.missed;
	bench_write_full(out, &rep, sizeof(rep));
	eshm_destroy(h);
	_exit(0);
}

/* A child's pipes: it says ready, waits for go, and sends its report. */
struct tp_child {
	pid_t pid;
	int ready[2], go[2], out[2];
};

static void
tp_close(int fd[2])
{
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

static int
tp_spawn(struct tp_child *c, bool writer, const char *name, size_t size, uint64_t run_ns)
{
	c->pid = -1;
	c->ready[0] = c->ready[1] = c->go[0] = c->go[1] = c->out[0] = c->out[1] = -1;
	if (pipe(c->ready) != 0 || pipe(c->go) != 0 || pipe(c->out) != 0)
		return -1;
	fflush(NULL);
	if ((c->pid = fork()) < 0)
		return -1;
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(c->go[1]);
		if (writer)
			tp_writer(name, size, run_ns, c->ready[1], c->go[0], c->out[1]);
		tp_reader(name, size, c->ready[1], c->go[0], c->out[1]);
	}
	return 0;
}

static int
tp_run(size_t size, uint64_t run_ns, struct throughput_result *r, size_t i)
{
	struct tp_child cw, cr;
	struct tp_report w = { 0 }, rd = { 0 };
	char name[96], c;
	int ok;

	bench_segment_name("tp", name, sizeof(name));
	ok = tp_spawn(&cr, false, name, size, run_ns) == 0 &&
	     tp_spawn(&cw, true, name, size, run_ns) == 0;
	ok = ok && bench_read_full(cr.ready[0], &c, 1) == 0 && c == 'R';
	ok = ok && bench_read_full(cw.ready[0], &c, 1) == 0 && c == 'R';
	ok = ok && bench_write_full(cr.go[1], "g", 1) == 0 && bench_write_full(cw.go[1], "g", 1) == 0;
	ok = ok && bench_read_full(cw.out[0], &w, sizeof(w)) == 0;
	ok = ok && bench_read_full(cr.out[0], &rd, sizeof(rd)) == 0;
	/* Closing the writer's go pipe lets it detach. */
	tp_close(cw.go);
	tp_close(cr.go);
	if (!ok) {
		if (cr.pid > 0)
			kill(cr.pid, SIGKILL);
		if (cw.pid > 0)
			kill(cw.pid, SIGKILL);
	}
	if (cr.pid > 0)
		waitpid(cr.pid, NULL, 0);
	if (cw.pid > 0)
		waitpid(cw.pid, NULL, 0);
	tp_close(cr.ready);
	tp_close(cr.out);
	tp_close(cw.ready);
	tp_close(cw.out);
	if (!ok || !w.ok || !rd.ok)
		return -1;
	r->size[i] = size;
	r->seconds[i] = (double)w.ns / 1e9;
	r->written[i] = w.count;
	r->read[i] = rd.count;
	r->retries[i] = rd.retries;
	r->missed[i] = rd.missed;
	r->torn[i] = rd.torn;
	return 0;
}

int
eshm_bench_throughput(const struct bench_opts *o, struct throughput_result *r)
{
	static const size_t sizes[BENCH_TP_SIZES] = { 64, 4096 };
	uint64_t run_ns = o->quick ? 200000000u : 2000000000u;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < BENCH_TP_SIZES; i++)
		rc |= tp_run(sizes[i], run_ns, r, i);
	r->ok = rc == 0;
	return rc;
}
