/*
 * eshm_api.c - what one eshm_write() and one eshm_read() cost through the
 * library, when no other process touches the channel, next to a plain
 * memcpy of the size and to the same copies without the channel
 * (copycost.c: into and out of the segment's slots through two mappings,
 * as the two handles map the block); eshm_seqlock.c measures the channel
 * underneath.
 *
 * Both handles of one segment live in this process, pinned to one CPU, so
 * every line stays in its caches.  A read needs a new message each time (a
 * handle never reads one message twice), so the read is timed as (write +
 * read) - write.
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

struct api_ctx {
	ESHMHandle *master, *slave;
	unsigned char *src, *dst;
	size_t size;
	int err;
};

/* bench_copy's pass: @n writes, each followed by a read if @read. */
static void
api_pass(void *ctx, bool read, size_t n)
{
	struct api_ctx *c = ctx;
	size_t got;

	for (size_t i = 0; i < n; i++) {
		c->err |= eshm_write(c->master, c->src, c->size);
		if (read)
			c->err |= eshm_read(c->slave, c->dst, c->size, &got);
		BENCH_CLOBBER();
	}
}

/* The mean cost in ns of one write of @c over @n. */
static double
api_time_writes(struct api_ctx *c, size_t n)
{
	uint64_t t0 = bench_now_ns();

	api_pass(c, false, n);
	return (double)(bench_now_ns() - t0) / (double)n;
}

/* Median over @batches of the cost of a write to the dead reader's segment. */
static double
api_dead_write(struct api_ctx *c, size_t n, size_t batches)
{
	double *v = calloc(batches, sizeof(*v)), m;

	if (v == NULL)
		return 0;
	api_pass(c, false, n);
	for (size_t b = 0; b < batches; b++)
		v[b] = api_time_writes(c, n);
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
			struct bench_copy bc = { .capacity = API_CAPACITY, .two_mappings = true,
				                 .size = sizes[i], .src = c.src, .dst = c.dst,
				                 .pass = api_pass, .ctx = &c };

			c.size = dead.size = r->size[i] = sizes[i];
			r->ok &= bench_copy_measure(&bc, n, batches, &r->cost[i]) == 0;
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
