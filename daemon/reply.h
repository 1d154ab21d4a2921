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

/* The body of any reply eshmd sends; each starts with its int32 status. */
union reply_body {
	struct proto_status status;        /* PROTO_REP_STATUS, PROTO_REP_DONE */
	struct proto_attach_reply attach;  /* PROTO_REP_ATTACH */
	struct proto_status_reply daemon;  /* PROTO_REP_DAEMON */
	struct proto_segment_info segment; /* PROTO_REP_SEGMENT */
};

/*
 * A long answer: items sent one datagram each before the final reply
 * (LIST: one PROTO_REP_SEGMENT per segment, then PROTO_REP_DONE), produced
 * while they are sent rather than gathered first.
 */
struct reply_stream {
	uint16_t type;       /* PROTO_REP_* of every item */
	/*
	 * Fill @item with the next item for the peer of @c and return true,
	 * or return false once there is none.  Called by the server with
	 * registry.lock held.
	 */
	bool (*next)(const struct eshmd *d, const struct srv_conn *c, struct reply_stream *s,
	             union reply_body *item);
	const void *cursor;  /* where next() is */
};

struct reply {
	uint32_t id;                /* the request's, echoed */
	uint16_t type;              /* PROTO_REP_* of the final datagram */
	union reply_body body;
	int fd;                     /* passed with it and closed once sent, or -1 */
	struct reply_stream stream; /* stream.next == NULL: none */
};

/* Make @r a successful PROTO_REP_STATUS to request @id, passing nothing. */
void reply_init(struct reply *r, uint32_t id);

/*
 * Make @r a PROTO_REP_STATUS with @status and a printf-style message.
 * Returns @status, for "return reply_status(...)".
 */
int reply_status(struct reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Make @r a successful reply of @type with a zeroed body, and return the
 * body to fill.
 */
union reply_body *reply_body(struct reply *r, uint16_t type);

#endif /* ESHMD_REPLY_H */
