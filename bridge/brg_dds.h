/*
 * brg_dds.h - the DDS side of one bridged segment: a domain of its own
 * configuration (brg_ddsconf.h), one participant, the three topics
 * (brg_topic.h) and the four endpoints.
 *
 * QoS (docs/bridge.md, "QoS"):
 *  - latest-value segments: RELIABLE, KEEP_LAST 1, TRANSIENT_LOCAL.  A
 *    write replaces, as in the segment; reliability makes the last value
 *    arrive even when its datagram was lost and nothing follows it, and
 *    TRANSIENT_LOCAL hands it to a bridge that starts later, as a segment
 *    hands the last message to a reader that attaches late.
 *  - queue segments: RELIABLE, KEEP_ALL, VOLATILE, both histories limited
 *    to the segment's queue depth (at least BRG_DDS_WINDOW_MIN): a full
 *    queue on the receiving host stops the receiving bridge taking, its
 *    reader's history fills, the sending bridge's write blocks (once its
 *    unacknowledged bytes pass Cyclone's high-water mark: Cyclone does not
 *    hold a writer to max_samples), it stops reading its local queue, and
 *    the local writer sees the queue full.  Lossless end to end while the
 *    other side is known, and nothing kept for a bridge that restarts.
 *  - state: RELIABLE, KEEP_LAST 1 per role, TRANSIENT_LOCAL, liveliness
 *    MANUAL_BY_PARTICIPANT with the configured lease, asserted by every
 *    report.
 */
#ifndef ESHM_BRIDGE_DDS_H
#define ESHM_BRIDGE_DDS_H

#include <dds/dds.h>
#include <stdint.h>

#include "eshm.h"
#include "eshm_bridge.h"

/* The shortest DDS history of a queue segment, in messages. */
#define BRG_DDS_WINDOW_MIN 8u
/* How long a write waits for the history to have room before retrying. */
#define BRG_DDS_BLOCK_MS 100

struct brg_dds_spec {
	const char *segment;
	ESHMRole stand_in;      /* the role held locally: the remote process's */
	ESHMChannelMode mode;
	uint32_t queue_depth;
	uint32_t domain;
	const char *config;     /* for dds_create_domain() (brg_ddsconf_full()) */
	uint32_t lease_ms;
};

struct brg_dds {
	dds_entity_t domain;
	dds_entity_t participant;
	dds_entity_t data_writer;  /* the local real endpoint's channel, outwards */
	dds_entity_t data_reader;  /* the remote real endpoint's channel, inwards */
	dds_entity_t state_writer;
	dds_entity_t state_reader;
};

/*
 * Create everything for @s.  On failure what was created is deleted and
 * @err says which step failed with Cyclone's reason.
 * Returns BRG_OK, BRG_ERR_INVALID, BRG_ERR_NAME or BRG_ERR_DDS.
 */
int brg_dds_open(struct brg_dds *d, const struct brg_dds_spec *s, char *err, size_t errlen);

/* Delete the domain and all in it.  NULL or a closed @d is accepted. */
void brg_dds_close(struct brg_dds *d);

#endif /* ESHM_BRIDGE_DDS_H */
