/*
 * test_eshmctl.c - the built eshmctl run as a separate process against a
 * private eshmd, with real client processes (libeshm-client) attached,
 * stopped with SIGSTOP and killed with SIGKILL.  eshmctl's output is read
 * through pipes (plain) or a pseudo-terminal (watch, colours); --json is
 * parsed with json-c and compared with the text and with the facts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client_util.h"
#include "ctl_util.h"
#include "endpoint_proc.h"
#include "harness.h"
#include "layout.h"
#include "proc_util.h"

/*
 * Generous bounds: a loaded 2-core machine, or a run under valgrind, must
 * never fail these; waits end as soon as the event comes.  The stale
 * threshold is long enough that a client starved by load does not turn
 * stale on its own, which the tests would take for a wrong state.
 */
#define STATE_TIMEOUT_MS 30000
#define EXIT_TIMEOUT_MS 30000
#define STALE_MS 1000

static struct th_daemon daemon_;
static int pty_master = -1; /* open pseudo-terminal, closed by teardown */

static int
setup(void **state)
{
	(void)state;
	/* A pipe whose reader quit must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	/* A fresh directory, socket and prefix for every test; the socket
	 * open to all, so that eshmd's policy is what the tests meet. */
	return th_daemon_start_conf(&daemon_, "[eshmd]\nsocket_mode = 0666\n");
}

static int
teardown(void **state)
{
	int rc = 0;

	(void)state;
	if (pty_master >= 0)
		close(pty_master);
	pty_master = -1;
	th_kill_children();
	ctl_util_cleanup();
	/* An eshmd that ignores SIGTERM fails the test instead of hanging it. */
	if (daemon_.pid > 0) {
		pid_t pid = daemon_.pid;

		if (th_daemon_stop_within(&daemon_, EXIT_TIMEOUT_MS) < 0) {
			fprintf(stderr, "eshmd %d did not exit within %d ms of SIGTERM\n",
			        (int)pid, EXIT_TIMEOUT_MS);
			rc = -1;
		}
	}
	/* Segments made with create outlive eshmd on purpose; the tests that
	 * remove segments count the objects themselves. */
	th_daemon_cleanup(&daemon_);
	return rc;
}

/* Number of times @needle occurs in @hay. */
static int
count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * The whitespace-separated fields of the line of @text whose first field is
 * @name, into @f (at most @max); returns how many, 0 if no such line.
 */
static int
row_of(const char *text, const char *name, char f[][64], int max)
{
	const char *line = text;
	char copy[1024], *tok, *save;
	int n = 0;

	while (line != NULL && *line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		snprintf(copy, sizeof(copy), "%.*s", (int)len, line);
		tok = strtok_r(copy, " \t", &save);
		if (tok != NULL && strcmp(tok, name) == 0) {
			do
				snprintf(f[n++], 64, "%s", tok);
			while (n < max && (tok = strtok_r(NULL, " \t", &save)) != NULL);
			return n;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* ------------------------------------------------------------ waiting on eshmctl's view */

struct want {
	const char *name;
	const char *role;   /* "master" or "slave" */
	const char *state;
};

static bool
show_says(void *arg)
{
	const struct want *w = arg;
	json_object *doc = ctl_json("show", w->name);
	char path[32];
	bool ok;

	snprintf(path, sizeof(path), "%s.state", w->role);
	ok = strcmp(jstr(doc, path), w->state) == 0;
	json_object_put(doc);
	if (!ok)
		tc_sleep_ms(5);
	return ok;
}

static void
wait_state(const char *name, const char *role, const char *state)
{
	struct want w = { name, role, state };

	if (!th_wait_until(show_says, &w, STATE_TIMEOUT_MS))
		fail_msg("eshmctl show %s never reported %s %s", name, role, state);
}

struct want_row {
	const char *name;
	const char *master, *slave; /* states */
	struct tp_output r;               /* the last list */
};

static bool
list_says(void *arg)
{
	struct want_row *w = arg;
	char f[16][64];
	bool ok;

	if (CTL(&w->r, "list") != 0)
		fail_msg("eshmctl list exited %d: %s", w->r.status, w->r.err);
	assert_non_null(strstr(w->r.out, "NAME"));
	/* Not a terminal: no colour escapes. */
	assert_null(strchr(w->r.out, '\033'));
	ok = row_of(w->r.out, w->name, f, 16) == 14 && strcmp(f[3], w->master) == 0 &&
	     strcmp(f[6], w->slave) == 0;
	if (!ok)
		tc_sleep_ms(5);
	return ok;
}

/*
 * The list row of @name comes to show these master and slave states (a
 * state seen by show may take a monitor pass to be seen again).
 */
static void
assert_list_states(const char *name, const char *master, const char *slave)
{
	static struct want_row w;

	w.name = name;
	w.master = master;
	w.slave = slave;
	if (!th_wait_until(list_says, &w, STATE_TIMEOUT_MS))
		fail_msg("eshmctl list never showed %s with master %s, slave %s:\n%s", name, master,
		         slave, w.r.out);
}

/* ------------------------------------------------------------ tests */

static void
list_and_show_follow_attach_stale_dead_and_detach(void **state)
{
	struct te_proc m, s;
	struct tp_output r;
	char pid[16], f[16][64];
	json_object *doc;

	(void)state;
	te_start(&m, "life", ESHM_ROLE_MASTER, STALE_MS);
	te_start(&s, "life", ESHM_ROLE_SLAVE, STALE_MS);
	wait_state("life", "master", "alive");
	wait_state("life", "slave", "alive");
	assert_list_states("life", "alive", "alive");

	/* The rows and the JSON name the very processes attached. */
	assert_int_equal(CTL(&r, "list"), 0);
	assert_int_equal(row_of(r.out, "life", f, 16), 14);
	assert_string_equal(f[11], "-"); /* latest value: nothing queued */
	assert_string_equal(f[12], "0"); /* no observer */
	snprintf(pid, sizeof(pid), "%d", (int)m.pid);
	assert_string_equal(f[2], pid);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	assert_string_equal(f[5], pid);
	doc = ctl_json("show", "life");
	assert_int_equal(jint(doc, "master.pid"), m.pid);
	assert_int_equal(jint(doc, "slave.pid"), s.pid);
	assert_int_equal(jint(doc, "slave.stale_threshold_ms"), STALE_MS);
	json_object_put(doc);

	assert_int_equal(kill(s.pid, SIGSTOP), 0);
	wait_state("life", "slave", "stale");
	assert_list_states("life", "alive", "stale");
	assert_int_equal(kill(s.pid, SIGCONT), 0);
	wait_state("life", "slave", "alive");

	assert_int_equal(kill(m.pid, SIGKILL), 0);
	wait_state("life", "master", "dead");
	assert_list_states("life", "dead", "alive");
	assert_int_equal(te_end(&m), 128 + SIGKILL);

	assert_int_equal(te_detach(&s), 0);
	wait_state("life", "slave", "detached");
	assert_list_states("life", "dead", "detached");
	assert_int_equal(te_end(&s), 0);
}

/* Run @argv (a Python program) with @r's output on its standard input;
 * returns its exit status. */
static int
python_on(const char *const *argv, const struct tp_output *r)
{
	struct tp_exec a = { .argv = argv, .fd = { -1, -1, -1 }, .tty = -1, .uid = (uid_t)-1 };
	int in[2];
	pid_t pid;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	a.fd[0] = in[0];
	pid = th_spawn(tp_exec_main, &a);
	close(in[0]);
	assert_true(pid > 0);
	/* A few kilobytes: the pipe takes them all at once. */
	assert_int_equal(write(in[1], r->out, r->outlen), (ssize_t)r->outlen);
	close(in[1]);
	return th_wait_child_within(pid, EXIT_TIMEOUT_MS);
}

static void
json_output_parses_and_carries_the_same_facts_as_text(void **state)
{
	json_object *doc, *list, *segs, *seg = NULL;
	char expect[128];
	struct tp_output r;
	size_t i;

	(void)state;
	assert_int_equal(CTL(&r, "create", "facts", "--capacity", "8K", "--stale-ms", "250"), 0);

	doc = ctl_json("show", "facts");
	assert_string_equal(jstr(doc, "name"), "facts");
	assert_int_equal(jint(doc, "capacity"), 8192);
	assert_int_equal(jint(doc, "stale_threshold_ms"), 250);
	assert_int_equal(jint(doc, "layout_version"), SEG_LAYOUT_VERSION);
	assert_string_equal(jstr(doc, "master.state"), "detached");
	assert_int_equal(jint(doc, "master_to_slave.messages"), 0);
	assert_true(json_object_is_type(jget(doc, "master_to_slave.since_last_write_ms"),
	                                json_type_null));

	/* The text says the same. */
	assert_int_equal(CTL(&r, "show", "facts"), 0);
	snprintf(expect, sizeof(expect), "generation       %lld\n", jint(doc, "generation"));
	assert_non_null(strstr(r.out, expect));
	assert_non_null(strstr(r.out, "capacity         8192 bytes (8KiB)\n"));
	assert_non_null(strstr(r.out, "stale threshold  250 ms"));

	/* list --json holds the same segment, same generation. */
	list = ctl_json("list", NULL);
	segs = jget(list, "segments");
	for (i = 0; i < json_object_array_length(segs); i++)
		if (strcmp(jstr(json_object_array_get_idx(segs, i), "name"), "facts") == 0)
			seg = json_object_array_get_idx(segs, i);
	assert_non_null(seg);
	assert_int_equal(jint(seg, "generation"), jint(doc, "generation"));
	assert_int_equal(jint(seg, "capacity"), 8192);
	json_object_put(list);
	json_object_put(doc);

	/* status: this eshmd, one segment, no endpoint attached. */
	doc = ctl_json("status", NULL);
	assert_int_equal(jint(doc, "pid"), daemon_.pid);
	assert_string_equal(jstr(doc, "shm_prefix"), daemon_.prefix);
	assert_string_equal(jstr(doc, "socket"), daemon_.sock);
	assert_int_equal(jint(doc, "segments"), 1);
	assert_int_equal(jint(doc, "endpoints.alive"), 0);
	json_object_put(doc);
	assert_int_equal(CTL(&r, "status"), 0);
	snprintf(expect, sizeof(expect), "pid         %d\n", (int)daemon_.pid);
	assert_non_null(strstr(r.out, expect));
	assert_non_null(strstr(r.out, "segments    1\n"));

	/* The same JSON as Python reads it. */
	if (access("/usr/bin/python3", X_OK) == 0) {
		static const char *const python[] = { "/usr/bin/python3", "-c",
			"import json,sys; d=json.load(sys.stdin); sys.exit(d['capacity'] != 8192)",
			NULL };

		assert_int_equal(CTL(&r, "show", "facts", "--json"), 0);
		assert_int_equal(python_on(python, &r), 0);
	}
}

static void
queue_created_by_eshmctl_shows_its_mode_and_fill_level(void **state)
{
	struct tp_output r;
	struct te_proc m;
	json_object *doc;
	char f[16][64];
	int i;

	(void)state;
	assert_int_equal(CTL(&r, "create", "fifo", "--mode", "queue", "--queue-depth", "8",
	                     "--timestamps"),
	                 0);
	te_start(&m, "fifo", ESHM_ROLE_MASTER, STALE_MS);
	for (i = 0; i < 3; i++)
		assert_int_equal(te_write(&m, "queued", 7), 0);
	/* no reader yet: all three are unread */
	doc = ctl_json("show", "fifo");
	assert_string_equal(jstr(doc, "mode"), "queue");
	assert_int_equal(jint(doc, "queue_depth"), 8);
	assert_int_equal(jint(doc, "master_to_slave.messages"), 3);
	assert_int_equal(jint(doc, "master_to_slave.unread"), 3);
	assert_int_equal(jint(doc, "slave_to_master.unread"), 0);
	json_object_put(doc);
	assert_int_equal(CTL(&r, "show", "fifo"), 0);
	assert_non_null(strstr(r.out, "channels         queue of 8 messages (8 slots)\n"));
	assert_non_null(strstr(r.out, "timestamps"));
	assert_non_null(strstr(r.out, "unread"));
	/* list shows the fill level per direction */
	assert_int_equal(CTL(&r, "list"), 0);
	assert_int_equal(row_of(r.out, "fifo", f, 16), 14);
	assert_string_equal(f[11], "3/0");
	assert_int_equal(te_end(&m), 0);
	/* what eshmctl refuses before asking eshmd */
	assert_int_equal(CTL(&r, "create", "fifo2", "--mode", "sideways"), 2);
	assert_non_null(strstr(r.err, "latest or queue"));
	assert_int_equal(CTL(&r, "create", "fifo2", "--queue-depth", "0", "--mode", "queue"), 2);
	assert_int_equal(CTL(&r, "create", "fifo2", "--queue-depth", "65537", "--mode", "queue"),
	                 2);
	assert_int_equal(CTL(&r, "create", "fifo2", "--queue-depth", "4"), 2);
	assert_non_null(strstr(r.err, "needs --mode queue"));
	assert_int_equal(CTL(&r, "show", "fifo2"), 1);
	assert_int_equal(CTL(&r, "remove", "fifo"), 0);
}

/* The observer of @o (a pid) in show --json's observer_list, or NULL. */
static json_object *
observer_in(json_object *doc, pid_t pid)
{
	json_object *list = jget(doc, "observer_list");
	size_t i;

	for (i = 0; list != NULL && i < json_object_array_length(list); i++)
		if (jint(json_object_array_get_idx(list, i), "pid") == pid)
			return json_object_array_get_idx(list, i);
	return NULL;
}

/* What show --json must list: @count observers, each of process @process
 * (NULL: any). */
struct want_observers {
	const char *name;
	size_t count;
	const char *process;
};

static bool
observers_listed(void *arg)
{
	const struct want_observers *w = arg;
	json_object *doc = ctl_json("show", w->name), *list = jget(doc, "observer_list");
	bool yes = json_object_array_length(list) == w->count;
	size_t i;

	for (i = 0; yes && w->process != NULL && i < w->count; i++)
		yes = strcmp(jstr(json_object_array_get_idx(list, i), "process"), w->process) == 0;
	json_object_put(doc);
	if (!yes)
		tc_sleep_ms(5);
	return yes;
}

static void
show_lists_each_observer_with_what_it_read_and_missed(void **state)
{
	static const char *const words[] = { "one", "two", "three", "four" };
	struct want_observers one_left = { "watched", 1, NULL };
	struct te_proc m, o1, o2;
	json_object *doc, *list, *seg;
	struct tp_output r;
	char buf[4096], f[16][64], pid[16];
	uint32_t len;
	int i;

	(void)state;
	te_start(&m, "watched", ESHM_ROLE_MASTER, STALE_MS);
	te_start(&o1, "watched", ESHM_ROLE_OBSERVER, STALE_MS);
	te_start(&o2, "watched", ESHM_ROLE_OBSERVER, STALE_MS);
	/* o1 reads the first message and the last, o2 only the last. */
	assert_int_equal(te_write(&m, words[0], 4), 0);
	assert_int_equal(te_read(&o1, buf, &len), 0);
	for (i = 1; i < 4; i++)
		assert_int_equal(te_write(&m, words[i], (uint32_t)strlen(words[i]) + 1), 0);
	assert_int_equal(te_read(&o1, buf, &len), 0);
	assert_string_equal(buf, "four");
	assert_int_equal(te_read(&o2, buf, &len), 0);
	assert_string_equal(buf, "four");

	doc = ctl_json("show", "watched");
	assert_int_equal(jint(doc, "observers"), 2);
	assert_int_equal(json_object_array_length(jget(doc, "observer_list")), 2);
	assert_non_null(observer_in(doc, o1.pid));
	assert_string_equal(jstr(observer_in(doc, o1.pid), "reads"), "master_to_slave");
	assert_int_equal(jint(observer_in(doc, o1.pid), "read"), 2);
	assert_int_equal(jint(observer_in(doc, o1.pid), "missed"), 2);
	assert_int_equal(jint(observer_in(doc, o1.pid), "position"), 4);
	assert_int_equal(jint(observer_in(doc, o2.pid), "read"), 1);
	assert_int_equal(jint(observer_in(doc, o2.pid), "missed"), 3);
	assert_int_equal(jint(observer_in(doc, o2.pid), "uid"), (long long)getuid());
	/* The slave's counts are not the observers'. */
	assert_int_equal(jint(doc, "master_to_slave.read"), 0);

	/* The text gives the same, one row per observer. */
	assert_int_equal(CTL(&r, "show", "watched"), 0);
	assert_non_null(strstr(r.out, "OBSERVER"));
	snprintf(pid, sizeof(pid), "%lld", jint(observer_in(doc, o1.pid), "slot"));
	assert_int_equal(row_of(r.out, pid, f, 16), 10);
	snprintf(pid, sizeof(pid), "%d", (int)o1.pid);
	assert_string_equal(f[1], pid);
	assert_string_equal(f[4], "master->slave");
	assert_string_equal(f[5], "2");
	assert_string_equal(f[6], "2");
	assert_string_equal(f[7], "-");
	json_object_put(doc);

	/* list --json carries them too. */
	list = ctl_json("list", NULL);
	seg = json_object_array_get_idx(jget(list, "segments"), 0);
	assert_string_equal(jstr(seg, "name"), "watched");
	assert_int_equal(json_object_array_length(jget(seg, "observer_list")), 2);
	json_object_put(list);

	/* One leaves: one row is left. */
	assert_int_equal(te_end(&o2), 0);
	assert_true(th_wait_until(observers_listed, &one_left, STATE_TIMEOUT_MS));
	doc = ctl_json("show", "watched");
	assert_non_null(observer_in(doc, o1.pid));
	json_object_put(doc);
	assert_int_equal(te_end(&o1), 0);
	assert_int_equal(te_end(&m), 0);
}

/* A Prometheus text-format parser checks the metrics against what
 * list --json says: argv[1] messages written master to slave, argv[2]
 * segments; the master alive. */
static const char metrics_check[] =
	"import sys\n"
	"from prometheus_client.parser import text_string_to_metric_families as parse\n"
	"v = {}\n"
	"for fam in parse(sys.stdin.read()):\n"
	"    for s in fam.samples:\n"
	"        v[(s.name, tuple(sorted(s.labels.items())))] = s.value\n"
	"ok = v[('eshm_channel_written_messages_total', (('channel', 'master_to_slave'),"
	" ('segment', 'metered')))] == float(sys.argv[1])\n"
	"ok = ok and v[('eshm_segments', ())] == float(sys.argv[2])\n"
	"ok = ok and v[('eshm_endpoint_state', (('role', 'master'), ('segment', 'metered'),"
	" ('state', 'alive')))] == 1\n"
	"ok = ok and v[('eshm_up', ())] == 1\n"
	"sys.exit(0 if ok else 1)\n";

static void
metrics_parse_as_prometheus_text_and_agree_with_list(void **state)
{
	char written[32], segments[32];
	const char *const python[] = { "/usr/bin/python3", "-c", metrics_check, written, segments,
		                 NULL };
	struct te_proc m, s;
	struct tp_output r;
	json_object *list, *doc;
	int i;

	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null") != 0)
		skip(); /* ci/dev.sh installs python3-prometheus-client */
	te_start(&m, "metered", ESHM_ROLE_MASTER, STALE_MS);
	te_start(&s, "metered", ESHM_ROLE_SLAVE, STALE_MS);
	wait_state("metered", "master", "alive");
	wait_state("metered", "slave", "alive");
	for (i = 0; i < 5; i++)
		assert_int_equal(te_write(&m, "tick", 5), 0);
	doc = ctl_json("show", "metered");
	snprintf(written, sizeof(written), "%lld", jint(doc, "master_to_slave.messages"));
	json_object_put(doc);
	list = ctl_json("list", NULL);
	snprintf(segments, sizeof(segments), "%zu",
	         json_object_array_length(jget(list, "segments")));
	json_object_put(list);
	assert_int_equal(CTL(&r, "metrics"), 0);
	assert_non_null(strstr(r.out, "# TYPE eshm_channel_written_messages_total counter\n"));
	assert_int_equal(python_on(python, &r), 0);
	assert_int_equal(te_end(&s), 0);
	assert_int_equal(te_end(&m), 0);
}

static void
remove_refuses_attached_segment_and_force_detaches_endpoints(void **state)
{
	struct te_proc m, s;
	struct tp_output r;
	char buf[4096];
	uint32_t len;

	(void)state;
	te_start(&m, "busy", ESHM_ROLE_MASTER, STALE_MS);
	te_start(&s, "busy", ESHM_ROLE_SLAVE, STALE_MS);
	wait_state("busy", "slave", "alive");

	assert_int_equal(CTL(&r, "remove", "busy"), 1);
	assert_non_null(strstr(r.err, "has attached endpoints"));
	assert_non_null(strstr(r.err, "--force"));
	assert_int_equal(CTL(&r, "show", "busy"), 0);
	assert_int_equal(te_write(&m, "still here", 10), 0);

	assert_int_equal(CTL(&r, "remove", "busy", "--force"), 0);
	assert_int_equal(te_write(&m, "gone?", 5), ESHM_ERROR_DETACHED);
	assert_int_equal(te_read(&s, buf, &len), ESHM_ERROR_DETACHED);
	assert_int_equal(te_write(&s, "gone?", 5), ESHM_ERROR_DETACHED);
	/* Both clients are still running and exit cleanly. */
	assert_int_equal(kill(m.pid, 0), 0);
	assert_int_equal(kill(s.pid, 0), 0);
	assert_int_equal(te_end(&m), 0);
	assert_int_equal(te_end(&s), 0);

	assert_int_equal(CTL(&r, "show", "busy"), 1);
	assert_non_null(strstr(r.err, "no segment named 'busy'"));
	assert_int_equal(th_shm_count(daemon_.prefix), 0);

	/* Without endpoints no force is needed. */
	assert_int_equal(CTL(&r, "create", "idle"), 0);
	assert_int_equal(CTL(&r, "create", "idle"), 1);
	assert_non_null(strstr(r.err, "already exists"));
	assert_int_equal(CTL(&r, "remove", "idle"), 0);
	assert_int_equal(th_shm_count(daemon_.prefix), 0);
}

static void
peek_shows_latest_message_without_consuming_it(void **state)
{
	static const unsigned char binary[] = { 0x00, 0x01, 0xfe, 0xff, 'A', 0x7f };
	struct te_proc m, s;
	struct tp_output r;
	char buf[4096];
	uint32_t len;
	json_object *doc;

	(void)state;
	te_start(&m, "peeked", ESHM_ROLE_MASTER, STALE_MS);
	te_start(&s, "peeked", ESHM_ROLE_SLAVE, STALE_MS);

	assert_int_equal(CTL(&r, "peek", "peeked"), 0);
	assert_non_null(strstr(r.out, "no message has been written yet"));

	assert_int_equal(te_write(&m, "first message", 13), 0);
	assert_int_equal(te_write(&m, "second message", 14), 0);
	assert_int_equal(CTL(&r, "peek", "peeked", "--direction", "m2s"), 0);
	assert_non_null(strstr(r.out, "message 2, 14 bytes"));
	assert_non_null(strstr(r.out, "\nsecond message\n"));
	assert_null(strstr(r.out, "first"));

	/* Nothing was consumed or counted: the slave still gets it; the
	 * observer peek was is gone with it. */
	doc = ctl_json("show", "peeked");
	assert_int_equal(jint(doc, "observers"), 0);
	assert_int_equal(jint(doc, "master_to_slave.read"), 0);
	assert_int_equal(jint(doc, "master_to_slave.missed"), 0);
	assert_int_equal(jint(doc, "master_to_slave.retries"), 0);
	json_object_put(doc);
	assert_int_equal(te_read(&s, buf, &len), 0);
	assert_int_equal(len, 14);
	assert_memory_equal(buf, "second message", 14);

	/* Bytes that are not text come as a hex dump. */
	assert_int_equal(te_write(&s, binary, sizeof(binary)), 0);
	assert_int_equal(CTL(&r, "peek", "peeked", "-d", "s2m"), 0);
	assert_non_null(strstr(r.out, "slave->master"));
	assert_non_null(strstr(r.out, "00000000  00 01 fe ff 41 7f"));
	assert_non_null(strstr(r.out, "|....A.|"));

	assert_int_equal(te_end(&m), 0);
	assert_int_equal(te_end(&s), 0);
}

static bool
two_frames(const char *buf)
{
	return count_of(buf, "\033[H") >= 2 && strstr(buf, "watched") != NULL;
}

/* Never satisfied: read until eshmctl exits and the terminal hangs up. */
static bool
until_hangup(const char *buf)
{
	(void)buf;
	return false;
}

static bool
left_screen(const char *buf)
{
	return strstr(buf, "\033[?1049l") != NULL;
}

/*
 * eshmctl @args on a fresh pseudo-terminal, whose master side becomes
 * pty_master (teardown closes it if the test does not).
 */
static pid_t
ctl_on_pty(const char *const *args)
{
	const char *argv[16];
	int argc = 0;

	argv[argc++] = th_build_path("ctl/eshmctl");
	while (*args != NULL && argc < 15)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	assert_int_equal(pty_master, -1);
	return tp_run_on_pty(argv, &pty_master);
}

static void
pty_close(void)
{
	close(pty_master);
	pty_master = -1;
}

static void
watch_redraws_in_place_on_a_terminal_and_quits_on_q_or_ctrl_c(void **state)
{
	static const char *const args[] = { "watch", "--interval", "0.2", NULL };
	static char buf[262144];
	struct tp_output r;
	size_t len;
	pid_t pid;
	int round;

	(void)state;
	assert_int_equal(CTL(&r, "create", "watched"), 0);
	for (round = 0; round < 2; round++) {
		memset(buf, 0, sizeof(buf));
		len = 0;
		pid = ctl_on_pty(args);
		/* At least two frames, each starting at the top left corner. */
		assert_true(tp_read_until(pty_master, buf, sizeof(buf), &len, two_frames,
		                          STATE_TIMEOUT_MS));
		assert_non_null(strstr(buf, "\033[?1049h"));
		assert_non_null(strstr(buf, "M2S/S"));
		assert_non_null(strstr(buf, "q quits"));
		/* 'q' the first time, Ctrl-C (the terminal's SIGINT) the second. */
		assert_int_equal(write(pty_master, round == 0 ? "q" : "\003", 1), 1);
		assert_true(tp_read_until(pty_master, buf, sizeof(buf), &len, left_screen,
		                          STATE_TIMEOUT_MS));
		assert_int_equal(th_wait_child_within(pid, EXIT_TIMEOUT_MS), 0);
		pty_close();
	}
}

static bool
says_m1(const char *buf)
{
	return strstr(buf, "\nm1") != NULL;
}

static bool
says_m2(const char *buf)
{
	return strstr(buf, "\nm2") != NULL;
}

static void
peek_follow_observes_the_channel_and_prints_each_new_message(void **state)
{
	static const char *const three[] = { "peek", "followed", "--follow", "--count", "3", NULL };
	static const char *const endless[] = { "peek", "followed", "-f", NULL };
	struct want_observers peeking = { "followed", 1, "eshmctl" }, gone = { "followed", 0, NULL };
	static char buf[65536];
	struct te_proc m;
	struct tp_output r;
	json_object *doc;
	size_t len = 0;
	pid_t pid;

	(void)state;
	te_start(&m, "followed", ESHM_ROLE_MASTER, STALE_MS);
	assert_int_equal(te_write(&m, "m1", 3), 0);
	pid = ctl_on_pty(three);
	/* the newest message first, then each new one */
	assert_true(tp_read_until(pty_master, buf, sizeof(buf), &len, says_m1, STATE_TIMEOUT_MS));
	assert_non_null(strstr(buf, "followed master->slave: message 1, 3 bytes"));
	/* meanwhile it is an observer of the channel, and no reader's count moved */
	assert_true(th_wait_until(observers_listed, &peeking, STATE_TIMEOUT_MS));
	doc = ctl_json("show", "followed");
	assert_int_equal(jint(doc, "master_to_slave.read"), 0);
	json_object_put(doc);
	assert_int_equal(te_write(&m, "m2", 3), 0);
	assert_true(tp_read_until(pty_master, buf, sizeof(buf), &len, says_m2, STATE_TIMEOUT_MS));
	assert_int_equal(te_write(&m, "m3", 3), 0);
	/* the third message ends it */
	assert_int_equal(th_wait_child_within(pid, EXIT_TIMEOUT_MS), 0);
	pty_close();
	assert_true(th_wait_until(observers_listed, &gone, STATE_TIMEOUT_MS));

	/* Without --count, Ctrl-C ends it. */
	memset(buf, 0, sizeof(buf));
	len = 0;
	pid = ctl_on_pty(endless);
	assert_true(th_wait_until(observers_listed, &peeking, STATE_TIMEOUT_MS));
	assert_int_equal(write(pty_master, "\003", 1), 1);
	assert_int_equal(th_wait_child_within(pid, EXIT_TIMEOUT_MS), 0);
	pty_close();
	assert_true(th_wait_until(observers_listed, &gone, STATE_TIMEOUT_MS));
	/* what it refuses */
	assert_int_equal(CTL(&r, "peek", "followed", "--count", "2"), 2);
	assert_non_null(strstr(r.err, "--count needs --follow"));
	assert_int_equal(te_end(&m), 0);
}

struct pump_args {
	const char *name;
	int ready; /* the child's end: eshm_init's result goes there */
};

/* Attach as master, say so, then write a message every millisecond. */
static int
pump(void *arg)
{
	const struct pump_args *a = arg;
	ESHMHandle *h = tc_attach(a->name, ESHM_ROLE_MASTER, STALE_MS, ESHM_DISCONNECT_NEVER);
	int rc = h != NULL ? 0 : eshm_last_error();
	unsigned long n = 0;
	char msg[32];

	if (write(a->ready, &rc, sizeof(rc)) != sizeof(rc) || h == NULL)
		return 1;
	close(a->ready);
	for (;;) {
		snprintf(msg, sizeof(msg), "tick %lu", n++);
		eshm_write(h, msg, strlen(msg) + 1);
		tc_sleep_ms(1);
	}
}

/* eshmd measures heartbeat rates over whole seconds: wait for the first. */
static bool
master_rate_known(void *arg)
{
	json_object *doc = ctl_json("show", arg);
	bool known = jint(doc, "master.heartbeat_rate") > 0;

	json_object_put(doc);
	if (!known)
		tc_sleep_ms(20);
	return known;
}

static void
watch_prints_plain_snapshots_with_rates_when_not_a_terminal(void **state)
{
	struct tp_output r;
	char f[16][64];
	const char *second;
	struct pump_args a = { .name = "pumped" };
	int ready[2], rc;
	pid_t pumper;

	(void)state;
	/* The segment exists only once the pump attached: wait for its word. */
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	a.ready = ready[1];
	pumper = th_spawn(pump, &a);
	close(ready[1]);
	assert_true(pumper > 0);
	tp_read_full(pumper, ready[0], &rc, sizeof(rc), STATE_TIMEOUT_MS);
	close(ready[0]);
	assert_int_equal(rc, 0);
	wait_state("pumped", "master", "alive");
	assert_true(th_wait_until(master_rate_known, "pumped", STATE_TIMEOUT_MS));

	assert_int_equal(CTL(&r, "watch", "pumped", "--interval", "0.3", "--count", "3"), 0);
	assert_null(strchr(r.out, '\033'));
	assert_int_equal(count_of(r.out, "NAME "), 3);
	/* First snapshot: no rate yet; later ones: the pump's messages per second. */
	assert_int_equal(row_of(r.out, "pumped", f, 16), 16);
	assert_string_equal(f[10], "-");
	second = strstr(strstr(r.out, "NAME ") + 1, "NAME ");
	assert_int_equal(row_of(second, "pumped", f, 16), 16);
	assert_true(atoi(f[10]) > 0);
	assert_true(atoi(f[4]) > 0); /* the master's heartbeats per second */

	kill(pumper, SIGKILL);
	assert_int_equal(th_wait_child_within(pumper, EXIT_TIMEOUT_MS), 128 + SIGKILL);

	/* watch of a segment that does not exist fails like show. */
	assert_int_equal(CTL(&r, "watch", "nosuch", "--count", "1"), 1);
	assert_non_null(strstr(r.err, "no segment named 'nosuch'"));
}

static void
list_colours_states_only_on_a_terminal(void **state)
{
	static const char *const args[] = { "list", NULL };
	static char buf[65536];
	struct te_proc m;
	struct tp_output r;
	size_t len = 0;
	pid_t pid;

	(void)state;
	te_start(&m, "coloured", ESHM_ROLE_MASTER, STALE_MS);
	wait_state("coloured", "master", "alive");
	pid = ctl_on_pty(args);
	tp_read_until(pty_master, buf, sizeof(buf), &len, until_hangup, STATE_TIMEOUT_MS);
	assert_int_equal(th_wait_child_within(pid, EXIT_TIMEOUT_MS), 0);
	pty_close();
	assert_non_null(strstr(buf, "\033[32malive\033[0m"));

	assert_int_equal(CTL(&r, "list"), 0);
	assert_non_null(strstr(r.out, "alive"));
	assert_null(strchr(r.out, '\033'));
	assert_int_equal(te_end(&m), 0);
}

static void
missing_daemon_and_bad_arguments_give_documented_exit_codes(void **state)
{
	static const char *const commands[] = { "status", "list", "show", "watch",
		                                "create", "remove", "peek", "metrics" };
	char nowhere[256];
	struct tp_output r;
	size_t i;

	(void)state;
	snprintf(nowhere, sizeof(nowhere), "%s/absent.sock", daemon_.dir);
	assert_int_equal(CTL(&r, "--socket", nowhere, "list"), 1);
	assert_non_null(strstr(r.err, "eshmd is not running at"));
	assert_non_null(strstr(r.err, nowhere));
	/* a private socket is not systemd's to start */
	assert_null(strstr(r.err, "systemctl"));
	assert_int_equal(r.outlen, 0);
	/* --socket after the command too, for every command that talks. */
	assert_int_equal(CTL(&r, "show", "x", "--socket", nowhere), 1);
	assert_non_null(strstr(r.err, "eshmd is not running at"));

	assert_int_equal(CTL(&r, "--version"), 0);
	assert_non_null(strstr(r.out, "eshmctl"));
	assert_int_equal(CTL(&r, "--help"), 0);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		assert_int_equal(CTL(&r, commands[i], "--help"), 0);
		assert_non_null(strstr(r.out, "Usage: eshmctl"));
		assert_int_equal(CTL(&r, commands[i], "--no-such-option"), 2);
		assert_non_null(strstr(r.err, "unknown option '--no-such-option'"));
	}
	assert_int_equal(CTL(&r), 2);
	assert_int_equal(CTL(&r, "frobnicate"), 2);
	assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
	assert_int_equal(CTL(&r, "list", "extra"), 2);
	assert_non_null(strstr(r.err, "unexpected argument 'extra'"));
	assert_int_equal(CTL(&r, "show"), 2);
	assert_int_equal(CTL(&r, "show", "a", "b"), 2);
	assert_int_equal(CTL(&r, "show", "../etc"), 2);
	assert_non_null(strstr(r.err, "invalid segment name"));
	assert_int_equal(CTL(&r, "create", "x", "--capacity", "lots"), 2);
	assert_int_equal(CTL(&r, "create", "x", "--capacity", "17M"), 2);
	assert_int_equal(CTL(&r, "create", "x", "--stale-ms"), 2);
	assert_non_null(strstr(r.err, "needs an argument"));
	assert_int_equal(CTL(&r, "peek", "x", "--direction", "sideways"), 2);
	assert_int_equal(CTL(&r, "watch", "--interval", "0"), 2);
	/* None of the above reached eshmd, which still has nothing. */
	assert_int_equal(CTL(&r, "show", "x"), 1);
	assert_non_null(strstr(r.err, "no segment named 'x'"));
}

static void
permission_errors_say_so_for_unprivileged_users(void **state)
{
	static const char *const list[] = { "list", NULL };
	static const char *const show[] = { "show", "private", NULL };
	static const char *const peek[] = { "peek", "private", NULL };
	static const char *const remove[] = { "remove", "private", "--force", NULL };
	struct tp_output r;

	(void)state;
	if (getuid() != 0)
		skip();
	assert_int_equal(CTL(&r, "create", "private"), 0);

	/* The test's private directory is 0700 root: nobody cannot reach the socket. */
	ctl_run_as(&r, 65534, list);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "permission denied on eshmd's socket"));
	assert_non_null(strstr(r.err, daemon_.sock));

	/* With the socket in reach, eshmd's policy (owner) decides: nobody does
	 * not see root's segment and may not touch it. */
	assert_int_equal(chmod(daemon_.dir, 0711), 0);
	ctl_run_as(&r, 65534, list);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "private"));
	ctl_run_as(&r, 65534, show);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "access policy keeps uid 65534 away from segment 'private'"));
	ctl_run_as(&r, 65534, peek);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "permission denied"));
	ctl_run_as(&r, 65534, remove);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "permission denied"));
	assert_int_equal(chmod(daemon_.dir, 0700), 0);

	assert_int_equal(CTL(&r, "show", "private"), 0);
	assert_int_equal(CTL(&r, "remove", "private"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(list_and_show_follow_attach_stale_dead_and_detach,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(json_output_parses_and_carries_the_same_facts_as_text,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(show_lists_each_observer_with_what_it_read_and_missed,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(queue_created_by_eshmctl_shows_its_mode_and_fill_level,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_parse_as_prometheus_text_and_agree_with_list,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			remove_refuses_attached_segment_and_force_detaches_endpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(peek_shows_latest_message_without_consuming_it, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(
			peek_follow_observes_the_channel_and_prints_each_new_message, setup, teardown),
		cmocka_unit_test_setup_teardown(
			watch_redraws_in_place_on_a_terminal_and_quits_on_q_or_ctrl_c, setup, teardown),
		cmocka_unit_test_setup_teardown(
			watch_prints_plain_snapshots_with_rates_when_not_a_terminal, setup, teardown),
		cmocka_unit_test_setup_teardown(list_colours_states_only_on_a_terminal, setup, teardown),
		cmocka_unit_test_setup_teardown(
			missing_daemon_and_bad_arguments_give_documented_exit_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(permission_errors_say_so_for_unprivileged_users, setup,
		                                teardown),
	};

	return cmocka_run_group_tests_name("eshmctl", tests, NULL, NULL);
}
