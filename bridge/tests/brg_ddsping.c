/*
 * brg_ddsping.c - the floor under eshm-bridge's round trip: a plain Cyclone
 * DDS ping-pong with the bridge's own message type, QoS of a latest-value
 * segment and network settings, no eshm at all.  bench_bridge.sh runs it
 * beside a ping-pong through two bridges, over the same link.
 *
 *   brg-ddsping pong IFACE PEER              answer every ping, until SIGTERM
 *   brg-ddsping ping IFACE PEER COUNT SIZE   COUNT round trips of SIZE bytes;
 *                                            prints median, p99 and max
 */
#include <dds/dds.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brg_rtt.h"
#include "eshm_bridge.h"

#define DP_DOMAIN 9
#define DP_WAIT DDS_SECS(5)

static volatile sig_atomic_t dp_stop;

static void
dp_on_signal(int sig)
{
	dp_stop = sig;
}

/* A participant bound to @iface that finds @peer by unicast, as the bridge's. */
static dds_entity_t
dp_participant(const char *iface, const char *peer)
{
	char xml[512];

	snprintf(xml, sizeof(xml),
	         "<CycloneDDS><Domain Id=\"any\"><General><Interfaces><NetworkInterface "
	         "name=\"%s\"/></Interfaces><AllowMulticast>false</AllowMulticast></General>"
	         "<Discovery><ParticipantIndex>auto</ParticipantIndex><Peers><Peer "
	         "address=\"%s\"/></Peers></Discovery></Domain></CycloneDDS>",
	         iface, peer);
	if (dds_create_domain(DP_DOMAIN, xml) < 0)
		return -1;
	return dds_create_participant(DP_DOMAIN, NULL, NULL);
}

/* Take the next sample of @rd into @m within DP_WAIT; 0, or -1. */
static int
dp_take(dds_entity_t ws, dds_entity_t rd, eshm_bridge_Message *m)
{
	void *p = m;
	dds_sample_info_t info;

	for (;;) {
		int n = dds_take(rd, &p, &info, 1, 1);

		if (n < 0)
			return -1;
		if (n == 1 && info.valid_data)
			return 0;
		if (n == 0 && (dp_stop || dds_waitset_wait(ws, NULL, 0, DP_WAIT) <= 0))
			return -1;
	}
}

int
main(int argc, char **argv)
{
	eshm_bridge_Message in, out;
	dds_entity_t pp, tping, tpong, rd, wr, ws;
	dds_qos_t *q;
	bool ping;
	long long *rtt = NULL;
	unsigned long i, count = 0, size = 0;
	struct sigaction sa;

	if (argc < 4 || (strcmp(argv[1], "ping") != 0 && strcmp(argv[1], "pong") != 0) ||
	    (strcmp(argv[1], "ping") == 0 && argc < 6)) {
		fprintf(stderr, "usage: brg-ddsping pong IFACE PEER | ping IFACE PEER COUNT SIZE\n");
		return 2;
	}
	ping = strcmp(argv[1], "ping") == 0;
	if (ping) {
		count = strtoul(argv[4], NULL, 10);
		size = strtoul(argv[5], NULL, 10);
		rtt = calloc(count + 1, sizeof(*rtt));
		if (rtt == NULL || count < 2 || size == 0)
			return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dp_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pp = dp_participant(argv[2], argv[3]);
	q = dds_create_qos();
	dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(100));
	dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 1);
	tping = dds_create_topic(pp, &eshm_bridge_Message_desc, "ddsping/ping", NULL, NULL);
	tpong = dds_create_topic(pp, &eshm_bridge_Message_desc, "ddsping/pong", NULL, NULL);
	wr = dds_create_writer(pp, ping ? tping : tpong, q, NULL);
	rd = dds_create_reader(pp, ping ? tpong : tping, q, NULL);
	dds_delete_qos(q);
	ws = dds_create_waitset(pp);
	if (pp < 0 || wr < 0 || rd < 0 || ws < 0 ||
	    dds_waitset_attach(ws, dds_create_readcondition(rd, DDS_ANY_STATE), 0) < 0) {
		fprintf(stderr, "brg-ddsping: cannot set DDS up\n");
		return 1;
	}
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	out.payload._buffer = calloc(1, size ? size : 1);
	out.payload._length = out.payload._maximum = (uint32_t)size;
	out.size = (uint32_t)size;
	if (!ping) {
		while (!dp_stop) {
			if (dp_take(ws, rd, &in) != 0)
				continue;
			dds_write(wr, &in);
		}
		dds_delete(DDS_CYCLONEDDS_HANDLE);
		return 0;
	}
	for (i = 1; i <= count && !dp_stop; i++) {
		long long t = brg_rtt_now_ns(), end = t + 30 * 1000000000LL;

		out.number = i;
		dds_write(wr, &out);
		/* The pong of i; the first waits for the other side to be there. */
		do {
			if (brg_rtt_now_ns() > end) {
				fprintf(stderr, "brg-ddsping: no pong of %lu\n", i);
				return 1;
			}
			if (dp_take(ws, rd, &in) != 0)
				dds_write(wr, &out);
		} while (in.number != i);
		rtt[i - 1] = brg_rtt_now_ns() - t;
	}
	/* The first includes waiting for the other side: left out. */
	brg_rtt_report("", rtt + 1, count - 1);
	dds_delete(DDS_CYCLONEDDS_HANDLE);
	return 0;
}
