/*
 * brg_pump.c - local channel to DDS (brg_pump.h).
 *
 * The pump sleeps in poll(2) on the handle's event descriptor, so it costs
 * nothing while the local program is quiet and a message wakes it at once;
 * it reads until the channel is empty, as the descriptor requires.  On a
 * queue, a message read has left the segment: the pump keeps it until
 * DDS takes it, however long the other side makes it wait, and reads
 * nothing while no bridge on the other side listens, as a reliable
 * writer without readers would take and drop it: the local queue holds
 * the local writer back instead.
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

/* Read and publish until the channel is empty. */
static int
brg_pump_drain(struct brg_bridge *b, void *buf)
{
	ESHMMessageInfo info;
	int rc;

	/* A reader that left meanwhile: leave the rest in the local queue. */
	while (brg_pump_listened(b)) {
		rc = eshm_read_ex(b->local.h, buf, (size_t)b->local.capacity, &info);
		switch (rc) {
		case ESHM_SUCCESS:
			rc = brg_pump_publish(b, buf, info.size, &info);
			if (rc != BRG_OK)
				return rc;
			break;
		case ESHM_ERROR_NO_DATA:
			return BRG_OK;
		case ESHM_ERROR_CONTENDED:
			break;
		case ESHM_ERROR_SEGMENT_CORRUPT:
			/* The library skipped it; the local writer is at fault. */
			brg_log(LOG_WARNING, "skipped a malformed message of the local endpoint");
			break;
		case ESHM_ERROR_DETACHED:
			brg_log(LOG_ERR, "the bridge lost its role in the local segment");
			return BRG_ERR_STOPPED;
		default:
			brg_log(LOG_ERR, "cannot read the local channel: %s", eshm_error_string(rc));
			return BRG_ERR_ESHM;
		}
	}
	return BRG_OK;
}

static void *
brg_pump_main(void *arg)
{
	struct brg_bridge *b = arg;
	struct pollfd pfd[2];
	unsigned events;
	void *buf = malloc((size_t)b->local.capacity);
	int fd, rc;

	if (buf == NULL) {
		brg_bridge_fail(b, BRG_ERR_NO_MEMORY);
		return NULL;
	}
	/* The descriptor belongs to the thread that reads. */
	rc = eshm_get_event_fd(b->local.h, &fd);
	if (rc != ESHM_SUCCESS) {
		brg_log(LOG_ERR, "no event descriptor for the local segment: %s",
		        eshm_error_string(rc));
		free(buf);
		brg_bridge_fail(b, BRG_ERR_ESHM);
		return NULL;
	}
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = b->pump_stop;
	pfd[1].events = POLLIN;
	while (!atomic_load(&b->stopping)) {
		bool listened = brg_pump_listened(b);
		int n;

		/* Unheard, the descriptor (readable while a message waits) is
		 * not watched: look again for a reader every BRG_PUMP_LOOK_MS. */
		n = listened ? poll(pfd, 2, -1) : poll(pfd + 1, 1, BRG_PUMP_LOOK_MS);
		if (n < 0 && errno != EINTR) {
			brg_bridge_fail(b, BRG_ERR_IO);
			break;
		}
		if (pfd[1].revents != 0)
			break;
		/* The local peer's state changed: the main loop reports it now. */
		if (eshm_get_events(b->local.h, &events) == ESHM_SUCCESS &&
		    (events & ESHM_EVENT_REMOTE))
			dds_set_guardcondition(b->wake, true);
		if (!listened)
			continue;
		rc = brg_pump_drain(b, buf);
		if (rc != BRG_OK && rc != BRG_ERR_STOPPED) {
			brg_bridge_fail(b, rc);
			break;
		}
		if (rc == BRG_ERR_STOPPED) {
			if (!atomic_load(&b->stopping))
				brg_bridge_fail(b, rc);
			break;
		}
	}
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
	if (write(b->pump_stop, &one, sizeof(one)) < 0)
		brg_log(LOG_WARNING, "cannot wake the pump: %s", strerror(errno));
	pthread_join(b->pump, NULL);
	b->pump_started = false;
}
