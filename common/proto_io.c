/*
 * proto_io.c - moving control-protocol datagrams over the SOCK_SEQPACKET
 * socket, descriptors included.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "eshm.h"
#include "proto.h"

/* Room for a few descriptors, so a peer passing too many cannot make the
 * extra ones leak unseen (the kernel would close what does not fit). */
#define PROTO_MAX_FDS 8

int
proto_send(int sock, uint16_t type, uint32_t id, const void *body, int fd)
{
	struct proto_hdr hdr;
	struct iovec iov[2];
	struct msghdr msg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	ssize_t size = proto_body_size(type);

	if (size < 0 || (size > 0 && body == NULL))
		return -EINVAL;
	hdr.magic = PROTO_MAGIC;
	hdr.version = PROTO_VERSION;
	hdr.type = type;
	hdr.length = (uint32_t)size;
	hdr.id = id;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)body;
	iov[1].iov_len = (size_t)size;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = size > 0 ? 2 : 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		if (sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Keep the first descriptor passed with @msg in *@fd, close the others. */
static void
proto_take_fds(struct msghdr *msg, int *fd)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int one;

			memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd != NULL && *fd < 0)
				*fd = one;
			else
				close(one);
		}
	}
}

ssize_t
proto_recv(int sock, void *buf, int *fd, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : clock_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	struct iovec iov;
	struct msghdr msg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(PROTO_MAX_FDS * sizeof(int))];
	} ctl;
	ssize_t n;

	if (fd != NULL)
		*fd = -1;
	for (;;) {
		struct pollfd pfd = {.fd = sock, .events = POLLIN};
		int wait = -1;

		if (timeout_ms >= 0) {
			uint64_t now = clock_mono_ns();

			wait = now >= deadline ? 0 : (int)((deadline - now + 999999u) / 1000000u);
		}
		n = poll(&pfd, 1, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		iov.iov_base = buf;
		iov.iov_len = PROTO_MSG_MAX;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		proto_take_fds(&msg, fd);
		if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			if (fd != NULL && *fd >= 0) {
				close(*fd);
				*fd = -1;
			}
			return -EMSGSIZE;
		}
		return n;
	}
}

int
proto_call(int sock, uint16_t type, const void *body, uint16_t expect_type, void *reply,
           int *fd, int timeout_ms)
{
	static _Atomic uint32_t next_id = 1;
	alignas(8) unsigned char buf[PROTO_MSG_MAX];
	uint32_t id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
	uint64_t deadline = clock_mono_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;
	ssize_t want = proto_body_size(expect_type);

	if (fd != NULL)
		*fd = -1;
	if (want <= 0 || reply == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	if (proto_send(sock, type, id, body, -1) < 0)
		return ESHM_ERROR_DAEMON_UNAVAILABLE;
	for (;;) {
		const struct proto_hdr *hdr;
		const void *rbody;
		int left = -1, got = -1, rc;
		int32_t status;
		ssize_t n;

		if (timeout_ms >= 0) {
			uint64_t now = clock_mono_ns();

			left = now >= deadline ? 0 : (int)((deadline - now) / 1000000u);
		}
		n = proto_recv(sock, buf, &got, left);
		if (n <= 0)
			return ESHM_ERROR_DAEMON_UNAVAILABLE;
		rc = proto_parse(buf, (size_t)n, &hdr, &rbody);
		if (rc == ESHM_SUCCESS && hdr->id != id) {
			/* A late answer to an earlier, abandoned request. */
			if (got >= 0)
				close(got);
			continue;
		}
		if (rc == ESHM_SUCCESS && hdr->type != expect_type && hdr->type != PROTO_REP_STATUS)
			rc = ESHM_ERROR_PROTOCOL;
		if (rc != ESHM_SUCCESS) {
			if (got >= 0)
				close(got);
			return rc;
		}
		/* Every reply body starts with its int32 status. */
		memcpy(&status, rbody, sizeof(status));
		if (hdr->type != expect_type) {
			if (got >= 0)
				close(got);
			return status < 0 ? status : ESHM_ERROR_PROTOCOL;
		}
		memcpy(reply, rbody, (size_t)want);
		if (fd != NULL)
			*fd = got;
		else if (got >= 0)
			close(got);
		return status;
	}
}

const char *
proto_socket_path(bool *from_env)
{
	const char *env = getenv("ESHM_SOCKET");
	bool set = env != NULL && env[0] != '\0';

	if (from_env != NULL)
		*from_env = set;
	return set ? env : ESHM_DEFAULT_SOCKET;
}

int
proto_connect(const char *path)
{
	struct sockaddr_un sa;
	int sock;

	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(sock);
		return -err;
	}
	return sock;
}
