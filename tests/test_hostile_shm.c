/*
 * test_hostile_shm.c - what others do in /dev/shm changes nothing for
 * eshmd, and memory is budgeted:
 *
 * - files planted under eshmd's prefix in /dev/shm (garbage, a symbolic
 *   link, one with a lease held by a process that ignores SIGIO) neither
 *   stop nor slow an attach of that name, and are never touched: eshmd
 *   keeps its segments in memfds and never opens anything there;
 * - no segment ever appears in /dev/shm;
 * - a segment over the memory budget is refused at creation with
 *   ESHM_ERROR_LIMIT naming the limit, and every segment that was created
 *   can be written in full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

static struct th_daemon daemon_;

static int
teardown(void **state)
{
	(void)state;
	th_daemon_cleanup(&daemon_);
	return 0;
}

/* Path of /dev/shm/<prefix>@name. */
static void
hs_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/dev/shm/%s%s", daemon_.prefix, name);
}

/* Hold a write lease on @path and ignore the kernel's request to break it,
 * as a hostile process would; report "held" on @ready. */
static int
hs_lease_holder(void *arg)
{
	int *ready = arg;
	int fd;

	tf_die_with_parent();
	signal(SIGIO, SIG_IGN);
	fd = open(getenv("HS_LEASED"), O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK) != 0)
		return 1;
	if (write(*ready, "h", 1) != 1)
		return 1;
	for (;;)
		pause();
}

/* Attach master and slave to @name and exchange one message; returns how
 * long the attach took in ns, or -1. */
static long long
hs_exchange(const char *name)
{
	long long t0 = th_now_ns(), took;
	ESHMHandle *m = tc_attach(name, ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *s;
	char buf[16];
	size_t n;

	took = th_now_ns() - t0;
	s = tc_attach(name, ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	if (m == NULL || s == NULL ||
	    eshm_write(m, "through", 8) != ESHM_SUCCESS ||
	    eshm_read_timeout(s, buf, sizeof(buf), &n, 2000) != ESHM_SUCCESS || n != 8 ||
	    strcmp(buf, "through") != 0)
		took = -1;
	eshm_destroy(s);
	eshm_destroy(m);
	return took;
}

static void
planted_files_and_leases_under_dev_shm_change_nothing(void **state)
{
	static const char garbage[] = "not a segment, planted by someone else";
	char path[3][256], got[sizeof(garbage)];
	const char *names[3] = { "planted", "linked", "leased" };
	struct stat before[3], after;
	int ready[2], fd, i;
	long long took;
	pid_t holder;
	char c;

	(void)state;
	assert_int_equal(th_daemon_prepare(&daemon_), 0);
	for (i = 0; i < 3; i++)
		hs_path(path[i], sizeof(path[i]), names[i]);
	fd = open(path[0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, garbage, sizeof(garbage)), (ssize_t)sizeof(garbage));
	close(fd);
	assert_int_equal(symlink("/etc/passwd", path[1]), 0);
	fd = open(path[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	for (i = 0; i < 3; i++)
		assert_int_equal(lstat(path[i], &before[i]), 0);
	setenv("HS_LEASED", path[2], 1);
	assert_int_equal(pipe(ready), 0);
	holder = th_spawn(hs_lease_holder, &ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	/* eshmd starts with them there (it never scans /dev/shm) and serves
	 * each name at once. */
	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	for (i = 0; i < 3; i++) {
		took = hs_exchange(names[i]);
		print_message("# attach to '%s' took %lld us\n", names[i], took / 1000);
		assert_true(took >= 0);
		assert_true(took < 1000LL * 1000000);
	}
	/* Left exactly as they were: same inode, size and time; the lease
	 * still held by its holder (never broken). */
	for (i = 0; i < 3; i++) {
		assert_int_equal(lstat(path[i], &after), 0);
		assert_true(after.st_ino == before[i].st_ino);
		assert_int_equal(after.st_size, before[i].st_size);
		assert_int_equal(after.st_mtim.tv_sec, before[i].st_mtim.tv_sec);
		assert_int_equal(after.st_mtim.tv_nsec, before[i].st_mtim.tv_nsec);
	}
	fd = open(path[0], O_RDONLY | O_CLOEXEC);
	assert_int_equal(read(fd, got, sizeof(got)), (ssize_t)sizeof(garbage));
	assert_memory_equal(got, garbage, sizeof(garbage));
	close(fd);
	assert_true(tf_running(holder));
	assert_int_equal(tf_log_count(&daemon_, "/dev/shm"), 0);
	for (i = 0; i < 3; i++)
		unlink(path[i]);
	close(ready[0]);
	close(ready[1]);
}

static void
no_segment_ever_appears_in_dev_shm(void **state)
{
	ESHMHandle *m;

	(void)state;
	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	m = tc_attach("nowhere-in-dev-shm", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	assert_non_null(m);
	assert_int_equal(eshm_write(m, "x", 1), ESHM_SUCCESS);
	assert_int_equal(th_shm_count(daemon_.prefix), 0);
	eshm_destroy(m);
}

static void
segment_over_the_memory_budget_is_refused_at_creation(void **state)
{
	char conf[256];
	const char *extra[] = { "--config", conf, NULL };
	ESHMConfig c = eshm_default_config("too-big");
	ESHMOptions *o = eshm_options_new();
	ESHMHandle *h[4];
	unsigned char *msg;
	int i, made = 0;

	(void)state;
	assert_int_equal(th_daemon_prepare(&daemon_), 0);
	snprintf(conf, sizeof(conf), "%s/eshmd.conf", daemon_.dir);
	/* 8 MiB in all: a segment of 1 MiB messages costs 2 * 4 * 1 MiB and
	 * more, so it cannot fit; ones of 64 KiB can. */
	assert_int_equal(tf_write_file(conf, "[limits]\nmax_bytes = 8388608\n"), 0);
	assert_int_equal(th_daemon_start(&daemon_, extra), 0);
	assert_int_equal(eshm_options_set_capacity(o, 1024 * 1024), ESHM_SUCCESS);
	assert_null(eshm_init_with_options(&c, o));
	assert_int_equal(eshm_last_error(), ESHM_ERROR_LIMIT);
	print_message("# %s\n", eshm_last_error_message());
	assert_non_null(strstr(eshm_last_error_message(), "max_bytes"));

	assert_int_equal(eshm_options_set_capacity(o, 64 * 1024), ESHM_SUCCESS);
	msg = malloc(64 * 1024);
	assert_non_null(msg);
	for (i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fits-%d", i);
		c.shm_name = name;
		h[made] = eshm_init_with_options(&c, o);
		if (h[made] != NULL)
			made++;
	}
	assert_true(made > 0);
	/* Every segment created is backed in full: writing every byte of
	 * every channel never faults. */
	for (i = 0; i < made; i++) {
		tc_fill(msg, 64 * 1024, (uint64_t)i);
		assert_int_equal(eshm_write(h[i], msg, 64 * 1024), ESHM_SUCCESS);
		eshm_destroy(h[i]);
	}
	assert_true(tf_running(daemon_.pid));
	free(msg);
	eshm_options_free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(planted_files_and_leases_under_dev_shm_change_nothing,
		                          teardown),
		cmocka_unit_test_teardown(no_segment_ever_appears_in_dev_shm, teardown),
		cmocka_unit_test_teardown(segment_over_the_memory_budget_is_refused_at_creation,
		                          teardown),
	};

	return cmocka_run_group_tests_name("hostile_shm", tests, NULL, NULL);
}
