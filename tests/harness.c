/*
 * harness.c - a private eshmd per test, child processes, waiting for events.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool
th_expect_pidfds(void)
{
	const char *no = getenv("ESHM_TEST_NO_PIDFD");

	return no == NULL || no[0] == '\0' || strcmp(no, "0") == 0;
}

long long
th_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

const char *
th_build_path(const char *relative)
{
	static char path[4][512];
	static int next;
	const char *top = getenv("ESHM_TEST_BUILDDIR");
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", top ? top : ".", relative);
	return p;
}

int
th_daemon_prepare(struct th_daemon *d)
{
	static unsigned counter;
	char tmpl[] = "/tmp/eshm-test.XXXXXX";

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(d->dir, sizeof(d->dir), "%s", tmpl);
	snprintf(d->sock, sizeof(d->sock), "%s/eshmd.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/eshmd.log", d->dir);
	snprintf(d->prefix, sizeof(d->prefix), "eshmt.%ld.%u.", (long)getpid(), ++counter);
	setenv("ESHM_SOCKET", d->sock, 1);
	return 0;
}

static bool
th_socket_answers(const struct th_daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ok;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", d->sock);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Done waiting for a starting eshmd: it answers, or it exited (reaped). */
static bool
th_daemon_settled(void *arg)
{
	struct th_daemon *d = arg;

	if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
		d->pid = -1;
		return true;
	}
	return th_socket_answers(d);
}

/* In the child: pass @m's descriptors as 3, 4, ... and its environment. */
static void
th_pass_manager(const struct th_manager *m)
{
	char names[4096] = "", num[32];
	int high[64], i, n = m != NULL && m->nfds < 64 ? m->nfds : 0;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (m == NULL)
		return;
	if (m->notify_socket != NULL)
		setenv("NOTIFY_SOCKET", m->notify_socket, 1);
	if (n == 0)
		return;
	/* Out of the way first, so no source is overwritten by a target. */
	for (i = 0; i < n; i++)
		high[i] = fcntl(m->fds[i], F_DUPFD, 1000);
	for (i = 0; i < n; i++) {
		dup2(high[i], 3 + i);
		close(high[i]);
		if (i > 0)
			strncat(names, ":", sizeof(names) - strlen(names) - 1);
		strncat(names, m->names[i], sizeof(names) - strlen(names) - 1);
	}
	snprintf(num, sizeof(num), "%d", n);
	setenv("LISTEN_FDS", num, 1);
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	setenv("LISTEN_PID", num, 1);
	setenv("LISTEN_FDNAMES", names, 1);
}

static int
th_spawn_daemon(struct th_daemon *d, const char *eshmd, const char *const *extra,
                const struct th_manager *m)
{
	const char *argv[32];
	int argc = 0, i;
	pid_t pid;

	if (d->dir[0] == '\0' && th_daemon_prepare(d) < 0)
		return -1;
	argv[argc++] = eshmd;
	argv[argc++] = "--socket";
	argv[argc++] = d->sock;
	argv[argc++] = "--shm-prefix";
	argv[argc++] = d->prefix;
	argv[argc++] = "--config";
	argv[argc++] = "/dev/null";
	for (i = 0; extra && extra[i] && argc < 31; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		/* stdout too: a caller's own output (TAP, JSON) stays clean. */
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		th_pass_manager(m);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	d->pid = pid;
	if (!th_wait_until(th_daemon_settled, d, 10000)) {
		th_daemon_kill(d);
		errno = ETIMEDOUT;
		return -1;
	}
	if (d->pid < 0) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

int
th_daemon_spawn(struct th_daemon *d, const char *eshmd, const char *const *extra)
{
	return th_spawn_daemon(d, eshmd, extra, NULL);
}

int
th_daemon_start_managed(struct th_daemon *d, const char *const *extra, const struct th_manager *m)
{
	return th_spawn_daemon(d, th_build_path("daemon/eshmd"), extra, m);
}

int
th_daemon_start(struct th_daemon *d, const char *const *extra)
{
	return th_daemon_spawn(d, th_build_path("daemon/eshmd"), extra);
}

int
th_daemon_start_conf(struct th_daemon *d, const char *conf)
{
	char path[sizeof(d->dir) + 16];
	const char *extra[] = { "--config", path, NULL };
	FILE *f;

	if (th_daemon_prepare(d) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/eshmd.conf", d->dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(conf, f);
	if (fclose(f) != 0)
		return -1;
	return th_daemon_start(d, extra);
}

int
th_daemon_stop(struct th_daemon *d)
{
	int rc;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	rc = th_wait_child(d->pid);
	d->pid = -1;
	return rc;
}

int
th_daemon_stop_within(struct th_daemon *d, int timeout_ms)
{
	int rc;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	rc = th_wait_child_within(d->pid, timeout_ms);
	d->pid = -1;
	return rc;
}

void
th_daemon_kill(struct th_daemon *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	th_wait_child(d->pid);
	d->pid = -1;
}

struct th_daemon th_group_daemon;

int
th_group_setup(void **state)
{
	return th_daemon_start(&th_group_daemon, NULL);
}

int
th_group_teardown(void **state)
{
	th_daemon_cleanup(&th_group_daemon);
	return 0;
}

/* Unlink every object with @prefix if @unlink_them; return how many there were. */
static int
th_shm_scan(const char *prefix, bool unlink_them)
{
	DIR *dir = opendir("/dev/shm");
	struct dirent *de;
	size_t len = strlen(prefix);
	int n = 0;

	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, prefix, len) != 0)
			continue;
		n++;
		if (unlink_them)
			shm_unlink(de->d_name);
	}
	closedir(dir);
	return n;
}

int
th_log_count(const struct th_daemon *d, const char *needle)
{
	FILE *f = fopen(d->log, "re");
	char line[2048];
	int n = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

int
th_shm_count(const char *prefix)
{
	return th_shm_scan(prefix, false);
}

/* Remove @dir and what is in it: the socket, the log, eshmd's records
 * directory, and whatever configuration or socket the caller put there
 * (one level of directories). */
static void
th_remove_dir(const char *dir, int depth)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char path[512];

	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0 && errno == EISDIR && depth > 0)
			th_remove_dir(path, depth - 1);
	}
	if (dp != NULL)
		closedir(dp);
	rmdir(dir);
}

int
th_daemon_cleanup(struct th_daemon *d)
{
	int left;

	th_kill_children();
	if (d->pid > 0)
		th_daemon_stop(d);
	left = d->prefix[0] ? th_shm_scan(d->prefix, true) : 0;
	if (d->dir[0])
		th_remove_dir(d->dir, 1);
	return left;
}

/* Children not reaped yet: a failed assertion must not leave them running. */
#define TH_CHILDREN_MAX 256
static pid_t th_children[TH_CHILDREN_MAX];

static void
th_forget_child(pid_t pid)
{
	int i;

	for (i = 0; i < TH_CHILDREN_MAX; i++)
		if (th_children[i] == pid)
			th_children[i] = 0;
}

void
th_kill_children(void)
{
	int i;

	for (i = 0; i < TH_CHILDREN_MAX; i++) {
		if (th_children[i] > 0) {
			kill(th_children[i], SIGKILL);
			th_wait_child(th_children[i]);
		}
	}
}

int
th_end_children(void **state)
{
	(void)state;
	th_kill_children();
	return 0;
}

pid_t
th_spawn(int (*fn)(void *), void *arg)
{
	pid_t parent = getpid(), pid;
	int i;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* die with the test, even if it dies of a failed assertion */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		_exit(fn(arg) & 0xff);
	}
	for (i = 0; pid > 0 && i < TH_CHILDREN_MAX; i++) {
		if (th_children[i] == 0) {
			th_children[i] = pid;
			break;
		}
	}
	return pid;
}

int
th_wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	th_forget_child(pid);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

static bool
th_child_exited(void *arg)
{
	struct timespec pause = { 0, 2000000 };
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	/* WNOWAIT: th_wait_child() reaps it, so th_spawn() forgets it. */
	if (waitid(P_PID, *(pid_t *)arg, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		return true;
	if (si.si_pid == 0)
		nanosleep(&pause, NULL);
	return si.si_pid != 0;
}

int
th_wait_child_within(pid_t pid, int timeout_ms)
{
	if (!th_wait_until(th_child_exited, &pid, timeout_ms)) {
		kill(pid, SIGKILL);
		th_wait_child(pid);
		return -1;
	}
	return th_wait_child(pid);
}

bool
th_wait_until(bool (*cond)(void *), void *arg, int timeout_ms)
{
	long long deadline = th_now_ns() + (long long)timeout_ms * 1000000LL;
	struct timespec pause = { 0, 200000 };

	for (;;) {
		if (cond(arg))
			return true;
		if (th_now_ns() >= deadline)
			return false;
		nanosleep(&pause, NULL);
	}
}
