/*
 * access.h - who may use a segment and who is an operator, decided from
 * the peer's credentials as the kernel recorded them at connect and from
 * what eshmd keeps in its own memory, never from anything a client wrote.
 * Event-loop thread, registry.lock held (reads the settings).
 */
#ifndef ESHMD_ACCESS_H
#define ESHMD_ACCESS_H

#include <stdbool.h>

#include "daemon.h"

/*
 * May the peer of @c use @seg under @d's policy?  root and the owner
 * always may.  Returns 0 or ESHM_ERROR_PERMISSION.
 */
int acc_check(const struct eshmd *d, const struct srv_conn *c, const struct reg_segment *seg);

/* As acc_check(), for a segment (existing or not) owned by @owner. */
int acc_check_owner(const struct eshmd *d, const struct srv_conn *c, uid_t owner);

/*
 * Is the peer of @c an operator: root, or a member of admin_group?  Takes
 * the peer's groups from the socket (@fd, its SO_PEERCRED gid @gid).
 */
bool acc_privileged(const struct eshmd *d, int fd, uid_t uid, gid_t gid);

/* May the peer of @c declare a remote endpoint's state: root, or a member of bridge_group? */
bool acc_bridge(const struct eshmd *d, const struct srv_conn *c);

/*
 * Resolve the group names of @s into @g (access group, admin group, the
 * socket's group), logging the ones that do not exist.  Called at start
 * and on SIGHUP, never per request: a name service that hangs delays a
 * reload, not every client.
 */
void acc_resolve_groups(const struct eshmd_settings *s, struct eshmd_groups *g);

#endif /* ESHMD_ACCESS_H */
