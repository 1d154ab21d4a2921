/*
 * brg_pump.c - local channel to DDS (brg_pump.h).
 *
 * The pump waits in eshm_read_ex_until(), asleep on the futex the local
 * writer wakes: a message reaches dds_write() one wake-up after it was
 * written (an event descriptor would cost two: the library's event
 * thread, then the pump), and the library's spin adapts to a writer whose
 * messages come a network round trip apart, so the pump does not hold a
 * CPU the rest of the path needs.  It wakes at least every
 * BRG_PUMP_LOOK_MS to see whether it must stop.  On a queue, a message
 * read has left the segment: the pump keeps it until DDS takes it,
 * however long the other side makes it wait, and reads nothing while no
 * bridge on the other side listens, as a reliable writer without readers
 * would take and drop it: the local queue holds the local writer back
 * instead.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brg_err.h"
#include "brg_log.h"
#include "brg_pump.h"
#include "clock.h"

#define BRG_PUMP_LOOK_MS 50

/* Publish @size bytes of @data as message @info; wait while DDS has no room. */
static int
brg_pump_publish(struct brg_bridge *b, void *data, size_t size, const ESHMMessageInfo *info)
{
	eshm_bridge_Message m;
	bool waited = false;
	dds_return_t rc;

	memset(&m, 0, sizeof(m));
	m.number = info->sequence;
	m.writer_attach = info->writer_attach;
	m.size = (uint32_t)size;
	m.payload._buffer = data;
	m.payload._length = (uint32_t)size;
	m.payload._maximum = (uint32_t)size;
	m.payload._release = false;
	for (;;) {
		rc = dds_write(b->dds.data_writer, &m);
		if (rc == DDS_RETCODE_OK)
			break;
		if (rc != DDS_RETCODE_TIMEOUT) {
			brg_log(LOG_ERR, "cannot publish message %llu: %s",
			        (unsigned long long)info->sequence, dds_strretcode(rc));
			return BRG_ERR_DDS;
		}
		/* The other side's history is full: keep the message and retry. */
		if (atomic_load(&b->stopping))
			return BRG_ERR_STOPPED;
		if (!waited)
			atomic_fetch_add(&b->n.waits, 1);
		waited = true;
	}
	atomic_fetch_add(&b->n.sent, 1);
	return BRG_OK;
}

/* Whether a message read now has a reader to go to (always, for latest values). */
static bool
brg_pump_listened(struct brg_bridge *b)
{
	dds_publication_matched_status_t st;

	if (b->local.mode != ESHM_CHANNEL_QUEUE)
		return true;
	return dds_get_publication_matched_status(b->dds.data_writer, &st) == DDS_RETCODE_OK &&
	       st.current_count > 0;
}

/* Wait for the next message and publish it: BRG_OK (also when none
 * came), or why the pump must stop. */
static int
brg_pump_next(struct brg_bridge *b, void *buf)
{
	ESHMMessageInfo info;
	int rc;

	rc = eshm_read_ex_until(b->local.h, buf, (size_t)b->local.capacity, &info,
	                        clock_mono_ns() + BRG_PUMP_LOOK_MS * UINT64_C(1000000));
	switch (rc) {
	case ESHM_SUCCESS:
		return brg_pump_publish(b, buf, info.size, &info);
	case ESHM_ERROR_NO_DATA:
	case ESHM_ERROR_TIMEOUT:
	case ESHM_ERROR_INTERRUPTED:
	case ESHM_ERROR_CONTENDED:
		return BRG_OK;
	case ESHM_ERROR_SEGMENT_CORRUPT:
		/* The library skipped it; the local writer is at fault. */
		brg_log(LOG_WARNING, "skipped a malformed message of the local endpoint");
		return BRG_OK;
	case ESHM_ERROR_DETACHED:
		brg_log(LOG_ERR, "the bridge lost its role in the local segment");
		return BRG_ERR_STOPPED;
	default:
		brg_log(LOG_ERR, "cannot read the local channel: %s", eshm_error_string(rc));
		return BRG_ERR_ESHM;
	}
}

static void *
brg_pump_main(void *arg)
{
	struct brg_bridge *b = arg;
	struct pollfd stop = {.fd = b->pump_stop, .events = POLLIN};
	void *buf = malloc((size_t)b->local.capacity);
	int rc = BRG_OK;

	if (buf == NULL) {
		brg_bridge_fail(b, BRG_ERR_NO_MEMORY);
		return NULL;
	}
	while (rc == BRG_OK && !atomic_load(&b->stopping)) {
		if (brg_pump_listened(b)) {
			rc = brg_pump_next(b, buf);
			continue;
		}
		/* Unheard: leave the messages in the local queue and look
		 * again for a reader in a while. */
		if (poll(&stop, 1, BRG_PUMP_LOOK_MS) < 0 && errno != EINTR)
			rc = BRG_ERR_IO;
	}
	brg_bridge_ended(b, rc);
	free(buf);
	return NULL;
}

int
brg_pump_start(struct brg_bridge *b)
{
	if (b == NULL || b->local.h == NULL || b->dds.data_writer <= 0 || b->pump_stop < 0)
		return BRG_ERR_INVALID;
	return brg_bridge_thread(b, &b->pump, &b->pump_started, brg_pump_main);
}

void
brg_pump_stop(struct brg_bridge *b)
{
	uint64_t one = 1;

	if (b == NULL || !b->pump_started)
		return;
	/* The pump waits either for a message or, unheard, on pump_stop. */
	eshm_interrupt(b->local.h);
	if (write(b->pump_stop, &one, sizeof(one)) < 0)
		brg_log(LOG_WARNING, "cannot wake the pump: %s", strerror(errno));
	pthread_join(b->pump, NULL);
	b->pump_started = false;
}
