/*
 * brg_proxy.h - declaring the remote process's state to the local eshmd
 * (control request PROXY, common/proto.h), over a connection of the
 * bridge's own beside the one libeshm-client holds: eshmd accepts the
 * declaration only from the process that holds the role, which the
 * bridge is.
 *
 * An eshmd without PROXY answers ESHM_ERROR_PROTOCOL: said once, and the
 * stand-in then shows as an ordinary endpoint (alive while the bridge
 * runs); the bridge asks again on each new connection, so an eshmd
 * restarted into a version with PROXY is used at once.
 */
#ifndef ESHM_BRIDGE_PROXY_H
#define ESHM_BRIDGE_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "brg_remote.h"
#include "eshm.h"
#include "proto.h"

/* How long one connection attempt or one answer may take. */
#define BRG_PROXY_TIMEOUT_MS 300
/* How long to wait before asking an eshmd again that refused or lacks PROXY. */
#define BRG_PROXY_RETRY_MS 10000u

enum brg_proxy_status {
	BRG_PROXY_UNKNOWN = 0,     /* nothing asked yet */
	BRG_PROXY_ACCEPTED,        /* eshmd took the last declaration */
	BRG_PROXY_UNSUPPORTED,     /* eshmd has no PROXY */
	BRG_PROXY_REFUSED,         /* eshmd answered an error (permission, ...) */
	BRG_PROXY_UNREACHABLE,     /* no connection */
};

struct brg_proxy {
	char socket[PROTO_TEXT_SIZE];
	char segment[PROTO_NAME_SIZE];
	ESHMRole role;
	int fd;                       /* -1: not connected */
	enum brg_proxy_status status;
	uint64_t retry_ns;            /* not before this (CLOCK_MONOTONIC) */
	int last_error;               /* the last ESHM_ERROR_* eshmd answered, for the log */
	char message[PROTO_TEXT_SIZE];/* eshmd's last error message */
};

/*
 * Prepare @p for segment @segment, role @role (the one the bridge holds),
 * eshmd at @socket (NULL or "": $ESHM_SOCKET or the default).  Connects
 * nothing yet.  Returns BRG_OK, BRG_ERR_INVALID or BRG_ERR_TOO_LONG.
 */
int brg_proxy_init(struct brg_proxy *p, const char *socket, const char *segment, ESHMRole role);

/*
 * Declare @r (state, pid, host) at @now_ns: connect if needed, ask.
 * Waits at most about 2 x BRG_PROXY_TIMEOUT_MS.  While an earlier refusal's
 * retry time has not come, returns at once without asking.
 * Returns BRG_OK (accepted), BRG_ERR_INVALID, BRG_ERR_UNSUPPORTED,
 * BRG_ERR_REFUSED (p->last_error, p->message say why) or BRG_ERR_IO
 * (eshmd unreachable; the next call connects again).
 * A brg_proxy is used by one thread.
 */
int brg_proxy_declare(struct brg_proxy *p, const struct brg_report *r, uint64_t now_ns);

/* Close the connection.  NULL is accepted. */
void brg_proxy_close(struct brg_proxy *p);

#endif /* ESHM_BRIDGE_PROXY_H */
