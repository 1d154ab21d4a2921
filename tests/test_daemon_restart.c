/*
 * test_daemon_restart.c - eshmd killed with -9 and started again: it
 * rebuilds its registry from its records; segments an endpoint holds come
 * back when that endpoint reattaches with its memfds (a forged one is
 * refused); auto-cleanup segments whose endpoints died meanwhile are
 * removed at start; a bad record is logged and ignored; a segment nobody
 * brings back is dropped after 10 s.  Under a service manager (a
 * NOTIFY_SOCKET this test binds, descriptors passed back as LISTEN_FDS)
 * the segments no endpoint holds come back too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "eshm.h"
#include "harness.h"
#include "raw_client.h"

static struct th_daemon daemon_;

static int
teardown(void **state)
{
	th_daemon_cleanup(&daemon_);
	return 0;
}

static int
conn(void)
{
	int fd = proto_connect(daemon_.sock);

	assert_true(fd >= 0);
	return fd;
}

static int ready[2];

/* A child that attaches @arg as master with auto-cleanup, then waits. */
static int
auto_holder(void *arg)
{
	struct proto_attach_reply r;
	struct proto_attach a;
	struct proto_fds f;
	int fd = proto_connect(daemon_.sock);

	rc_attach_init(&a, arg, ESHM_ROLE_MASTER, 600000, 64);
	a.flags = PROTO_ATTACH_AUTO_CLEANUP;
	if (fd < 0 || rc_attach(fd, PROTO_REQ_ATTACH, &a, NULL, &r, &f) != ESHM_SUCCESS)
		return 1;
	if (write(ready[1], "r", 1) != 1)
		return 2;
	for (;;)
		pause();
}

/* REATTACH @name as in @r with @status and @own on a new connection. */
static int
reattach(const char *name, const struct proto_attach_reply *r, int status, int own, int *out)
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
	if (out != NULL && rc == ESHM_SUCCESS)
		*out = fd;
	else
		close(fd);
	return rc;
}

static int
forged(size_t size)
{
	int fd = memfd_create("forged", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	return fd;
}

static void
kill9_held_segments_come_back_by_reattach_dead_auto_cleanup_ones_go(void **state)
{
	struct proto_attach_reply r, r2;
	struct proto_segment_info info;
	struct proto_attach a;
	struct proto_fds f, f2;
	struct seg_mapping st;
	struct seg_geometry g;
	struct stat sb;
	char path[300];
	int m, other, back = -1, fst;
	pid_t holder;

	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	m = conn();
	other = conn();
	rc_attach_init(&a, "held", ESHM_ROLE_MASTER, 600000, 64);
	assert_int_equal(rc_attach(m, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	assert_int_equal(seg_map_status(proto_fds_get(&f, r.fds, PROTO_FD_STATUS), false, &st, &g), 0);
	assert_int_equal(rc_create(other, "unheld", 64, 0), ESHM_SUCCESS);
	assert_int_equal(pipe(ready), 0);
	holder = th_spawn(auto_holder, "auto");
	{
		char byte;

		assert_int_equal(read(ready[0], &byte, 1), 1);
	}
	/* the records: one file per segment, only eshmd's */
	snprintf(path, sizeof(path), "%s/records", daemon_.dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/records/held", daemon_.dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	th_daemon_kill(&daemon_);
	close(m);
	close(other);
	kill(holder, SIGKILL);
	th_wait_child(holder);
	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	other = conn();

	/* the auto-cleanup segment whose endpoint died meanwhile: gone at start */
	assert_int_equal(rc_show(other, "auto", &info), ESHM_ERROR_NOT_FOUND);
	assert_true(th_log_count(&daemon_, "died while eshmd was away") >= 1);
	/* an unheld segment outside a service manager: nobody can bring it */
	assert_int_equal(rc_show(other, "unheld", &info), ESHM_ERROR_NOT_FOUND);
	/* the held one awaits its holder, which still runs */
	assert_int_equal(rc_show(other, "held", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_ALIVE);
	assert_int_equal(info.endpoint[SEG_MASTER].pid, getpid());
	assert_int_equal(info.generation, r.generation);
	assert_int_equal(rc_attach_simple(other, "held", ESHM_ROLE_MASTER, &r2, &f2),
	                 ESHM_ERROR_BUSY);
	/* a forged status block for a known name is refused */
	fst = forged(SEG_STATUS_SIZE);
	assert_int_equal(reattach("held", &r, fst, proto_fds_get(&f, r.fds, PROTO_FD_OWN), NULL),
	                 ESHM_ERROR_PERMISSION);
	close(fst);
	assert_int_equal(reattach("held", &r, proto_fds_get(&f, r.fds, PROTO_FD_STATUS),
	                          proto_fds_get(&f, r.fds, PROTO_FD_OWN), &back),
	                 ESHM_SUCCESS);
	/* eshmd writes the same status block again */
	assert_true(rc_wait_state(other, "held", SEG_MASTER, SEG_EP_STALE, 1000) ||
	            atomic_load(&seg_status_of(&st)->daemon.pid) == daemon_.pid);
	for (int i = 0; i < 100 && atomic_load(&seg_status_of(&st)->daemon.pid) != daemon_.pid; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&seg_status_of(&st)->daemon.pid), daemon_.pid);
	assert_int_equal(rc_detach(back, "held"), ESHM_SUCCESS);
	assert_int_equal(seg_state_load(&seg_status_of(&st)->verdict.state[SEG_MASTER]),
	                 SEG_EP_DETACHED);
	seg_unmap(&st);
	proto_fds_close(&f);
	close(back);
	close(other);
	close(ready[0]);
	close(ready[1]);
}

static bool
junk_logged(void *arg)
{
	(void)arg;
	return th_log_count(&daemon_, "junk") >= 1 && th_log_count(&daemon_, "ignored") >= 1;
}

static void
a_bad_record_is_logged_and_ignored(void **state)
{
	char path[300];
	FILE *f;
	int fd;

	assert_int_equal(th_daemon_prepare(&daemon_), 0);
	snprintf(path, sizeof(path), "%s/records", daemon_.dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/records/junk", daemon_.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("eshmd-record 1\nname junk\ngeneration 12\nowner 0 0\ngeometry 0 0 0 0\n", f);
	fclose(f);
	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	assert_true(th_wait_until(junk_logged, NULL, 5000));
	assert_true(th_log_count(&daemon_, "ignored") >= 1);
	fd = conn();
	assert_int_equal(rc_create(fd, "junk", 64, 0), ESHM_SUCCESS);
	close(fd);
}

static int
waiting_holder(void *arg)
{
	return auto_holder(arg);
}

static void
a_segment_nobody_brings_back_is_dropped_after_10_s(void **state)
{
	struct proto_segment_info info;
	struct proto_attach_reply r;
	struct proto_fds f;
	pid_t holder;
	int fd;
	long long t0;

	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	assert_int_equal(pipe(ready), 0);
	holder = th_spawn(waiting_holder, "waiting");
	{
		char byte;

		assert_int_equal(read(ready[0], &byte, 1), 1);
	}
	th_daemon_kill(&daemon_);
	assert_int_equal(th_daemon_start(&daemon_, NULL), 0);
	t0 = th_now_ns();
	fd = conn();
	assert_int_equal(rc_show(fd, "waiting", &info), ESHM_SUCCESS);
	assert_int_equal(rc_attach_simple(fd, "waiting", ESHM_ROLE_SLAVE, &r, &f), ESHM_ERROR_BUSY);
	while (rc_show(fd, "waiting", &info) == ESHM_SUCCESS && th_now_ns() - t0 < 15000000000LL)
		usleep(100000);
	print_message("# dropped after %lld ms\n", (th_now_ns() - t0) / 1000000);
	assert_int_equal(rc_show(fd, "waiting", &info), ESHM_ERROR_NOT_FOUND);
	assert_true(th_now_ns() - t0 >= 9000000000LL);
	kill(holder, SIGKILL);
	th_wait_child(holder);
	close(fd);
	close(ready[0]);
	close(ready[1]);
}

/* ------------------------------------------------- a service manager's store */

#define STORE_MAX 64

/* What this test, as the service manager, keeps for eshmd. */
static struct {
	pthread_mutex_t lock;
	int sock;
	char names[STORE_MAX][64];
	int fds[STORE_MAX];
	int n;
	int removed;             /* FDSTOREREMOVE seen */
	int barriers;
	bool stop;
} store = {.lock = PTHREAD_MUTEX_INITIALIZER, .sock = -1};

static void
store_remove(const char *name)
{
	int i;

	for (i = 0; i < store.n; i++)
		if (strcmp(store.names[i], name) == 0) {
			close(store.fds[i]);
			store.n--;
			memmove(&store.names[i], &store.names[i + 1], (size_t)(store.n - i) * 64);
			memmove(&store.fds[i], &store.fds[i + 1], (size_t)(store.n - i) * sizeof(int));
			return;
		}
}

/* The value of "@key=" in the notification @msg, into @out. */
static bool
store_field(const char *msg, const char *key, char *out, size_t len)
{
	const char *p = strstr(msg, key);

	if (p == NULL || (p != msg && p[-1] != '\n'))
		return false;
	p += strlen(key);
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
	return true;
}

/* Read notifications as systemd does: FDSTORE, FDSTOREREMOVE, BARRIER. */
static void *
store_main(void *arg)
{
	while (!store.stop) {
		char buf[1024], name[64], flag[8];
		union {
			struct cmsghdr align;
			char space[CMSG_SPACE(16 * sizeof(int))];
		} ctl;
		struct iovec iov = {buf, sizeof(buf) - 1};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
		                     .msg_controllen = sizeof(ctl)};
		struct cmsghdr *c;
		int fds[16], nfds = 0, i;
		ssize_t n = recvmsg(store.sock, &msg, MSG_CMSG_CLOEXEC);

		if (n < 0)
			continue;
		buf[n] = '\0';
		for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (i = 0; (size_t)i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) &&
				            nfds < 16; i++)
					memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		pthread_mutex_lock(&store.lock);
		if (store_field(buf, "FDSTORE=", flag, sizeof(flag)) &&
		    store_field(buf, "FDNAME=", name, sizeof(name)) && nfds == 1 && store.n < STORE_MAX) {
			store_remove(name);
			snprintf(store.names[store.n], 64, "%s", name);
			store.fds[store.n++] = fds[0];
			nfds = 0;
		} else if (store_field(buf, "FDSTOREREMOVE=", flag, sizeof(flag)) &&
		           store_field(buf, "FDNAME=", name, sizeof(name))) {
			store_remove(name);
			store.removed++;
		} else if (strstr(buf, "BARRIER=1") != NULL) {
			store.barriers++;
		}
		pthread_mutex_unlock(&store.lock);
		/* a barrier's pipe is answered by closing it */
		for (i = 0; i < nfds; i++)
			close(fds[i]);
	}
	return NULL;
}

static bool
store_has(const char *name)
{
	bool found = false;
	int i;

	pthread_mutex_lock(&store.lock);
	for (i = 0; i < store.n; i++)
		found |= strcmp(store.names[i], name) == 0;
	pthread_mutex_unlock(&store.lock);
	return found;
}

static void
unheld_segments_survive_a_crash_through_the_descriptor_store(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct proto_segment_info info, before;
	struct proto_peek_reply pr;
	struct proto_attach_reply r;
	struct proto_fds f, fm;
	struct th_manager mgr;
	struct stat s1, s2;
	const char *names[STORE_MAX + 1];
	int fds[STORE_MAX + 1], n, i, fd, m, bogus;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], name[64];
	pthread_t thread;
	struct timeval tv = {0, 100000};

	assert_int_equal(th_daemon_prepare(&daemon_), 0);
	snprintf(path, sizeof(path), "%.90s/notify", daemon_.dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	store.sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(store.sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(store.sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(pthread_create(&thread, NULL, store_main, NULL), 0);
	memset(&mgr, 0, sizeof(mgr));
	mgr.notify_socket = path;
	assert_int_equal(th_daemon_start_managed(&daemon_, NULL, &mgr), 0);

	fd = conn();
	m = conn();
	assert_int_equal(rc_create(fd, "stored", 64, 0), ESHM_SUCCESS);
	assert_int_equal(rc_show(fd, "stored", &before), ESHM_SUCCESS);
	/* answered only once the manager has it (sd_notify_barrier) */
	snprintf(name, sizeof(name), "s.%llu", (unsigned long long)before.generation);
	assert_true(store_has(name));
	assert_true(store.barriers >= 1);
	assert_int_equal(rc_attach_simple(m, "held", ESHM_ROLE_MASTER, &r, &fm), ESHM_SUCCESS);
	snprintf(name, sizeof(name), "b.%llu.0.1", (unsigned long long)r.generation);
	assert_true(store_has(name));
	assert_int_equal(rc_create(fd, "removed", 64, 0), ESHM_SUCCESS);
	assert_int_equal(rc_remove(fd, "removed", false), ESHM_SUCCESS);
	for (i = 0; i < 100 && store.removed == 0; i++)
		usleep(10000);
	assert_true(store.removed >= 1);
	assert_int_equal(rc_peek(fd, "stored", &pr, &f), ESHM_SUCCESS);
	assert_int_equal(fstat(f.fd[0], &s1), 0);
	proto_fds_close(&f);
	close(fd);

	th_daemon_kill(&daemon_);
	/* restarted as systemd does: the store comes back as LISTEN_FDS,
	 * with one descriptor no record wants */
	pthread_mutex_lock(&store.lock);
	n = store.n;
	for (i = 0; i < n; i++) {
		fds[i] = store.fds[i];
		names[i] = store.names[i];
	}
	pthread_mutex_unlock(&store.lock);
	bogus = memfd_create("bogus", MFD_CLOEXEC);
	fds[n] = bogus;
	names[n] = "s.1";
	mgr.fds = fds;
	mgr.names = names;
	mgr.nfds = n + 1;
	assert_int_equal(th_daemon_start_managed(&daemon_, NULL, &mgr), 0);
	close(bogus);
	fd = conn();
	assert_int_equal(rc_show(fd, "stored", &info), ESHM_SUCCESS);
	assert_int_equal(info.generation, before.generation);
	assert_int_equal(rc_peek(fd, "stored", &pr, &f), ESHM_SUCCESS);
	assert_int_equal(fstat(f.fd[0], &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	proto_fds_close(&f);
	assert_int_equal(rc_show(fd, "removed", &info), ESHM_ERROR_NOT_FOUND);
	/* the held one came back from the store too: its holder's blocks match */
	assert_int_equal(rc_show(fd, "held", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_ALIVE);
	assert_int_equal(rc_peek(fd, "held", &pr, &f), ESHM_SUCCESS);
	assert_int_equal(pr.fds, PROTO_FD_STATUS | PROTO_FD_MASTER);
	proto_fds_close(&f);
	assert_true(th_log_count(&daemon_, "s.1 belongs to no record") == 1);
	close(fd);
	proto_fds_close(&fm);
	close(m);
	store.stop = true;
	pthread_join(thread, NULL);
	pthread_mutex_lock(&store.lock);
	while (store.n > 0)
		store_remove(store.names[0]);
	pthread_mutex_unlock(&store.lock);
	close(store.sock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			kill9_held_segments_come_back_by_reattach_dead_auto_cleanup_ones_go, teardown),
		cmocka_unit_test_teardown(a_bad_record_is_logged_and_ignored, teardown),
		cmocka_unit_test_teardown(a_segment_nobody_brings_back_is_dropped_after_10_s,
		                          teardown),
		cmocka_unit_test_teardown(unheld_segments_survive_a_crash_through_the_descriptor_store,
		                          teardown),
	};

	return cmocka_run_group_tests_name("daemon_restart", tests, NULL, NULL);
}
