/*
 * stats.c - clocks, CPU accounting, pinning and percentiles for eshm-bench.
 */
#include "bench.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

bool bench_quiet;

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

int64_t
bench_pid_cpu_ns(pid_t pid)
{
	clockid_t clk;
	struct timespec ts;

	/* A process CPU clock counts every thread, at nanosecond resolution,
	 * where /proc/PID/stat would give 10 ms ticks. */
	if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted @v. */
static double
bench_rank(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)n);

	if (i >= n)
		i = n - 1;
	return v[i];
}

void
bench_dist_of(double *v, size_t n, struct bench_dist *d)
{
	double sum = 0;

	d->n = n;
	if (n == 0) {
		d->mean = d->p50 = d->p99 = d->p999 = d->max = d->min = 0;
		return;
	}
	qsort(v, n, sizeof(*v), bench_cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	d->mean = sum / (double)n;
	d->min = v[0];
	d->p50 = bench_rank(v, n, 0.50);
	d->p99 = bench_rank(v, n, 0.99);
	d->p999 = bench_rank(v, n, 0.999);
	d->max = v[n - 1];
}

int
bench_pin(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(n > 0 ? cpu % (int)n : 0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

void
bench_unpin(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

void
bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
		               .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
bench_progress(const char *fmt, ...)
{
	va_list ap;

	if (bench_quiet)
		return;
	va_start(ap, fmt);
	fputs("eshm-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int
bench_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
bench_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

double
bench_median(double *v, size_t n)
{
	struct bench_dist d;

	bench_dist_of(v, n, &d);
	return d.p50;
}
