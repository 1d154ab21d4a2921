/*
 * brg_local.h - the bridge's endpoint on the local segment: it holds the
 * role whose real process runs on the other host, through the public
 * libeshm-client API like any program, so a local program sees an
 * ordinary peer.
 */
#ifndef ESHM_BRIDGE_LOCAL_H
#define ESHM_BRIDGE_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "brg_config.h"
#include "brg_remote.h"
#include "eshm.h"

struct brg_local {
	ESHMHandle *h;
	ESHMRole role;            /* the role held: the stand-in's */
	ESHMChannelMode mode;     /* as the segment was created, perhaps by another */
	uint32_t queue_depth;
	uint64_t capacity;
};

/*
 * Attach to @c's segment in @c's stand-in role (creating the segment with
 * @c's capacity, mode and depth if it does not exist), heartbeat thread on,
 * never failing a read or write because of the local peer
 * (ESHM_DISCONNECT_NEVER: the bridge reports the peer, it does not stop
 * carrying).  @socket: eshmd's socket, NULL or "" for $ESHM_SOCKET or the
 * default.  On failure @err says why (eshmd's own sentence included).
 * Returns BRG_OK, BRG_ERR_INVALID, BRG_ERR_NO_MEMORY or BRG_ERR_ESHM.
 * Not thread-safe on one @l.
 */
int brg_local_open(struct brg_local *l, const struct brg_config *c, const char *socket,
                   char *err, size_t errlen);

/* Detach (eshm_destroy()).  NULL or a closed @l is accepted. */
void brg_local_close(struct brg_local *l);

/*
 * The state of the real endpoint on this host (the peer of the role held)
 * into *@out: alive, stale, dead or detached as eshmd judges it by the
 * bridge's threshold, its pid and its role's attach count; host left
 * empty.  Returns BRG_OK, BRG_ERR_INVALID, or BRG_ERR_STOPPED when the
 * bridge lost its own role (segment removed, role taken over).
 * Thread-safe (eshm_check_remote_alive() and eshm_get_stats_ex() are).
 */
int brg_local_peer(struct brg_local *l, struct brg_report *out);

#endif /* ESHM_BRIDGE_LOCAL_H */
