/*
 * request.h - what eshmd does for each request.  Event-loop thread,
 * registry.lock held.
 */
#ifndef ESHMD_REQUEST_H
#define ESHMD_REQUEST_H

#include <stddef.h>

#include "daemon.h"
#include "reply.h"

/*
 * Parse the datagram of @len bytes from @c, which came with the
 * descriptors @in (a REATTACH's blocks handed back; the caller closes
 * them after), validate it, act on it, and leave the answer in @r for the
 * caller to send.  Returns 0, or -1 when the datagram was malformed or of
 * another protocol version (@r then holds the ESHM_ERROR_PROTOCOL or
 * ESHM_ERROR_VERSION_MISMATCH answer, in the sender's framing, and
 * r->close is set: the caller sends it and closes @c).
 */
int req_handle(struct eshmd *d, struct srv_conn *c, const void *buf, size_t len,
               struct proto_fds *in, struct reply *r);

#endif /* ESHMD_REQUEST_H */
