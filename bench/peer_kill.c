/*
 * peer_kill.c - a peer SIGKILLed, and how soon the survivor knows, for the
 * transports eshm is compared with: what each offers its user to learn
 * that the other side is gone (eshm's own dead verdict is eshm_detect.c's).
 *
 * The survivor runs in a process of its own for the whole run; each trial
 * forks a victim from this process (which never makes a transport's
 * context or runtime, so a fork is safe), waits until the survivor sees
 * it connected, lets a random 0-10 ms pass, and kills it.  The survivor
 * polls its transport (every 100 us, or waiting in the transport's own
 * call for as long) until it says the peer is gone, and reports the time
 * since the kill on CLOCK_MONOTONIC, which both processes share.
 */
#include "bench.h"

#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a victim may take to be seen, and its death to be noticed. */
#define KILL_CONNECT_NS (5000u * 1000000u)
#define KILL_GIVE_UP_NS (UINT64_C(20000) * 1000000u)
#define KILL_POLL_NS 100000u

/* The survivor: open its side, then for each 'T' wait for the victim and
 * answer 'C', then for its death and answer the ms since the kill. */
static void
kill_survivor(const struct kill_ops *ops, void *st, _Atomic uint64_t *t0, int cmd, int ans)
{
	void *side = ops->survivor_open(st);
	char c = side != NULL ? 'R' : 'F';
	bool seen, gone;
	double ms;

	bench_write_full(ans, &c, 1);
	while (side != NULL && bench_read_full(cmd, &c, 1) == 0 && c == 'T') {
		uint64_t until = bench_now_ns() + KILL_CONNECT_NS;

		while (!(seen = ops->connected(side, KILL_POLL_NS)) && bench_now_ns() < until)
			;
		c = seen ? 'C' : 'F';
		bench_write_full(ans, &c, 1);
		if (!seen)
			break;
		until = bench_now_ns() + KILL_GIVE_UP_NS;
		while (!(gone = ops->gone(side, KILL_POLL_NS)) && bench_now_ns() < until)
			;
		ms = (double)(bench_now_ns() - atomic_load_explicit(t0, memory_order_acquire)) / 1e6;
		if (!gone)
			ms = -1;
		bench_write_full(ans, &ms, sizeof(ms));
	}
	if (side != NULL)
		ops->survivor_close(side);
}

/* Fork victim @n: it connects and waits to be killed. */
static pid_t
kill_victim(const struct kill_ops *ops, void *st, unsigned n)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (ops->victim(st, n) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	return pid;
}

/* The trials, the survivor told on @cmd and answering on @ans; how many ran. */
static size_t
kill_trials(const struct kill_ops *ops, void *st, _Atomic uint64_t *t0, int cmd, int ans,
            size_t trials, double *ms)
{
	size_t n;

	for (n = 0; n < trials; n++) {
		pid_t victim = kill_victim(ops, st, (unsigned)n);
		char c = 'T';
		bool seen;

		if (victim < 0)
			break;
		seen = bench_write_full(cmd, &c, 1) == 0 && bench_read_full(ans, &c, 1) == 0 &&
		       c == 'C';
		if (seen) {
			bench_sleep_ns((uint64_t)(rand() % 10) * 1000000u);
			atomic_store_explicit(t0, bench_now_ns(), memory_order_release);
		}
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
		if (!seen || bench_read_full(ans, &ms[n], sizeof(ms[n])) != 0 || ms[n] < 0)
			break;
	}
	return n;
}

int
kill_run(const struct kill_ops *ops, size_t trials, struct kill_result *res)
{
	double *ms = calloc(trials, sizeof(double));
	_Atomic uint64_t *t0 = mmap(NULL, sizeof(*t0), PROT_READ | PROT_WRITE,
	                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int cmd[2] = { -1, -1 }, ans[2] = { -1, -1 };
	void *st = ops->setup();
	pid_t survivor = -1;
	size_t n = 0;
	char c = 'F';

	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", ops->name);
	snprintf(res->how, sizeof(res->how), "%s", ops->how);
	if (ms == NULL || t0 == MAP_FAILED || st == NULL || pipe(cmd) != 0 || pipe(ans) != 0)
		goto out;
	fflush(NULL);
	survivor = fork();
	if (survivor == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(cmd[1]);
		close(ans[0]);
		kill_survivor(ops, st, t0, cmd[0], ans[1]);
		_exit(0);
	}
	if (survivor > 0 && bench_read_full(ans[0], &c, 1) == 0 && c == 'R')
		n = kill_trials(ops, st, t0, cmd[1], ans[0], trials, ms);
	res->ok = n == trials;
out:
	if (cmd[1] >= 0) {
		c = 'Q';
		bench_write_full(cmd[1], &c, 1);
	}
	if (survivor > 0)
		waitpid(survivor, NULL, 0);
	for (int i = 0; i < 2; i++) {
		if (cmd[i] >= 0)
			close(cmd[i]);
		if (ans[i] >= 0)
			close(ans[i]);
	}
	if (st != NULL)
		ops->teardown(st);
	bench_dist_of(ms, n, &res->ms);
	if (t0 != MAP_FAILED)
		munmap((void *)t0, sizeof(*t0));
	free(ms);
	return res->ok ? 0 : -1;
}

/* ---------------------------------------------------------------- a Unix socket */

struct kill_unix {
	char dir[64];
	struct sockaddr_un addr;
};

struct kill_unix_side {
	int listener, conn;
};

static void *
kill_unix_setup(void)
{
	struct kill_unix *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	snprintf(s->dir, sizeof(s->dir), "/tmp/eshm-bench-kill.XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		free(s);
		return NULL;
	}
	s->addr.sun_family = AF_UNIX;
	snprintf(s->addr.sun_path, sizeof(s->addr.sun_path), "%s/sock", s->dir);
	return s;
}

static void *
kill_unix_open(void *st)
{
	struct kill_unix *s = st;
	struct kill_unix_side *x = malloc(sizeof(*x));

	if (x == NULL)
		return NULL;
	x->conn = -1;
	x->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (x->listener < 0 || bind(x->listener, (struct sockaddr *)&s->addr, sizeof(s->addr)) != 0 ||
	    listen(x->listener, 4) != 0) {
		if (x->listener >= 0)
			close(x->listener);
		free(x);
		return NULL;
	}
	return x;
}

static int
kill_unix_victim(void *st, unsigned n)
{
	struct kill_unix *s = st;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)n;
	return fd >= 0 && connect(fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) == 0 ? 0 : -1;
}

/* Whether @fd is readable within @wait_ns. */
static bool
kill_readable(int fd, uint64_t wait_ns)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, (int)((wait_ns + 999999) / 1000000)) == 1;
}

static bool
kill_unix_connected(void *side, uint64_t wait_ns)
{
	struct kill_unix_side *x = side;

	if (x->conn < 0 && kill_readable(x->listener, wait_ns))
		x->conn = accept4(x->listener, NULL, NULL, SOCK_CLOEXEC);
	return x->conn >= 0;
}

/* The peer is gone when a read returns end of file. */
static bool
kill_unix_gone(void *side, uint64_t wait_ns)
{
	struct kill_unix_side *x = side;
	char c;

	if (!kill_readable(x->conn, wait_ns) || recv(x->conn, &c, 1, MSG_DONTWAIT) != 0)
		return false;
	close(x->conn);
	x->conn = -1;
	return true;
}

static void
kill_unix_close(void *side)
{
	struct kill_unix_side *x = side;

	if (x->conn >= 0)
		close(x->conn);
	close(x->listener);
	free(x);
}

static void
kill_unix_teardown(void *st)
{
	struct kill_unix *s = st;

	unlink(s->addr.sun_path);
	rmdir(s->dir);
	free(s);
}

const struct kill_ops kill_unix_ops = {
	.name = "unix socket",
	.how = "read() returns end of file",
	.setup = kill_unix_setup,
	.survivor_open = kill_unix_open,
	.victim = kill_unix_victim,
	.connected = kill_unix_connected,
	.gone = kill_unix_gone,
	.survivor_close = kill_unix_close,
	.teardown = kill_unix_teardown,
};
