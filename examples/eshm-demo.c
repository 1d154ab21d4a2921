/*
 * eshm-demo - a master and a slave exchanging messages through eshm.
 *
 *   eshm-demo master NAME SECONDS   send a counter, print heartbeats and
 *                                   the slave's liveness every 250 ms
 *   eshm-demo slave NAME SECONDS    echo every message back
 *
 * Run by examples/demo.sh against a private eshmd.
 */
#include <eshm.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
demo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
demo_master(ESHMHandle *h, double seconds)
{
	double start = demo_now(), next_report = start;
	uint64_t sent = 0, echoed = 0;
	bool was_alive = true;
	char msg[64], reply[64];
	size_t n;

	while (demo_now() - start < seconds) {
		int len = snprintf(msg, sizeof(msg), "ping %" PRIu64, sent);

		if (eshm_write(h, msg, (size_t)len + 1) == ESHM_SUCCESS)
			sent++;
		if (eshm_read_timeout(h, reply, sizeof(reply), &n, 20) == ESHM_SUCCESS)
			echoed++;
		if (demo_now() >= next_report) {
			ESHMStats st;
			bool alive = false;

			eshm_get_stats(h, &st);
			eshm_check_remote_alive(h, &alive);
			printf("t=%4.2fs  heartbeats master %6" PRIu64 " (%4" PRIu64
			       "/s) slave %6" PRIu64 " (%4" PRIu64 "/s)  sent %5" PRIu64
			       " echoed %5" PRIu64 "  slave %s\n",
			       demo_now() - start, st.master_heartbeat, st.master_heartbeat_delta,
			       st.slave_heartbeat, st.slave_heartbeat_delta, sent, echoed,
			       alive ? "alive" : "STALE");
			if (was_alive && !alive)
				printf("        -> slave flagged stale: its heartbeat stopped\n");
			if (!was_alive && alive)
				printf("        -> slave recovered: heartbeat moving again\n");
			was_alive = alive;
			fflush(stdout);
			next_report += 0.25;
		}
	}
	return echoed > 0 ? 0 : 1;
}

static int
demo_slave(ESHMHandle *h, double seconds)
{
	double start = demo_now();
	char buf[64];
	size_t n;

	while (demo_now() - start < seconds) {
		if (eshm_read_timeout(h, buf, sizeof(buf), &n, 50) == ESHM_SUCCESS)
			eshm_write(h, buf, n);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	ESHMConfig config;
	ESHMHandle *h;
	double seconds;
	int rc;

	if (argc != 4 || (strcmp(argv[1], "master") != 0 && strcmp(argv[1], "slave") != 0)) {
		fprintf(stderr, "usage: eshm-demo master|slave NAME SECONDS\n");
		return 2;
	}
	seconds = atof(argv[3]);
	config = eshm_default_config(argv[2]);
	config.role = strcmp(argv[1], "master") == 0 ? ESHM_ROLE_MASTER : ESHM_ROLE_SLAVE;
	config.stale_threshold_ms = 100;
	config.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	h = eshm_init(&config);
	if (h == NULL) {
		fprintf(stderr, "eshm-demo: eshm_init: %s\n", eshm_error_string(eshm_last_error()));
		return 1;
	}
	rc = config.role == ESHM_ROLE_MASTER ? demo_master(h, seconds) : demo_slave(h, seconds);
	eshm_destroy(h);
	return rc;
}
