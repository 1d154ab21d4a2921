/*
 * user_util.h - real unprivileged users for tests that check what one user
 * can do to another: made with useradd when missing, removed with userdel,
 * and children that drop to them as setpriv(1) does.  Needs root.
 */
#ifndef ESHM_TESTS_USER_UTIL_H
#define ESHM_TESTS_USER_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

struct tu_user {
	const char *name;
	uid_t uid;
	gid_t gid;
};

/* Make user @u->name (no home, no login shell) if missing and fill its ids.
 * Returns 0 or -1 (not root, or useradd failed). */
int tu_add(struct tu_user *u);

/* Remove user @u->name. */
void tu_del(const struct tu_user *u);

/* In a child: become @u for good (groups, gid, uid).  Returns 0 or -1. */
int tu_become(const struct tu_user *u);

/* Start @fn(@arg) in a child as @u (exit code 250: it could not drop its
 * privileges); th_wait_child() reaps it. */
pid_t tu_spawn_as(const struct tu_user *u, int (*fn)(void *), void *arg);

/*
 * Run @fn(@arg) in a child as @u and return its exit code (-1 if it could
 * not drop its privileges or died).
 */
int tu_run_as(const struct tu_user *u, int (*fn)(void *), void *arg);

#endif /* ESHM_TESTS_USER_UTIL_H */
