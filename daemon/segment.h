/*
 * segment.h - the POSIX shared-memory objects behind segments: create,
 * open, unlink.  Every object is named "/<prefix><name>" and opened with
 * O_NOFOLLOW.
 */
#ifndef ESHMD_SEGMENT_H
#define ESHMD_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry.h"

/* Parameters of a new segment. */
struct segobj_params {
	uint64_t capacity;
	uint32_t stale_threshold_ms;
	uint32_t flags;             /* SEG_FLAG_* */
	uid_t owner_uid;
	gid_t owner_gid;
	uint64_t generation;
};

/*
 * Create the object for @name under @prefix (it must not exist), reserve
 * its memory, map and format it, record its identity and close it.  *@out
 * receives a new record.
 * Returns 0, ESHM_ERROR_EXISTS, ESHM_ERROR_NO_SPACE, ESHM_ERROR_NO_MEMORY
 * or ESHM_ERROR_SYSTEM; on error nothing is left in /dev/shm.
 */
int segobj_create(const char *prefix, const char *name, const struct segobj_params *p,
                  struct reg_segment **out);

/*
 * Open an existing object read-write, check it is a regular file owned by
 * us, map and validate it, record its identity and close it.  Returns 0, ESHM_ERROR_NOT_FOUND,
 * ESHM_ERROR_PERMISSION, ESHM_ERROR_SEGMENT_CORRUPT,
 * ESHM_ERROR_VERSION_MISMATCH or ESHM_ERROR_SYSTEM.
 */
int segobj_open(const char *prefix, const char *name, struct reg_segment **out);

/*
 * Open the object of @seg again by name (read-only if @read_only), to pass
 * it to a client, and check it is still the object eshmd mapped (same
 * device, inode and size); the caller closes the descriptor.  Returns the
 * fd or ESHM_ERROR_SEGMENT_CORRUPT (unlinked, replaced or resized behind
 * eshmd's back), ESHM_ERROR_PERMISSION or ESHM_ERROR_SYSTEM (e.g. out of
 * descriptors), and logs why it refused.
 */
int segobj_reopen(const char *prefix, const struct reg_segment *seg, bool read_only);

/* Unlink the object of @name.  Returns 0 or -errno. */
int segobj_unlink(const char *prefix, const char *name);

#endif /* ESHMD_SEGMENT_H */
