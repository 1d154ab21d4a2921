/*
 * peer_mq.c - a pair of POSIX message queues, one per direction.
 */
#include "bench.h"

#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct mq_state {
	mqd_t q[2];             /* [0] master -> slave, [1] back */
	char name[2][64];
	size_t size;
};

static void
mq_teardown(void *st)
{
	struct mq_state *s = st;

	for (int i = 0; i < 2; i++) {
		if (s->q[i] != (mqd_t)-1)
			mq_close(s->q[i]);
		mq_unlink(s->name[i]);
	}
	free(s);
}

static void *
mq_setup(size_t size)
{
	struct mq_state *s = malloc(sizeof(*s));
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = (long)size };

	if (s == NULL)
		return NULL;
	s->size = size;
	for (int i = 0; i < 2; i++) {
		snprintf(s->name[i], sizeof(s->name[i]), "/eshm-bench.%ld.%d", (long)getpid(), i);
		s->q[i] = mq_open(s->name[i], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	}
	if (s->q[0] == (mqd_t)-1 || s->q[1] == (mqd_t)-1) {
		mq_teardown(s);
		return NULL;
	}
	return s;
}

static int
mq_bench_send(void *st, int side, const void *buf, size_t size)
{
	struct mq_state *s = st;

	return mq_send(s->q[side], buf, size, 0) == 0 ? 0 : -1;
}

static int
mq_bench_recv(void *st, int side, void *buf, size_t size)
{
	struct mq_state *s = st;

	return mq_receive(s->q[!side], buf, size, NULL) == (ssize_t)size ? 0 : -1;
}

const struct rt_ops peer_mq_ops = {
	.name = "posix mqueue",
	.setup = mq_setup,
	.send = mq_bench_send,
	.recv = mq_bench_recv,
	.teardown = mq_teardown,
};
