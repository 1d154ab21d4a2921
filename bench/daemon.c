/*
 * daemon.c - the private eshmd the eshm figures run against: its own
 * directory, socket and shared-memory prefix, never the system's daemon.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eshm.h"

/* The scaling run attaches 10,000 segments: eshmd needs a descriptor per
 * connection and per segment, and limits above its defaults. */
#define BENCH_FD_LIMIT 65536
static const char bench_daemon_conf[] =
	"[limits]\n"
	"max_segments = 20000\n"
	"max_endpoints = 40000\n"
	"max_connections = 40000\n";

/* Raise the soft (and, when allowed, the hard) descriptor limit; children
 * inherit it. */
static void
bench_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_max < BENCH_FD_LIMIT) {
		struct rlimit want = { BENCH_FD_LIMIT, BENCH_FD_LIMIT };

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int
bench_daemon_connectable(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ok;

	if (fd < 0)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		close(fd);
		return 0;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

int
bench_daemon_start(struct bench_daemon *d, const char *eshmd)
{
	char conf[192], log[192];
	FILE *f;
	uint64_t deadline;

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/eshm-bench.XXXXXX");
	if (mkdtemp(d->dir) == NULL)
		return -1;
	snprintf(d->sock, sizeof(d->sock), "%s/eshmd.sock", d->dir);
	snprintf(d->prefix, sizeof(d->prefix), "eshmb.%ld.", (long)getpid());
	snprintf(conf, sizeof(conf), "%s/eshmd.conf", d->dir);
	snprintf(log, sizeof(log), "%s/eshmd.log", d->dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fputs(bench_daemon_conf, f);
	fclose(f);
	bench_raise_fd_limit();
	setenv("ESHM_SOCKET", d->sock, 1);
	fflush(NULL);
	if ((d->pid = fork()) < 0)
		return -1;
	if (d->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		execl(eshmd, eshmd, "--socket", d->sock, "--shm-prefix", d->prefix, "--config",
		      conf, (char *)NULL);
		_exit(127);
	}
	deadline = bench_now_ns() + 10000000000u;
	while (bench_now_ns() < deadline) {
		int status;

		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			fprintf(stderr, "eshm-bench: %s exited at start (see %s)\n", eshmd, log);
			d->pid = -1;
			return -1;
		}
		if (bench_daemon_connectable(d->sock))
			return 0;
		bench_sleep_ns(2000000);
	}
	fprintf(stderr, "eshm-bench: %s did not open %s within 10 s\n", eshmd, d->sock);
	return -1;
}

int
bench_daemon_shm_count(const struct bench_daemon *d)
{
	DIR *dir = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		n += strncmp(e->d_name, d->prefix, strlen(d->prefix)) == 0;
	closedir(dir);
	return n;
}

void
bench_daemon_stop(struct bench_daemon *d)
{
	char path[512];
	DIR *dir;
	struct dirent *e;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		for (int i = 0; i < 500; i++) {
			if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
				d->pid = -1;
				break;
			}
			bench_sleep_ns(10000000);
		}
		if (d->pid > 0) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
			d->pid = -1;
		}
	}
	if (d->prefix[0] != '\0' && (dir = opendir("/dev/shm")) != NULL) {
		while ((e = readdir(dir)) != NULL)
			if (strncmp(e->d_name, d->prefix, strlen(d->prefix)) == 0) {
				snprintf(path, sizeof(path), "/dev/shm/%s", e->d_name);
				unlink(path);
			}
		closedir(dir);
	}
	if (d->dir[0] != '\0') {
		const char *files[] = { "eshmd.sock", "eshmd.conf", "eshmd.log" };

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", d->dir, files[i]);
			unlink(path);
		}
		rmdir(d->dir);
	}
}

const char *
bench_segment_name(const char *tag, char *buf, size_t len)
{
	static unsigned counter;

	snprintf(buf, len, "bench-%s-%ld-%u", tag, (long)getpid(), counter++);
	return buf;
}

struct ESHMHandle *
bench_attach(const char *name, int role, bool use_threads, uint32_t threshold_ms,
             uint32_t period_us, size_t capacity)
{
	ESHMConfig cfg = eshm_default_config(name);
	ESHMOptions *opt = eshm_options_new();
	ESHMHandle *h = NULL;

	if (opt == NULL)
		return NULL;
	cfg.role = (ESHMRole)role;
	cfg.use_threads = use_threads;
	cfg.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	if (threshold_ms > 0)
		cfg.stale_threshold_ms = threshold_ms;
	if ((period_us == 0 || eshm_options_set_heartbeat_period_us(opt, period_us) == 0) &&
	    (capacity == 0 || eshm_options_set_capacity(opt, capacity) == 0))
		h = eshm_init_with_options(&cfg, opt);
	eshm_options_free(opt);
	if (h == NULL)
		fprintf(stderr, "eshm-bench: attach %s: %s\n", name,
		        eshm_error_string(eshm_last_error()));
	return h;
}
