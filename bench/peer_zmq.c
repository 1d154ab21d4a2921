/*
 * peer_zmq.c - ZeroMQ: a PAIR socket each side over ipc:// (a Unix socket
 * in a private directory), the way a ZeroMQ user connects two processes
 * on one host.  zmq_send() copies the message in and zmq_recv() copies it
 * out, as eshm_write() and eshm_read() do.  Each side makes its context
 * after the fork: a ZeroMQ context does not survive one.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

struct zmq_state {
	char dir[64];
	char endpoint[96];
	void *ctx;              /* this process's side */
	void *sock;
};

static void *
zmq_bench_setup(size_t size)
{
	struct zmq_state *s = calloc(1, sizeof(*s));

	(void)size;
	if (s == NULL)
		return NULL;
	snprintf(s->dir, sizeof(s->dir), "/tmp/eshm-bench-zmq.XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		free(s);
		return NULL;
	}
	snprintf(s->endpoint, sizeof(s->endpoint), "ipc://%s/pair", s->dir);
	return s;
}

static int
zmq_bench_attach(void *st, int side)
{
	struct zmq_state *s = st;

	s->ctx = zmq_ctx_new();
	if (s->ctx == NULL)
		return -1;
	s->sock = zmq_socket(s->ctx, ZMQ_PAIR);
	if (s->sock == NULL)
		return -1;
	return (side == 0 ? zmq_bind(s->sock, s->endpoint) : zmq_connect(s->sock, s->endpoint)) == 0
	               ? 0
	               : -1;
}

static int
zmq_bench_send(void *st, int side, const void *buf, size_t size)
{
	struct zmq_state *s = st;

	(void)side;
	return zmq_send(s->sock, buf, size, 0) == (int)size ? 0 : -1;
}

static int
zmq_bench_recv(void *st, int side, void *buf, size_t size)
{
	struct zmq_state *s = st;

	(void)side;
	return zmq_recv(s->sock, buf, size, 0) == (int)size ? 0 : -1;
}

static void
zmq_bench_detach(void *st, int side)
{
	struct zmq_state *s = st;

	(void)side;
	if (s->sock != NULL) {
		int linger = 0;

		zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_close(s->sock);
	}
	if (s->ctx != NULL)
		zmq_ctx_term(s->ctx);
	s->sock = s->ctx = NULL;
}

static void
zmq_bench_teardown(void *st)
{
	struct zmq_state *s = st;
	char path[128];

	snprintf(path, sizeof(path), "%s/pair", s->dir);
	unlink(path);
	rmdir(s->dir);
	free(s);
}

const struct rt_ops peer_zmq_ops = {
	.name = "zeromq ipc",
	.setup = zmq_bench_setup,
	.attach = zmq_bench_attach,
	.send = zmq_bench_send,
	.recv = zmq_bench_recv,
	.detach = zmq_bench_detach,
	.teardown = zmq_bench_teardown,
};
