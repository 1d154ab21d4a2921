/*
 * brg_bridge.h - one running bridge: what its three threads share.
 *
 * Threads (docs/bridge.md, "Design"):
 *  - the main thread (brg_run.c) reports the local endpoint's state,
 *    judges the remote one from the other side's reports and declares it
 *    to eshmd, and handles signals and systemd;
 *  - the pump (brg_pump.c) reads the local real endpoint's channel and
 *    publishes each message;
 *  - the sink (brg_sink.c) takes what the other side published and writes
 *    it into the local channel: a thread of its own for a queue, Cyclone's
 *    delivering thread (a listener) for latest values.
 * The segment handle is used as libeshm-client allows: one thread reads
 * (the pump), another writes (the sink), the main thread only asks for
 * statistics and liveness.
 */
#ifndef ESHM_BRIDGE_BRIDGE_H
#define ESHM_BRIDGE_BRIDGE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "brg_config.h"
#include "brg_dds.h"
#include "brg_local.h"

struct brg_counters {
	atomic_uint_fast64_t sent;      /* messages published */
	atomic_uint_fast64_t received;  /* samples taken */
	atomic_uint_fast64_t written;   /* messages written into the local channel */
	atomic_uint_fast64_t refused;   /* samples not written: malformed or too large */
	atomic_uint_fast64_t lost;      /* taken but not written because the bridge stopped */
	atomic_uint_fast64_t waits;     /* writes that had to wait for room, either side */
};

struct brg_bridge {
	struct brg_config cfg;
	struct brg_local local;
	struct brg_dds dds;
	char host[BRG_LABEL_SIZE];   /* this host, as reported */
	uint64_t start_ns;           /* CLOCK_REALTIME at start: the bridge's incarnation */
	dds_entity_t wake;           /* guard condition: the main loop has news */
	dds_entity_t sink_stop;      /* guard condition: the sink must stop */
	int pump_stop;               /* eventfd: the pump must stop */
	atomic_bool stopping;
	atomic_int failure;          /* a thread's reason to stop the bridge (BRG_ERR_*), or 0 */
	struct brg_counters n;
	pthread_t pump, sink;
	bool pump_started, sink_started;
	bool sink_listens;           /* latest values: the sink is a DDS listener */
	pthread_mutex_t sink_lock;   /* one writer into the local channel at a time */
};

/*
 * Ask the whole bridge to stop because of @why (BRG_ERR_*); the first
 * reason stays.  NULL @b is ignored.  Thread-safe.
 */
void brg_bridge_fail(struct brg_bridge *b, int why);

/*
 * A thread's work ended with @rc (BRG_OK, or BRG_ERR_*): a failure stops
 * the bridge, unless it is only the stop already under way
 * (BRG_ERR_STOPPED while stopping).  Thread-safe.
 */
void brg_bridge_ended(struct brg_bridge *b, int rc);

/*
 * Run @fn(@b) in a new thread *@thread, and set *@started.
 * Returns BRG_OK, BRG_ERR_INVALID or BRG_ERR_NO_MEMORY.
 */
int brg_bridge_thread(struct brg_bridge *b, pthread_t *thread, bool *started, void *(*fn)(void *));

#endif /* ESHM_BRIDGE_BRIDGE_H */
