/*
 * layout.h - the shared-memory segment layout, defined once for eshmd,
 * libeshm-client and eshmctl.  Bump SEG_LAYOUT_VERSION on any change.
 *
 * A segment is:
 *
 *   struct seg_header          line 0: identity, written once by eshmd
 *   struct seg_daemon          line 1: eshmd's monitor heartbeat
 *   struct seg_endpoint [2]    master, slave; 2 lines each
 *   channel master_to_slave    writer lines, then two reader lines
 *   channel slave_to_master
 *
 * Every block starts on its own 64-byte cache line.  In a channel the
 * sequence counter, the message size and the data are contiguous and written
 * by the writer alone, so a small message travels in one or two lines; what
 * the reader writes lives on a line of its own.
 */
#ifndef ESHM_COMMON_LAYOUT_H
#define ESHM_COMMON_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "eshm.h"

#define SEG_CACHE_LINE 64
#define SEG_MAGIC UINT64_C(0x314745534d485345) /* "ESHMSEG1" little-endian */
#define SEG_LAYOUT_VERSION 1u

#define SEG_CAPACITY_DEFAULT 4096u
#define SEG_CAPACITY_MAX (16u * 1024u * 1024u)

/* Endpoint index inside the segment, also the writer of channel [index]. */
enum seg_role_index { SEG_MASTER = 0, SEG_SLAVE = 1 };

/* Channel index: master_to_slave is written by the master. */
enum seg_channel_index { SEG_M2S = 0, SEG_S2M = 1 };

/* Endpoint state, written by eshmd (and by a client on clean attach/detach). */
enum seg_endpoint_state {
	SEG_EP_DETACHED = 0, /* no endpoint, or it detached cleanly */
	SEG_EP_ALIVE = 1,
	SEG_EP_STALE = 2,    /* heartbeat unchanged for its threshold */
	SEG_EP_DEAD = 3,     /* process gone without detaching */
};

/* seg_header.flags */
#define SEG_FLAG_AUTO_CLEANUP 0x1u /* unlink once both endpoints are gone */
#define SEG_FLAG_REVOKED 0x2u      /* removed by an operator: endpoints must stop */

/* seg_channel.size: the message a repair left behind is void, not data. */
#define SEG_SIZE_VOID UINT32_C(0xffffffff)

struct seg_header {
	uint64_t magic;            /* SEG_MAGIC */
	uint32_t version;          /* SEG_LAYOUT_VERSION */
	uint32_t header_size;      /* offsetof first channel, for validation */
	uint64_t capacity;         /* bytes of data per channel */
	uint64_t total_size;       /* size of the whole object */
	uint64_t generation;       /* unique per creation of this name */
	uint64_t created_realtime_ns;
	uint32_t stale_threshold_ms; /* segment default, for endpoints that set none */
	_Atomic uint32_t flags;    /* SEG_FLAG_* */
	uint32_t owner_uid;        /* creator's uid: eshmd's access decision */
	uint32_t owner_gid;
} __attribute__((aligned(SEG_CACHE_LINE)));

struct seg_daemon {
	_Atomic uint64_t heartbeat;       /* +1 per monitor pass */
	_Atomic uint64_t pass_mono_ns;    /* CLOCK_MONOTONIC of the last pass */
	_Atomic uint32_t check_interval_ms;
	_Atomic int32_t pid;              /* eshmd's pid */
} __attribute__((aligned(SEG_CACHE_LINE)));

struct seg_endpoint {
	/* line A: written by the endpoint's heartbeat thread alone */
	_Atomic uint64_t heartbeat;
	char pad_a[SEG_CACHE_LINE - sizeof(uint64_t)];
	/* line B: written by eshmd (attach, monitor verdicts) */
	_Atomic uint32_t state;           /* enum seg_endpoint_state */
	_Atomic int32_t pid;
	_Atomic uint64_t start_time;      /* /proc/PID/stat field 22: tells a reused pid */
	_Atomic uint32_t stale_threshold_ms; /* this endpoint's own threshold */
	_Atomic uint32_t silent_ms;       /* how long its heartbeat has not moved */
	_Atomic uint64_t attach_realtime_ns;
	_Atomic uint64_t attach_count;    /* attaches to this role over the segment's life */
	_Atomic uint32_t uid;
} __attribute__((aligned(SEG_CACHE_LINE)));

/* Writer's part of a channel; data[] follows it directly. */
struct seg_channel {
	_Atomic uint64_t seq;       /* even: stable; odd: write in progress */
	_Atomic uint32_t size;      /* bytes in data[], or SEG_SIZE_VOID */
	uint32_t reserved;
	unsigned char data[];       /* capacity bytes */
};

/*
 * Reader's part of a channel, after the data.  Two lines: the writer loads
 * waiters on every write, so it must not share a line with the counters the
 * reader stores on every read, or each message would bounce that line too.
 */
struct seg_reader {
	_Atomic uint32_t waiters;   /* readers asleep on the futex (rarely written) */
	char pad_w[SEG_CACHE_LINE - sizeof(uint32_t)];
	_Atomic uint64_t read_count; /* written by the reader */
	_Atomic uint64_t missed;
	_Atomic uint64_t retries;
	/* Stamped by eshmd's monitor when it sees the sequence (write) or
	 * read_count (read) move, so the data path reads no clock. */
	_Atomic uint64_t last_write_realtime_ns;
	_Atomic uint64_t last_read_realtime_ns;
} __attribute__((aligned(SEG_CACHE_LINE)));

/* The fixed part in front of the two channels. */
struct seg_fixed {
	struct seg_header header;
	struct seg_daemon daemon;
	struct seg_endpoint endpoint[2];
};

/* A mapped segment: base address plus derived pointers. */
struct seg_map {
	void *base;
	size_t size;
	uint64_t capacity;         /* validated copy of header->capacity: trust this one */
	struct seg_header *header;
	struct seg_daemon *daemon;
	struct seg_endpoint *endpoint[2];
	struct seg_channel *channel[2];
	struct seg_reader *reader[2];
};

/* Bytes of one channel (writer lines + reader line) for @capacity. */
size_t seg_channel_stride(uint64_t capacity);

/* Total object size for @capacity. */
size_t seg_total_size(uint64_t capacity);

/*
 * Fill a fresh header (and zero the rest) in the memory at @base of
 * seg_total_size(@capacity) bytes.  Called by eshmd only, on creation.
 */
void seg_format(void *base, uint64_t capacity, uint64_t generation, uint32_t stale_threshold_ms,
                uint32_t flags, uint32_t owner_uid, uint32_t owner_gid);

/*
 * Validate @size bytes at @base as a segment someone else wrote, and on
 * success fill @map.  Reads every field it trusts once; never faults for a
 * @base of @size readable bytes.
 * Returns 0, ESHM_ERROR_SEGMENT_CORRUPT or ESHM_ERROR_VERSION_MISMATCH.
 */
int seg_validate(void *base, size_t size, struct seg_map *map);

/*
 * Map the segment open on @fd (read-write unless @read_only), check its file
 * size first (so a truncated object is an error, not SIGBUS) and validate it.
 * Returns 0 or a negative ESHM_ERROR_*; on error nothing stays mapped.
 */
int seg_map_fd(int fd, int read_only, struct seg_map *map);

/* Unmap @map (if mapped) and clear it. */
void seg_unmap(struct seg_map *map);

/* Printable name of an endpoint state ("detached", "alive", ...). */
const char *seg_state_name(uint32_t state);

/*
 * The endpoint index of @role: SEG_MASTER for ESHM_ROLE_MASTER, SEG_SLAVE
 * for ESHM_ROLE_SLAVE, -1 for anything else (ESHM_ROLE_AUTO included).
 * @role may come from the wire: any value is safe.
 */
int seg_role_index(uint32_t role);

/* The ESHMRole of endpoint @index (SEG_MASTER or SEG_SLAVE). */
ESHMRole seg_role(int index);

/* The name of endpoint @index: "master" or "slave". */
const char *seg_role_name(int index);

#endif /* ESHM_COMMON_LAYOUT_H */
