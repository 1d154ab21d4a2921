/*
 * procinfo.c - reading a process's identity from /proc.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procinfo.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Read /proc/@pid/@what into @buf (NUL-terminated); returns bytes or -errno. */
static ssize_t
proc_read(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd, err;

	if (pid <= 0 || len == 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	return n;
}

/* Fields 3 (state) and 22 (start time) of /proc/@pid/stat. */
static int
proc_stat(pid_t pid, char *state, uint64_t *start)
{
	char buf[1024], *p, *end;
	unsigned long long v;
	ssize_t n;
	int field;

	n = proc_read(pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -EINVAL;
	p++;
	*state = p[1];
	/* After ')' comes field 3 (state); starttime is field 22. */
	for (field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return -EINVAL;
	}
	errno = 0;
	v = strtoull(p + 1, &end, 10);
	if (errno != 0 || end == p + 1 || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*start = v;
	return 0;
}

int
proc_start_time(pid_t pid, uint64_t *start)
{
	char state;

	if (start == NULL)
		return -EINVAL;
	return proc_stat(pid, &state, start);
}

int
proc_comm(pid_t pid, char *buf, size_t len)
{
	char tmp[64];
	ssize_t n;

	if (buf == NULL || len == 0)
		return -EINVAL;
	n = proc_read(pid, "comm", tmp, sizeof(tmp));
	if (n < 0)
		return (int)n;
	tmp[strcspn(tmp, "\n")] = '\0';
	snprintf(buf, len, "%s", tmp);
	return 0;
}

uint64_t
proc_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
proc_pidfd(pid_t pid, uint64_t connected_boot_ns, uint64_t *start)
{
	struct pollfd pfd;
	long tick_ns = 1000000000L / sysconf(_SC_CLK_TCK);
	int fd, err, rc;

	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	err = fd < 0 ? errno : 0;
	/* EINVAL: @pid is now a thread's id, in whatever process reused it;
	 * only a kernel without pidfds (ENOSYS) leaves /proc to watch. */
	if (fd < 0 && err != ENOSYS)
		return err == ESRCH || err == EINVAL ? -ESRCH : -err;
	rc = proc_start_time(pid, start);
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		return rc == -ENOENT ? -ESRCH : rc;
	}
	/* The start time was read while the pidfd's process had not exited,
	 * so it is that process's: a pid is not reused before its reaping. */
	if (fd >= 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 0) {
			close(fd);
			return -ESRCH;
		}
	}
	/* Started after the connection was accepted: not the process that
	 * connected, but one that got its pid later (one tick of rounding). */
	if (*start * (uint64_t)tick_ns > connected_boot_ns + (uint64_t)tick_ns) {
		if (fd >= 0)
			close(fd);
		return -ESRCH;
	}
	return fd >= 0 ? fd : -ENOSYS;
}

int
proc_alive(pid_t pid, uint64_t start)
{
	uint64_t now = 0;
	char state = '?';
	int rc = proc_stat(pid, &state, &now);

	if (rc == -ENOENT || rc == -ESRCH)
		return 0;
	if (rc < 0)
		return -1;
	/* A zombie has exited: it only waits for its parent to reap it. */
	if (state == 'Z' || state == 'X')
		return 0;
	return now == start ? 1 : 0;
}

bool
proc_pidfd_exited(int pidfd)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}
