/*
 * peer_floor.c - the floor: two processes bouncing one cache line with
 * atomics, nothing else.  No shared-memory transport can beat it; the copy
 * variant adds what moving a payload costs (a memcpy each way).
 */
#include "bench.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

struct floor_state {
	/* odd: a message for the slave (tag*2+1); even: the slave's answer */
	_Atomic uint64_t word __attribute__((aligned(64)));
	size_t size;
	unsigned char *data[2] __attribute__((aligned(64)));
	size_t map_len;
};

static void *
floor_setup(size_t size)
{
	size_t stride = (size + 63) & ~(size_t)63;
	size_t len = sizeof(struct floor_state) + 2 * stride;
	struct floor_state *f;

	f = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED)
		return NULL;
	atomic_init(&f->word, 0);
	f->size = size;
	f->map_len = len;
	f->data[0] = (unsigned char *)(f + 1);
	f->data[1] = f->data[0] + stride;
	return f;
}

static void
floor_teardown(void *st)
{
	struct floor_state *f = st;

	munmap(f, f->map_len);
}

static uint64_t
floor_encode(int side, const void *buf)
{
	uint64_t tag;

	memcpy(&tag, buf, sizeof(tag));
	if (tag == UINT64_MAX)
		return UINT64_MAX; /* the stop tag, odd like every master word */
	return side == 0 ? tag * 2 + 1 : tag * 2 + 2;
}

static int
floor_send(void *st, int side, const void *buf, size_t size)
{
	struct floor_state *f = st;

	atomic_store_explicit(&f->word, floor_encode(side, buf), memory_order_release);
	return 0;
}

/* Wait for the other side's word; both sides spin without pausing. */
static void
floor_wait(struct floor_state *f, int side, void *buf)
{
	uint64_t w, tag;

	for (;;) {
		w = atomic_load_explicit(&f->word, memory_order_acquire);
		if (w != 0 && (w & 1) == (side == 1 ? 1u : 0u))
			break;
	}
	tag = w == UINT64_MAX ? UINT64_MAX : (w - 1) / 2;
	memcpy(buf, &tag, sizeof(tag));
}

static int
floor_recv(void *st, int side, void *buf, size_t size)
{
	floor_wait(st, side, buf);
	return 0;
}

static int
floor_copy_send(void *st, int side, const void *buf, size_t size)
{
	struct floor_state *f = st;

	memcpy(f->data[side], buf, size);
	return floor_send(st, side, buf, size);
}

static int
floor_copy_recv(void *st, int side, void *buf, size_t size)
{
	struct floor_state *f = st;

	floor_wait(f, side, buf);
	memcpy((unsigned char *)buf + sizeof(uint64_t), f->data[!side] + sizeof(uint64_t),
	       size - sizeof(uint64_t));
	return 0;
}

const struct rt_ops peer_floor_ops = {
	.name = "floor (1 line)",
	.tag_only = true,
	.setup = floor_setup,
	.send = floor_send,
	.recv = floor_recv,
	.teardown = floor_teardown,
};

const struct rt_ops peer_floor_copy_ops = {
	.name = "floor + memcpy",
	.setup = floor_setup,
	.send = floor_copy_send,
	.recv = floor_copy_recv,
	.teardown = floor_teardown,
};
