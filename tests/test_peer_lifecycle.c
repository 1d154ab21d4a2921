/*
 * test_peer_lifecycle.c - what an endpoint sees of its peer's life and
 * death, on real processes stopped with SIGSTOP and killed with SIGKILL:
 * the last message of a dead peer, a write to a dead peer, whose threshold
 * judges whom (and that eshmd's SHOW says the same), taking over a hung
 * holder's role, a death seen while eshmd is down, and the small promises
 * (eshmd's liveness right after attach, the field an invalid configuration
 * names, a failed read that leaves the buffer alone).
 *
 * eshmd checks every 10 ms.  Times measured from outside (a signal to our
 * observation) are printed; bounds are the contract plus slack for a
 * loaded 2-core machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

#define PL_CHECK_MS 10
#define PL_SLACK_MS 50          /* observation and scheduling on a loaded machine */

/* ------------------------------------------------ peers in child processes */

/* Shared with the children (MAP_SHARED). */
struct pl_board {
	atomic_int ready;             /* the child attached and did its part */
	atomic_int go;                /* the test asks the child to run its calls */
	atomic_int done;              /* the child ran them */
	int rc_first, rc_second;      /* a sensor's first two reads */
	char first[64];               /* what its first read returned */
	int rc_write, rc_read, rc_read_timeout, rc_stats, rc_alive, rc_destroy;
};

static struct pl_board *board;

/* What a child endpoint is. */
struct pl_peer {
	const char *name;
	ESHMRole role;
	uint32_t threshold_ms;
	const char *say;              /* written once attached, or NULL */
};

static ESHMHandle *
pl_attach(const struct pl_peer *p)
{
	ESHMConfig c = eshm_default_config(p->name);

	c.role = p->role;
	c.stale_threshold_ms = p->threshold_ms;
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	c.auto_cleanup = false;
	return eshm_init(&c);
}

/*
 * An endpoint that says its word, if any, and idles; when the test says
 * go, it runs every call once on its handle (what a holder finds after
 * its role was taken over) and reports.
 */
static int
pl_idle_peer(void *arg)
{
	const struct pl_peer *p = arg;
	ESHMHandle *h = pl_attach(p);
	unsigned char buf[64];
	ESHMStats st;
	bool alive;
	size_t n;

	tf_die_with_parent();
	if (h == NULL)
		return 1;
	if (p->say != NULL && eshm_write(h, p->say, strlen(p->say) + 1) != ESHM_SUCCESS)
		return 2;
	atomic_store(&board->ready, 1);
	while (!atomic_load(&board->go))
		usleep(1000);
	board->rc_write = eshm_write(h, "x", 2);
	board->rc_read = eshm_read(h, buf, sizeof(buf), &n);
	board->rc_read_timeout = eshm_read_timeout(h, buf, sizeof(buf), &n, 50);
	board->rc_stats = eshm_get_stats(h, &st);
	board->rc_alive = eshm_check_remote_alive(h, &alive);
	board->rc_destroy = eshm_destroy(h);
	atomic_store(&board->done, 1);
	for (;;)
		pause();
}

/* A restarted sensor: what it reads first, at once, and then. */
static int
pl_sensor(void *arg)
{
	const struct pl_peer *p = arg;
	ESHMHandle *h = pl_attach(p);
	char then[64];
	size_t n = 0;

	tf_die_with_parent();
	if (h == NULL)
		return 1;
	board->rc_first = eshm_read(h, board->first, sizeof(board->first), &n);
	board->rc_second = eshm_read(h, then, sizeof(then), &n);
	atomic_store(&board->ready, 1);
	for (;;)
		pause();
}

static bool
pl_ready(void *arg)
{
	(void)arg;
	return atomic_load(&board->ready) != 0;
}

static bool
pl_done(void *arg)
{
	(void)arg;
	return atomic_load(&board->done) != 0;
}

/* Start @fn for @p with a fresh board; returns once the child is ready. */
static pid_t
pl_start(int (*fn)(void *), const struct pl_peer *p)
{
	pid_t pid;

	memset(board, 0, sizeof(*board));
	pid = th_spawn(fn, (void *)p);
	assert_true(pid > 0);
	assert_true(th_wait_until(pl_ready, NULL, 10000));
	return pid;
}

static void
pl_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	th_wait_child(pid);
}

/* eshmd's SHOW of @name. */
static void
pl_show(const char *name, struct proto_segment_info *info)
{
	struct proto_name req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	assert_int_equal(tf_request(&th_group_daemon, PROTO_REQ_SHOW, &req, PROTO_REP_SEGMENT, info,
	                            NULL),
	                 ESHM_SUCCESS);
}

static ESHMHandle *
pl_local(const char *name, ESHMRole role, uint32_t threshold_ms, ESHMDisconnectBehavior b)
{
	ESHMHandle *h = tc_attach(name, role, threshold_ms, b);

	assert_non_null(h);
	return h;
}

static double
pl_ms_since(long long t0)
{
	return (double)(th_now_ns() - t0) / 1e6;
}

/* ------------------------------------------------ (a) the last message of a dead peer */

/* A slave that said @words is SIGKILLed; @m, master under @b, sees it dead. */
static pid_t
pl_speaker_dies(ESHMHandle *m, const char *name, const char *words)
{
	struct pl_peer p = { name, ESHM_ROLE_SLAVE, 1000, words };
	pid_t pid = pl_start(pl_idle_peer, &p);

	assert_true(th_wait_until(tc_remote_alive, m, 10000));
	pl_kill(pid);
	assert_true(th_wait_until(tc_remote_dead, m, 5000));
	return pid;
}

static void
last_message_of_a_dead_peer_is_delivered_before_remote_dead(ESHMDisconnectBehavior b,
                                                              const char *name)
{
	ESHMHandle *m = pl_local(name, ESHM_ROLE_MASTER, 1000, b);
	char buf[64];
	size_t n = 0;
	long long t0;
	int rc;

	pl_speaker_dies(m, name, "last words");
	/* waiting, if this process has not mapped the peer's block yet */
	assert_int_equal(eshm_read_timeout(m, buf, sizeof(buf), &n, 5000), ESHM_SUCCESS);
	assert_int_equal(n, 11);
	assert_string_equal(buf, "last words");
	/* nothing is left: then, and only then, the death */
	rc = eshm_read(m, buf, sizeof(buf), &n);
	assert_int_equal(rc, b == ESHM_DISCONNECT_NEVER ? ESHM_ERROR_NO_DATA : ESHM_ERROR_REMOTE_DEAD);
	t0 = th_now_ns();
	rc = eshm_read_timeout(m, buf, sizeof(buf), &n, 200);
	if (b == ESHM_DISCONNECT_NEVER) {
		assert_int_equal(rc, ESHM_ERROR_TIMEOUT);
	} else {
		assert_int_equal(rc, ESHM_ERROR_REMOTE_DEAD);
		assert_true(th_now_ns() - t0 < 100 * 1000000LL);
	}
	eshm_destroy(m);
}

static void
last_message_of_a_dead_peer_is_delivered_before_remote_dead_on_timeout(void **state)
{
	last_message_of_a_dead_peer_is_delivered_before_remote_dead(ESHM_DISCONNECT_ON_TIMEOUT,
	                                                              "pl_last_on_timeout");
}

static void
last_message_of_a_dead_peer_is_delivered_never_failing(void **state)
{
	last_message_of_a_dead_peer_is_delivered_before_remote_dead(ESHM_DISCONNECT_NEVER,
	                                                              "pl_last_never");
}

/* A peer that says its word and exits at once, without detaching. */
static int
pl_says_and_dies(void *arg)
{
	const struct pl_peer *p = arg;
	ESHMHandle *h = pl_attach(p);

	if (h == NULL)
		return 1;
	return eshm_write(h, p->say, strlen(p->say) + 1) == ESHM_SUCCESS ? 0 : 2;
}

/*
 * A peer that attaches, says its word and dies while the test process is
 * stopped, so that when the test runs again eshmd's dead verdict is there
 * before its control thread could map the peer's block: the test's first
 * read races the mapping.  A grandchild lets the test run again once the
 * verdict is out (it is stopped for 100 ms at the most).  The grandchild
 * is forked before the peer attaches, while the peer has no thread but
 * this one (a fork beside the library's threads may inherit a lock one
 * of them held, and then the test would stay stopped for ever), and
 * starts looking once the peer is gone: its end of the pipe then reads
 * end of file.
 */
static int
pl_says_and_dies_unseen(void *arg)
{
	const struct pl_peer *p = arg;
	pid_t test = getppid(), watcher;
	struct tf_view v;
	ESHMHandle *h;
	int gone[2], i;
	char c;

	if (pipe(gone) < 0)
		return 1;
	kill(test, SIGSTOP);
	watcher = fork();
	if (watcher < 0) {
		kill(test, SIGCONT);
		return 1;
	}
	if (watcher == 0) {
		close(gone[1]);
		while (read(gone[0], &c, 1) < 0 && errno == EINTR)
			;
		for (i = 0; i < 100; i++) {
			bool dead = false;

			if (tf_view_segment(&th_group_daemon, p->name, &v) == ESHM_SUCCESS) {
				dead = atomic_load(&tf_view_status(&v)->verdict.state[SEG_SLAVE]) ==
				       SEG_EP_DEAD;
				tf_view_release(&v);
			}
			if (dead)
				break;
			tc_sleep_ms(1);
		}
		kill(test, SIGCONT);
		_exit(0);
	}
	close(gone[0]);
	h = pl_attach(p);
	if (h == NULL || eshm_write(h, p->say, strlen(p->say) + 1) != ESHM_SUCCESS)
		return 1;
	return 0;
}

static void
last_message_of_a_peer_dead_at_once_comes_before_remote_dead(void **state)
{
	char name[32], buf[64];
	struct pl_peer p = { name, ESHM_ROLE_SLAVE, 1000, "brief life" };
	ESHMHandle *m;
	size_t n;
	int round;

	for (round = 0; round < 10; round++) {
		snprintf(name, sizeof(name), "pl_brief%d", round);
		m = pl_local(name, ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_ON_TIMEOUT);
		/* reaped at once: a zombie would be alive to eshmd's /proc
		 * check where it has no pidfd (under valgrind) */
		th_wait_child(th_spawn(pl_says_and_dies_unseen, &p));
		assert_true(th_wait_until(tc_remote_dead, m, 5000));
		/* first the message, then the death */
		assert_int_equal(eshm_read_timeout(m, buf, sizeof(buf), &n, 5000), ESHM_SUCCESS);
		assert_string_equal(buf, "brief life");
		assert_int_equal(eshm_read(m, buf, sizeof(buf), &n), ESHM_ERROR_REMOTE_DEAD);
		th_kill_children();
		eshm_destroy(m);
	}
}

static void
peer_that_exited_is_dead_before_its_parent_reaps_it(void **state)
{
	const char *name = "pl_zombie";
	struct pl_peer p = { name, ESHM_ROLE_SLAVE, 1000, "gone" };
	ESHMHandle *m = pl_local(name, ESHM_ROLE_MASTER, 60000, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t pid = th_spawn(pl_says_and_dies, &p);
	bool dead;

	/* the peer exits; this test, its parent, leaves it unreaped */
	assert_true(th_wait_until(tc_remote_alive, m, 10000));
	while (tf_running(pid))
		tc_sleep_ms(1);
	/*
	 * FAILS where eshmd has no pidfd (a kernel before 5.3, or eshmd run
	 * under valgrind, whose pidfd_open says ENOSYS): its once-a-second
	 * /proc check (proc_alive) counts a process that exited but was not
	 * reaped yet (state Z) as alive, so the endpoint only goes stale, and
	 * dead only once its parent reaps it.  With a pidfd it is dead at once.
	 */
	dead = th_wait_until(tc_remote_dead, m, 3000);
	th_wait_child(pid);
	assert_true(dead);
	eshm_destroy(m);
}

static void
immediately_reports_a_dead_peer_before_its_last_message(void **state)
{
	const char *name = "pl_last_immediately";
	ESHMHandle *m = pl_local(name, ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_IMMEDIATELY);
	char buf[64];
	size_t n;

	pl_speaker_dies(m, name, "last words");
	assert_int_equal(eshm_read(m, buf, sizeof(buf), &n), ESHM_ERROR_REMOTE_DEAD);
	assert_int_equal(eshm_read_timeout(m, buf, sizeof(buf), &n, 200), ESHM_ERROR_REMOTE_DEAD);
	eshm_destroy(m);
}

/* ------------------------------------------------ (b) a write to a dead peer */

static void
write_to_a_dead_peer_publishes_what_the_restarted_peer_reads_first(void **state)
{
	const char *name = "pl_controller";
	struct pl_peer sensor = { name, ESHM_ROLE_SLAVE, 1000, NULL };
	ESHMHandle *ctl = pl_local(name, ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_ON_TIMEOUT);
	char cmd[32];
	pid_t pid;
	int i;

	/* the controller commands a running sensor at 1 kHz */
	pid = pl_start(pl_sensor, &sensor);
	assert_true(th_wait_until(tc_remote_alive, ctl, 10000));
	for (i = 0; i < 100; i++) {
		snprintf(cmd, sizeof(cmd), "speed %d", i);
		assert_int_equal(eshm_write(ctl, cmd, strlen(cmd) + 1), ESHM_SUCCESS);
		tc_sleep_ms(1);
	}
	/* the sensor crashes; the controller asks for the safe state */
	pl_kill(pid);
	assert_true(th_wait_until(tc_remote_dead, ctl, 5000));
	assert_int_equal(eshm_write(ctl, "safe state", 11), ESHM_ERROR_REMOTE_DEAD);
	/* the restarted sensor's first read is that command, and only it */
	pid = pl_start(pl_sensor, &sensor);
	printf("# the restarted sensor read \"%s\" (%d), then %d\n", board->first, board->rc_first,
	       board->rc_second);
	assert_int_equal(board->rc_first, ESHM_SUCCESS);
	assert_string_equal(board->first, "safe state");
	assert_int_equal(board->rc_second, ESHM_ERROR_NO_DATA);
	assert_true(th_wait_until(tc_remote_alive, ctl, 5000));
	assert_int_equal(eshm_write(ctl, "speed 0", 8), ESHM_SUCCESS);
	pl_kill(pid);
	eshm_destroy(ctl);
}

/* ------------------------------------------------ (c) whose threshold */

/* When @h (the observer) and eshmd's SHOW judged @index of @name stale
 * after @pid was stopped, in ms since SIGSTOP, and by what threshold. */
struct pl_verdict {
	double lib_ms, show_ms;
	double lib_silent_ms;       /* the library's verdict after the last beat (tc_beats) */
	uint32_t judged_ms;
};

static void
pl_stop_until_stale(ESHMHandle *h, const char *name, int index, pid_t pid, struct pl_verdict *v)
{
	long long t0, until;
	struct tc_beats beats;

	v->lib_ms = v->show_ms = -1;
	tc_beats_watch(&beats, h, 50);
	assert_true(beats.earliest_ns != 0);
	t0 = th_now_ns();
	kill(pid, SIGSTOP);
	until = t0 + 5000 * 1000000LL;
	while ((v->lib_ms < 0 || v->show_ms < 0) && th_now_ns() < until) {
		struct proto_segment_info info;

		if (v->lib_ms < 0)
			tc_beats_look(&beats, h);
		if (v->lib_ms < 0 && !tc_remote_alive(h)) {
			v->lib_ms = pl_ms_since(t0);
			v->lib_silent_ms = pl_ms_since(beats.earliest_ns);
		}
		pl_show(name, &info);
		if (v->show_ms < 0 && info.endpoint[index].state == SEG_EP_STALE) {
			v->show_ms = pl_ms_since(t0);
			v->judged_ms = info.endpoint[index].judged_ms;
		}
		usleep(500);
	}
	printf("# %s stopped: stale for the library after %.1f ms (%.1f ms after its last beat), "
	       "for SHOW after %.1f ms, judged by %u ms\n",
	       seg_role_name(index), v->lib_ms, v->lib_silent_ms, v->show_ms, v->judged_ms);
	assert_true(v->lib_ms >= 0);
	assert_true(v->show_ms >= 0);
	/* one verdict, read in two places */
	assert_true(v->lib_ms - v->show_ms < PL_CHECK_MS + 5);
	assert_true(v->show_ms - v->lib_ms < PL_CHECK_MS + 5);
	kill(pid, SIGCONT);
	assert_true(th_wait_until(tc_remote_alive, h, 2000));
}

/* The endpoint @stopped of @name, tolerating @stopped_ms of silence, is
 * stopped; its peer here tolerates @observer_ms: that is what judges it. */
static void
pl_judged_by_its_peer(const char *name, int stopped, uint32_t stopped_ms, uint32_t observer_ms)
{
	struct pl_peer peer = { name, seg_role(stopped), stopped_ms, NULL };
	pid_t pid = pl_start(pl_idle_peer, &peer);
	ESHMHandle *h = pl_local(name, seg_role(1 - stopped), observer_ms, ESHM_DISCONNECT_NEVER);
	struct pl_verdict v;

	assert_true(th_wait_until(tc_remote_alive, h, 10000));
	pl_stop_until_stale(h, name, stopped, pid, &v);
	assert_int_equal(v.judged_ms, observer_ms);
	assert_true(v.lib_silent_ms >= observer_ms);
	assert_true(v.lib_ms <= observer_ms + 2 * PL_CHECK_MS + PL_SLACK_MS);
	pl_kill(pid);
	eshm_destroy(h);
}

static void
paused_slave_is_judged_by_the_masters_threshold_and_show_agrees(void **state)
{
	pl_judged_by_its_peer("pl_whose_slave", SEG_SLAVE, 500, 20);
}

static void
paused_master_is_judged_by_the_slaves_threshold_and_show_agrees(void **state)
{
	pl_judged_by_its_peer("pl_whose_master", SEG_MASTER, 20, 500);
}

/* ------------------------------------------------ (d) takeover */

static bool
pl_slave_stale(void *arg)
{
	struct proto_segment_info info;

	pl_show(arg, &info);
	return info.endpoint[SEG_SLAVE].state == SEG_EP_STALE;
}

static ESHMHandle *
pl_takeover_attach(const char *name, uint32_t takeover_ms)
{
	ESHMConfig c = eshm_default_config(name);
	ESHMOptions *o = eshm_options_new();
	ESHMHandle *h;

	assert_non_null(o);
	c.role = ESHM_ROLE_SLAVE;
	c.auto_cleanup = false;
	assert_int_equal(eshm_options_set_takeover_stale_ms(o, takeover_ms), ESHM_SUCCESS);
	h = eshm_init_with_options(&c, o);
	eshm_options_free(o);
	return h;
}

static void
stopped_holder_keeps_its_role_named_in_the_error_until_taken_over(void **state)
{
	const char *name = "pl_takeover";
	struct pl_peer holder = { name, ESHM_ROLE_SLAVE, 100, NULL };
	struct proto_segment_info info;
	ESHMHandle *h;
	char pid_text[32];
	long long t_stale;
	double took_ms;
	pid_t pid = pl_start(pl_idle_peer, &holder);
	int attempts = 0;

	kill(pid, SIGSTOP);
	assert_true(th_wait_until(pl_slave_stale, (void *)name, 5000));
	t_stale = th_now_ns();

	/* without the option: refused, naming the holder and its state */
	h = tc_attach(name, ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	assert_null(h);
	assert_int_equal(eshm_last_error(), ESHM_ERROR_ROLE_TAKEN);
	printf("# refused: %s\n", eshm_last_error_message());
	snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	assert_non_null(strstr(eshm_last_error_message(), pid_text));
	assert_non_null(strstr(eshm_last_error_message(), "stale"));

	/* with it: refused until the holder has been stale 200 ms */
	for (;;) {
		h = pl_takeover_attach(name, 200);
		attempts++;
		if (h != NULL || th_now_ns() - t_stale > 5000 * 1000000LL)
			break;
		assert_int_equal(eshm_last_error(), ESHM_ERROR_ROLE_TAKEN);
		tc_sleep_ms(5);
	}
	took_ms = pl_ms_since(t_stale);
	printf("# taken over %.1f ms after the holder was seen stale, at attempt %d\n", took_ms,
	       attempts);
	assert_non_null(h);
	assert_true(attempts > 1);
	assert_true(took_ms >= 200 - PL_CHECK_MS);
	assert_true(took_ms <= 200 + PL_CHECK_MS + PL_SLACK_MS);
	pl_show(name, &info);
	assert_int_equal(info.endpoint[SEG_SLAVE].pid, getpid());

	/* the old holder wakes up to a handle that is no endpoint any more */
	kill(pid, SIGCONT);
	atomic_store(&board->go, 1);
	assert_true(th_wait_until(pl_done, NULL, 5000));
	printf("# the old holder: write %d, read %d, read_timeout %d, stats %d, "
	       "check_remote_alive %d, destroy %d\n",
	       board->rc_write, board->rc_read, board->rc_read_timeout, board->rc_stats,
	       board->rc_alive, board->rc_destroy);
	assert_int_equal(board->rc_write, ESHM_ERROR_DETACHED);
	assert_int_equal(board->rc_read, ESHM_ERROR_DETACHED);
	assert_int_equal(board->rc_read_timeout, ESHM_ERROR_DETACHED);
	assert_int_equal(board->rc_stats, ESHM_ERROR_DETACHED);
	assert_int_equal(board->rc_alive, ESHM_ERROR_DETACHED);
	/* and its destroy has nothing to release: the new holder stays */
	assert_int_equal(board->rc_destroy, ESHM_SUCCESS);
	pl_show(name, &info);
	assert_int_equal(info.endpoint[SEG_SLAVE].pid, getpid());
	assert_int_equal(info.endpoint[SEG_SLAVE].state, SEG_EP_ALIVE);
	assert_int_equal(eshm_write(h, "still mine", 11), ESHM_SUCCESS);
	pl_kill(pid);
	assert_int_equal(eshm_destroy(h), ESHM_SUCCESS);
}

/* ------------------------------------------------ (f) small promises */

/* Attach @name afresh (the segment is created) and say whether eshmd
 * counts as alive at once. */
static bool
pl_alive_at_once(const char *name, ESHMHandle **out)
{
	ESHMHandle *h = pl_local(name, ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMStats st;

	assert_int_equal(eshm_get_stats(h, &st), ESHM_SUCCESS);
	if (out != NULL)
		*out = h;
	else
		assert_int_equal(eshm_destroy(h), ESHM_SUCCESS);
	return st.daemon_alive;
}

static void
daemon_alive_right_after_init_and_after_a_forced_remove(void **state)
{
	struct proto_remove rm;
	ESHMStats st, old;
	ESHMHandle *h, *again;
	unsigned late_fresh = 0, late_removed = 0;
	char name[32];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "pl_fresh%d", i);
		late_fresh += !pl_alive_at_once(name, NULL);
	}
	for (i = 0; i < 20; i++) {
		h = pl_local("pl_removed", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
		assert_int_equal(eshm_get_stats(h, &old), ESHM_SUCCESS);
		memset(&rm, 0, sizeof(rm));
		snprintf(rm.name, sizeof(rm.name), "pl_removed");
		rm.force = 1;
		assert_int_equal(tf_request(&th_group_daemon, PROTO_REQ_REMOVE, &rm, PROTO_REP_STATUS,
		                            NULL, NULL),
		                 ESHM_SUCCESS);
		assert_int_equal(eshm_write(h, "x", 2), ESHM_ERROR_DETACHED);
		assert_int_equal(eshm_get_stats(h, &st), ESHM_ERROR_DETACHED);
		late_removed += !pl_alive_at_once("pl_removed", &again);
		assert_int_equal(eshm_get_stats(again, &st), ESHM_SUCCESS);
		assert_true(st.generation != old.generation);
		eshm_destroy(h);
		assert_int_equal(eshm_destroy(again), ESHM_SUCCESS);
	}
	printf("# daemon_alive false right after eshm_init: %u of 20 new segments, %u of 20 "
	       "segments created again after a forced remove\n",
	       late_fresh, late_removed);
	/*
	 * FAILS against eshmd as built: a segment eshmd creates has its
	 * status block's daemon line (pass_mono_ns, check_interval_ms, pid)
	 * at zero until the monitor's next pass, up to one check interval
	 * later, so daemon_alive reads false meanwhile.  eshmd must stamp
	 * the daemon line when it creates the segment.
	 */
	assert_int_equal(late_fresh, 0);
	assert_int_equal(late_removed, 0);
}

/* eshm_init(@c) fails with @code and a message naming @field. */
static void
pl_refused_naming(const ESHMConfig *c, int code, const char *field)
{
	assert_null(eshm_init(c));
	assert_int_equal(eshm_last_error(), code);
	printf("# %s\n", eshm_last_error_message());
	assert_non_null(strstr(eshm_last_error_message(), field));
}

static void
invalid_config_field_is_named_by_the_error_message(void **state)
{
	ESHMConfig c = eshm_default_config("pl_config");

	c.role = (ESHMRole)7;
	pl_refused_naming(&c, ESHM_ERROR_INVALID_PARAM, "role");
	c = eshm_default_config("pl_config");
	c.disconnect_behavior = (ESHMDisconnectBehavior)9;
	pl_refused_naming(&c, ESHM_ERROR_INVALID_PARAM, "disconnect_behavior");
	c = eshm_default_config("pl_config");
	c.stale_threshold_ms = ESHM_STALE_THRESHOLD_MS_MAX + 1;
	pl_refused_naming(&c, ESHM_ERROR_INVALID_PARAM, "stale_threshold_ms");
	c = eshm_default_config("pl/config");
	pl_refused_naming(&c, ESHM_ERROR_NAME_INVALID, "shm_name");
	/* a good configuration clears it */
	eshm_destroy(pl_local("pl_config", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER));
	assert_int_equal(eshm_last_error(), ESHM_SUCCESS);
}

#define PL_BIG (4u * 1024u * 1024u)

/* Two 4 MiB payloads that differ everywhere, alternated. */
static int
pl_big_writer(void *arg)
{
	ESHMConfig c = eshm_default_config(((const struct pl_peer *)arg)->name);
	ESHMOptions *o = eshm_options_new();
	unsigned char *buf[2] = { malloc(PL_BIG), malloc(PL_BIG) };
	ESHMHandle *m;
	uint64_t i;

	tf_die_with_parent();
	c.role = ESHM_ROLE_MASTER;
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	c.auto_cleanup = false;
	eshm_options_set_capacity(o, PL_BIG);
	m = eshm_init_with_options(&c, o);
	if (m == NULL || buf[0] == NULL || buf[1] == NULL)
		return 1;
	tc_fill(buf[0], PL_BIG, 1);
	tc_fill(buf[1], PL_BIG, 2);
	atomic_store(&board->ready, 1);
	/* bursts at full speed, and pauses the reader runs dry in */
	for (i = 0;; i++) {
		eshm_write(m, buf[i & 1], PL_BIG);
		if (i % 8 == 7)
			usleep(1000);
	}
}

static bool
pl_all(const unsigned char *buf, size_t len, unsigned char v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != v)
			return false;
	return true;
}

/* One read of failed_read_leaves_the_callers_buffer_untouched: a message
 * is one of the two payloads; a failed read leaves the buffer as the last
 * successful one did (*@expect, NULL: as filled), or counts a change. */
static void
pl_read_once(ESHMHandle *s, unsigned char *buf, unsigned char *payload[2],
             const unsigned char **expect, unsigned long *ok, unsigned long *failed,
             unsigned long *changed)
{
	uint64_t seed;
	size_t n;
	int rc = eshm_read(s, buf, PL_BIG, &n);

	if (rc == ESHM_SUCCESS) {
		(*ok)++;
		assert_int_equal(n, PL_BIG);
		seed = tc_seed(buf);
		assert_true(seed == 1 || seed == 2);
		*expect = payload[seed - 1];
		assert_memory_equal(buf, *expect, PL_BIG);
		return;
	}
	assert_int_equal(rc, ESHM_ERROR_NO_DATA);
	(*failed)++;
	if (*expect == NULL ? !pl_all(buf, PL_BIG, 0xa5) : memcmp(buf, *expect, PL_BIG) != 0) {
		(*changed)++;
		memset(buf, 0xa5, PL_BIG);
		*expect = NULL;
	}
}

static void
failed_read_leaves_the_callers_buffer_untouched(void **state)
{
	const char *name = "pl_untouched";
	struct pl_peer big = { name, ESHM_ROLE_MASTER, 1000, NULL };
	unsigned char *buf = malloc(PL_BIG), *payload[2] = { malloc(PL_BIG), malloc(PL_BIG) };
	const unsigned char *expect;
	unsigned long ok = 0, failed = 0, failed_before = 0, changed = 0;
	uint64_t contended0, contended;
	struct tf_view v;
	ESHMHandle *s;
	long long until;
	size_t n;
	pid_t pid;
	int phase;

	assert_non_null(buf);
	assert_non_null(payload[0]);
	assert_non_null(payload[1]);
	/* nothing written: NO_DATA and TIMEOUT leave every byte */
	s = pl_local("pl_untouched_idle", ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER);
	memset(buf, 0xa5, 4096);
	assert_int_equal(eshm_read(s, buf, 4096, &n), ESHM_ERROR_NO_DATA);
	assert_int_equal(eshm_read_timeout(s, buf, 4096, &n, 20), ESHM_ERROR_TIMEOUT);
	assert_true(pl_all(buf, 4096, 0xa5));
	eshm_destroy(s);

	/* a 4 MiB writer in bursts at full speed: a failed read leaves the
	 * buffer as the last successful one did, unless it gave up under
	 * contention, which the reader's own block counts */
	tc_fill(payload[0], PL_BIG, 1);
	tc_fill(payload[1], PL_BIG, 2);
	pid = pl_start(pl_big_writer, &big);
	s = pl_local(name, ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER);
	assert_true(th_wait_until(tc_remote_alive, s, 10000));
	assert_int_equal(tf_view_segment(&th_group_daemon, name, &v), 0);
	contended0 = atomic_load(&tf_view_block(&v, SEG_SLAVE)->reader.contended);
	memset(buf, 0xa5, PL_BIG);
	expect = NULL;
	until = th_now_ns() + 1000 * 1000000LL;
	/* a second at full speed, then the writer killed: the reads after
	 * its last message fail for sure */
	for (phase = 0; phase < 2; phase++) {
		if (phase == 1) {
			pl_kill(pid);
			failed_before = failed;
		}
		while (phase == 0 ? th_now_ns() < until : failed < failed_before + 3)
			pl_read_once(s, buf, payload, &expect, &ok, &failed, &changed);
	}
	contended = atomic_load(&tf_view_block(&v, SEG_SLAVE)->reader.contended) - contended0;
	printf("# 4 MiB in bursts at full speed: %lu reads, %lu failed, %lu of them changed the buffer, "
	       "%llu gave up under contention\n",
	       ok, failed, changed, (unsigned long long)contended);
	assert_true(ok > 0);
	assert_true(failed > 0);
	assert_true(changed <= contended);
	tf_view_release(&v);
	eshm_destroy(s);
	free(payload[0]);
	free(payload[1]);
	free(buf);
}

/* ------------------------------------------------ (e) eshmd down */

static bool
pl_daemon_away(void *arg)
{
	return !tc_daemon_alive(arg);
}

static bool
pl_holds_a_pidfd(void *arg)
{
	(void)arg;
	return tf_self_fds_naming("anon_inode:[pidfd]") > 0;
}

/* Last: it kills the group's eshmd, and starts it again. */
static void
peer_death_is_seen_while_eshmd_is_down(void **state)
{
	const char *name = "pl_no_eshmd";
	struct pl_peer slave = { name, ESHM_ROLE_SLAVE, 5000, NULL };
	ESHMHandle *m = pl_local(name, ESHM_ROLE_MASTER, 5000, ESHM_DISCONNECT_ON_TIMEOUT);
	struct proto_segment_info info;
	long long t0;
	double dead_ms;
	pid_t pid = pl_start(pl_idle_peer, &slave);

	assert_true(th_wait_until(tc_remote_alive, m, 10000));
	if (!th_expect_pidfds()) {
		/* eshmd has no pidfds to hand out (a kernel before 5.3, or run
		 * under valgrind): without eshmd a death cannot be told from a
		 * pause */
		pl_kill(pid);
		eshm_destroy(m);
		skip();
	}
	/* the peer's pidfd comes with eshmd's notice, which may follow the
	 * first heartbeat seen */
	assert_true(th_wait_until(pl_holds_a_pidfd, NULL, 5000));
	th_daemon_kill(&th_group_daemon);
	assert_true(th_wait_until(pl_daemon_away, m, 5000));
	t0 = th_now_ns();
	pl_kill(pid);
	assert_true(th_wait_until(tc_remote_dead, m, 5000));
	dead_ms = pl_ms_since(t0);
	printf("# with eshmd down, the peer was seen dead %.1f ms after SIGKILL\n", dead_ms);
	/* the pidfd's word, taken at once */
	assert_true(dead_ms < PL_CHECK_MS + PL_SLACK_MS);
	assert_int_equal(eshm_write(m, "x", 2), ESHM_ERROR_REMOTE_DEAD);
	/* eshmd back: it finds the same */
	assert_int_equal(th_daemon_start(&th_group_daemon, NULL), 0);
	assert_true(th_wait_until(tc_daemon_alive, m, 5000));
	pl_show(name, &info);
	assert_int_equal(info.endpoint[SEG_SLAVE].state, SEG_EP_DEAD);
	assert_true(tc_remote_dead(m));
	eshm_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define PL_TEST(t) cmocka_unit_test_teardown(t, th_end_children)
		PL_TEST(last_message_of_a_dead_peer_is_delivered_before_remote_dead_on_timeout),
		PL_TEST(last_message_of_a_dead_peer_is_delivered_never_failing),
		PL_TEST(last_message_of_a_peer_dead_at_once_comes_before_remote_dead),
		PL_TEST(peer_that_exited_is_dead_before_its_parent_reaps_it),
		PL_TEST(immediately_reports_a_dead_peer_before_its_last_message),
		PL_TEST(write_to_a_dead_peer_publishes_what_the_restarted_peer_reads_first),
		PL_TEST(paused_slave_is_judged_by_the_masters_threshold_and_show_agrees),
		PL_TEST(paused_master_is_judged_by_the_slaves_threshold_and_show_agrees),
		PL_TEST(stopped_holder_keeps_its_role_named_in_the_error_until_taken_over),
		PL_TEST(daemon_alive_right_after_init_and_after_a_forced_remove),
		PL_TEST(invalid_config_field_is_named_by_the_error_message),
		PL_TEST(failed_read_leaves_the_callers_buffer_untouched),
		PL_TEST(peer_death_is_seen_while_eshmd_is_down),
	};

	/* shared with the children the tests fork */
	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	             0);
	if (board == MAP_FAILED)
		return 1;
	return cmocka_run_group_tests_name("peer_lifecycle", tests, th_group_setup,
	                                   th_group_teardown);
}
