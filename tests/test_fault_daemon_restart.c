/*
 * test_fault_daemon_restart.c - eshmd killed with SIGKILL during traffic
 * and restarted, again and again: the data path never stops, every segment
 * is re-adopted with its generation (none lost, none duplicated), every
 * endpoint reattaches, and no endpoint is ever declared stale or dead.
 *
 * Restarts: $ESHM_FAULT_RESTARTS (3 in `make check`, 20 in faults.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client_util.h"
#include "cpu_witness.h"
#include "fault_util.h"

#define DR_SEGMENTS 3
#define DR_ENDPOINTS (2 * DR_SEGMENTS)
/* Restarts whose kill time a failure report shows. */
#define DR_KILLS_SHOWN 16

/* What each endpoint process reports, in memory shared with the test. */
struct dr_counts {
	atomic_ullong writes, reads, torn, verdicts, failures;
	atomic_int ready;
	/* the first verdict: which call ('w', 'r', 'a'live check), its code
	 * (the alive check's: ESHM_SUCCESS with the remote not alive), when
	 * (CLOCK_MONOTONIC ns) */
	atomic_int first_call, first_rc;
	atomic_llong first_ns;
};

struct dr_shared {
	atomic_bool stop;
	struct dr_counts ep[DR_ENDPOINTS];
};

struct dr_arg {
	struct dr_shared *sh;
	int index;
};

/* Count a verdict of @call ('w', 'r' or 'a'), remembering the first. */
static void
dr_verdict(struct dr_counts *c, char call, int rc)
{
	if (atomic_fetch_add(&c->verdicts, 1) == 0) {
		atomic_store(&c->first_rc, rc);
		atomic_store(&c->first_ns, th_now_ns());
		atomic_store(&c->first_call, call);
	}
}

/* Say endpoint @i's first verdict, its time from @t0. */
static void
dr_print_first(struct dr_counts *c, int i, long long t0)
{
	int call = atomic_load(&c->first_call), rc = atomic_load(&c->first_rc);

	printf("# endpoint %d: first verdict at %.0f ms from %s: %s\n", i,
	       (double)(atomic_load(&c->first_ns) - t0) / 1e6,
	       call == 'w' ? "eshm_write" : call == 'r' ? "eshm_read" : "eshm_check_remote_alive",
	       call == 'a' && rc == ESHM_SUCCESS ? "the remote is not alive" : eshm_error_string(rc));
}

static int
dr_endpoint(void *arg)
{
	const struct dr_arg *a = arg;
	struct dr_counts *c = &a->sh->ep[a->index];
	char name[16];
	unsigned char out[256], in[256];
	ESHMConfig cfg;
	ESHMHandle *h;
	uint64_t i;
	size_t n;
	bool alive;
	int rc;

	tf_die_with_parent();
	snprintf(name, sizeof(name), "dr%d", a->index / 2);
	cfg = eshm_default_config(name);
	cfg.role = a->index % 2 ? ESHM_ROLE_SLAVE : ESHM_ROLE_MASTER;
	/* The strictest behaviour: any stale or dead verdict fails I/O.  A
	 * second's threshold: a restart takes tens of ms, while a loaded
	 * 2-core machine running the suite in parallel can stall a heartbeat
	 * thread past the default 100 ms, a true verdict this test is not
	 * about. */
	cfg.disconnect_behavior = ESHM_DISCONNECT_IMMEDIATELY;
	cfg.stale_threshold_ms = 1000;
	cfg.auto_cleanup = false;
	h = eshm_init(&cfg);
	if (h == NULL)
		return 1;
	/* The remote's eshm_init() may return before this handle has
	 * mapped its block: judge it only once this handle has seen it. */
	if (eshm_wait_remote(h, 10000) != ESHM_SUCCESS)
		return 3;
	atomic_store(&c->ready, 1);
	for (i = 1; !atomic_load(&a->sh->stop); i++) {
		size_t len = 16 + i % (sizeof(out) - 16);

		tc_fill(out, len, i);
		rc = eshm_write(h, out, len);
		if (rc == ESHM_SUCCESS)
			atomic_fetch_add(&c->writes, 1);
		else if (rc == ESHM_ERROR_REMOTE_STALE || rc == ESHM_ERROR_REMOTE_DEAD)
			dr_verdict(c, 'w', rc);
		else
			atomic_fetch_add(&c->failures, 1);
		rc = eshm_read(h, in, sizeof(in), &n);
		if (rc == ESHM_SUCCESS) {
			atomic_fetch_add(&c->reads, 1);
			if (!tc_intact(in, n))
				atomic_fetch_add(&c->torn, 1);
		} else if (rc == ESHM_ERROR_REMOTE_STALE || rc == ESHM_ERROR_REMOTE_DEAD) {
			dr_verdict(c, 'r', rc);
		} else if (rc != ESHM_ERROR_NO_DATA) {
			atomic_fetch_add(&c->failures, 1);
		}
		/* The remote was seen before traffic started, so a remote
		 * that is not alive is a false verdict. */
		rc = eshm_check_remote_alive(h, &alive);
		if (rc != ESHM_SUCCESS || !alive)
			dr_verdict(c, 'a', rc);
		usleep(200);
	}
	rc = eshm_destroy(h);
	if (rc != ESHM_SUCCESS)
		printf("# endpoint %d: eshm_destroy: %s\n", a->index, eshm_error_string(rc));
	/* Over its 100 ms on a loaded machine: eshmd frees the role all the
	 * same, and nothing else is judged after this. */
	return rc == ESHM_SUCCESS || rc == ESHM_ERROR_DAEMON_UNAVAILABLE ? 0 : 2;
}

static unsigned long long
dr_reads(const struct dr_shared *sh)
{
	unsigned long long sum = 0;
	int i;

	for (i = 0; i < DR_ENDPOINTS; i++)
		sum += atomic_load(&sh->ep[i].reads);
	return sum;
}


/* True once the restarted eshmd holds every segment with both endpoints
 * alive again and, when @arg points at a count, eshmd has logged that
 * many reattaches in all (a restored endpoint is alive before its process
 * has reconnected). */
static bool
dr_all_back(void *arg)
{
	const int *reattached = arg;
	struct proto_status_reply r;

	if (tf_status(&th_group_daemon, &r) != ESHM_SUCCESS)
		return false;
	return r.segments == DR_SEGMENTS && r.endpoints_by_state[SEG_EP_ALIVE] == DR_ENDPOINTS &&
	       (reattached == NULL || th_log_count(&th_group_daemon, ") reattached") >= *reattached);
}

/* Say what restart @r still lacked after its wait: which of the conditions
 * of dr_all_back() failed, and eshmd's refusals, if any. */
static void
dr_why_not_back(unsigned r, int reattached)
{
	struct proto_status_reply st;
	int rc = tf_status(&th_group_daemon, &st);

	if (rc != ESHM_SUCCESS) {
		printf("# restart %u: not back, and eshmd does not answer STATUS: %s\n", r + 1,
		       eshm_error_string(rc));
		return;
	}
	printf("# restart %u: not back: %u of %d segments, endpoints %u alive %u stale %u dead "
	       "%u detached of %d; %d of %d reattaches logged, %d refused\n",
	       r + 1, st.segments, DR_SEGMENTS, st.endpoints_by_state[SEG_EP_ALIVE],
	       st.endpoints_by_state[SEG_EP_STALE], st.endpoints_by_state[SEG_EP_DEAD],
	       st.endpoints_by_state[SEG_EP_DETACHED], DR_ENDPOINTS,
	       th_log_count(&th_group_daemon, ") reattached"), reattached,
	       th_log_count(&th_group_daemon, "refused"));
}

static bool
dr_all_ready(void *arg)
{
	struct dr_shared *sh = arg;
	int i;

	for (i = 0; i < DR_ENDPOINTS; i++)
		if (!atomic_load(&sh->ep[i].ready))
			return false;
	return true;
}

static void
eshmd_killed_and_restarted_under_traffic_loses_nothing(void **state)
{
	unsigned restarts = tf_env_count("ESHM_FAULT_RESTARTS", 3), r;
	struct dr_arg args[DR_ENDPOINTS];
	uint64_t generation[DR_SEGMENTS];
	pid_t pids[DR_ENDPOINTS];
	long long back_max_ns = 0, t0 = th_now_ns(), killed_at[DR_KILLS_SHOWN] = { 0 };
	unsigned stalled = 0, not_back = 0;
	struct cw_witness *witness;
	struct dr_shared *sh;
	char seen[256];
	struct tf_view view;
	char name[16];
	int i;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < DR_ENDPOINTS; i++) {
		args[i].sh = sh;
		args[i].index = i;
		pids[i] = th_spawn(dr_endpoint, &args[i]);
		assert_true(pids[i] > 0);
	}
	assert_true(th_wait_until(dr_all_ready, sh, 10000));
	assert_true(th_wait_until(dr_all_back, NULL, 5000));
	for (i = 0; i < DR_SEGMENTS; i++) {
		snprintf(name, sizeof(name), "dr%d", i);
		assert_int_equal(tf_view_segment(&th_group_daemon, name, &view), 0);
		generation[i] = tf_view_status(&view)->ident.generation;
		tf_view_release(&view);
	}

	/* Only to say, should a restart not come back, whether a CPU stood
	 * still meanwhile. */
	witness = cw_start(100);
	assert_non_null(witness);
	for (r = 0; r < restarts; r++) {
		unsigned long long before;
		long long k0;
		int reattached;

		tc_sleep_ms(100 + (int)(th_now_ns() % 200));
		th_daemon_kill(&th_group_daemon);
		if (r < DR_KILLS_SHOWN)
			killed_at[r] = th_now_ns() - t0;
		/* The data path does not need eshmd. */
		before = dr_reads(sh);
		tc_sleep_ms(150);
		if (dr_reads(sh) == before)
			stalled++;
		k0 = th_now_ns();
		assert_int_equal(th_daemon_start(&th_group_daemon, NULL), 0);
		reattached = DR_ENDPOINTS * ((int)r + 1);
		if (!th_wait_until(dr_all_back, &reattached, 10000)) {
			dr_why_not_back(r, reattached);
			not_back++;
		} else if (th_now_ns() - k0 > back_max_ns) {
			back_max_ns = th_now_ns() - k0;
		}
	}
	tc_sleep_ms(100);
	cw_describe(witness, seen, sizeof(seen));
	cw_release(witness);
	printf("# %s\n", seen);
	atomic_store(&sh->stop, true);
	for (i = 0; i < DR_ENDPOINTS; i++)
		assert_int_equal(th_wait_child(pids[i]), 0);

	{
		unsigned long long writes = 0, reads = 0, torn = 0, verdicts = 0, failures = 0;

		for (i = 0; i < DR_ENDPOINTS; i++) {
			writes += atomic_load(&sh->ep[i].writes);
			reads += atomic_load(&sh->ep[i].reads);
			torn += atomic_load(&sh->ep[i].torn);
			verdicts += atomic_load(&sh->ep[i].verdicts);
			failures += atomic_load(&sh->ep[i].failures);
		}
		printf("# %u eshmd kills in %.1f s: %llu writes, %llu reads, %llu torn, "
		       "%llu stale/dead verdicts, %llu other failures; %u stalls while down; "
		       "all endpoints back within %.0f ms (worst)\n",
		       restarts, (double)(th_now_ns() - t0) / 1e9, writes, reads, torn, verdicts,
		       failures, stalled, (double)back_max_ns / 1e6);
		for (r = 0; r < restarts && r < DR_KILLS_SHOWN; r++)
			printf("# eshmd killed at %.0f ms\n", (double)killed_at[r] / 1e6);
		for (i = 0; i < DR_ENDPOINTS; i++)
			if (atomic_load(&sh->ep[i].verdicts) != 0)
				dr_print_first(&sh->ep[i], i, t0);
		assert_int_equal(torn, 0);
		assert_int_equal(verdicts, 0);
		assert_int_equal(failures, 0);
	}
	assert_int_equal(stalled, 0);
	assert_int_equal(not_back, 0);
	/* Every segment is still the one created first: restored, never
	 * re-created, never doubled. */
	{
		struct proto_status_reply st;

		assert_int_equal(tf_status(&th_group_daemon, &st), 0);
		assert_int_equal(st.segments, DR_SEGMENTS);
	}
	for (i = 0; i < DR_SEGMENTS; i++) {
		snprintf(name, sizeof(name), "dr%d", i);
		assert_int_equal(tf_view_segment(&th_group_daemon, name, &view), 0);
		assert_int_equal(tf_view_status(&view)->ident.generation, generation[i]);
		tf_view_release(&view);
	}
	munmap(sh, sizeof(*sh));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(eshmd_killed_and_restarted_under_traffic_loses_nothing,
		                                th_group_setup, th_group_teardown),
	};

	return cmocka_run_group_tests_name("fault_daemon_restart", tests, NULL, NULL);
}
