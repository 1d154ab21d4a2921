/*
 * eshm_seqlock.c - what one eshm_write() and one eshm_read() cost when no
 * other process touches the channel, next to a plain memcpy of the size.
 *
 * Both handles of one segment live in this process, pinned to one CPU, so
 * every line stays in its cache: the figure is the seqlock's own cost.  A
 * read needs a new message each time (a handle never reads one message
 * twice), so the read is timed as (write + read) - write.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#include "eshm.h"

/* Keep the compiler from dropping or merging the timed copies. */
#define SEQ_CLOBBER() __asm__ __volatile__("" ::: "memory")

enum seq_kind { SEQ_MEMCPY, SEQ_WRITE, SEQ_WRITE_READ };

struct seq_ctx {
	ESHMHandle *master, *slave;
	unsigned char *src, *dst;
	size_t size;
	int err;
};

static void
seq_pass(struct seq_ctx *c, enum seq_kind kind, size_t n)
{
	size_t got;

	for (size_t i = 0; i < n; i++) {
		switch (kind) {
		case SEQ_MEMCPY:
			memcpy(c->dst, c->src, c->size);
			break;
		case SEQ_WRITE:
			c->err |= eshm_write(c->master, c->src, c->size);
			break;
		case SEQ_WRITE_READ:
			c->err |= eshm_write(c->master, c->src, c->size);
			c->err |= eshm_read(c->slave, c->dst, c->size, &got);
			break;
		}
		SEQ_CLOBBER();
	}
}

/* Median over @batches of the mean cost of one operation, in ns. */
static double
seq_time(struct seq_ctx *c, enum seq_kind kind, size_t n, size_t batches)
{
	double *v = calloc(batches, sizeof(*v));
	struct bench_dist d;

	if (v == NULL)
		return 0;
	seq_pass(c, kind, n); /* warm the lines and the branch predictors */
	for (size_t b = 0; b < batches; b++) {
		uint64_t t0 = bench_now_ns();

		seq_pass(c, kind, n);
		v[b] = (double)(bench_now_ns() - t0) / (double)n;
	}
	bench_dist_of(v, batches, &d);
	free(v);
	return d.p50;
}

int
eshm_bench_seqlock(const struct bench_opts *o, struct seqlock_result *r)
{
	static const size_t sizes[BENCH_SEQ_SIZES] = { 8, 64, 1024, 4096 };
	size_t n = o->quick ? 2000 : 20000, batches = o->quick ? 5 : 31;
	struct seq_ctx c = { 0 };
	char name[96];

	memset(r, 0, sizeof(*r));
	bench_segment_name("seq", name, sizeof(name));
	bench_pin(BENCH_MASTER_CPU);
	c.src = aligned_alloc(64, 4096);
	c.dst = aligned_alloc(64, 4096);
	c.master = bench_attach(name, ESHM_ROLE_MASTER, false, 0, 0, 4096);
	c.slave = bench_attach(name, ESHM_ROLE_SLAVE, false, 0, 0, 4096);
	if (c.src != NULL && c.dst != NULL && c.master != NULL && c.slave != NULL) {
		memset(c.src, 0x5a, 4096);
		for (size_t i = 0; i < BENCH_SEQ_SIZES; i++) {
			double w, wr;

			c.size = r->size[i] = sizes[i];
			r->memcpy_ns[i] = seq_time(&c, SEQ_MEMCPY, n, batches);
			w = seq_time(&c, SEQ_WRITE, n, batches);
			wr = seq_time(&c, SEQ_WRITE_READ, n, batches);
			r->write_ns[i] = w;
			r->read_ns[i] = wr > w ? wr - w : 0;
		}
		r->ok = c.err == 0;
	}
	eshm_destroy(c.slave);
	eshm_destroy(c.master);
	free(c.src);
	free(c.dst);
	bench_unpin();
	return r->ok ? 0 : -1;
}
