/*
 * proc_util.c - programs run as child processes, their output collected
 * through pipes or a pseudo-terminal within time bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmp.h>

#include "harness.h"

int
tp_exec_main(void *arg)
{
	const struct tp_exec *a = arg;
	const pid_t parent = getppid();
	int i;

	if (a->tty >= 0) {
		/* A new session on the terminal, as forkpty() would make, and a
		 * terminal type that has colours. */
		if (login_tty(a->tty) != 0)
			return 126;
		setenv("TERM", "xterm", 1);
		unsetenv("NO_COLOR");
	}
	for (i = 0; a->tty < 0 && i < 3; i++)
		if (a->fd[i] >= 0 && dup2(a->fd[i], i) < 0)
			return 126;
	if (a->uid != (uid_t)-1) {
		if (setgid(a->uid) != 0 || setuid(a->uid) != 0)
			return 126;
		/* A change of user clears the parent-death signal: arm it again. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			return 126;
	}
	execv(a->argv[0], (char *const *)a->argv);
	return 127;
}

void
tp_reachable_copy(const char *path, char *copy, size_t cap)
{
	char dir[] = "/tmp/eshm-prog.XXXXXX", name[256], buf[65536];
	int in, out;
	ssize_t n;

	snprintf(name, sizeof(name), "%s", path);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	assert_true((size_t)snprintf(copy, cap, "%s/%s", dir, basename(name)) < cap);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	assert_true(out >= 0);
	n = read(in, buf, sizeof(buf));
	if (n < 4 || memcmp(buf, "\177ELF", 4) != 0)
		fail_msg("%s is not an executable of its own (a libtool wrapper?)", path);
	do {
		assert_int_equal(write(out, buf, (size_t)n), n);
	} while ((n = read(in, buf, sizeof(buf))) > 0);
	assert_int_equal(n, 0);
	close(in);
	/* Closed before anyone runs it: an open writer makes exec fail (ETXTBSY). */
	assert_int_equal(fchmod(out, 0755), 0);
	assert_int_equal(close(out), 0);
}

void
tp_remove_copy(const char *copy)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", copy);
	unlink(copy);
	rmdir(dirname(dir));
}

bool
tp_drain(int fd, char *buf, size_t cap, size_t *len)
{
	char scratch[4096];
	ssize_t n;
	size_t take;

	n = read(fd, scratch, sizeof(scratch));
	if (n <= 0)
		return n < 0 && errno == EINTR;
	take = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;
	memcpy(buf + *len, scratch, take);
	*len += take;
	buf[*len] = '\0';
	return true;
}

int
tp_run(struct tp_output *o, const char *const *argv, uid_t uid, int timeout_ms)
{
	int out[2], err[2];
	struct tp_exec a;
	struct pollfd pfd[2];
	long long deadline;
	bool open_out = true, open_err = true;
	char name[256];
	pid_t pid;

	memset(o, 0, sizeof(*o));
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	a = (struct tp_exec){ .argv = argv, .fd = { -1, out[1], err[1] }, .tty = -1, .uid = uid };
	pid = th_spawn(tp_exec_main, &a);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(out[0]);
		close(err[0]);
		fail_msg("cannot fork: %s", strerror(errno));
	}
	deadline = th_now_ns() + timeout_ms * 1000000LL;
	while ((open_out || open_err) && th_now_ns() < deadline) {
		pfd[0] = (struct pollfd){ .fd = open_out ? out[0] : -1, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = open_err ? err[0] : -1, .events = POLLIN };
		if (poll(pfd, 2, 100) <= 0)
			continue;
		if (pfd[0].revents != 0)
			open_out = tp_drain(out[0], o->out, sizeof(o->out), &o->outlen);
		if (pfd[1].revents != 0)
			open_err = tp_drain(err[0], o->err, sizeof(o->err), &o->errlen);
	}
	close(out[0]);
	close(err[0]);
	/* Output closed: the exit follows at once, unless something is wrong. */
	o->status = th_wait_child_within(pid, open_out || open_err ? 0 : timeout_ms);
	if (open_out || open_err || o->status < 0) {
		snprintf(name, sizeof(name), "%s", argv[0]);
		fail_msg("%s %s did not finish within %d ms; it printed: %s%s", basename(name),
		         argv[1] ? argv[1] : "", timeout_ms, o->out, o->err);
	}
	return o->status;
}

pid_t
tp_run_on_pty(const char *const *argv, int *master)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 200 };
	struct tp_exec a;
	int slave;
	pid_t pid;

	assert_int_equal(openpty(master, &slave, NULL, NULL, &ws), 0);
	/* Only the program may hold the terminal, or its hang-up never comes. */
	assert_int_equal(fcntl(*master, F_SETFD, FD_CLOEXEC), 0);
	assert_int_equal(fcntl(slave, F_SETFD, FD_CLOEXEC), 0);
	a = (struct tp_exec){ .argv = argv, .fd = { -1, -1, -1 }, .tty = slave, .uid = (uid_t)-1 };
	pid = th_spawn(tp_exec_main, &a);
	close(slave);
	assert_true(pid > 0);
	return pid;
}

bool
tp_read_until(int fd, char *buf, size_t cap, size_t *len, bool (*done)(const char *),
              int timeout_ms)
{
	long long deadline = th_now_ns() + timeout_ms * 1000000LL;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (!done(buf) && th_now_ns() < deadline) {
		if (poll(&pfd, 1, 100) == 1 && !tp_drain(fd, buf, cap, len))
			return done(buf);
	}
	return done(buf);
}

void
tp_read_full(pid_t pid, int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (poll(&pfd, 1, timeout_ms) != 1)
			fail_msg("child %d did not answer", (int)pid);
		n = read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			fail_msg("child %d hung up", (int)pid);
		done += (size_t)n;
	}
}
