/*
 * brg_sink.c - DDS to the local channel (brg_sink.h).
 *
 * Samples are taken on loan, a few at a time, and written straight from
 * Cyclone's buffers.  A latest value is written from Cyclone's listener,
 * in the thread that delivers the sample: eshm_write() never waits on a
 * latest-value channel, and a thread of our own would cost a wake-up on
 * every message.  On a queue a full local channel is waited out with
 * eshm_write_timeout(), the sample kept, never dropped, which must not
 * hold Cyclone's delivering thread (the state topic and liveliness come
 * through it too): a sink thread of its own, woken by a waitset, does it.
 * While it waits it takes nothing more, so the DDS history fills and the
 * sending bridge is held back in turn (brg_dds.h).
 */
#include <pthread.h>
#include <string.h>

#include "brg_err.h"
#include "brg_log.h"
#include "brg_sink.h"

#define BRG_SINK_BATCH 16
/* A wait for room in slices, so a stop is seen within one. */
#define BRG_SINK_WAIT_MS 100

/* Write one message into the local channel; on a full queue, wait. */
static int
brg_sink_write(struct brg_bridge *b, const void *data, size_t size)
{
	bool waited = false;
	int rc;

	for (;;) {
		rc = eshm_write_timeout(b->local.h, data, size, BRG_SINK_WAIT_MS);
		switch (rc) {
		case ESHM_SUCCESS:
		case ESHM_ERROR_REMOTE_STALE:
		case ESHM_ERROR_REMOTE_DEAD:
			/* Published all the same: the next holder reads it. */
			atomic_fetch_add(&b->n.written, 1);
			return BRG_OK;
		case ESHM_ERROR_QUEUE_FULL:
		case ESHM_ERROR_TIMEOUT:
		case ESHM_ERROR_INTERRUPTED:
			if (atomic_load(&b->stopping))
				return BRG_ERR_STOPPED;
			if (!waited)
				atomic_fetch_add(&b->n.waits, 1);
			waited = true;
			break;
		case ESHM_ERROR_DETACHED:
			brg_log(LOG_ERR, "the bridge lost its role in the local segment");
			return BRG_ERR_STOPPED;
		default:
			brg_log(LOG_ERR, "cannot write into the local channel: %s",
			        eshm_error_string(rc));
			return BRG_ERR_ESHM;
		}
	}
}

/* Check what a sample claims before anything of it reaches the segment. */
static bool
brg_sink_valid(struct brg_bridge *b, const eshm_bridge_Message *m)
{
	if (m->size == m->payload._length && m->size > 0 && m->size <= b->local.capacity)
		return true;
	atomic_fetch_add(&b->n.refused, 1);
	brg_log(LOG_WARNING, "refused message %llu of %u bytes (payload %u, capacity %llu)",
	        (unsigned long long)m->number, m->size, m->payload._length,
	        (unsigned long long)b->local.capacity);
	return false;
}

/* Take what is there and write it, counting the samples taken in
 * *@taken; BRG_OK, or why the sink must stop. */
static int
brg_sink_batch(struct brg_bridge *b, int *taken)
{
	void *samples[BRG_SINK_BATCH] = {NULL};
	dds_sample_info_t info[BRG_SINK_BATCH];
	int i, n, rc = BRG_OK;

	*taken = 0;
	n = dds_take(b->dds.data_reader, samples, info, BRG_SINK_BATCH, BRG_SINK_BATCH);
	if (n < 0) {
		brg_log(LOG_ERR, "cannot take from DDS: %s", dds_strretcode(n));
		return BRG_ERR_DDS;
	}
	*taken = n;
	for (i = 0; i < n; i++) {
		const eshm_bridge_Message *m = samples[i];

		if (!info[i].valid_data)
			continue;
		atomic_fetch_add(&b->n.received, 1);
		if (rc != BRG_OK) {
			/* Taken, never to be written: what "at most once" costs. */
			atomic_fetch_add(&b->n.lost, 1);
			continue;
		}
		if (brg_sink_valid(b, m))
			rc = brg_sink_write(b, m->payload._buffer, m->size);
		if (rc == BRG_ERR_STOPPED)
			atomic_fetch_add(&b->n.lost, 1);
	}
	if (n > 0)
		dds_return_loan(b->dds.data_reader, samples, n);
	return rc;
}

/* Write everything the reader holds; under sink_lock, as the listener and
 * brg_sink_start() may both come here. */
static void
brg_sink_deliver(struct brg_bridge *b)
{
	int rc = BRG_OK, taken = 0;

	pthread_mutex_lock(&b->sink_lock);
	do {
		if (atomic_load(&b->stopping))
			break;
		rc = brg_sink_batch(b, &taken);
	} while (rc == BRG_OK && taken == BRG_SINK_BATCH);
	pthread_mutex_unlock(&b->sink_lock);
	brg_bridge_ended(b, rc);
}

static void
brg_sink_on_data(dds_entity_t reader, void *arg)
{
	(void)reader;
	brg_sink_deliver(arg);
}

static void *
brg_sink_main(void *arg)
{
	struct brg_bridge *b = arg;
	dds_entity_t ws, rd;
	int rc = BRG_OK, taken;

	ws = dds_create_waitset(b->dds.participant);
	rd = dds_create_readcondition(b->dds.data_reader, DDS_ANY_STATE);
	if (ws < 0 || rd < 0 || dds_waitset_attach(ws, rd, 0) < 0 ||
	    dds_waitset_attach(ws, b->sink_stop, 0) < 0) {
		brg_log(LOG_ERR, "cannot wait for DDS samples");
		brg_bridge_fail(b, BRG_ERR_DDS);
		goto out;
	}
	while (!atomic_load(&b->stopping)) {
		if (dds_waitset_wait(ws, NULL, 0, DDS_INFINITY) < 0) {
			rc = BRG_ERR_DDS;
			break;
		}
		if (atomic_load(&b->stopping))
			break;
		rc = brg_sink_batch(b, &taken);
		if (rc != BRG_OK)
			break;
	}
	brg_bridge_ended(b, rc);
out:
	if (ws > 0)
		dds_delete(ws);
	if (rd > 0)
		dds_delete(rd);
	return NULL;
}

/* A latest-value sink: the listener, then what came before it was set. */
static int
brg_sink_listen(struct brg_bridge *b)
{
	dds_listener_t *l = dds_create_listener(b);
	dds_return_t rc;

	if (l == NULL)
		return BRG_ERR_NO_MEMORY;
	dds_lset_data_available(l, brg_sink_on_data);
	rc = dds_set_listener(b->dds.data_reader, l);
	dds_delete_listener(l);
	if (rc != DDS_RETCODE_OK) {
		brg_log(LOG_ERR, "cannot listen for DDS samples: %s", dds_strretcode(rc));
		return BRG_ERR_DDS;
	}
	b->sink_listens = true;
	brg_sink_deliver(b);
	return BRG_OK;
}

int
brg_sink_start(struct brg_bridge *b)
{
	if (b == NULL || b->local.h == NULL || b->dds.data_reader <= 0 || b->sink_stop <= 0)
		return BRG_ERR_INVALID;
	if (b->local.mode != ESHM_CHANNEL_QUEUE)
		return brg_sink_listen(b);
	return brg_bridge_thread(b, &b->sink, &b->sink_started, brg_sink_main);
}

void
brg_sink_stop(struct brg_bridge *b)
{
	if (b == NULL)
		return;
	if (b->sink_listens) {
		/* Returns once no call of the listener is under way. */
		dds_set_listener(b->dds.data_reader, NULL);
		b->sink_listens = false;
		return;
	}
	if (!b->sink_started)
		return;
	/* The sink may be waiting for room: end that wait too. */
	eshm_interrupt(b->local.h);
	dds_set_guardcondition(b->sink_stop, true);
	pthread_join(b->sink, NULL);
	b->sink_started = false;
}
