/*
 * brg_proxy.c - PROXY declarations to the local eshmd (brg_proxy.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brg_err.h"
#include "brg_proxy.h"

#define BRG_PROXY_MS 1000000u

int
brg_proxy_init(struct brg_proxy *p, const char *socket, const char *segment, ESHMRole role)
{
	if (p == NULL || segment == NULL || proto_name_valid(segment) != 0 ||
	    (role != ESHM_ROLE_MASTER && role != ESHM_ROLE_SLAVE))
		return BRG_ERR_INVALID;
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (socket == NULL || socket[0] == '\0')
		socket = proto_socket_path(NULL);
	if (strlen(socket) >= sizeof(p->socket))
		return BRG_ERR_TOO_LONG;
	snprintf(p->socket, sizeof(p->socket), "%s", socket);
	snprintf(p->segment, sizeof(p->segment), "%s", segment);
	p->role = role;
	return BRG_OK;
}

void
brg_proxy_close(struct brg_proxy *p)
{
	if (p == NULL || p->fd < 0)
		return;
	close(p->fd);
	p->fd = -1;
}

/* Connect and say hello; eshmd's capabilities are only logged by the caller. */
static int
brg_proxy_connect(struct brg_proxy *p)
{
	struct proto_hello hello;
	struct proto_hello_reply reply;
	int fd, rc;

	fd = proto_connect_timeout(p->socket, BRG_PROXY_TIMEOUT_MS);
	if (fd < 0)
		return BRG_ERR_IO;
	memset(&hello, 0, sizeof(hello));
	hello.caps = PROTO_CAP_PROXY;
	snprintf(hello.software, sizeof(hello.software), "eshm-bridge %s", PACKAGE_VERSION);
	rc = proto_call(fd, PROTO_REQ_HELLO, &hello, NULL, PROTO_REP_HELLO, &reply, NULL,
	                p->message, BRG_PROXY_TIMEOUT_MS);
	if (rc != ESHM_SUCCESS) {
		close(fd);
		return BRG_ERR_IO;
	}
	p->fd = fd;
	return BRG_OK;
}

/*
 * Remember a refusal, and ask again on a fresh connection: after
 * BRG_PROXY_RETRY_MS when it will not change by itself (no PROXY, no
 * permission), after a second otherwise (a segment being restored).
 */
static int
brg_proxy_refused(struct brg_proxy *p, enum brg_proxy_status status, int error,
                  uint64_t now_ns)
{
	bool lasting = status == BRG_PROXY_UNSUPPORTED || error == ESHM_ERROR_PERMISSION;

	p->status = status;
	p->last_error = error;
	p->retry_ns = now_ns + (uint64_t)(lasting ? BRG_PROXY_RETRY_MS : 1000u) * BRG_PROXY_MS;
	brg_proxy_close(p);
	return status == BRG_PROXY_UNSUPPORTED ? BRG_ERR_UNSUPPORTED : BRG_ERR_REFUSED;
}

int
brg_proxy_declare(struct brg_proxy *p, const struct brg_report *r, uint64_t now_ns)
{
	struct proto_proxy req;
	struct proto_status reply;
	int rc;

	memset(&reply, 0, sizeof(reply));
	if (p == NULL || r == NULL)
		return BRG_ERR_INVALID;
	if (now_ns < p->retry_ns)
		return p->status == BRG_PROXY_UNSUPPORTED ? BRG_ERR_UNSUPPORTED : BRG_ERR_REFUSED;
	if (p->fd < 0 && brg_proxy_connect(p) != BRG_OK) {
		p->status = BRG_PROXY_UNREACHABLE;
		return BRG_ERR_IO;
	}
	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", p->segment);
	req.role = (uint32_t)p->role;
	req.state = r->state;
	req.remote_pid = r->pid;
	snprintf(req.remote_host, sizeof(req.remote_host), "%s", r->host);
	rc = proto_call(p->fd, PROTO_REQ_PROXY, &req, NULL, PROTO_REP_STATUS, &reply, NULL,
	                p->message, BRG_PROXY_TIMEOUT_MS);
	if (rc == ESHM_SUCCESS) {
		p->status = BRG_PROXY_ACCEPTED;
		p->last_error = 0;
		p->message[0] = '\0';
		return BRG_OK;
	}
	/* The expected reply is itself a status: its message is in its body. */
	if (p->message[0] == '\0')
		snprintf(p->message, sizeof(p->message), "%s", reply.message);
	if (rc == ESHM_ERROR_DAEMON_UNAVAILABLE) {
		/* Hung up or too slow: a late answer must not pass for the next one. */
		brg_proxy_close(p);
		p->status = BRG_PROXY_UNREACHABLE;
		return BRG_ERR_IO;
	}
	return brg_proxy_refused(p, rc == ESHM_ERROR_PROTOCOL ? BRG_PROXY_UNSUPPORTED
	                                                      : BRG_PROXY_REFUSED,
	                         rc, now_ns);
}
