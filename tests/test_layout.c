/*
 * test_layout.c - segment layout 3: the geometry of both channel modes,
 * what a segment costs, the validation of a status block someone else
 * wrote, and the checks seg_map_status() and seg_map_block() make on a
 * descriptor before mapping it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "eshm.h"
#include "harness.h"
#include "layout.h"
#include "memfd_util.h"

static uint64_t
round_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) / to * to;
}

static void
check_slots(const struct seg_geometry *g, uint64_t capacity, uint32_t flags)
{
	uint32_t header = flags & SEG_FLAG_TIMESTAMPS ? SEG_SLOT_HEADER_TIMESTAMPED : SEG_SLOT_HEADER;
	/* small messages follow the header; large ones start line-aligned */
	uint32_t offset = capacity < SEG_DATA_ALIGNED_MIN ? header : SEG_CACHE_LINE;

	assert_int_equal(g->capacity, capacity);
	assert_int_equal(g->seg_flags, flags);
	assert_int_equal(g->data_offset, offset);
	assert_int_equal(g->slot_stride % SEG_CACHE_LINE, 0);
	assert_true(g->slot_stride >= offset + capacity);
	assert_true(g->slot_stride < offset + capacity + SEG_CACHE_LINE);
	assert_int_equal(g->block_size,
	                 round_up(sizeof(struct seg_block) + (uint64_t)g->slots * g->slot_stride,
	                          SEG_PAGE));
	assert_int_equal(g->observer_block_size, SEG_PAGE);
}

static void
latest_geometry_has_slots_of_whole_lines_by_capacity(void **state)
{
	static const uint64_t caps[] = { 1, 16, 32, 33, 48, 49, 2048, 4096, 8192, SEG_CAPACITY_MAX };
	/* As many as fit in SEG_LATEST_BYTES, between the bounds. */
	static const uint32_t slots[] = { 32, 32, 32, 32, 32, 32, 32, 16, 8, 4 };
	static const uint32_t flags[] = { 0, SEG_FLAG_TIMESTAMPS,
		                          SEG_FLAG_AUTO_CLEANUP | SEG_FLAG_TIMESTAMPS };
	struct seg_geometry g;
	size_t i, f;

	for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
			assert_int_equal(seg_geometry(caps[i], SEG_MODE_LATEST, 0, flags[f], &g),
			                 ESHM_SUCCESS);
			assert_int_equal(g.mode, SEG_MODE_LATEST);
			assert_int_equal(g.slots, slots[i]);
			assert_int_equal(g.queue_depth, 0);
			check_slots(&g, caps[i], flags[f]);
		}
	}
	/* 48 bytes share the header's line; with timestamps 32 do. */
	assert_int_equal(seg_geometry(48, SEG_MODE_LATEST, 0, 0, &g), ESHM_SUCCESS);
	assert_int_equal(g.slot_stride, SEG_CACHE_LINE);
	assert_int_equal(seg_geometry(49, SEG_MODE_LATEST, 0, 0, &g), ESHM_SUCCESS);
	assert_int_equal(g.slot_stride, 2 * SEG_CACHE_LINE);
	assert_int_equal(seg_geometry(32, SEG_MODE_LATEST, 0, SEG_FLAG_TIMESTAMPS, &g), ESHM_SUCCESS);
	assert_int_equal(g.slot_stride, SEG_CACHE_LINE);
	assert_int_equal(seg_geometry(33, SEG_MODE_LATEST, 0, SEG_FLAG_TIMESTAMPS, &g), ESHM_SUCCESS);
	assert_int_equal(g.slot_stride, 2 * SEG_CACHE_LINE);
}

static void
queue_geometry_rounds_depth_up_to_a_power_of_two(void **state)
{
	static const uint32_t depth[][2] = {
		{ 1, 1 }, { 2, 2 }, { 3, 4 }, { 5, 8 }, { 1000, 1024 }, { 1024, 1024 },
		{ 1025, 2048 }, { SEG_QUEUE_DEPTH_MAX, SEG_QUEUE_DEPTH_MAX },
	};
	struct seg_geometry g;
	size_t i;

	for (i = 0; i < sizeof(depth) / sizeof(depth[0]); i++) {
		assert_int_equal(seg_geometry(64, SEG_MODE_QUEUE, depth[i][0], SEG_FLAG_TIMESTAMPS,
		                              &g),
		                 ESHM_SUCCESS);
		assert_int_equal(g.mode, SEG_MODE_QUEUE);
		assert_int_equal(g.queue_depth, depth[i][0]);
		assert_int_equal(g.slots, depth[i][1]);
		check_slots(&g, 64, SEG_FLAG_TIMESTAMPS);
	}
}

static void
geometry_refuses_what_no_segment_can_have(void **state)
{
	struct seg_geometry g;

	assert_int_equal(seg_geometry(0, SEG_MODE_LATEST, 0, 0, &g), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(seg_geometry(SEG_CAPACITY_MAX + 1, SEG_MODE_LATEST, 0, 0, &g),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(seg_geometry(64, SEG_MODE_LATEST, 4, 0, &g), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(seg_geometry(64, SEG_MODE_QUEUE, 0, 0, &g), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(seg_geometry(64, SEG_MODE_QUEUE, SEG_QUEUE_DEPTH_MAX + 1, 0, &g),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(seg_geometry(64, 2, 0, 0, &g), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(seg_geometry(64, SEG_MODE_LATEST, 0, 0x4, &g), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(seg_geometry(64, SEG_MODE_LATEST, 0, 0, NULL), ESHM_ERROR_INVALID_PARAM);
}

static void
cost_is_the_status_page_and_two_endpoint_blocks(void **state)
{
	struct seg_geometry g;

	/* The figure docs/architecture.md gives: 4 + 2 * 68 KiB. */
	assert_int_equal(seg_geometry(4096, SEG_MODE_LATEST, 0, 0, &g), ESHM_SUCCESS);
	assert_int_equal(g.block_size, 68 * 1024);
	assert_int_equal(seg_cost(&g), 140 * 1024);
	assert_int_equal(seg_geometry(64, SEG_MODE_QUEUE, 1000, 0, &g), ESHM_SUCCESS);
	assert_int_equal(seg_cost(&g), SEG_STATUS_SIZE + 2 * g.block_size);
	assert_int_equal(g.block_size, round_up(256 + 1024 * 128, SEG_PAGE));
}

/* A status page formatted by eshmd's code for @g. */
static struct seg_status *
formatted(const struct seg_geometry *g)
{
	struct seg_status *st = aligned_alloc(SEG_PAGE, SEG_STATUS_SIZE);

	assert_non_null(st);
	memset(st, 0, SEG_STATUS_SIZE);
	seg_status_format(st, g, 7, 100, 1000, 1001);
	return st;
}

static void
formatted_status_validates_to_its_geometry(void **state)
{
	struct seg_geometry g, got;
	struct seg_status *st;

	assert_int_equal(seg_geometry(100, SEG_MODE_QUEUE, 10, SEG_FLAG_TIMESTAMPS, &g),
	                 ESHM_SUCCESS);
	st = formatted(&g);
	assert_int_equal(seg_status_validate(st, SEG_STATUS_SIZE, &got), ESHM_SUCCESS);
	assert_memory_equal(&got, &g, sizeof(g));
	assert_int_equal(st->ident.magic, SEG_STATUS_MAGIC);
	assert_int_equal(st->ident.version, SEG_LAYOUT_VERSION);
	assert_int_equal(st->ident.generation, 7);
	assert_int_equal(st->ident.default_threshold_ms, 100);
	assert_int_equal(st->ident.owner_uid, 1000);
	assert_int_equal(st->ident.owner_gid, 1001);
	assert_true(st->ident.created_realtime_ns > 0);
	/* A mapping shorter than the page, or none, is refused. */
	assert_int_equal(seg_status_validate(st, SEG_STATUS_SIZE - 1, &got),
	                 ESHM_ERROR_SEGMENT_CORRUPT);
	assert_int_equal(seg_status_validate(NULL, SEG_STATUS_SIZE, &got),
	                 ESHM_ERROR_SEGMENT_CORRUPT);
	free(st);
}

/* One field of a formatted ident line set to a value that does not fit
 * the rest. */
struct damage {
	const char *what;
	size_t offset, size;
	uint64_t value;
};

#define DAMAGE(field, v)                                                                           \
	{ #field " " #v, offsetof(struct seg_status_ident, field),                                 \
	  sizeof(((struct seg_status_ident *)0)->field), (uint64_t)(v) }

static void
every_damaged_ident_field_is_refused(void **state)
{
	struct seg_geometry g, got;
	size_t i;

	/* small enough for its data to share the header's line, so the
	 * timestamp flag moves it */
	assert_int_equal(seg_geometry(30, SEG_MODE_QUEUE, 100, SEG_FLAG_TIMESTAMPS, &g),
	                 ESHM_SUCCESS);
	const struct damage damages[] = {
		DAMAGE(magic, SEG_STATUS_MAGIC ^ 1),
		DAMAGE(status_size, 2 * SEG_STATUS_SIZE),
		DAMAGE(capacity, 0),
		DAMAGE(capacity, UINT64_MAX / 2),
		DAMAGE(capacity, 2 * g.capacity),
		DAMAGE(mode, SEG_MODE_LATEST),
		DAMAGE(mode, 9),
		DAMAGE(slots, 2 * g.slots),
		DAMAGE(slot_stride, g.slot_stride + SEG_CACHE_LINE),
		DAMAGE(slot_stride, SEG_SLOT_HEADER),
		DAMAGE(data_offset, SEG_SLOT_HEADER),
		DAMAGE(block_size, g.block_size + SEG_PAGE),
		DAMAGE(block_size, SEG_PAGE),
		DAMAGE(observer_block_size, SEG_CACHE_LINE),
		DAMAGE(seg_flags, 0x80),
		DAMAGE(seg_flags, 0),
		DAMAGE(queue_depth, 0),
		DAMAGE(queue_depth, UINT32_MAX),
		DAMAGE(queue_depth, 3000),
	};

	for (i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		struct seg_status *st = formatted(&g);
		uint32_t v32 = (uint32_t)damages[i].value;

		memcpy((char *)&st->ident + damages[i].offset,
		       damages[i].size == 8 ? (void *)&damages[i].value : (void *)&v32,
		       damages[i].size);
		if (seg_status_validate(st, SEG_STATUS_SIZE, &got) != ESHM_ERROR_SEGMENT_CORRUPT)
			fail_msg("damaged %s was accepted", damages[i].what);
		free(st);
	}
}

static void
other_layout_version_is_a_version_mismatch(void **state)
{
	struct seg_geometry g, got;
	struct seg_status *st;

	assert_int_equal(seg_geometry(64, SEG_MODE_LATEST, 0, 0, &g), ESHM_SUCCESS);
	st = formatted(&g);
	st->ident.version = SEG_LAYOUT_VERSION + 1;
	assert_int_equal(seg_status_validate(st, SEG_STATUS_SIZE, &got),
	                 ESHM_ERROR_VERSION_MISMATCH);
	st->ident.version = 1;
	assert_int_equal(seg_status_validate(st, SEG_STATUS_SIZE, &got),
	                 ESHM_ERROR_VERSION_MISMATCH);
	/* The magic is checked first: a version means nothing without it. */
	st->ident.magic = 0;
	assert_int_equal(seg_status_validate(st, SEG_STATUS_SIZE, &got),
	                 ESHM_ERROR_SEGMENT_CORRUPT);
	free(st);
}

/* A memfd holding a status page formatted for @g. */
static int
status_memfd(const struct seg_geometry *g, uint64_t size, bool seal)
{
	int fd = tm_memfd("eshm-test.status", size, false);
	struct seg_status *st;

	assert_true(fd >= 0);
	st = mmap(NULL, SEG_STATUS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(st != MAP_FAILED);
	seg_status_format(st, g, 3, 100, 0, 0);
	munmap(st, SEG_STATUS_SIZE);
	if (seal)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
		                 0);
	return fd;
}

/* A regular file (not a memfd) of @size bytes, or its formatted status. */
static int
regular_file(const struct seg_geometry *g, uint64_t size)
{
	char path[] = "/tmp/eshm-test-layout.XXXXXX";
	int fd = mkstemp(path);
	struct seg_status *st;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	st = mmap(NULL, SEG_STATUS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(st != MAP_FAILED);
	seg_status_format(st, g, 3, 100, 0, 0);
	munmap(st, SEG_STATUS_SIZE);
	return fd;
}

static void
map_status_takes_a_sealed_memfd_read_only(void **state)
{
	struct seg_geometry g, got;
	struct seg_mapping m;
	int fd, ro;

	assert_int_equal(seg_geometry(200, SEG_MODE_LATEST, 0, 0, &g), ESHM_SUCCESS);
	fd = status_memfd(&g, SEG_STATUS_SIZE, true);
	ro = tm_reopen_read_only(fd);
	assert_true(ro >= 0);
	assert_int_equal(seg_map_status(ro, false, &m, &got), ESHM_SUCCESS);
	assert_non_null(m.base);
	assert_int_equal(m.size, SEG_STATUS_SIZE);
	assert_memory_equal(&got, &g, sizeof(g));
	assert_int_equal(seg_status_of(&m)->ident.generation, 3);
	seg_unmap(&m);
	assert_null(m.base);
	/* A read-only descriptor cannot be mapped writable. */
	assert_int_equal(seg_map_status(ro, true, &m, &got), ESHM_ERROR_SYSTEM);
	assert_null(m.base);
	assert_int_equal(seg_map_status(fd, true, &m, &got), ESHM_SUCCESS);
	seg_unmap(&m);
	close(ro);
	close(fd);
	assert_int_equal(seg_map_status(-1, false, &m, &got), ESHM_ERROR_INVALID_PARAM);
}

static void
map_status_refuses_unsealed_resized_or_foreign_files(void **state)
{
	struct seg_geometry g, got;
	struct seg_mapping m;
	int fd;

	assert_int_equal(seg_geometry(200, SEG_MODE_LATEST, 0, 0, &g), ESHM_SUCCESS);
	/* Unsealed: any holder could truncate it under the mapping. */
	fd = status_memfd(&g, SEG_STATUS_SIZE, false);
	assert_int_equal(seg_map_status(fd, false, &m, &got), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_null(m.base);
	/* Sealed against growing only: it could still shrink. */
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SEAL), 0);
	assert_int_equal(seg_map_status(fd, false, &m, &got), ESHM_ERROR_SEGMENT_CORRUPT);
	close(fd);
	/* Sealed, but not one page. */
	fd = status_memfd(&g, 2 * SEG_STATUS_SIZE, true);
	assert_int_equal(seg_map_status(fd, false, &m, &got), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_null(m.base);
	close(fd);
	/* A regular file cannot be sealed. */
	fd = regular_file(&g, SEG_STATUS_SIZE);
	assert_int_equal(seg_map_status(fd, false, &m, &got), ESHM_ERROR_SEGMENT_CORRUPT);
	close(fd);
	/* Not a file at all. */
	fd = open("/dev/zero", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(seg_map_status(fd, false, &m, &got), ESHM_ERROR_SEGMENT_CORRUPT);
	close(fd);
	/* Sealed and sized, but its content does not validate: unmapped. */
	fd = tm_memfd("eshm-test.blank", SEG_STATUS_SIZE, true);
	assert_true(fd >= 0);
	assert_int_equal(seg_map_status(fd, false, &m, &got), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_null(m.base);
	close(fd);
}

static void
map_block_checks_seals_and_exact_size(void **state)
{
	struct seg_geometry g;
	struct seg_mapping m;
	int fd;

	assert_int_equal(seg_geometry(4096, SEG_MODE_QUEUE, 8, 0, &g), ESHM_SUCCESS);
	fd = tm_memfd("eshm-test.block", g.block_size, true);
	assert_true(fd >= 0);
	assert_int_equal(seg_map_block(fd, &g, false, true, &m), ESHM_SUCCESS);
	assert_int_equal(m.size, g.block_size);
	/* The last byte of the last slot's data lies inside. */
	assert_true((unsigned char *)seg_slot_data(seg_slot_at(seg_block_of(&m), &g, g.slots - 1),
	                                           &g) + g.capacity <=
	            (unsigned char *)m.base + m.size);
	seg_unmap(&m);
	/* An endpoint block is not an observer block. */
	assert_int_equal(seg_map_block(fd, &g, true, false, &m), ESHM_ERROR_SEGMENT_CORRUPT);
	assert_null(m.base);
	close(fd);
	fd = tm_memfd("eshm-test.block", g.block_size + SEG_PAGE, true);
	assert_int_equal(seg_map_block(fd, &g, false, false, &m), ESHM_ERROR_SEGMENT_CORRUPT);
	close(fd);
	fd = tm_memfd("eshm-test.block", g.block_size, false);
	assert_int_equal(seg_map_block(fd, &g, false, false, &m), ESHM_ERROR_SEGMENT_CORRUPT);
	close(fd);
	fd = regular_file(&g, g.block_size);
	assert_int_equal(seg_map_block(fd, &g, false, false, &m), ESHM_ERROR_SEGMENT_CORRUPT);
	close(fd);
	fd = tm_memfd("eshm-test.observer", g.observer_block_size, true);
	assert_int_equal(seg_map_block(fd, &g, true, true, &m), ESHM_SUCCESS);
	assert_int_equal(m.size, SEG_PAGE);
	seg_unmap(&m);
	close(fd);
	assert_int_equal(seg_map_block(-1, &g, false, false, &m), ESHM_ERROR_INVALID_PARAM);
}

/* In a child: map the block read-only and store into it. */
static int
store_through_read_only_mapping(void *arg)
{
	const struct tm_channel *c = arg;
	struct seg_mapping m;
	int ro = tm_reopen_read_only(c->fd);

	if (ro < 0 || seg_map_block(ro, &c->g, false, false, &m) != ESHM_SUCCESS)
		return 1;
	/* cmocka catches SIGSEGV; the child dies of it, without a core. */
	signal(SIGSEGV, SIG_DFL);
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	atomic_store(&seg_block_of(&m)->head, 1);
	return 2;
}

static void
read_only_mapping_cannot_be_written(void **state)
{
	struct tm_channel c;
	void *p;
	int ro;

	assert_int_equal(tm_channel_open(&c, 64, SEG_MODE_LATEST, 0, 0, 0), 0);
	/* The store kills the child with SIGSEGV. */
	assert_int_equal(th_wait_child_within(th_spawn(store_through_read_only_mapping, &c), 10000),
	                 128 + SIGSEGV);
	assert_int_equal(atomic_load(&tm_writer_block(&c)->head), 0);
	/* Nor can a read-only descriptor be mapped writable, or made so. */
	ro = tm_reopen_read_only(c.fd);
	assert_true(ro >= 0);
	p = mmap(NULL, c.g.block_size, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	assert_true(p == MAP_FAILED);
	p = mmap(NULL, c.g.block_size, PROT_READ, MAP_SHARED, ro, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(mprotect(p, c.g.block_size, PROT_READ | PROT_WRITE), -1);
	munmap(p, c.g.block_size);
	close(ro);
	tm_channel_close(&c);
}

static void
state_names_cover_every_state(void **state)
{
	_Atomic uint32_t word = SEG_EP_STALE;

	assert_string_equal(seg_state_name(SEG_EP_DETACHED), "detached");
	assert_string_equal(seg_state_name(SEG_EP_ALIVE), "alive");
	assert_string_equal(seg_state_name(SEG_EP_STALE), "stale");
	assert_string_equal(seg_state_name(SEG_EP_DEAD), "dead");
	assert_string_equal(seg_state_name(42), "unknown");
	assert_int_equal(seg_state_load(&word), SEG_EP_STALE);
	atomic_store(&word, 42);
	assert_int_equal(seg_state_load(&word), SEG_EP_DETACHED);
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
		cmocka_unit_test(latest_geometry_has_slots_of_whole_lines_by_capacity),
		cmocka_unit_test(queue_geometry_rounds_depth_up_to_a_power_of_two),
		cmocka_unit_test(geometry_refuses_what_no_segment_can_have),
		cmocka_unit_test(cost_is_the_status_page_and_two_endpoint_blocks),
		cmocka_unit_test(formatted_status_validates_to_its_geometry),
		cmocka_unit_test(every_damaged_ident_field_is_refused),
		cmocka_unit_test(other_layout_version_is_a_version_mismatch),
		cmocka_unit_test(map_status_takes_a_sealed_memfd_read_only),
		cmocka_unit_test(map_status_refuses_unsealed_resized_or_foreign_files),
		cmocka_unit_test(map_block_checks_seals_and_exact_size),
		cmocka_unit_test(read_only_mapping_cannot_be_written),
		cmocka_unit_test(state_names_cover_every_state),
		cmocka_unit_test(roles_map_to_endpoint_indexes_and_back),
	};

	return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
