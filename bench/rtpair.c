/*
 * rtpair.c - round trips divided by their floors, measured side by side:
 * the row and its floor run in turn in each of a number of short blocks
 * (each run its own slave, set up afresh), and the ratio is the median of
 * the per-block ratios.  The host moves its virtual CPUs between phases;
 * a floor measured minutes before the row it divides can put eshm at
 * "0.59x the floor", which only says the phase changed.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

/* The pairs the product's targets are stated on. */
static const struct {
	const struct rt_ops *row, *floor;
	size_t size;
} rtp_list[BENCH_RTPAIRS] = {
	/* a message that shares its header's cache line */
	{ &eshm_spin_fit_ops, &peer_floor_ops, 48 },
	{ &eshm_spin_ops, &peer_floor_ops, 64 },
	{ &eshm_spin_ops, &peer_floor_copy_ops, 64 },
};

/* The pair @p of @r, @blocks blocks of @per round trips. */
static int
rtp_measure(struct rtpair_result *r, size_t p, size_t blocks, size_t per)
{
	struct rtpair *x = &r->pair[p];
	double *row = calloc(blocks, sizeof(*row)), *floor = calloc(blocks, sizeof(*floor));
	double *ratio = calloc(blocks, sizeof(*ratio));
	struct rt_result res;
	int rc = -1;

	x->row = rtp_list[p].row->name;
	x->floor = rtp_list[p].floor->name;
	x->size = rtp_list[p].size;
	if (row == NULL || floor == NULL || ratio == NULL)
		goto out;
	for (size_t b = 0; b < blocks; b++) {
		if (rt_run(rtp_list[p].floor, x->size, per, &res) != 0)
			goto out;
		floor[b] = res.rt.p50;
		if (rt_run(rtp_list[p].row, x->size, per, &res) != 0)
			goto out;
		row[b] = res.rt.p50;
		ratio[b] = row[b] / floor[b];
	}
	x->row_p50 = bench_median(row, blocks);
	x->floor_p50 = bench_median(floor, blocks);
	x->ratio = bench_median(ratio, blocks);
	x->ok = true;
	rc = 0;
out:
	free(row);
	free(floor);
	free(ratio);
	return rc;
}

int
eshm_bench_rtpairs(const struct bench_opts *o, struct rtpair_result *r)
{
	int rc = 0;

	r->blocks = o->quick ? 3 : 31;
	r->per_block = o->quick ? 200 : 2000;
	for (size_t p = 0; p < BENCH_RTPAIRS; p++) {
		bench_progress("round trip %s %zu B against %s, %zu alternating blocks",
		               rtp_list[p].row->name, rtp_list[p].size, rtp_list[p].floor->name,
		               r->blocks);
		if (rtp_measure(r, p, r->blocks, r->per_block) != 0) {
			fprintf(stderr, "eshm-bench: round trip %s %zu B against %s failed\n",
			        rtp_list[p].row->name, rtp_list[p].size, rtp_list[p].floor->name);
			rc = -1;
		}
	}
	r->ok = rc == 0;
	return rc;
}
