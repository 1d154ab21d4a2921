/*
 * copycost.c - what a channel's write and read cost beside the copies they
 * make, made without the channel: into and out of a ring of as many
 * slot-sized buffers as the segment's latest-value channel has, at the
 * same offsets, through two mappings of one memfd where the writer and
 * the reader of the measured channel map its block apart (two handles of
 * one process do).
 *
 * A memcpy between two fixed buffers stays in the L1 cache; a write goes
 * round the channel's slots (66 KiB at 4 KiB), and a read through a second
 * mapping of the same lines pays the CPU's handling of two virtual
 * addresses for one physical line (AMD's L1 refetches such a line from L2
 * for the other address).  Both are the memory's cost, not the channel's:
 * a ratio to these copies is the channel's own.  The plain memcpy is
 * measured too, as the absolute reference.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "layout.h"

/* The ring the copies go through: the channel's slots, without it. */
struct cc_ring {
	unsigned char *in;            /* the mapping copies in go through */
	const unsigned char *out;     /* the one copies out go through (maybe in) */
	size_t bytes, stride, offset;
	uint32_t slots, next;         /* slots in the ring; the one last copied in */
};

static void
cc_ring_close(struct cc_ring *r)
{
	if (r->out != MAP_FAILED && r->out != r->in)
		munmap((void *)r->out, r->bytes);
	if (r->in != MAP_FAILED)
		munmap(r->in, r->bytes);
}

static int
cc_ring_open(struct cc_ring *r, uint64_t capacity, bool two_mappings)
{
	struct seg_geometry g;
	int fd;

	r->in = MAP_FAILED;
	r->out = MAP_FAILED;
	r->next = 0;
	if (seg_geometry(capacity, SEG_MODE_LATEST, 0, 0, &g) != ESHM_SUCCESS)
		return -1;
	r->slots = g.slots;
	r->stride = g.slot_stride;
	r->offset = g.data_offset;
	r->bytes = (size_t)g.slots * g.slot_stride;
	fd = memfd_create("eshm-bench-copies", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)r->bytes) == 0) {
		r->in = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		r->out = two_mappings ? mmap(NULL, r->bytes, PROT_READ, MAP_SHARED, fd, 0) : r->in;
	}
	close(fd);
	if (r->in == MAP_FAILED || r->out == MAP_FAILED) {
		cc_ring_close(r);
		return -1;
	}
	memset(r->in, 0, r->bytes);
	return 0;
}

enum cc_kind { CC_MEMCPY, CC_COPY_IN, CC_COPY_IN_OUT, CC_WRITE, CC_WRITE_READ };

/* The mean cost in ns of one operation of @kind over @n. */
static double
cc_time(const struct bench_copy *c, struct cc_ring *r, enum cc_kind kind, size_t n)
{
	uint64_t t0 = bench_now_ns();

	if (kind == CC_WRITE || kind == CC_WRITE_READ) {
		c->pass(c->ctx, kind == CC_WRITE_READ, n);
		return (double)(bench_now_ns() - t0) / (double)n;
	}
	for (size_t i = 0; i < n; i++) {
		if (kind == CC_MEMCPY) {
			memcpy(c->dst, c->src, c->size);
		} else {
			r->next = (r->next + 1) % r->slots;
			memcpy(r->in + (size_t)r->next * r->stride + r->offset, c->src, c->size);
			if (kind == CC_COPY_IN_OUT)
				memcpy(c->dst, r->out + (size_t)r->next * r->stride + r->offset,
				       c->size);
		}
		BENCH_CLOBBER();
	}
	return (double)(bench_now_ns() - t0) / (double)n;
}

/* (both - first), never below 0: the second of two operations timed
 * together and alone. */
static double
cc_second(double both, double first)
{
	return both > first ? both - first : 0;
}

int
bench_copy_measure(const struct bench_copy *c, size_t n, size_t batches,
                   struct bench_copy_cost *out)
{
	double *v = calloc(7 * batches, sizeof(*v)), *cp, *in, *o, *w, *rd, *wq, *rq;
	struct cc_ring r;
	int rc = -1;

	if (v == NULL || cc_ring_open(&r, c->capacity, c->two_mappings) != 0)
		goto out;
	cp = v, in = v + batches, o = v + 2 * batches, w = v + 3 * batches;
	rd = v + 4 * batches, wq = v + 5 * batches, rq = v + 6 * batches;
	for (enum cc_kind k = CC_MEMCPY; k <= CC_WRITE_READ; k++)
		cc_time(c, &r, k, n); /* warm the lines and the branch predictors */
	for (size_t b = 0; b < batches; b++) {
		cp[b] = cc_time(c, &r, CC_MEMCPY, n);
		in[b] = cc_time(c, &r, CC_COPY_IN, n);
		o[b] = cc_second(cc_time(c, &r, CC_COPY_IN_OUT, n), in[b]);
		w[b] = cc_time(c, &r, CC_WRITE, n);
		rd[b] = cc_second(cc_time(c, &r, CC_WRITE_READ, n), w[b]);
		wq[b] = w[b] / in[b];
		rq[b] = o[b] > 0 ? rd[b] / o[b] : 0;
	}
	out->memcpy_ns = bench_median(cp, batches);
	out->copy_in_ns = bench_median(in, batches);
	out->copy_out_ns = bench_median(o, batches);
	out->write_ns = bench_median(w, batches);
	out->read_ns = bench_median(rd, batches);
	out->write_ratio = bench_median(wq, batches);
	out->read_ratio = bench_median(rq, batches);
	cc_ring_close(&r);
	rc = 0;
out:
	free(v);
	return rc;
}
