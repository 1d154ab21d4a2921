/*
 * ctl_conn.c - connecting to eshmd, receiving a LIST, and explaining failures
 * to the operator.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_conn.h"
#include "eshm.h"

void
ctl_explain_connect(const struct ctl_ctx *ctx, int err, char *buf, size_t len)
{
	const char *path = ctx->socket_path;
	char why[128];

	/* Say where a non-default path came from: a stale $ESHM_SOCKET is a
	 * common reason for "not running". */
	if (ctx->socket_origin != NULL)
		snprintf(why, sizeof(why), "%s; path from %s", strerror(err), ctx->socket_origin);
	else
		snprintf(why, sizeof(why), "%s", strerror(err));
	switch (err) {
	case ENOENT:
	case ECONNREFUSED:
		if (ctx->socket_origin != NULL)
			snprintf(why, sizeof(why), "%s; path from %s",
			         err == ENOENT ? "no such socket" : "connection refused",
			         ctx->socket_origin);
		else
			snprintf(why, sizeof(why), "%s",
			         err == ENOENT ? "no such socket" : "connection refused");
		/* systemctl starts the eshmd of the system socket only */
		snprintf(buf, len, "eshmd is not running at %s (%s)%s", path, why,
		         strcmp(path, ESHM_DEFAULT_SOCKET) == 0
		                 ? "; start it with systemctl start eshmd"
		                 : "");
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, len,
		         "permission denied on eshmd's socket %s (%s); run eshmctl as root or as a "
		         "member of the socket's group",
		         path, why);
		break;
	case ENOTSOCK:
	case EPROTOTYPE:
		snprintf(buf, len, "%s is not eshmd's socket (%s); give the right one with --socket",
		         path, why);
		break;
	case ENAMETOOLONG:
	case EINVAL:
		snprintf(buf, len, "socket path %s is too long for a Unix socket (%s)", path, why);
		break;
	default:
		snprintf(buf, len, "cannot connect to eshmd at %s (%s)", path, why);
		break;
	}
}

int
ctl_connect(const struct ctl_ctx *ctx)
{
	char why[512];
	int fd;

	fd = proto_connect(ctx->socket_path);
	if (fd >= 0)
		return fd;
	ctl_explain_connect(ctx, -fd, why, sizeof(why));
	ctl_error("%s", why);
	return -1;
}

int
ctl_request(const struct ctl_ctx *ctx, const char *name, uint16_t type, const void *body,
            uint16_t expect_type, void *reply, struct proto_fds *fds)
{
	char message[PROTO_TEXT_SIZE];
	struct proto_fds passed;
	int sock, rc;

	/* A failed call leaves no stale message to report. */
	memset(reply, 0, (size_t)proto_body_size(expect_type));
	if (fds != NULL)
		proto_fds_init(fds);
	sock = ctl_connect(ctx);
	if (sock < 0)
		return ESHM_ERROR_DAEMON_UNAVAILABLE;
	rc = proto_call(sock, type, body, NULL, expect_type, reply, &passed, message,
	                CTL_REPLY_TIMEOUT_MS);
	close(sock);
	if (rc != 0 || fds == NULL)
		proto_fds_close(&passed);
	else
		*fds = passed;
	if (rc != 0)
		ctl_report(ctx, rc, name, message);
	return rc;
}

int
ctl_segment_request(struct ctl_ctx *ctx, int argc, char **argv, char *name, uint16_t type,
                    const void *body, uint16_t expect_type, void *reply, struct proto_fds *fds)
{
	const char *operand;
	int rc;

	if (fds != NULL)
		proto_fds_init(fds);
	rc = ctl_segment_operand(ctx, argc, argv, &operand);
	if (rc != 0)
		return rc;
	snprintf(name, PROTO_NAME_SIZE, "%s", operand);
	if (ctl_request(ctx, name, type, body, expect_type, reply, fds) != 0)
		return CTL_EXIT_FAIL;
	return CTL_EXIT_OK;
}

static int
ctl_list_cmp(const void *a, const void *b)
{
	const struct proto_segment_info *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Receive the replies to LIST request @id into the growing array at *@segs. */
static int
ctl_list_recv(int sock, uint32_t id, struct proto_segment_info **segs, size_t *n)
{
	/* Aligned so the bodies can be read in place after proto_parse. */
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	const struct proto_hdr *hdr;
	const void *body;
	struct proto_status st;
	size_t cap = 0;
	ssize_t len;
	int rc;

	for (;;) {
		len = proto_recv(sock, buf, NULL, CTL_REPLY_TIMEOUT_MS);
		if (len <= 0)
			return ESHM_ERROR_DAEMON_UNAVAILABLE;
		rc = proto_parse(buf, (size_t)len, &hdr, &body);
		if (rc != 0)
			return rc;
		if (hdr->id != id)
			return ESHM_ERROR_PROTOCOL;
		if (hdr->type == PROTO_REP_SEGMENT) {
			if (*n == cap) {
				struct proto_segment_info *grown;

				cap = cap != 0 ? cap * 2 : 16;
				grown = realloc(*segs, cap * sizeof(*grown));
				if (grown == NULL)
					return ESHM_ERROR_NO_MEMORY;
				*segs = grown;
			}
			memcpy(&(*segs)[(*n)++], body, sizeof(**segs));
			continue;
		}
		if (hdr->type != PROTO_REP_DONE && hdr->type != PROTO_REP_STATUS)
			return ESHM_ERROR_PROTOCOL;
		memcpy(&st, body, sizeof(st));
		if (hdr->type == PROTO_REP_STATUS && st.status == 0)
			return ESHM_ERROR_PROTOCOL;
		return st.status;
	}
}

int
ctl_list(int sock, struct proto_segment_info **segs, size_t *n)
{
	/* Apart from proto_call()'s ids, which count up from 1. */
	static uint32_t next_id = UINT32_C(0x80000000);
	const uint32_t id = next_id++;
	int rc;

	*segs = NULL;
	*n = 0;
	if (proto_send(sock, PROTO_VERSION, PROTO_REQ_LIST, id, NULL, NULL) < 0)
		return ESHM_ERROR_DAEMON_UNAVAILABLE;
	rc = ctl_list_recv(sock, id, segs, n);
	if (rc != 0) {
		free(*segs);
		*segs = NULL;
		*n = 0;
		return rc;
	}
	if (*n > 1)
		qsort(*segs, *n, sizeof(**segs), ctl_list_cmp);
	return 0;
}

int
ctl_no_operands(struct ctl_ctx *ctx, int argc, char **argv, const struct option *longopts)
{
	int rc;

	/* No option of its own: anything but the end is --help or an error. */
	if (ctl_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit_code;
	rc = ctl_operands(ctx, argc, argv, 0, 0);
	return rc != 0 ? rc : -1;
}

int
ctl_fetch_list(struct ctl_ctx *ctx, struct proto_segment_info **segs, size_t *n)
{
	int sock = ctl_connect(ctx), rc;

	if (sock < 0)
		return CTL_EXIT_FAIL;
	rc = ctl_list(sock, segs, n);
	close(sock);
	return rc != 0 ? ctl_report(ctx, rc, NULL, NULL) : CTL_EXIT_OK;
}

void
ctl_explain(const struct ctl_ctx *ctx, int status, const char *name, const char *detail,
            char *buf, size_t len)
{
	const char *path = ctx->socket_path;
	char what[400];
	const char *seg = name != NULL ? name : "";

	switch (status) {
	case ESHM_ERROR_NOT_FOUND:
		snprintf(what, sizeof(what),
		         "no segment named '%s' in eshmd at %s; 'eshmctl list' shows the segments",
		         seg, path);
		break;
	case ESHM_ERROR_PERMISSION:
		if (name != NULL)
			snprintf(what, sizeof(what),
			         "permission denied: eshmd's access policy keeps uid %u away from "
			         "segment '%s'; run as its owner or as root, or change [access] in "
			         "eshmd.conf",
			         (unsigned)getuid(), seg);
		else
			snprintf(what, sizeof(what),
			         "permission denied: eshmd's access policy refuses uid %u; run as "
			         "root, or change [access] in eshmd.conf",
			         (unsigned)getuid());
		break;
	case ESHM_ERROR_BUSY:
		snprintf(what, sizeof(what),
		         "segment '%s' has attached endpoints; stop them first, or add --force to "
		         "detach them",
		         seg);
		break;
	case ESHM_ERROR_EXISTS:
		snprintf(what, sizeof(what),
		         "segment '%s' already exists; 'eshmctl show %s' describes it", seg, seg);
		break;
	case ESHM_ERROR_LIMIT:
		snprintf(what, sizeof(what),
		         "eshmd refused: one of its [limits] (segments, bytes or connections, "
		         "in all or for this user; capacity) is reached; 'eshmctl status' shows "
		         "the usage; raise the limit in eshmd.conf or remove unused segments");
		break;
	case ESHM_ERROR_NO_SPACE:
	case ESHM_ERROR_NO_MEMORY:
		snprintf(what, sizeof(what),
		         "not enough memory for the segment; free memory or ask for a smaller "
		         "--capacity");
		break;
	case ESHM_ERROR_NAME_INVALID:
		snprintf(what, sizeof(what), "eshmd refused the segment name '%s' as invalid", seg);
		break;
	case ESHM_ERROR_SEGMENT_CORRUPT:
		snprintf(what, sizeof(what),
		         "segment '%s' is corrupt (its header does not validate); remove it with "
		         "eshmctl remove --force",
		         seg);
		break;
	case ESHM_ERROR_VERSION_MISMATCH:
		snprintf(what, sizeof(what),
		         "eshmd at %s uses another protocol or layout version; use the eshmctl of "
		         "the same eshm release",
		         path);
		break;
	case ESHM_ERROR_DAEMON_UNAVAILABLE:
		snprintf(what, sizeof(what),
		         "eshmd at %s stopped answering (hung up or timed out after %d ms); check "
		         "systemctl status eshmd",
		         path, CTL_REPLY_TIMEOUT_MS);
		break;
	case ESHM_ERROR_PROTOCOL:
		snprintf(what, sizeof(what),
		         "eshmd at %s and eshmctl do not understand each other (malformed "
		         "message); use matching versions",
		         path);
		break;
	default:
		snprintf(what, sizeof(what), "eshmd failed%s%s%s: %s", name != NULL ? " on '" : "",
		         seg, name != NULL ? "'" : "", eshm_error_string(status));
		break;
	}
	if (detail != NULL && detail[0] != '\0')
		snprintf(buf, len, "%s (eshmd says: %s)", what, detail);
	else
		snprintf(buf, len, "%s", what);
}

int
ctl_report(const struct ctl_ctx *ctx, int status, const char *name, const char *detail)
{
	char why[700];

	ctl_explain(ctx, status, name, detail, why, sizeof(why));
	return ctl_error("%s", why);
}
