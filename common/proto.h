/*
 * proto.h - the control protocol between eshmd and its clients
 * (libeshm-client, eshmctl), defined once.  Bump PROTO_VERSION only for a
 * change old peers cannot ignore; new features add request types and
 * capability bits (PROTO_CAP_*, exchanged by HELLO) instead.
 *
 * Transport: a SOCK_SEQPACKET Unix socket, so each request and each reply
 * is one datagram.  Every datagram starts with struct proto_hdr; the body
 * that follows is the fixed struct for its type.  All integers are in host
 * order (the socket never leaves the machine).  Strings are fixed-size,
 * NUL-terminated fields; a field without its NUL is malformed.
 *
 * A request is answered by exactly one reply with the same id, except LIST,
 * answered by one PROTO_REP_SEGMENT per segment, then a PROTO_REP_DONE.  A
 * reply's status is 0 or a negative ESHM_ERROR_* code; an error always
 * comes as PROTO_REP_STATUS with a human message.  A PROTO_REP_STATUS with
 * id 0 is eshmd refusing the connection itself (a limit): it answers
 * whatever the client waits for, and eshmd closes the connection after it.
 *
 * eshmd also sends notifications (PROTO_NTF_*, id 0) unasked, to a
 * connection that holds an endpoint or observer: a client must expect one
 * between any request and its reply, and skip what it does not know.
 *
 * Descriptors travel as SCM_RIGHTS, at most PROTO_FDS_MAX per datagram, in
 * the order of their PROTO_FD_* bit (lowest first); the body's "fds" field
 * says which are there.
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
#define PROTO_FDS_MAX 4         /* descriptors one datagram carries at most */

enum proto_type {
	/* requests */
	PROTO_REQ_ATTACH = 1,   /* proto_attach -> proto_attach_reply + descriptors */
	PROTO_REQ_REATTACH = 2, /* proto_attach + the blocks handed back -> same as ATTACH */
	PROTO_REQ_DETACH = 3,   /* proto_name -> proto_status */
	PROTO_REQ_STATUS = 4,   /* no body -> proto_status_reply */
	PROTO_REQ_LIST = 5,     /* no body -> proto_segment_info..., proto_status (DONE) */
	PROTO_REQ_SHOW = 6,     /* proto_name -> proto_segment_info */
	PROTO_REQ_CREATE = 7,   /* proto_create -> proto_status */
	PROTO_REQ_REMOVE = 8,   /* proto_remove -> proto_status */
	PROTO_REQ_PEEK = 9,     /* proto_name -> proto_peek_reply + read-only blocks */
	PROTO_REQ_HELLO = 10,   /* proto_hello -> proto_hello_reply */
	PROTO_REQ_EVENTS = 11,  /* proto_events -> proto_event..., proto_status (DONE);
	                           with PROTO_EVENTS_FOLLOW the events never end */
	PROTO_REQ_COUNTERS = 12,/* no body -> proto_counters */
	PROTO_REQ_PROXY = 13,   /* proto_proxy -> proto_status (bridges only) */
	PROTO_REQ_OBSERVERS = 14, /* proto_name -> proto_observers_reply */
	/* replies */
	PROTO_REP_STATUS = 100, /* proto_status (generic answer, errors) */
	PROTO_REP_ATTACH = 101, /* proto_attach_reply */
	PROTO_REP_DAEMON = 102, /* proto_status_reply */
	PROTO_REP_SEGMENT = 103,/* proto_segment_info */
	PROTO_REP_DONE = 104,   /* proto_status: end of a LIST */
	PROTO_REP_HELLO = 105,  /* proto_hello_reply */
	PROTO_REP_PEEK = 106,   /* proto_peek_reply */
	PROTO_REP_EVENT = 107,  /* proto_event */
	PROTO_REP_COUNTERS = 108, /* proto_counters */
	PROTO_REP_OBSERVERS = 109, /* proto_observers_reply */
	/* notifications, eshmd to client, id 0 */
	PROTO_NTF_PEER = 200,   /* proto_peer + the new block, read-only, and a pidfd */
	PROTO_NTF_OBSERVER = 201, /* proto_observer [+ the observer's block, read-only] */
};

/* Capability bits (proto_hello.caps): what each side implements. */
#define PROTO_CAP_PEER_PIDFD 0x1u   /* ATTACH and PEER pass a pidfd of the peer */
#define PROTO_CAP_TAKEOVER 0x2u     /* proto_attach.takeover_ms */
#define PROTO_CAP_QUEUE 0x4u        /* SEG_MODE_QUEUE segments */
#define PROTO_CAP_OBSERVER 0x8u     /* ESHM_ROLE_OBSERVER attaches */
#define PROTO_CAP_TIMESTAMPS 0x10u  /* PROTO_ATTACH_TIMESTAMPS */
#define PROTO_CAP_EVENTS 0x20u      /* EVENTS and COUNTERS */
#define PROTO_CAP_PROXY 0x40u       /* PROXY (eshm-bridge) */
#define PROTO_CAP_STAND_IN 0x80u    /* PROTO_ATTACH_STAND_IN */
#define PROTO_CAP_OBSERVER_LIST 0x100u /* OBSERVERS */

/* Which descriptors a datagram carries ("fds" fields), in this order. */
#define PROTO_FD_STATUS 0x1u  /* the segment's status block, read-only */
#define PROTO_FD_OWN 0x2u     /* the caller's own endpoint or observer block, read-write */
#define PROTO_FD_PEER 0x4u    /* the peer's (an observer's: the observed writer's) block, read-only */
#define PROTO_FD_PIDFD 0x8u   /* a pidfd of the peer's process */
#define PROTO_FD_MASTER 0x10u /* PEEK: the master's block, read-only */
#define PROTO_FD_SLAVE 0x20u  /* PEEK: the slave's block, read-only */

struct proto_hdr {
	uint32_t magic;   /* PROTO_MAGIC */
	uint16_t version; /* PROTO_VERSION */
	uint16_t type;    /* enum proto_type */
	uint32_t length;  /* bytes of body after this header */
	uint32_t id;      /* chosen by the requester, echoed in the reply; 0: unasked */
};

struct proto_name {
	char name[PROTO_NAME_SIZE];
};

struct proto_hello {
	uint64_t caps;              /* PROTO_CAP_* the client understands */
	char software[32];          /* e.g. "libeshm-client 0.2.0", for the log */
};

struct proto_hello_reply {
	int32_t status;
	uint32_t layout_version;    /* SEG_LAYOUT_VERSION */
	uint64_t caps;              /* PROTO_CAP_* eshmd offers */
	uint64_t max_capacity;      /* its limits, so a client can say why before asking */
	uint32_t max_queue_depth;
	uint32_t max_observers;
	char version[32];           /* eshmd's version */
};

/*
 * ATTACH / REATTACH.  ATTACH creates the segment if it does not exist
 * (capacity, mode, queue_depth and the creation flags apply then only).
 * REATTACH, after an eshmd restart, names the role, generation and
 * incarnation the endpoint held and hands its descriptors back (fds):
 * eshmd accepts only the very memfds it recorded.
 */
struct proto_attach {
	char name[PROTO_NAME_SIZE];
	uint32_t role;             /* ESHMRole; REATTACH: the role held */
	uint32_t stale_threshold_ms; /* 1..ESHM_STALE_THRESHOLD_MS_MAX, or 0 with
	                              * PROTO_ATTACH_SEGMENT_THRESHOLD */
	uint32_t disconnect_behavior;
	uint32_t flags;            /* PROTO_ATTACH_* */
	uint64_t capacity;         /* creation: bytes per message */
	uint32_t mode;             /* creation: SEG_MODE_* */
	uint32_t queue_depth;      /* creation, queue mode: messages */
	uint32_t observed;         /* observers: ESHMRole of the writer observed */
	uint32_t takeover_ms;      /* take the role over from a holder stale this long; 0: never */
	uint32_t heartbeat_period_us; /* 0: no heartbeat thread */
	uint32_t fds;              /* REATTACH: PROTO_FD_STATUS | PROTO_FD_OWN [| PROTO_FD_PEER] */
	uint64_t generation;       /* REATTACH: of the segment */
	uint64_t incarnation;      /* REATTACH: of the endpoint's own block */
};
#define PROTO_ATTACH_AUTO_CLEANUP 0x1u
/* The endpoint takes the segment's default stale threshold, set at its
 * creation; stale_threshold_ms is then 0. */
#define PROTO_ATTACH_SEGMENT_THRESHOLD 0x2u
/* Creation: slots carry the write time (SEG_FLAG_TIMESTAMPS). */
#define PROTO_ATTACH_TIMESTAMPS 0x4u
/* The holder stands in for a process on another host (eshm-bridge; root
 * and bridge_group only, as PROXY): its role shows stale from the attach
 * until the holder declares the remote's state with PROXY, never eshmd's
 * verdict on the stand-in itself. */
#define PROTO_ATTACH_STAND_IN 0x8u

/*
 * The answer to ATTACH and REATTACH.  Descriptors, per fds: the status
 * block (read-only), the caller's own block (read-write; observers: their
 * observer block), the peer's current block (read-only; observers: the
 * observed writer's), a pidfd of the peer's process.
 */
struct proto_attach_reply {
	int32_t status;
	uint32_t role;             /* assigned ESHMRole */
	uint64_t generation;
	uint64_t incarnation;      /* of the caller's own block */
	uint64_t peer_incarnation; /* of the peer block passed; 0: none */
	uint32_t stale_threshold_ms; /* the endpoint's, as eshmd recorded it */
	uint32_t fds;              /* PROTO_FD_* */
	int32_t peer_pid;          /* the pidfd's process; 0: none passed */
	uint32_t slot;             /* observers: their slot in the status block */
};

/*
 * Notification: the holder of a role changed.  Sent to the other role's
 * holder and to the observers of that role's channel.  Descriptors, per
 * fds: the new block (read-only), a pidfd of the new holder.
 */
struct proto_peer {
	uint32_t role;             /* ESHMRole whose block this is */
	uint32_t fds;              /* PROTO_FD_PEER [| PROTO_FD_PIDFD] */
	uint64_t generation;
	uint64_t incarnation;      /* of the block passed */
	int32_t pid;               /* the pidfd's process; 0: none passed */
	uint32_t reserved;
};

/*
 * Notification to the holder of a role: an observer of its channel came
 * (fds PROTO_FD_PEER: the observer's block, read-only, whose wait word the
 * writer loads after publishing) or left (fds 0) the status block's
 * observer slot @slot.  On a new holder's attach, one per observer there.
 */
struct proto_observer {
	uint32_t slot;             /* < SEG_OBSERVERS_MAX */
	uint32_t fds;              /* PROTO_FD_PEER, or 0: the slot is empty */
	uint64_t generation;
	uint64_t incarnation;      /* the observer's attach number in the segment */
};

struct proto_create {
	char name[PROTO_NAME_SIZE];
	uint64_t capacity;         /* 0: eshmd's default */
	uint32_t stale_threshold_ms; /* 0: eshmd's default */
	uint32_t flags;            /* PROTO_ATTACH_AUTO_CLEANUP, PROTO_ATTACH_TIMESTAMPS */
	uint32_t mode;             /* SEG_MODE_* */
	uint32_t queue_depth;      /* queue mode: messages; 0: eshmd's default */
};

struct proto_remove {
	char name[PROTO_NAME_SIZE];
	uint32_t force;            /* detach attached endpoints */
	uint32_t reserved;
};

/* The answer to PEEK; descriptors per fds: status, master's and slave's blocks. */
struct proto_peek_reply {
	int32_t status;
	uint32_t fds;              /* PROTO_FD_STATUS [| PROTO_FD_MASTER] [| PROTO_FD_SLAVE] */
	uint64_t incarnation[2];   /* of the blocks passed, per role index */
};

struct proto_status {
	int32_t status;
	uint32_t reserved;
	char message[PROTO_TEXT_SIZE]; /* human detail, may be empty */
};

/* Counts against limits: eshmd's totals, or one user's. */
struct proto_usage {
	uint32_t segments;
	uint32_t connections;
	uint64_t bytes;            /* of the memfds eshmd holds */
	uint32_t max_segments;
	uint32_t max_connections;
	uint64_t max_bytes;
};

struct proto_status_reply {
	int32_t status;
	int32_t pid;
	uint64_t uptime_ms;
	uint32_t segments;
	uint32_t endpoints_by_state[4]; /* indexed by enum seg_endpoint_state */
	uint32_t check_interval_ms;
	uint32_t observers;
	uint32_t reserved;
	char version[32];
	char socket_path[PROTO_TEXT_SIZE];
	char shm_prefix[64];
	struct proto_usage total;  /* the whole daemon */
	struct proto_usage user;   /* the caller's uid */
};

/* A rate eshmd has not sampled twice yet. */
#define PROTO_RATE_UNKNOWN UINT64_MAX

struct proto_endpoint_info {
	int32_t pid;
	uint32_t state;            /* enum seg_endpoint_state */
	uint32_t uid;
	uint32_t stale_threshold_ms; /* how long it tolerates its peer's silence */
	uint32_t judged_ms;        /* the threshold its own state is judged by */
	uint32_t silent_ms;
	uint64_t heartbeat;
	uint64_t heartbeat_rate;   /* per second, over eshmd's last one to two seconds;
	                              PROTO_RATE_UNKNOWN until two samples exist */
	uint64_t start_time;
	uint64_t attach_realtime_ns;
	uint64_t incarnation;      /* attaches to this role so far */
	char comm[32];             /* process name */
	uint32_t flags;            /* PROTO_EP_* */
	int32_t remote_pid;        /* PROTO_EP_BRIDGED: the remote process's pid, 0: unknown */
	char remote_host[64];      /* PROTO_EP_BRIDGED: where it runs */
};

/* proto_endpoint_info.flags */
#define PROTO_EP_BRIDGED 0x1u      /* held by a bridge standing in for a remote process */

struct proto_channel_info {
	uint64_t head;             /* messages published by the current block's writer */
	uint64_t position;         /* last message the reader consumed */
	uint64_t read_count;
	uint64_t missed;
	uint64_t retries;
	uint64_t contended;
	uint64_t last_write_realtime_ns;
	uint32_t last_size;
	uint32_t unread;           /* queue: messages the reader has not read yet */
	uint64_t missed_rate;      /* messages per second the reader misses, or PROTO_RATE_UNKNOWN */
};

struct proto_segment_info {
	int32_t status;
	uint32_t layout_version;
	char name[PROTO_NAME_SIZE];
	uint64_t capacity;
	uint64_t generation;
	uint64_t created_realtime_ns;
	uint64_t bytes;            /* of its memfds, charged to its owner */
	uint32_t stale_threshold_ms; /* the segment's default */
	uint32_t flags;            /* SEG_FLAG_* */
	uint32_t verdict_flags;    /* SEG_VERDICT_* */
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t check_interval_ms;
	uint32_t mode;             /* SEG_MODE_* */
	uint32_t queue_depth;
	uint32_t slots;
	uint32_t observers;
	struct proto_endpoint_info endpoint[2]; /* SEG_MASTER, SEG_SLAVE */
	struct proto_channel_info channel[2];   /* written by SEG_MASTER, SEG_SLAVE */
};

/* OBSERVERS: each observer of a segment, as a reader of its channel. */
#define PROTO_OBSERVERS_MAX 32      /* = SEG_OBSERVERS_MAX */

struct proto_observer_info {
	int32_t pid;
	uint32_t uid;
	uint32_t observed;         /* ESHMRole of the writer it reads */
	uint32_t slot;             /* its slot in the status block */
	uint64_t incarnation;      /* the segment's observer attaches when it came */
	uint64_t attach_realtime_ns;
	uint64_t position;         /* last message it consumed */
	uint64_t read_count;
	uint64_t missed;
	uint64_t retries;
	uint64_t contended;
	uint32_t unread;           /* queue: messages it has not read yet */
	uint32_t reserved;
	char comm[32];             /* process name */
};

struct proto_observers_reply {
	int32_t status;
	uint32_t count;            /* entries of observer[] in use, by slot */
	struct proto_observer_info observer[PROTO_OBSERVERS_MAX];
};

/*
 * EVENTS: the events eshmd keeps that the caller may see, oldest first,
 * of one segment (name) or all ("").  With PROTO_EVENTS_FOLLOW, new
 * events follow as they happen until the caller closes the connection;
 * an event's "lost" says how many went out of eshmd's history before the
 * caller read them.
 */
#define PROTO_EVENTS_FOLLOW 0x1u

struct proto_events {
	char name[PROTO_NAME_SIZE];  /* "": every segment's, and eshmd's own */
	uint64_t since_realtime_ns;  /* only events at or after this time; 0: all */
	uint32_t flags;              /* PROTO_EVENTS_* */
	uint32_t reserved;
};

struct proto_event {
	uint64_t serial;             /* 1 for eshmd's first event since its start */
	uint64_t realtime_ns;
	uint64_t lost;               /* events lost just before this one */
	int32_t pid;                 /* the process concerned, 0: none */
	uint32_t uid;
	int32_t role;                /* ESHMRole, or -1 */
	int32_t status;              /* refusals: the ESHM_ERROR_* answered */
	char kind[24];               /* "attached", "stale", ... (eshmctl(8)) */
	char message_id[40];         /* the journal's MESSAGE_ID= of its kind */
	char segment[PROTO_NAME_SIZE]; /* "": about eshmd or a connection */
	char message[PROTO_TEXT_SIZE]; /* as logged */
};

/*
 * PROXY: a bridge (eshm-bridge) holds @role of segment @name as the
 * stand-in of a process on another host, and declares that process's
 * state as judged there.  eshmd accepts it only from the process that
 * holds the role (its pid, from the socket), run by root or a member of
 * bridge_group (eshmd.conf); any other caller gets ESHM_ERROR_PERMISSION.
 * From then on the role shows the declared state (eshm_check_remote_alive()
 * of its peer, the verdict in the status block, eshmctl), unless eshmd's
 * own judgement of the stand-in is worse: a bridge that stalls is stale,
 * one that dies is dead, whatever it declared.  The declaration lasts as
 * long as the stand-in holds the role; a bridge repeats it whenever the
 * remote state changes and at least once a second.
 */
struct proto_proxy {
	char name[PROTO_NAME_SIZE];
	uint32_t role;             /* ESHM_ROLE_MASTER or ESHM_ROLE_SLAVE: the role the caller holds */
	uint32_t state;            /* enum seg_endpoint_state of the remote process */
	int32_t remote_pid;        /* its pid on its host, 0: unknown */
	uint32_t reserved;         /* 0 */
	char remote_host[64];      /* its host, as the bridge names it (NUL-terminated) */
};

/* COUNTERS: eshmd's counters since its start. */
#define PROTO_REASONS 32

struct proto_counters {
	int32_t status;
	uint32_t reasons;            /* PROTO_REASONS */
	uint64_t refusals[PROTO_REASONS]; /* by -ESHM_ERROR_* code; [0]: other */
	uint64_t events;             /* events recorded */
	uint64_t monitor_passes;
	uint64_t monitor_busy_ns;    /* time spent in passes (CLOCK_MONOTONIC) */
	uint64_t monitor_cpu_ns;     /* the monitor thread's CPU time */
	uint64_t monitor_last_pass_ns;
	uint64_t monitor_max_pass_ns;
};

/* Descriptors that travel with one datagram. */
struct proto_fds {
	int fd[PROTO_FDS_MAX];
	unsigned n;
};

/* Bytes of the body for request/reply @type, or -1 for an unknown type. */
ssize_t proto_body_size(uint16_t type);

/*
 * Check a received datagram of @len bytes at @buf: header magic, version,
 * known type, length equal to the type's body size, every string field
 * NUL-terminated.  On success *@hdr points into @buf and *@body at the body.
 * Once the magic matched, *@hdr is set even on error, so the caller can
 * answer the request's id (and, for ESHM_ERROR_VERSION_MISMATCH, in the
 * sender's version; for an unknown type, without closing).
 * Returns 0, ESHM_ERROR_PROTOCOL or ESHM_ERROR_VERSION_MISMATCH.
 */
int proto_parse(const void *buf, size_t len, const struct proto_hdr **hdr, const void **body);

/* An empty set: no descriptor, every slot -1. */
void proto_fds_init(struct proto_fds *f);

/* Close every descriptor of @f and empty it. */
void proto_fds_close(struct proto_fds *f);

/*
 * Take descriptor @i out of @f (-1 if there is none): the caller owns it,
 * closing @f no longer closes it.
 */
int proto_fds_take(struct proto_fds *f, unsigned i);

/*
 * The descriptor that bit @bit (PROTO_FD_*) stands for, in a datagram
 * whose fds field is @mask and which came with @f, or -1 if it is not
 * there.  Does not take it.
 */
int proto_fds_get(const struct proto_fds *f, uint32_t mask, uint32_t bit);

/*
 * Send one datagram of @type with @body (its size from proto_body_size),
 * in protocol @version (PROTO_VERSION, or 1 only for answering a version-1
 * peer with ESHM_ERROR_VERSION_MISMATCH), with the descriptors of @fds (may
 * be NULL) as SCM_RIGHTS; they stay the caller's.  Never blocks
 * (MSG_DONTWAIT, MSG_NOSIGNAL); retries EINTR.
 * Returns 0 or -errno (-EAGAIN: the socket is full).
 */
int proto_send(int sock, uint16_t version, uint16_t type, uint32_t id, const void *body,
               const struct proto_fds *fds);

/*
 * Receive one datagram into @buf (PROTO_MSG_MAX bytes) with the passed
 * descriptors in @fds (CLOEXEC; beyond PROTO_FDS_MAX, or when @fds is
 * NULL, they are closed).  @timeout_ms < 0 waits forever, 0 does not wait.
 * Returns the length, 0 on hang-up, or -errno (-ETIMEDOUT on timeout,
 * -EMSGSIZE for a truncated datagram, whose descriptors are closed).
 */
ssize_t proto_recv(int sock, void *buf, struct proto_fds *fds, int timeout_ms);

/*
 * Send a request of @type with @body and the descriptors @send (may be
 * NULL), and wait up to @timeout_ms for the reply of @expect_type (or a
 * PROTO_REP_STATUS error) with the same id; notifications and late
 * answers met meanwhile are dropped with their descriptors.  Copies the
 * reply body into @reply (proto_body_size(@expect_type) bytes) and its
 * descriptors into @recv (may be NULL: closed).  An error's message goes
 * to @message (PROTO_TEXT_SIZE bytes, may be NULL).
 * Returns the reply's status, or ESHM_ERROR_DAEMON_UNAVAILABLE /
 * ESHM_ERROR_PROTOCOL / ESHM_ERROR_VERSION_MISMATCH on transport failure.
 */
int proto_call(int sock, uint16_t type, const void *body, const struct proto_fds *send,
               uint16_t expect_type, void *reply, struct proto_fds *recv, char *message,
               int timeout_ms);

/* Connect a SOCK_SEQPACKET socket to @path (CLOEXEC).  Returns fd or -errno. */
int proto_connect(const char *path);

/*
 * As proto_connect(), giving up after @timeout_ms: a listener that does not
 * accept (a restarting eshmd behind a socket unit) never holds the caller
 * longer.  The socket is left blocking.  Returns fd or -errno (-ETIMEDOUT).
 */
int proto_connect_timeout(const char *path, int timeout_ms);

/*
 * eshmd's socket when the caller was given none: $ESHM_SOCKET if set and
 * not empty, else the built-in default (configure --with-eshmd-socket).
 * *@from_env, if not NULL, tells which.  Reads the environment: not safe
 * against a concurrent setenv().
 */
const char *proto_socket_path(bool *from_env);

/* "master", "slave" or "observer" for ESHMRole @role; NULL for another value. */
const char *proto_role_name(int role);

/*
 * The short name of ESHM_ERROR_* @code, for labels and JSON: "limit",
 * "not_found", ...; "other" for a code it does not know.
 */
const char *proto_error_name(int code);

/*
 * Validate a segment name by the rule of ESHMConfig.shm_name in eshm.h:
 * 1..PROTO_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.' or '-'.
 * Returns 0 or ESHM_ERROR_NAME_INVALID.
 */
int proto_name_valid(const char *name);

#endif /* ESHM_COMMON_PROTO_H */
