/*
 * harness.h - shared helpers for integration tests: a private eshmd on its
 * own socket and shared-memory prefix, child processes, waiting for events.
 * Each test uses its own daemon, so tests never depend on a system eshmd;
 * eshm-bench starts its private eshmd with the same functions.
 */
#ifndef ESHM_TESTS_HARNESS_H
#define ESHM_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct th_daemon {
	pid_t pid;
	char dir[128];    /* private temporary directory */
	char sock[160];   /* dir/eshmd.sock */
	char prefix[64];  /* unique shm prefix, e.g. "eshmt.1234.1." */
	char log[160];    /* dir/eshmd.log: eshmd's stderr */
};

/* Path of a built program, from $ESHM_TEST_BUILDDIR (e.g. "daemon/eshmd"). */
const char *th_build_path(const char *relative);

/*
 * Prepare @d (directory, socket path, unique prefix) without starting eshmd;
 * sets $ESHM_SOCKET to the socket.  Returns 0 or -1.
 */
int th_daemon_prepare(struct th_daemon *d);

/*
 * Start the eshmd program @eshmd for @d (prepared by th_daemon_prepare if
 * d->dir is empty) with --socket, --shm-prefix and --config /dev/null, then
 * the NULL-terminated @extra arguments (may be NULL; a --config there
 * wins), its output appended to d->log, and wait up to 10 s until its
 * socket accepts connections.  Returns 0, or -1 with errno ECHILD if eshmd
 * exited first, ETIMEDOUT if it did not answer in time (it is killed), or
 * the errno of what else failed.
 */
int th_daemon_spawn(struct th_daemon *d, const char *eshmd, const char *const *extra);

/*
 * What a service manager would pass eshmd: $NOTIFY_SOCKET, and
 * descriptors as $LISTEN_FDS with $LISTEN_FDNAMES (the file-descriptor
 * store, or a listening socket).
 */
struct th_manager {
	const char *notify_socket;  /* NULL: none */
	const int *fds;             /* passed as 3, 4, ... */
	const char *const *names;   /* one per descriptor */
	int nfds;
};

/*
 * As th_daemon_spawn() of the built daemon/eshmd, with the environment of
 * @m (may be NULL: none, as th_daemon_start()).
 */
int th_daemon_start_managed(struct th_daemon *d, const char *const *extra,
                            const struct th_manager *m);

/* th_daemon_spawn() of the built daemon/eshmd. */
int th_daemon_start(struct th_daemon *d, const char *const *extra);

/*
 * Prepare @d, write @conf (the text of an eshmd.conf) into its directory
 * and th_daemon_start() eshmd with it.  Returns as th_daemon_spawn().
 */
int th_daemon_start_conf(struct th_daemon *d, const char *conf);

/* SIGTERM eshmd and reap it; returns its exit status (or -1). */
int th_daemon_stop(struct th_daemon *d);

/*
 * SIGTERM eshmd and reap it within @timeout_ms, or SIGKILL it then.
 * Returns its exit status, or -1 if it had to be killed.
 */
int th_daemon_stop_within(struct th_daemon *d, int timeout_ms);

/* SIGKILL eshmd and reap it. */
void th_daemon_kill(struct th_daemon *d);

/*
 * Stop eshmd if running, unlink every /dev/shm object with d's prefix and
 * remove the directory with the files in it.  Returns how many objects were
 * left behind.
 */
int th_daemon_cleanup(struct th_daemon *d);

/*
 * Fixtures for a cmocka group whose tests share one private eshmd,
 * th_group_daemon: th_group_setup() starts it, th_group_teardown() kills
 * what the tests left running, stops it and removes its objects.
 */
extern struct th_daemon th_group_daemon;
int th_group_setup(void **state);
int th_group_teardown(void **state);

/* Lines of @d's log (eshmd's stderr) holding @needle. */
int th_log_count(const struct th_daemon *d, const char *needle);

/* Number of /dev/shm objects whose name starts with @prefix. */
int th_shm_count(const char *prefix);

/* A cmocka per-test teardown: th_kill_children(), so that a test which
 * failed half-way leaves no child running into the next test. */
int th_end_children(void **state);

/* Fork a child that runs @fn(@arg) and _exit()s with its return value; it
 * is killed if the test process dies. */
pid_t th_spawn(int (*fn)(void *), void *arg);

/* SIGKILL and reap every child th_spawn() made that was not waited for
 * (th_daemon_cleanup() does it too). */
void th_kill_children(void);

/* Wait for @pid; returns its exit code, 128+signal if killed, -1 on error. */
int th_wait_child(pid_t pid);

/*
 * Reap child @pid once it exits, waiting at most @timeout_ms; its exit
 * code (128+signal if killed), or -1 if it was still running and had to
 * be killed.
 */
int th_wait_child_within(pid_t pid, int timeout_ms);

/*
 * Poll @cond(@arg) every 200 us until it is true or @timeout_ms passes.
 * Returns true if it became true.
 */
bool th_wait_until(bool (*cond)(void *), void *arg, int timeout_ms);

/*
 * Whether eshmd can hand out pidfds here: false where the campaign says it
 * cannot ($ESHM_TEST_NO_PIDFD, set by ci/valgrind.sh: valgrind has no
 * pidfd_open), and tests then expect the fallback instead.
 */
bool th_expect_pidfds(void);

/* CLOCK_MONOTONIC in nanoseconds. */
long long th_now_ns(void);

#endif /* ESHM_TESTS_HARNESS_H */
