/*
 * fault_util.h - what the hostile-input, fault and security tests
 * share: campaign sizes from the environment, eshmd's resource counts from
 * /proc, raw control requests that bypass libeshm-client's own checks, and
 * a read-only look into a segment.
 */
#ifndef ESHM_TESTS_FAULT_UTIL_H
#define ESHM_TESTS_FAULT_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"
#include "layout.h"
#include "proto.h"

/*
 * The campaign size @var from the environment (e.g. ESHM_FAULT_KILLS), or
 * @dflt (the `make check` size) when unset or not a positive number.
 */
unsigned tf_env_count(const char *var, unsigned dflt);

/* Open descriptors of @pid (entries of /proc/PID/fd), or -1. */
int tf_proc_fds(pid_t pid);

/* Descriptors of this process whose /proc/self/fd link contains @needle
 * (a memfd's name, "anon_inode:[pidfd]"), or -1. */
int tf_self_fds_naming(const char *needle);

/* VmRSS of @pid in KiB, or -1. */
long tf_proc_rss_kb(pid_t pid);

/* A small fast PRNG (xorshift64*); *@state must start non-zero. */
uint64_t tf_rand(uint64_t *state);

/*
 * One raw request of @type with @body (its full fixed size) on a fresh
 * connection to @d's socket; the reply's body goes to @reply (of
 * proto_body_size(@expect) bytes, may be NULL for a status).  Descriptors
 * passed with it go to @fds if not NULL, else are closed.
 * Returns the reply's status or a transport ESHM_ERROR_*.
 */
int tf_request(const struct th_daemon *d, uint16_t type, const void *body, uint16_t expect,
               void *reply, struct proto_fds *fds);

/* eshmd's STATUS reply.  Returns 0 or an ESHM_ERROR_*. */
int tf_status(const struct th_daemon *d, struct proto_status_reply *r);

/* Whether eshmd at @d knows segment @name (SHOW succeeds). */
bool tf_segment_exists(const struct th_daemon *d, const char *name);

/* A segment seen from outside through PEEK: its blocks mapped read-only. */
struct tf_view {
	struct seg_mapping status;
	struct seg_geometry g;
	struct seg_mapping block[2];   /* per role index; unmapped when none */
	uint64_t incarnation[2];
};

/* The status block of @v. */
static inline const struct seg_status *
tf_view_status(const struct tf_view *v)
{
	return seg_status_of(&v->status);
}

/* The endpoint block of role @index in @v, or NULL when it has none. */
static inline const struct seg_block *
tf_view_block(const struct tf_view *v, int index)
{
	return v->block[index].base == NULL ? NULL : seg_block_of(&v->block[index]);
}

/*
 * Map segment @name of @d as eshmctl peek does (PEEK: the status block and
 * both endpoint blocks, read-only) and validate it.  Returns 0 or
 * ESHM_ERROR_*; release with tf_view_release().
 */
int tf_view_segment(const struct th_daemon *d, const char *name, struct tf_view *v);

/* Slots of role @index's block in @v that a write left odd (in progress,
 * or cut short by the writer's death and not repaired yet). */
unsigned tf_view_odd_slots(const struct tf_view *v, int index);

/* Unmap what tf_view_segment() mapped. */
void tf_view_release(struct tf_view *v);

/* Lines of eshmd's log of @d that contain @needle. */
int tf_log_count(const struct th_daemon *d, const char *needle);

/*
 * In a forked child: be killed with SIGKILL when the test process dies, so
 * a failed assertion in the test never leaves a busy child behind (one
 * that would keep the test's output open and hang `make check`).
 */
void tf_die_with_parent(void);

/* True while @pid exists and is not a zombie. */
bool tf_running(pid_t pid);

/* Write @text to a fresh file @path (mode 0644). Returns 0 or -1. */
int tf_write_file(const char *path, const char *text);

#endif /* ESHM_TESTS_FAULT_UTIL_H */
