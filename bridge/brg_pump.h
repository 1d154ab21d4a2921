/*
 * brg_pump.h - the pump thread: the local real endpoint's messages,
 * published on DDS.
 */
#ifndef ESHM_BRIDGE_PUMP_H
#define ESHM_BRIDGE_PUMP_H

#include "brg_bridge.h"

/*
 * Start the pump on @b (local segment and DDS open, b->pump_stop an
 * eventfd).  Returns BRG_OK, BRG_ERR_INVALID or BRG_ERR_NO_MEMORY.
 */
int brg_pump_start(struct brg_bridge *b);

/* Make the pump stop and join it.  Safe when it never started. */
void brg_pump_stop(struct brg_bridge *b);

#endif /* ESHM_BRIDGE_PUMP_H */
