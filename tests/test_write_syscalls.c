/*
 * test_write_syscalls.c - the data path makes no system call unless a
 * reader registered itself as waiting, whatever became of earlier readers.
 *
 * The calls are counted, not guessed: a thread installs a seccomp filter
 * for itself alone (no TSYNC: the library's own threads and the test's
 * stay unfiltered) that traps every system call but rt_sigreturn and exit,
 * runs eshm_write()/eshm_read() in a loop, then exits; a SIGSYS handler
 * counts the trapped calls and makes each fail with ENOSYS.  The peers are
 * real processes: a slave asleep in eshm_read_timeout() is SIGKILLed there,
 * so its wait word stays set in its block (seen through PEEK), and eshmd
 * declares it dead.  A negative control proves the counter can count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "client_util.h"
#include "fault_util.h"

#if defined(__x86_64__)
#define SYS_AUDIT_ARCH AUDIT_ARCH_X86_64
#define SYS_SET_RETURN(uc, v) ((uc)->uc_mcontext.gregs[REG_RAX] = (v))
#elif defined(__aarch64__)
#define SYS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define SYS_SET_RETURN(uc, v) ((uc)->uc_mcontext.regs[0] = (uint64_t)(v))
#endif

#define SYS_ROUNDS 10000
#define SYS_MSG 64

/* Counted by the SIGSYS handler: calls trapped inside the measured loop,
 * the number of the first one, and calls on the thread's way out. */
static atomic_bool sys_counting;
static atomic_ulong sys_counted;
static atomic_long sys_first_nr = -1;
static atomic_ulong sys_after;

static void
sys_trap(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
#ifdef SYS_AUDIT_ARCH
	if (atomic_load(&sys_counting)) {
		if (atomic_fetch_add(&sys_counted, 1) == 0)
			atomic_store(&sys_first_nr, si->si_syscall);
	} else {
		atomic_fetch_add(&sys_after, 1);
	}
	SYS_SET_RETURN((ucontext_t *)ctx, -ENOSYS);
#else
	(void)si;
	(void)ctx;
#endif
}

/* What the filtered thread does, and what came of it. */
struct sys_run {
	ESHMHandle *h;
	unsigned writes, reads;
	int setup_errno;
	int write_rc;                /* the last write's result */
	unsigned writes_ok;          /* SUCCESS, REMOTE_STALE or REMOTE_DEAD: published */
	unsigned reads_failed;       /* anything but SUCCESS, NO_DATA, REMOTE_* */
};

static void *
sys_thread(void *arg)
{
#ifdef SYS_AUDIT_ARCH
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	struct sys_run *r = arg;
	unsigned char out[SYS_MSG], in[SYS_MSG];
	size_t n;
	unsigned i;
	int rc;

	tc_fill(out, sizeof(out), 1);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		r->setup_errno = errno;
		return NULL;
	}
	/* From here on: the data path and nothing else. */
	atomic_store(&sys_counting, true);
	for (i = 0; i < r->writes || i < r->reads; i++) {
		if (i < r->writes) {
			rc = eshm_write(r->h, out, sizeof(out));
			r->write_rc = rc;
			r->writes_ok += rc == ESHM_SUCCESS || rc == ESHM_ERROR_REMOTE_STALE ||
			                rc == ESHM_ERROR_REMOTE_DEAD;
		}
		if (i < r->reads) {
			rc = eshm_read(r->h, in, sizeof(in), &n);
			r->reads_failed += rc != ESHM_SUCCESS && rc != ESHM_ERROR_NO_DATA &&
			                   rc != ESHM_ERROR_REMOTE_STALE && rc != ESHM_ERROR_REMOTE_DEAD;
		}
	}
	atomic_store(&sys_counting, false);
#else
	(void)arg;
#endif
	return NULL;
}

/*
 * Run @writes writes and @reads reads on @h in a thread under the filter;
 * returns the system calls it made.  Every write must have published.
 */
static unsigned long
sys_count(ESHMHandle *h, unsigned writes, unsigned reads, int expect_write_rc)
{
	struct sys_run r = { .h = h, .writes = writes, .reads = reads };
	struct sigaction sa;
	ESHMStats before, after;
	pthread_t tid;
	unsigned long calls;

#ifndef SYS_AUDIT_ARCH
	skip();
#endif
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sys_trap;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSYS, &sa, NULL), 0);
	atomic_store(&sys_counted, 0);
	atomic_store(&sys_after, 0);
	atomic_store(&sys_first_nr, -1);
	assert_int_equal(eshm_get_stats(h, &before), ESHM_SUCCESS);
	assert_int_equal(pthread_create(&tid, NULL, sys_thread, &r), 0);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(r.setup_errno, 0);
	calls = atomic_load(&sys_counted);
	printf("# %lu system calls in %u writes and %u reads (first: nr %ld); "
	       "%lu more on the thread's way out\n",
	       calls, writes, reads, atomic_load(&sys_first_nr), atomic_load(&sys_after));
	assert_int_equal(eshm_get_stats(h, &after), ESHM_SUCCESS);
	/* the loop ran: every write published */
	assert_int_equal(r.writes_ok, writes);
	assert_int_equal(after.write_count - before.write_count, writes);
	assert_int_equal(r.reads_failed, 0);
	if (writes > 0)
		assert_int_equal(r.write_rc, expect_write_rc);
	return calls;
}

/* ------------------------------------------------ peers */

/* A slave that runs and exchanges but never sleeps on the channel. */
static int
busy_slave(void *arg)
{
	ESHMHandle *s = tc_attach(arg, ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER);
	unsigned char buf[SYS_MSG];
	uint64_t i;
	size_t n;

	tf_die_with_parent();
	if (s == NULL)
		return 1;
	for (i = 1;; i++) {
		tc_fill(buf, sizeof(buf), i);
		eshm_write(s, buf, sizeof(buf));
		eshm_read(s, buf, sizeof(buf), &n);
		usleep(200);
	}
}

/* A slave that sleeps in eshm_read_timeout(), again and again. */
static int
sleeping_slave(void *arg)
{
	ESHMHandle *s = tc_attach(arg, ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER);
	unsigned char buf[SYS_MSG];
	size_t n;

	tf_die_with_parent();
	if (s == NULL)
		return 1;
	for (;;)
		eshm_read_timeout(s, buf, sizeof(buf), &n, 60000);
}

static bool
peer_wrote(void *arg)
{
	ESHMStats st;

	return eshm_get_stats(arg, &st) == ESHM_SUCCESS && st.s2m_write_count > 0;
}

/* A segment's blocks as eshmd sees them. */
struct sys_watch {
	const char *name;
	struct tf_view v;
};

static bool
slave_asleep(void *arg)
{
	const struct seg_block *b = tf_view_block(&((struct sys_watch *)arg)->v, SEG_SLAVE);

	return b != NULL && atomic_load(&b->reader.wait) != 0;
}

static bool
slave_dead(void *arg)
{
	const struct seg_status *st = tf_view_status(&((struct sys_watch *)arg)->v);

	return atomic_load(&st->verdict.state[SEG_SLAVE]) == SEG_EP_DEAD;
}

/* Start @fn as the slave of @m's segment and map its blocks into @w once
 * @m sees it alive.  Returns its pid. */
static pid_t
sys_slave(ESHMHandle *m, struct sys_watch *w, int (*fn)(void *))
{
	pid_t pid = th_spawn(fn, (void *)w->name);

	assert_true(pid > 0);
	assert_true(th_wait_until(tc_remote_alive, m, 10000));
	assert_int_equal(tf_view_segment(&th_group_daemon, w->name, &w->v), 0);
	assert_non_null(tf_view_block(&w->v, SEG_SLAVE));
	return pid;
}

/* Start a sleeping slave for @m, wait until it is asleep on the futex,
 * SIGKILL it there and wait until eshmd declares it dead; its wait word
 * stays set in its block. */
static void
slave_dies_asleep(ESHMHandle *m, struct sys_watch *w)
{
	pid_t pid = sys_slave(m, w, sleeping_slave);

	assert_true(th_wait_until(slave_asleep, w, 10000));
	kill(pid, SIGKILL);
	assert_int_equal(th_wait_child(pid), 128 + SIGKILL);
	assert_true(th_wait_until(slave_dead, w, 10000));
	assert_true(slave_asleep(w));
}

static ESHMHandle *
sys_master(const char *name, bool use_threads, ESHMDisconnectBehavior behavior)
{
	ESHMConfig c = eshm_default_config(name);
	ESHMHandle *m;

	c.role = ESHM_ROLE_MASTER;
	c.use_threads = use_threads;
	c.stale_threshold_ms = 1000;
	c.disconnect_behavior = behavior;
	c.auto_cleanup = false;
	m = eshm_init(&c);
	assert_non_null(m);
	return m;
}

/* ------------------------------------------------ tests */

static void
writes_and_reads_make_no_system_call_with_a_live_peer_awake(void **state)
{
	struct sys_watch w = { .name = "sys_awake" };
	ESHMHandle *m = sys_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t pid = sys_slave(m, &w, busy_slave);

	assert_false(slave_asleep(&w));
	assert_int_equal(sys_count(m, SYS_ROUNDS, SYS_ROUNDS, ESHM_SUCCESS), 0);
	kill(pid, SIGKILL);
	th_wait_child(pid);
	tf_view_release(&w.v);
	eshm_destroy(m);
}

static void
writes_make_no_system_call_after_a_reader_died_asleep(void **state)
{
	struct sys_watch w = { .name = "sys_died" };
	ESHMHandle *m = sys_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);

	slave_dies_asleep(m, &w);
	/* ON_TIMEOUT: a dead remote is reported, the message published */
	assert_int_equal(sys_count(m, SYS_ROUNDS, 0, ESHM_ERROR_REMOTE_DEAD), 0);
	tf_view_release(&w.v);
	eshm_destroy(m);
}

static void
writes_make_no_system_call_after_a_reader_died_asleep_without_threads_immediately(void **state)
{
	struct sys_watch w = { .name = "sys_died_nothreads" };
	ESHMHandle *m = sys_master(w.name, false, ESHM_DISCONNECT_IMMEDIATELY);

	slave_dies_asleep(m, &w);
	assert_int_equal(sys_count(m, SYS_ROUNDS, 0, ESHM_ERROR_REMOTE_DEAD), 0);
	tf_view_release(&w.v);
	eshm_destroy(m);
}

static void
writes_make_no_system_call_once_a_new_reader_replaced_one_that_died_asleep(void **state)
{
	struct sys_watch w = { .name = "sys_successor" }, w2 = { .name = "sys_successor" };
	ESHMHandle *m = sys_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t pid;

	slave_dies_asleep(m, &w);
	pid = sys_slave(m, &w2, busy_slave);
	/* the master's data path is on the new block once it sees its writes */
	assert_true(th_wait_until(peer_wrote, m, 10000));
	assert_true(w2.v.incarnation[SEG_SLAVE] > w.v.incarnation[SEG_SLAVE]);
	assert_false(slave_asleep(&w2));
	/* the dead reader's word is still set in its old block */
	assert_true(slave_asleep(&w));
	assert_int_equal(sys_count(m, SYS_ROUNDS, SYS_ROUNDS, ESHM_SUCCESS), 0);
	kill(pid, SIGKILL);
	th_wait_child(pid);
	tf_view_release(&w2.v);
	tf_view_release(&w.v);
	eshm_destroy(m);
}

static void
a_write_wakes_a_live_reader_asleep_with_a_system_call(void **state)
{
	struct sys_watch w = { .name = "sys_control" };
	ESHMHandle *m = sys_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t pid = sys_slave(m, &w, sleeping_slave);

	assert_true(th_wait_until(slave_asleep, &w, 10000));
	/* the counter can fail: FUTEX_WAKE is counted */
	assert_true(sys_count(m, 1, 0, ESHM_SUCCESS) >= 1);
	assert_int_equal(atomic_load(&sys_first_nr), __NR_futex);
	kill(pid, SIGKILL);
	th_wait_child(pid);
	tf_view_release(&w.v);
	eshm_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_and_reads_make_no_system_call_with_a_live_peer_awake),
		cmocka_unit_test(writes_make_no_system_call_after_a_reader_died_asleep),
		cmocka_unit_test(
			writes_make_no_system_call_after_a_reader_died_asleep_without_threads_immediately),
		cmocka_unit_test(
			writes_make_no_system_call_once_a_new_reader_replaced_one_that_died_asleep),
		cmocka_unit_test(a_write_wakes_a_live_reader_asleep_with_a_system_call),
	};

	return cmocka_run_group_tests_name("write_syscalls", tests, th_group_setup,
	                                   th_group_teardown);
}
