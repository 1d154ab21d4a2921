/*
 * user_util.c - real unprivileged users for tests (see user_util.h).
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "user_util.h"

int
tu_add(struct tu_user *u)
{
	char cmd[256];
	struct passwd *pw;

	if (geteuid() != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
	         "(id -u %s || useradd -M -N -s /usr/sbin/nologin %s) >/dev/null 2>&1", u->name,
	         u->name);
	if (system(cmd) != 0)
		return -1;
	pw = getpwnam(u->name);
	if (pw == NULL)
		return -1;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

void
tu_del(const struct tu_user *u)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "userdel %s >/dev/null 2>&1", u->name);
	if (system(cmd) != 0) {
		/* left for the next run's useradd to find */
	}
}

int
tu_become(const struct tu_user *u)
{
	if (initgroups(u->name, u->gid) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0 || geteuid() == 0)
		return -1;
	return 0;
}

struct tu_job {
	const struct tu_user *u;
	int (*fn)(void *);
	void *arg;
};

static int
tu_child(void *p)
{
	struct tu_job *j = p;

	if (tu_become(j->u) < 0)
		return 250;
	return j->fn(j->arg);
}

pid_t
tu_spawn_as(const struct tu_user *u, int (*fn)(void *), void *arg)
{
	/* The child reads the job from its copy of this memory at once. */
	static struct tu_job j;

	j.u = u;
	j.fn = fn;
	j.arg = arg;
	return th_spawn(tu_child, &j);
}

int
tu_run_as(const struct tu_user *u, int (*fn)(void *), void *arg)
{
	pid_t pid = tu_spawn_as(u, fn, arg);
	int rc = pid > 0 ? th_wait_child(pid) : -1;

	return rc == 250 ? -1 : rc;
}
