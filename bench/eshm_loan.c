/*
 * eshm_loan.c - what a zero-copy write costs: filling a message in place
 * with eshm_loan() + memset + eshm_publish(), against the same memset into
 * a buffer of one's own (the floor: the bytes must be produced anyway), and
 * against that memset followed by eshm_write() (the copy a loan saves).
 * One process, no reader, the three in turn in every block; each ratio is
 * the median of the per-block ratios.  The own buffer rotates over as many
 * messages as the channel has slots, so the three touch as much memory.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#include "eshm.h"

#define LOAN_CAPACITY (16u * 1024u * 1024u)
/* A latest-value channel's slots at this capacity (SEG_LATEST_SLOTS_MIN): the
 * own buffer's too. */
#define LOAN_RING 4

enum loan_kind { LOAN_MEMSET, LOAN_LOAN, LOAN_WRITE };

/* ns per message of @reps messages of @size bytes, made the @kind way. */
static double
loan_pass(ESHMHandle *h, unsigned char *own, size_t size, enum loan_kind kind, int reps)
{
	uint64_t t0 = bench_now_ns();
	void *buf;

	for (int i = 0; i < reps; i++) {
		unsigned char *mine = own + (size_t)(i % LOAN_RING) * size;

		switch (kind) {
		case LOAN_MEMSET:
			memset(mine, i, size);
			break;
		case LOAN_LOAN:
			if (eshm_loan(h, size, &buf) != ESHM_SUCCESS)
				return -1;
			memset(buf, i, size);
			if (eshm_publish(h, size) != ESHM_SUCCESS)
				return -1;
			break;
		case LOAN_WRITE:
			memset(mine, i, size);
			if (eshm_write(h, mine, size) != ESHM_SUCCESS)
				return -1;
			break;
		}
		__asm__ __volatile__("" ::: "memory");
	}
	return (double)(bench_now_ns() - t0) / reps;
}

int
eshm_bench_loan(const struct bench_opts *o, struct loan_result *r)
{
	static const size_t sizes[BENCH_LOAN_SIZES] = { 1024 * 1024, LOAN_CAPACITY };
	size_t blocks = o->quick ? 3 : 11;
	double t[3][16], loan_ratio[16], write_ratio[16];
	unsigned char *own = malloc((size_t)LOAN_RING * LOAN_CAPACITY);
	char name[96];
	ESHMHandle *h;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	bench_pin(BENCH_MASTER_CPU);
	bench_segment_name("loan", name, sizeof(name));
	h = bench_attach(name, ESHM_ROLE_MASTER, true, 0, 0, LOAN_CAPACITY);
	if (h == NULL || own == NULL)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < BENCH_LOAN_SIZES; i++) {
		int reps = sizes[i] > 4 * 1024 * 1024 ? LOAN_RING : 8 * LOAN_RING;

		/* warm every page of the slots and of the own buffer */
		for (int k = LOAN_MEMSET; k <= LOAN_WRITE; k++)
			if (loan_pass(h, own, sizes[i], (enum loan_kind)k, LOAN_RING) < 0)
				rc = -1;
		for (size_t b = 0; rc == 0 && b < blocks; b++) {
			for (int k = LOAN_MEMSET; k <= LOAN_WRITE; k++)
				if ((t[k][b] = loan_pass(h, own, sizes[i], (enum loan_kind)k, reps)) < 0)
					rc = -1;
			loan_ratio[b] = t[LOAN_LOAN][b] / t[LOAN_MEMSET][b];
			write_ratio[b] = t[LOAN_WRITE][b] / t[LOAN_MEMSET][b];
		}
		if (rc != 0)
			break;
		r->size[i] = sizes[i];
		r->memset_ns[i] = bench_median(t[LOAN_MEMSET], blocks);
		r->loan_ns[i] = bench_median(t[LOAN_LOAN], blocks);
		r->write_ns[i] = bench_median(t[LOAN_WRITE], blocks);
		r->loan_ratio[i] = bench_median(loan_ratio, blocks);
		r->write_ratio[i] = bench_median(write_ratio, blocks);
	}
	bench_unpin();
	eshm_destroy(h);
	free(own);
	r->ok = rc == 0;
	return rc;
}
