/*
 * memfd_util.c - sealed memfds and one channel's blocks, made as eshmd
 * makes them (docs/architecture.md, "Segment layout 3").
 */
#include "memfd_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
tm_memfd(const char *name, uint64_t size, bool seal)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 || fchmod(fd, 0600) < 0 ||
	    (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

int
tm_reopen_read_only(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

/* A sealed block of geometry @g in *@fd, mapped read-write into @m. */
static int
tm_block(const struct seg_geometry *g, bool observer, int *fd, struct seg_mapping *m)
{
	*fd = tm_memfd(observer ? "eshm-test.observer" : "eshm-test.block",
	               observer ? g->observer_block_size : g->block_size, true);
	if (*fd < 0)
		return -1;
	return seg_map_block(*fd, g, observer, true, m) == ESHM_SUCCESS ? 0 : -1;
}

int
tm_channel_open(struct tm_channel *c, uint64_t capacity, uint32_t mode, uint32_t queue_depth,
                uint32_t seg_flags, unsigned observers)
{
	unsigned i;
	int ro;

	memset(c, 0, sizeof(*c));
	c->fd = c->consumer_fd = -1;
	for (i = 0; i < TM_OBSERVERS_MAX; i++)
		c->observer_fd[i] = -1;
	if (observers > TM_OBSERVERS_MAX ||
	    seg_geometry(capacity, mode, queue_depth, seg_flags, &c->g) != ESHM_SUCCESS)
		return -1;
	if (tm_block(&c->g, false, &c->fd, &c->writer) < 0)
		goto fail;
	ro = tm_reopen_read_only(c->fd);
	if (ro < 0)
		goto fail;
	if (seg_map_block(ro, &c->g, false, false, &c->reader) != ESHM_SUCCESS) {
		close(ro);
		goto fail;
	}
	close(ro);
	if (tm_block(&c->g, false, &c->consumer_fd, &c->consumer) < 0)
		goto fail;
	for (; c->observers < observers; c->observers++)
		if (tm_block(&c->g, true, &c->observer_fd[c->observers],
		             &c->observer[c->observers]) < 0)
			goto fail;
	return 0;
fail:
	tm_channel_close(c);
	return -1;
}

/* Unmap @m and close *@fd if open. */
static void
tm_unblock(int *fd, struct seg_mapping *m)
{
	seg_unmap(m);
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void
tm_channel_close(struct tm_channel *c)
{
	unsigned i;

	for (i = 0; i < TM_OBSERVERS_MAX; i++)
		tm_unblock(&c->observer_fd[i], &c->observer[i]);
	c->observers = 0;
	tm_unblock(&c->consumer_fd, &c->consumer);
	seg_unmap(&c->reader);
	tm_unblock(&c->fd, &c->writer);
}

struct seg_block *
tm_writer_block(const struct tm_channel *c)
{
	return seg_block_of(&c->writer);
}

const struct seg_block *
tm_reader_block(const struct tm_channel *c)
{
	return seg_block_of(&c->reader);
}

struct seg_reader *
tm_consumer_part(const struct tm_channel *c)
{
	return &seg_block_of(&c->consumer)->reader;
}

struct seg_reader *
tm_observer_part(const struct tm_channel *c, unsigned i)
{
	return seg_observer_of(&c->observer[i]);
}
