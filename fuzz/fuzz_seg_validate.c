/*
 * fuzz_seg_validate.c - libFuzzer target: the header check a client, eshmd
 * (on adoption) and eshmctl run on a segment someone else wrote.
 *
 * The input is the whole object.  When seg_validate() accepts it, every
 * pointer of the map must lie inside the object: the target touches the
 * first and last byte of each block and of each channel's data, as the data
 * path will, so a validation that trusts a bad capacity or size is an
 * AddressSanitizer report here instead of a SIGSEGV in production.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eshm.h"
#include "layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_touch(const struct seg_map *m, const void *p, size_t n)
{
	const unsigned char *b = p;
	const unsigned char *base = m->base;
	volatile unsigned char sink;

	if (b < base || n > m->size || (size_t)(b - base) > m->size - n)
		abort();
	if (n > 0) {
		sink = b[0];
		sink = b[n - 1];
		(void)sink;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seg_map map;
	void *copy = NULL;
	int rc, i;

	/* Segments are mapped on a page boundary; 64 is what the layout needs.
	 * The allocation is exactly @size bytes so any overread is reported. */
	if (posix_memalign(&copy, SEG_CACHE_LINE, size ? size : 1) != 0)
		return 0;
	memcpy(copy, data, size);
	memset(&map, 0, sizeof(map));
	rc = seg_validate(copy, size, &map);
	if (rc == ESHM_SUCCESS) {
		if (map.base != copy || map.capacity == 0 || map.capacity > SEG_CAPACITY_MAX)
			abort();
		if (seg_total_size(map.capacity) > size)
			abort();
		fz_touch(&map, map.header, sizeof(*map.header));
		fz_touch(&map, map.daemon, sizeof(*map.daemon));
		for (i = 0; i < 2; i++) {
			fz_touch(&map, map.endpoint[i], sizeof(*map.endpoint[i]));
			fz_touch(&map, map.channel[i], sizeof(*map.channel[i]) + map.capacity);
			fz_touch(&map, map.reader[i], sizeof(*map.reader[i]));
			if ((const unsigned char *)map.reader[i] <
			    map.channel[i]->data + map.capacity)
				abort();
		}
		(void)seg_state_name(atomic_load(&map.endpoint[0]->state));
	} else if (rc != ESHM_ERROR_SEGMENT_CORRUPT && rc != ESHM_ERROR_VERSION_MISMATCH) {
		abort();
	}
	free(copy);
	return 0;
}
