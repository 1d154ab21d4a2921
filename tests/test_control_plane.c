/*
 * test_control_plane.c - control-plane I/O never blocks the heartbeat or
 * the API.
 *
 * eshmd is SIGKILLed and its socket path taken by a listener that never
 * accepts (backlog 1), as a restarting eshmd behind a socket unit looks
 * to a client, for 2 s; then a real eshmd starts again in the same
 * directory, from its records.  Meanwhile the heartbeats of both endpoints
 * are sampled every millisecond through read-only mappings of their
 * blocks, and every call of the API is timed in the process whose control
 * thread is stuck with that listener.  The bounds are the contract's (a
 * failed eshm_init within its connect timeout, every other call within
 * 100 ms) plus slack for a loaded machine; the heartbeat's worst gap must
 * stay far below any threshold.  Figures are printed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

#define CP_HOLD_MS 2000         /* how long the listener stands in for eshmd */
#define CP_CONNECT_MS 500       /* eshm_init()'s connect timeout */
#define CP_CALL_MS 100          /* every other call, per eshm.h */
#define CP_SLACK_MS 150         /* a loaded 2-core machine */
#define CP_GAP_MS 100           /* a heartbeat gap that would matter */

/* ------------------------------------------------ heartbeat sampler */

struct cp_sampler {
	const struct seg_block *block[2];
	atomic_bool stop;
	long long max_gap_ns[2];     /* between two changes of a counter */
	long long max_late_ns;       /* the sampler's own worst oversleep */
	unsigned long samples;
};

static void *
cp_sample(void *arg)
{
	struct cp_sampler *s = arg;
	struct timespec ms = { 0, 1000000 };
	long long changed[2], now, prev;
	uint64_t last[2];
	int i;

	prev = th_now_ns();
	for (i = 0; i < 2; i++) {
		last[i] = atomic_load(&s->block[i]->heartbeat);
		changed[i] = prev;
	}
	while (!atomic_load(&s->stop)) {
		nanosleep(&ms, NULL);
		now = th_now_ns();
		if (now - prev - 1000000 > s->max_late_ns)
			s->max_late_ns = now - prev - 1000000;
		prev = now;
		s->samples++;
		for (i = 0; i < 2; i++) {
			uint64_t hb = atomic_load(&s->block[i]->heartbeat);

			if (hb == last[i])
				continue;
			if (now - changed[i] > s->max_gap_ns[i])
				s->max_gap_ns[i] = now - changed[i];
			last[i] = hb;
			changed[i] = now;
		}
	}
	return NULL;
}

/* ------------------------------------------------ the stand-in */

/* Bind @path (eshmd's, left behind by its death) and listen with a
 * backlog of 1, never accepting.  Returns the socket. */
static int
cp_listen_never_accept(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

/* ------------------------------------------------ timing the API */

/* The worst duration of each call while the stand-in listens, in ns. */
struct cp_worst {
	long long init, destroy, stats, alive, write, read, fork;
	unsigned inits, rounds, not_alive;
};

static void
cp_note(long long *worst, long long t0)
{
	long long d = th_now_ns() - t0;

	if (d > *worst)
		*worst = d;
}

/* eshm_init() of a new handle while the stand-in listens: refused as
 * DAEMON_UNAVAILABLE. */
static void
cp_time_init(struct cp_worst *w)
{
	ESHMConfig c = eshm_default_config("cp_new");
	ESHMOptions *o = eshm_options_new();
	ESHMHandle *h;
	long long t0;

	assert_non_null(o);
	assert_int_equal(eshm_options_set_connect_timeout_ms(o, CP_CONNECT_MS), ESHM_SUCCESS);
	t0 = th_now_ns();
	h = eshm_init_with_options(&c, o);
	cp_note(&w->init, t0);
	eshm_options_free(o);
	assert_null(h);
	printf("# eshm_init refused after %.1f ms: %s\n", (double)(th_now_ns() - t0) / 1e6,
	       eshm_last_error_message());
	assert_int_equal(eshm_last_error(), ESHM_ERROR_DAEMON_UNAVAILABLE);
	w->inits++;
}

/* One of every other call on @m, and a fork(). */
static void
cp_time_calls(ESHMHandle *m, struct cp_worst *w)
{
	uint64_t zero = 0, buf[8];
	ESHMStats st;
	long long t0;
	bool alive = false;
	size_t n;
	pid_t pid;
	int rc;

	t0 = th_now_ns();
	assert_int_equal(eshm_get_stats(m, &st), ESHM_SUCCESS);
	cp_note(&w->stats, t0);
	t0 = th_now_ns();
	assert_int_equal(eshm_check_remote_alive(m, &alive), ESHM_SUCCESS);
	cp_note(&w->alive, t0);
	/* the slave keeps beating: no verdict may say otherwise */
	w->not_alive += !alive;
	t0 = th_now_ns();
	rc = eshm_write(m, &zero, sizeof(zero));
	cp_note(&w->write, t0);
	assert_int_equal(rc, ESHM_SUCCESS);
	t0 = th_now_ns();
	rc = eshm_read(m, buf, sizeof(buf), &n);
	cp_note(&w->read, t0);
	assert_true(rc == ESHM_SUCCESS || rc == ESHM_ERROR_NO_DATA);
	t0 = th_now_ns();
	pid = fork();
	if (pid == 0)
		_exit(0);
	cp_note(&w->fork, t0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	w->rounds++;
}

/* ------------------------------------------------ eshmd back */

struct cp_back {
	const char *name;
	pid_t pid[2];
};

/* eshmd knows both endpoints again, alive, held by the same processes, and
 * each reattached (its log says so). */
static bool
cp_reattached(void *arg)
{
	const struct cp_back *b = arg;
	struct proto_segment_info info;
	struct proto_name req;
	char line[128];
	int i;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", b->name);
	if (tf_request(&th_group_daemon, PROTO_REQ_SHOW, &req, PROTO_REP_SEGMENT, &info, NULL) !=
	    ESHM_SUCCESS)
		return false;
	for (i = 0; i < 2; i++) {
		if (info.endpoint[i].state != SEG_EP_ALIVE || info.endpoint[i].pid != b->pid[i])
			return false;
		snprintf(line, sizeof(line), "segment %s: %s (pid %d) reattached", b->name,
		         seg_role_name(i), (int)b->pid[i]);
		if (tf_log_count(&th_group_daemon, line) == 0)
			return false;
	}
	return true;
}

static void
heartbeat_and_api_never_wait_for_a_listener_that_never_accepts(void **state)
{
	struct cp_back back = { .name = "cp_link" };
	struct cp_sampler smp;
	struct cp_worst w;
	struct tf_view view;
	struct proto_status_reply st;
	ESHMHandle *m, *spare;
	pthread_t tid;
	long long t0, slack = CP_SLACK_MS * 1000000LL;
	uint64_t v = 0, stop = UINT64_MAX;
	size_t n;
	int lfd, i;

	memset(&smp, 0, sizeof(smp));
	memset(&w, 0, sizeof(w));
	m = tc_attach(back.name, ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_ON_TIMEOUT);
	assert_non_null(m);
	spare = tc_attach("cp_spare", ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_ON_TIMEOUT);
	assert_non_null(spare);
	back.pid[SEG_MASTER] = getpid();
	back.pid[SEG_SLAVE] = th_spawn(tc_echo_slave, (void *)back.name);
	assert_true(th_wait_until(tc_remote_alive, m, 10000));
	for (i = 0; i < 20; i++)
		assert_true(tc_echo_once(m, ++v));
	assert_int_equal(tf_view_segment(&th_group_daemon, back.name, &view), 0);
	smp.block[SEG_MASTER] = tf_view_block(&view, SEG_MASTER);
	smp.block[SEG_SLAVE] = tf_view_block(&view, SEG_SLAVE);
	assert_non_null(smp.block[SEG_MASTER]);
	assert_non_null(smp.block[SEG_SLAVE]);
	assert_int_equal(pthread_create(&tid, NULL, cp_sample, &smp), 0);
	tc_sleep_ms(50);

	th_daemon_kill(&th_group_daemon);
	lfd = cp_listen_never_accept(th_group_daemon.sock);
	t0 = th_now_ns();
	/* let the control threads queue their reattach in the backlog */
	tc_sleep_ms(150);
	cp_time_init(&w);
	{
		long long d0 = th_now_ns();
		int rc = eshm_destroy(spare);

		cp_note(&w.destroy, d0);
		printf("# eshm_destroy returned %d (%s) after %.1f ms\n", rc, eshm_error_string(rc),
		       (double)(th_now_ns() - d0) / 1e6);
	}
	while (th_now_ns() - t0 < CP_HOLD_MS * 1000000LL) {
		cp_time_calls(m, &w);
		if (w.inits == 1 && th_now_ns() - t0 > CP_HOLD_MS * 1000000LL / 2)
			cp_time_init(&w);
		tc_sleep_ms(10);
	}
	close(lfd);
	unlink(th_group_daemon.sock);
	assert_int_equal(th_daemon_start(&th_group_daemon, NULL), 0);
	t0 = th_now_ns();
	assert_true(th_wait_until(cp_reattached, &back, 10000));
	printf("# both endpoints reattached %.0f ms after eshmd started again\n",
	       (double)(th_now_ns() - t0) / 1e6);
	assert_true(th_wait_until(tc_daemon_alive, m, 5000));
	tc_sleep_ms(50);
	atomic_store(&smp.stop, true);
	pthread_join(tid, NULL);
	tf_view_release(&view);

	printf("# heartbeat gaps, worst: master %.1f ms, slave %.1f ms (%lu samples, the "
	       "sampler itself late by up to %.1f ms)\n",
	       (double)smp.max_gap_ns[SEG_MASTER] / 1e6, (double)smp.max_gap_ns[SEG_SLAVE] / 1e6,
	       smp.samples, (double)smp.max_late_ns / 1e6);
	printf("# worst call while eshmd was away (%u rounds): eshm_init %.1f ms, eshm_destroy "
	       "%.1f ms, eshm_get_stats %.3f ms, eshm_check_remote_alive %.3f ms, eshm_write "
	       "%.3f ms, eshm_read %.3f ms, fork %.1f ms; remote not alive %u times\n",
	       w.rounds, (double)w.init / 1e6, (double)w.destroy / 1e6, (double)w.stats / 1e6,
	       (double)w.alive / 1e6, (double)w.write / 1e6, (double)w.read / 1e6,
	       (double)w.fork / 1e6, w.not_alive);
	assert_true(smp.max_gap_ns[SEG_MASTER] < CP_GAP_MS * 1000000LL);
	assert_true(smp.max_gap_ns[SEG_SLAVE] < CP_GAP_MS * 1000000LL);
	assert_int_equal(w.inits, 2);
	assert_true(w.init <= CP_CONNECT_MS * 1000000LL + slack);
	assert_true(w.destroy <= CP_CALL_MS * 1000000LL + slack);
	assert_true(w.stats <= CP_CALL_MS * 1000000LL + slack);
	assert_true(w.alive <= CP_CALL_MS * 1000000LL + slack);
	assert_true(w.write <= CP_CALL_MS * 1000000LL + slack);
	assert_true(w.read <= CP_CALL_MS * 1000000LL + slack);
	assert_true(w.fork <= CP_CALL_MS * 1000000LL + slack);
	assert_int_equal(w.not_alive, 0);

	/* both directions work again, and the master's detach is confirmed */
	assert_int_equal(tf_status(&th_group_daemon, &st), ESHM_SUCCESS);
	assert_true(st.endpoints_by_state[SEG_EP_ALIVE] >= 2);
	tc_sleep_ms(50);
	while (eshm_read(m, &stop, sizeof(stop), &n) == ESHM_SUCCESS)
		; /* the echoes of the zeros written meanwhile */
	stop = UINT64_MAX;
	for (i = 0; i < 100; i++)
		assert_true(tc_echo_once(m, ++v));
	assert_int_equal(eshm_write(m, &stop, sizeof(stop)), ESHM_SUCCESS);
	assert_int_equal(th_wait_child_within(back.pid[SEG_SLAVE], 10000), 0);
	assert_int_equal(eshm_destroy(m), ESHM_SUCCESS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(heartbeat_and_api_never_wait_for_a_listener_that_never_accepts),
	};

	return cmocka_run_group_tests_name("control_plane", tests, th_group_setup,
	                                   th_group_teardown);
}
