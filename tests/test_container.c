/*
 * test_container.c - a client in a container works: in its own user, pid,
 * IPC and mount namespaces, with a private 64 KiB tmpfs on /dev/shm and
 * only eshmd's socket reachable, it attaches, exchanges messages with a
 * peer outside, and is reported dead when killed.  Segments are memfds
 * passed over the socket, so the container needs no shared /dev/shm.
 *
 * Skipped with a reason where namespaces cannot be made here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

#define CT_SEGMENT "from-a-container"

/* What the container reports on its pipe. */
enum { CT_CANNOT = 'n', CT_ATTACHED = 'a', CT_GOT_REPLY = 'r', CT_FAILED = 'f' };

static struct th_daemon daemon_;

static int
ct_write_map(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return rc;
}

static void
ct_say(int fd, char what)
{
	if (write(fd, &what, 1) != 1)
		_exit(9);
}

/* Inside: pid 1 of the new pid namespace, with its own /dev/shm. */
static int
ct_inside(int report)
{
	unsigned char buf[64];
	ESHMHandle *h;
	size_t n;
	int rc;

	tf_die_with_parent();
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0) {
		ct_say(report, CT_CANNOT);
		return 0;
	}
	h = tc_attach(CT_SEGMENT, ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	if (h == NULL) {
		ct_say(report, CT_FAILED);
		return 1;
	}
	ct_say(report, CT_ATTACHED);
	eshm_write(h, "ping from inside", 17);
	rc = eshm_read_timeout(h, buf, sizeof(buf), &n, 10000);
	ct_say(report, rc == ESHM_SUCCESS && n == 18 && memcmp(buf, "pong from outside", 18) == 0
	                       ? CT_GOT_REPLY
	                       : CT_FAILED);
	for (;;)
		pause(); /* until the test kills it */
}

struct ct_args {
	int report;
	int pid_out;      /* where the outer pid of pid 1 goes */
};

static int
ct_container(void *arg)
{
	struct ct_args *a = arg;
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	pid_t inner;

	tf_die_with_parent();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID) != 0) {
		ct_say(a->report, CT_CANNOT);
		return 0;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (ct_write_map("/proc/self/uid_map", map) != 0 ||
	    ct_write_map("/proc/self/setgroups", "deny") != 0) {
		ct_say(a->report, CT_CANNOT);
		return 0;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (ct_write_map("/proc/self/gid_map", map) != 0) {
		ct_say(a->report, CT_CANNOT);
		return 0;
	}
	inner = fork();
	if (inner < 0)
		return 1;
	if (inner == 0)
		_exit(ct_inside(a->report));
	if (write(a->pid_out, &inner, sizeof(inner)) != (ssize_t)sizeof(inner))
		return 1;
	waitpid(inner, NULL, 0);
	return 0;
}

static char
ct_hear(int fd)
{
	char c = CT_FAILED;

	if (read(fd, &c, 1) != 1)
		return CT_FAILED;
	return c;
}

struct ct_remote {
	ESHMHandle *h;
};

static bool
ct_remote_dead(void *arg)
{
	struct ct_remote *r = arg;
	ESHMStats st;

	return eshm_get_stats(r->h, &st) == 0 && st.remote_is_dead;
}

static void
container_client_attaches_exchanges_and_is_seen_dead(void **state)
{
	int report[2], pids[2];
	struct ct_remote r;
	struct ct_args a;
	unsigned char buf[64];
	pid_t container, inner;
	bool alive;
	size_t n;
	char c;

	(void)state;
	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	assert_int_equal(pipe(report), 0);
	assert_int_equal(pipe(pids), 0);
	a.report = report[1];
	a.pid_out = pids[1];
	container = th_spawn(ct_container, &a);
	close(report[1]);
	close(pids[1]);
	c = ct_hear(report[0]);
	if (c == CT_CANNOT) {
		th_wait_child_within(container, 5000);
		skip();
	}
	assert_int_equal(c, CT_ATTACHED);
	assert_int_equal(read(pids[0], &inner, sizeof(inner)), (ssize_t)sizeof(inner));

	r.h = tc_attach(CT_SEGMENT, ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	assert_non_null(r.h);
	assert_int_equal(eshm_read_timeout(r.h, buf, sizeof(buf), &n, 10000), ESHM_SUCCESS);
	assert_int_equal(n, 17);
	assert_memory_equal(buf, "ping from inside", 17);
	assert_int_equal(eshm_write(r.h, "pong from outside", 18), ESHM_SUCCESS);
	assert_int_equal(ct_hear(report[0]), CT_GOT_REPLY);
	assert_int_equal(eshm_check_remote_alive(r.h, &alive), ESHM_SUCCESS);
	assert_true(alive);

	/* Killed from outside by its outer pid: eshmd's pidfd of it fires. */
	assert_int_equal(kill(inner, SIGKILL), 0);
	assert_true(th_wait_until(ct_remote_dead, &r, 5000));
	assert_int_equal(eshm_check_remote_alive(r.h, &alive), ESHM_SUCCESS);
	assert_false(alive);
	eshm_destroy(r.h);
	th_wait_child_within(container, 5000);
	close(report[0]);
	close(pids[0]);
}

static int
ct_teardown(void **state)
{
	(void)state;
	th_daemon_cleanup(&daemon_);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(container_client_attaches_exchanges_and_is_seen_dead,
		                          ct_teardown),
	};

	return cmocka_run_group_tests_name("container", tests, NULL, NULL);
}
