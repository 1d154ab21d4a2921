/*
 * endpoint.h - the life of an endpoint slot: attach, reattach, clean
 * detach, death.  Event-loop thread, registry.lock held.
 */
#ifndef ESHMD_ENDPOINT_H
#define ESHMD_ENDPOINT_H

#include <stdint.h>

#include "daemon.h"

/*
 * Record the peer of @c as holding endpoint @index of @seg with
 * @threshold_ms and heartbeat period @period_us (0: unknown); state alive.
 * @c's hang-up will mean its death.
 */
void ep_attach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c,
               uint32_t threshold_ms, uint64_t period_us);

/*
 * Hand endpoint @index of @seg, recorded for the peer of @c before an
 * eshmd restart, back to the connection @c (its pidfd watch ends).
 */
void ep_reattach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c);

/*
 * Mark endpoint @index of @seg dead (its process is gone): repair its
 * channel if a write was cut short, forget its connection and pidfd.  The
 * caller then applies the cleanup policy (cln_after_leave).
 */
void ep_dead(struct eshmd *d, struct reg_segment *seg, int index);

/* As ep_dead, for a clean detach: state detached. */
void ep_detach(struct eshmd *d, struct reg_segment *seg, int index);

/* Forget what ties slot @ep to a process: its connection and its pidfd. */
void ep_unlink_watchers(struct reg_endpoint *ep);

/* A heartbeat period in whole milliseconds (1..1000), 1 when unknown. */
uint32_t ep_period_ms(uint64_t period_us);

#endif /* ESHMD_ENDPOINT_H */
