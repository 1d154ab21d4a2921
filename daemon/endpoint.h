/*
 * endpoint.h - the life of a role (master, slave): attach with a fresh
 * block, takeover, reattach, clean detach, death.  Each transition updates
 * the registry (the authority), the status block (the clients' copy), the
 * record and the descriptor store, and marks the peer's connection for a
 * PEER notification when the role got a new block.  The caller applies
 * the cleanup policy afterwards.  Event-loop thread, registry.lock held.
 */
#ifndef ESHMD_ENDPOINT_H
#define ESHMD_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* What an attach needs, prepared before anything changes. */
struct ep_new {
	int block_fd;              /* the fresh block, -1 until made */
	struct memfd_id block_id;
	struct seg_mapping map;    /* eshmd's mapping of it */
	int pidfd;                 /* -1: none (then polled) */
	uint64_t start_time;
	uint32_t threshold_ms;
	uint32_t period_us;
	bool stand_in;             /* PROTO_ATTACH_STAND_IN */
};

/*
 * Make what the peer of @c needs to hold role @index of @seg: a fresh
 * block and a pidfd of its process.  Nothing in @seg changes.
 * Returns 0, or an ESHM_ERROR_* with the reason in @why.
 */
int ep_prepare(struct eshmd *d, const struct reg_segment *seg, int index, const struct srv_conn *c,
               struct ep_new *n, char *why, size_t whylen);

/* Release what ep_prepare() made, when the attach does not happen. */
void ep_prepare_undo(struct ep_new *n);

/*
 * Give role @index of @seg to the peer of @c with what @n holds (taken
 * over: @n is empty after): the previous block is closed (its holders keep
 * their mappings), the incarnation moves on, the state is alive.
 */
void ep_attach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c,
               struct ep_new *n);

/*
 * The holder of role @index of @seg loses it to a takeover: detached, its
 * connection closed, its pidfd released.
 */
void ep_takeover(struct eshmd *d, struct reg_segment *seg, int index);

/*
 * Hand role @index of @seg, whose process is the peer of @c, to the
 * connection @c (after a hang-up or an eshmd restart); a connection that
 * still holds it loses it.  @pidfd (-1: none) replaces the one held if
 * there was none.
 */
void ep_reattach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c,
                 int pidfd);

/*
 * The process holding role @index of @seg exited: repair a message it
 * left half written, state dead.
 */
void ep_dead(struct eshmd *d, struct reg_segment *seg, int index);

/* As ep_dead(), for a clean detach: state detached. */
void ep_detach(struct eshmd *d, struct reg_segment *seg, int index);

/*
 * The connection holding role @index of @seg hung up: the role stays held,
 * unless the holder has no pidfd and /proc says its process exited (then
 * it is dead, as ep_dead()).  Returns true when it was found dead: the
 * caller applies the cleanup policy.
 */
bool ep_hangup(struct eshmd *d, struct reg_segment *seg, int index);

/*
 * How long a role stays held by a running process that has no connection
 * to eshmd (it hung up without a detach, or eshmd restarted and it has not
 * reattached): the library reattaches within a second or two; a process
 * that does not within this time has lost its handle, and the role is
 * released as if it had detached.
 */
#define EP_UNLINKED_MAX_S 10

/*
 * Check the holders (once a second): one watched without a pidfd whose
 * process is gone, or whose pid now names another process, is dead; one
 * without a connection for EP_UNLINKED_MAX_S is detached.  Applies the
 * cleanup policy.
 */
void ep_poll(struct eshmd *d);

/*
 * Start watching the holder of role @index of @seg: its pidfd @pidfd
 * joins the epoll set, or with -1 it is polled.  Returns 0 or -errno.
 */
int ep_watch(struct eshmd *d, struct reg_segment *seg, int index, int pidfd);

/* Mark the holder of the other role than @index for a PEER notification. */
void ep_announce(struct eshmd *d, struct reg_segment *seg, int index);

#endif /* ESHMD_ENDPOINT_H */
