/*
 * reply.c - building the answer to a request (see reply.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reply.h"

void
reply_init(struct reply *r, uint32_t id)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->version = PROTO_VERSION;
	r->type = PROTO_REP_STATUS;
	proto_fds_init(&r->fds);
}

int
reply_status(struct reply *r, int status, const char *fmt, ...)
{
	va_list ap;

	proto_fds_close(&r->fds);
	reply_body(r, PROTO_REP_STATUS)->status.status = status;
	va_start(ap, fmt);
	vsnprintf(r->body.status.message, sizeof(r->body.status.message), fmt, ap);
	va_end(ap);
	return status;
}

union reply_body *
reply_body(struct reply *r, uint16_t type)
{
	r->type = type;
	/* A zero status is ESHM_SUCCESS. */
	memset(&r->body, 0, sizeof(r->body));
	return &r->body;
}

int
reply_add_fd(struct reply *r, int fd)
{
	if (fd < 0)
		return -1;
	if (r->fds.n >= PROTO_FDS_MAX) {
		close(fd);
		return -1;
	}
	r->fds.fd[r->fds.n++] = fd;
	return 0;
}

void
reply_done(struct reply *r)
{
	proto_fds_close(&r->fds);
}
