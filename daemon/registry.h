/*
 * registry.h - the segments eshmd manages, and everything it decides by:
 * owner, geometry, budgets, and per role the current block, its holder's
 * process and state.  This memory is eshmd's alone; the status block in
 * shared memory is only a copy that eshmd writes for clients to read.
 *
 * Every field of every segment is guarded by registry.lock, taken by the
 * event loop for each request and event and by the monitor for each pass.
 */
#ifndef ESHMD_REGISTRY_H
#define ESHMD_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "layout.h"
#include "liveness.h"
#include "memfd.h"
#include "proto.h"
#include "rate.h"

#define REG_BUCKETS 4096

struct srv_conn;
struct reg_segment;

/* A memfd eshmd holds, and its own read-write mapping of it. */
struct reg_memfd {
	int fd;                      /* -1: none (not created, or awaited after a restart) */
	struct memfd_id id;
	struct seg_mapping map;      /* base NULL: not mapped */
};

/* One role (master, slave) of a segment. */
struct reg_endpoint {
	struct ev_tag tag;           /* EV_PIDFD, for the pidfd in epoll */
	struct reg_segment *seg;     /* back pointers for the pidfd event */
	int index;
	uint32_t state;              /* enum seg_endpoint_state: the authority */
	uint64_t incarnation;        /* attaches to this role so far; names its block */
	struct reg_memfd block;      /* the current block, kept after its holder left */
	/* the holder, from SO_PEERCRED and /proc at attach */
	pid_t pid;
	uid_t uid;
	uint64_t start_time;         /* /proc/PID/stat field 22 */
	int pidfd;                   /* -1: none (not held, or no pidfd to be had) */
	bool polled;                 /* held without a pidfd: /proc checked once a second */
	struct srv_conn *conn;       /* its control connection, NULL after a hang-up */
	uint64_t unlinked_since_ns;  /* CLOCK_MONOTONIC since held without a connection, 0: linked */
	uint32_t threshold_ms;       /* how long it tolerates its peer's silence */
	uint32_t judged_ms;          /* the threshold its own verdict uses */
	uint32_t period_us;          /* its heartbeat period, 0: no thread */
	uint64_t attach_realtime_ns;
	uint64_t stale_since_ns;     /* CLOCK_MONOTONIC of the stale verdict, 0: not stale */
	char comm[32];
	/* a bridge standing in for a remote process (proxy.h); cleared with the holder */
	bool proxied;
	uint32_t proxy_state;        /* the remote's state as its bridge declares it */
	pid_t remote_pid;
	char remote_host[64];
	/* the monitor's own */
	struct live_counts live;
	struct rate_window rate;     /* beats per second */
};

/* An observer slot: held while conn is not NULL (observer.h). */
struct reg_observer {
	uint32_t state;              /* SEG_EP_ALIVE while held, else SEG_EP_DETACHED */
	pid_t pid;
	uid_t uid;
	int observed;                /* role index of the channel it reads */
	uint64_t incarnation;        /* the segment's observer attaches when it came */
	uint64_t attach_realtime_ns;
	char comm[32];               /* process name, for display */
	struct reg_memfd block;      /* its own block (one page) */
	struct srv_conn *conn;       /* its control connection; NULL: slot free */
};

struct reg_segment {
	char name[PROTO_NAME_SIZE];
	uint64_t generation;
	uid_t owner_uid;
	gid_t owner_gid;
	struct seg_geometry g;
	uint32_t default_threshold_ms;
	uint32_t verdict_flags;      /* SEG_VERDICT_* */
	uint64_t bytes;              /* charged to the owner */
	uint64_t created_realtime_ns;
	struct reg_memfd status;
	struct reg_endpoint ep[2];
	struct reg_observer *observers; /* SEG_OBSERVERS_MAX slots once one attached; NULL: none */
	uint32_t nobservers;         /* slots held */
	uint64_t observer_attaches;  /* observers attached so far: names each one */
	uint64_t obs_calm_since_ns[2]; /* per channel: monitor time since no observer waited; 0: one did */
	uint64_t empty_since_ns;     /* CLOCK_MONOTONIC since no role is held */
	uint64_t restore_deadline_ns;/* restored without its memfds: dropped after this */
	/* traffic, stamped by the monitor */
	uint64_t seen_head[2], seen_position[2];
	uint64_t write_realtime_ns[2], read_realtime_ns[2];
	struct rate_window missed_rate[2]; /* messages per second each channel's reader misses */
	struct reg_segment *prev, *next; /* all segments */
	struct reg_segment *hnext;   /* hash chain */
};

/*
 * Where a streamed reply (LIST) is in the list of segments.  Registered
 * while the stream runs, so that removing a segment moves the cursors on
 * it instead of leaving them dangling.
 */
struct reg_cursor {
	struct reg_segment *at;      /* next segment to look at; NULL: the end */
	struct reg_cursor *prev, *next;
};

/* Counts against the limits, for one uid or in total. */
struct reg_usage {
	uint32_t segments;
	uint32_t connections;
	uint64_t bytes;
};

struct reg_user {
	uid_t uid;
	struct reg_usage use;
	struct reg_user *next;
};

struct registry {
	pthread_mutex_t lock;
	struct reg_segment *head, *tail;
	struct reg_segment *buckets[REG_BUCKETS];
	uint32_t count;
	uint64_t last_generation;
	struct reg_segment *removed; /* dropped, freed at the end of the round */
	struct reg_cursor *cursors;
	struct reg_usage total;
	struct reg_user *users[256];
};

/* Initialise an empty @reg.  Returns 0 or -1. */
int reg_init(struct registry *reg);

/* The segment called @name, or NULL. */
struct reg_segment *reg_find(struct registry *reg, const char *name);

/* Append @seg (name unique: the caller checked with reg_find). */
void reg_insert(struct registry *reg, struct reg_segment *seg);

/* Take @seg out of the registry, move the cursors on it, queue it for reg_reap. */
void reg_drop(struct registry *reg, struct reg_segment *seg);

/* Free the segments dropped since the last call (unmap, close). */
void reg_reap(struct registry *reg);

/* Free everything (at exit, after the monitor stopped). */
void reg_destroy(struct registry *reg);

/* A generation above every one given out or restored (realtime ns). */
uint64_t reg_next_generation(struct registry *reg);

/* Allocate a segment record with no memfd yet.  NULL if out of memory. */
struct reg_segment *reg_segment_new(const char *name);

/* True while endpoint @index is alive or stale: the role is held. */
bool reg_ep_held(const struct reg_segment *seg, int index);

/*
 * The state role @ep shows its peer and operators: eshmd's own verdict on
 * its holder, or, for a bridge judged alive, the state the bridge declared
 * for the remote process it stands in for (proxy.h).  Whether the role is
 * held is always eshmd's own verdict (reg_ep_held()).
 */
static inline uint32_t
reg_ep_shown(const struct reg_endpoint *ep)
{
	return ep->proxied && ep->state == SEG_EP_ALIVE ? ep->proxy_state : ep->state;
}

/* Unmap and close @m, leaving it empty. */
void reg_memfd_clear(struct reg_memfd *m);

/*
 * Count the segments and the endpoints by state into @by_state[4]
 * (detached slots not counted).  Returns the number of segments.
 */
uint32_t reg_counts(const struct registry *reg, uint32_t by_state[4]);

/* Number of endpoints currently alive or stale, over all segments. */
uint32_t reg_held_endpoints(const struct registry *reg);

/* Start @cur at the first segment and register it. */
void reg_cursor_open(struct registry *reg, struct reg_cursor *cur);

/* Unregister @cur. */
void reg_cursor_close(struct registry *reg, struct reg_cursor *cur);

/*
 * The usage of @uid, created at zero if needed (NULL if out of memory).
 * Entries are never freed before reg_destroy: a uid costs a few bytes.
 */
struct reg_usage *reg_user_usage(struct registry *reg, uid_t uid);

/* The usage of @uid, or NULL if it never had any. */
const struct reg_usage *reg_user_peek(const struct registry *reg, uid_t uid);

#endif /* ESHMD_REGISTRY_H */
