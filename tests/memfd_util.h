/*
 * memfd_util.h - the memory of a segment as eshmd makes it, for the tests
 * of the layout and the channel: sealed memfds, their read-only
 * descriptors, and one channel's blocks mapped by its writer and readers.
 */
#ifndef ESHM_TESTS_MEMFD_UTIL_H
#define ESHM_TESTS_MEMFD_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"

/*
 * A memfd of @size bytes made as eshmd makes one (MFD_CLOEXEC |
 * MFD_ALLOW_SEALING, ftruncate, mode 0600), sealed F_SEAL_SHRINK |
 * F_SEAL_GROW | F_SEAL_SEAL when @seal.  Returns the descriptor or -1.
 */
int tm_memfd(const char *name, uint64_t size, bool seal);

/* A read-only descriptor of memfd @fd, opened O_RDONLY | O_NONBLOCK
 * through /proc/self/fd as eshmd hands them out.  Returns it or -1. */
int tm_reopen_read_only(int fd);

/*
 * One channel: the writer's endpoint block, mapped read-write by its
 * writer and read-only by the readers (through a read-only descriptor),
 * and the reader parts of its consumer (in the consumer's own endpoint
 * block) and of its observers (each in an observer block).
 */
#define TM_OBSERVERS_MAX 8
struct tm_channel {
	struct seg_geometry g;
	int fd;                         /* the writer's block */
	struct seg_mapping writer;      /* read-write */
	struct seg_mapping reader;      /* read-only */
	int consumer_fd;                /* the consumer's endpoint block */
	struct seg_mapping consumer;    /* read-write */
	unsigned observers;
	int observer_fd[TM_OBSERVERS_MAX];
	struct seg_mapping observer[TM_OBSERVERS_MAX]; /* read-write */
};

/*
 * Make @c for @capacity, @mode, @queue_depth and @seg_flags (as for
 * seg_geometry()) with @observers observer blocks, every block a sealed
 * memfd mapped with seg_map_block(), its descriptor kept for processes
 * that map it themselves.  Returns 0 or -1.
 */
int tm_channel_open(struct tm_channel *c, uint64_t capacity, uint32_t mode, uint32_t queue_depth,
                    uint32_t seg_flags, unsigned observers);

/* Unmap and close everything of @c. */
void tm_channel_close(struct tm_channel *c);

/* The block as the writer sees it (read-write) and as readers do. */
struct seg_block *tm_writer_block(const struct tm_channel *c);
const struct seg_block *tm_reader_block(const struct tm_channel *c);

/* The consumer's reader part, and observer @i's. */
struct seg_reader *tm_consumer_part(const struct tm_channel *c);
struct seg_reader *tm_observer_part(const struct tm_channel *c, unsigned i);

#endif /* ESHM_TESTS_MEMFD_UTIL_H */
