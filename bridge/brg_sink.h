/*
 * brg_sink.h - the sink thread: what the other side published, written
 * into the local channel.
 */
#ifndef ESHM_BRIDGE_SINK_H
#define ESHM_BRIDGE_SINK_H

#include "brg_bridge.h"

/*
 * Start the sink on @b (local segment and DDS open, b->sink_stop a guard
 * condition).  Returns BRG_OK, BRG_ERR_INVALID, BRG_ERR_DDS or
 * BRG_ERR_NO_MEMORY.
 */
int brg_sink_start(struct brg_bridge *b);

/* Make the sink stop and join it.  Safe when it never started. */
void brg_sink_stop(struct brg_bridge *b);

#endif /* ESHM_BRIDGE_SINK_H */
