/*
 * brg_state.h - the state topic: reporting the local real endpoint, and
 * reading the other bridge's reports into a brg_remote.
 */
#ifndef ESHM_BRIDGE_STATE_H
#define ESHM_BRIDGE_STATE_H

#include <stdint.h>

#include "brg_bridge.h"
#include "brg_remote.h"

/* What the other bridge last said of itself, beyond the endpoint's state. */
struct brg_state_peer {
	uint64_t bridge_start_ns;  /* its incarnation; 0: not heard yet */
	int32_t bridge_pid;
	bool warned_geometry;      /* a different mode or capacity was logged */
	bool warned_twin;          /* another bridge reporting our own role was logged */
};

/*
 * Publish @local (the local real endpoint's state; its host is taken from
 * b->host) on the state topic; every report also asserts the bridge's DDS
 * liveliness.  Returns BRG_OK, BRG_ERR_INVALID or BRG_ERR_DDS.
 * Main thread only.
 */
int brg_state_publish(struct brg_bridge *b, const struct brg_report *local);

/*
 * Say that the bridge leaves: a last report "detached", then dispose it,
 * so the other side declares detached rather than waiting for a death.
 * Returns BRG_OK, BRG_ERR_INVALID or BRG_ERR_DDS.
 */
int brg_state_withdraw(struct brg_bridge *b);

/*
 * Take the other bridge's reports and DDS's liveliness news into @r at
 * @now_ns; @peer keeps what is logged once.  Returns the number of
 * reports taken (>= 0), or BRG_ERR_INVALID, BRG_ERR_DDS.
 */
int brg_state_take(struct brg_bridge *b, struct brg_remote *r, struct brg_state_peer *peer,
                   uint64_t now_ns);

#endif /* ESHM_BRIDGE_STATE_H */
