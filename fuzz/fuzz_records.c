/*
 * fuzz_records.c - libFuzzer target: the parser of eshmd's records, which
 * a restarted eshmd reads back.  Only eshmd writes them, but a damaged or
 * truncated file must be refused, never trusted: whatever rec_parse()
 * accepts has a valid name and geometry, known states, and formats back
 * to text that parses to the same record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eshm.h"
#include "layout.h"
#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_segment r, again;
	struct seg_geometry g;
	char why[128], text[4096];
	int n, i;

	if (rec_parse((const char *)data, size, &r, why, sizeof(why)) != 0) {
		if (memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		return 0;
	}
	if (proto_name_valid(r.name) != ESHM_SUCCESS ||
	    seg_geometry(r.capacity, r.mode, r.queue_depth, r.seg_flags, &g) != ESHM_SUCCESS)
		abort();
	for (i = 0; i < 2; i++)
		if (r.ep[i].state > SEG_EP_DEAD)
			abort();
	n = rec_format(&r, text, sizeof(text));
	if (n < 0 || rec_parse(text, (size_t)n, &again, why, sizeof(why)) != 0 ||
	    memcmp(&r, &again, sizeof(r)) != 0)
		abort();
	return 0;
}
