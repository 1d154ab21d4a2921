/*
 * report.c - eshm-bench's output: readable tables with ratios and the
 * product's targets, or one JSON object (json-c) for machines.
 */
#include "bench.h"

#include <json.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define TARGETS_MAX 32

static void
report_size(char *buf, size_t len, size_t size)
{
	if (size >= 1024 * 1024 && size % (1024 * 1024) == 0)
		snprintf(buf, len, "%zu MiB", size / (1024 * 1024));
	else if (size >= 1024 && size % 1024 == 0)
		snprintf(buf, len, "%zu KiB", size / 1024);
	else
		snprintf(buf, len, "%zu B", size);
}

struct target {
	char what[128];
	char measured[96];
	bool known;             /* the figures it needs were measured */
	bool met;
};

void
report_machine(struct bench_results *r)
{
	struct utsname u;
	char line[512];
	FILE *f;

	snprintf(r->machine, sizeof(r->machine), "unknown CPU");
	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *colon = strchr(line, ':');

			if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
				colon[strcspn(colon, "\n")] = '\0';
				snprintf(r->machine, sizeof(r->machine), "%s", colon + 2);
				break;
			}
		}
		fclose(f);
	}
	if (uname(&u) == 0)
		snprintf(r->kernel, sizeof(r->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	r->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static const struct rt_result *
report_rt(const struct bench_results *r, const struct rt_ops *ops, size_t size)
{
	for (size_t i = 0; i < r->nrt; i++)
		if (strcmp(r->rt[i].name, ops->name) == 0 && r->rt[i].size == size && r->rt[i].ok)
			return &r->rt[i];
	return NULL;
}

/* The stream of @ops, if it ran. */
static const struct rt_result *
report_stream(const struct bench_results *r, const struct rt_ops *ops)
{
	for (size_t i = 0; i < r->nstream; i++)
		if (strcmp(r->stream[i].name, ops->name) == 0 && r->stream[i].ok)
			return &r->stream[i];
	return NULL;
}

static double
report_pct(uint64_t part, uint64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0;
}

static struct target *
report_target(struct target *t, size_t *n, const char *what)
{
	struct target *x = &t[(*n)++];

	memset(x, 0, sizeof(*x));
	snprintf(x->what, sizeof(x->what), "%s", what);
	return x;
}

/* A write and read against their copies without the channel (copycost.c):
 * judged on those ratios, the ratios to a plain memcpy shown beside. */
static void
report_copy_target(struct target *x, const struct bench_copy_cost *c)
{
	x->known = true;
	snprintf(x->measured, sizeof(x->measured), "write %.2fx, read %.2fx (of memcpy %.2fx, %.2fx)",
	         c->write_ratio, c->read_ratio, c->write_ns / c->memcpy_ns,
	         c->read_ns / c->memcpy_ns);
	x->met = c->write_ratio <= 1.25 && c->read_ratio <= 1.25;
}

/* The round-trip targets, from the ratios measured in alternating blocks. */
static void
report_targets_paired(const struct rtpair_result *r, struct target *t, size_t *n)
{
	static const struct {
		const char *what;
		double limit;
	} want[BENCH_RTPAIRS] = {
		{ "48 B spinning round trip (one line with its header) <= 1.5x the line floor", 1.5 },
		{ "64 B spinning round trip <= 1.5x the cache-line floor (p50)", 1.5 },
		{ "64 B spinning round trip <= 1.1x floor + memcpy (p50)", 1.1 },
	};

	for (size_t p = 0; p < BENCH_RTPAIRS; p++) {
		struct target *x = report_target(t, n, want[p].what);

		if (!(x->known = r->pair[p].ok))
			continue;
		snprintf(x->measured, sizeof(x->measured), "%.2fx", r->pair[p].ratio);
		x->met = r->pair[p].ratio <= want[p].limit;
	}
}

/* Judge the product's targets from what this run measured. */
static size_t
report_targets(const struct bench_results *r, struct target *t)
{
	const struct rt_result *spin = report_rt(r, &eshm_spin_ops, 64);
	const struct rt_result *unx = report_rt(r, &peer_unix_ops, 64);
	const struct rt_result *mtx = report_rt(r, &peer_mutex_ops, 64);
	const struct seqlock_result *s = &r->seq;
	struct target *x;
	size_t n = 0;

	report_targets_paired(&r->rtp, t, &n);
	x = report_target(t, &n, "64 B spinning round trip >= 100x faster than unix socket (p50)");
	if ((x->known = unx && spin)) {
		double q = unx->rt.p50 / spin->rt.p50;

		snprintf(x->measured, sizeof(x->measured), "%.0fx", q);
		x->met = q >= 100;
	}
	x = report_target(t, &n, "64 B spinning round trip >= 100x faster than mutex + condvar (p50)");
	if ((x->known = mtx && spin)) {
		double q = mtx->rt.p50 / spin->rt.p50;

		snprintf(x->measured, sizeof(x->measured), "%.0fx", q);
		x->met = q >= 100;
	}
	for (size_t i = 0; i < BENCH_SEQ_SIZES; i++) {
		if (!s->ok)
			break;
		if (s->size[i] == 64) {
			x = report_target(t, &n, "uncontended channel write and read of 64 B < 10 ns");
			x->known = true;
			snprintf(x->measured, sizeof(x->measured), "write %.1f ns, read %.1f ns",
			         s->cost[i].write_ns, s->cost[i].read_ns);
			x->met = s->cost[i].write_ns < 10 && s->cost[i].read_ns < 10;
		}
		if (s->size[i] == 4096) {
			report_copy_target(report_target(t, &n, "uncontended 4 KiB channel write and "
			                                        "read <= 1.25x memcpy, same memory"),
			                   &s->cost[i]);
		}
	}
	for (size_t i = 0; r->api.ok && i < BENCH_API_SIZES; i++) {
		const struct api_result *a = &r->api;

		if (a->size[i] == 64) {
			x = report_target(t, &n, "uncontended eshm_write and eshm_read of 64 B < 10 ns");
			x->known = true;
			snprintf(x->measured, sizeof(x->measured), "write %.1f ns, read %.1f ns",
			         a->cost[i].write_ns, a->cost[i].read_ns);
			x->met = a->cost[i].write_ns < 10 && a->cost[i].read_ns < 10;
			x = report_target(t, &n, "64 B eshm_write after a reader died asleep <= 1.5x clean");
			if ((x->known = a->write_dead_reader_ns[i] > 0)) {
				snprintf(x->measured, sizeof(x->measured), "%.1f vs %.1f ns",
				         a->write_dead_reader_ns[i], a->cost[i].write_ns);
				x->met = a->write_dead_reader_ns[i] <= 1.5 * a->cost[i].write_ns;
			}
		}
		if (a->size[i] == 4096) {
			report_copy_target(report_target(t, &n, "uncontended 4 KiB eshm_write and "
			                                        "eshm_read <= 1.25x memcpy, same memory"),
			                   &a->cost[i]);
		}
	}
	for (size_t i = 0; s->ok && i < BENCH_SEQ_CONTENDED; i++) {
		const struct seqlock_contended *c = &s->contended[i];
		char what[96];
		double rate = report_pct(c->retries, c->reads + c->retries);

		snprintf(what, sizeof(what), "channel retry rate < 1 %% with the writer flat out (%zu B, %s)",
		         c->size, c->processes ? "processes" : "threads");
		x = report_target(t, &n, what);
		x->known = true;
		snprintf(x->measured, sizeof(x->measured), "%.3f %%", rate);
		x->met = rate < 1.0;
		if (c->size != 64)
			continue;
		snprintf(what, sizeof(what), "channel reads >= 1 M/s at 64 B, writer flat out (%s)",
		         c->processes ? "processes" : "threads");
		x = report_target(t, &n, what);
		x->known = true;
		snprintf(x->measured, sizeof(x->measured), "%.2f M/s",
		         (double)c->reads / c->seconds / 1e6);
		x->met = (double)c->reads / c->seconds >= 1e6;
	}
	if (s->ok) {
		x = report_target(t, &n, "queue one-way 64 B >= 50 % of a plain SPSC ring, same depth");
		x->known = true;
		snprintf(x->measured, sizeof(x->measured), "%.0f %%", 100 * s->queue_ratio);
		x->met = s->queue_ratio >= 0.5;
	}
	if (r->tp.ok) {
		x = report_target(t, &n, "reader retry rate < 1 % with the writer at full speed (64 B)");
		x->known = true;
		double rate = report_pct(r->tp.retries[0], r->tp.read[0] + r->tp.retries[0]);
		snprintf(x->measured, sizeof(x->measured), "%.3f %%", rate);
		x->met = rate < 1.0;
	}
	for (size_t i = 0; r->loan.ok && i < BENCH_LOAN_SIZES; i++) {
		char what[96], sz[32];

		report_size(sz, sizeof(sz), r->loan.size[i]);
		snprintf(what, sizeof(what), "%s loan + fill + publish <= 1.1x the fill alone (memset)",
		         sz);
		x = report_target(t, &n, what);
		x->known = true;
		snprintf(x->measured, sizeof(x->measured), "%.2fx", r->loan.loan_ratio[i]);
		x->met = r->loan.loan_ratio[i] <= 1.1;
	}
	if (r->obs.ok) {
		x = report_target(t, &n, "writer's rate with 4 observers polling every 1 ms >= 90 % of alone");
		x->known = true;
		snprintf(x->measured, sizeof(x->measured), "%.0f %%", 100 * r->obs.ratio);
		x->met = r->obs.ratio >= 0.9;
	}
	if (r->hb.ok) {
		x = report_target(t, &n, "heartbeat at 1 ms costs no more than a bare 1 ms sleep loop");
		x->known = true;
		snprintf(x->measured, sizeof(x->measured), "%.2f %% vs %.2f %% of a core",
		         r->hb.attached_pct[0], r->hb.bare_loop_pct);
		/* The two are measured side by side: allow their noise. */
		x->met = r->hb.attached_pct[0] <= r->hb.bare_loop_pct * 1.10 + 0.05;
	}
	if (r->hb.ok && r->det.ok && r->det.longest_sharp_period_us > 0) {
		for (size_t i = 0; i < r->hb.nperiods; i++)
			if (r->hb.period_us[i] == r->det.longest_sharp_period_us) {
				x = report_target(t, &n, "heartbeat at the longest sharp period < 0.1 % of a core");
				x->known = true;
				snprintf(x->measured, sizeof(x->measured), "%u us: %.3f %%",
				         r->hb.period_us[i], r->hb.attached_pct[i]);
				x->met = r->hb.attached_pct[i] < 0.1;
			}
	}
	for (size_t sz = 64; sz <= 4096; sz *= 64) {
		const struct rt_result *fx = report_rt(r, &eshm_slept_ops, sz);
		const struct rt_result *ux = report_rt(r, &peer_unix_ops, sz);
		char what[128];

		snprintf(what, sizeof(what), "%zu B eshm_read_timeout round trip, slave asleep, <= unix socket (p50)", sz);
		x = report_target(t, &n, what);
		if ((x->known = fx && ux)) {
			snprintf(x->measured, sizeof(x->measured), "%.1f us vs %.1f us",
			         fx->rt.p50 / 1e3, ux->rt.p50 / 1e3);
			x->met = fx->rt.p50 <= ux->rt.p50;
		}
	}
	if (r->det.ok) {
		for (size_t i = 0; i < r->det.nrows; i++) {
			const struct detect_row *d = &r->det.row[i];
			char what[128];

			if (d->period_us != 1000)
				continue;
			snprintf(what, sizeof(what), "stale verdict p99 <= threshold + 15 ms (%u ms)",
			         d->threshold_ms);
			x = report_target(t, &n, what);
			x->known = d->stale_ms.n > 0;
			snprintf(x->measured, sizeof(x->measured), "%.1f ms", d->stale_ms.p99);
			x->met = d->stale_ms.p99 <= d->threshold_ms + 15.0;
		}
		x = report_target(t, &n, "dead verdict p99 <= 5 ms after SIGKILL");
		x->known = r->det.dead_ms.n > 0;
		snprintf(x->measured, sizeof(x->measured), "%.2f ms", r->det.dead_ms.p99);
		x->met = r->det.dead_ms.p99 <= 5.0;
	}
	for (size_t i = 0; r->scale.ok && i < r->scale.nlevels; i++)
		if (r->scale.segments[i] == 1000) {
			x = report_target(t, &n, "eshmd monitoring 1,000 segments < 3 % of a core");
			x->known = true;
			snprintf(x->measured, sizeof(x->measured), "%.2f %%", r->scale.eshmd_pct[i]);
			x->met = r->scale.eshmd_pct[i] < 3.0;
		}
	return n;
}

/* What the copy columns of the two uncontended tables are. */
static void
report_copy_note(void)
{
	printf("   memcpy: between two fixed buffers; copy in, copy out: the write's and the\n"
	       "   read's copies without the channel, into and out of a ring of its slots\n"
	       "   (bench/copycost.c); ratios: medians of the per-block ratios to those\n");
}

static void
report_table_seqlock(const struct seqlock_result *s)
{
	char sz[32];

	if (!s->ok)
		return;
	printf("\n1. Channel (common/channel.h) cost, uncontended, ns per operation "
	       "(one thread, data in cache)\n");
	printf("   %-7s %11s %11s %9s %8s %8s %9s %9s\n", "size", "chan_write", "chan_read",
	       "memcpy", "copy in", "copy out", "write/in", "read/out");
	for (size_t i = 0; i < BENCH_SEQ_SIZES; i++) {
		const struct bench_copy_cost *c = &s->cost[i];

		report_size(sz, sizeof(sz), s->size[i]);
		printf("   %-7s %11.1f %11.1f %9.1f %8.1f %8.1f %8.2fx %8.2fx\n", sz, c->write_ns,
		       c->read_ns, c->memcpy_ns, c->copy_in_ns, c->copy_out_ns, c->write_ratio,
		       c->read_ratio);
	}
	report_copy_note();
	printf("\n   The reader through a second mapping of the block, as two handles of one\n"
	       "   process read (the copies out through a second mapping too)\n");
	printf("   %-7s %11s %8s %9s\n", "size", "chan_read", "copy out", "read/out");
	for (size_t i = 0; i < BENCH_SEQ_SIZES; i++) {
		const struct bench_copy_cost *c = &s->cost_two_maps[i];

		report_size(sz, sizeof(sz), s->size[i]);
		printf("   %-7s %11.1f %8.1f %8.2fx\n", sz, c->read_ns, c->copy_out_ns, c->read_ratio);
	}
	printf("\n   Latest value, writer flat out (CPU %d), reader spinning (CPU %d)\n",
	       BENCH_MASTER_CPU, BENCH_SLAVE_CPU);
	printf("   %-7s %-9s %14s %14s %12s %10s\n", "size", "sides", "writes/s", "reads/s",
	       "retry rate", "gave up");
	for (size_t i = 0; i < BENCH_SEQ_CONTENDED; i++) {
		const struct seqlock_contended *c = &s->contended[i];

		report_size(sz, sizeof(sz), c->size);
		printf("   %-7s %-9s %14.0f %14.0f %10.3f %% %10llu\n", sz,
		       c->processes ? "processes" : "threads", (double)c->written / c->seconds,
		       (double)c->reads / c->seconds, report_pct(c->retries, c->reads + c->retries),
		       (unsigned long long)c->contended);
	}
	printf("   (retry rate: overlapped copies / copies; gave up: ESHM_ERROR_CONTENDED)\n");
	printf("\n   Queue, 64 B one way, depth %u, against a plain SPSC ring of that depth\n",
	       s->queue_depth);
	printf("   queue %.2f M/s, ring %.2f M/s, queue/ring %.0f %% (median of alternating blocks)\n",
	       s->queue_per_s / 1e6, s->ring_per_s / 1e6, 100 * s->queue_ratio);
}

static void
report_table_api(const struct api_result *a)
{
	char sz[32];

	if (!a->ok)
		return;
	printf("\n   eshm_write and eshm_read through the library, uncontended, ns per call\n");
	printf("   %-7s %11s %11s %11s %9s %8s %8s %9s %9s\n", "size", "eshm_write",
	       "dead reader", "eshm_read", "memcpy", "copy in", "copy out", "write/in", "read/out");
	for (size_t i = 0; i < BENCH_API_SIZES; i++) {
		const struct bench_copy_cost *c = &a->cost[i];

		report_size(sz, sizeof(sz), a->size[i]);
		printf("   %-7s %11.1f %11.1f %11.1f %9.1f %8.1f %8.1f %8.2fx %8.2fx\n", sz,
		       c->write_ns, a->write_dead_reader_ns[i], c->read_ns, c->memcpy_ns,
		       c->copy_in_ns, c->copy_out_ns, c->write_ratio, c->read_ratio);
	}
	printf("   dead reader: eshm_write on a segment whose reader died asleep on the futex\n");
	report_copy_note();
}

static void
report_table_rt(const struct bench_results *r)
{
	const struct rt_result *floor = report_rt(r, &peer_floor_ops, 64);
	const struct rt_ops *mine[] = { &eshm_spin_ops, &eshm_futex_ops, &eshm_slept_ops,
		                        &eshm_epoll_ops };
	const struct rt_ops *peers[] = {
		&peer_floor_ops, &peer_floor_copy_ops, &peer_mutex_ops, &peer_unix_ops,
		&peer_pipe_ops,  &peer_mq_ops,
#ifdef HAVE_ZMQ
		&peer_zmq_ops,
#endif
#ifdef HAVE_ICEORYX
		&peer_iox_ops,
#endif
	};
	char sz[32];

	if (r->nrt == 0)
		return;
	printf("\n2-3. Round trip master (CPU %d) -> slave (CPU %d) -> master, us\n",
	       BENCH_MASTER_CPU, BENCH_SLAVE_CPU);
	printf("   %-16s %-6s %9s %9s %9s %9s %9s %9s\n", "transport", "size", "samples", "p50",
	       "p99", "p99.9", "max", "p50/floor");
	for (size_t i = 0; i < r->nrt; i++) {
		const struct rt_result *x = &r->rt[i];

		report_size(sz, sizeof(sz), x->size);
		if (!x->ok) {
			printf("   %-16s %-6s   failed\n", x->name, sz);
			continue;
		}
		printf("   %-16s %-6s %9zu %9.3f %9.3f %9.3f %9.3f", x->name, sz, x->rt.n,
		       x->rt.p50 / 1e3, x->rt.p99 / 1e3, x->rt.p999 / 1e3, x->rt.max / 1e3);
		if (floor != NULL)
			printf(" %8.2fx", x->rt.p50 / floor->rt.p50);
		putchar('\n');
	}
	printf("   (timestamps: two clock reads per sample, %.0f ns each, are included)\n",
	       r->clock_ns);
	printf("\n   eshm against each peer: peer p50 / eshm p50 (how many times faster eshm is)\n");
	printf("   %-16s %-6s", "eshm", "size");
	for (size_t p = 0; p < sizeof(peers) / sizeof(peers[0]); p++)
		printf(" %15s", peers[p]->name);
	putchar('\n');
	for (size_t m = 0; m < sizeof(mine) / sizeof(mine[0]); m++)
		for (size_t size = 64; size <= 4096; size *= 64) {
			const struct rt_result *e = report_rt(r, mine[m], size);

			if (e == NULL)
				continue;
			report_size(sz, sizeof(sz), size);
			printf("   %-16s %-6s", mine[m]->name, sz);
			for (size_t p = 0; p < sizeof(peers) / sizeof(peers[0]); p++) {
				const struct rt_result *q = report_rt(r, peers[p], size);

				if (peers[p] == &peer_floor_ops)
					q = floor;
				if (q == NULL)
					printf(" %15s", "-");
				else
					printf(" %14.2fx", q->rt.p50 / e->rt.p50);
			}
			putchar('\n');
		}
}

static void
report_table_rtpairs(const struct rtpair_result *r)
{
	char sz[32];

	if (r->blocks == 0)
		return;
	printf("\n2b. Round trips against their floors, in %zu alternating blocks of %zu, us\n",
	       r->blocks, r->per_block);
	printf("   %-16s %-6s %-16s %9s %9s %12s\n", "transport", "size", "floor", "p50",
	       "floor p50", "p50/floor");
	for (size_t p = 0; p < BENCH_RTPAIRS; p++) {
		const struct rtpair *x = &r->pair[p];

		if (x->row == NULL)
			continue;
		report_size(sz, sizeof(sz), x->size);
		if (!x->ok) {
			printf("   %-16s %-6s %-16s   failed\n", x->row, sz, x->floor);
			continue;
		}
		printf("   %-16s %-6s %-16s %9.3f %9.3f %11.2fx\n", x->row, sz, x->floor,
		       x->row_p50 / 1e3, x->floor_p50 / 1e3, x->ratio);
	}
	printf("   (p50: median of the blocks' medians; p50/floor: median of the per-block\n"
	       "   ratios, each block running the floor, then the row, each with a fresh slave;\n"
	       "   \"fit\": a segment whose capacity is the message size)\n");
}

static void
report_table_streams(const struct bench_results *r)
{
	const struct rt_result *q = report_stream(r, &eshm_queue_ops);

	if (r->nstream == 0)
		return;
	printf("\n2c. One-way stream of 64 B messages, master (CPU %d) -> slave (CPU %d), every\n"
	       "   message checked in order; queues %u deep where a depth is set\n",
	       BENCH_MASTER_CPU, BENCH_SLAVE_CPU, BENCH_STREAM_DEPTH);
	printf("   %-18s %14s %16s\n", "transport", "messages/s", "eshm queue / it");
	for (size_t i = 0; i < r->nstream; i++) {
		const struct rt_result *x = &r->stream[i];

		if (!x->ok) {
			printf("   %-18s   failed\n", x->name);
			continue;
		}
		printf("   %-18s %14.0f", x->name, x->per_s);
		if (q != NULL && q->ok)
			printf(" %15.2fx", q->per_s / x->per_s);
		putchar('\n');
	}
	printf("   (eshm queue: eshm_write_timeout and a spinning eshm_read; the others as in\n"
	       "   2-3; iceoryx with a subscriber queue that blocks its publisher when full)\n");
}

static void
report_table_tp(const struct throughput_result *t)
{
	char sz[32];

	if (!t->ok)
		return;
	printf("\n4. Throughput: writer at full speed (CPU %d), reader spinning (CPU %d)\n",
	       BENCH_MASTER_CPU, BENCH_SLAVE_CPU);
	printf("   %-7s %14s %14s %10s %12s %11s %6s\n", "size", "writes/s", "reads/s", "retries",
	       "retry rate", "missed", "torn");
	for (size_t i = 0; i < BENCH_TP_SIZES; i++) {
		report_size(sz, sizeof(sz), t->size[i]);
		printf("   %-7s %14.0f %14.0f %10llu %10.3f %% %11llu %6llu\n", sz,
		       (double)t->written[i] / t->seconds[i], (double)t->read[i] / t->seconds[i],
		       (unsigned long long)t->retries[i],
		       report_pct(t->retries[i], t->read[i] + t->retries[i]),
		       (unsigned long long)t->missed[i], (unsigned long long)t->torn[i]);
	}
	printf("   (retry rate: retried copies / copies; missed: overwritten before read)\n");
}

static void
report_table_loan(const struct loan_result *l)
{
	char sz[32];

	if (!l->ok)
		return;
	printf("\n4a. Zero copy: a message filled in place (eshm_loan, memset, eshm_publish) against\n"
	       "    the same memset into an own buffer, and against that memset + eshm_write, us\n");
	printf("   %-7s %12s %12s %14s %12s %14s\n", "size", "memset", "loan", "loan/memset",
	       "write", "write/memset");
	for (size_t i = 0; i < BENCH_LOAN_SIZES; i++) {
		report_size(sz, sizeof(sz), l->size[i]);
		printf("   %-7s %12.1f %12.1f %13.2fx %12.1f %13.2fx\n", sz, l->memset_ns[i] / 1e3,
		       l->loan_ns[i] / 1e3, l->loan_ratio[i], l->write_ns[i] / 1e3, l->write_ratio[i]);
	}
	printf("   (ratios: median of the per-block ratios; the three alternate in every block)\n");
}

static void
report_table_obs(const struct observers_result *o)
{
	if (!o->ok)
		return;
	printf("\n4b. Observers: eshm_write() of 64 B flat out (CPU %d), no reader, alone and with\n"
	       "    %u observers (CPU %d) each reading once a millisecond, %zu alternating pairs of\n"
	       "    blocks\n",
	       BENCH_MASTER_CPU, o->observers, BENCH_SLAVE_CPU, o->blocks);
	printf("   alone %.2f M writes/s, with observers %.2f M writes/s, with/alone %.3f "
	       "(median of the pairs)\n",
	       o->alone_per_s / 1e6, o->with_per_s / 1e6, o->ratio);
}

static void
report_table_hb(const struct heartbeat_result *h)
{
	if (!h->ok)
		return;
	printf("\n5. Heartbeat cost: CPU of an idle process over %.1f s, %% of one core\n",
	       h->seconds);
	printf("   %-40s %8.3f %%\n", "not attached (sleeping)", h->idle_pct);
	printf("   %-40s %8.3f %%\n", "bare 1 ms clock_nanosleep loop (thread)", h->bare_loop_pct);
	for (size_t i = 0; i < h->nperiods; i++) {
		char what[64];

		snprintf(what, sizeof(what), "attached, heartbeat every %u us", h->period_us[i]);
		printf("   %-40s %8.3f %%   (%.0f beats/s)\n", what, h->attached_pct[i],
		       h->beats_per_s[i]);
	}
}

static void
report_table_det(const struct detect_result *d)
{
	if (!d->ok)
		return;
	printf("\n6. Detection, ms from the signal to the verdict seen by the other endpoint\n");
	printf("   %-9s %-9s %7s | %-26s | %-26s | %s\n", "threshold", "heartbeat", "trials",
	       "SIGSTOP->stale p50/p99/max", "SIGCONT->alive p50/p99/max", "false stale");
	for (size_t i = 0; i < d->nrows; i++) {
		const struct detect_row *x = &d->row[i];

		printf("   %6u ms %6u us %7zu | %7.1f %8.1f %8.1f | %7.1f %8.1f %8.1f | %u\n",
		       x->threshold_ms, x->period_us, x->stale_ms.n, x->stale_ms.p50,
		       x->stale_ms.p99, x->stale_ms.max, x->alive_ms.p50, x->alive_ms.p99,
		       x->alive_ms.max, x->false_stale);
	}
	printf("   SIGKILL -> dead: %zu trials, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       d->dead_ms.n, d->dead_ms.p50, d->dead_ms.p99, d->dead_ms.max);
	if (d->longest_sharp_period_us > 0)
		printf("   longest heartbeat period as sharp as 1 ms: %u us\n",
		       d->longest_sharp_period_us);
}

static void
report_table_kill(const struct bench_results *r)
{
	const struct detect_result *d = &r->det;

	if (r->nkill == 0 && !d->ok)
		return;
	printf("\n6b. A peer SIGKILLed: ms until the survivor knows, what it sees\n");
	printf("   %-14s %-34s %6s %8s %8s %8s\n", "transport", "the survivor sees", "trials",
	       "p50", "p99", "max");
	if (d->ok)
		printf("   %-14s %-34s %6zu %8.2f %8.2f %8.2f\n", "eshm", "the remote is dead",
		       d->dead_ms.n, d->dead_ms.p50, d->dead_ms.p99, d->dead_ms.max);
	for (size_t i = 0; i < r->nkill; i++) {
		const struct kill_result *k = &r->kill[i];

		printf("   %-14s %-34s %6zu %8.2f %8.2f %8.2f\n", k->name, k->how, k->ms.n,
		       k->ms.p50, k->ms.p99, k->ms.max);
	}
}

static void
report_table_scale(const struct scale_result *s)
{
	if (!s->ok)
		return;
	printf("\n7. eshmd's cost as attached segments grow (heartbeats running)\n");
	printf("   %9s %14s %18s %22s\n", "segments", "eshmd % core", "holders % core",
	       "attach us p50/p99");
	for (size_t i = 0; i < s->nlevels; i++)
		printf("   %9u %13.2f %% %17.2f %% %11.0f / %-8.0f%s\n", s->segments[i],
		       s->eshmd_pct[i], s->holders_pct[i], s->attach_us[i].p50, s->attach_us[i].p99,
		       s->capped[i] ? " (capped)" : "");
	for (size_t i = 0; i < s->nlevels; i++)
		if (s->capped[i]) {
			printf("   (capped: RLIMIT_NOFILE is %u here and eshmd holds four descriptors\n"
			       "    per attached segment)\n", s->fd_limit);
			break;
		}
}

void
report_table(const struct bench_results *r)
{
	struct target t[TARGETS_MAX];
	size_t n = report_targets(r, t);

	printf("eshm-bench%s: %s, %d CPUs, %s; run took %.0f s\n", r->quick ? " --quick" : "",
	       r->machine, r->cpus, r->kernel, r->elapsed_s);
	report_table_seqlock(&r->seq);
	report_table_api(&r->api);
	report_table_rt(r);
	report_table_rtpairs(&r->rtp);
	report_table_streams(r);
	report_table_tp(&r->tp);
	report_table_loan(&r->loan);
	report_table_obs(&r->obs);
	report_table_hb(&r->hb);
	report_table_det(&r->det);
	report_table_kill(r);
	report_table_scale(&r->scale);
	printf("\nTargets (from this run%s)\n", r->quick ? "; --quick samples are small" : "");
	for (size_t i = 0; i < n; i++)
		printf("   %-7s %-68s %s\n", !t[i].known ? "n/a" : t[i].met ? "met" : "MISSED",
		       t[i].what, t[i].measured);
}

static json_object *
report_json_dist(const struct bench_dist *d, double scale)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n", json_object_new_int64((int64_t)d->n));
	json_object_object_add(o, "mean", json_object_new_double(d->mean * scale));
	json_object_object_add(o, "p50", json_object_new_double(d->p50 * scale));
	json_object_object_add(o, "p99", json_object_new_double(d->p99 * scale));
	json_object_object_add(o, "p99_9", json_object_new_double(d->p999 * scale));
	json_object_object_add(o, "max", json_object_new_double(d->max * scale));
	json_object_object_add(o, "min", json_object_new_double(d->min * scale));
	return o;
}

#define JADD(obj, key, val) json_object_object_add((obj), (key), (val))
#define JD(v) json_object_new_double(v)
#define JI(v) json_object_new_int64((int64_t)(v))

/* The costs of one size of an uncontended table into @o. */
static void
report_json_copy(json_object *o, const struct bench_copy_cost *c)
{
	JADD(o, "write_ns", JD(c->write_ns));
	JADD(o, "read_ns", JD(c->read_ns));
	JADD(o, "memcpy_ns", JD(c->memcpy_ns));
	JADD(o, "copy_in_ns", JD(c->copy_in_ns));
	JADD(o, "copy_out_ns", JD(c->copy_out_ns));
	JADD(o, "write_per_copy_in", JD(c->write_ratio));
	JADD(o, "read_per_copy_out", JD(c->read_ratio));
}

/* The @n sizes @size with their costs @cost, as an array. */
static json_object *
report_json_sizes(const size_t *size, const struct bench_copy_cost *cost, size_t n)
{
	json_object *a = json_object_new_array(), *o;

	for (size_t i = 0; i < n; i++) {
		o = json_object_new_object();
		JADD(o, "size", JI(size[i]));
		report_json_copy(o, &cost[i]);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
report_json_families(const struct bench_results *r)
{
	json_object *root = json_object_new_object(), *a, *o;

	if (r->seq.ok) {
		JADD(root, "seqlock", report_json_sizes(r->seq.size, r->seq.cost, BENCH_SEQ_SIZES));
		JADD(root, "seqlock_two_mappings",
		     report_json_sizes(r->seq.size, r->seq.cost_two_maps, BENCH_SEQ_SIZES));
		a = json_object_new_array();
		for (size_t i = 0; i < BENCH_SEQ_CONTENDED; i++) {
			const struct seqlock_contended *c = &r->seq.contended[i];

			o = json_object_new_object();
			JADD(o, "size", JI(c->size));
			JADD(o, "processes", json_object_new_boolean(c->processes));
			JADD(o, "seconds", JD(c->seconds));
			JADD(o, "written", JI(c->written));
			JADD(o, "reads", JI(c->reads));
			JADD(o, "retries", JI(c->retries));
			JADD(o, "contended", JI(c->contended));
			json_object_array_add(a, o);
		}
		JADD(root, "seqlock_contended", a);
		o = json_object_new_object();
		JADD(o, "depth", JI(r->seq.queue_depth));
		JADD(o, "queue_per_s", JD(r->seq.queue_per_s));
		JADD(o, "ring_per_s", JD(r->seq.ring_per_s));
		JADD(o, "ratio", JD(r->seq.queue_ratio));
		JADD(root, "seqlock_queue", o);
	}
	if (r->api.ok) {
		a = report_json_sizes(r->api.size, r->api.cost, BENCH_API_SIZES);
		for (size_t i = 0; i < BENCH_API_SIZES; i++)
			JADD(json_object_array_get_idx(a, i), "write_dead_reader_ns",
			     JD(r->api.write_dead_reader_ns[i]));
		JADD(root, "api", a);
	}
	a = json_object_new_array();
	for (size_t i = 0; i < r->nrt; i++) {
		const struct rt_result *floor = report_rt(r, &peer_floor_ops, 64);

		o = json_object_new_object();
		JADD(o, "transport", json_object_new_string(r->rt[i].name));
		JADD(o, "size", JI(r->rt[i].size));
		JADD(o, "ok", json_object_new_boolean(r->rt[i].ok));
		if (r->rt[i].ok) {
			JADD(o, "round_trip_us", report_json_dist(&r->rt[i].rt, 1e-3));
			if (floor != NULL)
				JADD(o, "p50_to_floor", JD(r->rt[i].rt.p50 / floor->rt.p50));
		}
		json_object_array_add(a, o);
	}
	JADD(root, "round_trip", a);
	if (r->nstream > 0) {
		a = json_object_new_array();
		for (size_t i = 0; i < r->nstream; i++) {
			if (!r->stream[i].ok)
				continue;
			o = json_object_new_object();
			JADD(o, "transport", json_object_new_string(r->stream[i].name));
			JADD(o, "size", JI(r->stream[i].size));
			JADD(o, "messages_per_s", JD(r->stream[i].per_s));
			json_object_array_add(a, o);
		}
		JADD(root, "stream", a);
	}
	if (r->rtp.blocks > 0) {
		a = json_object_new_array();
		for (size_t p = 0; p < BENCH_RTPAIRS; p++) {
			const struct rtpair *x = &r->rtp.pair[p];

			if (!x->ok)
				continue;
			o = json_object_new_object();
			JADD(o, "transport", json_object_new_string(x->row));
			JADD(o, "floor", json_object_new_string(x->floor));
			JADD(o, "size", JI(x->size));
			JADD(o, "blocks", JI(r->rtp.blocks));
			JADD(o, "p50_us", JD(x->row_p50 / 1e3));
			JADD(o, "floor_p50_us", JD(x->floor_p50 / 1e3));
			JADD(o, "p50_to_floor", JD(x->ratio));
			json_object_array_add(a, o);
		}
		JADD(root, "round_trip_paired", a);
	}
	if (r->tp.ok) {
		a = json_object_new_array();
		for (size_t i = 0; i < BENCH_TP_SIZES; i++) {
			o = json_object_new_object();
			JADD(o, "size", JI(r->tp.size[i]));
			JADD(o, "seconds", JD(r->tp.seconds[i]));
			JADD(o, "written", JI(r->tp.written[i]));
			JADD(o, "read", JI(r->tp.read[i]));
			JADD(o, "retries", JI(r->tp.retries[i]));
			JADD(o, "missed", JI(r->tp.missed[i]));
			JADD(o, "torn", JI(r->tp.torn[i]));
			json_object_array_add(a, o);
		}
		JADD(root, "throughput", a);
	}
	if (r->loan.ok) {
		a = json_object_new_array();
		for (size_t i = 0; i < BENCH_LOAN_SIZES; i++) {
			o = json_object_new_object();
			JADD(o, "size", JI(r->loan.size[i]));
			JADD(o, "memset_ns", JD(r->loan.memset_ns[i]));
			JADD(o, "loan_ns", JD(r->loan.loan_ns[i]));
			JADD(o, "write_ns", JD(r->loan.write_ns[i]));
			JADD(o, "loan_ratio", JD(r->loan.loan_ratio[i]));
			JADD(o, "write_ratio", JD(r->loan.write_ratio[i]));
			json_object_array_add(a, o);
		}
		JADD(root, "loan", a);
	}
	if (r->obs.ok) {
		o = json_object_new_object();
		JADD(o, "observers", JI(r->obs.observers));
		JADD(o, "blocks", JI(r->obs.blocks));
		JADD(o, "alone_per_s", JD(r->obs.alone_per_s));
		JADD(o, "with_per_s", JD(r->obs.with_per_s));
		JADD(o, "ratio", JD(r->obs.ratio));
		JADD(root, "observers", o);
	}
	if (r->hb.ok) {
		o = json_object_new_object();
		JADD(o, "seconds", JD(r->hb.seconds));
		JADD(o, "idle_pct", JD(r->hb.idle_pct));
		JADD(o, "bare_1ms_loop_pct", JD(r->hb.bare_loop_pct));
		a = json_object_new_array();
		for (size_t i = 0; i < r->hb.nperiods; i++) {
			json_object *p = json_object_new_object();

			JADD(p, "period_us", JI(r->hb.period_us[i]));
			JADD(p, "cpu_pct", JD(r->hb.attached_pct[i]));
			JADD(p, "beats_per_s", JD(r->hb.beats_per_s[i]));
			json_object_array_add(a, p);
		}
		JADD(o, "attached", a);
		JADD(root, "heartbeat", o);
	}
	if (r->det.ok) {
		o = json_object_new_object();
		a = json_object_new_array();
		for (size_t i = 0; i < r->det.nrows; i++) {
			const struct detect_row *d = &r->det.row[i];
			json_object *p = json_object_new_object();

			JADD(p, "threshold_ms", JI(d->threshold_ms));
			JADD(p, "heartbeat_period_us", JI(d->period_us));
			JADD(p, "stale_ms", report_json_dist(&d->stale_ms, 1));
			JADD(p, "alive_ms", report_json_dist(&d->alive_ms, 1));
			JADD(p, "false_stale", JI(d->false_stale));
			json_object_array_add(a, p);
		}
		JADD(o, "stop_cont", a);
		JADD(o, "dead_ms", report_json_dist(&r->det.dead_ms, 1));
		JADD(o, "longest_sharp_period_us", JI(r->det.longest_sharp_period_us));
		JADD(root, "detection", o);
	}
	if (r->nkill > 0) {
		a = json_object_new_array();
		for (size_t i = 0; i < r->nkill; i++) {
			o = json_object_new_object();
			JADD(o, "transport", json_object_new_string(r->kill[i].name));
			JADD(o, "survivor_sees", json_object_new_string(r->kill[i].how));
			JADD(o, "ms", report_json_dist(&r->kill[i].ms, 1));
			json_object_array_add(a, o);
		}
		JADD(root, "peer_killed", a);
	}
	if (r->scale.ok) {
		a = json_object_new_array();
		for (size_t i = 0; i < r->scale.nlevels; i++) {
			o = json_object_new_object();
			JADD(o, "segments", JI(r->scale.segments[i]));
			JADD(o, "capped_by_fd_limit", json_object_new_boolean(r->scale.capped[i]));
			JADD(o, "eshmd_cpu_pct", JD(r->scale.eshmd_pct[i]));
			JADD(o, "holders_cpu_pct", JD(r->scale.holders_pct[i]));
			JADD(o, "attach_us", report_json_dist(&r->scale.attach_us[i], 1));
			json_object_array_add(a, o);
		}
		JADD(root, "eshmd_scaling", a);
	}
	return root;
}

int
report_json(const struct bench_results *r)
{
	struct target t[TARGETS_MAX];
	size_t n = report_targets(r, t);
	json_object *root = report_json_families(r), *m = json_object_new_object(), *a;
	int rc;

	JADD(m, "cpu", json_object_new_string(r->machine));
	JADD(m, "kernel", json_object_new_string(r->kernel));
	JADD(m, "cpus", JI(r->cpus));
	JADD(m, "clock_read_ns", JD(r->clock_ns));
	JADD(root, "machine", m);
	JADD(root, "quick", json_object_new_boolean(r->quick));
	JADD(root, "elapsed_s", JD(r->elapsed_s));
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		JADD(o, "target", json_object_new_string(t[i].what));
		JADD(o, "measured", json_object_new_string(t[i].measured));
		JADD(o, "verdict", json_object_new_string(!t[i].known ? "n/a" :
		                                          t[i].met ? "met" : "missed"));
		json_object_array_add(a, o);
	}
	JADD(root, "targets", a);
	rc = puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY)) < 0 ? -1 : 0;
	json_object_put(root);
	return rc;
}
