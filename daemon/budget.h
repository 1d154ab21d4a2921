/*
 * budget.h - eshmd's counts against its limits, globally and per uid:
 * segments, bytes of memfds (seg_cost(), charged to the owner at
 * creation) and connections.  root is held to the global limits only.
 * Event-loop thread, registry.lock held.
 */
#ifndef ESHMD_BUDGET_H
#define ESHMD_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon.h"

/*
 * May @uid create one more segment of @bytes?  Returns 0, or
 * ESHM_ERROR_LIMIT with the limit named in @why (@whylen bytes).
 */
int bud_segment_allowed(const struct eshmd *d, uid_t uid, uint64_t bytes, char *why,
                        size_t whylen);

/* Charge (@sign +1) or release (-1) one segment of @bytes to @uid. */
void bud_segment(struct eshmd *d, uid_t uid, uint64_t bytes, int sign);

/*
 * May @uid open one more connection (@privileged: root or admin_group,
 * who may take the slot reserved for them)?  Returns 0, or
 * ESHM_ERROR_LIMIT with the limit named in @why.
 */
int bud_connection_allowed(struct eshmd *d, uid_t uid, bool privileged, char *why,
                           size_t whylen);

/* Count (@sign +1) or uncount (-1) a connection of @uid. */
void bud_connection(struct eshmd *d, uid_t uid, int sign);

/* The usage of @uid (zero if it has none). */
struct reg_usage bud_usage(const struct eshmd *d, uid_t uid);

#endif /* ESHMD_BUDGET_H */
