/*
 * test_daemon_memfd.c - the memory eshmd hands out cannot be turned
 * against eshmd or a peer: every memfd is sealed (no holder can shrink or
 * grow it, so no mapping ever faults), read-only descriptors really are
 * read-only, another user cannot reopen one writable, and only the very
 * memfds eshmd recorded are accepted back at REATTACH.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eshm.h"
#include "harness.h"
#include "raw_client.h"
#include "user_util.h"

static struct th_daemon daemon_;
static struct tu_user other = {"eshmt-memfd", 0, 0};

static int
setup(void **state)
{
	if (geteuid() == 0 && tu_add(&other) < 0)
		return -1;
	return th_daemon_start(&daemon_, NULL);
}

static int
teardown(void **state)
{
	th_daemon_cleanup(&daemon_);
	if (geteuid() == 0)
		tu_del(&other);
	return 0;
}

static int
conn(void)
{
	int fd = proto_connect(daemon_.sock);

	assert_true(fd >= 0);
	return fd;
}

/* Resize @fd every way there is; each must fail with EPERM (the seals). */
static void
assert_sealed(int fd)
{
	struct stat st;
	char path[64];
	int rw;

	assert_int_equal(fstat(fd, &st), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* root may reopen anything read-write: the seals still hold */
	rw = open(path, O_RDWR);
	if (rw < 0)
		rw = fd;
	errno = 0;
	assert_int_equal(ftruncate(rw, st.st_size / 2), -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(ftruncate(rw, st.st_size * 2), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(rw, 0), -1);
	errno = 0;
	assert_int_equal(fallocate(rw, 0, st.st_size, 4096), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(fcntl(rw, F_ADD_SEALS, 0), -1);
	assert_int_equal(fcntl(rw, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	                 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	if (rw != fd)
		close(rw);
}

/* @fd refuses writable shared mappings and write(). */
static void
assert_read_only(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	errno = 0;
	assert_ptr_equal(mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
	                 MAP_FAILED);
	assert_int_equal(errno, EACCES);
	errno = 0;
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(pwrite(fd, "x", 1, 0), -1);
}

static void
every_descriptor_received_is_sealed_and_read_only_ones_are_read_only(void **state)
{
	struct proto_attach_reply r;
	struct proto_peek_reply pr;
	struct proto_fds fm, fs, fp;
	int m = conn(), s = conn();
	unsigned i;

	assert_int_equal(rc_attach_simple(m, "sealed", ESHM_ROLE_MASTER, &r, &fm), ESHM_SUCCESS);
	assert_int_equal(rc_attach_simple(s, "sealed", ESHM_ROLE_SLAVE, &r, &fs), ESHM_SUCCESS);
	assert_int_equal(fs.n, th_expect_pidfds() ? 4 : 3);
	assert_int_equal(rc_peek(m, "sealed", &pr, &fp), ESHM_SUCCESS);
	assert_int_equal(fp.n, 3);
	for (i = 0; i < 3; i++) {
		/* status, own block, peer block (the pidfd is not a memfd) */
		assert_sealed(fs.fd[i]);
		assert_sealed(fp.fd[i]);
		assert_read_only(fp.fd[i]);
	}
	assert_read_only(proto_fds_get(&fs, r.fds, PROTO_FD_STATUS));
	assert_read_only(proto_fds_get(&fs, r.fds, PROTO_FD_PEER));
	assert_int_equal(fcntl(proto_fds_get(&fs, r.fds, PROTO_FD_OWN), F_GETFL) & O_ACCMODE, O_RDWR);
	proto_fds_close(&fm);
	proto_fds_close(&fs);
	proto_fds_close(&fp);
	assert_int_equal(rc_remove(m, "sealed", true), ESHM_SUCCESS);
	close(m);
	close(s);
}

static int reopen_fds[3];

/* As another user: no descriptor can be reopened, read-write or at all. */
static int
try_reopen(void *arg)
{
	char path[64];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", reopen_fds[i]);
		if (open(path, O_RDWR) >= 0)
			return 10 + i;
		if (errno != EACCES)
			return 20 + i;
	}
	/* what it was given still works: it may map read-only */
	if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, reopen_fds[0], 0) == MAP_FAILED)
		return 30;
	return 0;
}

static void
another_user_cannot_reopen_a_descriptor_read_write(void **state)
{
	struct proto_attach_reply r;
	struct proto_fds fm, fs;
	int m = conn(), s = conn();

	if (geteuid() != 0)
		skip();
	assert_int_equal(rc_attach_simple(m, "reopen", ESHM_ROLE_MASTER, &r, &fm), ESHM_SUCCESS);
	assert_int_equal(rc_attach_simple(s, "reopen", ESHM_ROLE_SLAVE, &r, &fs), ESHM_SUCCESS);
	reopen_fds[0] = proto_fds_get(&fs, r.fds, PROTO_FD_STATUS);
	reopen_fds[1] = proto_fds_get(&fs, r.fds, PROTO_FD_PEER);
	reopen_fds[2] = proto_fds_get(&fs, r.fds, PROTO_FD_OWN);
	assert_int_equal(tu_run_as(&other, try_reopen, NULL), 0);
	proto_fds_close(&fm);
	proto_fds_close(&fs);
	assert_int_equal(rc_remove(m, "reopen", true), ESHM_SUCCESS);
	close(m);
	close(s);
}

/* A memfd of @size bytes sealed as eshmd seals: right in every way but identity. */
static int
forged_memfd(size_t size)
{
	int fd = memfd_create("forged", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	return fd;
}

static int
reattach(const struct proto_attach_reply *r, const char *name, int status, int own)
{
	struct proto_attach a;
	struct proto_attach_reply r2;
	struct proto_fds back, got;
	int fd = conn(), rc;

	rc_attach_init(&a, name, r->role, 600000, 64);
	a.fds = PROTO_FD_STATUS | PROTO_FD_OWN;
	a.generation = r->generation;
	a.incarnation = r->incarnation;
	proto_fds_init(&back);
	back.fd[0] = status;
	back.fd[1] = own;
	back.n = 2;
	rc = rc_attach(fd, PROTO_REQ_REATTACH, &a, &back, &r2, &got);
	proto_fds_close(&got);
	close(fd);
	return rc;
}

struct reattach_arg {
	const struct proto_attach_reply *r;
	int status, own;
};

static int
reattach_child(void *p)
{
	struct reattach_arg *x = p;

	return -reattach(x->r, "handback", x->status, x->own);
}

static void
only_the_recorded_memfds_are_accepted_back(void **state)
{
	struct proto_attach_reply r, r2;
	struct proto_attach a;
	struct proto_fds f, f2;
	struct seg_geometry g;
	int m = conn(), other_seg = conn(), status, own, fst, fown;
	struct reattach_arg x;
	pid_t child;

	rc_attach_init(&a, "handback", ESHM_ROLE_MASTER, 600000, 64);
	assert_int_equal(rc_attach(m, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	status = proto_fds_get(&f, r.fds, PROTO_FD_STATUS);
	own = proto_fds_get(&f, r.fds, PROTO_FD_OWN);
	rc_attach_init(&a, "handback2", ESHM_ROLE_MASTER, 600000, 64);
	assert_int_equal(rc_attach(other_seg, PROTO_REQ_ATTACH, &a, NULL, &r2, &f2), ESHM_SUCCESS);
	close(m); /* hung up: the role stays held, a reattach may take it */
	assert_int_equal(seg_geometry(64, SEG_MODE_LATEST, 0, 0, &g), 0);
	fst = forged_memfd(SEG_STATUS_SIZE);
	fown = forged_memfd(g.block_size);
	/* forged status, forged block, another segment's block and status */
	assert_int_equal(reattach(&r, "handback", fst, own), ESHM_ERROR_PERMISSION);
	assert_int_equal(reattach(&r, "handback", status, fown), ESHM_ERROR_PERMISSION);
	assert_int_equal(reattach(&r, "handback", status, proto_fds_get(&f2, r2.fds, PROTO_FD_OWN)),
	                 ESHM_ERROR_PERMISSION);
	assert_int_equal(reattach(&r, "handback", proto_fds_get(&f2, r2.fds, PROTO_FD_STATUS), own),
	                 ESHM_ERROR_PERMISSION);
	/* the right memfds, from another process: refused */
	x.r = &r;
	x.status = status;
	x.own = own;
	child = th_spawn(reattach_child, &x);
	assert_int_equal(th_wait_child(child), -ESHM_ERROR_PERMISSION);
	assert_true(th_log_count(&daemon_, "refused a reattach") >= 1);
	/* none of it changed anything: the real holder gets its role back */
	assert_int_equal(reattach(&r, "handback", status, own), ESHM_SUCCESS);
	close(fst);
	close(fown);
	proto_fds_close(&f);
	proto_fds_close(&f2);
	assert_int_equal(rc_remove(other_seg, "handback", true), ESHM_SUCCESS);
	assert_int_equal(rc_remove(other_seg, "handback2", true), ESHM_SUCCESS);
	close(other_seg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_descriptor_received_is_sealed_and_read_only_ones_are_read_only),
		cmocka_unit_test(another_user_cannot_reopen_a_descriptor_read_write),
		cmocka_unit_test(only_the_recorded_memfds_are_accepted_back),
	};

	return cmocka_run_group_tests_name("daemon_memfd", tests, setup, teardown);
}
