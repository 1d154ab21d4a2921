/*
 * cleanup.h - when a segment goes away: on operator removal, once its
 * endpoints left (on-empty, for segments created with auto-cleanup),
 * after a quiet time (idle), or never (keep).  Event-loop thread,
 * registry.lock held.
 */
#ifndef ESHMD_CLEANUP_H
#define ESHMD_CLEANUP_H

#include <stdbool.h>

#include "daemon.h"

/* Apply the cleanup policy to @seg after a role was left (may remove it). */
void cln_after_leave(struct eshmd *d, struct reg_segment *seg);

/* Remove segments idle for cleanup_idle_s under the idle policy. */
void cln_idle_sweep(struct eshmd *d);

/*
 * Remove @seg: with @revoke set SEG_VERDICT_REVOKED in its status block;
 * mark its roles detached and their connections to be closed
 * (close_pending), take its memfds out of the store, delete its record,
 * release its budget and drop it from the registry (its memory is freed
 * at the end of the round; the memfds live on while clients map them).
 */
void cln_remove(struct eshmd *d, struct reg_segment *seg, bool revoke);

#endif /* ESHMD_CLEANUP_H */
