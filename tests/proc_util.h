/*
 * proc_util.h - programs the tests run as child processes (th_spawn() of
 * tests/harness.h): with chosen descriptors and user or on a
 * pseudo-terminal, their output collected, every wait bounded.  What cannot
 * be set up (a pipe, a terminal, a fork) or does not finish in time fails
 * the running cmocka test.
 */
#ifndef ESHM_TESTS_PROC_UTIL_H
#define ESHM_TESTS_PROC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A program for tp_exec_main(). */
struct tp_exec {
	const char *const *argv; /* NULL-terminated; argv[0] is the path */
	int fd[3];               /* what becomes stdin, stdout, stderr; -1 keeps it */
	int tty;                 /* pseudo-terminal slave to run on instead, or -1 */
	uid_t uid;               /* user to run as, (uid_t)-1 for the test's own */
};

/*
 * th_spawn() body that runs the struct tp_exec @arg: the program dies with
 * the test and th_kill_children() ends it, even when a failed assertion
 * skipped the wait for it.  Descriptors the test opened must all be
 * close-on-exec.  Returns only if it cannot run the program: 126 for the
 * set-up, 127 for the exec.
 */
int tp_exec_main(void *arg);

/*
 * Copy the program @path into a new directory under /tmp that every user
 * may enter, as a file every user may run, and write the copy's path to
 * @copy (@cap bytes).  A test that runs a program as another user uses the
 * copy: that user may not reach the build tree (a checkout under /root is
 * out of nobody's reach).  @path must be an executable of its own, not a
 * libtool wrapper script: a program that links no shared library of the
 * build, such as eshmctl.  What cannot be copied fails the running cmocka
 * test.  tp_remove_copy() removes the copy and its directory.
 */
void tp_reachable_copy(const char *path, char *copy, size_t cap);
void tp_remove_copy(const char *copy);

/* What a program printed, NUL-terminated, and how it ended. */
struct tp_output {
	int status;        /* exit code, 128+signal if killed */
	char out[65536];
	size_t outlen;
	char err[16384];
	size_t errlen;
};

/*
 * Run @argv (as user @uid unless it is (uid_t)-1), collect its stdout and
 * stderr into @o until both close, and reap it; the test fails if that
 * takes longer than @timeout_ms (the program is killed).  Returns its exit
 * code, also in o->status.
 */
int tp_run(struct tp_output *o, const char *const *argv, uid_t uid, int timeout_ms);

/*
 * Append what is readable on @fd to @buf (@cap bytes, *@len used, kept
 * NUL-terminated; what does not fit is dropped).  Returns false at EOF or
 * on an error other than EINTR.
 */
bool tp_drain(int fd, char *buf, size_t cap, size_t *len);

/*
 * Run @argv on a fresh 40x200 pseudo-terminal, as the leader of a new
 * session with TERM=xterm and no NO_COLOR; the terminal's master side goes
 * to *@master (close-on-exec, so only the program holds the terminal and
 * its hang-up comes when it exits).  Returns the child's pid.
 */
pid_t tp_run_on_pty(const char *const *argv, int *master);

/*
 * Read from @fd into @buf (as tp_drain()) until @done(@buf), EOF, or
 * @timeout_ms passes.  Returns @done(@buf).
 */
bool tp_read_until(int fd, char *buf, size_t cap, size_t *len, bool (*done)(const char *),
                   int timeout_ms);

/*
 * Read exactly @len bytes from child @pid's pipe @fd; the test fails if
 * the child hangs up or stays silent for @timeout_ms.
 */
void tp_read_full(pid_t pid, int fd, void *buf, size_t len, int timeout_ms);

#endif /* ESHM_TESTS_PROC_UTIL_H */
