/*
 * eshm-pingpong - a master and its child slave bounce a counter through
 * the segment NAME for SECONDS, to show that the data path keeps working
 * whatever happens to eshmd meanwhile.
 *
 *   eshm-pingpong NAME SECONDS [PROGRESS-FILE]
 *
 * SIGTERM ends it early, as cleanly as the end of SECONDS.
 * Prints "round_trips=N longest_gap_ms=G" at the end (and rewrites
 * PROGRESS-FILE with the same line every 200 ms); exits 0 when at least one
 * round trip completed, 1 otherwise, 2 on a usage or attach error.
 */
#include <eshm.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t pp_stop;

static void
pp_on_term(int sig)
{
	pp_stop = 1;
}

static long long
pp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ESHMHandle *
pp_attach(const char *name, ESHMRole role)
{
	ESHMConfig c = eshm_default_config(name);
	ESHMHandle *h;

	c.role = role;
	/* eshmd may be killed or stopped under us: never fail for that. */
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	h = eshm_init(&c);
	if (h == NULL)
		fprintf(stderr, "eshm-pingpong: attach %s as %s: %s\n", name,
		        role == ESHM_ROLE_MASTER ? "master" : "slave",
		        eshm_error_string(eshm_last_error()));
	return h;
}

/*
 * Echo every message back until the master says goodbye (a one-byte
 * message), @deadline_ms passes or the master is gone.
 */
static int
pp_slave(const char *name, long long deadline_ms)
{
	ESHMHandle *h = pp_attach(name, ESHM_ROLE_SLAVE);
	uint64_t v;
	size_t n;

	if (h == NULL)
		return 2;
	while (pp_now_ms() < deadline_ms && getppid() != 1) {
		if (eshm_read_timeout(h, &v, sizeof(v), &n, 100) != ESHM_SUCCESS)
			continue;
		if (n != sizeof(v))
			break;
		eshm_write(h, &v, sizeof(v));
	}
	eshm_destroy(h);
	return 0;
}

static void
pp_progress(const char *path, uint64_t trips, long long gap)
{
	char tmp[4096];
	FILE *f;

	if (path == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fprintf(f, "round_trips=%" PRIu64 " longest_gap_ms=%lld\n", trips, gap);
	if (fclose(f) == 0)
		rename(tmp, path);
}

int
main(int argc, char *argv[])
{
	long long start, end, last_trip, gap = 0, next_report;
	uint64_t sent = 0, trips = 0, got;
	const char *name, *progress;
	ESHMHandle *h;
	int status;
	pid_t pid;
	size_t n;

	if (argc < 3 || argc > 4 || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: eshm-pingpong NAME SECONDS [PROGRESS-FILE]\n");
		return 2;
	}
	name = argv[1];
	progress = argc > 3 ? argv[3] : NULL;
	start = pp_now_ms();
	end = start + atoi(argv[2]) * 1000LL;

	h = pp_attach(name, ESHM_ROLE_MASTER);
	if (h == NULL)
		return 2;
	signal(SIGTERM, pp_on_term);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		_exit(pp_slave(name, end + 5000));
	}

	last_trip = next_report = pp_now_ms();
	while (pp_now_ms() < end && !pp_stop) {
		long long now;

		sent++;
		got = 0;
		n = 0;
		eshm_write(h, &sent, sizeof(sent));
		/* The slave echoes the newest value it saw: any echo of this
		 * value completes the round trip; older ones are drained. */
		while (eshm_read_timeout(h, &got, sizeof(got), &n, 50) == ESHM_SUCCESS)
			if (n == sizeof(got) && got == sent)
				break;
		now = pp_now_ms();
		if (n == sizeof(got) && got == sent) {
			trips++;
			if (now - last_trip > gap)
				gap = now - last_trip;
			last_trip = now;
		}
		if (now >= next_report) {
			pp_progress(progress, trips, gap);
			next_report = now + 200;
		}
	}
	if (pp_now_ms() - last_trip > gap)
		gap = pp_now_ms() - last_trip;
	pp_progress(progress, trips, gap);
	printf("round_trips=%" PRIu64 " longest_gap_ms=%lld\n", trips, gap);
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++) {
		eshm_write(h, "q", 1);
		usleep(20000);
	}
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	eshm_destroy(h);
	return trips > 0 ? 0 : 1;
}
