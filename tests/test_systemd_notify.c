/*
 * test_systemd_notify.c - eshmd speaks the sd_notify protocol as
 * eshmd.service (Type=notify, WatchdogSec=) expects: the test binds its
 * own NOTIFY_SOCKET, runs eshmd and reads what it says; clients speak the
 * control protocol raw.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "eshm.h"
#include "harness.h"
#include "raw_client.h"

/* Who WATCHDOG_PID names, if anyone. */
enum nt_wdpid { NT_WDPID_UNSET, NT_WDPID_ESHMD, NT_WDPID_OTHER };

struct nt {
	struct th_daemon d;
	int fd;            /* our end of NOTIFY_SOCKET */
	char path[200];
	char conf[200];    /* configuration file given with --config */
	char status[256];  /* the last STATUS= eshmd sent */
	pid_t sender;      /* pid of the last notification's sender */
};

static int
nt_setup(void **state)
{
	struct nt *t = calloc(1, sizeof(*t));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int on = 1;

	if (t == NULL || th_daemon_prepare(&t->d) < 0)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/notify", t->d.dir);
	snprintf(t->conf, sizeof(t->conf), "%s/eshmd.conf", t->d.dir);
	if (strlen(t->path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, t->path, strlen(t->path) + 1);
	t->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0 || bind(t->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(t->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
		return -1;
	*state = t;
	return 0;
}

static int
nt_teardown(void **state)
{
	struct nt *t = *state;

	th_daemon_cleanup(&t->d);
	close(t->fd);
	free(t);
	return 0;
}

static void
nt_write_conf(struct nt *t, const char *text)
{
	char tmp[220];
	FILE *f;

	/* Replace the file at once, as an editor or a package manager does. */
	snprintf(tmp, sizeof(tmp), "%s.new", t->conf);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, t->conf), 0);
}

/*
 * Run eshmd on the test's socket and prefix with $NOTIFY_SOCKET pointing at
 * us, --config t->conf if @with_conf, and the watchdog environment asked.
 */
static void
nt_spawn(struct nt *t, const char *watchdog_usec, enum nt_wdpid wdpid, bool with_conf)
{
	const char *argv[10] = { "eshmd", "--socket", t->d.sock, "--shm-prefix", t->d.prefix,
		                 "--config", with_conf ? t->conf : "/dev/null", NULL };
	char pidbuf[32];
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int log = open(t->d.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (log >= 0)
			dup2(log, STDERR_FILENO);
		setenv("NOTIFY_SOCKET", t->path, 1);
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		if (watchdog_usec != NULL)
			setenv("WATCHDOG_USEC", watchdog_usec, 1);
		if (wdpid != NT_WDPID_UNSET) {
			snprintf(pidbuf, sizeof(pidbuf), "%ld",
			         (long)(wdpid == NT_WDPID_ESHMD ? getpid() : getppid()));
			setenv("WATCHDOG_PID", pidbuf, 1);
		}
		execv(th_build_path("daemon/eshmd"), (char *const *)argv);
		_exit(127);
	}
	t->d.pid = pid;
}

/*
 * Wait up to @timeout_ms for one notification; copy it (NUL-terminated)
 * into @buf, remember its sender and any STATUS= line.  Returns false on
 * timeout.
 */
static bool
nt_recv(struct nt *t, char *buf, size_t len, int timeout_ms)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
		              .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	const char *status;
	ssize_t n;
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return false;
	n = recvmsg(t->fd, &msg, MSG_DONTWAIT);
	assert_true(n >= 0);
	buf[n] = '\0';
	t->sender = -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			t->sender = cred.pid;
		}
	}
	status = strstr(buf, "STATUS=");
	if (status != NULL && (status == buf || status[-1] == '\n'))
		snprintf(t->status, sizeof(t->status), "%.*s", (int)strcspn(status + 7, "\n"),
		         status + 7);
	return true;
}

/* True if the notification @buf holds the line @line. */
static bool
nt_has_line(const char *buf, const char *line)
{
	size_t l = strlen(line);
	const char *p;

	for (p = buf; (p = strstr(p, line)) != NULL; p += l)
		if ((p == buf || p[-1] == '\n') && (p[l] == '\n' || p[l] == '\0'))
			return true;
	return false;
}

/* Wait up to @timeout_ms for a notification holding @line. */
static bool
nt_wait_line(struct nt *t, const char *line, int timeout_ms)
{
	long long deadline = th_now_ns() + (long long)timeout_ms * 1000000;
	char buf[1024];

	for (;;) {
		int left = (int)((deadline - th_now_ns()) / 1000000);

		if (left <= 0 || !nt_recv(t, buf, sizeof(buf), left))
			return false;
		if (nt_has_line(buf, line))
			return true;
	}
}

/* Wait up to @timeout_ms for a STATUS= holding every one of the words. */
static bool
nt_wait_status(struct nt *t, const char *a, const char *b, int timeout_ms)
{
	long long deadline = th_now_ns() + (long long)timeout_ms * 1000000;
	char buf[1024];

	for (;;) {
		int left = (int)((deadline - th_now_ns()) / 1000000);

		if (strstr(t->status, a) != NULL && (b == NULL || strstr(t->status, b) != NULL))
			return true;
		if (left <= 0 || !nt_recv(t, buf, sizeof(buf), left))
			return false;
	}
}

static bool
nt_connects(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool ok;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		close(fd);
		return false;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * Attach @name as @role on a connection of its own, spoken raw; returns
 * the connection (closing it after a detach ends the endpoint), or -1 with
 * the error in *@err.
 */
static int
nt_attach(struct nt *t, const char *name, ESHMRole role, int *err)
{
	struct proto_attach_reply r;
	struct proto_fds f;
	int fd = proto_connect(t->d.sock);

	*err = fd < 0 ? ESHM_ERROR_DAEMON_UNAVAILABLE
	              : rc_attach_simple(fd, name, (uint32_t)role, &r, &f);
	if (*err != ESHM_SUCCESS) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	proto_fds_close(&f);
	return fd;
}

/* Detach what nt_attach() attached and close its connection. */
static int
nt_detach(int fd, const char *name)
{
	int rc = rc_detach(fd, name);

	close(fd);
	return rc;
}

/* ------------------------------------------------------------- readiness */

static void
ready_sent_by_eshmd_once_its_socket_accepts(void **state)
{
	struct nt *t = *state;
	char buf[1024];

	nt_spawn(t, NULL, NT_WDPID_UNSET, false);
	/* Nothing but STATUS= may come before READY=1, and once READY=1 is
	 * there a client must get through at once: no retry, no sleep. */
	for (;;) {
		assert_true(nt_recv(t, buf, sizeof(buf), 10000));
		if (nt_has_line(buf, "READY=1"))
			break;
		assert_non_null(strstr(buf, "STATUS="));
	}
	assert_true(nt_connects(t->d.sock));
	assert_int_equal(t->sender, t->d.pid);
	/* Without WATCHDOG_USEC there is no watchdog to feed. */
	while (nt_recv(t, buf, sizeof(buf), 500))
		assert_false(nt_has_line(buf, "WATCHDOG=1"));
}

static void
ready_sent_after_recorded_segments_are_restored(void **state)
{
	struct nt *t = *state;
	int m, err;

	/* A segment whose master stays attached across an eshmd restart. */
	assert_int_equal(th_daemon_start(&t->d, NULL), 0);
	m = nt_attach(t, "restored", ESHM_ROLE_MASTER, &err);
	assert_true(m >= 0);
	th_daemon_kill(&t->d);

	nt_spawn(t, NULL, NT_WDPID_UNSET, false);
	assert_true(nt_wait_line(t, "READY=1", 10000));
	/* The STATUS= sent up to READY=1 already counts the restored ones. */
	print_message("status at READY=1: %s\n", t->status);
	assert_non_null(strstr(t->status, "1 segments"));
	assert_non_null(strstr(t->status, "1 alive"));
	close(m);
}

static void
status_counts_endpoints_as_clients_attach_and_detach(void **state)
{
	struct nt *t = *state;
	int m, s, err;

	nt_spawn(t, NULL, NT_WDPID_UNSET, false);
	assert_true(nt_wait_line(t, "READY=1", 10000));
	m = nt_attach(t, "counted", ESHM_ROLE_MASTER, &err);
	assert_true(m >= 0);
	assert_true(nt_wait_status(t, "1 segments", "1 alive", 5000));
	s = nt_attach(t, "counted", ESHM_ROLE_SLAVE, &err);
	assert_true(s >= 0);
	assert_true(nt_wait_status(t, "1 segments", "2 alive", 5000));
	assert_int_equal(nt_detach(s, "counted"), ESHM_SUCCESS);
	assert_true(nt_wait_status(t, "1 alive", NULL, 5000));
	assert_int_equal(nt_detach(m, "counted"), ESHM_SUCCESS);
	assert_true(nt_wait_status(t, "0 alive", NULL, 5000));
}

/* -------------------------------------------------------------- watchdog */

#define NT_WATCHDOG_USEC 400000
#define NT_WATCHDOG_WINDOW_MS 2000

static void
watchdog_pings_every_half_interval_when_watchdog_pid_is_eshmd(void **state)
{
	struct nt *t = *state;
	long long start, last, gap_max = 0, now;
	char buf[1024];
	int pings = 0;

	nt_spawn(t, "400000", NT_WDPID_ESHMD, false);
	assert_true(nt_wait_line(t, "READY=1", 10000));
	start = last = th_now_ns();
	while ((now = th_now_ns()) - start < NT_WATCHDOG_WINDOW_MS * 1000000LL) {
		if (!nt_recv(t, buf, sizeof(buf), 50))
			continue;
		if (!nt_has_line(buf, "WATCHDOG=1"))
			continue;
		assert_int_equal(t->sender, t->d.pid);
		now = th_now_ns();
		if (now - last > gap_max)
			gap_max = now - last;
		last = now;
		pings++;
	}
	/* Expected 2000/200 = 10 pings; a loaded machine delays some and the
	 * window's edges cut others, but every gap stays under the interval
	 * systemd would kill at, and there is no ping storm. */
	print_message("# %d pings in %d ms, longest gap %lld ms\n", pings, NT_WATCHDOG_WINDOW_MS,
	              gap_max / 1000000);
	assert_in_range(pings, 6, 14);
	assert_true(gap_max < NT_WATCHDOG_USEC * 1000LL);
}

static void
watchdog_silent_when_watchdog_pid_names_another_process(void **state)
{
	struct nt *t = *state;
	char buf[1024];

	nt_spawn(t, "400000", NT_WDPID_OTHER, false);
	assert_true(nt_wait_line(t, "READY=1", 10000));
	while (nt_recv(t, buf, sizeof(buf), 1000))
		assert_false(nt_has_line(buf, "WATCHDOG=1"));
}

/* -------------------------------------------------------------- stopping */

static void
stopping_sent_on_sigterm_before_a_clean_exit(void **state)
{
	struct nt *t = *state;

	nt_spawn(t, NULL, NT_WDPID_UNSET, false);
	assert_true(nt_wait_line(t, "READY=1", 10000));
	assert_int_equal(kill(t->d.pid, SIGTERM), 0);
	assert_true(nt_wait_line(t, "STOPPING=1", 5000));
	assert_int_equal(th_wait_child(t->d.pid), 0);
	t->d.pid = -1;
}

/* ---------------------------------------------------------------- reload */

/* SIGHUP and wait for RELOADING=1 followed by READY=1. */
static void
nt_reload(struct nt *t)
{
	assert_int_equal(kill(t->d.pid, SIGHUP), 0);
	assert_true(nt_wait_line(t, "RELOADING=1", 5000));
	assert_true(nt_wait_line(t, "READY=1", 5000));
}

static void
sighup_applies_a_changed_file(void **state)
{
	struct nt *t = *state;
	int a, b, err;

	nt_write_conf(t, "[limits]\nmax_segments = 2\n");
	nt_spawn(t, NULL, NT_WDPID_UNSET, true);
	assert_true(nt_wait_line(t, "READY=1", 10000));
	a = nt_attach(t, "first", ESHM_ROLE_MASTER, &err);
	assert_true(a >= 0);

	nt_write_conf(t, "[limits]\nmax_segments = 1\n");
	nt_reload(t);
	b = nt_attach(t, "second", ESHM_ROLE_MASTER, &err);
	assert_int_equal(b, -1);
	assert_int_equal(err, ESHM_ERROR_LIMIT);
	assert_int_equal(nt_detach(a, "first"), ESHM_SUCCESS);
}

static void
sighup_keeps_the_running_settings_when_the_file_is_bad(void **state)
{
	struct nt *t = *state;
	int a, b, err;

	nt_write_conf(t, "[limits]\nmax_segments = 1\n");
	nt_spawn(t, NULL, NT_WDPID_UNSET, true);
	assert_true(nt_wait_line(t, "READY=1", 10000));
	a = nt_attach(t, "first", ESHM_ROLE_MASTER, &err);
	assert_true(a >= 0);

	/* A valid line before a bad one: none of the file may be applied. */
	nt_write_conf(t, "[limits]\nmax_segments = 10\nno_such_key = 1\n");
	nt_reload(t);
	b = nt_attach(t, "second", ESHM_ROLE_MASTER, &err);
	assert_int_equal(b, -1);
	assert_int_equal(err, ESHM_ERROR_LIMIT);
	assert_int_equal(kill(t->d.pid, 0), 0);

	/* The same file, corrected, is applied by the next SIGHUP. */
	nt_write_conf(t, "[limits]\nmax_segments = 10\n");
	nt_reload(t);
	b = nt_attach(t, "second", ESHM_ROLE_MASTER, &err);
	assert_true(b >= 0);
	assert_int_equal(nt_detach(b, "second"), ESHM_SUCCESS);
	assert_int_equal(nt_detach(a, "first"), ESHM_SUCCESS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ready_sent_by_eshmd_once_its_socket_accepts,
		                                nt_setup, nt_teardown),
		cmocka_unit_test_setup_teardown(ready_sent_after_recorded_segments_are_restored,
		                                nt_setup, nt_teardown),
		cmocka_unit_test_setup_teardown(status_counts_endpoints_as_clients_attach_and_detach,
		                                nt_setup, nt_teardown),
		cmocka_unit_test_setup_teardown(
			watchdog_pings_every_half_interval_when_watchdog_pid_is_eshmd, nt_setup,
			nt_teardown),
		cmocka_unit_test_setup_teardown(
			watchdog_silent_when_watchdog_pid_names_another_process, nt_setup,
			nt_teardown),
		cmocka_unit_test_setup_teardown(stopping_sent_on_sigterm_before_a_clean_exit,
		                                nt_setup, nt_teardown),
		cmocka_unit_test_setup_teardown(sighup_applies_a_changed_file, nt_setup,
		                                nt_teardown),
		cmocka_unit_test_setup_teardown(
			sighup_keeps_the_running_settings_when_the_file_is_bad, nt_setup,
			nt_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("systemd_notify", tests, NULL, NULL);
}
