/*
 * adopt.h - taking over the segments a previous eshmd left in /dev/shm.
 * Event-loop thread.
 */
#ifndef ESHMD_ADOPT_H
#define ESHMD_ADOPT_H

#include "daemon.h"

/*
 * Scan /dev/shm for objects with the prefix and adopt every valid segment;
 * leave the others alone.  Takes registry.lock.  Returns the number
 * adopted.
 */
int adopt_scan(struct eshmd *d);

/*
 * Adopt the object of @name found in /dev/shm (registry.lock held), as at
 * start.  Returns 0 with the record in *@out, or the ESHM_ERROR_* that
 * made it invalid (the object is left alone).
 */
int adopt_one(struct eshmd *d, const char *name, struct reg_segment **out);

/*
 * Check the re-adopted endpoints that have no pidfd (see reg_endpoint.polled)
 * and declare dead those whose process is gone.  Called once a second with
 * the registry locked.
 */
void adopt_poll(struct eshmd *d);

#endif /* ESHMD_ADOPT_H */
