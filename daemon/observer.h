/*
 * observer.h - observers: read-only readers of one channel of a segment.
 *
 * An observer holds a slot of the segment's status block and a block of
 * its own (one page: its reader part) for as long as its control
 * connection is open; it is nobody's remote, has no heartbeat and never
 * holds a writer back.  eshmd tells the writer of the observed channel of
 * each observer that comes or goes (PROTO_NTF_OBSERVER, with the
 * observer's block read-only, so the writer can wake it), and tells the
 * observers when that channel's writer has a new block (PROTO_NTF_PEER).
 * Observers are not recorded: after an eshmd restart they attach anew.
 * Event-loop thread, registry.lock held.
 */
#ifndef ESHMD_OBSERVER_H
#define ESHMD_OBSERVER_H

#include <stdbool.h>

#include "daemon.h"
#include "reply.h"

/*
 * Attach the peer of @c as an observer of the channel of role index
 * @observed of @seg, within eshmd.conf's max_observers, and fill the
 * ATTACH reply: the status block and the observed writer's current block
 * read-only, the observer's own block read-write.
 * Returns ESHM_SUCCESS or the error the reply states.
 */
int obs_attach(struct eshmd *d, struct srv_conn *c, struct reg_segment *seg, int observed,
               struct reply *r);

/* The observer @c holds (if any) leaves: its slot and block are freed and
 * the writer it observed is told.  For a detach, a hang-up, a close. */
void obs_leave(struct eshmd *d, struct srv_conn *c);

/*
 * The writer role @index of @seg has a new block, or a new holder: its
 * observers are due a PEER notification, the holder one OBSERVER
 * notification per observer.
 */
void obs_announce(struct eshmd *d, struct reg_segment *seg, int index);

/*
 * What OBSERVERS tells of @seg's observers, in slot order: who each is
 * and its reader counts, loaded from its block (numbers it writes, shown
 * as they are).
 */
void obs_list(const struct reg_segment *seg, struct proto_observers_reply *out);

/* @seg is being removed: its observers' connections lose it and are
 * closed by the server once the request at hand is done. */
void obs_drop_all(struct eshmd *d, struct reg_segment *seg);

#endif /* ESHMD_OBSERVER_H */
