/*
 * records.h - eshmd's own copy of what it knows of each segment, one file
 * per segment in the records directory (0700, files 0600, owned by eshmd's
 * user), written whole to a temporary file and renamed over the old one on
 * creation, attach, detach, death, takeover and removal.  A restarted
 * eshmd rebuilds its registry from them (restore.c); nothing in them is
 * ever read from a client.
 */
#ifndef ESHMD_RECORDS_H
#define ESHMD_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "memfd.h"
#include "proto.h"

struct rec_endpoint {
	uint32_t state;              /* enum seg_endpoint_state */
	uint64_t incarnation;        /* 0: never attached */
	struct memfd_id block;
	int32_t pid;
	uint32_t uid;
	uint64_t start_time;
	uint32_t threshold_ms;
	uint32_t period_us;
	uint64_t attach_realtime_ns;
};

struct rec_segment {
	char name[PROTO_NAME_SIZE];
	uint64_t generation;
	uint32_t owner_uid, owner_gid;
	uint64_t capacity;
	uint32_t mode, queue_depth, seg_flags;
	uint32_t default_threshold_ms;
	uint64_t created_realtime_ns;
	struct memfd_id status;
	struct rec_endpoint ep[2];
};

/*
 * Make the records directory @dir if missing (0700) and check it is
 * eshmd's own and not open to others (fixing the mode if it is eshmd's).
 * Returns 0 or -1 (logged).  Main thread, at start.
 */
int rec_open_dir(const char *dir);

/* Describe @seg as a record into @r. */
void rec_from_segment(const struct reg_segment *seg, struct rec_segment *r);

/*
 * Write the record of @seg into d->records_dir (temporary file, then
 * rename).  A failure is logged; the segment lives on without it.
 * registry.lock held.
 */
void rec_save(const struct eshmd *d, const struct reg_segment *seg);

/* Delete the record of @name.  registry.lock held. */
void rec_remove(const struct eshmd *d, const char *name);

/*
 * Format @r into @buf of @len bytes.  Returns the length, or -1 if it
 * does not fit.
 */
int rec_format(const struct rec_segment *r, char *buf, size_t len);

/*
 * Parse the @len bytes at @buf (a record file's contents) into @r.  Every
 * line must be well formed, every key present once, every value in range
 * (a valid name and geometry, known states).  Returns 0, or -1 with the
 * reason in @why (@whylen bytes).  Pure: no I/O, thread-safe.
 */
int rec_parse(const char *buf, size_t len, struct rec_segment *r, char *why, size_t whylen);

/*
 * Call @fn(@arg, record) for every valid record in @dir; a file that does
 * not parse is logged and skipped.  Returns the number of valid records.
 */
int rec_load_all(const char *dir, void (*fn)(void *arg, const struct rec_segment *r), void *arg);

#endif /* ESHMD_RECORDS_H */
