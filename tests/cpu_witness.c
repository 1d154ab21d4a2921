/*
 * cpu_witness.c - one pinned sleeper per CPU that records when its CPU
 * stood still (see cpu_witness.h).
 */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpu_witness.h"
#include "harness.h"

#define CW_CPUS_MAX 64
#define CW_GAPS_MAX 64
#define CW_NS_PER_MS 1000000LL

struct cw_gap {
	long long start_ns, end_ns;
};

/* What one child records, in memory shared with the test. */
struct cw_cpu {
	int cpu;
	long long min_gap_ns;
	pid_t pid;
	atomic_uint gaps; /* recorded; past CW_GAPS_MAX only counted */
	struct cw_gap gap[CW_GAPS_MAX];
};

struct cw_witness {
	long long steal_start_ms, steal_end_ms;
	int ncpus;
	struct cw_cpu cpu[CW_CPUS_MAX];
};

/* Steal time the kernel counted on all CPUs, in ms, or -1 (/proc/stat's
 * "cpu" line: user nice system idle iowait irq softirq steal). */
static long long
cw_steal_ms(void)
{
	unsigned long long v[8];
	long tick = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	           &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || tick <= 0)
		return -1;
	return (long long)(v[7] * 1000ull / (unsigned long long)tick);
}

static int
cw_child(void *arg)
{
	struct cw_cpu *c = arg;
	struct timespec ms = { 0, 1000000 };
	cpu_set_t set;
	long long before;

	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return 1;
	before = th_now_ns();
	for (;;) {
		long long now;

		nanosleep(&ms, NULL);
		now = th_now_ns();
		if (now - before >= c->min_gap_ns) {
			unsigned k = atomic_load_explicit(&c->gaps, memory_order_relaxed);

			if (k < CW_GAPS_MAX) {
				c->gap[k].start_ns = before;
				c->gap[k].end_ns = now;
			}
			/* Release: the test reads a gap only after its count. */
			atomic_store_explicit(&c->gaps, k + 1, memory_order_release);
		}
		before = now;
	}
}

struct cw_witness *
cw_start(uint32_t min_gap_ms)
{
	struct cw_witness *w;
	cpu_set_t allowed;
	int cpu;

	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		return NULL;
	memset(w, 0, sizeof(*w));
	w->steal_start_ms = cw_steal_ms();
	w->steal_end_ms = -1;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		CPU_ZERO(&allowed);
	for (cpu = 0; cpu < CPU_SETSIZE && w->ncpus < CW_CPUS_MAX; cpu++) {
		struct cw_cpu *c = &w->cpu[w->ncpus];

		if (!CPU_ISSET(cpu, &allowed))
			continue;
		c->cpu = cpu;
		c->min_gap_ns = (long long)min_gap_ms * CW_NS_PER_MS;
		c->pid = th_spawn(cw_child, c);
		if (c->pid <= 0) {
			cw_release(w);
			return NULL;
		}
		w->ncpus++;
	}
	if (w->ncpus == 0) {
		cw_release(w);
		return NULL;
	}
	return w;
}

void
cw_stop(struct cw_witness *w)
{
	int i;

	for (i = 0; i < w->ncpus; i++) {
		if (w->cpu[i].pid > 0) {
			kill(w->cpu[i].pid, SIGKILL);
			th_wait_child(w->cpu[i].pid);
			w->cpu[i].pid = 0;
		}
	}
	if (w->steal_end_ms < 0)
		w->steal_end_ms = cw_steal_ms();
}

long long
cw_stalled_ms(const struct cw_witness *w, long long from_ns, long long to_ns)
{
	long long most = 0;
	int i;

	for (i = 0; i < w->ncpus; i++) {
		const struct cw_cpu *c = &w->cpu[i];
		unsigned n = atomic_load_explicit(&c->gaps, memory_order_acquire), k;
		long long sum = 0;

		for (k = 0; k < n && k < CW_GAPS_MAX; k++) {
			long long a = c->gap[k].start_ns > from_ns ? c->gap[k].start_ns : from_ns;
			long long b = c->gap[k].end_ns < to_ns ? c->gap[k].end_ns : to_ns;

			if (b > a)
				sum += b - a;
		}
		if (sum > most)
			most = sum;
	}
	return most / CW_NS_PER_MS;
}

void
cw_describe(const struct cw_witness *w, char *buf, size_t size)
{
	long long longest = 0, steal_end = w->steal_end_ms >= 0 ? w->steal_end_ms : cw_steal_ms();
	unsigned total = 0;
	int i, longest_cpu = -1;

	for (i = 0; i < w->ncpus; i++) {
		const struct cw_cpu *c = &w->cpu[i];
		unsigned n = atomic_load_explicit(&c->gaps, memory_order_acquire), k;

		total += n;
		for (k = 0; k < n && k < CW_GAPS_MAX; k++) {
			if (c->gap[k].end_ns - c->gap[k].start_ns > longest) {
				longest = c->gap[k].end_ns - c->gap[k].start_ns;
				longest_cpu = c->cpu;
			}
		}
	}
	snprintf(buf, size,
	         "%u CPU stalls of %lld ms or more on %d CPUs, the longest %lld ms (cpu %d); "
	         "steal counted by the kernel %lld ms",
	         total, w->ncpus > 0 ? w->cpu[0].min_gap_ns / CW_NS_PER_MS : 0, w->ncpus,
	         longest / CW_NS_PER_MS, longest_cpu,
	         w->steal_start_ms >= 0 && steal_end >= 0 ? steal_end - w->steal_start_ms : 0);
}

void
cw_release(struct cw_witness *w)
{
	if (w == NULL)
		return;
	cw_stop(w);
	munmap(w, sizeof(*w));
}
