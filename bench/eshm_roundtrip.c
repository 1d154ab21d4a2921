/*
 * eshm_roundtrip.c - eshm as a round-trip transport: the master writes, the
 * slave reads and writes the message back.  Spinning: both sides call
 * eshm_read() until a message arrives.  Sleeping: eshm_read_timeout(),
 * which spins briefly and then waits on the futex the writer wakes.  In a
 * ping-pong the answer comes within the spin, so the "slept" variant lets
 * the slave fall asleep before each sample: its round trip includes a
 * FUTEX_WAKE and the kernel's wake-up, as a quiet channel's first message.
 * "epoll slept": the same, each side waiting in epoll_wait() on its
 * handle's event descriptor, as an event loop does: the write wakes the
 * reader's event thread, which writes the eventfd epoll waits on.
 */
#include "bench.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "eshm.h"

#define RT_WAIT_MS 1000
#define RT_WAIT_TRIES 5
/* Longer than the library's spin before it sleeps (20 us). */
#define RT_SLEEP_GAP_NS 200000u

struct eshm_rt_state {
	char name[96];
	size_t capacity;        /* of the segment; 0: the default */
	ESHMHandle *h;          /* this process's handle (each side has a copy) */
	int ep;                 /* epoll on its event descriptor; -1: none */
};

static void *
eshm_rt_setup(size_t size)
{
	struct eshm_rt_state *s = calloc(1, sizeof(*s));

	if (s != NULL) {
		bench_segment_name("rt", s->name, sizeof(s->name));
		s->ep = -1;
	}
	return s;
}

/* A segment whose capacity is the message's size: up to 48 bytes, a
 * message and its header share one cache line. */
static void *
eshm_rt_setup_fit(size_t size)
{
	struct eshm_rt_state *s = eshm_rt_setup(size);

	if (s != NULL)
		s->capacity = size;
	return s;
}

static void
eshm_rt_teardown(void *st)
{
	free(st);
}

static int
eshm_rt_attach(void *st, int side)
{
	struct eshm_rt_state *s = st;

	s->h = bench_attach(s->name, side == 0 ? ESHM_ROLE_MASTER : ESHM_ROLE_SLAVE, true, 0, 0,
	                    s->capacity);
	return s->h != NULL ? 0 : -1;
}

/* Attach to a queue of BENCH_STREAM_DEPTH messages of the stream's size. */
static int
eshm_rt_attach_queue(void *st, int side)
{
	struct eshm_rt_state *s = st;
	ESHMConfig cfg = eshm_default_config(s->name);
	ESHMOptions *o = eshm_options_new();

	cfg.role = side == 0 ? ESHM_ROLE_MASTER : ESHM_ROLE_SLAVE;
	cfg.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	if (o != NULL && eshm_options_set_channel_mode(o, ESHM_CHANNEL_QUEUE) == ESHM_SUCCESS &&
	    eshm_options_set_queue_depth(o, BENCH_STREAM_DEPTH) == ESHM_SUCCESS &&
	    eshm_options_set_capacity(o, s->capacity) == ESHM_SUCCESS)
		s->h = eshm_init_with_options(&cfg, o);
	eshm_options_free(o);
	return s->h != NULL ? 0 : -1;
}

/* A full queue is waited out, as a lossless sender must. */
static int
eshm_rt_send_wait(void *st, int side, const void *buf, size_t size)
{
	ESHMHandle *h = ((struct eshm_rt_state *)st)->h;
	int rc = ESHM_ERROR_TIMEOUT;

	(void)side;
	for (int i = 0; i < RT_WAIT_TRIES && rc == ESHM_ERROR_TIMEOUT; i++)
		rc = eshm_write_timeout(h, buf, size, RT_WAIT_MS);
	return rc == ESHM_SUCCESS ? 0 : -1;
}

/* Attach, and put the handle's event descriptor in an epoll set. */
static int
eshm_rt_attach_epoll(void *st, int side)
{
	struct eshm_rt_state *s = st;
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	if (eshm_rt_attach(st, side) != 0 || eshm_get_event_fd(s->h, &fd) != ESHM_SUCCESS)
		return -1;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	return s->ep >= 0 && epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -1;
}

static void
eshm_rt_detach(void *st, int side)
{
	struct eshm_rt_state *s = st;

	if (s->ep >= 0)
		close(s->ep);
	s->ep = -1;
	eshm_destroy(s->h);
	s->h = NULL;
}

static int
eshm_rt_send(void *st, int side, const void *buf, size_t size)
{
	return eshm_write(((struct eshm_rt_state *)st)->h, buf, size) == ESHM_SUCCESS ? 0 : -1;
}

static int
eshm_rt_recv_spin(void *st, int side, void *buf, size_t size)
{
	ESHMHandle *h = ((struct eshm_rt_state *)st)->h;
	size_t n;
	int rc;

	while ((rc = eshm_read(h, buf, size, &n)) == ESHM_ERROR_NO_DATA)
		;
	return rc == ESHM_SUCCESS && n == size ? 0 : -1;
}

static int
eshm_rt_recv_futex(void *st, int side, void *buf, size_t size)
{
	ESHMHandle *h = ((struct eshm_rt_state *)st)->h;
	size_t n;
	int rc = ESHM_ERROR_TIMEOUT;

	for (int i = 0; i < RT_WAIT_TRIES && rc == ESHM_ERROR_TIMEOUT; i++)
		rc = eshm_read_timeout(h, buf, size, &n, RT_WAIT_MS);
	return rc == ESHM_SUCCESS && n == size ? 0 : -1;
}

/* Read, and while there is nothing, wait in epoll_wait() as a loop does. */
static int
eshm_rt_recv_epoll(void *st, int side, void *buf, size_t size)
{
	struct eshm_rt_state *s = st;
	struct epoll_event ev;
	unsigned events;
	size_t n;
	int rc;

	for (int i = 0; i < RT_WAIT_TRIES * 100; i++) {
		rc = eshm_read(s->h, buf, size, &n);
		if (rc != ESHM_ERROR_NO_DATA)
			return rc == ESHM_SUCCESS && n == size ? 0 : -1;
		if (epoll_wait(s->ep, &ev, 1, RT_WAIT_MS) < 0)
			return -1;
		eshm_get_events(s->h, &events);
	}
	return -1;
}

const struct rt_ops eshm_spin_ops = {
	.name = "eshm spin",
	.setup = eshm_rt_setup,
	.attach = eshm_rt_attach,
	.send = eshm_rt_send,
	.recv = eshm_rt_recv_spin,
	.detach = eshm_rt_detach,
	.teardown = eshm_rt_teardown,
};

const struct rt_ops eshm_spin_fit_ops = {
	.name = "eshm spin, fit",
	.setup = eshm_rt_setup_fit,
	.attach = eshm_rt_attach,
	.send = eshm_rt_send,
	.recv = eshm_rt_recv_spin,
	.detach = eshm_rt_detach,
	.teardown = eshm_rt_teardown,
};

const struct rt_ops eshm_queue_ops = {
	.name = "eshm queue",
	.setup = eshm_rt_setup_fit,
	.attach = eshm_rt_attach_queue,
	.send = eshm_rt_send_wait,
	.recv = eshm_rt_recv_spin,
	.detach = eshm_rt_detach,
	.teardown = eshm_rt_teardown,
};

const struct rt_ops eshm_futex_ops = {
	.name = "eshm futex",
	.setup = eshm_rt_setup,
	.attach = eshm_rt_attach,
	.send = eshm_rt_send,
	.recv = eshm_rt_recv_futex,
	.detach = eshm_rt_detach,
	.teardown = eshm_rt_teardown,
};

const struct rt_ops eshm_slept_ops = {
	.name = "eshm futex slept",
	.gap_ns = RT_SLEEP_GAP_NS,
	.setup = eshm_rt_setup,
	.attach = eshm_rt_attach,
	.send = eshm_rt_send,
	.recv = eshm_rt_recv_futex,
	.detach = eshm_rt_detach,
	.teardown = eshm_rt_teardown,
};

const struct rt_ops eshm_epoll_ops = {
	.name = "eshm epoll slept",
	.gap_ns = RT_SLEEP_GAP_NS,
	.setup = eshm_rt_setup,
	.attach = eshm_rt_attach_epoll,
	.send = eshm_rt_send,
	.recv = eshm_rt_recv_epoll,
	.detach = eshm_rt_detach,
	.teardown = eshm_rt_teardown,
};
