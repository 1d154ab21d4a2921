/*
 * clock.h - the two clocks eshm uses, in nanoseconds.  Both go through the
 * vDSO, so they cost no system call on the data path.
 */
#ifndef ESHM_COMMON_CLOCK_H
#define ESHM_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns: system-wide, so comparable between processes. */
static inline uint64_t
clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* CLOCK_REALTIME in ns, for timestamps shown to people. */
static inline uint64_t
clock_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* Add @ns nanoseconds to @ts, keeping tv_nsec normalised. */
static inline void
clock_ts_add_ns(struct timespec *ts, uint64_t ns)
{
	ts->tv_sec += (time_t)(ns / UINT64_C(1000000000));
	ts->tv_nsec += (long)(ns % UINT64_C(1000000000));
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

#endif /* ESHM_COMMON_CLOCK_H */
