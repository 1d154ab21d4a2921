/*
 * raw_client.h - eshmd's control protocol spoken raw (common/proto.h),
 * without the library: the daemon tests use it to send exactly what they
 * mean, well formed or not.  Every call waits at most RC_TIMEOUT_MS and
 * returns the reply's status (0 or an ESHM_ERROR_*); none asserts, so
 * children may use them too.
 */
#ifndef ESHM_TESTS_RAW_CLIENT_H
#define ESHM_TESTS_RAW_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "layout.h"
#include "proto.h"

#define RC_TIMEOUT_MS 5000

/* An ATTACH body for @name, @role, @threshold_ms and @capacity (latest value). */
void rc_attach_init(struct proto_attach *a, const char *name, uint32_t role, uint32_t threshold_ms,
                    uint64_t capacity);

/*
 * ATTACH (@type PROTO_REQ_ATTACH) or REATTACH with @a, handing back @send
 * (may be NULL); the reply into @r, its descriptors into @got.
 */
int rc_attach(int fd, uint16_t type, const struct proto_attach *a, const struct proto_fds *send,
              struct proto_attach_reply *r, struct proto_fds *got);

/* ATTACH @name as @role with a 100 ms threshold and 64-byte capacity. */
int rc_attach_simple(int fd, const char *name, uint32_t role, struct proto_attach_reply *r,
                     struct proto_fds *got);

int rc_create(int fd, const char *name, uint64_t capacity, uint32_t flags);
int rc_show(int fd, const char *name, struct proto_segment_info *info);
int rc_observers(int fd, const char *name, struct proto_observers_reply *r);
int rc_remove(int fd, const char *name, bool force);
int rc_detach(int fd, const char *name);
int rc_status(int fd, struct proto_status_reply *r);

/* PROXY: the caller stands in as @role of @name for @remote_pid on @host, in @state. */
int rc_proxy(int fd, const char *name, uint32_t role, uint32_t state, int32_t remote_pid,
             const char *host);
int rc_hello(int fd, uint64_t caps, struct proto_hello_reply *r);
int rc_peek(int fd, const char *name, struct proto_peek_reply *r, struct proto_fds *got);

/*
 * LIST: the number of segments listed, and whether @name (may be NULL)
 * was among them; -1 on a transport or protocol failure.
 */
int rc_list(int fd, const char *name, bool *found);

/* Wait up to @timeout_ms for role @index of @name to be in @state (SHOW on @fd). */
bool rc_wait_state(int fd, const char *name, int index, uint32_t state, int timeout_ms);

/*
 * Wait up to @timeout_ms for one datagram on @fd of @type (others are
 * skipped and their descriptors closed): its body into @body (the type's
 * size), its descriptors into @got.  Returns true if it came.
 */
bool rc_wait_datagram(int fd, uint16_t type, void *body, struct proto_fds *got, int timeout_ms);

/* A field of /proc/@pid/status in kB ("VmRSS", "VmHWM"), or -1. */
long rc_proc_kb(pid_t pid, const char *field);

#endif /* ESHM_TESTS_RAW_CLIENT_H */
