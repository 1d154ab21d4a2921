/*
 * cleanup.h - when a segment goes away.  Event-loop thread, registry.lock
 * held.
 */
#ifndef ESHMD_CLEANUP_H
#define ESHMD_CLEANUP_H

#include <stdbool.h>

#include "daemon.h"

/* Apply the cleanup policy to @seg after an endpoint left (may remove it). */
void cln_after_leave(struct eshmd *d, struct reg_segment *seg);

/* Remove segments idle for cleanup_idle_s under the idle policy. */
void cln_idle_sweep(struct eshmd *d);

/*
 * Remove @seg: set SEG_FLAG_REVOKED if @revoke, mark its endpoints
 * detached and their connections to be closed (close_pending), unlink the
 * object and drop it from the registry (freed at the end of the round).
 */
void cln_remove(struct eshmd *d, struct reg_segment *seg, bool revoke);

#endif /* ESHMD_CLEANUP_H */
