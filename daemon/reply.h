/*
 * reply.h - the answer to one request.  The request handlers build it
 * (request.c); the server sends it, in one place, once the request was
 * acted on (server.c).
 */
#ifndef ESHMD_REPLY_H
#define ESHMD_REPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "proto.h"

/* The body of any datagram eshmd sends; each reply starts with its int32 status. */
union reply_body {
	struct proto_status status;        /* PROTO_REP_STATUS, PROTO_REP_DONE */
	struct proto_attach_reply attach;  /* PROTO_REP_ATTACH */
	struct proto_status_reply daemon;  /* PROTO_REP_DAEMON */
	struct proto_segment_info segment; /* PROTO_REP_SEGMENT */
	struct proto_hello_reply hello;    /* PROTO_REP_HELLO */
	struct proto_peek_reply peek;      /* PROTO_REP_PEEK */
	struct proto_peer peer;            /* PROTO_NTF_PEER */
	struct proto_event event;          /* PROTO_REP_EVENT */
	struct proto_counters counters;    /* PROTO_REP_COUNTERS */
	struct proto_observers_reply observers; /* PROTO_REP_OBSERVERS */
};

/* Where a stream is: LIST's cursor on the registry, EVENTS' next serial. */
struct reply_cursor {
	struct reg_cursor seg;
	uint64_t event;          /* the serial of the next event to look at */
	uint64_t lost;           /* events lost, not yet told */
};

/*
 * A long answer: items sent one datagram each before the final reply
 * (LIST: one PROTO_REP_SEGMENT per segment, then PROTO_REP_DONE; EVENTS:
 * one PROTO_REP_EVENT per event).  The server makes each item only when
 * the socket can take it, so a client that does not read costs one item,
 * whatever the number of segments or events.  A stream that follows never
 * ends: the server asks for more items whenever events are recorded.
 */
struct reply_stream {
	uint16_t type;       /* PROTO_REP_* of every item; 0: no stream */
	bool follow;         /* no final reply: new items as they come */
	bool privileged;     /* the peer is an operator (EVENTS) */
	struct proto_events filter; /* EVENTS: which */
	/*
	 * Fill @item with the next item at @cur for the peer of @c, moving
	 * @cur on, and return true; or return false once there is none (yet).
	 * Called by the server with registry.lock held.
	 */
	bool (*next)(const struct eshmd *d, const struct srv_conn *c,
	             const struct reply_stream *how, struct reply_cursor *cur,
	             union reply_body *item);
};

struct reply {
	uint32_t id;                /* the request's, echoed */
	uint16_t version;           /* PROTO_VERSION, or the sender's for a version mismatch */
	uint16_t type;              /* PROTO_REP_* of the final datagram */
	union reply_body body;
	struct proto_fds fds;       /* passed with it, in PROTO_FD_* order; closed once sent */
	struct reply_stream stream;
	bool close;                 /* close the connection once this is sent */
};

/* Make @r a successful PROTO_REP_STATUS to request @id, passing nothing. */
void reply_init(struct reply *r, uint32_t id);

/*
 * Make @r a PROTO_REP_STATUS with @status and a printf-style message,
 * dropping any descriptor it held.  Returns @status, for
 * "return reply_status(...)".
 */
int reply_status(struct reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Make @r a successful reply of @type with a zeroed body, and return the
 * body to fill.
 */
union reply_body *reply_body(struct reply *r, uint16_t type);

/*
 * Add @fd (now owned by @r) as the next descriptor.  Returns 0, or -1 if
 * @fd < 0 or there is no room (then @fd is closed).
 */
int reply_add_fd(struct reply *r, int fd);

/* Close the descriptors @r still holds. */
void reply_done(struct reply *r);

#endif /* ESHMD_REPLY_H */
