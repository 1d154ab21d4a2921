/*
 * endpoint_proc.h - a libeshm-client endpoint in a child process of the
 * test (th_spawn() of tests/harness.h), attached to the private eshmd and
 * driven through pipes: one command byte, one int reply.  So a test can
 * stop it with SIGSTOP, kill it with SIGKILL, or watch it from another
 * process (eshmctl) while it stays attached.  A child that does not answer
 * within TE_TIMEOUT_MS, or any pipe that fails, fails the running cmocka
 * test.
 */
#ifndef ESHM_TESTS_ENDPOINT_PROC_H
#define ESHM_TESTS_ENDPOINT_PROC_H

#include <eshm.h>
#include <stdint.h>
#include <sys/types.h>

/* Generous: a loaded 2-core machine or a run under valgrind; every wait
 * ends as soon as the answer comes. */
#define TE_TIMEOUT_MS 30000

struct te_proc {
	pid_t pid;
	int cmd; /* to the child */
	int res; /* from the child */
};

/*
 * Start a child that attaches @name as @role with the stale threshold
 * @stale_ms, disconnect behaviour NEVER and no auto-cleanup (eshmd keeps
 * the segment when it detaches); the test fails unless it attached.
 */
void te_start(struct te_proc *e, const char *name, ESHMRole role, uint32_t stale_ms);

/* eshm_write() of @len bytes of @data in the child; returns its result. */
int te_write(struct te_proc *e, const void *data, uint32_t len);

/* eshm_read() in the child into @buf (4096 bytes), its size in *@len;
 * returns its result. */
int te_read(struct te_proc *e, char *buf, uint32_t *len);

/* eshm_destroy() in the child, which then exits 0; returns its result. */
int te_detach(struct te_proc *e);

/*
 * Close the pipes (a child still attached detaches and exits) and reap the
 * child; returns its exit code (128+signal if killed), -1 if it did not
 * exit in time.
 */
int te_end(struct te_proc *e);

#endif /* ESHM_TESTS_ENDPOINT_PROC_H */
