/*
 * test_hostile_shm.c - hostile objects in /dev/shm and a /dev/shm too small:
 * eshmd refuses to adopt a corrupted, truncated, foreign-version or
 * non-regular object with its prefix and logs why, leaving it alone; a
 * client asking for it gets a named error, never a crash or SIGBUS; a
 * segment that does not fit is ESHM_ERROR_NO_SPACE at creation, and the
 * segments that fit never fault later; an object unlinked or replaced
 * behind eshmd's back is never passed on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

static struct th_daemon daemon_;

static int
setup(void **state)
{
	return th_daemon_prepare(&daemon_);
}

static int
teardown(void **state)
{
	th_daemon_cleanup(&daemon_);
	return 0;
}

/* Plant /dev/shm/<prefix>@name holding @len bytes of @data. */
static void
hs_plant(const char *name, const void *data, size_t len)
{
	char obj[256];
	int fd;

	snprintf(obj, sizeof(obj), "/%s%s", daemon_.prefix, name);
	fd = shm_open(obj, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A formatted segment of @capacity, spoiled by @spoil, cut to @len bytes
 * (0: its full size). */
static void
hs_plant_segment(const char *name, uint64_t capacity, void (*spoil)(struct seg_header *),
                 size_t len)
{
	size_t size = seg_total_size(capacity);
	void *buf = aligned_alloc(SEG_CACHE_LINE, size);

	assert_non_null(buf);
	seg_format(buf, capacity, 1, 100, 0, 0, 0);
	if (spoil != NULL)
		spoil(buf);
	hs_plant(name, buf, len ? len : size);
	free(buf);
}

static void
hs_future_version(struct seg_header *h)
{
	h->version = SEG_LAYOUT_VERSION + 1;
}

static void
hs_huge_capacity(struct seg_header *h)
{
	h->capacity = UINT64_C(1) << 40;
}

static void
hs_bad_magic(struct seg_header *h)
{
	h->magic ^= 1;
}

static off_t
hs_size(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/shm/%s%s", daemon_.prefix, name);
	return lstat(path, &st) == 0 ? st.st_size : -1;
}

/*
 * An attach to @name is refused with a named error: the @reason itself, or
 * ESHM_ERROR_EXISTS ("exists but is not a segment eshmd manages"), which is
 * what eshmd answers for an object it did not adopt; the reason is then in
 * its log.
 */
static void
hs_attach_refused(const char *name, int reason)
{
	ESHMHandle *h = tc_attach(name, ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);
	int err = eshm_last_error();

	if (h != NULL)
		eshm_destroy(h);
	assert_null(h);
	if (err != reason && err != ESHM_ERROR_EXISTS)
		fail_msg("attach to %s: %s (%d), expected %s", name, eshm_error_string(err), err,
		         eshm_error_string(reason));
}

static void
planted_bad_objects_are_not_adopted_and_clients_get_named_errors(void **state)
{
	char garbage[4096], link[256], target[256];
	size_t cap = 4096, full = seg_total_size(cap);
	unsigned i;

	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 131 + 7);
	hs_plant("garbage", garbage, sizeof(garbage));
	hs_plant("empty", NULL, 0);
	hs_plant_segment("truncated", cap, NULL, full / 2);
	hs_plant_segment("header-only", cap, NULL, sizeof(struct seg_header));
	hs_plant_segment("future", cap, hs_future_version, 0);
	hs_plant_segment("huge", cap, hs_huge_capacity, 0);
	hs_plant_segment("magic", cap, hs_bad_magic, 0);
	/* A symlink and a directory under the prefix. */
	snprintf(target, sizeof(target), "%s/target", daemon_.dir);
	assert_int_equal(tf_write_file(target, "not a segment\n"), 0);
	snprintf(link, sizeof(link), "/dev/shm/%slink", daemon_.prefix);
	assert_int_equal(symlink(target, link), 0);

	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	tc_sleep_ms(100);
	assert_true(tf_running(daemon_.pid));
	/* Logged, one line per object, and left alone. */
	assert_true(tf_log_count(&daemon_, "not adopted") >= 7);
	assert_int_equal(hs_size("garbage"), (off_t)sizeof(garbage));
	assert_int_equal(hs_size("truncated"), (off_t)(full / 2));
	assert_int_equal(hs_size("empty"), 0);

	hs_attach_refused("garbage", ESHM_ERROR_SEGMENT_CORRUPT);
	hs_attach_refused("empty", ESHM_ERROR_SEGMENT_CORRUPT);
	hs_attach_refused("truncated", ESHM_ERROR_SEGMENT_CORRUPT);
	hs_attach_refused("header-only", ESHM_ERROR_SEGMENT_CORRUPT);
	hs_attach_refused("future", ESHM_ERROR_VERSION_MISMATCH);
	hs_attach_refused("huge", ESHM_ERROR_SEGMENT_CORRUPT);
	hs_attach_refused("magic", ESHM_ERROR_SEGMENT_CORRUPT);
	/* The link is never followed (O_NOFOLLOW: ELOOP, reported as a bad
	 * name, or EEXIST at creation): the target is untouched. */
	{
		ESHMHandle *h = tc_attach("link", ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);
		int err = eshm_last_error();

		assert_null(h);
		assert_true(err == ESHM_ERROR_EXISTS || err == ESHM_ERROR_NAME_INVALID ||
		            err == ESHM_ERROR_SEGMENT_CORRUPT);
	}
	{
		struct stat st;

		assert_int_equal(stat(target, &st), 0);
		assert_int_equal(st.st_size, 14);
	}
	assert_true(tf_running(daemon_.pid));
	unlink(link);
	unlink(target);
}

static void
object_spoiled_while_eshmd_runs_is_refused_at_attach(void **state)
{
	ESHMHandle *h;

	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	hs_plant_segment("late", 4096, NULL, seg_total_size(4096) - 100);
	hs_attach_refused("late", ESHM_ERROR_SEGMENT_CORRUPT);
	/* Everything else still works. */
	h = tc_attach("fine", ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);
	assert_non_null(h);
	eshm_destroy(h);
	assert_true(tf_running(daemon_.pid));
}

/* The whole content of /dev/shm/<prefix>@name; *@len receives its size. */
static unsigned char *
hs_read_object(const char *name, size_t *len)
{
	char path[256];
	unsigned char *buf;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/%s%s", daemon_.prefix, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* PEEK @name as a raw request; returns its status, closing any fd passed. */
static int
hs_peek(const char *name)
{
	struct proto_name n;
	struct proto_status st;
	int fd = -1, rc;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	rc = tf_request(&daemon_, PROTO_REQ_PEEK, &n, PROTO_REP_STATUS, &st, &fd);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void
object_replaced_behind_eshmds_back_is_refused_at_next_attach(void **state)
{
	unsigned char msg[64], *copy, *now;
	char obj[256];
	size_t len, len_now;
	ESHMHandle *master, *h;

	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	master = tc_attach("swapped", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	assert_non_null(master);
	assert_int_equal(hs_peek("swapped"), ESHM_SUCCESS);
	tc_fill(msg, sizeof(msg), 1);
	assert_int_equal(eshm_write(master, msg, sizeof(msg)), ESHM_SUCCESS);

	/* A byte-for-byte twin under the same name: valid header, same size
	 * and generation; only the object itself is another one. */
	copy = hs_read_object("swapped", &len);
	snprintf(obj, sizeof(obj), "/%sswapped", daemon_.prefix);
	assert_int_equal(shm_unlink(obj), 0);
	hs_plant("swapped", copy, len);

	h = tc_attach("swapped", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	if (h != NULL)
		eshm_destroy(h);
	assert_null(h);
	assert_int_equal(eshm_last_error(), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_int_equal(hs_peek("swapped"), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_true(tf_log_count(&daemon_, "another object took its place") >= 2);
	/* The impostor was handed to nobody and written by nobody. */
	now = hs_read_object("swapped", &len_now);
	assert_int_equal(len_now, len);
	assert_memory_equal(now, copy, len);
	free(now);
	free(copy);

	/* Gone altogether: refused the same way, never an old descriptor. */
	assert_int_equal(shm_unlink(obj), 0);
	h = tc_attach("swapped", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	if (h != NULL)
		eshm_destroy(h);
	assert_null(h);
	assert_int_equal(eshm_last_error(), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_true(tf_log_count(&daemon_, "it was unlinked") >= 1);

	/* The holder keeps its mapping; eshmd keeps serving everyone else. */
	assert_int_equal(eshm_write(master, msg, sizeof(msg)), ESHM_SUCCESS);
	h = tc_attach("fine", ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);
	assert_non_null(h);
	eshm_destroy(h);
	eshm_destroy(master);
	assert_true(tf_running(daemon_.pid));
}

/* In the child, in its own mount namespace with a 2 MiB /dev/shm.  Returns
 * 0 or the number of the check that failed. */
static int
hs_small_shm(void *arg)
{
	ESHMHandle *h[64];
	ESHMOptions *o;
	unsigned char *msg;
	size_t cap = 128 * 1024;
	int i, made = 0, rc = 0;

	(void)arg;
	if (unshare(CLONE_NEWNS) < 0)
		return 1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 2;
	if (mount("eshm-test", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=2m,mode=1777") < 0)
		return 3;
	if (th_daemon_start(&daemon_, NULL) < 0)
		return 4;
	o = eshm_options_new();
	msg = malloc(cap);
	if (o == NULL || msg == NULL)
		return 5;
	/* Too big to fit at all: refused at creation. */
	eshm_options_set_capacity(o, 4 * 1024 * 1024);
	{
		ESHMConfig c = eshm_default_config("too-big");

		if (eshm_init_with_options(&c, o) != NULL || eshm_last_error() != ESHM_ERROR_NO_SPACE)
			rc = 6;
	}
	/* Fill it up: the one that no longer fits is NO_SPACE. */
	eshm_options_set_capacity(o, cap);
	for (i = 0; i < 64 && rc == 0; i++) {
		char name[16];
		ESHMConfig c;

		snprintf(name, sizeof(name), "fill%d", i);
		c = eshm_default_config(name);
		c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
		h[i] = eshm_init_with_options(&c, o);
		if (h[i] == NULL) {
			if (eshm_last_error() != ESHM_ERROR_NO_SPACE)
				rc = 7;
			break;
		}
		made++;
	}
	if (rc == 0 && (made == 0 || made == 64))
		rc = 8;
	/* Every segment that was created is fully backed: writing every byte
	 * of every channel never faults. */
	for (i = 0; i < made && rc == 0; i++) {
		tc_fill(msg, cap, (uint64_t)i);
		if (eshm_write(h[i], msg, cap) != ESHM_SUCCESS)
			rc = 9;
	}
	for (i = 0; i < made; i++)
		eshm_destroy(h[i]);
	if (rc == 0 && !tf_running(daemon_.pid))
		rc = 10;
	th_daemon_cleanup(&daemon_);
	free(msg);
	eshm_options_free(o);
	return rc;
}

static void
full_dev_shm_is_no_space_at_creation_never_sigbus_later(void **state)
{
	pid_t pid;

	if (geteuid() != 0) {
		printf("# needs root for a private mount namespace\n");
		skip();
	}
	pid = th_spawn(hs_small_shm, NULL);
	assert_true(pid > 0);
	/* 128 + SIGBUS would be the failure this test exists for. */
	assert_int_equal(th_wait_child(pid), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			planted_bad_objects_are_not_adopted_and_clients_get_named_errors, setup,
			teardown),
		cmocka_unit_test_setup_teardown(object_spoiled_while_eshmd_runs_is_refused_at_attach,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			object_replaced_behind_eshmds_back_is_refused_at_next_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(full_dev_shm_is_no_space_at_creation_never_sigbus_later,
		                                setup, teardown),
	};

	return cmocka_run_group_tests_name("hostile_shm", tests, NULL, NULL);
}
