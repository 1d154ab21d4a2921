/*
 * test_security.c - the multi-user promises of docs/SECURITY.md, with real
 * unprivileged users (made here with useradd, removed afterwards) whose
 * clients run in children that drop to them, as setpriv(1) does:
 *
 * - a segment object is 0600 and owned by eshmd: no user opens it directly;
 * - a user cannot attach to, peek at or remove another user's segment,
 *   unless the access policy (anyone, group) allows it;
 * - names cannot escape the prefix ("../", "/", control characters,
 *   over-long), even sent raw, bypassing the library's own checks;
 * - a symlink or an object another user planted under the prefix is never
 *   followed or adopted.
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

/* Start eshmd with the [access] @policy (NULL: default), its socket
 * reachable by everyone so that the policy, not the file mode, decides. */
static void
sec_start(const char *policy)
{
	char conf[256], text[128];
	const char *extra[] = { "--config", conf, NULL };

	if (geteuid() != 0)
		skip();
	assert_int_equal(th_daemon_prepare(&daemon_), 0);
	snprintf(conf, sizeof(conf), "%s/eshmd.conf", daemon_.dir);
	if (policy != NULL)
		snprintf(text, sizeof(text), "[access]\npolicy = %s\n%s", policy,
		         strcmp(policy, "group") == 0 ? "group = " SEC_GROUP "\n" : "");
	else
		text[0] = '\0';
	assert_int_equal(tf_write_file(conf, text), 0);
	assert_int_equal(chmod(daemon_.dir, 0711), 0);
	assert_int_equal(th_daemon_start(&daemon_, extra), 0);
	assert_int_equal(chmod(daemon_.sock, 0666), 0);
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

static int
sec_peek(const char *name)
{
	struct proto_name n;
	int fd = -1, rc;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	rc = tf_request(&daemon_, PROTO_REQ_PEEK, &n, PROTO_REP_STATUS, NULL, &fd);
	if (rc == ESHM_SUCCESS && fd < 0)
		return 150;
	if (rc != ESHM_SUCCESS && fd >= 0)
		return 151;
	if (fd >= 0)
		close(fd);
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

/* Open the object straight from /dev/shm: 0 if it opened, else errno
 * (which sec_do hands back negated). */
static int
sec_open_direct(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return errno > 120 ? 120 : errno;
	close(fd);
	return 0;
}

static void
sec_obj_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/dev/shm/%s%s", daemon_.prefix, name);
}

static void
segment_object_is_private_to_eshmd(void **state)
{
	char path[256];
	struct stat st;

	sec_start(NULL);
	assert_int_equal(sec_do(USER_A, sec_attach, "a-private"), 0);
	sec_obj_path(path, sizeof(path), "a-private");
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	/* Neither another user nor the creator opens it by name. */
	assert_int_equal(sec_do(USER_B, sec_open_direct, path), -EACCES);
	assert_int_equal(sec_do(USER_A, sec_open_direct, path), -EACCES);
}

static void
other_user_cannot_attach_peek_or_remove(void **state)
{
	char path[256];
	struct stat st;

	sec_start(NULL);
	assert_int_equal(sec_do(USER_A, sec_attach, "a-owned"), 0);
	assert_int_equal(sec_do(USER_B, sec_attach, "a-owned"), ESHM_ERROR_PERMISSION);
	assert_int_equal(sec_do(USER_B, sec_peek, "a-owned"), ESHM_ERROR_PERMISSION);
	assert_int_equal(sec_do(USER_B, sec_remove, "a-owned"), ESHM_ERROR_PERMISSION);
	sec_obj_path(path, sizeof(path), "a-owned");
	assert_int_equal(lstat(path, &st), 0);
	/* The owner may do all three. */
	assert_int_equal(sec_do(USER_A, sec_attach, "a-owned"), 0);
	assert_int_equal(sec_do(USER_A, sec_peek, "a-owned"), 0);
	assert_int_equal(sec_do(USER_A, sec_remove, "a-owned"), 0);
	assert_int_not_equal(lstat(path, &st), 0);
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
	if (tf_request(&daemon_, PROTO_REQ_PEEK, &n, PROTO_REP_STATUS, NULL, NULL) !=
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
	struct stat st;
	unsigned i;
	int before;

	sec_start("anyone");
	before = th_shm_count(daemon_.prefix);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sec_do(USER_A, sec_raw_names, bad[i]) != 0)
			fail_msg("name \"%s\" was not refused as invalid", bad[i]);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sec_do(USER_A, sec_raw_names, longname), 0);
	/* The longest valid name still works. */
	longname[PROTO_NAME_MAX] = '\0';
	assert_int_equal(sec_do(USER_A, sec_attach, longname), 0);
	assert_int_equal(th_shm_count(daemon_.prefix), before + 1);
	assert_int_not_equal(lstat("/dev/escape", &st), 0);
	assert_int_not_equal(stat("/escape", &st), 0);
	assert_true(tf_running(daemon_.pid));
}

/* As the planting user: a symlink and a well-formed object of our own. */
static int
sec_plant(const char *dir)
{
	char path[256];
	size_t size = seg_total_size(64);
	void *buf = aligned_alloc(SEG_CACHE_LINE, size);
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/%ssquat-link", daemon_.prefix);
	if (symlink(dir, path) < 0)
		return 110;
	snprintf(path, sizeof(path), "/dev/shm/%ssquat", daemon_.prefix);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0666);
	if (fd < 0 || buf == NULL)
		return 111;
	seg_format(buf, 64, 1, 100, 0, getuid(), getgid());
	if (write(fd, buf, size) != (ssize_t)size)
		return 112;
	close(fd);
	free(buf);
	return 0;
}

static void
planted_symlink_or_foreign_object_is_never_followed_or_adopted(void **state)
{
	char target[256], path[256];
	struct stat st;

	sec_start("anyone");
	snprintf(target, sizeof(target), "%s/target", daemon_.dir);
	assert_int_equal(tf_write_file(target, "precious\n"), 0);
	assert_int_equal(sec_do(USER_A, sec_plant, target), 0);
	assert_int_not_equal(sec_do(USER_B, sec_attach, "squat-link"), 0);
	assert_int_not_equal(sec_do(USER_B, sec_attach, "squat"), 0);
	assert_int_not_equal(sec_do(USER_B, sec_peek, "squat"), 0);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 9);
	assert_int_equal(st.st_uid, 0);
	sec_obj_path(path, sizeof(path), "squat");
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, sec_uid[USER_A]);
	unlink(target);
	assert_true(tf_running(daemon_.pid));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(segment_object_is_private_to_eshmd, teardown),
		cmocka_unit_test_teardown(other_user_cannot_attach_peek_or_remove, teardown),
		cmocka_unit_test_teardown(policy_anyone_lets_other_users_attach, teardown),
		cmocka_unit_test_teardown(policy_group_admits_members_only, teardown),
		cmocka_unit_test_teardown(names_cannot_escape_the_prefix, teardown),
		cmocka_unit_test_teardown(planted_symlink_or_foreign_object_is_never_followed_or_adopted,
		                          teardown),
	};

	return cmocka_run_group_tests_name("security", tests, group_setup, group_teardown);
}
