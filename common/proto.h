/*
 * proto.h - the control protocol between eshmd and its clients
 * (libeshm-client, eshmctl), defined once.  Bump PROTO_VERSION on any change.
 *
 * Transport: a SOCK_SEQPACKET Unix socket, so each request and each reply
 * is one datagram.  Every datagram starts with struct proto_hdr; the body
 * that follows is the fixed struct for its type.  All integers are in host
 * order (the socket never leaves the machine).  Strings are fixed-size,
 * NUL-terminated fields; a field without its NUL is malformed.
 *
 * A request is answered by exactly one reply with the same id, except LIST,
 * answered by one PROTO_REP_SEGMENT per segment then a PROTO_REP_DONE.
 * A reply's status is 0 or a negative ESHM_ERROR_* code.  ATTACH and PEEK
 * replies carry the segment's file descriptor as SCM_RIGHTS.
 */
#ifndef ESHM_COMMON_PROTO_H
#define ESHM_COMMON_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_MAGIC 0x45534843u /* "CHSE" */
#define PROTO_VERSION 2u
#define PROTO_NAME_MAX 200      /* longest segment name, bytes */
#define PROTO_NAME_SIZE 256     /* field size, NUL included */
#define PROTO_TEXT_SIZE 256     /* field size for paths and messages */
#define PROTO_MSG_MAX 4096      /* largest datagram either side sends */

enum proto_type {
	/* requests */
	PROTO_REQ_ATTACH = 1,   /* struct proto_attach -> proto_attach_reply + fd */
	PROTO_REQ_REATTACH = 2, /* struct proto_attach (after an eshmd restart) -> same */
	PROTO_REQ_DETACH = 3,   /* struct proto_name -> proto_status */
	PROTO_REQ_STATUS = 4,   /* no body -> proto_status_reply */
	PROTO_REQ_LIST = 5,     /* no body -> proto_segment_info..., proto_status (DONE) */
	PROTO_REQ_SHOW = 6,     /* struct proto_name -> proto_segment_info */
	PROTO_REQ_CREATE = 7,   /* struct proto_create -> proto_status */
	PROTO_REQ_REMOVE = 8,   /* struct proto_remove -> proto_status */
	PROTO_REQ_PEEK = 9,     /* struct proto_name -> proto_status + read-only fd */
	/* replies */
	PROTO_REP_STATUS = 100, /* struct proto_status (generic answer, errors) */
	PROTO_REP_ATTACH = 101,
	PROTO_REP_DAEMON = 102, /* struct proto_status_reply */
	PROTO_REP_SEGMENT = 103,/* struct proto_segment_info */
	PROTO_REP_DONE = 104,   /* struct proto_status: end of a LIST */
};

struct proto_hdr {
	uint32_t magic;   /* PROTO_MAGIC */
	uint16_t version; /* PROTO_VERSION */
	uint16_t type;    /* enum proto_type */
	uint32_t length;  /* bytes of body after this header */
	uint32_t id;      /* chosen by the requester, echoed in the reply */
};

struct proto_name {
	char name[PROTO_NAME_SIZE];
};

/* ATTACH / REATTACH */
struct proto_attach {
	char name[PROTO_NAME_SIZE];
	uint32_t role;             /* ESHMRole; REATTACH: MASTER or SLAVE */
	uint32_t stale_threshold_ms; /* 1..ESHM_STALE_THRESHOLD_MS_MAX, or 0 with
	                              * PROTO_ATTACH_SEGMENT_THRESHOLD */
	uint32_t disconnect_behavior;
	uint32_t flags;            /* PROTO_ATTACH_* */
	uint64_t capacity;         /* used only if the segment is created */
	uint64_t generation;       /* REATTACH: the generation attached to */
	uint64_t heartbeat_period_us;
};
#define PROTO_ATTACH_AUTO_CLEANUP 0x1u
/* The endpoint takes the segment's default stale threshold (struct
 * seg_header), set at its creation; stale_threshold_ms is then 0. */
#define PROTO_ATTACH_SEGMENT_THRESHOLD 0x2u

struct proto_attach_reply {
	int32_t status;
	uint32_t role;             /* assigned ESHMRole */
	uint64_t capacity;
	uint64_t generation;
	uint64_t total_size;
	uint32_t stale_threshold_ms; /* the endpoint's, as eshmd recorded it */
	uint32_t reserved;
};

struct proto_create {
	char name[PROTO_NAME_SIZE];
	uint64_t capacity;         /* 0: eshmd's default */
	uint32_t stale_threshold_ms; /* 0: eshmd's default */
	uint32_t flags;            /* PROTO_ATTACH_AUTO_CLEANUP */
};

struct proto_remove {
	char name[PROTO_NAME_SIZE];
	uint32_t force;            /* detach attached endpoints */
	uint32_t reserved;
};

struct proto_status {
	int32_t status;
	uint32_t reserved;
	char message[PROTO_TEXT_SIZE]; /* human detail, may be empty */
};

struct proto_status_reply {
	int32_t status;
	int32_t pid;
	uint64_t uptime_ms;
	uint32_t segments;
	uint32_t endpoints_by_state[4]; /* indexed by enum seg_endpoint_state */
	uint32_t check_interval_ms;
	char version[32];
	char socket_path[PROTO_TEXT_SIZE];
	char shm_prefix[64];
};

struct proto_endpoint_info {
	int32_t pid;
	uint32_t state;            /* enum seg_endpoint_state */
	uint32_t uid;
	uint32_t stale_threshold_ms;
	uint32_t silent_ms;
	uint32_t reserved;
	uint64_t heartbeat;
	uint64_t heartbeat_rate;   /* per second, over eshmd's last second */
	uint64_t start_time;
	uint64_t attach_realtime_ns;
	char comm[32];             /* process name */
};

struct proto_channel_info {
	uint64_t seq;
	uint64_t write_count;
	uint64_t read_count;
	uint64_t missed;
	uint64_t retries;
	uint64_t last_write_realtime_ns;
	uint32_t last_size;
	uint32_t reserved;
};

struct proto_segment_info {
	int32_t status;
	uint32_t layout_version;
	char name[PROTO_NAME_SIZE];
	uint64_t capacity;
	uint64_t generation;
	uint64_t created_realtime_ns;
	uint32_t stale_threshold_ms;
	uint32_t flags;            /* SEG_FLAG_* */
	uint32_t owner_uid;
	uint32_t check_interval_ms;
	struct proto_endpoint_info endpoint[2]; /* SEG_MASTER, SEG_SLAVE */
	struct proto_channel_info channel[2];   /* SEG_M2S, SEG_S2M */
};

/* Bytes of the body for request/reply @type, or -1 for an unknown type. */
ssize_t proto_body_size(uint16_t type);

/*
 * Check a received datagram of @len bytes at @buf: header magic, version,
 * known type, length equal to the type's body size, every string field
 * NUL-terminated.  On success *@hdr points into @buf and *@body at the body.
 * Returns 0, ESHM_ERROR_PROTOCOL or ESHM_ERROR_VERSION_MISMATCH.
 */
int proto_parse(const void *buf, size_t len, const struct proto_hdr **hdr, const void **body);

/*
 * Send one datagram of @type with @body (its size from proto_body_size),
 * and @fd as SCM_RIGHTS if @fd >= 0.  Retries EINTR; MSG_NOSIGNAL.
 * Returns 0 or -errno.
 */
int proto_send(int sock, uint16_t type, uint32_t id, const void *body, int fd);

/*
 * Receive one datagram into @buf (PROTO_MSG_MAX bytes), with at most one
 * passed fd in *@fd (-1 if none; extra fds are closed).  @timeout_ms < 0
 * waits forever.  Returns the length, 0 on hang-up, or -errno
 * (-ETIMEDOUT on timeout).
 */
ssize_t proto_recv(int sock, void *buf, int *fd, int timeout_ms);

/*
 * Send a request and wait for the reply of @expect_type (or a
 * PROTO_REP_STATUS error) with the same id; copy its body into @reply
 * (proto_body_size(@expect_type) bytes).  *@fd receives a passed fd or -1.
 * Returns the reply's status, or ESHM_ERROR_DAEMON_UNAVAILABLE /
 * ESHM_ERROR_PROTOCOL on transport failure.
 */
int proto_call(int sock, uint16_t type, const void *body, uint16_t expect_type, void *reply,
               int *fd, int timeout_ms);

/* Connect a SOCK_SEQPACKET socket to @path (CLOEXEC).  Returns fd or -errno. */
int proto_connect(const char *path);

/*
 * eshmd's socket when the caller was given none: $ESHM_SOCKET if set and
 * not empty, else the built-in default (configure --with-eshmd-socket).
 * *@from_env, if not NULL, tells which.  Reads the environment: not safe
 * against a concurrent setenv().
 */
const char *proto_socket_path(bool *from_env);

/*
 * Validate a segment name by the rule of ESHMConfig.shm_name in eshm.h:
 * 1..PROTO_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.' or '-'.
 * Returns 0 or ESHM_ERROR_NAME_INVALID.
 */
int proto_name_valid(const char *name);

#endif /* ESHM_COMMON_PROTO_H */
