/*
 * layout.h - segment layout 3, defined once for eshmd, libeshm-client and
 * eshmctl.  Bump SEG_LAYOUT_VERSION on any change.
 *
 * A segment is several memfds, each with exactly one writer (see
 * docs/architecture.md, "Segment layout 3"):
 *
 *   status block     written by eshmd; everyone else maps it read-only
 *   endpoint block   one per role holder (master, slave): its heartbeat,
 *                    its channel (slots), and its reader state for the
 *                    other direction; the peer maps it read-only
 *   observer block   one per observer: its reader state only
 *
 * Every structure starts on its own 64-byte cache line.  What a writer
 * stores on every message and what a reader stores on every read never
 * share a line; a message of up to 48 bytes shares its line with the
 * slot's header.
 *
 * Nothing read from a block someone else writes is trusted: values are
 * loaded once, checked against the geometry validated at attach, and never
 * used to size or index memory unchecked.
 */
#ifndef ESHM_COMMON_LAYOUT_H
#define ESHM_COMMON_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "eshm.h"

#define SEG_CACHE_LINE 64
#define SEG_PAGE 4096u
/* The status memfd is one page. */
#define SEG_STATUS_SIZE SEG_PAGE
#define SEG_LAYOUT_VERSION 3u
#define SEG_STATUS_MAGIC UINT64_C(0x3230545348534500) /* "\0ESHST02" */

#define SEG_CAPACITY_DEFAULT 4096u
#define SEG_CAPACITY_MAX (16u * 1024u * 1024u)

/*
 * Slots of a latest-value channel: a writer at full speed must publish
 * slots - 1 messages during one reader's copy to overlap it.  A reader's
 * copy waits for at least one cache-line transfer from the writer's CPU
 * (around 100 ns on a virtual machine), which a writer of small messages
 * at 10-15 ns each outruns with few slots: as many slots as fit in
 * SEG_LATEST_BYTES, a power of two between the two bounds (32 up to a
 * capacity of 4,032 bytes, 16 at 4 KiB, 8 at 8 KiB, 4 from 16 KiB on,
 * where the writer's own copy is as slow as the reader's).
 */
#define SEG_LATEST_SLOTS_MIN 4u
#define SEG_LATEST_SLOTS_MAX 32u
#define SEG_LATEST_BYTES (128u * 1024u)
/* Largest queue depth (messages). */
#define SEG_QUEUE_DEPTH_MAX ESHM_QUEUE_DEPTH_MAX
/* Observer slots in the status block (eshmd.conf max_observers caps it lower). */
#define SEG_OBSERVERS_MAX 32u

/* Role index: also the writer of channel [index]. */
enum seg_role_index { SEG_MASTER = 0, SEG_SLAVE = 1 };

/* Channel index: master_to_slave is written by the master. */
enum seg_channel_index { SEG_M2S = SEG_MASTER, SEG_S2M = SEG_SLAVE };

enum seg_mode { SEG_MODE_LATEST = 0, SEG_MODE_QUEUE = 1 };

/* Endpoint (and observer) state, written by eshmd only. */
enum seg_endpoint_state {
	SEG_EP_DETACHED = 0, /* nobody, or it detached cleanly */
	SEG_EP_ALIVE = 1,
	SEG_EP_STALE = 2,    /* heartbeat unchanged for the threshold */
	SEG_EP_DEAD = 3,     /* the kernel says its process exited */
};

/* seg_status_ident.seg_flags: chosen at creation. */
#define SEG_FLAG_AUTO_CLEANUP 0x1u /* removed once no endpoint is left */
#define SEG_FLAG_TIMESTAMPS 0x2u   /* slots carry the write time */

/* seg_status_verdict.flags */
#define SEG_VERDICT_REVOKED 0x1u   /* removed by an operator: endpoints stop */

/* A slot's sequence for message m: 2m - 1 while written, 2m complete;
 * with this bit, message m never completed (repair, cancelled loan). */
#define SEG_SEQ_VOID (UINT64_C(1) << 63)

/* ---------------------------------------------------------------- status */

struct seg_status_ident {
	uint64_t magic;               /* SEG_STATUS_MAGIC */
	uint32_t version;             /* SEG_LAYOUT_VERSION */
	uint32_t status_size;         /* bytes of the status memfd */
	uint64_t generation;          /* unique per creation of a name */
	uint64_t capacity;            /* largest message, bytes */
	uint32_t mode;                /* enum seg_mode */
	uint32_t slots;               /* per channel */
	uint32_t slot_stride;         /* bytes from one slot to the next */
	uint32_t data_offset;         /* bytes from a slot to its data */
	uint64_t block_size;          /* bytes of an endpoint block memfd */
	uint32_t observer_block_size; /* bytes of an observer block memfd */
	uint32_t seg_flags;           /* SEG_FLAG_* */
	uint32_t queue_depth;         /* queue mode: messages; else 0 */
	uint32_t default_threshold_ms;
	uint32_t owner_uid;           /* display only: eshmd decides from its records */
	uint32_t owner_gid;
	uint64_t created_realtime_ns;
} __attribute__((aligned(SEG_CACHE_LINE)));

struct seg_status_daemon {
	_Atomic uint64_t pass;            /* +1 per monitor pass */
	_Atomic uint64_t pass_mono_ns;    /* CLOCK_MONOTONIC of the last pass */
	_Atomic uint32_t check_interval_ms;
	_Atomic int32_t pid;              /* eshmd's pid */
} __attribute__((aligned(SEG_CACHE_LINE)));

/* Loaded by every data-path call: written only when something changes. */
struct seg_status_verdict {
	_Atomic uint32_t flags;           /* SEG_VERDICT_* */
	_Atomic uint32_t observers;       /* attached observers */
	_Atomic uint32_t state[2];        /* per role, enum seg_endpoint_state */
	_Atomic uint64_t incarnation[2];  /* per role: attaches so far; 0 = never */
	/* per channel: nonzero while eshmd vouches that no observer of it
	 * waits for a wake, so its writer need not look (see
	 * docs/architecture.md, "Observers' wakes"); 0 in a block an older
	 * eshmd wrote, where the writer always looks */
	_Atomic uint32_t observers_quiet[2];
} __attribute__((aligned(SEG_CACHE_LINE)));

struct seg_status_endpoint {
	_Atomic int32_t pid;
	_Atomic uint32_t uid;
	_Atomic uint64_t start_time;      /* /proc/PID/stat field 22 */
	_Atomic uint32_t threshold_ms;    /* how long it tolerates its peer's silence */
	_Atomic uint32_t judged_ms;       /* the threshold its own verdict uses */
	_Atomic uint32_t silent_ms;       /* eshmd's counted silence */
	_Atomic uint32_t period_us;       /* its heartbeat period, 0 = no thread */
	_Atomic uint64_t attach_realtime_ns;
	_Atomic uint64_t heartbeat_rate;  /* beats per second, eshmd's estimate */
} __attribute__((aligned(SEG_CACHE_LINE)));

struct seg_status_observer {
	_Atomic uint32_t state;           /* enum seg_endpoint_state */
	_Atomic int32_t pid;
	_Atomic uint32_t uid;
	_Atomic uint32_t observed;        /* role index of the channel it reads */
	_Atomic uint64_t incarnation;
	_Atomic uint64_t attach_realtime_ns;
} __attribute__((aligned(SEG_CACHE_LINE)));

struct seg_status {
	struct seg_status_ident ident;
	struct seg_status_daemon daemon;
	struct seg_status_verdict verdict;
	struct seg_status_endpoint endpoint[2];
	struct seg_status_observer observer[SEG_OBSERVERS_MAX];
};

/* ---------------------------------------------------------------- blocks */

/*
 * A reader part's waits word: one bit per thread of the reader's that may
 * want the writer's wake, in one word so a writer pays one load per reader
 * (and per observer) after each publish.  The low 32 bits and the high 32
 * bits are where layout 3 first kept two 32-bit words; the meaning
 * (nonzero: wake) is unchanged.
 */
#define SEG_WAITS_ASLEEP 1ull               /* a reading thread sleeps on the writer's head */
#define SEG_WAITS_ARMED (1ull << 32)        /* its event thread wants the descriptor signalled */

/* What a reader writes: in its endpoint block, or an observer's block. */
struct seg_reader {
	/* first line: the peer writer loads it after every publish */
	_Atomic uint64_t waits;           /* SEG_WAITS_*: nonzero, someone wants a wake */
	_Atomic uint32_t room_seq;        /* queue's consumer: +1 per wake of a writer waiting for room */
	char pad_w[SEG_CACHE_LINE - sizeof(uint64_t) - sizeof(uint32_t)];
	/* second line: stored on every read */
	_Atomic uint64_t position;        /* last message number consumed */
	_Atomic uint64_t reads;
	_Atomic uint64_t missed;
	_Atomic uint64_t retries;         /* copies redone because a write overlapped */
	_Atomic uint64_t contended;       /* reads that gave up under contention */
	_Atomic uint64_t position_of;     /* queue: incarnation of the writer block position counts */
} __attribute__((aligned(SEG_CACHE_LINE)));

/* The head of an endpoint block; its slots follow. */
struct seg_block {
	/* line 0: stored once a heartbeat period, and when the writer waits,
	 * so a queue's consumer loads room_wait after each read from a line
	 * that is almost always in its cache */
	_Atomic uint64_t heartbeat;       /* the holder's heartbeat */
	_Atomic uint32_t room_wait;       /* queue: writer asleep waiting for room */
	_Atomic uint32_t room_armed;      /* queue: writer wants its descriptor signalled */
	/* CLOCK_MONOTONIC of the last beat, stored before the counter by the
	 * heartbeat thread; 0 (as an older library leaves it): not dated */
	_Atomic uint64_t beat_mono_ns;
	char pad_b[SEG_CACHE_LINE - 2 * sizeof(uint64_t) - 2 * sizeof(uint32_t)];
	_Atomic uint64_t head;            /* line 1: last message number published */
	char pad_h[SEG_CACHE_LINE - sizeof(uint64_t)];
	struct seg_reader reader;         /* lines 2-3: reading the other direction */
};

/*
 * A slot's header; data follows at the geometry's data_offset (see
 * seg_data_offset()).  With timestamps the 8 bytes after the size hold the
 * CLOCK_MONOTONIC time of the write, stored inside the write's sequence
 * window like the data.
 */
struct seg_slot {
	_Atomic uint64_t seq;             /* see SEG_SEQ_VOID */
	_Atomic uint32_t size;            /* bytes of data */
	uint32_t reserved;
	_Atomic uint64_t write_mono_ns;   /* only with SEG_FLAG_TIMESTAMPS */
};
#define SEG_SLOT_HEADER 16u              /* bytes before the data without timestamps */
#define SEG_SLOT_HEADER_TIMESTAMPED 32u  /* with them (16-byte aligned data) */

/* From this capacity on, a slot's data starts on a cache line of its own. */
#define SEG_DATA_ALIGNED_MIN 256u

/*
 * Where a slot's data starts: right after the header (16 bytes, 32 with
 * timestamps) for capacities below SEG_DATA_ALIGNED_MIN, so a message of
 * up to 48 bytes and its header share one cache line and a small one
 * costs as few lines as it can (a queue of 64-byte messages is about 20 %
 * slower with its data on a line of its own); from there on, on the
 * slot's second line, so every copy in and out is cache-line aligned (an
 * unaligned 4 KiB copy costs about 40 % more), which costs no memory for a
 * capacity that is a multiple of the line.
 */
static inline uint32_t
seg_data_offset(uint64_t capacity, uint32_t seg_flags)
{
	uint32_t header = seg_flags & SEG_FLAG_TIMESTAMPS ? SEG_SLOT_HEADER_TIMESTAMPED
	                                                  : SEG_SLOT_HEADER;

	return capacity < SEG_DATA_ALIGNED_MIN ? header : SEG_CACHE_LINE;
}

/* ---------------------------------------------------------------- geometry */

/* What a segment looks like, derived from its creation parameters only. */
struct seg_geometry {
	uint64_t capacity;
	uint32_t mode;
	uint32_t queue_depth;
	uint32_t slots;
	uint32_t slot_stride;
	uint32_t data_offset;
	uint32_t seg_flags;
	uint64_t block_size;
	uint32_t observer_block_size;
};

/*
 * Compute @g for @capacity (1..SEG_CAPACITY_MAX), @mode, @queue_depth
 * (queue mode: 1..SEG_QUEUE_DEPTH_MAX) and @seg_flags.  Returns 0 or
 * ESHM_ERROR_INVALID_PARAM.
 */
int seg_geometry(uint64_t capacity, uint32_t mode, uint32_t queue_depth, uint32_t seg_flags,
                 struct seg_geometry *g);

/* Bytes charged for a whole segment of geometry @g (status and two blocks). */
uint64_t seg_cost(const struct seg_geometry *g);

/*
 * Fill the ident line of a fresh status block at @st (eshmd only, at
 * creation; the memfd is all zeros before).
 */
void seg_status_format(struct seg_status *st, const struct seg_geometry *g,
                       uint64_t generation, uint32_t default_threshold_ms, uint32_t owner_uid,
                       uint32_t owner_gid);

/*
 * Validate the status block mapped at @st (@size bytes) and fill @g from it.
 * Reads every field once; never faults for @size readable bytes.
 * Returns 0, ESHM_ERROR_SEGMENT_CORRUPT or ESHM_ERROR_VERSION_MISMATCH.
 */
int seg_status_validate(const struct seg_status *st, size_t size, struct seg_geometry *g);

/* Slot @i of the endpoint block at @b (@i < g->slots). */
static inline struct seg_slot *
seg_slot_at(struct seg_block *b, const struct seg_geometry *g, uint32_t i)
{
	return (struct seg_slot *)((unsigned char *)b + sizeof(struct seg_block) +
	                           (size_t)i * g->slot_stride);
}

/* The data of slot @s. */
static inline unsigned char *
seg_slot_data(struct seg_slot *s, const struct seg_geometry *g)
{
	return (unsigned char *)s + g->data_offset;
}

/* A mapped memfd. */
struct seg_mapping {
	void *base;
	size_t size;
};

/*
 * Map the status block open on @fd (read-only unless @writable: eshmd
 * only), after checking with fstat and F_GET_SEALS that it is a sealed
 * memfd of SEG_STATUS_SIZE bytes, then validate it and fill @g.
 * Returns 0, ESHM_ERROR_SEGMENT_CORRUPT, ESHM_ERROR_VERSION_MISMATCH,
 * ESHM_ERROR_NO_MEMORY or ESHM_ERROR_SYSTEM; on error nothing stays mapped.
 */
int seg_map_status(int fd, bool writable, struct seg_mapping *m, struct seg_geometry *g);

/*
 * Map the endpoint block (@observer false) or observer block open on @fd,
 * after checking it is a sealed memfd of exactly the size @g gives.
 * Returns as seg_map_status().
 */
int seg_map_block(int fd, const struct seg_geometry *g, bool observer, bool writable,
                  struct seg_mapping *m);

/* Unmap @m if mapped and clear it. */
void seg_unmap(struct seg_mapping *m);

/* The status block of mapping @m. */
static inline struct seg_status *
seg_status_of(const struct seg_mapping *m)
{
	return (struct seg_status *)m->base;
}

/* The endpoint block of mapping @m. */
static inline struct seg_block *
seg_block_of(const struct seg_mapping *m)
{
	return (struct seg_block *)m->base;
}

/* The reader part of an observer block mapping @m. */
static inline struct seg_reader *
seg_observer_of(const struct seg_mapping *m)
{
	return (struct seg_reader *)m->base;
}

/*
 * A state loaded from the status block, as an enum value: anything out of
 * range (the block is eshmd's, but a root vandal may scribble on it) reads
 * as detached.
 */
static inline uint32_t
seg_state_load(const _Atomic uint32_t *state)
{
	uint32_t s = atomic_load_explicit(state, memory_order_acquire);

	return s <= SEG_EP_DEAD ? s : SEG_EP_DETACHED;
}

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
