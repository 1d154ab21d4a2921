/*
 * peer_mutex.c - the seed's "old implementation": a channel per direction in
 * shared memory, guarded by a process-shared mutex, the reader sleeping on a
 * process-shared condition variable.
 */
#include "bench.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct mutex_chan {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t seq;           /* messages written */
	uint64_t seen;          /* messages the reader took */
	unsigned char *data;
} __attribute__((aligned(64)));

struct mutex_state {
	struct mutex_chan chan[2];  /* [0] master -> slave, [1] back */
	size_t map_len;
};

static void *
mutex_setup(size_t size)
{
	size_t stride = (size + 63) & ~(size_t)63;
	size_t len = sizeof(struct mutex_state) + 2 * stride;
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	struct mutex_state *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	m->map_len = len;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	for (int i = 0; i < 2; i++) {
		pthread_mutex_init(&m->chan[i].lock, &ma);
		pthread_cond_init(&m->chan[i].cond, &ca);
		m->chan[i].data = (unsigned char *)(m + 1) + (size_t)i * stride;
	}
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_destroy(&ca);
	return m;
}

static void
mutex_teardown(void *st)
{
	struct mutex_state *m = st;

	for (int i = 0; i < 2; i++) {
		pthread_mutex_destroy(&m->chan[i].lock);
		pthread_cond_destroy(&m->chan[i].cond);
	}
	munmap(m, m->map_len);
}

static int
mutex_send(void *st, int side, const void *buf, size_t size)
{
	struct mutex_chan *c = &((struct mutex_state *)st)->chan[side];

	pthread_mutex_lock(&c->lock);
	memcpy(c->data, buf, size);
	c->seq++;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int
mutex_recv(void *st, int side, void *buf, size_t size)
{
	struct mutex_chan *c = &((struct mutex_state *)st)->chan[!side];

	pthread_mutex_lock(&c->lock);
	while (c->seq == c->seen)
		pthread_cond_wait(&c->cond, &c->lock);
	memcpy(buf, c->data, size);
	c->seen = c->seq;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

const struct rt_ops peer_mutex_ops = {
	.name = "mutex + condvar",
	.setup = mutex_setup,
	.send = mutex_send,
	.recv = mutex_recv,
	.teardown = mutex_teardown,
};
