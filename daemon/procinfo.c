/*
 * procinfo.c - reading a process's identity from /proc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procinfo.h"

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

int
proc_start_time(pid_t pid, uint64_t *start)
{
	char buf[1024], *p, *end;
	unsigned long long v;
	ssize_t n;
	int field;

	if (start == NULL)
		return -EINVAL;
	n = proc_read(pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strrchr(buf, ')');
	if (p == NULL)
		return -EINVAL;
	p++;
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
