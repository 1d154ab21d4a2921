/*
 * test_security.c - the multi-user promises of docs/SECURITY.md, with real
 * unprivileged users (made here with useradd, removed afterwards) whose
 * clients run in children that drop to them, as setpriv(1) does:
 *
 * - a segment's memfds are 0600, owned by eshmd and sealed: a client cannot
 *   resize any of them, and cannot re-open the read-only ones writable;
 * - a user cannot attach to, peek at or remove another user's segment,
 *   unless the access policy (anyone, group) allows it;
 * - names cannot escape the prefix ("../", "/", control characters,
 *   over-long), even sent raw, bypassing the library's own checks;
 * - a symlink or a file another user planted in /dev/shm under eshmd's
 *   prefix is never followed, touched or adopted, and squats no name.
 *
 * Needs root (to add users); skipped with a TAP SKIP otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

#define SEC_GROUP "eshmt-grp"

static const char *const sec_users[] = { "eshmt-a", "eshmt-b", "eshmt-c" };
enum { USER_A, USER_B, USER_C };

static struct th_daemon daemon_;
static uid_t sec_uid[3];
static gid_t sec_gid[3];

static int
sec_run(const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "(%s) >/dev/null 2>&1", cmd);
	return system(line);
}

/* Users a and b in group eshmt-grp, c outside it. */
static int
group_setup(void **state)
{
	char cmd[256];
	int i;

	if (geteuid() != 0)
		return 0;
	sec_run("groupadd -f " SEC_GROUP);
	for (i = 0; i < 3; i++) {
		struct passwd *pw;

		snprintf(cmd, sizeof(cmd), "id -u %s || useradd -M -N -s /usr/sbin/nologin %s%s",
		         sec_users[i], i < 2 ? "-G " SEC_GROUP " " : "", sec_users[i]);
		sec_run(cmd);
		pw = getpwnam(sec_users[i]);
		if (pw == NULL)
			return -1;
		sec_uid[i] = pw->pw_uid;
		sec_gid[i] = pw->pw_gid;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];
	int i;

	if (geteuid() != 0)
		return 0;
	for (i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "userdel %s", sec_users[i]);
		sec_run(cmd);
	}
	sec_run("groupdel " SEC_GROUP);
	return 0;
}

/* Start eshmd with the eshmd.conf @text, its socket reachable by everyone
 * so that the policy, not the file mode, decides. */
static void
sec_start_conf(const char *text)
{
	char conf[256];
	const char *extra[] = { "--config", conf, NULL };

	if (geteuid() != 0)
		skip();
	assert_int_equal(th_daemon_prepare(&daemon_), 0);
	snprintf(conf, sizeof(conf), "%s/eshmd.conf", daemon_.dir);
	assert_int_equal(tf_write_file(conf, text), 0);
	assert_int_equal(chmod(daemon_.dir, 0711), 0);
	assert_int_equal(th_daemon_start(&daemon_, extra), 0);
	assert_int_equal(chmod(daemon_.sock, 0666), 0);
}

/* A private eshmd with the access @policy (NULL: the default). */
static void
sec_start(const char *policy)
{
	char text[128];

	if (policy != NULL)
		snprintf(text, sizeof(text), "[access]\npolicy = %s\n%s", policy,
		         strcmp(policy, "group") == 0 ? "group = " SEC_GROUP "\n" : "");
	else
		text[0] = '\0';
	sec_start_conf(text);
}

static int
teardown(void **state)
{
	th_daemon_cleanup(&daemon_);
	return 0;
}

/* Run @fn(@arg) in a child as user @u; returns what it returned. */
struct sec_job {
	int user;
	int (*fn)(const char *);
	const char *arg;
};

static int
sec_as_user(void *p)
{
	const struct sec_job *j = p;

	if (initgroups(sec_users[j->user], sec_gid[j->user]) < 0 ||
	    setresgid(sec_gid[j->user], sec_gid[j->user], sec_gid[j->user]) < 0 ||
	    setresuid(sec_uid[j->user], sec_uid[j->user], sec_uid[j->user]) < 0)
		return 200;
	if (geteuid() == 0)
		return 201;
	return j->fn(j->arg);
}

/* Exit codes carry -ESHM_ERROR_* (0 for success). */
static int
sec_do(int user, int (*fn)(const char *), const char *arg)
{
	struct sec_job j = { user, fn, arg };
	pid_t pid = th_spawn(sec_as_user, &j);
	int rc;

	assert_true(pid > 0);
	rc = th_wait_child(pid);
	assert_true(rc < 200);
	return -rc;
}

/* Attach and detach, keeping the segment (no auto-cleanup). */
static int
sec_attach(const char *name)
{
	ESHMConfig c = eshm_default_config(name);
	ESHMHandle *h;

	c.auto_cleanup = false;
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	h = eshm_init(&c);
	if (h == NULL)
		return -eshm_last_error();
	eshm_destroy(h);
	return 0;
}

/* Attach as a stand-in (eshm-bridge's attach), keeping the segment. */
static int
sec_stand_in(const char *name)
{
	ESHMConfig c = eshm_default_config(name);
	ESHMOptions *o = eshm_options_new();
	ESHMHandle *h = NULL;

	c.auto_cleanup = false;
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	if (o != NULL && eshm_options_set_stand_in(o, true) == ESHM_SUCCESS)
		h = eshm_init_with_options(&c, o);
	eshm_options_free(o);
	if (h == NULL)
		return -eshm_last_error();
	eshm_destroy(h);
	return 0;
}

/* Request @type about segment @name, its reply of @expect into @rep and
 * what came with it into @fds.  Returns the reply's status. */
static int
sec_named(uint16_t type, const char *name, uint16_t expect, void *rep, struct proto_fds *fds)
{
	struct proto_name n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	return tf_request(&daemon_, type, &n, expect, rep, fds);
}

static int
sec_peek(const char *name)
{
	struct proto_peek_reply rep;
	struct proto_fds fds;
	int rc = sec_named(PROTO_REQ_PEEK, name, PROTO_REP_PEEK, &rep, &fds);

	if (rc == ESHM_SUCCESS && proto_fds_get(&fds, rep.fds, PROTO_FD_STATUS) < 0)
		rc = -150;
	else if (rc != ESHM_SUCCESS && fds.n > 0)
		rc = -151;
	proto_fds_close(&fds);
	return -rc;
}

/* OBSERVERS of @name: who observes a segment is the owner's to know. */
static int
sec_observers(const char *name)
{
	struct proto_observers_reply rep;
	struct proto_fds fds;
	int rc = sec_named(PROTO_REQ_OBSERVERS, name, PROTO_REP_OBSERVERS, &rep, &fds);

	if (fds.n > 0)
		rc = -151;
	proto_fds_close(&fds);
	return -rc;
}

static int
sec_remove(const char *name)
{
	struct proto_remove r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.force = 1;
	return -tf_request(&daemon_, PROTO_REQ_REMOVE, &r, PROTO_REP_STATUS, NULL, NULL);
}

/* One memfd eshmd passed: owned by eshmd, 0600, sealed, its size fixed
 * for this holder; @writable says whether it came read-write. */
static int
sec_memfd_private(int fd, bool writable)
{
	char path[64];
	struct stat st;
	int seals, again;

	if (fstat(fd, &st) < 0)
		return 120;
	if (st.st_uid != 0 || (st.st_mode & 07777) != 0600)
		return 121;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) !=
	                         (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		return 122;
	if (ftruncate(fd, 0) == 0 || ftruncate(fd, st.st_size * 2) == 0)
		return 123;
	if (((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR) != writable)
		return 124;
	/* A read-only one cannot be made writable by opening it again. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	again = open(path, O_RDWR | O_CLOEXEC);
	if (again >= 0) {
		close(again);
		if (!writable)
			return 125;
	} else if (!writable && errno != EACCES) {
		return 126;
	}
	return 0;
}

/* As a user: attach raw, then check every descriptor the reply brought. */
static int
sec_check_memfds(const char *name)
{
	struct proto_attach_reply rep;
	struct proto_attach a;
	struct proto_fds fds;
	int rc, status_fd, own_fd;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	a.role = ESHM_ROLE_AUTO;
	a.stale_threshold_ms = 100;
	a.capacity = 64;
	rc = tf_request(&daemon_, PROTO_REQ_ATTACH, &a, PROTO_REP_ATTACH, &rep, &fds);
	if (rc != ESHM_SUCCESS)
		return -rc;
	status_fd = proto_fds_get(&fds, rep.fds, PROTO_FD_STATUS);
	own_fd = proto_fds_get(&fds, rep.fds, PROTO_FD_OWN);
	if (status_fd < 0 || own_fd < 0)
		rc = 127;
	if (rc == 0)
		rc = sec_memfd_private(status_fd, false);
	if (rc == 0)
		rc = sec_memfd_private(own_fd, true);
	if (rc == 0 && proto_fds_get(&fds, rep.fds, PROTO_FD_PEER) >= 0)
		rc = sec_memfd_private(proto_fds_get(&fds, rep.fds, PROTO_FD_PEER), false);
	proto_fds_close(&fds);
	return rc;
}

/* Root's master of @name: for tc_attach_when_free(). */
static ESHMHandle *
sec_attach_master(const void *name)
{
	return tc_attach(name, ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
}

static void
segment_memfds_are_private_to_eshmd_and_sealed(void **state)
{
	ESHMHandle *m;

	sec_start(NULL);
	assert_int_equal(sec_do(USER_A, sec_attach, "a-private"), 0);
	/* The creator, holding the master's block: nothing to resize, nothing
	 * to reopen writable. */
	assert_int_equal(sec_do(USER_A, sec_check_memfds, "a-private"), 0);
	/* Then as the slave, with the master's block (root's) as its peer.
	 * The check's own master has just exited: eshmd frees its role once it
	 * has seen that, later under a slow eshmd (valgrind, no pidfds). */
	m = tc_attach_when_free(sec_attach_master, "a-private", 10000);
	if (m == NULL)
		print_message("# root's master: %s\n", eshm_last_error_message());
	assert_non_null(m);
	assert_int_equal(sec_do(USER_A, sec_check_memfds, "a-private"), 0);
	eshm_destroy(m);
	assert_int_equal(th_shm_count(daemon_.prefix), 0);
}

static void
other_user_cannot_attach_peek_list_observers_or_remove(void **state)
{
	sec_start(NULL);
	assert_int_equal(sec_do(USER_A, sec_attach, "a-owned"), 0);
	assert_int_equal(sec_do(USER_B, sec_attach, "a-owned"), ESHM_ERROR_PERMISSION);
	assert_int_equal(sec_do(USER_B, sec_peek, "a-owned"), ESHM_ERROR_PERMISSION);
	assert_int_equal(sec_do(USER_B, sec_observers, "a-owned"), ESHM_ERROR_PERMISSION);
	assert_int_equal(sec_do(USER_B, sec_remove, "a-owned"), ESHM_ERROR_PERMISSION);
	assert_true(tf_segment_exists(&daemon_, "a-owned"));
	/* The owner may do all four. */
	assert_int_equal(sec_do(USER_A, sec_attach, "a-owned"), 0);
	assert_int_equal(sec_do(USER_A, sec_peek, "a-owned"), 0);
	assert_int_equal(sec_do(USER_A, sec_observers, "a-owned"), 0);
	assert_int_equal(sec_do(USER_A, sec_remove, "a-owned"), 0);
	assert_false(tf_segment_exists(&daemon_, "a-owned"));
}

static void
policy_anyone_lets_other_users_attach(void **state)
{
	sec_start("anyone");
	assert_int_equal(sec_do(USER_A, sec_attach, "shared"), 0);
	assert_int_equal(sec_do(USER_C, sec_attach, "shared"), 0);
	assert_int_equal(sec_do(USER_C, sec_peek, "shared"), 0);
}

static void
policy_group_admits_members_only(void **state)
{
	sec_start("group");
	assert_int_equal(sec_do(USER_A, sec_attach, "team"), 0);
	assert_int_equal(sec_do(USER_B, sec_attach, "team"), 0);
	assert_int_equal(sec_do(USER_C, sec_attach, "team"), ESHM_ERROR_PERMISSION);
	assert_int_equal(sec_do(USER_C, sec_peek, "team"), ESHM_ERROR_PERMISSION);
}

static void
only_root_and_bridge_group_may_stand_in(void **state)
{
	sec_start_conf("[access]\npolicy = anyone\nbridge_group = " SEC_GROUP "\n");
	assert_int_equal(sec_do(USER_C, sec_stand_in, "bridged"), ESHM_ERROR_PERMISSION);
	assert_false(tf_segment_exists(&daemon_, "bridged"));
	assert_int_equal(sec_do(USER_A, sec_stand_in, "bridged"), 0);
	assert_true(tf_segment_exists(&daemon_, "bridged"));
	/* as a plain endpoint, the policy (anyone) decides */
	assert_int_equal(sec_do(USER_C, sec_attach, "bridged"), 0);
}

/* Every request that carries a name, with @name sent raw. */
static int
sec_raw_names(const char *name)
{
	struct proto_attach a;
	struct proto_create c;
	struct proto_name n;
	int rc;

	memset(&a, 0, sizeof(a));
	memcpy(a.name, name, strlen(name));
	a.capacity = 64;
	a.stale_threshold_ms = 100;
	rc = tf_request(&daemon_, PROTO_REQ_ATTACH, &a, PROTO_REP_ATTACH, NULL, NULL);
	if (rc != ESHM_ERROR_NAME_INVALID)
		return 100;
	memset(&c, 0, sizeof(c));
	memcpy(c.name, name, strlen(name));
	if (tf_request(&daemon_, PROTO_REQ_CREATE, &c, PROTO_REP_STATUS, NULL, NULL) !=
	    ESHM_ERROR_NAME_INVALID)
		return 101;
	memset(&n, 0, sizeof(n));
	memcpy(n.name, name, strlen(name));
	if (tf_request(&daemon_, PROTO_REQ_PEEK, &n, PROTO_REP_PEEK, NULL, NULL) !=
	    ESHM_ERROR_NAME_INVALID)
		return 102;
	if (sec_remove(name) != -ESHM_ERROR_NAME_INVALID)
		return 103;
	return 0;
}

static void
names_cannot_escape_the_prefix(void **state)
{
	static const char *const bad[] = {
		"../escape", "..", ".", "/escape", "a/b", "a/../../escape", ".hidden", "-opt",
		"tab\there", "nl\nx", "\x01", "del\x7f", "sp ace", "",
	};
	char longname[PROTO_NAME_MAX + 2];
	struct proto_status_reply st0, st1;
	struct stat st;
	unsigned i;

	sec_start("anyone");
	assert_int_equal(tf_status(&daemon_, &st0), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sec_do(USER_A, sec_raw_names, bad[i]) != 0)
			fail_msg("name \"%s\" was not refused as invalid", bad[i]);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sec_do(USER_A, sec_raw_names, longname), 0);
	/* The longest valid name still works. */
	longname[PROTO_NAME_MAX] = '\0';
	assert_int_equal(sec_do(USER_A, sec_attach, longname), 0);
	assert_int_equal(tf_status(&daemon_, &st1), 0);
	assert_int_equal(st1.segments, st0.segments + 1);
	assert_int_equal(th_shm_count(daemon_.prefix), 0);
	assert_int_not_equal(lstat("/dev/escape", &st), 0);
	assert_int_not_equal(stat("/escape", &st), 0);
	assert_true(tf_running(daemon_.pid));
}

/* As the planting user: a symlink and a file of our own, where eshmd of
 * layout 1 kept its segments. */
static int
sec_plant(const char *dir)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/%ssquat-link", daemon_.prefix);
	if (symlink(dir, path) < 0)
		return 110;
	snprintf(path, sizeof(path), "/dev/shm/%ssquat", daemon_.prefix);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		return 111;
	if (write(fd, "squatted", 8) != 8)
		return 112;
	close(fd);
	return 0;
}

static void
planted_symlink_or_foreign_file_is_never_followed_and_squats_no_name(void **state)
{
	char target[256], path[256];
	struct stat st;

	sec_start("anyone");
	snprintf(target, sizeof(target), "%s/target", daemon_.dir);
	assert_int_equal(tf_write_file(target, "precious\n"), 0);
	assert_int_equal(sec_do(USER_A, sec_plant, target), 0);
	/* The names are B's to use as any other: eshmd never looks there. */
	assert_int_equal(sec_do(USER_B, sec_attach, "squat-link"), 0);
	assert_int_equal(sec_do(USER_B, sec_attach, "squat"), 0);
	assert_int_equal(sec_do(USER_B, sec_peek, "squat"), 0);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 9);
	assert_int_equal(st.st_uid, 0);
	snprintf(path, sizeof(path), "/dev/shm/%ssquat", daemon_.prefix);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, sec_uid[USER_A]);
	assert_int_equal(st.st_size, 8);
	unlink(path);
	snprintf(path, sizeof(path), "/dev/shm/%ssquat-link", daemon_.prefix);
	unlink(path);
	unlink(target);
	assert_true(tf_running(daemon_.pid));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(segment_memfds_are_private_to_eshmd_and_sealed, teardown),
		cmocka_unit_test_teardown(other_user_cannot_attach_peek_list_observers_or_remove,
		                          teardown),
		cmocka_unit_test_teardown(policy_anyone_lets_other_users_attach, teardown),
		cmocka_unit_test_teardown(policy_group_admits_members_only, teardown),
		cmocka_unit_test_teardown(only_root_and_bridge_group_may_stand_in, teardown),
		cmocka_unit_test_teardown(names_cannot_escape_the_prefix, teardown),
		cmocka_unit_test_teardown(
			planted_symlink_or_foreign_file_is_never_followed_and_squats_no_name, teardown),
	};

	return cmocka_run_group_tests_name("security", tests, group_setup, group_teardown);
}
