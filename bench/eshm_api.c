/*
 * eshm_api.c - what one eshm_write() and one eshm_read() cost through the
 * library, when no other process touches the channel, next to a plain
 * memcpy of the size (eshm_seqlock.c measures the channel underneath).
 *
 * Both handles of one segment live in this process, pinned to one CPU, so
 * every line stays in its cache: the figure is the seqlock's own cost.  A
 * read needs a new message each time (a handle never reads one message
 * twice), so the read is timed as (write + read) - write.
 *
 * Beside it, the same write on a second segment whose reader, a forked
 * process, fell asleep in eshm_read_timeout() and was SIGKILLed there: its
 * wait word stays set in its block, and a write that took it for a live
 * sleeper would pay a FUTEX_WAKE each time.
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

#define API_CAPACITY 4096
/* How long the dead reader's side may take to fall asleep or be seen dead. */
#define API_SETTLE_NS (2000u * 1000000u)

/* Keep the compiler from dropping or merging the timed copies. */
#define API_CLOBBER() __asm__ __volatile__("" ::: "memory")

enum api_kind { API_MEMCPY, API_WRITE, API_WRITE_READ };

struct api_ctx {
	ESHMHandle *master, *slave;
	unsigned char *src, *dst;
	size_t size;
	int err;
};

static void
api_pass(struct api_ctx *c, enum api_kind kind, size_t n)
{
	size_t got;

	for (size_t i = 0; i < n; i++) {
		switch (kind) {
		case API_MEMCPY:
			memcpy(c->dst, c->src, c->size);
			break;
		case API_WRITE:
			c->err |= eshm_write(c->master, c->src, c->size);
			break;
		case API_WRITE_READ:
			c->err |= eshm_write(c->master, c->src, c->size);
			c->err |= eshm_read(c->slave, c->dst, c->size, &got);
			break;
		}
		API_CLOBBER();
	}
}

/* The mean cost of one operation of @kind over @n, in ns. */
static double
api_time(struct api_ctx *c, enum api_kind kind, size_t n)
{
	uint64_t t0 = bench_now_ns();

	api_pass(c, kind, n);
	return (double)(bench_now_ns() - t0) / (double)n;
}

/*
 * Size @i of @r: memcpy, write and write + read timed in turn in each of
 * @batches blocks, so each block's three see the host in the same phase;
 * the costs are medians over the blocks, the ratios medians of the
 * per-block ratios.  Returns false if out of memory.
 */
static bool
api_measure(struct api_ctx *c, size_t n, size_t batches, struct api_result *r, size_t i)
{
	double *v = calloc(5 * batches, sizeof(*v)), *cp, *w, *rd, *wq, *rq;

	if (v == NULL)
		return false;
	cp = v, w = v + batches, rd = v + 2 * batches, wq = v + 3 * batches, rq = v + 4 * batches;
	for (enum api_kind k = API_MEMCPY; k <= API_WRITE_READ; k++)
		api_pass(c, k, n); /* warm the lines and the branch predictors */
	for (size_t b = 0; b < batches; b++) {
		double wr;

		cp[b] = api_time(c, API_MEMCPY, n);
		w[b] = api_time(c, API_WRITE, n);
		wr = api_time(c, API_WRITE_READ, n);
		rd[b] = wr > w[b] ? wr - w[b] : 0;
		wq[b] = w[b] / cp[b];
		rq[b] = rd[b] / cp[b];
	}
	r->memcpy_ns[i] = bench_median(cp, batches);
	r->write_ns[i] = bench_median(w, batches);
	r->read_ns[i] = bench_median(rd, batches);
	r->write_ratio[i] = bench_median(wq, batches);
	r->read_ratio[i] = bench_median(rq, batches);
	free(v);
	return true;
}

/* Median over @batches of the cost of a write to the dead reader's segment. */
static double
api_dead_write(struct api_ctx *c, size_t n, size_t batches)
{
	double *v = calloc(batches, sizeof(*v)), m;

	if (v == NULL)
		return 0;
	api_pass(c, API_WRITE, n);
	for (size_t b = 0; b < batches; b++)
		v[b] = api_time(c, API_WRITE, n);
	m = bench_median(v, batches);
	free(v);
	return m;
}

/* Whether process @pid's main thread sleeps (state S in /proc/PID/stat). */
static bool
api_sleeping(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool s = false;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL)
		s = p[1] == ' ' && p[2] == 'S';
	fclose(f);
	return s;
}

static bool
api_remote_dead(ESHMHandle *m)
{
	ESHMStats st;

	return eshm_get_stats(m, &st) == ESHM_SUCCESS && st.remote_is_dead;
}

/*
 * Fork the slave of @name, let it fall asleep in eshm_read_timeout(),
 * SIGKILL it there and wait until @m, the master, sees it dead.  Returns 0,
 * or -1 if that could not be arranged.
 */
static int
api_reader_dies_asleep(const char *name, ESHMHandle *m)
{
	uint64_t until;
	int ready[2];
	pid_t pid;
	char c = 'F';
	bool ok;

	if (pipe(ready) != 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		ESHMHandle *s;
		unsigned char buf[API_CAPACITY];
		size_t n;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		s = bench_attach(name, ESHM_ROLE_SLAVE, true, 0, 0, API_CAPACITY);
		if (s != NULL)
			c = 'R';
		bench_write_full(ready[1], &c, 1);
		for (;;)
			eshm_read_timeout(s, buf, sizeof(buf), &n, 60000);
	}
	close(ready[1]);
	ok = pid > 0 && bench_read_full(ready[0], &c, 1) == 0 && c == 'R';
	close(ready[0]);
	/* its main thread sleeps once it is on the futex, after a 20 us spin */
	until = bench_now_ns() + API_SETTLE_NS;
	while (ok && !api_sleeping(pid) && bench_now_ns() < until)
		bench_sleep_ns(100000);
	ok = ok && api_sleeping(pid);
	bench_sleep_ns(20000000);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	until = bench_now_ns() + API_SETTLE_NS;
	while (ok && !api_remote_dead(m) && bench_now_ns() < until)
		bench_sleep_ns(100000);
	return ok && api_remote_dead(m) ? 0 : -1;
}

int
eshm_bench_api(const struct bench_opts *o, struct api_result *r)
{
	static const size_t sizes[BENCH_API_SIZES] = { 8, 64, 1024, 4096 };
	size_t n = o->quick ? 2000 : 20000, batches = o->quick ? 5 : 31;
	struct api_ctx c = { 0 }, dead = { 0 };
	char name[96], dead_name[96];
	bool have_dead;

	memset(r, 0, sizeof(*r));
	bench_segment_name("api", name, sizeof(name));
	bench_segment_name("api-dead", dead_name, sizeof(dead_name));
	bench_pin(BENCH_MASTER_CPU);
	c.src = aligned_alloc(64, API_CAPACITY);
	c.dst = aligned_alloc(64, API_CAPACITY);
	c.master = bench_attach(name, ESHM_ROLE_MASTER, false, 0, 0, API_CAPACITY);
	c.slave = bench_attach(name, ESHM_ROLE_SLAVE, false, 0, 0, API_CAPACITY);
	dead.master = bench_attach(dead_name, ESHM_ROLE_MASTER, false, 0, 0, API_CAPACITY);
	have_dead = dead.master != NULL && api_reader_dies_asleep(dead_name, dead.master) == 0;
	if (!have_dead)
		fprintf(stderr, "eshm-bench: no reader could be made to die asleep; "
		                "measuring clean writes only\n");
	if (c.src != NULL && c.dst != NULL && c.master != NULL && c.slave != NULL) {
		memset(c.src, 0x5a, API_CAPACITY);
		dead.src = c.src;
		r->ok = true;
		for (size_t i = 0; i < BENCH_API_SIZES; i++) {
			c.size = dead.size = r->size[i] = sizes[i];
			r->ok &= api_measure(&c, n, batches, r, i);
			if (have_dead)
				r->write_dead_reader_ns[i] = api_dead_write(&dead, n, batches);
		}
		r->ok &= c.err == 0 && dead.err == 0;
	}
	eshm_destroy(dead.master);
	eshm_destroy(c.slave);
	eshm_destroy(c.master);
	free(c.src);
	free(c.dst);
	bench_unpin();
	return r->ok ? 0 : -1;
}
