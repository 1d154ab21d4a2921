/*
 * test_fork.c - a forked child hides nothing.
 *
 * A master process forks a child without exec that keeps running: the
 * child inherited the handle and, before the library let go of it, the
 * control socket.  The child finds the inherited handle detached in every
 * call, frees it without touching the parent's endpoint, holds nothing of
 * the parent's segment afterwards, and attaches a handle of its own.  Then
 * the master is SIGKILLed while the child runs on: its peer sees it dead
 * (the kernel's word, not a stale heartbeat: its threshold is 5 s), and a
 * new master takes the role at once.
 *
 * The child outlives its parent, so it cannot die with it: the test
 * becomes a subreaper to reap it, and the child ends when a pipe whose
 * only writer is the test hangs up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

#define FK_PARENT "fork_parent"
#define FK_OWN "fork_own"
#define FK_DEAD_MS 1000         /* SIGKILL to the peer's dead verdict, at most */
#define FK_CALL_MS 100

/* What the child found, in memory shared with the test. */
struct fk_shared {
	int life[2];                  /* the child ends when life[1] hangs up */
	atomic_int child;             /* the child's pid, once forked */
	atomic_int done;              /* 1: the child checked everything; -1: it failed */
	int rc_write, rc_read, rc_read_timeout, rc_stats, rc_alive, rc_destroy;
	bool alive;
	long long read_timeout_ns, destroy_ns;
	int mapped_before, mapped_after;  /* mappings of the parent's segment */
	int fds_after;                    /* descriptors of the parent's segment */
};

/* Lines of /proc/self/maps naming segment @name (its memfds are named
 * after it). */
static int
fk_mappings(const char *name)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, name) != NULL;
	fclose(f);
	return n;
}

/* The forked child: the inherited handle @h, then one of its own. */
static int
fk_child(struct fk_shared *sh, ESHMHandle *h)
{
	struct pollfd pfd = { .fd = sh->life[0], .events = POLLIN };
	unsigned char buf[64];
	ESHMStats st;
	ESHMHandle *own;
	long long t0;
	size_t n;

	sh->mapped_before = fk_mappings(FK_PARENT);
	sh->rc_write = eshm_write(h, "from the child", 15);
	sh->rc_read = eshm_read(h, buf, sizeof(buf), &n);
	t0 = th_now_ns();
	sh->rc_read_timeout = eshm_read_timeout(h, buf, sizeof(buf), &n, 1000);
	sh->read_timeout_ns = th_now_ns() - t0;
	sh->rc_stats = eshm_get_stats(h, &st);
	sh->alive = true;
	sh->rc_alive = eshm_check_remote_alive(h, &sh->alive);
	t0 = th_now_ns();
	sh->rc_destroy = eshm_destroy(h);
	sh->destroy_ns = th_now_ns() - t0;
	sh->mapped_after = fk_mappings(FK_PARENT);
	sh->fds_after = tf_self_fds_naming(FK_PARENT);

	own = tc_attach(FK_OWN, ESHM_ROLE_MASTER, 5000, ESHM_DISCONNECT_NEVER);
	if (own == NULL || eshm_write(own, "the child's own", 16) != ESHM_SUCCESS) {
		atomic_store(&sh->done, -1);
		return 1;
	}
	atomic_store(&sh->done, 1);
	/* run on, attached, until the test hangs up */
	while (poll(&pfd, 1, -1) < 0)
		;
	eshm_destroy(own);
	return 0;
}

/* The master: attach, publish, fork the child, then idle until killed. */
static int
fk_master(void *arg)
{
	struct fk_shared *sh = arg;
	ESHMConfig c = eshm_default_config(FK_PARENT);
	ESHMHandle *h;
	pid_t pid;

	close(sh->life[1]);
	c.role = ESHM_ROLE_MASTER;
	c.stale_threshold_ms = 5000;
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	c.auto_cleanup = false;
	h = eshm_init(&c);
	if (h == NULL || eshm_write(h, "from the parent", 16) != ESHM_SUCCESS)
		return 1;
	pid = fork();
	if (pid == 0)
		_exit(fk_child(sh, h));
	if (pid < 0)
		return 2;
	atomic_store(&sh->child, pid);
	for (;;)
		pause();
}

static bool
fk_child_done(void *arg)
{
	return atomic_load(&((struct fk_shared *)arg)->done) != 0;
}

/* The master of @name as eshmd shows it: its pid if alive, else 0. */
static pid_t
fk_master_alive(const char *name)
{
	struct proto_segment_info info;
	struct proto_name req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	assert_int_equal(tf_request(&th_group_daemon, PROTO_REQ_SHOW, &req, PROTO_REP_SEGMENT,
	                            &info, NULL),
	                 ESHM_SUCCESS);
	return info.endpoint[SEG_MASTER].state == SEG_EP_ALIVE ? info.endpoint[SEG_MASTER].pid : 0;
}

static void
forked_child_holds_nothing_of_its_parents_endpoint(void **state)
{
	struct fk_shared *sh;
	ESHMHandle *s, *s_own, *m2;
	char buf[64];
	long long t0, dead_ns;
	pid_t master, child;
	size_t n;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	assert_int_equal(pipe2(sh->life, O_CLOEXEC), 0);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	master = th_spawn(fk_master, sh);
	assert_true(master > 0);
	close(sh->life[0]);
	assert_true(th_wait_until(fk_child_done, sh, 10000));
	child = atomic_load(&sh->child);
	assert_int_equal(atomic_load(&sh->done), 1);

	/* the inherited handle: detached in every call, freed at once */
	printf("# in the child: write %d, read %d, read_timeout %d after %.3f ms, stats %d, "
	       "check_remote_alive %d (alive %d), destroy %d after %.3f ms; mappings of the "
	       "parent's segment %d before, %d after; its descriptors after %d\n",
	       sh->rc_write, sh->rc_read, sh->rc_read_timeout, (double)sh->read_timeout_ns / 1e6,
	       sh->rc_stats, sh->rc_alive, sh->alive, sh->rc_destroy,
	       (double)sh->destroy_ns / 1e6, sh->mapped_before, sh->mapped_after, sh->fds_after);
	assert_int_equal(sh->rc_write, ESHM_ERROR_DETACHED);
	assert_int_equal(sh->rc_read, ESHM_ERROR_DETACHED);
	assert_int_equal(sh->rc_read_timeout, ESHM_ERROR_DETACHED);
	assert_true(sh->read_timeout_ns < FK_CALL_MS * 1000000LL);
	assert_int_equal(sh->rc_stats, ESHM_ERROR_DETACHED);
	assert_int_equal(sh->rc_alive, ESHM_ERROR_DETACHED);
	assert_false(sh->alive);
	assert_int_equal(sh->rc_destroy, ESHM_SUCCESS);
	assert_true(sh->destroy_ns < FK_CALL_MS * 1000000LL);
	assert_int_equal(sh->mapped_before, 0);
	assert_int_equal(sh->mapped_after, 0);
	assert_int_equal(sh->fds_after, 0);

	/* the parent's endpoint is untouched: still its, still alive, and
	 * its message is there */
	assert_int_equal(fk_master_alive(FK_PARENT), master);
	s = tc_attach(FK_PARENT, ESHM_ROLE_SLAVE, 5000, ESHM_DISCONNECT_NEVER);
	assert_non_null(s);
	assert_true(th_wait_until(tc_remote_alive, s, 5000));
	assert_int_equal(eshm_read(s, buf, sizeof(buf), &n), ESHM_SUCCESS);
	assert_string_equal(buf, "from the parent");
	/* the child's own handle works */
	s_own = tc_attach(FK_OWN, ESHM_ROLE_SLAVE, 5000, ESHM_DISCONNECT_NEVER);
	assert_non_null(s_own);
	assert_true(th_wait_until(tc_remote_alive, s_own, 5000));
	assert_int_equal(eshm_read(s_own, buf, sizeof(buf), &n), ESHM_SUCCESS);
	assert_string_equal(buf, "the child's own");

	/* the master dies; its child runs on */
	t0 = th_now_ns();
	kill(master, SIGKILL);
	assert_int_equal(th_wait_child(master), 128 + SIGKILL);
	assert_true(th_wait_until(tc_remote_dead, s, 5000));
	dead_ns = th_now_ns() - t0;
	printf("# the master's peer saw it dead %.1f ms after SIGKILL, its forked child "
	       "still running\n",
	       (double)dead_ns / 1e6);
	assert_true(tf_running(child));
	assert_true(dead_ns < FK_DEAD_MS * 1000000LL);
	m2 = tc_attach(FK_PARENT, ESHM_ROLE_MASTER, 5000, ESHM_DISCONNECT_NEVER);
	assert_non_null(m2);
	assert_true(th_wait_until(tc_remote_alive, s, 5000));
	assert_int_equal(fk_master_alive(FK_PARENT), getpid());
	assert_true(tf_running(child));
	/* the orphan's own endpoint lives on */
	assert_true(tc_remote_alive(s_own));

	close(sh->life[1]);
	assert_int_equal(th_wait_child_within(child, 10000), 0);
	eshm_destroy(m2);
	eshm_destroy(s);
	eshm_destroy(s_own);
	munmap(sh, sizeof(*sh));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forked_child_holds_nothing_of_its_parents_endpoint),
	};

	return cmocka_run_group_tests_name("fork", tests, th_group_setup, th_group_teardown);
}
