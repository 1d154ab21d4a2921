/*
 * eshm_seqlock.c - the channel itself (common/channel.h), without eshmd
 * or the library around it:
 *
 *  - what one chan_write() and one chan_read() cost when nothing else
 *    touches the channel, next to a plain memcpy of the size and to the
 *    same copies into and out of a ring shaped as the channel's slots
 *    (copycost.c; one mapping, as both sides here map the block once),
 *    and again with the reader reading through a second mapping of the
 *    block, as two handles of one process do: one thread pinned to one
 *    CPU, every line in its caches;
 *  - a writer flat out (CPU 0) against a reader spinning on chan_read()
 *    (CPU 1) on a latest-value channel: successful reads per second and
 *    the share of copies a write overlapped, as two threads and as two
 *    processes;
 *  - a queue's one-way throughput against a plain single-producer
 *    single-consumer ring of the same depth written here, the two run in
 *    alternating blocks so each ratio divides figures taken side by side.
 *
 * Everything lives in one shared anonymous mapping, so the two sides can
 * be threads or forked processes alike.
 */
#include "bench.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "layout.h"

#define SQ_QUEUE_MSG 64u

/* The shared mapping: the control words, then the blocks. */
struct sq_arena {
	struct seg_geometry g;
	_Atomic int ready;            /* sides ready to go */
	_Atomic int go;               /* 1: run; 2: stop */
	uint64_t size;                /* message bytes */
	uint64_t messages;            /* queue runs: how many */
	/* what the sides measured */
	uint64_t written, reads, retries, contended, ns;
	unsigned char *writer_block;  /* g.block_size bytes */
	unsigned char *reader_block;  /* the reader's own block (its reader part) */
	unsigned char *ring;          /* the plain ring */
	size_t bytes;
};

/* The plain SPSC ring the queue is measured against: indices on lines of
 * their own, each side caching the other's; the writer copies each
 * message into its slot and the reader out of it, as the queue's do. */
struct sq_ring {
	_Alignas(SEG_CACHE_LINE) _Atomic uint64_t head;
	_Alignas(SEG_CACHE_LINE) _Atomic uint64_t tail;
	_Alignas(SEG_CACHE_LINE) unsigned char slot[][SQ_QUEUE_MSG];
};

static struct sq_arena *
sq_arena_new(uint64_t capacity, uint32_t mode, uint32_t depth)
{
	struct seg_geometry g;
	struct sq_arena *a;
	size_t ring, bytes;

	if (seg_geometry(capacity, mode, depth, 0, &g) != ESHM_SUCCESS)
		return NULL;
	ring = sizeof(struct sq_ring) + (size_t)g.slots * SQ_QUEUE_MSG;
	bytes = SEG_PAGE + 2 * g.block_size + (ring + SEG_PAGE - 1) / SEG_PAGE * SEG_PAGE;
	a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return NULL;
	a->g = g;
	a->bytes = bytes;
	a->writer_block = (unsigned char *)a + SEG_PAGE;
	a->reader_block = a->writer_block + g.block_size;
	a->ring = a->reader_block + g.block_size;
	return a;
}

/* Fresh blocks and counters for the next run. */
static void
sq_arena_reset(struct sq_arena *a)
{
	memset(a->writer_block, 0, (size_t)(a->bytes - SEG_PAGE));
	atomic_store(&a->ready, 0);
	atomic_store(&a->go, 0);
	a->written = a->reads = a->retries = a->contended = a->ns = 0;
}

static struct seg_reader *
sq_reader_part(const struct sq_arena *a)
{
	return &((struct seg_block *)a->reader_block)->reader;
}

/* Say ready, and wait for the start. */
static void
sq_ready(struct sq_arena *a)
{
	atomic_fetch_add(&a->ready, 1);
	while (atomic_load_explicit(&a->go, memory_order_acquire) == 0)
		;
}

static bool
sq_running(struct sq_arena *a)
{
	return atomic_load_explicit(&a->go, memory_order_relaxed) == 1;
}

/* ---------------------------------------------------------------- sides */

static void
sq_latest_writer(struct sq_arena *a)
{
	unsigned char *src = calloc(1, a->size);
	struct chan_writer w;

	bench_pin(BENCH_MASTER_CPU);
	chan_membarrier_setup();
	chan_writer_init(&w, (struct seg_block *)a->writer_block, &a->g);
	sq_ready(a);
	while (src != NULL && sq_running(a)) {
		chan_write(&w, NULL, src, (uint32_t)a->size);
		if (chan_reader_waits(sq_reader_part(a)))
			chan_wake((struct seg_block *)a->writer_block);
	}
	a->written = w.last;
	free(src);
}

static void
sq_latest_reader(struct sq_arena *a)
{
	const struct seg_block *b = (const struct seg_block *)a->writer_block;
	unsigned char *dst = malloc(a->size);
	struct chan_cursor cur;

	bench_pin(BENCH_SLAVE_CPU);
	chan_cursor_init(&cur, b, &a->g, false, 0);
	sq_ready(a);
	while (dst != NULL && sq_running(a)) {
		chan_read(b, &a->g, &cur, false, sq_reader_part(a), dst, a->size, NULL);
		BENCH_USE(dst);
	}
	a->reads = cur.reads;
	a->retries = cur.retries;
	a->contended = cur.contended;
	free(dst);
}

static void
sq_queue_writer(struct sq_arena *a)
{
	unsigned char src[SQ_QUEUE_MSG] = { 0 };
	struct chan_writer w;

	bench_pin(BENCH_MASTER_CPU);
	chan_membarrier_setup();
	chan_writer_init(&w, (struct seg_block *)a->writer_block, &a->g);
	sq_ready(a);
	while (w.last < a->messages) {
		if (chan_write(&w, sq_reader_part(a), src, SQ_QUEUE_MSG) != ESHM_SUCCESS)
			continue;
		if (chan_reader_waits(sq_reader_part(a)))
			chan_wake((struct seg_block *)a->writer_block);
	}
	a->written = w.last;
}

static void
sq_queue_reader(struct sq_arena *a)
{
	const struct seg_block *b = (const struct seg_block *)a->writer_block;
	unsigned char dst[SQ_QUEUE_MSG];
	struct chan_cursor cur;
	uint64_t t0;

	bench_pin(BENCH_SLAVE_CPU);
	chan_cursor_init(&cur, b, &a->g, true, 0);
	sq_ready(a);
	t0 = bench_now_ns();
	while (cur.reads < a->messages) {
		chan_read(b, &a->g, &cur, true, sq_reader_part(a), dst, sizeof(dst), NULL);
		BENCH_USE(dst);
	}
	a->ns = bench_now_ns() - t0;
	a->reads = cur.reads;
}

static void
sq_ring_writer(struct sq_arena *a)
{
	struct sq_ring *r = (struct sq_ring *)a->ring;
	unsigned char src[SQ_QUEUE_MSG] = { 0 };
	uint64_t head = 0, tail = 0, depth = a->g.slots;

	bench_pin(BENCH_MASTER_CPU);
	sq_ready(a);
	while (head < a->messages) {
		if (head - tail == depth) {
			tail = atomic_load_explicit(&r->tail, memory_order_acquire);
			continue;
		}
		memcpy(r->slot[head & (depth - 1)], src, SQ_QUEUE_MSG);
		atomic_store_explicit(&r->head, ++head, memory_order_release);
	}
	a->written = head;
}

static void
sq_ring_reader(struct sq_arena *a)
{
	struct sq_ring *r = (struct sq_ring *)a->ring;
	unsigned char dst[SQ_QUEUE_MSG];
	uint64_t head = 0, tail = 0, depth = a->g.slots, t0;

	bench_pin(BENCH_SLAVE_CPU);
	sq_ready(a);
	t0 = bench_now_ns();
	while (tail < a->messages) {
		if (tail == head) {
			head = atomic_load_explicit(&r->head, memory_order_acquire);
			continue;
		}
		memcpy(dst, r->slot[tail & (depth - 1)], SQ_QUEUE_MSG);
		BENCH_USE(dst);
		atomic_store_explicit(&r->tail, ++tail, memory_order_release);
	}
	a->ns = bench_now_ns() - t0;
	a->reads = tail;
}

/* ---------------------------------------------------------------- runs */

typedef void sq_side(struct sq_arena *a);

struct sq_thread {
	sq_side *fn;
	struct sq_arena *a;
};

static void *
sq_thread_main(void *arg)
{
	struct sq_thread *t = arg;

	t->fn(t->a);
	return NULL;
}

/*
 * Run @writer and @reader on @a as two threads, or two processes
 * (@processes), start them together, and stop them after @run_ns (0: wait
 * until they return by themselves).  Returns 0 or -1.
 */
static int
sq_run(struct sq_arena *a, sq_side *writer, sq_side *reader, bool processes, uint64_t run_ns)
{
	struct sq_thread t[2] = { { writer, a }, { reader, a } };
	pthread_t tid[2];
	pid_t pid[2];
	int i, rc = 0, status;

	for (i = 0; i < 2; i++) {
		if (!processes) {
			if (pthread_create(&tid[i], NULL, sq_thread_main, &t[i]) != 0)
				return -1;
			continue;
		}
		pid[i] = fork();
		if (pid[i] < 0)
			return -1;
		if (pid[i] == 0) {
			t[i].fn(a);
			_exit(0);
		}
	}
	while (atomic_load(&a->ready) < 2)
		;
	atomic_store_explicit(&a->go, 1, memory_order_release);
	if (run_ns != 0) {
		bench_sleep_ns(run_ns);
		atomic_store(&a->go, 2);
	}
	for (i = 0; i < 2; i++) {
		if (!processes)
			pthread_join(tid[i], NULL);
		else if (waitpid(pid[i], &status, 0) != pid[i] || !WIFEXITED(status) ||
		         WEXITSTATUS(status) != 0)
			rc = -1;
	}
	return rc;
}

/* ---------------------------------------------------------------- uncontended */

/* One thread, one writer and one reader on the same block. */
struct sq_solo {
	struct sq_arena *a;
	const struct seg_block *rblock; /* the writer's block as the reader maps it */
	struct chan_writer w;
	struct chan_cursor cur;
	unsigned char *src, *dst;
	size_t size;
	int err;
};

/* bench_copy's pass: @n writes, each followed by a read if @read. */
static void
sq_pass(void *ctx, bool read, size_t n)
{
	struct sq_solo *c = ctx;
	const struct seg_block *b = c->rblock;

	for (size_t i = 0; i < n; i++) {
		c->err |= chan_write(&c->w, NULL, c->src, (uint32_t)c->size);
		if (read)
			c->err |= chan_read(b, &c->a->g, &c->cur, false, sq_reader_part(c->a), c->dst,
			                    c->size, NULL);
		BENCH_CLOBBER();
	}
}

/*
 * Size @i of @r against its copies (copycost.c) into *@cost, the reader
 * reading the writer's block at @rblock: the arena's own mapping, or a
 * second mapping of it as two handles of one process have.
 */
static void
sq_uncontended_at(struct sq_arena *a, const unsigned char *rblock, size_t size, size_t n,
                  size_t batches, struct seqlock_result *r, struct bench_copy_cost *cost)
{
	struct sq_solo c = { .a = a, .rblock = (const struct seg_block *)rblock, .size = size };
	struct bench_copy bc = { .capacity = a->g.capacity, .size = size, .pass = sq_pass, .ctx = &c };

	bc.two_mappings = rblock != a->writer_block;
	bc.src = c.src = aligned_alloc(64, 4096);
	bc.dst = c.dst = aligned_alloc(64, 4096);
	if (c.src == NULL || c.dst == NULL) {
		r->ok = false;
		goto out;
	}
	memset(c.src, 0, 4096);
	sq_arena_reset(a);
	chan_writer_init(&c.w, (struct seg_block *)a->writer_block, &a->g);
	chan_cursor_init(&c.cur, c.rblock, &a->g, false, 0);
	if (bench_copy_measure(&bc, n, batches, cost) != 0 || c.err != 0)
		r->ok = false;
out:
	free(c.src);
	free(c.dst);
}

/* Size @i of @r, through the arena's mapping and through a second one. */
static void
sq_uncontended(struct sq_arena *a, size_t size, size_t n, size_t batches, struct seqlock_result *r,
               size_t i)
{
	unsigned char *again = mremap(a, 0, a->bytes, MREMAP_MAYMOVE);

	r->size[i] = size;
	sq_uncontended_at(a, a->writer_block, size, n, batches, r, &r->cost[i]);
	if (again == MAP_FAILED) {
		r->ok = false;
		return;
	}
	sq_uncontended_at(a, again + (a->writer_block - (unsigned char *)a), size, n, batches, r,
	                  &r->cost_two_maps[i]);
	munmap(again, a->bytes);
}

/* ---------------------------------------------------------------- contended */

static int
sq_contended(size_t size, bool processes, uint64_t run_ns, struct seqlock_contended *r)
{
	struct sq_arena *a = sq_arena_new(size, SEG_MODE_LATEST, 0);
	int rc;

	if (a == NULL)
		return -1;
	sq_arena_reset(a);
	a->size = size;
	rc = sq_run(a, sq_latest_writer, sq_latest_reader, processes, run_ns);
	r->size = size;
	r->processes = processes;
	r->seconds = (double)run_ns / 1e9;
	r->written = a->written;
	r->reads = a->reads;
	r->retries = a->retries;
	r->contended = a->contended;
	munmap(a, a->bytes);
	return rc;
}

/* Queue and plain ring in alternating blocks; the median of the ratios. */
static int
sq_queue(uint32_t depth, uint64_t messages, size_t blocks, struct seqlock_result *r)
{
	struct sq_arena *a = sq_arena_new(SQ_QUEUE_MSG, SEG_MODE_QUEUE, depth);
	double *q = calloc(3 * blocks, sizeof(*q)), *ring = q + blocks, *ratio = q + 2 * blocks;
	int rc = 0;

	if (a == NULL || q == NULL) {
		free(q);
		return -1;
	}
	for (size_t b = 0; b < blocks && rc == 0; b++) {
		sq_arena_reset(a);
		a->messages = messages;
		rc |= sq_run(a, sq_queue_writer, sq_queue_reader, false, 0);
		if (a->reads != messages)
			rc = -1;
		q[b] = (double)messages / ((double)a->ns / 1e9);
		sq_arena_reset(a);
		a->messages = messages;
		rc |= sq_run(a, sq_ring_writer, sq_ring_reader, false, 0);
		ring[b] = (double)messages / ((double)a->ns / 1e9);
		ratio[b] = q[b] / ring[b];
	}
	r->queue_depth = a->g.slots;
	r->queue_per_s = bench_median(q, blocks);
	r->ring_per_s = bench_median(ring, blocks);
	r->queue_ratio = bench_median(ratio, blocks);
	free(q);
	munmap(a, a->bytes);
	return rc;
}

int
eshm_bench_seqlock(const struct bench_opts *o, struct seqlock_result *r)
{
	static const size_t sizes[BENCH_SEQ_SIZES] = { 8, 64, 1024, 4096 };
	static const size_t contended[BENCH_SEQ_CONTENDED] = { 64, 4096, 64, 4096 };
	size_t n = o->quick ? 2000 : 20000, batches = o->quick ? 5 : 31;
	uint64_t run_ns = o->quick ? 100000000u : 2000000000u;
	struct sq_arena *a = sq_arena_new(4096, SEG_MODE_LATEST, 0);
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (a == NULL)
		return -1;
	r->ok = true;
	bench_pin(BENCH_MASTER_CPU);
	chan_membarrier_setup();
	for (size_t i = 0; i < BENCH_SEQ_SIZES; i++)
		sq_uncontended(a, sizes[i], n, batches, r, i);
	bench_unpin();
	munmap(a, a->bytes);
	for (size_t i = 0; i < BENCH_SEQ_CONTENDED; i++)
		rc |= sq_contended(contended[i], i >= BENCH_SEQ_CONTENDED / 2, run_ns,
		                   &r->contended[i]);
	rc |= sq_queue(256, o->quick ? 100000 : 2000000, o->quick ? 3 : 11, r);
	if (rc != 0)
		r->ok = false;
	return r->ok ? 0 : -1;
}
