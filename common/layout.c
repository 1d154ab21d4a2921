/*
 * layout.c - sizes, formatting, validation and mapping of a segment.
 *
 * Whoever maps a segment trusts nothing in it before seg_validate() has
 * checked it against the size of the mapping: the object may have been
 * truncated, written by another version, or scribbled on.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "eshm.h"
#include "clock.h"
#include "layout.h"

_Static_assert(sizeof(struct seg_header) == SEG_CACHE_LINE, "header is one line");
_Static_assert(sizeof(struct seg_daemon) == SEG_CACHE_LINE, "daemon block is one line");
_Static_assert(sizeof(struct seg_endpoint) == 2 * SEG_CACHE_LINE, "endpoint is two lines");
_Static_assert(sizeof(struct seg_reader) == 2 * SEG_CACHE_LINE, "reader block is two lines");
_Static_assert(sizeof(struct seg_fixed) % SEG_CACHE_LINE == 0, "channels start on a line");
_Static_assert(sizeof(struct seg_channel) == 16, "channel head is 16 bytes: 48 bytes of data share its line");

static size_t
seg_round_line(uint64_t n)
{
	return (size_t)((n + SEG_CACHE_LINE - 1) / SEG_CACHE_LINE * SEG_CACHE_LINE);
}

size_t
seg_channel_stride(uint64_t capacity)
{
	return seg_round_line(sizeof(struct seg_channel) + capacity) + sizeof(struct seg_reader);
}

size_t
seg_total_size(uint64_t capacity)
{
	return sizeof(struct seg_fixed) + 2 * seg_channel_stride(capacity);
}

/* Derive every pointer of @map from @base and a capacity already checked. */
static void
seg_fill_map(struct seg_map *map, void *base, size_t size, uint64_t capacity)
{
	unsigned char *p = base;
	size_t stride = seg_channel_stride(capacity);
	size_t writer = stride - sizeof(struct seg_reader);
	int i;

	memset(map, 0, sizeof(*map));
	map->base = base;
	map->size = size;
	map->capacity = capacity;
	map->header = &((struct seg_fixed *)base)->header;
	map->daemon = &((struct seg_fixed *)base)->daemon;
	for (i = 0; i < 2; i++) {
		map->endpoint[i] = &((struct seg_fixed *)base)->endpoint[i];
		map->channel[i] = (struct seg_channel *)(p + sizeof(struct seg_fixed) + i * stride);
		map->reader[i] = (struct seg_reader *)(p + sizeof(struct seg_fixed) + i * stride + writer);
	}
}

void
seg_format(void *base, uint64_t capacity, uint64_t generation, uint32_t stale_threshold_ms,
           uint32_t flags, uint32_t owner_uid, uint32_t owner_gid)
{
	struct seg_header *h = base;

	memset(base, 0, seg_total_size(capacity));
	h->magic = SEG_MAGIC;
	h->version = SEG_LAYOUT_VERSION;
	h->header_size = (uint32_t)sizeof(struct seg_fixed);
	h->capacity = capacity;
	h->total_size = seg_total_size(capacity);
	h->generation = generation;
	h->created_realtime_ns = clock_real_ns();
	h->stale_threshold_ms = stale_threshold_ms;
	h->owner_uid = owner_uid;
	h->owner_gid = owner_gid;
	atomic_store_explicit(&h->flags, flags, memory_order_release);
}

int
seg_validate(void *base, size_t size, struct seg_map *map)
{
	const volatile struct seg_header *h = base;
	uint64_t magic, capacity, total;
	uint32_t version, header_size;

	if (base == NULL || map == NULL || size < sizeof(struct seg_header))
		return ESHM_ERROR_SEGMENT_CORRUPT;
	/* Each field is read once into a local: the memory is shared and the
	 * checks must hold for the values actually used. */
	magic = h->magic;
	version = h->version;
	header_size = h->header_size;
	capacity = h->capacity;
	total = h->total_size;
	if (magic != SEG_MAGIC)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	if (version != SEG_LAYOUT_VERSION)
		return ESHM_ERROR_VERSION_MISMATCH;
	if (header_size != sizeof(struct seg_fixed))
		return ESHM_ERROR_SEGMENT_CORRUPT;
	if (capacity == 0 || capacity > SEG_CAPACITY_MAX)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	if (total != seg_total_size(capacity) || total > size)
		return ESHM_ERROR_SEGMENT_CORRUPT;
	seg_fill_map(map, base, size, capacity);
	return ESHM_SUCCESS;
}

int
seg_map_fd(int fd, int read_only, struct seg_map *map)
{
	struct stat st;
	void *base;
	int rc;

	if (fd < 0 || map == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	memset(map, 0, sizeof(*map));
	if (fstat(fd, &st) < 0)
		return ESHM_ERROR_SYSTEM;
	/* Size first: touching a page past the end of the object is SIGBUS. */
	if (st.st_size < (off_t)seg_total_size(1) ||
	    st.st_size > (off_t)seg_total_size(SEG_CAPACITY_MAX))
		return ESHM_ERROR_SEGMENT_CORRUPT;
	base = mmap(NULL, (size_t)st.st_size, read_only ? PROT_READ : PROT_READ | PROT_WRITE,
	            MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return errno == ENOMEM ? ESHM_ERROR_NO_MEMORY : ESHM_ERROR_SYSTEM;
	rc = seg_validate(base, (size_t)st.st_size, map);
	if (rc != ESHM_SUCCESS) {
		munmap(base, (size_t)st.st_size);
		memset(map, 0, sizeof(*map));
	}
	return rc;
}

void
seg_unmap(struct seg_map *map)
{
	if (map == NULL)
		return;
	if (map->base != NULL)
		munmap(map->base, map->size);
	memset(map, 0, sizeof(*map));
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
