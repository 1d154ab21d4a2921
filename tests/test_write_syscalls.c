/*
 * test_write_syscalls.c - the data path makes no system call unless a
 * reader registered itself as waiting, whatever became of earlier readers.
 *
 * The calls are counted, not guessed.  The master is a child process; when
 * the test says go, a thread of it installs a seccomp filter for itself
 * alone (no TSYNC: the library's threads and the process's main thread
 * stay unfiltered) that traps every system call but rt_sigreturn and exit,
 * runs eshm_write()/eshm_read() in a loop, and stops; a SIGSYS handler
 * counts the trapped calls and makes each fail with ENOSYS.  The thread
 * never leaves: a thread's way out makes system calls (glibc's, a
 * sanitizer's) that must not fail, so the main thread reports the count
 * and the process ends with _exit().  The peers are real processes too: a
 * slave asleep in eshm_read_timeout() is SIGKILLed there, so its wait word
 * stays set in its block (seen through PEEK), and eshmd declares it dead.
 * A negative control proves the counter can count.
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
#include <sys/mman.h>
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

/* What the master process must see before it counts (alive: and its
 * block mapped, so a write reaches it). */
enum sys_wait { SYS_WAIT_ALIVE, SYS_WAIT_DEAD, SYS_WAIT_PEER_WROTE };

/* The master process's orders and report, in memory shared with the test. */
struct sys_board {
	/* orders */
	char name[64];
	bool use_threads;
	ESHMDisconnectBehavior behavior;
	enum sys_wait wait_for;
	unsigned writes, reads;
	bool warm_up;                 /* one unfiltered write, and a second, first */
	atomic_int ready, go, done;
	atomic_bool observer_sleeps;  /* observer_told_to_sleep(): from now on */
	/* report */
	int setup_errno;
	bool waited;                  /* what it had to see, it saw */
	unsigned long calls;          /* trapped in the loop */
	long first_nr;                /* the first one's number, -1: none */
	unsigned writes_ok;           /* SUCCESS, REMOTE_STALE or REMOTE_DEAD: published */
	int write_rc;                 /* the last write's result */
	unsigned reads_failed;        /* anything but SUCCESS, NO_DATA, REMOTE_* */
	uint64_t write_count;         /* eshm_get_stats' write_count over the loop */
};

static struct sys_board *board;

/* ------------------------------------------------ in the master process */

/* Counted by the SIGSYS handler. */
static atomic_ulong sys_counted;
static atomic_long sys_first_nr = -1;
static atomic_bool sys_looped;

static void
sys_trap(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
#ifdef SYS_AUDIT_ARCH
	if (atomic_fetch_add(&sys_counted, 1) == 0)
		atomic_store(&sys_first_nr, si->si_syscall);
	SYS_SET_RETURN((ucontext_t *)ctx, -ENOSYS);
#else
	(void)si;
	(void)ctx;
#endif
}

/* The filtered thread: the data path and nothing else, then it spins
 * until the process ends (leaving would take system calls). */
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
	ESHMHandle *h = arg;
	unsigned char out[SYS_MSG], in[SYS_MSG];
	size_t n;
	unsigned i;
	int rc;

	tc_fill(out, sizeof(out), 1);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		board->setup_errno = errno;
		atomic_store(&sys_looped, true);
		return NULL;
	}
	for (i = 0; i < board->writes || i < board->reads; i++) {
		if (i < board->writes) {
			rc = eshm_write(h, out, sizeof(out));
			board->write_rc = rc;
			board->writes_ok += rc == ESHM_SUCCESS || rc == ESHM_ERROR_REMOTE_STALE ||
			                    rc == ESHM_ERROR_REMOTE_DEAD;
		}
		if (i < board->reads) {
			rc = eshm_read(h, in, sizeof(in), &n);
			board->reads_failed += rc != ESHM_SUCCESS && rc != ESHM_ERROR_NO_DATA &&
			                       rc != ESHM_ERROR_REMOTE_STALE &&
			                       rc != ESHM_ERROR_REMOTE_DEAD;
		}
	}
	atomic_store(&sys_looped, true);
	for (;;)
		atomic_signal_fence(memory_order_seq_cst);
#else
	(void)arg;
	board->setup_errno = ENOSYS;
	atomic_store(&sys_looped, true);
	return NULL;
#endif
}

/* The remote alive, and its current block mapped: eshmd's verdict comes
 * before the control thread maps the block, and a write before that
 * reaches nobody (and wakes nobody). */
static bool
sys_peer_reachable(void *h)
{
	return eshm_wait_remote(h, 0) == ESHM_SUCCESS;
}

static bool
sys_peer_wrote(void *h)
{
	ESHMStats st;

	return tc_remote_alive(h) && eshm_get_stats(h, &st) == ESHM_SUCCESS &&
	       st.s2m_write_count > 0;
}

static bool
sys_looped_yet(void *arg)
{
	(void)arg;
	return atomic_load(&sys_looped);
}

static bool
sys_go(void *arg)
{
	(void)arg;
	return atomic_load(&board->go) != 0;
}

/* The master: attach as the board says, and when told, count. */
static int
sys_master(void *arg)
{
	static bool (*const wait_for[])(void *) = { sys_peer_reachable, tc_remote_dead,
		                                    sys_peer_wrote };
	ESHMConfig c = eshm_default_config(board->name);
	struct sigaction sa;
	ESHMStats before, after;
	ESHMHandle *h;
	pthread_t tid;

	(void)arg;
	tf_die_with_parent();
	c.role = ESHM_ROLE_MASTER;
	c.use_threads = board->use_threads;
	c.stale_threshold_ms = 1000;
	c.disconnect_behavior = board->behavior;
	c.auto_cleanup = false;
	if ((h = eshm_init(&c)) == NULL)
		return 1;
	atomic_store(&board->ready, 1);
	if (!th_wait_until(sys_go, NULL, 60000))
		return 2;
	board->waited = th_wait_until(wait_for[board->wait_for], h, 10000);
	if (board->warm_up) {
		eshm_write(h, "warm", 5);
		tc_sleep_ms(1000);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sys_trap;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0 || eshm_get_stats(h, &before) != ESHM_SUCCESS ||
	    pthread_create(&tid, NULL, sys_thread, h) != 0 ||
	    !th_wait_until(sys_looped_yet, NULL, 60000))
		return 3;
	board->calls = atomic_load(&sys_counted);
	board->first_nr = atomic_load(&sys_first_nr);
	eshm_get_stats(h, &after);
	board->write_count = after.write_count - before.write_count;
	atomic_store(&board->done, 1);
	/* the filtered thread still spins: end the process, not the thread */
	_exit(0);
}

/* ------------------------------------------------ in the test */

static bool
sys_ready(void *arg)
{
	(void)arg;
	return atomic_load(&board->ready) != 0;
}

/* Start the master of @name (threads per @use_threads, @behavior). */
static pid_t
sys_start_master(const char *name, bool use_threads, ESHMDisconnectBehavior behavior)
{
	pid_t pid;

	memset(board, 0, sizeof(*board));
	snprintf(board->name, sizeof(board->name), "%s", name);
	board->use_threads = use_threads;
	board->behavior = behavior;
	pid = th_spawn(sys_master, NULL);
	assert_true(pid > 0);
	assert_true(th_wait_until(sys_ready, NULL, 10000));
	return pid;
}

/*
 * Have master @pid, once it saw @wait_for, make @writes writes and @reads
 * reads under the filter; returns the system calls they made.  Every
 * write must have published, the last one returning @expect_write_rc.
 */
static unsigned long
sys_count(pid_t pid, enum sys_wait wait_for, unsigned writes, unsigned reads,
          int expect_write_rc)
{
#ifndef SYS_AUDIT_ARCH
	skip();
#endif
	board->wait_for = wait_for;
	board->writes = writes;
	board->reads = reads;
	atomic_store(&board->go, 1);
	assert_int_equal(th_wait_child_within(pid, 60000), 0);
	assert_int_equal(atomic_load(&board->done), 1);
	assert_int_equal(board->setup_errno, 0);
	assert_true(board->waited);
	printf("# %lu system calls in %u writes and %u reads (first: nr %ld)\n", board->calls,
	       writes, reads, board->first_nr);
	/* the loop ran: every write published */
	assert_int_equal(board->writes_ok, writes);
	assert_int_equal(board->write_count, writes);
	assert_int_equal(board->reads_failed, 0);
	if (writes > 0)
		assert_int_equal(board->write_rc, expect_write_rc);
	return board->calls;
}

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

/* Child: attach to @name as @role, wait until *@go (NULL: at once), then
 * sleep in eshm_read_timeout(), again and again. */
static int
sys_sleeper(const char *name, ESHMRole role, const atomic_bool *go)
{
	ESHMHandle *h = tc_attach(name, role, 1000, ESHM_DISCONNECT_NEVER);
	unsigned char buf[SYS_MSG];
	size_t n;

	tf_die_with_parent();
	if (h == NULL)
		return 1;
	while (go != NULL && !atomic_load(go))
		tc_sleep_ms(1);
	for (;;)
		eshm_read_timeout(h, buf, sizeof(buf), &n, 60000);
}

static int
sleeping_slave(void *arg)
{
	return sys_sleeper(arg, ESHM_ROLE_SLAVE, NULL);
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

	return b != NULL && atomic_load(&b->reader.waits) != 0;
}

static bool
slave_state(void *arg, uint32_t state)
{
	const struct seg_status *st = tf_view_status(&((struct sys_watch *)arg)->v);

	return atomic_load(&st->verdict.state[SEG_SLAVE]) == state;
}

static bool
slave_alive(void *arg)
{
	return slave_state(arg, SEG_EP_ALIVE);
}

static bool
slave_dead(void *arg)
{
	return slave_state(arg, SEG_EP_DEAD);
}

/* Start @fn as the slave of @w's segment and map its blocks into @w once
 * it holds the role: alive, in an incarnation after @after, whose block
 * the view maps.  Returns its pid. */
static pid_t
sys_slave(struct sys_watch *w, int (*fn)(void *), uint64_t after)
{
	pid_t pid = th_spawn(fn, (void *)w->name);
	int i;

	assert_true(pid > 0);
	for (i = 0; i < 5000; i++) {
		const struct seg_status *st;

		assert_int_equal(tf_view_segment(&th_group_daemon, w->name, &w->v), 0);
		st = tf_view_status(&w->v);
		if (w->v.incarnation[SEG_SLAVE] > after &&
		    w->v.incarnation[SEG_SLAVE] == atomic_load(&st->verdict.incarnation[SEG_SLAVE]) &&
		    slave_alive(w))
			return pid;
		tf_view_release(&w->v);
		tc_sleep_ms(2);
	}
	fail_msg("the slave of %s never attached", w->name);
	return -1;
}

/* Start a sleeping slave, wait until it is asleep on the futex, SIGKILL it
 * there and wait until eshmd declares it dead: its wait word stays set in
 * its block, still mapped in @w. */
static void
slave_dies_asleep(struct sys_watch *w)
{
	pid_t pid = sys_slave(w, sleeping_slave, 0);

	assert_true(th_wait_until(slave_asleep, w, 10000));
	kill(pid, SIGKILL);
	assert_int_equal(th_wait_child(pid), 128 + SIGKILL);
	assert_true(th_wait_until(slave_dead, w, 10000));
	assert_true(slave_asleep(w));
}

static void
sys_done_with(struct sys_watch *w, pid_t slave)
{
	if (slave > 0) {
		kill(slave, SIGKILL);
		th_wait_child(slave);
	}
	tf_view_release(&w->v);
}

/* ------------------------------------------------ tests */

static void
writes_and_reads_make_no_system_call_with_a_live_peer_awake(void **state)
{
	struct sys_watch w = { .name = "sys_awake" };
	pid_t m = sys_start_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t s = sys_slave(&w, busy_slave, 0);

	assert_int_equal(sys_count(m, SYS_WAIT_PEER_WROTE, SYS_ROUNDS, SYS_ROUNDS, ESHM_SUCCESS), 0);
	assert_false(slave_asleep(&w));
	sys_done_with(&w, s);
}

static void
writes_make_no_system_call_after_a_reader_died_asleep(void **state)
{
	struct sys_watch w = { .name = "sys_died" };
	pid_t m = sys_start_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);

	slave_dies_asleep(&w);
	/* ON_TIMEOUT: a dead remote is reported, the message published */
	assert_int_equal(sys_count(m, SYS_WAIT_DEAD, SYS_ROUNDS, 0, ESHM_ERROR_REMOTE_DEAD), 0);
	sys_done_with(&w, -1);
}

static void
writes_make_no_system_call_after_a_reader_died_asleep_without_threads_immediately(void **state)
{
	struct sys_watch w = { .name = "sys_died_nothreads" };
	pid_t m = sys_start_master(w.name, false, ESHM_DISCONNECT_IMMEDIATELY);

	slave_dies_asleep(&w);
	assert_int_equal(sys_count(m, SYS_WAIT_DEAD, SYS_ROUNDS, 0, ESHM_ERROR_REMOTE_DEAD), 0);
	sys_done_with(&w, -1);
}

static void
writes_make_no_system_call_once_a_new_reader_replaced_one_that_died_asleep(void **state)
{
	struct sys_watch w = { .name = "sys_successor" }, w2 = { .name = "sys_successor" };
	pid_t m = sys_start_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t s;

	slave_dies_asleep(&w);
	s = sys_slave(&w2, busy_slave, w.v.incarnation[SEG_SLAVE]);
	assert_false(slave_asleep(&w2));
	/* the dead reader's word is still set in its old block */
	assert_true(slave_asleep(&w));
	/* the master counts once its data path is on the new block */
	assert_int_equal(sys_count(m, SYS_WAIT_PEER_WROTE, SYS_ROUNDS, SYS_ROUNDS, ESHM_SUCCESS), 0);
	sys_done_with(&w2, s);
	sys_done_with(&w, -1);
}

static void
a_write_wakes_a_live_reader_asleep_with_a_system_call(void **state)
{
	struct sys_watch w = { .name = "sys_control" };
	pid_t m = sys_start_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t s = sys_slave(&w, sleeping_slave, 0);

	assert_true(th_wait_until(slave_asleep, &w, 10000));
	/* the counter can fail: FUTEX_WAKE is counted */
	assert_true(sys_count(m, SYS_WAIT_ALIVE, 1, 0, ESHM_SUCCESS) >= 1);
	assert_int_equal(board->first_nr, __NR_futex);
	sys_done_with(&w, s);
}

/* An observer of the master's channel that sleeps in eshm_read_timeout(). */
static int
sleeping_observer(void *arg)
{
	return sys_sleeper(arg, ESHM_ROLE_OBSERVER, NULL);
}

static bool
observers_are(struct sys_watch *w, uint32_t n)
{
	return atomic_load(&tf_view_status(&w->v)->verdict.observers) == n;
}

static bool
one_observer(void *arg)
{
	return observers_are(arg, 1);
}

static bool
no_observer(void *arg)
{
	return observers_are(arg, 0);
}

/*
 * With a busy slave, an observer that sleeps: a write wakes it with a
 * system call.  The writer hears of an observer through its control
 * thread: the count starts a second after eshmd gave it its slot.
 */
static void
a_write_wakes_an_observer_asleep_with_a_system_call(void **state)
{
	struct sys_watch w = { .name = "sys_observed" };
	pid_t m = sys_start_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t s = sys_slave(&w, busy_slave, 0);
	pid_t o = th_spawn(sleeping_observer, (void *)w.name);

	assert_true(th_wait_until(one_observer, &w, 10000));
	tc_sleep_ms(1000);
	assert_true(sys_count(m, SYS_WAIT_ALIVE, 1, 0, ESHM_SUCCESS) >= 1);
	assert_int_equal(board->first_nr, __NR_futex);
	kill(o, SIGKILL);
	th_wait_child(o);
	sys_done_with(&w, s);
}

/* An observer of the master's channel that idles until the test says
 * sleep, then sleeps in eshm_read_timeout(). */
static int
observer_told_to_sleep(void *arg)
{
	return sys_sleeper(arg, ESHM_ROLE_OBSERVER, &board->observer_sleeps);
}

static bool
master_channel_quiet(void *arg)
{
	const struct seg_status *st = tf_view_status(&((struct sys_watch *)arg)->v);

	return atomic_load(&st->verdict.observers_quiet[SEG_MASTER]) != 0;
}

static bool
master_channel_loud(void *arg)
{
	return !master_channel_quiet(arg);
}

/*
 * eshmd says the master's channel is quiet once no observer of it waited
 * for a while (the writer then skips their pages); an observer falling
 * asleep there is seen at eshmd's next pass, the channel is loud again,
 * and a write wakes the observer with a system call.  Once the observer
 * is gone, quiet again.
 */
static void
an_observer_falling_asleep_on_a_quiet_channel_makes_it_loud(void **state)
{
	struct sys_watch w = { .name = "sys_quiet" };
	pid_t m = sys_start_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t s = sys_slave(&w, busy_slave, 0);
	pid_t o = th_spawn(observer_told_to_sleep, (void *)w.name);

	assert_true(th_wait_until(one_observer, &w, 10000));
	assert_true(th_wait_until(master_channel_quiet, &w, 10000));
	atomic_store(&board->observer_sleeps, true);
	assert_true(th_wait_until(master_channel_loud, &w, 10000));
	assert_true(sys_count(m, SYS_WAIT_ALIVE, 1, 0, ESHM_SUCCESS) >= 1);
	assert_int_equal(board->first_nr, __NR_futex);
	kill(o, SIGKILL);
	th_wait_child(o);
	atomic_store(&board->observer_sleeps, false);
	assert_true(th_wait_until(master_channel_quiet, &w, 10000));
	sys_done_with(&w, s);
}

/* The same observer SIGKILLed asleep: once eshmd freed its slot and told
 * the writer (a second later), writes make no system call. */
static void
writes_make_no_system_call_after_an_observer_died_asleep(void **state)
{
	struct sys_watch w = { .name = "sys_observer_died" };
	pid_t m = sys_start_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t s = sys_slave(&w, busy_slave, 0);
	pid_t o = th_spawn(sleeping_observer, (void *)w.name);

	assert_true(th_wait_until(one_observer, &w, 10000));
	tc_sleep_ms(1000);
	kill(o, SIGKILL);
	th_wait_child(o);
	assert_true(th_wait_until(no_observer, &w, 10000));
	tc_sleep_ms(1000);
	assert_int_equal(sys_count(m, SYS_WAIT_ALIVE, SYS_ROUNDS, 0, ESHM_SUCCESS), 0);
	sys_done_with(&w, s);
}

/* A slave that asks for an event descriptor and then never reads. */
static int
polling_slave_that_never_reads(void *arg)
{
	ESHMHandle *s = tc_attach(arg, ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER);
	int fd;

	tf_die_with_parent();
	if (s == NULL || eshm_get_event_fd(s, &fd) != ESHM_SUCCESS)
		return 1;
	for (;;)
		pause();
}

/* Its event thread is woken by a first write (unfiltered: the trap would
 * swallow the wake); then, the message announced and not read, it stops
 * watching: the writer pays nothing more. */
static void
writes_make_no_system_call_for_a_reader_that_polls_and_does_not_read(void **state)
{
	struct sys_watch w = { .name = "sys_polled" };
	pid_t m = sys_start_master(w.name, true, ESHM_DISCONNECT_ON_TIMEOUT);
	pid_t s = sys_slave(&w, polling_slave_that_never_reads, 0);

	tc_sleep_ms(500);
	board->warm_up = true;
	assert_int_equal(sys_count(m, SYS_WAIT_ALIVE, SYS_ROUNDS, 0, ESHM_SUCCESS), 0);
	sys_done_with(&w, s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define SYS_TEST(t) cmocka_unit_test_teardown(t, th_end_children)
		SYS_TEST(writes_and_reads_make_no_system_call_with_a_live_peer_awake),
		SYS_TEST(writes_make_no_system_call_after_a_reader_died_asleep),
		SYS_TEST(
			writes_make_no_system_call_after_a_reader_died_asleep_without_threads_immediately),
		SYS_TEST(writes_make_no_system_call_once_a_new_reader_replaced_one_that_died_asleep),
		SYS_TEST(a_write_wakes_a_live_reader_asleep_with_a_system_call),
		SYS_TEST(a_write_wakes_an_observer_asleep_with_a_system_call),
		SYS_TEST(writes_make_no_system_call_after_an_observer_died_asleep),
		SYS_TEST(an_observer_falling_asleep_on_a_quiet_channel_makes_it_loud),
		SYS_TEST(writes_make_no_system_call_for_a_reader_that_polls_and_does_not_read),
	};

	/* shared with the children the tests fork */
	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	             0);
	if (board == MAP_FAILED)
		return 1;
	return cmocka_run_group_tests_name("write_syscalls", tests, th_group_setup,
	                                   th_group_teardown);
}
