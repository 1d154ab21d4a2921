/*
 * access.c - who may use a segment (see access.h).  The owner is the uid
 * eshmd recorded when the segment was created; the groups are the ones
 * the kernel reports for the peer's socket (SO_PEERGROUPS).
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access.h"
#include "eshm.h"
#include "log.h"

/* Is @gid @pgid or one of the supplementary groups of the peer of @fd? */
static bool
acc_in_group(int fd, gid_t pgid, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;
	size_t i;

	if (pgid == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE)
			return false;
		groups = malloc(len);
		if (groups == NULL || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
			free(groups);
			return false;
		}
	}
	for (i = 0; i < len / sizeof(gid_t) && !found; i++)
		found = groups[i] == gid;
	if (groups != small)
		free(groups);
	return found;
}

int
acc_check(const struct eshmd *d, const struct srv_conn *c, const struct reg_segment *seg)
{
	return acc_check_owner(d, c, seg->owner_uid);
}

int
acc_check_owner(const struct eshmd *d, const struct srv_conn *c, uid_t owner)
{
	if (c->uid == 0 || c->uid == owner)
		return ESHM_SUCCESS;
	switch (d->set.access) {
	case ESHMD_ACCESS_ANYONE:
		return ESHM_SUCCESS;
	case ESHMD_ACCESS_GROUP:
		if (d->groups.access_ok && acc_in_group(c->fd, c->gid, d->groups.access))
			return ESHM_SUCCESS;
		break;
	case ESHMD_ACCESS_OWNER:
		break;
	}
	return ESHM_ERROR_PERMISSION;
}

bool
acc_privileged(const struct eshmd *d, int fd, uid_t uid, gid_t gid)
{
	return uid == 0 || (d->groups.admin_ok && acc_in_group(fd, gid, d->groups.admin));
}

bool
acc_bridge(const struct eshmd *d, const struct srv_conn *c)
{
	return c->uid == 0 || (d->groups.bridge_ok && acc_in_group(c->fd, c->gid, d->groups.bridge));
}

/* The gid of group @name into *@gid; false (logged as @what) if unknown. */
static bool
acc_lookup(const char *name, const char *what, gid_t *gid)
{
	struct group *gr = getgrnam(name);

	if (gr == NULL) {
		log_msg(LOG_WARNING, "%s '%s' does not exist", what, name);
		return false;
	}
	*gid = gr->gr_gid;
	return true;
}

void
acc_resolve_groups(const struct eshmd_settings *s, struct eshmd_groups *g)
{
	struct group *gr;

	g->access_ok = s->access == ESHMD_ACCESS_GROUP &&
	               acc_lookup(s->access_group, "access group (refusing its members)",
	                          &g->access);
	g->admin_ok = s->admin_group[0] != '\0' &&
	              acc_lookup(s->admin_group, "admin_group (root only)", &g->admin);
	g->bridge_ok = s->bridge_group[0] != '\0' &&
	               acc_lookup(s->bridge_group, "bridge_group (root only)", &g->bridge);
	if (s->socket_group[0] != '\0') {
		if (!acc_lookup(s->socket_group, "socket_group (keeping eshmd's group)",
		                &g->socket))
			g->socket = getegid();
	} else {
		/* The group the packaged units give the socket, where it exists. */
		gr = getgrnam("eshm");
		g->socket = gr != NULL ? gr->gr_gid : getegid();
	}
}
