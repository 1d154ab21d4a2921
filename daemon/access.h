/*
 * access.h - who may use a segment.  Thread-safe (reads the settings:
 * registry.lock held by the caller).
 */
#ifndef ESHMD_ACCESS_H
#define ESHMD_ACCESS_H

#include "daemon.h"

/*
 * May the peer of @c use the segment whose header is @h, under @d's
 * policy?  Returns 0 or ESHM_ERROR_PERMISSION.
 */
int acc_check(const struct eshmd *d, const struct srv_conn *c, const struct seg_header *h);

#endif /* ESHMD_ACCESS_H */
