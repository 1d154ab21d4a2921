/*
 * eshm_roundtrip.c - eshm as a round-trip transport: the master writes, the
 * slave reads and writes the message back.  Spinning: both sides call
 * eshm_read() until a message arrives.  Sleeping: eshm_read_timeout(),
 * which spins briefly and then waits on the futex the writer wakes.  In a
 * ping-pong the answer comes within the spin, so the "slept" variant lets
 * the slave fall asleep before each sample: its round trip includes a
 * FUTEX_WAKE and the kernel's wake-up, as a quiet channel's first message.
 */
#include "bench.h"

#include <stdlib.h>

#include "eshm.h"

#define RT_WAIT_MS 1000
#define RT_WAIT_TRIES 5
/* Longer than the library's spin before it sleeps (20 us). */
#define RT_SLEEP_GAP_NS 200000u

struct eshm_rt_state {
	char name[96];
	ESHMHandle *h;          /* this process's handle (each side has a copy) */
};

static void *
eshm_rt_setup(size_t size)
{
	struct eshm_rt_state *s = calloc(1, sizeof(*s));

	if (s != NULL)
		bench_segment_name("rt", s->name, sizeof(s->name));
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
	                    0);
	return s->h != NULL ? 0 : -1;
}

static void
eshm_rt_detach(void *st, int side)
{
	struct eshm_rt_state *s = st;

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

const struct rt_ops eshm_spin_ops = {
	.name = "eshm spin",
	.setup = eshm_rt_setup,
	.attach = eshm_rt_attach,
	.send = eshm_rt_send,
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
