/*
 * memfd.h - the sealed memfds a segment is made of: eshmd creates each one
 * (status block, endpoint blocks), hands out read-only or read-write
 * descriptors of it, and accepts one handed back only when it is the very
 * memfd it recorded.  Nothing here touches a file system path other than
 * /proc/self/fd.  Thread-safe (no state of its own).
 */
#ifndef ESHMD_MEMFD_H
#define ESHMD_MEMFD_H

#include <stdint.h>
#include <sys/types.h>

/* What identifies a memfd for as long as anyone holds it. */
struct memfd_id {
	dev_t dev;
	ino_t ino;
};

/*
 * Create a memfd named "<@prefix><@name><@suffix>" (truncated to the
 * kernel's limit; the name only shows in /proc/PID/maps) of @size bytes,
 * mode 0600, sealed against shrinking, growing and further sealing, its
 * pages untouched (a memfd starts zeroed and sparse).  *@id receives its
 * identity.  Returns the descriptor (close-on-exec), or ESHM_ERROR_NO_MEMORY
 * or ESHM_ERROR_SYSTEM (logged).
 */
int memfd_new(const char *prefix, const char *name, const char *suffix, uint64_t size,
              struct memfd_id *id);

/*
 * A new open file description of the memfd @fd, read-only (@writable
 * false: O_RDONLY | O_NONBLOCK) or read-write, opened through
 * /proc/self/fd.  Only eshmd's user can reopen a 0600 memfd writable this
 * way.  Returns the descriptor (close-on-exec) or ESHM_ERROR_SYSTEM.
 */
int memfd_reopen(int fd, int writable);

/*
 * Check that @fd, handed back by a client, is the memfd recorded as @id:
 * same device and inode, owned by eshmd's effective uid, a regular file
 * of @size bytes, sealed as memfd_new() seals.  On refusal, *@why (if not
 * NULL) says what differs.  Returns 0 or ESHM_ERROR_PERMISSION.
 */
int memfd_verify(int fd, const struct memfd_id *id, uint64_t size, const char **why);

/* The identity of @fd into *@id.  Returns 0 or ESHM_ERROR_SYSTEM. */
int memfd_identity(int fd, struct memfd_id *id);

/*
 * Map @size bytes of the memfd @fd read-write into @m (eshmd's own
 * mapping of a block it writes or repairs).  Returns 0,
 * ESHM_ERROR_NO_MEMORY or ESHM_ERROR_SYSTEM.
 */
struct seg_mapping;
int memfd_map(int fd, uint64_t size, struct seg_mapping *m);

#endif /* ESHMD_MEMFD_H */
