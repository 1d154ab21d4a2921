/*
 * access.c - who may use a segment, decided per request from the peer's
 * credentials as the kernel recorded them at connect (SO_PEERCRED and
 * SO_PEERGROUPS), never from anything the client claims.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "access.h"
#include "eshm.h"
#include "log.h"

/* Is @gid the peer's primary group or one of its supplementary groups? */
static bool
acc_in_group(const struct srv_conn *c, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;
	size_t i;

	if (c->gid == gid)
		return true;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE)
			return false;
		groups = malloc(len);
		if (groups == NULL ||
		    getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
			free(groups);
			return false;
		}
	}
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid) {
			found = true;
			break;
		}
	if (groups != small)
		free(groups);
	return found;
}

int
acc_check(const struct eshmd *d, const struct srv_conn *c, const struct seg_header *h)
{
	const struct group *gr;

	if (c->uid == 0 || c->uid == (uid_t)h->owner_uid)
		return ESHM_SUCCESS;
	switch (d->set.access) {
	case ESHMD_ACCESS_ANYONE:
		return ESHM_SUCCESS;
	case ESHMD_ACCESS_GROUP:
		gr = getgrnam(d->set.access_group);
		if (gr == NULL) {
			log_msg(LOG_WARNING, "access group '%s' does not exist: refusing uid %u",
			        d->set.access_group, (unsigned)c->uid);
			return ESHM_ERROR_PERMISSION;
		}
		return acc_in_group(c, gr->gr_gid) ? ESHM_SUCCESS : ESHM_ERROR_PERMISSION;
	case ESHMD_ACCESS_OWNER:
		break;
	}
	return ESHM_ERROR_PERMISSION;
}
