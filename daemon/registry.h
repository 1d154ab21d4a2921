/*
 * registry.h - the segments eshmd manages and what it knows of their
 * endpoints beyond the shared memory (connections, pidfds, monitor counts).
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
#include "proto.h"

#define REG_BUCKETS 1024

struct srv_conn;
struct reg_segment;

struct reg_endpoint {
	struct ev_tag tag;          /* EV_PIDFD, for the pidfd in epoll */
	struct reg_segment *seg;    /* back pointers for the pidfd event */
	int index;
	struct srv_conn *conn;      /* control connection holding the role, or NULL */
	int pidfd;                  /* re-adopted endpoint's pidfd, or -1 */
	bool polled;                /* re-adopted, no pidfd to be had: checked by adopt_poll */
	char comm[32];              /* process name at attach (or adoption) */
	/* the monitor's own counts */
	uint64_t last_heartbeat;
	uint32_t silent_ms;
	uint64_t change_mono_ns;    /* pass that last saw the heartbeat move */
	uint32_t period_ms;         /* its heartbeat period, rounded up (>= 1) */
	uint64_t rate_mono_ns;      /* start of the current 1 s window */
	uint64_t rate_heartbeat;    /* heartbeat at its start */
	uint64_t rate;              /* beats per second over the last window */
};

struct reg_segment {
	char name[PROTO_NAME_SIZE];
	/* The object's identity when eshmd mapped it.  No descriptor is kept
	 * (one per segment would cap eshmd at half its RLIMIT_NOFILE): ATTACH
	 * and PEEK re-open the object by name and pass it only if it is still
	 * this very object of this size. */
	dev_t dev;
	ino_t ino;
	struct seg_map map;
	uint64_t generation;
	uint64_t empty_since_ns;    /* CLOCK_MONOTONIC since nothing is attached */
	struct reg_endpoint ep[2];
	uint64_t seen_seq[2];       /* per channel, at the last monitor pass */
	uint64_t seen_reads[2];
	struct reg_segment *prev, *next; /* all segments */
	struct reg_segment *hnext;  /* hash chain */
};

struct registry {
	pthread_mutex_t lock;
	struct reg_segment *head;
	struct reg_segment *buckets[REG_BUCKETS];
	uint32_t count;
	uint64_t last_generation;
	struct reg_segment *removed; /* dropped, freed at the end of the round */
};

/* Initialise an empty @reg.  Returns 0 or -1. */
int reg_init(struct registry *reg);

/* The segment called @name, or NULL. */
struct reg_segment *reg_find(struct registry *reg, const char *name);

/* Add @seg (name unique: the caller checked with reg_find). */
void reg_insert(struct registry *reg, struct reg_segment *seg);

/* Take @seg out of the registry and queue it for reg_reap. */
void reg_drop(struct registry *reg, struct reg_segment *seg);

/* Free the segments dropped since the last call (unmap, close). */
void reg_reap(struct registry *reg);

/* Free everything (at exit, after the monitor stopped). */
void reg_destroy(struct registry *reg);

/* A generation never given out before by this process (realtime ns). */
uint64_t reg_next_generation(struct registry *reg);

/* Allocate a segment record with no object yet.  NULL if out of memory. */
struct reg_segment *reg_segment_new(const char *name);

/* Endpoint state as written in the segment (enum seg_endpoint_state). */
uint32_t reg_ep_state(const struct reg_segment *seg, int index);

/* True while endpoint @index is alive or stale: the role is held. */
bool reg_ep_held(const struct reg_segment *seg, int index);

/*
 * Count the segments and the endpoints by state into @by_state[4]
 * (detached slots not counted).  Returns the number of segments.
 */
uint32_t reg_counts(const struct registry *reg, uint32_t by_state[4]);

/* Number of endpoints currently alive or stale, over all segments. */
uint32_t reg_held_endpoints(const struct registry *reg);

#endif /* ESHMD_REGISTRY_H */
