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

/* ---------------------------------------------------------------- a peer killed */

/* The survivor's side: its PAIR socket and a monitor of it. */
struct zmq_kill_side {
	void *ctx, *sock, *monitor;
	bool connected;
};

static void *
zmq_kill_setup(void)
{
	return zmq_bench_setup(0);
}

static void
zmq_kill_close(void *side)
{
	struct zmq_kill_side *x = side;
	int linger = 0;

	if (x->monitor != NULL) {
		zmq_setsockopt(x->monitor, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_close(x->monitor);
	}
	if (x->sock != NULL) {
		zmq_socket_monitor(x->sock, NULL, 0);
		zmq_setsockopt(x->sock, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_close(x->sock);
	}
	if (x->ctx != NULL)
		zmq_ctx_term(x->ctx);
	free(x);
}

/* The survivor binds, as the round trips' master does, and watches its
 * socket's connections through ZeroMQ's monitor. */
static void *
zmq_kill_open(void *st)
{
	struct zmq_state *s = st;
	struct zmq_kill_side *x = calloc(1, sizeof(*x));
	static const char monitor[] = "inproc://eshm-bench-kill-monitor";

	if (x == NULL)
		return NULL;
	if ((x->ctx = zmq_ctx_new()) == NULL || (x->sock = zmq_socket(x->ctx, ZMQ_PAIR)) == NULL ||
	    zmq_socket_monitor(x->sock, monitor, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0 ||
	    (x->monitor = zmq_socket(x->ctx, ZMQ_PAIR)) == NULL ||
	    zmq_connect(x->monitor, monitor) != 0 || zmq_bind(x->sock, s->endpoint) != 0) {
		zmq_kill_close(x);
		return NULL;
	}
	return x;
}

/* The next monitor event within @wait_ns, or 0. */
static uint16_t
zmq_kill_event(struct zmq_kill_side *x, uint64_t wait_ns)
{
	zmq_pollitem_t item = { .socket = x->monitor, .events = ZMQ_POLLIN };
	unsigned char head[6];
	char addr[256];
	uint16_t event;

	if (zmq_poll(&item, 1, (long)((wait_ns + 999999) / 1000000)) != 1)
		return 0;
	/* two frames: the event and its value, then the endpoint */
	if (zmq_recv(x->monitor, head, sizeof(head), 0) < (int)sizeof(event))
		return 0;
	zmq_recv(x->monitor, addr, sizeof(addr), 0);
	memcpy(&event, head, sizeof(event));
	return event;
}

static bool
zmq_kill_connected(void *side, uint64_t wait_ns)
{
	struct zmq_kill_side *x = side;

	if (!x->connected)
		x->connected = zmq_kill_event(x, wait_ns) == ZMQ_EVENT_ACCEPTED;
	return x->connected;
}

static bool
zmq_kill_gone(void *side, uint64_t wait_ns)
{
	struct zmq_kill_side *x = side;

	if (zmq_kill_event(x, wait_ns) != ZMQ_EVENT_DISCONNECTED)
		return false;
	x->connected = false;
	return true;
}

static int
zmq_kill_victim(void *st, unsigned n)
{
	struct zmq_state *s = st;
	void *ctx = zmq_ctx_new(), *sock = ctx != NULL ? zmq_socket(ctx, ZMQ_PAIR) : NULL;

	(void)n;
	return sock != NULL && zmq_connect(sock, s->endpoint) == 0 ? 0 : -1;
}

const struct kill_ops kill_zmq_ops = {
	.name = "zeromq ipc",
	.how = "monitor event DISCONNECTED",
	.setup = zmq_kill_setup,
	.survivor_open = zmq_kill_open,
	.victim = zmq_kill_victim,
	.connected = zmq_kill_connected,
	.gone = zmq_kill_gone,
	.survivor_close = zmq_kill_close,
	.teardown = zmq_bench_teardown,
};
