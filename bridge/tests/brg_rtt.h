/*
 * brg_rtt.h - round-trip times of the bridge's test programs (brg-peer,
 * brg-ddsping), measured and reported the same way, so bench_bridge.sh
 * compares like with like.
 */
#ifndef ESHM_BRIDGE_TESTS_RTT_H
#define ESHM_BRIDGE_TESTS_RTT_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns. */
static inline long long
brg_rtt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int
brg_rtt_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/*
 * Sort the @n round trips at @rtt (ns) and print "@label round trip over
 * N: median M us, p99 P us, max X us", the line bench_bridge.sh reads.
 */
static inline void
brg_rtt_report(const char *label, long long *rtt, size_t n)
{
	if (n == 0)
		return;
	qsort(rtt, n, sizeof(*rtt), brg_rtt_cmp);
	printf("%sround trip over %zu: median %lld us, p99 %lld us, max %lld us\n", label, n,
	       rtt[n / 2] / 1000, rtt[n * 99 / 100] / 1000, rtt[n - 1] / 1000);
	fflush(stdout);
}

#endif /* ESHM_BRIDGE_TESTS_RTT_H */
