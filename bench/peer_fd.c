/*
 * peer_fd.c - byte-stream peers: a Unix stream socket pair and a pair of
 * pipes.  Each side blocks in read() until the other's write() wakes it.
 */
#include "bench.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* fd[side][0]: where side reads, fd[side][1]: where side writes. */
struct fd_state {
	int fd[2][2];
};

static void *
fd_unix_setup(size_t size)
{
	struct fd_state *s = malloc(sizeof(*s));
	int sv[2];

	if (s == NULL)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		free(s);
		return NULL;
	}
	s->fd[0][0] = s->fd[0][1] = sv[0];
	s->fd[1][0] = s->fd[1][1] = sv[1];
	return s;
}

static void *
fd_pipe_setup(size_t size)
{
	struct fd_state *s = malloc(sizeof(*s));
	int m2s[2], s2m[2];

	if (s == NULL)
		return NULL;
	if (pipe(m2s) != 0) {
		free(s);
		return NULL;
	}
	if (pipe(s2m) != 0) {
		close(m2s[0]);
		close(m2s[1]);
		free(s);
		return NULL;
	}
	s->fd[0][0] = s2m[0];
	s->fd[0][1] = m2s[1];
	s->fd[1][0] = m2s[0];
	s->fd[1][1] = s2m[1];
	return s;
}

static void
fd_teardown(void *st)
{
	struct fd_state *s = st;

	for (int i = 0; i < 2; i++) {
		close(s->fd[i][0]);
		if (s->fd[i][1] != s->fd[i][0])
			close(s->fd[i][1]);
	}
	free(s);
}

static int
fd_send(void *st, int side, const void *buf, size_t size)
{
	return bench_write_full(((struct fd_state *)st)->fd[side][1], buf, size);
}

static int
fd_recv(void *st, int side, void *buf, size_t size)
{
	return bench_read_full(((struct fd_state *)st)->fd[side][0], buf, size);
}

const struct rt_ops peer_unix_ops = {
	.name = "unix socket",
	.setup = fd_unix_setup,
	.send = fd_send,
	.recv = fd_recv,
	.teardown = fd_teardown,
};

const struct rt_ops peer_pipe_ops = {
	.name = "pipe pair",
	.setup = fd_pipe_setup,
	.send = fd_send,
	.recv = fd_recv,
	.teardown = fd_teardown,
};
