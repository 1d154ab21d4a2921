/*
 * test_ctl_events.c - eshmd's event history read with the built eshmctl
 * (events, --since, --follow, --json) against a private eshmd, with real
 * client processes stopped with SIGSTOP, resumed and killed with SIGKILL;
 * what another user sees; a follower that falls behind; the refusals and
 * monitor figures of eshmctl metrics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client_util.h"
#include "ctl_util.h"
#include "endpoint_proc.h"
#include "harness.h"

/* Generous bounds for a loaded 2-core machine or valgrind; waits end at the event. */
#define WAIT_MS 30000
/* Short enough to see a stale verdict soon, long enough for a loaded machine. */
#define STALE_MS 300

static struct th_daemon daemon_;
static char conf_extra[256]; /* eshmd.conf lines a test adds, set before setup */

static int
setup(void **state)
{
	char conf[512];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	/* The socket open to all, so eshmd's policy is what other users meet. */
	snprintf(conf, sizeof(conf), "[eshmd]\nsocket_mode = 0666\n%s", conf_extra);
	return th_daemon_start_conf(&daemon_, conf);
}

static int
teardown(void **state)
{
	(void)state;
	th_kill_children();
	ctl_util_cleanup();
	conf_extra[0] = '\0';
	if (daemon_.pid > 0 && th_daemon_stop_within(&daemon_, WAIT_MS) < 0)
		return -1;
	th_daemon_cleanup(&daemon_);
	return 0;
}

static int
setup_small_history(void **state)
{
	snprintf(conf_extra, sizeof(conf_extra), "event_history = 16\n");
	return setup(state);
}

/* ------------------------------------------------------------ reading events */

/* The events "eshmctl events @args... --json" printed, one object per line. */
static json_object *
events_json(uid_t uid, const char *a1, const char *a2, const char *a3)
{
	static struct tp_output r;
	const char *args[] = { "events", "--json", a1, a2, a3, NULL };
	json_object *all = json_object_new_array(), *o;
	char *line, *save = NULL;

	if (ctl_run_as(&r, uid, args) != 0)
		fail_msg("eshmctl events exited %d: %s", r.status, r.err);
	for (line = strtok_r(r.out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		o = json_tokener_parse(line);
		if (o == NULL)
			fail_msg("eshmctl events --json printed a line that is no JSON: %s", line);
		json_object_array_add(all, o);
	}
	return all;
}

/* Index in @events of the first event from @from on of @kind (and @pid unless 0); -1: none. */
static int
find_event(json_object *events, int from, const char *kind, int pid)
{
	int i, n = (int)json_object_array_length(events);

	for (i = from; i < n; i++) {
		json_object *e = json_object_array_get_idx(events, (size_t)i);

		if (strcmp(jstr(e, "kind"), kind) == 0 &&
		    (pid == 0 || json_object_get_int(jget(e, "pid")) == pid))
			return i;
	}
	return -1;
}

/* A follower: "eshmctl events NAME --follow --json" with its stdout on a pipe. */
struct follower {
	pid_t pid;
	int out;
	char buf[1 << 20];  /* a stopped follower resumes with hundreds of events */
	size_t len;
};

static void
follow_start(struct follower *f, const char *name)
{
	const char *argv[] = { th_build_path("ctl/eshmctl"), "events", "--follow", "--json",
	                       name, NULL };
	struct tp_exec x = { .argv = argv, .fd = { -1, -1, -1 }, .tty = -1, .uid = (uid_t)-1 };
	int p[2];

	if (name == NULL)
		argv[4] = NULL;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	x.fd[1] = p[1];
	f->pid = th_spawn(tp_exec_main, &x);
	close(p[1]);
	assert_true(f->pid > 0);
	f->out = p[0];
	f->len = 0;
	f->buf[0] = '\0';
}

static const char *follow_want; /* what follow_has() looks for */

static bool
follow_has(const char *buf)
{
	return strstr(buf, follow_want) != NULL;
}

/* Wait until the follower printed @text. */
static void
follow_expect(struct follower *f, const char *text)
{
	follow_want = text;
	if (!tp_read_until(f->out, f->buf, sizeof(f->buf), &f->len, follow_has, WAIT_MS))
		fail_msg("eshmctl events --follow never printed %s; it printed:\n%s", text, f->buf);
}

/* Interrupt the follower: it ends with 0. */
static void
follow_stop(struct follower *f)
{
	kill(f->pid, SIGINT);
	assert_int_equal(th_wait_child_within(f->pid, WAIT_MS), 0);
	close(f->out);
}

/* ------------------------------------------------------------ the tests */

static void
stale_alive_and_dead_come_in_order_and_live_to_a_follower(void **state)
{
	static struct follower f;
	struct te_proc m, s;
	json_object *ev;
	char want[128];
	int i;

	(void)state;
	follow_start(&f, NULL);
	/* The follower is subscribed once it printed eshmd's start. */
	follow_expect(&f, "\"kind\":\"started\"");
	te_start(&m, "story", ESHM_ROLE_MASTER, STALE_MS);
	te_start(&s, "story", ESHM_ROLE_SLAVE, STALE_MS);
	snprintf(want, sizeof(want), "\"kind\":\"attached\",\"message_id\":"
	                             "\"00e9e60e30a845f6b145b5cc0a2174ef\",\"segment\":\"story\","
	                             "\"role\":\"slave\",\"pid\":%d", (int)s.pid);
	follow_expect(&f, want);
	kill(m.pid, SIGSTOP);
	follow_expect(&f, "\"kind\":\"stale\"");
	kill(m.pid, SIGCONT);
	follow_expect(&f, "\"kind\":\"alive\"");
	kill(m.pid, SIGKILL);
	follow_expect(&f, "\"kind\":\"dead\"");
	follow_stop(&f);

	/* The history, read afterwards, tells the same story in order. */
	ev = events_json((uid_t)-1, "story", NULL, NULL);
	i = find_event(ev, 0, "created", 0);
	assert_true(i >= 0);
	i = find_event(ev, i, "attached", m.pid);
	assert_true(i >= 0);
	i = find_event(ev, i, "attached", s.pid);
	assert_true(i >= 0);
	i = find_event(ev, i, "stale", m.pid);
	assert_true(i >= 0);
	assert_string_equal(jstr(json_object_array_get_idx(ev, (size_t)i), "role"), "master");
	i = find_event(ev, i, "alive", m.pid);
	assert_true(i >= 0);
	i = find_event(ev, i, "dead", m.pid);
	assert_true(i >= 0);
	/* Only this segment's events, serials rising, times not going back. */
	for (i = 0; i < (int)json_object_array_length(ev); i++) {
		json_object *e = json_object_array_get_idx(ev, (size_t)i);

		assert_string_equal(jstr(e, "segment"), "story");
		if (i > 0) {
			json_object *p = json_object_array_get_idx(ev, (size_t)i - 1);

			assert_true(jint(e, "serial") > jint(p, "serial"));
			assert_true(jint(e, "realtime_ns") >= jint(p, "realtime_ns"));
		}
		assert_int_equal(jint(e, "lost"), 0);
	}
	json_object_put(ev);
	assert_int_equal(te_end(&s), 0);
	te_end(&m);
}

static void
since_and_name_choose_the_events(void **state)
{
	struct tp_output r;
	struct te_proc a, b;
	json_object *ev;
	struct timespec now;
	char since[64];

	(void)state;
	te_start(&a, "early", ESHM_ROLE_MASTER, STALE_MS);
	tc_sleep_ms(50);
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(since, sizeof(since), "@%lld.%06ld", (long long)now.tv_sec, now.tv_nsec / 1000);
	tc_sleep_ms(50);
	te_start(&b, "late", ESHM_ROLE_MASTER, STALE_MS);
	ev = events_json((uid_t)-1, "--since", since, NULL);
	assert_int_equal(find_event(ev, 0, "attached", a.pid), -1);
	assert_true(find_event(ev, 0, "attached", b.pid) >= 0);
	assert_int_equal(find_event(ev, 0, "started", 0), -1);
	json_object_put(ev);
	ev = events_json((uid_t)-1, "early", NULL, NULL);
	assert_true(find_event(ev, 0, "attached", a.pid) >= 0);
	assert_int_equal(find_event(ev, 0, "attached", b.pid), -1);
	json_object_put(ev);
	/* Relative times and text output. */
	assert_int_equal(CTL(&r, "events", "--since", "-1h"), 0);
	assert_non_null(strstr(r.out, " started "));
	assert_non_null(strstr(r.out, "segment late: master attached"));
	assert_int_equal(CTL(&r, "events", "--since", "5min ago", "late"), 0);
	assert_null(strstr(r.out, "early"));
	/* A time that is none is a usage error that says what a time is. */
	assert_int_equal(CTL(&r, "events", "--since", "soonish"), 2);
	assert_non_null(strstr(r.err, "is not a time"));
	assert_int_equal(CTL(&r, "events", "bad/name"), 2);
	te_end(&a);
	te_end(&b);
}

static void
another_user_sees_only_what_the_policy_lets_it(void **state)
{
	struct tp_output r;
	struct te_proc m;
	json_object *ev;
	const char *show[] = { "show", "secret", NULL };

	(void)state;
	te_start(&m, "secret", ESHM_ROLE_MASTER, STALE_MS);
	/* The socket in nobody's reach: eshmd's policy (owner) decides. */
	assert_int_equal(chmod(daemon_.dir, 0711), 0);
	/* nobody may not use root's segment (policy owner): refused, and
	 * that refusal is nobody's to see */
	assert_int_equal(ctl_run_as(&r, 65534, show), 1);
	ev = events_json(65534, NULL, NULL, NULL);
	assert_int_equal(find_event(ev, 0, "attached", m.pid), -1);
	assert_int_equal(find_event(ev, 0, "created", 0), -1);
	assert_true(find_event(ev, 0, "started", 0) >= 0);
	assert_true(find_event(ev, 0, "refused", 0) >= 0);
	assert_int_equal(jint(json_object_array_get_idx(ev, (size_t)find_event(ev, 0, "refused",
	                                                                          0)),
	                      "status"),
	                 ESHM_ERROR_PERMISSION);
	json_object_put(ev);
	/* root sees it all, nobody's refusal included */
	ev = events_json((uid_t)-1, NULL, NULL, NULL);
	assert_true(find_event(ev, 0, "attached", m.pid) >= 0);
	assert_true(find_event(ev, 0, "refused", 0) >= 0);
	json_object_put(ev);
	assert_int_equal(chmod(daemon_.dir, 0700), 0);
	te_end(&m);
}

/* Whether some event in @buf says events were lost before it. */
static bool
told_lost(const char *buf)
{
	const char *p = buf;

	while ((p = strstr(p, "\"lost\":")) != NULL) {
		p += strlen("\"lost\":");
		if (*p >= '1' && *p <= '9')
			return true;
	}
	return false;
}

static void
a_follower_that_falls_behind_is_told_how_many_it_lost(void **state)
{
	static struct follower f;
	ESHMHandle *h;
	ESHMConfig cfg;
	int i;

	(void)state;
	follow_start(&f, NULL);
	follow_expect(&f, "\"kind\":\"started\"");
	/* stopped, it reads nothing while thousands of events pass a
	 * history of 16 */
	kill(f.pid, SIGSTOP);
	for (i = 0; i < 600; i++) {
		cfg = eshm_default_config("churn");
		cfg.role = ESHM_ROLE_MASTER;
		cfg.use_threads = false;
		cfg.auto_cleanup = true;
		h = eshm_init(&cfg);
		assert_non_null(h);
		eshm_destroy(h);
	}
	kill(f.pid, SIGCONT);
	/* some event carries a count above 0 */
	if (!tp_read_until(f.out, f.buf, sizeof(f.buf), &f.len, told_lost, WAIT_MS))
		fail_msg("the follower never told what it lost:\n%s", f.buf);
	follow_stop(&f);
}

static void
metrics_count_refusals_by_reason_and_the_monitors_time(void **state)
{
	struct tp_output r;

	(void)state;
	assert_int_equal(CTL(&r, "show", "nothing-here"), 1);
	assert_int_equal(CTL(&r, "show", "nothing-here"), 1);
	assert_int_equal(CTL(&r, "metrics"), 0);
	assert_non_null(strstr(r.out, "eshm_refusals_total{reason=\"not_found\"} 2\n"));
	assert_non_null(strstr(r.out, "eshm_refusals_total{reason=\"permission\"} 0\n"));
	assert_non_null(strstr(r.out, "# TYPE eshm_monitor_cpu_seconds_total counter\n"));
	assert_non_null(strstr(r.out, "# TYPE eshm_monitor_last_pass_seconds gauge\n"));
	assert_null(strstr(r.out, "eshm_monitor_passes_total 0\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			stale_alive_and_dead_come_in_order_and_live_to_a_follower, setup, teardown),
		cmocka_unit_test_setup_teardown(since_and_name_choose_the_events, setup, teardown),
		cmocka_unit_test_setup_teardown(another_user_sees_only_what_the_policy_lets_it,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_follower_that_falls_behind_is_told_how_many_it_lost,
		                                setup_small_history, teardown),
		cmocka_unit_test_setup_teardown(metrics_count_refusals_by_reason_and_the_monitors_time,
		                                setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
