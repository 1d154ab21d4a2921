/*
 * fuzz_seg_validate.c - libFuzzer target: what a client, eshmd and
 * eshmctl run on memory someone else wrote.
 *
 *   bytes 0..127     the ident line of a status block (seg_status_validate)
 *   bytes 128..135   a geometry for the channel when the ident is refused
 *                    (or describes a block too large to fuzz quickly), and
 *                    how the reader reads: consumer or not, buffer sizes,
 *                    the consumer's position
 *   bytes 136..      the start of an endpoint block (the rest is zeros)
 *
 * The block is mapped read-only between two inaccessible pages, as a
 * reader maps its peer's block, and read with chan_read() as a reader
 * would, into buffers of exactly the size it claims: a vandal writer must
 * never make a reader crash, loop (libFuzzer's -timeout), write to the
 * block, or copy outside its buffer (AddressSanitizer).  The same bytes
 * then go to a writable copy on which eshmd's repair and a writer whose
 * consumer's position is arbitrary run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "channel.h"
#include "eshm.h"
#include "layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_IDENT 128u
#define FZ_SELECT 8u
#define FZ_HEAD (FZ_IDENT + FZ_SELECT)
#define FZ_BLOCK_MAX (256u * 1024u) /* larger geometries come from the selector */
#define FZ_READS 8

/* A block of @size bytes between two PROT_NONE pages, filled from @data. */
static unsigned char *
fz_block(const uint8_t *data, size_t len, size_t size, int prot)
{
	unsigned char *p = mmap(NULL, size + 2 * SEG_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	                        -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p += SEG_PAGE;
	if (mprotect(p, size, PROT_READ | PROT_WRITE) != 0)
		abort();
	if (len > 0)
		memcpy(p, data, len < size ? len : size);
	if (prot != (PROT_READ | PROT_WRITE) && mprotect(p, size, prot) != 0)
		abort();
	return p;
}

static void
fz_unblock(unsigned char *p, size_t size)
{
	if (p != NULL)
		munmap(p - SEG_PAGE, size + 2 * SEG_PAGE);
}

/* The geometry of the status ident in @data, or the one @sel picks. */
static void
fz_geometry(const uint8_t *data, size_t size, const uint8_t *sel, struct seg_geometry *g)
{
	struct seg_status *st = aligned_alloc(SEG_PAGE, SEG_STATUS_SIZE);
	uint64_t capacity;
	uint32_t mode;
	int rc;

	if (st == NULL)
		abort();
	memset(st, 0, SEG_STATUS_SIZE);
	memcpy(st, data, size < FZ_IDENT ? size : FZ_IDENT);
	rc = seg_status_validate(st, SEG_STATUS_SIZE, g);
	if (rc != ESHM_SUCCESS && rc != ESHM_ERROR_SEGMENT_CORRUPT &&
	    rc != ESHM_ERROR_VERSION_MISMATCH)
		abort();
	/* A shorter mapping is refused whatever it holds. */
	if (seg_status_validate(st, SEG_STATUS_SIZE - 1, g) != ESHM_ERROR_SEGMENT_CORRUPT)
		abort();
	if (rc == ESHM_SUCCESS) {
		/* What the data path relies on. */
		if (g->slots == 0 || (g->slots & (g->slots - 1)) != 0 ||
		    g->capacity + g->data_offset > g->slot_stride ||
		    sizeof(struct seg_block) + (uint64_t)g->slots * g->slot_stride > g->block_size)
			abort();
	}
	free(st);
	if (rc == ESHM_SUCCESS && g->block_size <= FZ_BLOCK_MAX)
		return;
	capacity = 1 + ((uint64_t)sel[0] | (uint64_t)sel[1] << 8) % 2048;
	mode = sel[2] & 1 ? SEG_MODE_QUEUE : SEG_MODE_LATEST;
	if (seg_geometry(capacity, mode, mode == SEG_MODE_QUEUE ? 1 + sel[3] % 64 : 0,
	                 sel[2] & 2 ? SEG_FLAG_TIMESTAMPS : 0, g) != ESHM_SUCCESS)
		abort();
}

/* Read the block as a reader would, checking every answer. */
static void
fz_read(const struct seg_block *b, const struct seg_geometry *g, const uint8_t *sel)
{
	bool consumer = g->mode == SEG_MODE_QUEUE && (sel[4] & 1);
	struct seg_reader *rd = calloc(1, sizeof(*rd));
	struct chan_cursor cur;
	struct chan_msg info;
	int i, rc;

	if (rd == NULL)
		abort();
	chan_cursor_init(&cur, b, g, consumer, sel[5]);
	(void)chan_has_new(b, g, &cur, consumer);
	for (i = 0; i < FZ_READS; i++) {
		size_t len = (size_t)((sel[6] + 37 * i) % (g->capacity + 2));
		unsigned char *buf = malloc(len ? len : 1);
		uint64_t last = cur.last;

		if (buf == NULL)
			abort();
		memset(&info, 0, sizeof(info));
		rc = chan_read(b, g, &cur, consumer, sel[7] & 1 ? rd : NULL, buf, len, &info);
		switch (rc) {
		case ESHM_SUCCESS:
			if (info.size > len || info.size > g->capacity || info.number <= last)
				abort();
			break;
		case ESHM_ERROR_BUFFER_TOO_SMALL:
			if (info.size <= len || info.size > g->capacity || cur.last != last)
				abort();
			break;
		case ESHM_ERROR_CONTENDED:
			abort(); /* nothing writes while this thread reads */
		case ESHM_ERROR_NO_DATA:
		case ESHM_ERROR_SEGMENT_CORRUPT:
			break;
		default:
			abort();
		}
		if (cur.last < last)
			abort();
		free(buf);
	}
	free(rd);
}

/* A writer and eshmd's repair on a writable copy of the block, the
 * consumer's position taken from the block's own reader part. */
static void
fz_write(struct seg_block *b, const struct seg_geometry *g)
{
	unsigned char msg[64] = { 0 };
	struct chan_writer w;
	int i, rc;

	(void)chan_repair(b, g);
	chan_writer_init(&w, b, g);
	for (i = 0; i < 3; i++) {
		rc = chan_write(&w, &b->reader, msg,
		                (uint32_t)(g->capacity < sizeof(msg) ? g->capacity : sizeof(msg)));
		if (rc != ESHM_SUCCESS && rc != ESHM_ERROR_QUEUE_FULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t none[FZ_SELECT];
	const uint8_t *sel = size >= FZ_HEAD ? data + FZ_IDENT : none;
	const uint8_t *bytes = size > FZ_HEAD ? data + FZ_HEAD : NULL;
	size_t len = size > FZ_HEAD ? size - FZ_HEAD : 0;
	struct seg_geometry g;
	unsigned char *ro, *rw;

	fz_geometry(data, size, sel, &g);
	ro = fz_block(bytes, len, g.block_size, PROT_READ);
	rw = fz_block(bytes, len, g.block_size, PROT_READ | PROT_WRITE);
	if (ro == NULL || rw == NULL)
		abort();
	fz_read((const struct seg_block *)ro, &g, sel);
	fz_write((struct seg_block *)rw, &g);
	fz_unblock(ro, g.block_size);
	fz_unblock(rw, g.block_size);
	return 0;
}
