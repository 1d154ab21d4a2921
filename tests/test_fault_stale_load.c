/*
 * test_fault_stale_load.c - stale detection under full CPU load: busy
 * processes on every core at the same priority as the endpoints, and not
 * one false "stale" or "dead" verdict, neither from eshmd's monitor (read
 * from the segment) nor from the library (eshm_check_remote_alive).  A
 * verdict that came while a CPU stood still (cpu_witness.h: the host
 * stopped a virtual CPU) is printed and not counted against eshm.
 *
 * $ESHM_FAULT_LOAD_S       seconds under load (5 in `make check`, 60 in faults.sh)
 * $ESHM_FAULT_THRESHOLD_MS stale threshold of every endpoint (100)
 * $ESHM_FAULT_HOGS         busy processes (2 per core)
 * $ESHM_FAULT_REPORT_ONLY  set: print the figures, assert nothing (the
 *                          threshold sweep of ci/faults.sh)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client_util.h"
#include "cpu_witness.h"
#include "fault_util.h"

#define SL_PAIRS 2
#define SL_ENDPOINTS (2 * SL_PAIRS)
#define SL_HOGS_MAX 64
/* Verdicts dated for the witness; any past these count as unexplained. */
#define SL_DATED_MAX 4096

struct sl_shared {
	atomic_bool stop;
	atomic_int ready;
	atomic_ullong checks, false_verdicts;
	uint32_t threshold_ms;
	long long verdict_ns[SL_DATED_MAX]; /* of the first false_verdicts */
};

/*
 * Verdicts of @n dated at @at (the first SL_DATED_MAX of them) that no CPU
 * standing still explains: one that stood still for half the threshold
 * within the two thresholds before the verdict (a silence of one
 * threshold, and a verdict that lasts until the next beat is seen).
 */
static unsigned long long
sl_unexplained(const struct cw_witness *w, const long long *at, unsigned long long n,
               uint32_t threshold_ms)
{
	long long span_ns = 2 * (long long)threshold_ms * 1000000;
	unsigned long long k, left = n > SL_DATED_MAX ? n - SL_DATED_MAX : 0;

	for (k = 0; k < n && k < SL_DATED_MAX; k++) {
		if (cw_stalled_ms(w, at[k] - span_ns, at[k]) < threshold_ms / 2)
			left++;
	}
	return left;
}

struct sl_arg {
	struct sl_shared *sh;
	int index;
};

static int
sl_hog(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	tf_die_with_parent();
	while (x != ~0ul)
		x++;
	return 0;
}

/* An endpoint asks about its remote every millisecond. */
static int
sl_endpoint(void *arg)
{
	const struct sl_arg *a = arg;
	char name[16];
	ESHMHandle *h;
	bool alive;

	tf_die_with_parent();
	snprintf(name, sizeof(name), "sl%d", a->index / 2);
	h = tc_attach(name, a->index % 2 ? ESHM_ROLE_SLAVE : ESHM_ROLE_MASTER,
	              a->sh->threshold_ms, ESHM_DISCONNECT_NEVER);
	if (h == NULL)
		return 1;
	/* The remote's eshm_init() may return before this handle has
	 * mapped its block: judge it only once this handle has seen it. */
	if (eshm_wait_remote(h, 10000) != ESHM_SUCCESS)
		return 3;
	atomic_fetch_add(&a->sh->ready, 1);
	while (atomic_load(&a->sh->ready) < SL_ENDPOINTS)
		usleep(1000);
	while (!atomic_load(&a->sh->stop)) {
		if (eshm_check_remote_alive(h, &alive) != ESHM_SUCCESS || !alive) {
			unsigned long long k = atomic_fetch_add(&a->sh->false_verdicts, 1);

			if (k < SL_DATED_MAX)
				a->sh->verdict_ns[k] = th_now_ns();
		}
		atomic_fetch_add(&a->sh->checks, 1);
		usleep(1000);
	}
	return eshm_destroy(h) == ESHM_SUCCESS ? 0 : 2;
}

static bool
sl_all_ready(void *arg)
{
	return atomic_load(&((struct sl_shared *)arg)->ready) == SL_ENDPOINTS;
}

static void
no_false_stale_verdict_under_full_cpu_load(void **state)
{
	unsigned seconds = tf_env_count("ESHM_FAULT_LOAD_S", 5);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned hogs = tf_env_count("ESHM_FAULT_HOGS", (unsigned)(cores > 0 ? cores : 1) * 2);
	bool report_only = getenv("ESHM_FAULT_REPORT_ONLY") != NULL;
	struct sl_arg args[SL_ENDPOINTS];
	pid_t ep[SL_ENDPOINTS], hog[SL_HOGS_MAX];
	struct tf_view view[SL_PAIRS];
	static long long daemon_at[SL_DATED_MAX];
	unsigned long long polls = 0, daemon_verdicts = 0, lib_left, daemon_left;
	struct cw_witness *witness;
	char seen[256];
	uint32_t max_silent = 0;
	struct sl_shared *sh;
	long long end;
	char name[16];
	unsigned i;
	int j;

	if (hogs > SL_HOGS_MAX)
		hogs = SL_HOGS_MAX;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	sh->threshold_ms = tf_env_count("ESHM_FAULT_THRESHOLD_MS", 100);
	for (j = 0; j < SL_ENDPOINTS; j++) {
		args[j].sh = sh;
		args[j].index = j;
		ep[j] = th_spawn(sl_endpoint, &args[j]);
		assert_true(ep[j] > 0);
	}
	assert_true(th_wait_until(sl_all_ready, sh, 10000));
	for (j = 0; j < SL_PAIRS; j++) {
		snprintf(name, sizeof(name), "sl%d", j);
		assert_int_equal(tf_view_segment(&th_group_daemon, name, &view[j]), 0);
	}
	/* Half the threshold: a stall that short cannot explain a verdict
	 * alone, but one that long is no scheduling delay either. */
	witness = cw_start(sh->threshold_ms / 2);
	assert_non_null(witness);
	for (i = 0; i < hogs; i++) {
		hog[i] = th_spawn(sl_hog, NULL);
		assert_true(hog[i] > 0);
	}

	/* Watch eshmd's verdicts in the segments themselves, every ms. */
	end = th_now_ns() + (long long)seconds * 1000000000LL;
	while (th_now_ns() < end) {
		for (j = 0; j < SL_PAIRS; j++) {
			int e;

			for (e = 0; e < 2; e++) {
				const struct seg_status *status = tf_view_status(&view[j]);
				uint32_t st = atomic_load(&status->verdict.state[e]);
				uint32_t silent = atomic_load(&status->endpoint[e].silent_ms);

				if (st != SEG_EP_ALIVE) {
					if (daemon_verdicts < SL_DATED_MAX)
						daemon_at[daemon_verdicts] = th_now_ns();
					daemon_verdicts++;
				}
				if (silent > max_silent)
					max_silent = silent;
			}
		}
		polls++;
		usleep(1000);
	}

	for (i = 0; i < hogs; i++) {
		kill(hog[i], SIGKILL);
		th_wait_child(hog[i]);
	}
	atomic_store(&sh->stop, true);
	for (j = 0; j < SL_ENDPOINTS; j++)
		assert_int_equal(th_wait_child(ep[j]), 0);
	for (j = 0; j < SL_PAIRS; j++)
		tf_view_release(&view[j]);
	cw_stop(witness);
	lib_left = sl_unexplained(witness, sh->verdict_ns, sh->false_verdicts, sh->threshold_ms);
	daemon_left = sl_unexplained(witness, daemon_at, daemon_verdicts, sh->threshold_ms);
	cw_describe(witness, seen, sizeof(seen));

	printf("# %u s under %u busy processes on %ld cores, threshold %u ms: "
	       "%llu library checks with %llu false verdicts (%llu not while a CPU stood "
	       "still); %llu polls of eshmd's verdicts with %llu not alive (%llu not while "
	       "a CPU stood still); longest silence seen %u ms\n# %s\n",
	       seconds, hogs, cores, sh->threshold_ms, (unsigned long long)sh->checks,
	       (unsigned long long)sh->false_verdicts, lib_left, polls, daemon_verdicts,
	       daemon_left, max_silent, seen);
	cw_release(witness);
	if (!report_only) {
		assert_true(sh->checks > 0);
		assert_int_equal(lib_left, 0);
		assert_int_equal(daemon_left, 0);
	}
	munmap(sh, sizeof(*sh));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(no_false_stale_verdict_under_full_cpu_load,
		                                th_group_setup, th_group_teardown),
	};

	return cmocka_run_group_tests_name("fault_stale_load", tests, NULL, NULL);
}
