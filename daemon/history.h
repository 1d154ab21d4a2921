/*
 * history.h - what happened to eshmd's segments and endpoints: each event
 * is logged once (with journal fields under systemd, see log.h) and kept
 * in a ring of the last event_history events in eshmd's memory, which
 * EVENTS requests read and follow (eshmctl events).  A restart keeps
 * none of it: the journal holds what came before.
 *
 * Everything here is called with registry.lock held (the event loop and
 * the monitor thread both record events).
 */
#ifndef ESHMD_HISTORY_H
#define ESHMD_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

struct eshmd;
struct reg_segment;

enum hist_type {
	HIST_STARTED,           /* eshmd started */
	HIST_STOPPED,           /* eshmd stops */
	HIST_CREATED,           /* a segment was created */
	HIST_ATTACHED,          /* an endpoint attached */
	HIST_DETACHED,          /* an endpoint detached */
	HIST_TAKEN_OVER,        /* a stale endpoint lost its role to a takeover */
	HIST_HUNG_UP,           /* an endpoint's connection closed; the role stays held */
	HIST_RELEASED,          /* a role held without a connection for too long was freed */
	HIST_STALE,             /* a heartbeat stopped for its threshold */
	HIST_ALIVE,             /* a stale heartbeat moves again */
	HIST_DEAD,              /* an endpoint's process ended without detaching */
	HIST_REPAIRED,          /* a dead writer's half-written message was voided */
	HIST_REMOVED,           /* a segment was removed (by whom, or why) */
	HIST_REATTACHED,        /* an endpoint came back to eshmd after its restart */
	HIST_RESTORED,          /* a segment was re-adopted after a restart */
	HIST_REFUSED,           /* a request was refused (the reason is the error) */
	HIST_LIMIT,             /* a connection was refused at a limit */
	HIST_OBSERVER_ATTACHED, /* an observer attached */
	HIST_OBSERVER_LEFT,     /* an observer left */
	HIST_BRIDGED,           /* a bridge declared the state of the remote process it stands in for */
	HIST_TYPES
};

/* Who an event is about; a field not known is left at its zero value. */
struct hist_subject {
	const char *segment;    /* NULL: eshmd itself, or a connection */
	int role;               /* ESHMRole, or -1 */
	pid_t pid;              /* the process concerned, 0: none */
	uid_t uid;              /* its user */
	uid_t owner;            /* the segment's owner, for who may see the event */
	int status;             /* an ESHM_ERROR_* for refusals, else 0 */
};

/* One event as kept. */
struct hist_event {
	uint64_t serial;        /* 1 for eshmd's first event, one more for each */
	uint64_t realtime_ns;
	uint16_t type;          /* enum hist_type */
	int16_t role;
	int32_t pid;
	uint32_t uid;
	uint32_t owner;
	int32_t status;
	char segment[PROTO_NAME_SIZE];
	char message[PROTO_TEXT_SIZE];
};

/* Refusals counted by reason: index -status of an ESHM_ERROR_* code. */
#define HIST_REASONS 32

/* Refusals recorded per second at most: more are counted, not kept. */
#define HIST_REFUSALS_PER_S 20

/* The ring.  serial - 1 modulo size is an event's slot. */
struct history {
	struct hist_event *ring;
	uint32_t size;          /* events kept; 0: none */
	uint64_t next;          /* the serial of the next event */
	uint32_t followers;     /* streams waiting for new events */
	int wake_fd;            /* eventfd the event loop watches while some follow */
	uint64_t refusals[HIST_REASONS]; /* refusals so far, by reason */
	uint64_t refusal_second_ns;      /* CLOCK_MONOTONIC start of the refusals' second */
	uint32_t refusals_recorded;      /* in that second */
	uint64_t refusals_unrecorded;    /* past the cap since the last one recorded */
};

/* Events kept by default, and at most (event_history in eshmd.conf). */
#define HIST_DEFAULT 4096
#define HIST_MAX 65536

/*
 * Make @h keep @size events and signal new ones on an eventfd.  Returns
 * 0, or -1 (logged) if out of memory or descriptors.
 */
int hist_init(struct history *h, uint32_t size);

/* Free what @h holds. */
void hist_free(struct history *h);

/* The subject of an event about role @index (SEG_MASTER, SEG_SLAVE) of @seg. */
struct hist_subject hist_endpoint(const struct reg_segment *seg, int index);

/* The subject of an event about @seg itself, caused by @pid of @uid. */
struct hist_subject hist_segment(const struct reg_segment *seg, pid_t pid, uid_t uid);

/*
 * Record an event of @type about @s: log it (with its journal fields) and
 * keep it.  The message is printf-style.  registry.lock held.
 */
void hist_record(struct eshmd *d, enum hist_type type, const struct hist_subject *s,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Count a refusal of @s with @s->status (a request refused: @type
 * HIST_REFUSED; a connection refused at a limit: HIST_LIMIT) and record
 * it, at most HIST_REFUSALS_PER_S a second, so a client that keeps
 * asking cannot push the other events out of the history or flood the
 * journal.  registry.lock held.
 */
void hist_refusal(struct eshmd *d, enum hist_type type, const struct hist_subject *s,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The oldest event kept with a serial of at least @serial (0: the oldest
 * kept), or NULL if there is none yet.  *@lost gets how many events from
 * @serial on the ring no longer holds.  registry.lock held.
 */
const struct hist_event *hist_at(const struct history *h, uint64_t serial, uint64_t *lost);

/* The event of an endpoint's move to @state (enum seg_endpoint_state). */
enum hist_type hist_of_state(uint32_t state);

/* The name ("stale") and the journal's MESSAGE_ID of @type. */
const char *hist_type_name(unsigned type);
const char *hist_message_id(unsigned type);

#endif /* ESHMD_HISTORY_H */
