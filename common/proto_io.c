/*
 * proto_io.c - moving control-protocol datagrams over the SOCK_SEQPACKET
 * socket, descriptors included.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* Room for more descriptors than a datagram may carry, so a peer passing
 * too many cannot make the extra ones leak unseen (the kernel would close
 * what does not fit, and say so only with MSG_CTRUNC). */
#define PROTO_RECV_FDS (2 * PROTO_FDS_MAX)

void
proto_fds_init(struct proto_fds *f)
{
	unsigned i;

	for (i = 0; i < PROTO_FDS_MAX; i++)
		f->fd[i] = -1;
	f->n = 0;
}

void
proto_fds_close(struct proto_fds *f)
{
	unsigned i;

	for (i = 0; i < PROTO_FDS_MAX; i++)
		if (f->fd[i] >= 0)
			close(f->fd[i]);
	proto_fds_init(f);
}

int
proto_fds_take(struct proto_fds *f, unsigned i)
{
	int fd;

	if (i >= PROTO_FDS_MAX)
		return -1;
	fd = f->fd[i];
	f->fd[i] = -1;
	return fd;
}

int
proto_fds_get(const struct proto_fds *f, uint32_t mask, uint32_t bit)
{
	unsigned i = (unsigned)__builtin_popcount(mask & (bit - 1));

	if (!(mask & bit) || i >= f->n)
		return -1;
	return f->fd[i];
}

int
proto_send(int sock, uint16_t version, uint16_t type, uint32_t id, const void *body,
           const struct proto_fds *fds)
{
	struct proto_hdr hdr;
	struct iovec iov[2];
	struct msghdr msg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(PROTO_FDS_MAX * sizeof(int))];
	} ctl;
	ssize_t size = proto_body_size(type);

	if (size < 0 || (size > 0 && body == NULL) || (fds != NULL && fds->n > PROTO_FDS_MAX))
		return -EINVAL;
	hdr.magic = PROTO_MAGIC;
	hdr.version = version;
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
	if (fds != NULL && fds->n > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(fds->n * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(fds->n * sizeof(int));
		memcpy(CMSG_DATA(c), fds->fd, fds->n * sizeof(int));
	}
	for (;;) {
		if (sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Keep the descriptors passed with @msg in @fds (when there is room), close
 * the others. */
static void
proto_take_fds(struct msghdr *msg, struct proto_fds *fds)
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
			if (fds != NULL && fds->n < PROTO_FDS_MAX)
				fds->fd[fds->n++] = one;
			else
				close(one);
		}
	}
}

ssize_t
proto_recv(int sock, void *buf, struct proto_fds *fds, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : clock_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	struct iovec iov;
	struct msghdr msg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(PROTO_RECV_FDS * sizeof(int))];
	} ctl;
	ssize_t n;

	if (fds != NULL)
		proto_fds_init(fds);
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
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (timeout_ms == 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		proto_take_fds(&msg, fds);
		if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			if (fds != NULL)
				proto_fds_close(fds);
			return -EMSGSIZE;
		}
		return n;
	}
}

int
proto_call(int sock, uint16_t type, const void *body, const struct proto_fds *send,
           uint16_t expect_type, void *reply, struct proto_fds *recv, char *message,
           int timeout_ms)
{
	static _Atomic uint32_t next_id = 1;
	alignas(8) unsigned char buf[PROTO_MSG_MAX];
	uint32_t id;
	uint64_t deadline = clock_mono_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;
	ssize_t want = proto_body_size(expect_type);

	if (recv != NULL)
		proto_fds_init(recv);
	if (message != NULL)
		message[0] = '\0';
	if (want <= 0 || reply == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	/* Id 0 is eshmd's own refusal and its notifications: never ours. */
	do
		id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
	while (id == 0);
	if (proto_send(sock, PROTO_VERSION, type, id, body, send) < 0)
		return ESHM_ERROR_DAEMON_UNAVAILABLE;
	for (;;) {
		const struct proto_hdr *hdr = NULL;
		struct proto_fds got;
		const void *rbody;
		int left = -1, rc;
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
		/* eshmd answers a request of another version with a status in
		 * that request's framing: read its status all the same. */
		if (rc == ESHM_ERROR_VERSION_MISMATCH && hdr->type == PROTO_REP_STATUS &&
		    (size_t)n == sizeof(*hdr) + sizeof(struct proto_status)) {
			rbody = hdr + 1;
			rc = ESHM_SUCCESS;
		}
		if (rc == ESHM_SUCCESS && hdr->id != id &&
		    !(hdr->id == 0 && hdr->type == PROTO_REP_STATUS)) {
			/* A notification, or a late answer to an abandoned request. */
			proto_fds_close(&got);
			continue;
		}
		if (rc == ESHM_SUCCESS && hdr->type != expect_type && hdr->type != PROTO_REP_STATUS)
			rc = ESHM_ERROR_PROTOCOL;
		if (rc != ESHM_SUCCESS) {
			proto_fds_close(&got);
			return rc;
		}
		/* Every reply body starts with its int32 status. */
		memcpy(&status, rbody, sizeof(status));
		if (hdr->type != expect_type) {
			proto_fds_close(&got);
			if (message != NULL) {
				const struct proto_status *st = rbody;

				memcpy(message, st->message, PROTO_TEXT_SIZE);
				message[PROTO_TEXT_SIZE - 1] = '\0';
			}
			return status < 0 ? status : ESHM_ERROR_PROTOCOL;
		}
		memcpy(reply, rbody, (size_t)want);
		if (recv != NULL)
			*recv = got;
		else
			proto_fds_close(&got);
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

int
proto_connect_timeout(const char *path, int timeout_ms)
{
	uint64_t deadline = clock_mono_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;
	struct sockaddr_un sa;
	int sock, err = 0;

	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sock < 0)
		return -errno;
	/* A Unix connect() is queued at once while the listener's backlog has
	 * room; a full backlog (a listener that does not accept) says EAGAIN:
	 * try again every few milliseconds until the deadline. */
	while (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		uint64_t now = clock_mono_ns();

		err = errno;
		if (err == EINTR)
			continue;
		if (err != EAGAIN)
			break;
		if (now >= deadline) {
			err = ETIMEDOUT;
			break;
		}
		poll(NULL, 0, deadline - now < 5000000u ? 1 : 5);
		err = 0;
	}
	if (err == 0 && fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) & ~O_NONBLOCK) < 0)
		err = errno;
	if (err != 0) {
		close(sock);
		return -err;
	}
	return sock;
}
