/*
 * test_queue.c - queue channels and message metadata across real processes
 * against a real eshmd: every message read exactly once and in order, a
 * full queue refused or waited on, a stopped or dead reader, a reader
 * replaced, the sequence and missed counts of eshm_read_ex(), timestamps
 * and the statistics of eshm_get_stats_ex().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client_util.h"
#include "harness.h"

#define QT_MSG 64u

/* What a test's children are told. */
struct qt_job {
	const char *name;
	ESHMRole role;
	ESHMChannelMode mode;
	uint32_t depth;
	bool timestamps;
	uint64_t first, count;  /* messages first .. first + count - 1 */
	uint32_t size;          /* bytes per message */
	bool leaves;            /* a writer detaches once done, else stays */
};

static ESHMHandle *
qt_attach(const struct qt_job *j, ESHMDisconnectBehavior behavior)
{
	return tc_attach_channel(j->name, j->role, j->mode, j->depth,
	                         j->size > QT_MSG ? j->size : QT_MSG, j->timestamps, behavior);
}

/* qt_attach() of the job @j, never disconnecting: for tc_attach_when_free(). */
static ESHMHandle *
qt_attach_job(const void *j)
{
	return qt_attach(j, ESHM_DISCONNECT_NEVER);
}

/* The payload of message @n: tc_fill keyed by @n, so order and integrity
 * are both checked. */
static void
qt_payload(unsigned char *buf, uint32_t size, uint64_t n)
{
	tc_fill(buf, size, n);
}

/* Child: write messages first .. first + count - 1, waiting for room;
 * then detach, or stay. */
static int
qt_writer(void *arg)
{
	const struct qt_job *j = arg;
	unsigned char buf[QT_MSG];
	ESHMHandle *h;
	uint64_t n;

	/* a writer that left before may not have been confirmed yet */
	h = tc_attach_when_free(qt_attach_job, j, 10000);
	if (h == NULL)
		return 1;
	for (n = j->first; n < j->first + j->count; n++) {
		qt_payload(buf, j->size, n);
		if (eshm_write_timeout(h, buf, j->size, 10000) != ESHM_SUCCESS)
			return 2;
	}
	/* eshmd may confirm the detach after the 100 ms eshm_destroy()
	 * waits, on a loaded machine */
	if (j->leaves) {
		eshm_destroy(h);
		return 0;
	}
	/* stay until the reader has everything: a writer gone is no loss,
	 * but its exit would make the reader's test about something else */
	pause();
	return 0;
}

/*
 * Read messages first .. first + count - 1 in order with eshm_read_ex()
 * (waiting with eshm_read_timeout() for the next).  Returns 0, or which
 * check failed.
 */
static int
qt_read_all(ESHMHandle *h, const struct qt_job *j)
{
	unsigned char buf[4096];
	ESHMMessageInfo info;
	uint64_t want = j->first, seq = 0;
	size_t n;
	int rc;

	while (want < j->first + j->count) {
		rc = eshm_read_ex(h, buf, sizeof(buf), &info);
		if (rc == ESHM_ERROR_NO_DATA) {
			/* caught up: wait as a user would; this message's
			 * number is then not known, its payload says it all */
			rc = eshm_read_timeout(h, buf, sizeof(buf), &n, 10000);
			if (rc == ESHM_ERROR_TIMEOUT)
				return 10;
			if (rc != ESHM_SUCCESS)
				return 11;
			memset(&info, 0, sizeof(info));
			info.size = n;
		} else if (rc != ESHM_SUCCESS) {
			return 12;
		}
		if (info.size != j->size || !tc_intact(buf, info.size) || tc_seed(buf) != want)
			return 13;
		if (info.missed != 0 || (seq != 0 && info.sequence != 0 && info.sequence != seq + 1))
			return 14;
		seq = info.sequence;
		want++;
	}
	return 0;
}

/* Child: attach as the reader and read everything of the job. */
static int
qt_reader(void *arg)
{
	ESHMHandle *h = qt_attach(arg, ESHM_DISCONNECT_NEVER);
	int rc;

	if (h == NULL)
		return 1;
	rc = qt_read_all(h, arg);
	eshm_destroy(h);
	return rc;
}

static void
seed_example_3_in_queue_mode_delivers_a_million_messages_in_order(void **state)
{
	struct qt_job w = { .name = "qt_million", .role = ESHM_ROLE_MASTER, .mode = ESHM_CHANNEL_QUEUE,
			    .depth = 256, .timestamps = false, .first = 1, .count = 1000000,
			    .size = QT_MSG };
	struct qt_job r = w;
	ESHMStats2 st;
	ESHMHandle *s;
	long long t0;
	pid_t pid;

	r.role = ESHM_ROLE_SLAVE;
	s = qt_attach(&r, ESHM_DISCONNECT_NEVER);
	assert_non_null(s);
	t0 = th_now_ns();
	pid = th_spawn(qt_writer, &w);
	assert_int_equal(qt_read_all(s, &r), 0);
	print_message("1,000,000 messages of 64 B in order in %.2f s\n",
	              (double)(th_now_ns() - t0) / 1e9);
	assert_int_equal(eshm_get_stats_ex(s, &st, sizeof(st)), ESHM_SUCCESS);
	assert_int_equal(st.channel_mode, ESHM_CHANNEL_QUEUE);
	assert_int_equal(st.queue_depth, 256);
	assert_int_equal(st.stats.read_count, 1000000);
	assert_int_equal(st.stats.missed, 0);
	assert_int_equal(st.remote_pid, pid);
	assert_int_equal(st.remote_attaches, 1);
	assert_int_equal(st.own_attach, 1);
	kill(pid, SIGKILL);
	th_wait_child(pid);
	eshm_destroy(s);
}

/* Child: stop itself once it has read @first .. first + 3, then read the rest. */
static int
qt_reader_stopping(void *arg)
{
	struct qt_job j = *(const struct qt_job *)arg;
	ESHMHandle *h = qt_attach(&j, ESHM_DISCONNECT_NEVER);
	uint64_t all = j.count;
	int rc;

	if (h == NULL)
		return 1;
	j.count = 4;
	rc = qt_read_all(h, &j);
	if (rc != 0)
		return rc;
	raise(SIGSTOP);
	j.first += 4;
	j.count = all - 4;
	rc = qt_read_all(h, &j);
	eshm_destroy(h);
	return rc;
}

static void
qt_write_n(ESHMHandle *m, const struct qt_job *j, uint64_t first, uint64_t count)
{
	unsigned char buf[QT_MSG];
	uint64_t n;

	for (n = first; n < first + count; n++) {
		qt_payload(buf, j->size, n);
		assert_int_equal(eshm_write_timeout(m, buf, j->size, 10000), ESHM_SUCCESS);
	}
}

/* Child: SIGCONT @arg's pid after 300 ms. */
static int
qt_continue_later(void *arg)
{
	tc_sleep_ms(300);
	return kill(*(pid_t *)arg, SIGCONT) == 0 ? 0 : 1;
}

static void
stopped_reader_fills_the_queue_then_gets_everything_after_sigcont(void **state)
{
	struct qt_job j = { .name = "qt_stopped", .role = ESHM_ROLE_MASTER, .mode = ESHM_CHANNEL_QUEUE,
			    .depth = 16, .timestamps = false, .first = 1, .count = 100,
			    .size = QT_MSG };
	struct qt_job r = j;
	unsigned char buf[QT_MSG];
	ESHMStats2 st;
	ESHMHandle *m;
	long long t0;
	pid_t reader, waker;
	uint64_t n;
	int status;

	m = qt_attach(&j, ESHM_DISCONNECT_NEVER);
	assert_non_null(m);
	r.role = ESHM_ROLE_SLAVE;
	reader = th_spawn(qt_reader_stopping, &r);
	qt_write_n(m, &j, 1, 4);
	assert_int_equal(waitpid(reader, &status, WUNTRACED), reader);
	assert_true(WIFSTOPPED(status));
	/* the reader read 4 and stopped: the queue takes exactly its depth
	 * (waiting, if need be, until this process has mapped the reader's
	 * memory, which tells how far it read) */
	qt_write_n(m, &j, 5, 16);
	n = 5 + 16;
	qt_payload(buf, j.size, n);
	assert_int_equal(eshm_write(m, buf, j.size), ESHM_ERROR_QUEUE_FULL);
	assert_int_equal(eshm_write_timeout(m, buf, j.size, 0), ESHM_ERROR_QUEUE_FULL);
	t0 = th_now_ns();
	assert_int_equal(eshm_write_timeout(m, buf, j.size, 50), ESHM_ERROR_TIMEOUT);
	assert_true(th_now_ns() - t0 >= 50 * 1000000LL);
	assert_int_equal(eshm_get_stats_ex(m, &st, sizeof(st)), ESHM_SUCCESS);
	assert_int_equal(st.queue_unread, 16);
	/* a write waiting for room is woken by the reader's first read */
	waker = th_spawn(qt_continue_later, &reader);
	t0 = th_now_ns();
	assert_int_equal(eshm_write_timeout(m, buf, j.size, 10000), ESHM_SUCCESS);
	print_message("a write waited %.0f ms for the stopped reader's SIGCONT (300 ms)\n",
	              (double)(th_now_ns() - t0) / 1e6);
	assert_true(th_now_ns() - t0 >= 250 * 1000000LL);
	assert_int_equal(th_wait_child(waker), 0);
	qt_write_n(m, &j, n + 1, 100 - n);
	assert_int_equal(th_wait_child(reader), 0);
	eshm_destroy(m);
}

/* Child: attach as the reader and wait to be killed. */
static int
qt_idle_reader(void *arg)
{
	if (qt_attach(arg, ESHM_DISCONNECT_NEVER) == NULL)
		return 1;
	for (;;)
		pause();
}

static void
full_queue_of_a_dead_reader_reports_remote_dead(void **state)
{
	struct qt_job j = { .name = "qt_dead", .role = ESHM_ROLE_MASTER, .mode = ESHM_CHANNEL_QUEUE,
			    .depth = 4, .timestamps = false, .first = 1, .count = 0,
			    .size = QT_MSG };
	struct qt_job r = j;
	unsigned char buf[QT_MSG];
	ESHMHandle *m;
	long long t0;
	pid_t reader;
	int i;

	m = qt_attach(&j, ESHM_DISCONNECT_ON_TIMEOUT);
	assert_non_null(m);
	r.role = ESHM_ROLE_SLAVE;
	reader = th_spawn(qt_idle_reader, &r);
	assert_true(th_wait_until(tc_remote_alive, m, 10000));
	qt_payload(buf, j.size, 1);
	for (i = 0; i < 4; i++)
		assert_int_equal(eshm_write(m, buf, j.size), ESHM_SUCCESS);
	assert_int_equal(eshm_write(m, buf, j.size), ESHM_ERROR_QUEUE_FULL);
	/* the reader dies while a write waits for room: the wait ends */
	t0 = th_now_ns();
	kill(reader, SIGKILL);
	th_wait_child(reader);
	assert_int_equal(eshm_write_timeout(m, buf, j.size, 10000), ESHM_ERROR_REMOTE_DEAD);
	print_message("a write waiting for room saw its reader's death after %.1f ms\n",
	              (double)(th_now_ns() - t0) / 1e6);
	assert_int_equal(eshm_write(m, buf, j.size), ESHM_ERROR_REMOTE_DEAD);
	eshm_destroy(m);
}

/* Child: read @first .. first + count - 1, then exit without detaching. */
static int
qt_reader_dies(void *arg)
{
	const struct qt_job *j = arg;
	ESHMHandle *h = qt_attach(j, ESHM_DISCONNECT_NEVER);

	if (h == NULL)
		return 1;
	_exit(qt_read_all(h, j));
}

static bool
qt_all_read_by_third(void *h)
{
	ESHMStats2 st;

	return eshm_get_stats_ex(h, &st, sizeof(st)) == ESHM_SUCCESS && st.remote_attaches == 3 &&
	       st.queue_unread == 0;
}

static void
new_reader_goes_on_where_the_last_one_stopped(void **state)
{
	struct qt_job j = { .name = "qt_replaced", .role = ESHM_ROLE_MASTER, .mode = ESHM_CHANNEL_QUEUE,
			    .depth = 64, .timestamps = false, .first = 1, .count = 0,
			    .size = QT_MSG };
	struct qt_job first = j, second = j, third = j;
	ESHMHandle *m;
	ESHMStats2 st;
	pid_t pid;

	m = qt_attach(&j, ESHM_DISCONNECT_NEVER);
	assert_non_null(m);
	qt_write_n(m, &j, 1, 30);
	/* the first reader reads 10 and detaches */
	first.role = ESHM_ROLE_SLAVE;
	first.count = 10;
	assert_int_equal(th_wait_child(th_spawn(qt_reader, &first)), 0);
	/* the second reads 11 .. 20 and dies */
	second.role = ESHM_ROLE_SLAVE;
	second.first = 11;
	second.count = 10;
	pid = th_spawn(qt_reader_dies, &second);
	assert_int_equal(th_wait_child(pid), 0);
	assert_true(th_wait_until(tc_remote_not_alive, m, 10000));
	/* the third gets 21 .. 30 and what comes after, nothing twice */
	qt_write_n(m, &j, 31, 10);
	third.role = ESHM_ROLE_SLAVE;
	third.first = 21;
	third.count = 20;
	assert_int_equal(th_wait_child(th_spawn(qt_reader, &third)), 0);
	/* the writer sees the third reader's memory once its control thread
	 * mapped it (a moment on a loaded machine): all read */
	assert_true(th_wait_until(qt_all_read_by_third, m, 10000));
	assert_int_equal(eshm_get_stats_ex(m, &st, sizeof(st)), ESHM_SUCCESS);
	assert_int_equal(st.remote_attaches, 3);
	assert_int_equal(st.queue_unread, 0);
	eshm_destroy(m);
}

static void
new_writer_comes_after_what_the_last_one_left(void **state)
{
	struct qt_job r = { .name = "qt_writers", .role = ESHM_ROLE_SLAVE, .mode = ESHM_CHANNEL_QUEUE,
			    .depth = 32, .timestamps = false, .first = 1, .count = 0,
			    .size = QT_MSG };
	struct qt_job a = r, b = r;
	unsigned char buf[QT_MSG];
	ESHMMessageInfo info;
	ESHMHandle *s;
	uint64_t want;
	size_t n;

	s = qt_attach(&r, ESHM_DISCONNECT_NEVER);
	assert_non_null(s);
	/* one writer publishes 1 .. 10 and goes; the reader reads the first */
	a.role = b.role = ESHM_ROLE_MASTER;
	a.count = 10;
	a.leaves = b.leaves = true;
	assert_int_equal(th_wait_child(th_spawn(qt_writer, &a)), 0);
	assert_int_equal(eshm_read_timeout(s, buf, sizeof(buf), &n, 10000), ESHM_SUCCESS);
	assert_int_equal(tc_seed(buf), 1);
	/* another writer publishes 101 .. 105 */
	b.first = 101;
	b.count = 5;
	assert_int_equal(th_wait_child(th_spawn(qt_writer, &b)), 0);
	/* the reader gets the rest of the first writer's, then the second's */
	for (want = 2; want <= 105; want = want == 10 ? 101 : want + 1) {
		long long until = th_now_ns() + 10000 * 1000000LL;
		int rc;

		while ((rc = eshm_read_ex(s, buf, sizeof(buf), &info)) == ESHM_ERROR_NO_DATA &&
		       th_now_ns() < until)
			tc_sleep_ms(1);
		assert_int_equal(rc, ESHM_SUCCESS);
		assert_true(tc_intact(buf, info.size));
		assert_int_equal(tc_seed(buf), want);
		assert_int_equal(info.writer_attach, want <= 10 ? 1 : 2);
		assert_int_equal(info.sequence, want <= 10 ? want : want - 100);
	}
	assert_int_equal(eshm_read_ex(s, buf, sizeof(buf), &info), ESHM_ERROR_NO_DATA);
	eshm_destroy(s);
}

#define QT_BIG (64u * 1024u)

/* Child: write big messages 1, 2, ... into the queue for ever. */
static int
qt_big_writer(void *arg)
{
	ESHMHandle *h = qt_attach(arg, ESHM_DISCONNECT_NEVER);
	unsigned char *buf = malloc(QT_BIG);
	uint64_t n;

	if (h == NULL || buf == NULL)
		return 1;
	for (n = 1;; n++) {
		qt_payload(buf, QT_BIG, n);
		if (eshm_write_timeout(h, buf, QT_BIG, 10000) != ESHM_SUCCESS)
			return 2;
	}
}

static void
writer_killed_mid_write_leaves_nothing_torn_or_repeated(void **state)
{
	struct qt_job w = { .name = "qt_killed", .role = ESHM_ROLE_MASTER,
		            .mode = ESHM_CHANNEL_QUEUE, .depth = 4, .size = QT_BIG };
	struct qt_job r = w;
	unsigned char *buf = malloc(QT_BIG);
	uint64_t seq = 0, attach = 0, reads = 0, writers = 0;
	ESHMMessageInfo info;
	long long until;
	ESHMHandle *s;
	pid_t pid = 0;
	int kill_at = 0, rc;

	assert_non_null(buf);
	r.role = ESHM_ROLE_SLAVE;
	s = qt_attach(&r, ESHM_DISCONNECT_NEVER);
	assert_non_null(s);
	/* 20 writers, each killed after 5 to 35 ms at full speed; the
	 * reader reads throughout */
	until = th_now_ns();
	while (writers < 20 || th_now_ns() < until + 500 * 1000000LL) {
		if (th_now_ns() >= until && writers < 20) {
			if (pid > 0) {
				kill(pid, SIGKILL);
				th_wait_child(pid);
			}
			pid = th_spawn(qt_big_writer, &w);
			writers++;
			kill_at = 5 + rand() % 30;
			until = th_now_ns() + kill_at * 1000000LL;
		}
		rc = eshm_read_ex(s, buf, QT_BIG, &info);
		if (rc == ESHM_ERROR_NO_DATA)
			continue;
		assert_int_equal(rc, ESHM_SUCCESS);
		assert_int_equal(info.size, QT_BIG);
		assert_true(tc_intact(buf, QT_BIG));
		/* in order within a writer; a new writer starts at its first */
		if (info.writer_attach != attach) {
			assert_true(info.writer_attach > attach);
			attach = info.writer_attach;
			seq = 0;
		}
		assert_int_equal(info.sequence, seq + 1);
		assert_int_equal(tc_seed(buf), info.sequence);
		assert_int_equal(info.missed, 0);
		seq = info.sequence;
		reads++;
	}
	print_message("%llu writers killed at full speed: %llu big messages read in order, none torn "
	              "or repeated\n",
	              (unsigned long long)writers, (unsigned long long)reads);
	assert_true(reads > 0);
	kill(pid, SIGKILL);
	th_wait_child(pid);
	eshm_destroy(s);
	free(buf);
}

/* Child: write 1, 2, ... as 8-byte numbers flat out, for ever. */
static int
qt_counting_writer(void *arg)
{
	ESHMHandle *h = qt_attach(arg, ESHM_DISCONNECT_NEVER);
	uint64_t n = 1;

	if (h == NULL)
		return 1;
	for (;; n++)
		if (eshm_write(h, &n, sizeof(n)) != ESHM_SUCCESS)
			return 2;
}

static void
sequence_and_missed_are_exact_against_a_counting_writer(void **state)
{
	struct qt_job j = { .name = "qt_counting", .role = ESHM_ROLE_SLAVE, .mode = ESHM_CHANNEL_LATEST,
			    .depth = 0, .timestamps = true, .first = 0, .count = 0,
			    .size = sizeof(uint64_t) };
	struct qt_job w = j;
	uint64_t v, prev = 0, reads = 0, missed = 0, now;
	ESHMMessageInfo info;
	struct timespec ts;
	ESHMStats2 st;
	ESHMHandle *s;
	long long until;
	pid_t pid;
	int rc;

	s = qt_attach(&j, ESHM_DISCONNECT_NEVER);
	assert_non_null(s);
	w.role = ESHM_ROLE_MASTER;
	pid = th_spawn(qt_counting_writer, &w);
	until = th_now_ns() + 500 * 1000000LL;
	/* half a second, and at least 1,000 reads (within 20 s) */
	while (th_now_ns() < until || (reads < 1000 && th_now_ns() < until + 20000 * 1000000LL)) {
		rc = eshm_read_ex(s, &v, sizeof(v), &info);
		if (rc == ESHM_ERROR_NO_DATA || rc == ESHM_ERROR_CONTENDED)
			continue;
		assert_int_equal(rc, ESHM_SUCCESS);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		/* the writer's counter is its message number */
		assert_int_equal(info.size, sizeof(v));
		assert_int_equal(info.sequence, v);
		assert_int_equal(info.missed, v - prev - 1);
		assert_int_equal(info.writer_attach, 1);
		assert_true(info.write_time_ns > 0 && info.write_time_ns <= now);
		prev = v;
		reads++;
		missed += info.missed;
	}
	assert_int_equal(eshm_get_stats_ex(s, &st, sizeof(st)), ESHM_SUCCESS);
	print_message("%llu reads, %llu missed, the last message number %llu\n",
	              (unsigned long long)reads, (unsigned long long)missed,
	              (unsigned long long)prev);
	/* every number up to the last one read was either read or missed */
	assert_int_equal(reads + missed, prev);
	assert_int_equal(st.stats.read_count, reads);
	assert_int_equal(st.stats.missed, missed);
	assert_true(st.timestamps);
	assert_int_equal(st.channel_mode, ESHM_CHANNEL_LATEST);
	assert_int_equal(st.queue_depth, 0);
	kill(pid, SIGKILL);
	th_wait_child(pid);
	eshm_destroy(s);
}

static void
without_timestamps_write_time_is_zero_and_old_callers_get_their_size(void **state)
{
	struct qt_job j = { .name = "qt_plain", .role = ESHM_ROLE_MASTER, .mode = ESHM_CHANNEL_LATEST,
			    .depth = 0, .timestamps = false, .first = 0, .count = 0,
			    .size = QT_MSG };
	struct qt_job r = j;
	unsigned char buf[QT_MSG];
	ESHMMessageInfo info;
	ESHMHandle *m, *s;
	struct {
		ESHMStats2 st;
		unsigned char later[32];
	} big;
	ESHMStats2 st;

	m = qt_attach(&j, ESHM_DISCONNECT_NEVER);
	r.role = ESHM_ROLE_SLAVE;
	/* an existing segment keeps its mode: the slave asks for a queue */
	r.mode = ESHM_CHANNEL_QUEUE;
	r.depth = 8;
	s = qt_attach(&r, ESHM_DISCONNECT_NEVER);
	assert_non_null(m);
	assert_non_null(s);
	assert_true(th_wait_until(tc_remote_alive, s, 10000));
	qt_payload(buf, j.size, 7);
	assert_int_equal(eshm_write(m, buf, j.size), ESHM_SUCCESS);
	memset(&info, 0xff, sizeof(info));
	assert_int_equal(eshm_read_ex(s, buf, 8, &info), ESHM_ERROR_BUFFER_TOO_SMALL);
	assert_int_equal(info.size, j.size);
	assert_int_equal(info.sequence, 0);
	assert_int_equal(eshm_read_ex(s, buf, sizeof(buf), &info), ESHM_SUCCESS);
	assert_int_equal(info.sequence, 1);
	assert_int_equal(info.write_time_ns, 0);
	assert_int_equal(info.reserved[0] | info.reserved[1] | info.reserved[2], 0);
	assert_int_equal(eshm_read_ex(s, buf, sizeof(buf), &info), ESHM_ERROR_NO_DATA);
	assert_int_equal(info.size, 0);
	/* the size a caller passes bounds what is written; more is zeroed */
	memset(&st, 0xa5, sizeof(st));
	assert_int_equal(eshm_get_stats_ex(s, &st, sizeof(ESHMStats)), ESHM_SUCCESS);
	assert_int_equal(st.stats.read_count, 1);
	assert_int_equal(st.channel_mode, (ESHMChannelMode)0xa5a5a5a5);
	memset(&big, 0xa5, sizeof(big));
	assert_int_equal(eshm_get_stats_ex(s, &big.st, sizeof(big)), ESHM_SUCCESS);
	assert_int_equal(big.st.channel_mode, ESHM_CHANNEL_LATEST);
	assert_false(big.st.timestamps);
	for (size_t i = 0; i < sizeof(big.later); i++)
		assert_int_equal(big.later[i], 0);
	eshm_destroy(s);
	eshm_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seed_example_3_in_queue_mode_delivers_a_million_messages_in_order),
		cmocka_unit_test(stopped_reader_fills_the_queue_then_gets_everything_after_sigcont),
		cmocka_unit_test(full_queue_of_a_dead_reader_reports_remote_dead),
		cmocka_unit_test(new_reader_goes_on_where_the_last_one_stopped),
		cmocka_unit_test(new_writer_comes_after_what_the_last_one_left),
		cmocka_unit_test(writer_killed_mid_write_leaves_nothing_torn_or_repeated),
		cmocka_unit_test(sequence_and_missed_are_exact_against_a_counting_writer),
		cmocka_unit_test(without_timestamps_write_time_is_zero_and_old_callers_get_their_size),
	};

	return cmocka_run_group_tests_name("queue", tests, th_group_setup, th_group_teardown);
}
