/*
 * fault_util.c - shared pieces of the hostile-input, fault and
 * security tests (see fault_util.h).
 */
#include "fault_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "eshm.h"

unsigned
tf_env_count(const char *var, unsigned dflt)
{
	const char *v = getenv(var);
	char *end;
	unsigned long n;

	if (v == NULL || *v == '\0')
		return dflt;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > 100000000ul)
		return dflt;
	return (unsigned)n;
}

int
tf_proc_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

int
tf_self_fds_naming(const char *needle)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char path[300], target[512];
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += strstr(target, needle) != NULL;
	}
	closedir(d);
	return n;
}

long
tf_proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

uint64_t
tf_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

int
tf_request(const struct th_daemon *d, uint16_t type, const void *body, uint16_t expect,
           void *reply, struct proto_fds *fds)
{
	unsigned char scratch[PROTO_MSG_MAX];
	int sock, rc;

	if (fds != NULL)
		proto_fds_init(fds);
	sock = proto_connect(d->sock);
	if (sock < 0)
		return ESHM_ERROR_DAEMON_UNAVAILABLE;
	rc = proto_call(sock, type, body, NULL, expect, reply ? reply : scratch, fds, NULL, 5000);
	close(sock);
	return rc;
}

int
tf_status(const struct th_daemon *d, struct proto_status_reply *r)
{
	memset(r, 0, sizeof(*r));
	return tf_request(d, PROTO_REQ_STATUS, NULL, PROTO_REP_DAEMON, r, NULL);
}

bool
tf_segment_exists(const struct th_daemon *d, const char *name)
{
	struct proto_segment_info info;
	struct proto_name req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	return tf_request(d, PROTO_REQ_SHOW, &req, PROTO_REP_SEGMENT, &info, NULL) == ESHM_SUCCESS;
}

int
tf_view_segment(const struct th_daemon *d, const char *name, struct tf_view *v)
{
	struct proto_peek_reply rep;
	struct proto_name req;
	struct proto_fds fds;
	int rc, i, fd;

	memset(v, 0, sizeof(*v));
	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	rc = tf_request(d, PROTO_REQ_PEEK, &req, PROTO_REP_PEEK, &rep, &fds);
	if (rc != ESHM_SUCCESS)
		return rc;
	fd = proto_fds_get(&fds, rep.fds, PROTO_FD_STATUS);
	rc = fd < 0 ? ESHM_ERROR_PROTOCOL : seg_map_status(fd, false, &v->status, &v->g);
	for (i = 0; i < 2 && rc == ESHM_SUCCESS; i++) {
		fd = proto_fds_get(&fds, rep.fds, i == SEG_MASTER ? PROTO_FD_MASTER : PROTO_FD_SLAVE);
		v->incarnation[i] = rep.incarnation[i];
		if (fd >= 0)
			rc = seg_map_block(fd, &v->g, false, false, &v->block[i]);
	}
	proto_fds_close(&fds);
	if (rc != ESHM_SUCCESS)
		tf_view_release(v);
	return rc;
}

unsigned
tf_view_odd_slots(const struct tf_view *v, int index)
{
	const struct seg_block *b = tf_view_block(v, index);
	unsigned i, odd = 0;

	for (i = 0; b != NULL && i < v->g.slots; i++) {
		const struct seg_slot *slot = seg_slot_at((struct seg_block *)b, &v->g, i);

		odd += (atomic_load_explicit(&slot->seq, memory_order_acquire) & 1) != 0;
	}
	return odd;
}

void
tf_view_release(struct tf_view *v)
{
	seg_unmap(&v->block[0]);
	seg_unmap(&v->block[1]);
	seg_unmap(&v->status);
}

int
tf_log_count(const struct th_daemon *d, const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(d->log, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

void
tf_die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent may have died before the call. */
	if (getppid() == 1)
		_exit(1);
}

bool
tf_running(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (pid <= 0 || kill(pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

int
tf_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}
