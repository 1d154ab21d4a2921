/*
 * test_daemon_limits.c - no user can starve another: per-user limits on
 * segments, bytes and connections stop only that user; connections beyond
 * a limit are accepted, told ESHM_ERROR_LIMIT and closed, never left in
 * the backlog; one connection stays for root; and clients that ask for a
 * long LIST and never read cost eshmd a bounded amount of memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eshm.h"
#include "harness.h"
#include "raw_client.h"
#include "user_util.h"

/* eshmd's peak RSS may grow by at most this while 1,000 clients leave a
 * LIST of 4,000 segments unread (it keeps one item per connection). */
#define LIST_GROWTH_BOUND_KB (16 * 1024)
#define LIST_SEGMENTS 4000
#define LIST_CLIENTS 1000

static struct th_daemon daemon_;
static struct tu_user user_a = {"eshmt-lim-a", 0, 0};
static struct tu_user user_b = {"eshmt-lim-b", 0, 0};
#define ADMIN_GROUP "eshmt-lim-adm"

static int
group_setup(void **state)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (geteuid() == 0 && (tu_add(&user_a) < 0 || tu_add(&user_b) < 0 ||
	                       system("groupadd -f " ADMIN_GROUP " && usermod -aG " ADMIN_GROUP
	                              " eshmt-lim-a") != 0))
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	if (geteuid() == 0) {
		tu_del(&user_a);
		tu_del(&user_b);
		if (system("groupdel " ADMIN_GROUP " 2>/dev/null") != 0) {
			/* left for the next run's groupadd -f */
		}
	}
	return 0;
}

static int
teardown(void **state)
{
	th_daemon_cleanup(&daemon_);
	return 0;
}

/* Start eshmd with the configuration @conf, its socket open to every user. */
static void
start(const char *conf)
{
	char path[256];
	const char *extra[] = {"--config", path, NULL};
	FILE *f;

	assert_int_equal(th_daemon_prepare(&daemon_), 0);
	snprintf(path, sizeof(path), "%s/eshmd.conf", daemon_.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(conf, f);
	fclose(f);
	assert_int_equal(chmod(daemon_.dir, 0711), 0);
	assert_int_equal(th_daemon_start(&daemon_, extra), 0);
	assert_int_equal(chmod(daemon_.sock, 0666), 0);
}

/*
 * Connect and expect to be refused at once: a PROTO_REP_STATUS with id 0
 * and ESHM_ERROR_LIMIT whose message holds @limit, then a hang-up.
 * Returns 0 if so.
 */
static int
refused(const char *limit)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	const struct proto_hdr *hdr = NULL;
	const struct proto_status *st;
	int fd = proto_connect(daemon_.sock);
	ssize_t n;

	if (fd < 0)
		return 1;
	n = proto_recv(fd, buf, NULL, RC_TIMEOUT_MS);
	if (n <= 0 || proto_parse(buf, (size_t)n, &hdr, (const void **)&st) != 0 ||
	    hdr->type != PROTO_REP_STATUS || hdr->id != 0 || st->status != ESHM_ERROR_LIMIT ||
	    strstr(st->message, limit) == NULL)
		return 2;
	n = proto_recv(fd, buf, NULL, RC_TIMEOUT_MS);
	close(fd);
	return n == 0 ? 0 : 3;
}

/* The connection @fd is served. */
static bool
served(int fd)
{
	struct proto_status_reply r;

	return fd >= 0 && rc_status(fd, &r) == ESHM_SUCCESS;
}

static int ready_pipe[2], done_pipe[2];

/* User B fills every limit of its own, then holds its connections. */
static int
user_b_at_its_limits(void *arg)
{
	int c[3], i, rc;
	char byte;

	for (i = 0; i < 3; i++) {
		c[i] = proto_connect(daemon_.sock);
		if (!served(c[i]))
			return 10 + i;
	}
	if (rc_create(c[0], "b1", 64, 0) != ESHM_SUCCESS)
		return 20;
	if (rc_create(c[0], "b_big", 100000, 0) != ESHM_ERROR_LIMIT)
		return 21;
	if (rc_create(c[0], "b2", 64, 0) != ESHM_SUCCESS)
		return 22;
	if (rc_create(c[0], "b3", 64, 0) != ESHM_ERROR_LIMIT)
		return 23;
	rc = refused("max_connections_per_user");
	if (rc != 0)
		return 30 + rc;
	if (write(ready_pipe[1], "r", 1) != 1 || read(done_pipe[0], &byte, 1) != 1)
		return 40;
	return 0;
}

static int
user_a_attaches(void *arg)
{
	struct proto_attach_reply r;
	struct proto_fds f;
	int fd = proto_connect(daemon_.sock), rc;

	if (fd < 0)
		return 1;
	rc = rc_attach_simple(fd, "a1", ESHM_ROLE_MASTER, &r, &f);
	proto_fds_close(&f);
	close(fd);
	return -rc;
}

static void
user_b_at_its_limits_stops_neither_user_a_nor_root(void **state)
{
	struct proto_status_reply st;
	int root;
	pid_t b;

	if (geteuid() != 0)
		skip();
	start("[limits]\nmax_segments_per_user = 2\nmax_bytes_per_user = 200000\n"
	      "max_connections_per_user = 3\n");
	assert_int_equal(pipe(ready_pipe), 0);
	assert_int_equal(pipe(done_pipe), 0);
	b = tu_spawn_as(&user_b, user_b_at_its_limits, NULL);
	assert_true(b > 0);
	{
		char byte;

		assert_int_equal(read(ready_pipe[0], &byte, 1), 1);
	}
	/* B holds three connections and two segments: A and root are served */
	assert_int_equal(tu_run_as(&user_a, user_a_attaches, NULL), 0);
	root = proto_connect(daemon_.sock);
	assert_int_equal(rc_status(root, &st), ESHM_SUCCESS);
	assert_int_equal(st.total.segments, 3);
	assert_int_equal(st.user.segments, 0);
	assert_true(st.total.connections >= 4);
	assert_int_equal(write(done_pipe[1], "d", 1), 1);
	assert_int_equal(th_wait_child(b), 0);
	close(root);
	close(ready_pipe[0]);
	close(ready_pipe[1]);
	close(done_pipe[0]);
	close(done_pipe[1]);
}

/* User B opens connections until refused; returns how many it got. */
static int
user_b_fills_the_connections(void *arg)
{
	int n = 0;

	for (;;) {
		int fd = proto_connect(daemon_.sock);

		if (!served(fd))
			break;
		n++;
	}
	if (refused("max_connections") != 0)
		return 100;
	if (write(ready_pipe[1], &n, sizeof(n)) != sizeof(n))
		return 101;
	for (;;)
		pause();
}

/* A new connection of this process is served (and closed again). */
static bool
root_served(void *arg)
{
	int fd = proto_connect(daemon_.sock);
	bool ok = served(fd);

	(void)arg;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void
connections_beyond_the_limit_refused_at_once_and_the_last_kept_for_root(void **state)
{
	int n = 0, root, extra;
	pid_t b;

	if (geteuid() != 0)
		skip();
	start("[limits]\nmax_connections = 6\nmax_connections_per_user = 100\n");
	assert_int_equal(pipe(ready_pipe), 0);
	b = tu_spawn_as(&user_b, user_b_fills_the_connections, NULL);
	assert_int_equal(read(ready_pipe[0], &n, sizeof(n)), sizeof(n));
	/* one connection is reserved for root and admin_group */
	assert_int_equal(n, 5);
	root = proto_connect(daemon_.sock);
	assert_true(served(root));
	/* and then even root is told, not left waiting in the backlog */
	assert_int_equal(refused("max_connections = 6"), 0);
	extra = proto_connect(daemon_.sock);
	assert_false(served(extra));
	close(extra);
	kill(b, SIGKILL);
	th_wait_child(b);
	close(root);
	close(ready_pipe[0]);
	close(ready_pipe[1]);
	/* the counts go back down with the connections, once eshmd has seen
	 * B's hang up */
	assert_true(th_wait_until(root_served, NULL, 5000));
}

static int
admin_is_served(void *arg)
{
	return served(proto_connect(daemon_.sock)) ? 0 : 1;
}

static void
the_reserved_connection_goes_to_members_of_admin_group(void **state)
{
	int n = 0;
	pid_t b;

	if (geteuid() != 0)
		skip();
	start("[limits]\nmax_connections = 4\n[access]\nadmin_group = " ADMIN_GROUP "\n");
	assert_int_equal(pipe(ready_pipe), 0);
	b = tu_spawn_as(&user_b, user_b_fills_the_connections, NULL);
	assert_int_equal(read(ready_pipe[0], &n, sizeof(n)), sizeof(n));
	assert_int_equal(n, 3);
	/* user A is in admin_group: the last slot is its */
	assert_int_equal(tu_run_as(&user_a, admin_is_served, NULL), 0);
	kill(b, SIGKILL);
	th_wait_child(b);
	close(ready_pipe[0]);
	close(ready_pipe[1]);
}

/* Wait until eshmd has sent something to every one of @fds[@n]. */
static bool
all_readable(const int *fds, int n, int timeout_ms)
{
	long long deadline = th_now_ns() + (long long)timeout_ms * 1000000;
	int i = 0;

	while (i < n) {
		struct pollfd p = {fds[i], POLLIN, 0};

		if (poll(&p, 1, 10) == 1)
			i++;
		else if (th_now_ns() > deadline)
			return false;
	}
	return true;
}

static void
list_to_clients_that_do_not_read_costs_bounded_memory(void **state)
{
	static int fds[LIST_CLIENTS];
	struct proto_hdr h = {PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_LIST, 0, 5};
	long before, after, rss;
	char name[32];
	int root, i;
	long long t0;

	start("[limits]\nmax_connections = 1100\nmax_connections_per_user = 1100\n");
	root = proto_connect(daemon_.sock);
	for (i = 0; i < LIST_SEGMENTS; i++) {
		snprintf(name, sizeof(name), "list.%d", i);
		assert_int_equal(rc_create(root, name, 64, 0), ESHM_SUCCESS);
	}
	before = rc_proc_kb(daemon_.pid, "VmHWM");
	t0 = th_now_ns();
	for (i = 0; i < LIST_CLIENTS; i++) {
		fds[i] = proto_connect(daemon_.sock);
		assert_true(fds[i] >= 0);
		assert_int_equal(send(fds[i], &h, sizeof(h), MSG_NOSIGNAL), (ssize_t)sizeof(h));
	}
	assert_true(all_readable(fds, LIST_CLIENTS, 30000));
	/* eshmd still answers everyone else at once */
	assert_true(served(root));
	after = rc_proc_kb(daemon_.pid, "VmHWM");
	rss = rc_proc_kb(daemon_.pid, "VmRSS");
	print_message("# %d segments, %d clients not reading a LIST: peak RSS %ld -> %ld kB "
	              "(+%ld kB, bound %d kB), RSS now %ld kB, %lld ms\n",
	              LIST_SEGMENTS, LIST_CLIENTS, before, after, after - before,
	              LIST_GROWTH_BOUND_KB, rss, (th_now_ns() - t0) / 1000000);
	assert_true(before > 0 && after > 0);
	assert_true(after - before < LIST_GROWTH_BOUND_KB);
	for (i = 0; i < LIST_CLIENTS; i++)
		close(fds[i]);
	close(root);
}

static void
own_socket_0660_in_a_directory_nobody_else_may_write(void **state)
{
	struct stat st;
	char dir[200];

	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	assert_int_equal(stat(daemon_.sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	th_daemon_cleanup(&daemon_);

	/* a directory others may write (not sticky): eshmd refuses to start */
	assert_int_equal(th_daemon_prepare(&daemon_), 0);
	snprintf(dir, sizeof(dir), "%s", daemon_.dir);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(th_daemon_start(&daemon_, NULL), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(th_log_count(&daemon_, "writable by others"), 1);
	/* sticky, as /tmp: accepted */
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(user_b_at_its_limits_stops_neither_user_a_nor_root,
		                          teardown),
		cmocka_unit_test_teardown(
			connections_beyond_the_limit_refused_at_once_and_the_last_kept_for_root,
			teardown),
		cmocka_unit_test_teardown(the_reserved_connection_goes_to_members_of_admin_group,
		                          teardown),
		cmocka_unit_test_teardown(list_to_clients_that_do_not_read_costs_bounded_memory,
		                          teardown),
		cmocka_unit_test_teardown(own_socket_0660_in_a_directory_nobody_else_may_write,
		                          teardown),
	};

	return cmocka_run_group_tests_name("daemon_limits", tests, group_setup, group_teardown);
}
