/*
 * fdstore.h - the service manager's file-descriptor store.  Under systemd
 * ($NOTIFY_SOCKET set) every memfd eshmd holds is also stored there, so a
 * crashed eshmd restarted by systemd gets back even the segments no
 * endpoint holds.  Without $NOTIFY_SOCKET every function does nothing.
 *
 * Names: "s.<generation>" for a status block, "b.<generation>.<role
 * index>.<incarnation>" for an endpoint block (FDNAME= allows no ':').
 * Event-loop thread.
 */
#ifndef ESHMD_FDSTORE_H
#define ESHMD_FDSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* A descriptor passed at start, with its name. */
struct fds_entry {
	char name[64];
	int fd;                   /* -1 once taken */
};

/* Whether the store is there (eshmd runs under a service manager). */
bool fds_enabled(void);

/* Store the status block of @seg. */
void fds_put_status(const struct reg_segment *seg);

/* Store the current block of role @index of @seg. */
void fds_put_block(const struct reg_segment *seg, int index);

/* Remove the descriptor called @name from the store. */
void fds_drop(const char *name);

/* Remove the status block of the segment of @generation from the store. */
void fds_drop_status(uint64_t generation);

/* Remove block @incarnation of role @index of @generation from the store. */
void fds_drop_block(uint64_t generation, int index, uint64_t incarnation);

/*
 * Wait until the service manager has processed everything sent so far
 * (sd_notify_barrier, bounded), so an answer the client sees is never
 * ahead of the store.
 */
void fds_barrier(void);

/*
 * Take the descriptors passed at start (sd_listen_fds_with_names): the
 * listening socket into *@listen_fd (-1: none), the stored memfds into a
 * new array *@out of *@n entries (the caller frees it).  Returns 0 or -1
 * (logged).
 */
int fds_take(int *listen_fd, struct fds_entry **out, size_t *n);

/* The entry called @name among @e[@n] whose descriptor is still there, or NULL. */
struct fds_entry *fds_find(struct fds_entry *e, size_t n, const char *name);

/* The store names of a status block and of a block, into @buf of @len bytes. */
void fds_name_status(char *buf, size_t len, uint64_t generation);
void fds_name_block(char *buf, size_t len, uint64_t generation, int index, uint64_t incarnation);

#endif /* ESHMD_FDSTORE_H */
