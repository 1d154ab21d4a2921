/*
 * brg_ddsspy.c - an eavesdropper for test_bridge_security.sh: a plain
 * Cyclone DDS participant, without DDS Security, that subscribes to the
 * three topics of one bridged segment as any host on the link could, and
 * counts what it gets.
 *
 *   brg-ddsspy IFACE DOMAIN ROOT PEER...   read ROOT/m2s, ROOT/s2m and
 *            ROOT/state until SIGTERM, then print per topic the writers
 *            it matched, the samples it took and how long after its start
 *            the first came (-1: none), and the state reports per
 *            reporting host
 *
 * Its readers are best-effort and volatile, so that they would match any
 * of the bridges' writers; what keeps them from matching is security.
 */
#include <dds/dds.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eshm_bridge.h"

#define DS_HOSTS 8

static volatile sig_atomic_t ds_stop;

struct ds_hosts {
	char name[DS_HOSTS][64];
	unsigned long count[DS_HOSTS];
	unsigned n;
};

static void
ds_on_signal(int sig)
{
	ds_stop = sig;
}

/* A participant bound to @iface that finds @npeers @peers by unicast. */
static dds_entity_t
ds_participant(const char *iface, dds_domainid_t domain, char **peers, int npeers)
{
	char xml[2048];
	size_t n;
	int i;

	n = (size_t)snprintf(xml, sizeof(xml),
	                     "<CycloneDDS><Domain Id=\"any\"><General><Interfaces><NetworkInterface "
	                     "name=\"%s\"/></Interfaces><AllowMulticast>false</AllowMulticast>"
	                     "</General><Discovery><ParticipantIndex>auto</ParticipantIndex><Peers>",
	                     iface);
	for (i = 0; i < npeers && n < sizeof(xml); i++)
		n += (size_t)snprintf(xml + n, sizeof(xml) - n, "<Peer address=\"%s\"/>", peers[i]);
	if (n < sizeof(xml))
		n += (size_t)snprintf(xml + n, sizeof(xml) - n,
		                      "</Peers></Discovery></Domain></CycloneDDS>");
	if (n >= sizeof(xml) || dds_create_domain(domain, xml) < 0)
		return -1;
	return dds_create_participant(domain, NULL, NULL);
}

static dds_entity_t
ds_reader(dds_entity_t pp, const dds_topic_descriptor_t *desc, const char *root,
          const char *kind)
{
	char name[512];
	dds_entity_t topic, rd;
	dds_qos_t *q = dds_create_qos();

	snprintf(name, sizeof(name), "%s/%s", root, kind);
	dds_qset_reliability(q, DDS_RELIABILITY_BEST_EFFORT, 0);
	dds_qset_durability(q, DDS_DURABILITY_VOLATILE);
	topic = dds_create_topic(pp, desc, name, NULL, NULL);
	rd = topic < 0 ? topic : dds_create_reader(pp, topic, q, NULL);
	dds_delete_qos(q);
	return rd;
}

static void
ds_count_host(struct ds_hosts *h, const char *host)
{
	unsigned i;

	for (i = 0; i < h->n && strcmp(h->name[i], host) != 0; i++)
		;
	if (i == h->n) {
		if (h->n == DS_HOSTS)
			return;
		snprintf(h->name[i], sizeof(h->name[i]), "%s", host);
		h->n++;
	}
	h->count[i]++;
}

/* Take what @rd holds; state reports are counted per host in @hosts. */
static unsigned long
ds_take(dds_entity_t rd, struct ds_hosts *hosts)
{
	void *samples[16] = {NULL};
	dds_sample_info_t info[16];
	unsigned long taken = 0;
	int n, i;

	while ((n = dds_take(rd, samples, info, 16, 16)) > 0) {
		for (i = 0; i < n; i++) {
			if (!info[i].valid_data)
				continue;
			taken++;
			if (hosts != NULL)
				ds_count_host(hosts,
				              ((const eshm_bridge_EndpointState *)samples[i])->host);
		}
		dds_return_loan(rd, samples, n);
	}
	return taken;
}

int
main(int argc, char **argv)
{
	static const char *const kind[3] = {"m2s", "s2m", "state"};
	struct ds_hosts hosts;
	dds_entity_t pp, rd[3], ws;
	unsigned long taken[3] = {0, 0, 0};
	int64_t first[3] = {-1, -1, -1};
	dds_time_t start;
	struct sigaction sa;
	unsigned i, k;

	if (argc < 5) {
		fprintf(stderr, "usage: brg-ddsspy IFACE DOMAIN ROOT PEER...\n");
		return 2;
	}
	memset(&hosts, 0, sizeof(hosts));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ds_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pp = ds_participant(argv[1], (dds_domainid_t)strtoul(argv[2], NULL, 10), argv + 4,
	                    argc - 4);
	ws = pp < 0 ? pp : dds_create_waitset(pp);
	for (k = 0; k < 3; k++) {
		rd[k] = pp < 0 ? pp
		               : ds_reader(pp, k == 2 ? &eshm_bridge_EndpointState_desc
		                                      : &eshm_bridge_Message_desc,
		                           argv[3], kind[k]);
		if (rd[k] < 0 || ws < 0 ||
		    dds_waitset_attach(ws, dds_create_readcondition(rd[k], DDS_ANY_STATE), 0) < 0) {
			fprintf(stderr, "brg-ddsspy: cannot set DDS up\n");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	start = dds_time();
	while (!ds_stop) {
		dds_waitset_wait(ws, NULL, 0, DDS_MSECS(100));
		for (k = 0; k < 3; k++) {
			taken[k] += ds_take(rd[k], k == 2 ? &hosts : NULL);
			if (taken[k] > 0 && first[k] < 0)
				first[k] = (dds_time() - start) / DDS_NSECS_IN_MSEC;
		}
	}
	for (k = 0; k < 3; k++) {
		dds_subscription_matched_status_t m;

		dds_get_subscription_matched_status(rd[k], &m);
		printf("%s: %u writers matched, %lu samples, the first after %lld ms\n", kind[k],
		       m.total_count, taken[k], (long long)first[k]);
	}
	for (i = 0; i < hosts.n; i++)
		printf("state from %s: %lu\n", hosts.name[i], hosts.count[i]);
	dds_delete(DDS_CYCLONEDDS_HANDLE);
	return 0;
}
