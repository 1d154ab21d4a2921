/*
 * test_layout.c - segment sizes, formatting and validation of segments
 * someone else wrote, including truncated and scribbled-on ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "eshm.h"
#include "layout.h"

static void *
fresh_segment(uint64_t capacity)
{
	void *base = aligned_alloc(SEG_CACHE_LINE, seg_total_size(capacity));

	assert_non_null(base);
	seg_format(base, capacity, 7, 100, SEG_FLAG_AUTO_CLEANUP, 1000, 1000);
	return base;
}

static void
sizes_are_whole_lines_and_fit_capacity(void **state)
{
	uint64_t caps[] = {1, 48, 49, 4096, SEG_CAPACITY_MAX};
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t stride = seg_channel_stride(caps[i]);

		assert_int_equal(stride % SEG_CACHE_LINE, 0);
		assert_true(stride >= sizeof(struct seg_channel) + caps[i] + sizeof(struct seg_reader));
		assert_true(stride < sizeof(struct seg_channel) + caps[i] + sizeof(struct seg_reader) +
		                         SEG_CACHE_LINE);
		assert_int_equal(seg_total_size(caps[i]), sizeof(struct seg_fixed) + 2 * stride);
	}
	/* 16 bytes of channel head + 48 bytes of data is exactly one line;
	 * the reader's block adds two more. */
	assert_int_equal(seg_channel_stride(48), 3 * SEG_CACHE_LINE);
	assert_int_equal(seg_channel_stride(49), 4 * SEG_CACHE_LINE);
}

static void
formatted_segment_validates_and_maps_every_block(void **state)
{
	void *base = fresh_segment(100);
	size_t size = seg_total_size(100);
	struct seg_map map;
	char *b = base;
	int i;

	assert_int_equal(seg_validate(base, size, &map), ESHM_SUCCESS);
	assert_ptr_equal(map.base, base);
	assert_int_equal(map.size, size);
	assert_int_equal(map.capacity, 100);
	assert_int_equal(map.header->generation, 7);
	assert_int_equal(map.header->flags, SEG_FLAG_AUTO_CLEANUP);
	assert_int_equal(map.header->owner_uid, 1000);
	for (i = 0; i < 2; i++) {
		char *ch = (char *)map.channel[i], *rd = (char *)map.reader[i];

		assert_int_equal((uintptr_t)ch % SEG_CACHE_LINE, 0);
		assert_int_equal((uintptr_t)rd % SEG_CACHE_LINE, 0);
		/* The reader's line comes after the data, not on it. */
		assert_true(rd >= ch + sizeof(struct seg_channel) + 100);
		assert_true(rd + sizeof(struct seg_reader) <= b + size);
		assert_int_equal(map.channel[i]->seq, 0);
		assert_int_equal(map.endpoint[i]->state, SEG_EP_DETACHED);
	}
	assert_true((char *)map.channel[1] >= (char *)map.reader[0] + sizeof(struct seg_reader));
	free(base);
}

static void
validate_rejects_mapping_shorter_than_segment(void **state)
{
	void *base = fresh_segment(4096);
	struct seg_map map;

	assert_int_equal(seg_validate(base, 0, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_int_equal(seg_validate(base, sizeof(struct seg_header) - 1, &map),
	                 ESHM_ERROR_SEGMENT_CORRUPT);
	assert_int_equal(seg_validate(base, seg_total_size(4096) - 1, &map),
	                 ESHM_ERROR_SEGMENT_CORRUPT);
	assert_int_equal(seg_validate(NULL, 100, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	free(base);
}

static void
validate_rejects_each_damaged_header_field(void **state)
{
	size_t size = seg_total_size(SEG_CAPACITY_MAX);
	struct seg_header *h;
	struct seg_map map;
	void *base = fresh_segment(64);

	h = base;
	h->magic ^= 1;
	assert_int_equal(seg_validate(base, size, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	h->magic ^= 1;
	h->version = 2;
	assert_int_equal(seg_validate(base, size, &map), ESHM_ERROR_VERSION_MISMATCH);
	h->version = SEG_LAYOUT_VERSION;
	h->header_size = 64;
	assert_int_equal(seg_validate(base, size, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	h->header_size = sizeof(struct seg_fixed);
	h->capacity = 0;
	h->total_size = seg_total_size(0);
	assert_int_equal(seg_validate(base, size, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	h->capacity = (uint64_t)SEG_CAPACITY_MAX + 1;
	h->total_size = seg_total_size(h->capacity);
	assert_int_equal(seg_validate(base, size * 2, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	/* A capacity that claims more than the mapping holds. */
	h->capacity = 1024;
	h->total_size = seg_total_size(1024);
	assert_int_equal(seg_validate(base, seg_total_size(64), &map), ESHM_ERROR_SEGMENT_CORRUPT);
	h->capacity = 64;
	h->total_size = seg_total_size(64) + 64;
	assert_int_equal(seg_validate(base, size, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	h->total_size = seg_total_size(64);
	assert_int_equal(seg_validate(base, seg_total_size(64), &map), ESHM_SUCCESS);
	free(base);
}

static int
memfd_segment(uint64_t capacity, off_t truncate_to)
{
	int fd = memfd_create("eshm-test", MFD_CLOEXEC);
	void *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)seg_total_size(capacity)), 0);
	p = mmap(NULL, seg_total_size(capacity), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	seg_format(p, capacity, 3, 50, 0, 0, 0);
	munmap(p, seg_total_size(capacity));
	if (truncate_to >= 0)
		assert_int_equal(ftruncate(fd, truncate_to), 0);
	return fd;
}

static void
map_fd_maps_valid_object_read_write_and_read_only(void **state)
{
	struct seg_map map;
	int fd = memfd_segment(4096, -1);

	assert_int_equal(seg_map_fd(fd, 0, &map), ESHM_SUCCESS);
	assert_int_equal(map.capacity, 4096);
	assert_int_equal(map.header->generation, 3);
	atomic_store(&map.endpoint[SEG_SLAVE]->heartbeat, 5);
	seg_unmap(&map);
	assert_null(map.base);
	assert_int_equal(seg_map_fd(fd, 1, &map), ESHM_SUCCESS);
	assert_int_equal(atomic_load(&map.endpoint[SEG_SLAVE]->heartbeat), 5);
	seg_unmap(&map);
	seg_unmap(&map);
	close(fd);
}

static void
map_fd_rejects_truncated_object_without_faulting(void **state)
{
	struct seg_map map;
	int fd;

	/* Past the header but short of the channels: touching them would
	 * be SIGBUS if the size were not checked. */
	fd = memfd_segment(65536, 4096);
	assert_int_equal(seg_map_fd(fd, 0, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_null(map.base);
	close(fd);
	fd = memfd_segment(4096, 0);
	assert_int_equal(seg_map_fd(fd, 0, &map), ESHM_ERROR_SEGMENT_CORRUPT);
	close(fd);
	assert_int_equal(seg_map_fd(-1, 0, &map), ESHM_ERROR_INVALID_PARAM);
}

static void
state_names_cover_every_state(void **state)
{
	assert_string_equal(seg_state_name(SEG_EP_DETACHED), "detached");
	assert_string_equal(seg_state_name(SEG_EP_ALIVE), "alive");
	assert_string_equal(seg_state_name(SEG_EP_STALE), "stale");
	assert_string_equal(seg_state_name(SEG_EP_DEAD), "dead");
	assert_string_equal(seg_state_name(42), "unknown");
}

static void
roles_map_to_endpoint_indexes_and_back(void **state)
{
	assert_int_equal(seg_role_index(ESHM_ROLE_MASTER), SEG_MASTER);
	assert_int_equal(seg_role_index(ESHM_ROLE_SLAVE), SEG_SLAVE);
	assert_int_equal(seg_role_index(ESHM_ROLE_AUTO), -1);
	assert_int_equal(seg_role_index(3), -1);
	assert_int_equal(seg_role_index(UINT32_MAX), -1);
	assert_int_equal(seg_role(SEG_MASTER), ESHM_ROLE_MASTER);
	assert_int_equal(seg_role(SEG_SLAVE), ESHM_ROLE_SLAVE);
	assert_string_equal(seg_role_name(SEG_MASTER), "master");
	assert_string_equal(seg_role_name(SEG_SLAVE), "slave");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_are_whole_lines_and_fit_capacity),
		cmocka_unit_test(formatted_segment_validates_and_maps_every_block),
		cmocka_unit_test(validate_rejects_mapping_shorter_than_segment),
		cmocka_unit_test(validate_rejects_each_damaged_header_field),
		cmocka_unit_test(map_fd_maps_valid_object_read_write_and_read_only),
		cmocka_unit_test(map_fd_rejects_truncated_object_without_faulting),
		cmocka_unit_test(state_names_cover_every_state),
		cmocka_unit_test(roles_map_to_endpoint_indexes_and_back),
	};

	return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
