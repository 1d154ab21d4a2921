/*
 * layout.c - geometry, formatting, validation and mapping of the memfds a
 * segment is made of.
 *
 * Whoever maps a block first checks, on the descriptor, that it is a
 * sealed memfd of exactly the expected size: then no holder can shrink it
 * and no access within it can fault.  The status block is validated
 * against the geometry it announces before anything else is read from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "clock.h"
#include "eshm.h"
#include "layout.h"

_Static_assert(sizeof(struct seg_status_ident) == 2 * SEG_CACHE_LINE, "ident is two lines");
_Static_assert(sizeof(struct seg_status_daemon) == SEG_CACHE_LINE, "daemon line");
_Static_assert(sizeof(struct seg_status_verdict) == SEG_CACHE_LINE, "verdict line");
_Static_assert(sizeof(struct seg_status_endpoint) == SEG_CACHE_LINE, "endpoint line");
_Static_assert(sizeof(struct seg_status_observer) == SEG_CACHE_LINE, "observer line");
_Static_assert(sizeof(struct seg_status) <= SEG_STATUS_SIZE, "status fits its page");
_Static_assert(sizeof(struct seg_reader) == 2 * SEG_CACHE_LINE, "reader part is two lines");
_Static_assert(offsetof(struct seg_block, head) == SEG_CACHE_LINE, "head on line 1");
_Static_assert(offsetof(struct seg_block, reader) == 2 * SEG_CACHE_LINE, "reader on line 2");
_Static_assert(sizeof(struct seg_block) == 4 * SEG_CACHE_LINE, "block head is four lines");
_Static_assert(offsetof(struct seg_slot, write_mono_ns) == SEG_SLOT_HEADER,
               "the write time follows the 16-byte header");
_Static_assert(SEG_SLOT_HEADER + 48 == SEG_CACHE_LINE, "48 bytes of data share the header's line");
_Static_assert(sizeof(struct seg_reader) <= SEG_PAGE, "an observer block is one page");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics are lock-free, also across processes");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics are lock-free, also across processes");

#define SEG_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static uint64_t
seg_round_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) / to * to;
}

static uint32_t
seg_pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Slots of a latest-value channel of @stride-byte slots (layout.h). */
static uint32_t
seg_latest_slots(uint32_t stride)
{
	uint32_t slots = SEG_LATEST_SLOTS_MAX;

	while (slots > SEG_LATEST_SLOTS_MIN && (uint64_t)slots * stride > SEG_LATEST_BYTES)
		slots >>= 1;
	return slots;
}

int
seg_geometry(uint64_t capacity, uint32_t mode, uint32_t queue_depth, uint32_t seg_flags,
             struct seg_geometry *g)
{
	if (g == NULL || capacity == 0 || capacity > SEG_CAPACITY_MAX)
		return ESHM_ERROR_INVALID_PARAM;
	if (seg_flags & ~(SEG_FLAG_AUTO_CLEANUP | SEG_FLAG_TIMESTAMPS))
		return ESHM_ERROR_INVALID_PARAM;
	memset(g, 0, sizeof(*g));
	switch (mode) {
	case SEG_MODE_LATEST:
		if (queue_depth != 0)
			return ESHM_ERROR_INVALID_PARAM;
		break;
	case SEG_MODE_QUEUE:
		if (queue_depth == 0 || queue_depth > SEG_QUEUE_DEPTH_MAX)
			return ESHM_ERROR_INVALID_PARAM;
		g->slots = seg_pow2_at_least(queue_depth);
		break;
	default:
		return ESHM_ERROR_INVALID_PARAM;
	}
	g->capacity = capacity;
	g->mode = mode;
	g->queue_depth = queue_depth;
	g->seg_flags = seg_flags;
	g->data_offset = seg_data_offset(capacity, seg_flags);
	g->slot_stride = (uint32_t)seg_round_up(g->data_offset + capacity, SEG_CACHE_LINE);
	if (mode == SEG_MODE_LATEST)
		g->slots = seg_latest_slots(g->slot_stride);
	g->block_size = seg_round_up(sizeof(struct seg_block) + (uint64_t)g->slots * g->slot_stride,
	                             SEG_PAGE);
	g->observer_block_size = SEG_PAGE;
	return ESHM_SUCCESS;
}

uint64_t
seg_cost(const struct seg_geometry *g)
{
	return SEG_STATUS_SIZE + 2 * g->block_size;
}

void
seg_status_format(struct seg_status *st, const struct seg_geometry *g, uint64_t generation,
                  uint32_t default_threshold_ms, uint32_t owner_uid, uint32_t owner_gid)
{
	struct seg_status_ident *id = &st->ident;

	id->version = SEG_LAYOUT_VERSION;
	id->status_size = SEG_STATUS_SIZE;
	id->generation = generation;
	id->capacity = g->capacity;
	id->mode = g->mode;
	id->slots = g->slots;
	id->slot_stride = g->slot_stride;
	id->data_offset = g->data_offset;
	id->block_size = g->block_size;
	id->observer_block_size = g->observer_block_size;
	id->seg_flags = g->seg_flags;
	id->queue_depth = g->queue_depth;
	id->default_threshold_ms = default_threshold_ms;
	id->owner_uid = owner_uid;
	id->owner_gid = owner_gid;
	id->created_realtime_ns = clock_real_ns();
	/* The magic last: a half-formatted block never validates. */
	atomic_thread_fence(memory_order_release);
	id->magic = SEG_STATUS_MAGIC;
}

int
seg_status_validate(const struct seg_status *st, size_t size, struct seg_geometry *g)
{
	const volatile struct seg_status_ident *id;
	struct seg_geometry want;
	uint64_t magic, capacity, block_size;
	uint32_t version, status_size, mode, depth, flags, slots, stride, offset, obs_size;

	if (st == NULL || g == NULL || size < SEG_STATUS_SIZE)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	id = &st->ident;
	/* Each field is read once into a local: the checks must hold for the
	 * values used, whatever the memory holds a moment later. */
	magic = id->magic;
	version = id->version;
	status_size = id->status_size;
	capacity = id->capacity;
	mode = id->mode;
	depth = id->queue_depth;
	flags = id->seg_flags;
	slots = id->slots;
	stride = id->slot_stride;
	offset = id->data_offset;
	block_size = id->block_size;
	obs_size = id->observer_block_size;
	if (magic != SEG_STATUS_MAGIC)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	if (version != SEG_LAYOUT_VERSION)
		return ESHM_ERROR_VERSION_MISMATCH;
	if (status_size != SEG_STATUS_SIZE)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	/* The geometry is derived, never believed: it must be exactly what
	 * the creation parameters give. */
	if (seg_geometry(capacity, mode, depth, flags, &want) != ESHM_SUCCESS)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	if (slots != want.slots || stride != want.slot_stride || offset != want.data_offset ||
	    block_size != want.block_size || obs_size != want.observer_block_size)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	*g = want;
	return ESHM_SUCCESS;
}

/* Check that @fd is a memfd sealed against resizing, of exactly @size bytes. */
static int
seg_check_memfd(int fd, uint64_t size)
{
	struct stat st;
	int seals;

	if (fstat(fd, &st) < 0)
		return ESHM_ERROR_SYSTEM;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & SEG_SEALS) != SEG_SEALS)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	return ESHM_SUCCESS;
}

static int
seg_mmap(int fd, size_t size, bool writable, struct seg_mapping *m)
{
	void *base = mmap(NULL, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd,
	                  0);

	if (base == MAP_FAILED)
		return errno == ENOMEM ? ESHM_ERROR_NO_MEMORY : ESHM_ERROR_SYSTEM;
	m->base = base;
	m->size = size;
	return ESHM_SUCCESS;
}

int
seg_map_status(int fd, bool writable, struct seg_mapping *m, struct seg_geometry *g)
{
	int rc;

	if (fd < 0 || m == NULL || g == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	memset(m, 0, sizeof(*m));
	rc = seg_check_memfd(fd, SEG_STATUS_SIZE);
	if (rc == ESHM_SUCCESS)
		rc = seg_mmap(fd, SEG_STATUS_SIZE, writable, m);
	if (rc == ESHM_SUCCESS) {
		rc = seg_status_validate(seg_status_of(m), m->size, g);
		if (rc != ESHM_SUCCESS)
			seg_unmap(m);
	}
	return rc;
}

int
seg_map_block(int fd, const struct seg_geometry *g, bool observer, bool writable,
              struct seg_mapping *m)
{
	uint64_t size;
	int rc;

	if (fd < 0 || m == NULL || g == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	memset(m, 0, sizeof(*m));
	size = observer ? g->observer_block_size : g->block_size;
	rc = seg_check_memfd(fd, size);
	if (rc == ESHM_SUCCESS)
		rc = seg_mmap(fd, (size_t)size, writable, m);
	return rc;
}

void
seg_unmap(struct seg_mapping *m)
{
	if (m == NULL)
		return;
	if (m->base != NULL)
		munmap(m->base, m->size);
	memset(m, 0, sizeof(*m));
}

int
seg_role_index(uint32_t role)
{
	switch (role) {
	case ESHM_ROLE_MASTER:
		return SEG_MASTER;
	case ESHM_ROLE_SLAVE:
		return SEG_SLAVE;
	default:
		return -1;
	}
}

ESHMRole
seg_role(int index)
{
	return index == SEG_MASTER ? ESHM_ROLE_MASTER : ESHM_ROLE_SLAVE;
}

const char *
seg_role_name(int index)
{
	return index == SEG_MASTER ? "master" : "slave";
}

const char *
seg_state_name(uint32_t state)
{
	switch (state) {
	case SEG_EP_DETACHED:
		return "detached";
	case SEG_EP_ALIVE:
		return "alive";
	case SEG_EP_STALE:
		return "stale";
	case SEG_EP_DEAD:
		return "dead";
	default:
		return "unknown";
	}
}
