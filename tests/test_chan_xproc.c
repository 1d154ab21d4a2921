/*
 * test_chan_xproc.c - channel protocol 2 across processes on sealed
 * memfds, as eshmd hands them out: the writer is a child that maps its
 * block read-write, the readers map it read-only.  A stress of both modes
 * with an observer process, a writer killed in the middle of its writes
 * again and again (then repaired as eshmd does), and a reader asleep in
 * chan_wait woken by a writer in another process.
 *
 * Children die with the test (th_spawn: PR_SET_PDEATHSIG).  Sizes:
 * $ESHM_STRESS_MESSAGES (default 100000) and $ESHM_FAULT_KILLS (50).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel.h"
#include "clock.h"
#include "harness.h"
#include "layout.h"
#include "memfd_util.h"
#include "message_util.h"

#define WAIT_NS (10ull * 1000000000u) /* far beyond any scheduling delay */
#define CHILD_MS 120000               /* a child running longer has hung */
#define HANG_NS (2000ull * 1000000u)  /* a read call this long is a hang */
#define READS_MIN 2000
#define STRESS_NS (30ull * 1000000000u)

/* What the processes share besides the channel: results and the end. */
struct xp_shared {
	_Atomic uint64_t total;       /* the number of the last message, once decided */
	struct tmsg_stream observer;  /* what the observer process saw */
};

struct xp {
	struct tm_channel c;
	struct xp_shared *sh;         /* MAP_SHARED, anonymous */
	uint64_t messages;
	int ready;                    /* kill test: the writer says "written once" here */
	uint64_t seed;
	struct chan_cursor observer;  /* the observer process's, started before it */
};

/* How a writer process sees the channel: its own block read-write, the
 * reader parts read-only, each mapped from its descriptor. */
struct xp_view {
	struct seg_mapping own, consumer, observer[TM_OBSERVERS_MAX];
	unsigned observers;
};

static uint64_t
env_count(const char *var, uint64_t dflt)
{
	const char *env = getenv(var);

	return env != NULL && atoll(env) > 0 ? (uint64_t)atoll(env) : dflt;
}

static int
map_read_only(int fd, const struct seg_geometry *g, bool observer, struct seg_mapping *m)
{
	int ro = tm_reopen_read_only(fd), rc;

	if (ro < 0)
		return -1;
	rc = seg_map_block(ro, g, observer, false, m);
	close(ro);
	return rc == ESHM_SUCCESS ? 0 : -1;
}

static int
view_open(struct xp_view *v, const struct tm_channel *c)
{
	memset(v, 0, sizeof(*v));
	if (seg_map_block(c->fd, &c->g, false, true, &v->own) != ESHM_SUCCESS ||
	    map_read_only(c->consumer_fd, &c->g, false, &v->consumer) < 0)
		return -1;
	for (; v->observers < c->observers; v->observers++)
		if (map_read_only(c->observer_fd[v->observers], &c->g, true,
		                  &v->observer[v->observers]) < 0)
			return -1;
	return 0;
}

/* After a publish: wake the readers once if one of them sleeps. */
static void
view_wake(const struct xp_view *v)
{
	bool any = chan_reader_waits(&seg_block_of(&v->consumer)->reader);
	unsigned i;

	for (i = 0; i < v->observers && !any; i++)
		any = chan_reader_waits(seg_observer_of(&v->observer[i]));
	if (any)
		chan_wake(seg_block_of(&v->own));
}

/* Publish message @len bytes of @buf, waiting while a queue is full
 * (sleeping a little, so a consumer sharing the CPU gets to run). */
static void
view_publish(struct xp_view *v, struct chan_writer *w, const unsigned char *buf, uint32_t len)
{
	while (chan_write(w, &seg_block_of(&v->consumer)->reader, buf, len) ==
	       ESHM_ERROR_QUEUE_FULL)
		usleep(20);
	view_wake(v);
}

/* What every writer process does first: map its view, register for
 * membarrier, continue the block.  Returns its message buffer, or NULL. */
static unsigned char *
writer_start(struct xp *x, struct xp_view *v, struct chan_writer *w)
{
	unsigned char *buf = malloc(x->c.g.capacity);

	if (buf == NULL || view_open(v, &x->c) < 0)
		return NULL;
	chan_membarrier_setup();
	chan_writer_init(w, seg_block_of(&v->own), &x->c.g);
	return buf;
}

/* Whether message @i of the stress, begun at @t0, may be the last: at
 * least x->messages, and every reader has read READS_MIN (or STRESS_NS
 * passed), so the processes really overlapped. */
static bool
stress_enough(const struct xp *x, const struct xp_view *v, uint64_t i, uint64_t t0)
{
	unsigned k;

	if (i < x->messages)
		return false;
	if (clock_mono_ns() - t0 > STRESS_NS)
		return true;
	if (atomic_load(&seg_block_of(&v->consumer)->reader.reads) < READS_MIN)
		return false;
	for (k = 0; k < v->observers; k++)
		if (atomic_load(&seg_observer_of(&v->observer[k])->reads) < READS_MIN)
			return false;
	return true;
}

/* The writer process of the stress; the last message's number goes to
 * total before it is published. */
static int
stress_writer(void *arg)
{
	struct xp *x = arg;
	struct chan_writer w;
	struct xp_view v;
	unsigned char *buf = writer_start(x, &v, &w);
	uint64_t i, rng = x->seed, t0 = clock_mono_ns();

	if (buf == NULL)
		return 1;
	for (i = 1; atomic_load(&x->sh->total) == 0; i++) {
		uint32_t len = tmsg_length(&rng, (uint32_t)x->c.g.capacity);

		if (stress_enough(x, &v, i, t0))
			atomic_store(&x->sh->total, i);
		tmsg_compose(buf, len, i);
		view_publish(&v, &w, buf, len);
		if (i % 4096 == 0)
			usleep(100); /* let the readers fall asleep now and then */
	}
	return 0;
}

/*
 * Read the channel in @block as @cur (@consumer: the queue's) with reader
 * part @rd into @seen until message @total (or @stop); sleep on the futex
 * when nothing is new (@sleep) or yield.  The longest read call goes to
 * *@longest_ns if not NULL.
 */
static void
read_stream(const struct seg_block *block, const struct seg_geometry *g, struct chan_cursor *cur,
            bool consumer, struct seg_reader *rd, struct tmsg_stream *seen,
            _Atomic uint64_t *total, bool sleep, uint64_t wait_ns, uint64_t *longest_ns)
{
	unsigned char *buf = malloc(g->capacity);
	struct timespec deadline;
	struct chan_msg info;

	while (buf != NULL && seen->failure[0] == '\0' &&
	       (atomic_load(total) == 0 || seen->last < atomic_load(total))) {
		uint64_t t0 = clock_mono_ns(), dt;
		int rc = chan_read(block, g, cur, consumer, rd, buf, g->capacity, &info);

		dt = clock_mono_ns() - t0;
		if (longest_ns != NULL && dt > *longest_ns)
			*longest_ns = dt;
		if (rc == ESHM_SUCCESS) {
			tmsg_accept(seen, buf, &info);
		} else if (rc == ESHM_ERROR_NO_DATA && sleep) {
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			clock_ts_add_ns(&deadline, wait_ns);
			rc = chan_wait(block, g, rd, cur, consumer, &deadline);
			if (rc != 0 && wait_ns == WAIT_NS)
				snprintf(seen->failure, sizeof(seen->failure),
				         "asleep for 10 s after message %llu",
				         (unsigned long long)seen->last);
		} else if (rc == ESHM_ERROR_NO_DATA) {
			sched_yield();
		} else if (rc != ESHM_ERROR_CONTENDED) {
			snprintf(seen->failure, sizeof(seen->failure), "read returned %d", rc);
		}
	}
	free(buf);
}

/* The observer process: reads what it can, spinning. */
static int
stress_observer(void *arg)
{
	struct xp *x = arg;
	struct seg_mapping block;

	if (map_read_only(x->c.fd, &x->c.g, false, &block) < 0)
		return 1;
	read_stream(seg_block_of(&block), &x->c.g, &x->observer, false, tm_observer_part(&x->c, 0),
	            &x->sh->observer, &x->sh->total, false, 0, NULL);
	return 0;
}

static struct xp *
xp_open(uint64_t capacity, uint32_t mode, uint32_t depth, unsigned observers)
{
	struct xp *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	assert_int_equal(tm_channel_open(&x->c, capacity, mode, depth, 0, observers), 0);
	x->sh = mmap(NULL, sizeof(*x->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	             0);
	assert_true(x->sh != MAP_FAILED);
	x->seed = (uint64_t)clock_mono_ns() | 1;
	chan_membarrier_setup();
	return x;
}

static void
xp_close(struct xp *x)
{
	munmap(x->sh, sizeof(*x->sh));
	tm_channel_close(&x->c);
	free(x);
}

/* The parent reads as the channel's reader (the queue's consumer),
 * asleep on the futex whenever nothing is new. */
static void
stress(uint64_t capacity, uint32_t mode, uint32_t depth)
{
	struct xp *x = xp_open(capacity, mode, depth, 1);
	bool consumer = mode == SEG_MODE_QUEUE;
	struct tmsg_stream seen = { .in_order = consumer };
	struct chan_cursor cur;
	pid_t writer, observer;
	uint64_t total;

	x->messages = env_count("ESHM_STRESS_MESSAGES", 100000);
	chan_cursor_init(&cur, tm_reader_block(&x->c), &x->c.g, consumer, 0);
	chan_cursor_init(&x->observer, tm_reader_block(&x->c), &x->c.g, false, 0);
	observer = th_spawn(stress_observer, x);
	writer = th_spawn(stress_writer, x);
	assert_true(writer > 0 && observer > 0);
	read_stream(tm_reader_block(&x->c), &x->c.g, &cur, consumer, tm_consumer_part(&x->c),
	            &seen, &x->sh->total, true, WAIT_NS, NULL);
	assert_int_equal(th_wait_child_within(writer, CHILD_MS), 0);
	assert_int_equal(th_wait_child_within(observer, CHILD_MS), 0);
	total = atomic_load(&x->sh->total);
	print_message("# reader: %llu received, %llu missed, %llu retries, %llu contended; "
	              "observer: %llu received, %llu missed\n",
	              (unsigned long long)seen.received, (unsigned long long)seen.missed,
	              (unsigned long long)cur.retries, (unsigned long long)cur.contended,
	              (unsigned long long)x->sh->observer.received,
	              (unsigned long long)x->sh->observer.missed);
	if (seen.failure[0] != '\0')
		fail_msg("reader: %s", seen.failure);
	if (x->sh->observer.failure[0] != '\0')
		fail_msg("observer: %s", x->sh->observer.failure);
	assert_true(total >= x->messages);
	assert_int_equal(seen.last, total);
	assert_int_equal(seen.received + seen.missed, total);
	assert_int_equal(x->sh->observer.last, total);
	assert_int_equal(x->sh->observer.received + x->sh->observer.missed, total);
	if (consumer)
		assert_int_equal(seen.received, total);
	assert_false(chan_reader_waits(tm_consumer_part(&x->c)));
	xp_close(x);
}

static void
latest_stress_across_processes(void **state)
{
	stress(4096, SEG_MODE_LATEST, 0);
}

static void
queue_stress_across_processes(void **state)
{
	stress(1024, SEG_MODE_QUEUE, 32);
}

/* ---------------------------------------------------------------- kills */

/* The writer that is killed: continues the block where the dead one left
 * it, says so after its first message, then writes until killed (or
 * returns after one message with x->messages == 1). */
static int
doomed_writer(void *arg)
{
	struct xp *x = arg;
	struct chan_writer w;
	struct xp_view v;
	unsigned char *buf = writer_start(x, &v, &w);
	uint64_t rng = x->seed;

	if (buf == NULL)
		return 1;
	for (;;) {
		uint32_t len = tmsg_length(&rng, (uint32_t)x->c.g.capacity);

		if (x->messages == 1)
			atomic_store(&x->sh->total, w.last + 1);
		tmsg_compose(buf, len, w.last + 1);
		view_publish(&v, &w, buf, len);
		if (x->ready >= 0) {
			if (write(x->ready, "r", 1) != 1)
				return 1;
			close(x->ready);
			x->ready = -1;
		}
		if (x->messages == 1)
			return 0;
	}
}

/* The reader of the kill test: a thread of the test reading through the
 * read-only mapping while writers come and die. */
struct kill_reader {
	struct xp *x;
	bool consumer;
	struct chan_cursor cur;
	struct tmsg_stream seen;
	uint64_t longest_ns;
};

static void *
kill_read(void *arg)
{
	struct kill_reader *r = arg;

	read_stream(tm_reader_block(&r->x->c), &r->x->c.g, &r->cur, r->consumer,
	            tm_consumer_part(&r->x->c), &r->seen, &r->x->sh->total, true, 20000000u,
	            &r->longest_ns);
	return NULL;
}

/* Odd slots of the block: messages caught in the middle of their write. */
static unsigned
odd_slots(const struct tm_channel *c)
{
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i < c->g.slots; i++)
		n += atomic_load(&seg_slot_at(tm_writer_block(c), &c->g, i)->seq) & 1;
	return n;
}

/*
 * Freeze writer @pid of channel @c at a random moment, so what it leaves can be looked
 * at before it dies; if it is not in the middle of a write, let it go on
 * and try again a little later, a few times.  Returns the odd slots it
 * is frozen with.
 */
static unsigned
freeze_mid_write(const struct tm_channel *c, pid_t pid, uint64_t *rng)
{
	unsigned tries, odd = 0;
	int status;

	for (tries = 0; tries < 20 && odd == 0; tries++) {
		struct timespec pause = { 0, (long)(tmsg_rand(rng) % 500000) };

		if (tries > 0)
			kill(pid, SIGCONT);
		nanosleep(&pause, NULL);
		kill(pid, SIGSTOP);
		assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
		assert_true(WIFSTOPPED(status));
		odd = odd_slots(c);
	}
	return odd;
}

/* Start a writer; false if it did not say it wrote within 10 s. */
static bool
start_writer(struct xp *x, pid_t *pid)
{
	struct pollfd pfd;
	char c = 0;
	int p[2];

	assert_int_equal(pipe(p), 0);
	x->ready = p[1];
	x->seed = x->seed * 6364136223846793005u + 1;
	*pid = th_spawn(doomed_writer, x);
	assert_true(*pid > 0);
	close(p[1]);
	x->ready = -1;
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(p[0], &c, 1) != 1)
		c = 0;
	close(p[0]);
	return c == 'r';
}

static void
killed_writer(uint64_t capacity, uint32_t mode, uint32_t depth)
{
	uint64_t kills = env_count("ESHM_FAULT_KILLS", 50), i, rng = clock_mono_ns() | 1;
	unsigned mid_write = 0, repaired = 0, odd;
	struct kill_reader r = { 0 };
	uint64_t t0 = clock_mono_ns();
	pthread_t t;
	pid_t pid;

	r.x = xp_open(capacity, mode, depth, 0);
	r.consumer = r.seen.in_order = mode == SEG_MODE_QUEUE;
	r.seen.voids = true;
	chan_cursor_init(&r.cur, tm_reader_block(&r.x->c), &r.x->c.g, r.consumer, 0);
	assert_int_equal(pthread_create(&t, NULL, kill_read, &r), 0);
	/* At least @kills, and on until ten kills caught a write half done. */
	for (i = 0; i < kills || (mid_write < 10 && i < 100 * kills); i++) {
		assert_true(start_writer(r.x, &pid));
		odd = freeze_mid_write(&r.x->c, pid, &rng);
		kill(pid, SIGKILL);
		assert_int_equal(th_wait_child(pid), 128 + SIGKILL);
		/* eshmd's repair, once the kernel says the writer is gone. */
		assert_int_equal(chan_repair(tm_writer_block(&r.x->c), &r.x->c.g), odd);
		assert_int_equal(odd_slots(&r.x->c), 0);
		mid_write += odd != 0;
		repaired += odd;
	}
	/* A last writer after the repairs: its message arrives. */
	r.x->messages = 1;
	assert_true(start_writer(r.x, &pid));
	assert_int_equal(th_wait_child_within(pid, CHILD_MS), 0);
	pthread_join(t, NULL);
	print_message("# %llu kills in %.1f s, %u in the middle of a write, %u slots repaired; "
	              "%llu messages read, %llu missed, longest read %.3f ms\n",
	              (unsigned long long)i, (double)(clock_mono_ns() - t0) / 1e9, mid_write,
	              repaired, (unsigned long long)r.seen.received,
	              (unsigned long long)r.seen.missed, (double)r.longest_ns / 1e6);
	if (r.seen.failure[0] != '\0')
		fail_msg("reader: %s", r.seen.failure);
	assert_true(mid_write >= 10);
	assert_int_equal(r.seen.last, atomic_load(&r.x->sh->total));
	assert_int_equal(r.seen.last, atomic_load(&tm_writer_block(&r.x->c)->head));
	/* The queue's consumer got every message that completed, once. */
	if (r.consumer)
		assert_int_equal(r.seen.received + repaired, r.seen.last);
	assert_true(r.longest_ns < HANG_NS);
	xp_close(r.x);
}

static void
latest_writer_killed_mid_write_is_repaired_nothing_torn(void **state)
{
	killed_writer(64 * 1024, SEG_MODE_LATEST, 0);
}

static void
queue_writer_killed_mid_write_is_repaired_nothing_torn_or_lost(void **state)
{
	killed_writer(16 * 1024, SEG_MODE_QUEUE, 8);
}

/* ---------------------------------------------------------------- wake */

/* A reader process: asleep in chan_wait until the message comes.  Exit
 * 0: woken and read it; 2: timed out; 3: read failed. */
static int
sleeping_reader(void *arg)
{
	struct xp *x = arg;
	bool consumer = x->c.g.mode == SEG_MODE_QUEUE;
	struct seg_mapping block, own;
	struct timespec deadline;
	struct chan_cursor cur;
	unsigned char buf[64];
	struct chan_msg info;
	int rc;

	if (map_read_only(x->c.fd, &x->c.g, false, &block) < 0 ||
	    seg_map_block(x->c.consumer_fd, &x->c.g, false, true, &own) != ESHM_SUCCESS)
		return 1;
	chan_cursor_init(&cur, seg_block_of(&block), &x->c.g, consumer, 0);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	clock_ts_add_ns(&deadline, 2 * WAIT_NS);
	while ((rc = chan_read(seg_block_of(&block), &x->c.g, &cur, consumer,
	                       &seg_block_of(&own)->reader, buf, sizeof(buf), &info)) ==
	       ESHM_ERROR_NO_DATA)
		if (chan_wait(seg_block_of(&block), &x->c.g, &seg_block_of(&own)->reader, &cur,
		              consumer, &deadline) != 0)
			return 2;
	return rc == ESHM_SUCCESS && strcmp((char *)buf, "wake") == 0 ? 0 : 3;
}

static bool
reader_announced(void *arg)
{
	return chan_reader_waits(tm_consumer_part(arg));
}

static void
reader_asleep_is_woken_across_processes(void **state)
{
	static const uint32_t modes[][2] = { { SEG_MODE_LATEST, 0 }, { SEG_MODE_QUEUE, 4 } };
	size_t m;

	for (m = 0; m < 2; m++) {
		struct xp *x = xp_open(64, modes[m][0], modes[m][1], 0);
		struct chan_writer w;
		uint64_t t0;
		pid_t pid;

		chan_writer_init(&w, tm_writer_block(&x->c), &x->c.g);
		pid = th_spawn(sleeping_reader, x);
		assert_true(pid > 0);
		assert_true(th_wait_until(reader_announced, &x->c, 10000));
		usleep(20000); /* into the futex */
		t0 = clock_mono_ns();
		assert_int_equal(chan_write(&w, tm_consumer_part(&x->c), "wake", 5), ESHM_SUCCESS);
		if (chan_reader_waits(tm_consumer_part(&x->c)))
			chan_wake(tm_writer_block(&x->c));
		assert_int_equal(th_wait_child_within(pid, CHILD_MS), 0);
		print_message("# %s: woken and read in %.3f ms\n",
		              m == 0 ? "latest" : "queue", (double)(clock_mono_ns() - t0) / 1e6);
		assert_false(chan_reader_waits(tm_consumer_part(&x->c)));
		xp_close(x);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(latest_stress_across_processes),
		cmocka_unit_test(queue_stress_across_processes),
		cmocka_unit_test(latest_writer_killed_mid_write_is_repaired_nothing_torn),
		cmocka_unit_test(queue_writer_killed_mid_write_is_repaired_nothing_torn_or_lost),
		cmocka_unit_test(reader_asleep_is_woken_across_processes),
	};

	return cmocka_run_group_tests_name("chan_xproc", tests, NULL, NULL);
}
