/*
 * brg_peer.c - the local programs of the bridge's integration test
 * (test_bridge_netns.sh): an ordinary master or slave of libeshm-client that
 * cannot tell a bridge from a peer, and checks every byte it gets.
 *
 *   brg-peer pingpong master|slave NAME COUNT [SIZE [BLOCKS GO DONE]]
 *            latest-value segment: the master sends message i and waits
 *            for its echo, COUNT times; messages of SIZE bytes (16..4096),
 *            else of 17..516; with BLOCKS, the master reads a byte from
 *            the FIFO GO before each of BLOCKS blocks of COUNT/BLOCKS round
 *            trips, reports each block and then writes a line to the FIFO
 *            DONE (bench_bridge.sh alternates them with plain DDS ones)
 *   brg-peer stream master|slave NAME COUNT [PAUSE_AT]  queue segment: both
 *            sides send COUNT messages and read the other's COUNT, in
 *            order; after reading message PAUSE_AT, stop reading for 2 s
 *   brg-peer hold master|slave NAME             attach, then print a line
 *            "<CLOCK_BOOTTIME ms> <state> <pid>" at each change of the
 *            remote's state until SIGTERM
 *   brg-peer watch master|slave NAME            latest-value segment: as
 *            hold, and write a message every 100 ms; print
 *            "<ms> got <index>" for each message of the other side's watch
 *            read, "<ms> foreign <index>" for any other message
 *   brg-peer now                                CLOCK_BOOTTIME in ms
 *
 * eshmd is found at $ESHM_SOCKET.  Exit 0 when every check held.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "brg_rtt.h"
#include "eshm.h"

#define BP_CAPACITY 4096
#define BP_QUEUE_DEPTH 64
#define BP_HEADER 16
#define BP_WAIT_MS 60000

struct bp_msg {
	uint64_t index;
	uint32_t len;  /* of the whole message */
	uint32_t sum;  /* FNV-1a of index and payload */
	unsigned char payload[BP_CAPACITY - BP_HEADER];
};

static volatile sig_atomic_t bp_stop;
static size_t bp_fixed_len;  /* pingpong SIZE; 0: sizes vary */
static uint64_t bp_blocks = 1; /* pingpong BLOCKS */
static int bp_go = -1;       /* pingpong GO, open */
static int bp_done = -1;     /* pingpong DONE, open */

/* CLOCK_BOOTTIME in ms: what /proc/uptime counts, so that a shell can read
 * the same clock without starting a process. */
static long long
bp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
bp_fnv(uint32_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* Message @index: a length and bytes that depend on the index and @salt. */
static size_t
bp_make(struct bp_msg *m, uint64_t index, unsigned salt)
{
	uint32_t x = (uint32_t)(index * 2654435761u) ^ salt;
	size_t n, i;

	n = bp_fixed_len > BP_HEADER ? bp_fixed_len - BP_HEADER : 1 + x % 500;
	m->index = index;
	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		m->payload[i] = (unsigned char)(x >> 16);
	}
	m->len = (uint32_t)(BP_HEADER + n);
	m->sum = bp_fnv(bp_fnv(2166136261u, &m->index, sizeof(m->index)), m->payload, n);
	return m->len;
}

/* Whether @m of @size bytes is message @index as bp_make() built it. */
static bool
bp_check(const struct bp_msg *m, size_t size, uint64_t index, unsigned salt)
{
	static struct bp_msg want;

	if (size < BP_HEADER || m->index != index || m->len != size)
		return false;
	bp_make(&want, index, salt);
	return size == want.len && memcmp(m, &want, size) == 0;
}

static ESHMHandle *
bp_attach(const char *role, const char *name, ESHMChannelMode mode)
{
	ESHMConfig cfg = eshm_default_config(name);
	ESHMOptions *o = eshm_options_new();
	ESHMHandle *h;

	cfg.role = strcmp(role, "master") == 0 ? ESHM_ROLE_MASTER : ESHM_ROLE_SLAVE;
	cfg.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	cfg.auto_cleanup = false;
	eshm_options_set_capacity(o, BP_CAPACITY);
	eshm_options_set_channel_mode(o, mode);
	eshm_options_set_queue_depth(o, BP_QUEUE_DEPTH);
	h = eshm_init_with_options(&cfg, o);
	eshm_options_free(o);
	if (h == NULL)
		fprintf(stderr, "brg-peer: cannot attach to %s as %s: %s (%s)\n", name, role,
		        eshm_error_string(eshm_last_error()), eshm_last_error_message());
	return h;
}

/* Read the next message within BP_WAIT_MS, or say why not. */
static int
bp_read(ESHMHandle *h, struct bp_msg *m, size_t *n)
{
	long long end = bp_now_ms() + BP_WAIT_MS;
	int rc;

	do {
		rc = eshm_read_timeout(h, m, sizeof(*m), n, 200);
		if (rc == ESHM_SUCCESS)
			return rc;
	} while ((rc == ESHM_ERROR_TIMEOUT || rc == ESHM_ERROR_NO_DATA) && bp_now_ms() < end &&
	         !bp_stop);
	fprintf(stderr, "brg-peer: read: %s\n", eshm_error_string(rc));
	return rc;
}

/* Round trips per block of a pingpong of @count. */
static uint64_t
bp_block_size(uint64_t count)
{
	uint64_t per = count / bp_blocks;

	return per > 1 ? per : count;
}

/* Before round trip @i: at a block's start, wait for the go. */
static int
bp_block_begins(uint64_t i, uint64_t count)
{
	char go;

	if (bp_go < 0 || (i - 1) % bp_block_size(count) != 0)
		return 0;
	if (read(bp_go, &go, 1) == 1)
		return 0;
	fprintf(stderr, "brg-peer: no go for the block of %llu\n", (unsigned long long)i);
	return 1;
}

/* After round trip @i: at a block's end, report it (its first round trip
 * left out: it follows a pause). */
static void
bp_block_ends(long long *rtt, uint64_t i, uint64_t count)
{
	uint64_t per = bp_block_size(count), first = (i - 1) / per * per;
	char label[32];

	if (bp_go < 0 || (i % per != 0 && i != count))
		return;
	/* Sorted in place: the whole run's report sorts them all again. */
	snprintf(label, sizeof(label), "block %llu: ", (unsigned long long)(first / per + 1));
	brg_rtt_report(label, rtt + first + 1, i - first - 1);
	if (write(bp_done, "\n", 1) != 1)
		fprintf(stderr, "brg-peer: cannot say the block is done\n");
}

static int
bp_pingpong(ESHMHandle *h, bool master, uint64_t count)
{
	static struct bp_msg out, in;
	long long *rtt = master ? calloc(count + 1, sizeof(*rtt)) : NULL;
	uint64_t i;
	size_t n;

	if (master && rtt == NULL)
		return 1;
	for (i = 1; i <= count; i++) {
		if (master && bp_block_begins(i, count) != 0)
			return 1;
		if (master) {
			long long resend = bp_now_ms() + 2000, sent = brg_rtt_now_ns();

			eshm_write(h, &out, bp_make(&out, i, 1));
			/* The echo of i, skipping an older echo seen again. */
			for (;;) {
				int rc = eshm_read_timeout(h, &in, sizeof(in), &n, 100);

				if (rc == ESHM_SUCCESS && in.index == i)
					break;
				if (rc == ESHM_SUCCESS && in.index < i)
					continue;
				if (rc != ESHM_SUCCESS && rc != ESHM_ERROR_TIMEOUT &&
				    rc != ESHM_ERROR_NO_DATA) {
					fprintf(stderr, "brg-peer: read: %s\n", eshm_error_string(rc));
					return 1;
				}
				if (rc == ESHM_SUCCESS) {
					fprintf(stderr, "brg-peer: echo %llu while waiting for %llu\n",
					        (unsigned long long)in.index, (unsigned long long)i);
					return 1;
				}
				if (bp_stop || bp_now_ms() > resend + BP_WAIT_MS) {
					fprintf(stderr, "brg-peer: no echo of %llu\n",
					        (unsigned long long)i);
					return 1;
				}
				/* Nothing lost in transit is expected; a late peer is. */
				if (bp_now_ms() > resend) {
					eshm_write(h, &out, out.len);
					resend = bp_now_ms() + 2000;
				}
			}
			if (!bp_check(&in, n, i, 2)) {
				fprintf(stderr, "brg-peer: echo %llu is corrupt\n", (unsigned long long)i);
				return 1;
			}
			rtt[i - 1] = brg_rtt_now_ns() - sent;
			bp_block_ends(rtt, i, count);
		} else {
			if (bp_read(h, &in, &n) != ESHM_SUCCESS)
				return 1;
			if (in.index < i) {
				/* A message sent again: answer it again. */
				eshm_write(h, &out, out.len);
				i--;
				continue;
			}
			if (!bp_check(&in, n, i, 1)) {
				fprintf(stderr, "brg-peer: message %llu (got %llu, %zu bytes) is corrupt\n",
				        (unsigned long long)i, (unsigned long long)in.index, n);
				return 1;
			}
			eshm_write(h, &out, bp_make(&out, i, 2));
		}
	}
	/* The first includes waiting for the peer: left out. */
	if (master)
		brg_rtt_report("", rtt + 1, count > 0 ? count - 1 : 0);
	free(rtt);
	return 0;
}

struct bp_sender {
	ESHMHandle *h;
	uint64_t count;
	unsigned salt;
	int rc;
};

static void *
bp_send_all(void *arg)
{
	static struct bp_msg out;
	struct bp_sender *s = arg;
	uint64_t i;

	for (i = 1; i <= s->count; i++) {
		long long end = bp_now_ms() + BP_WAIT_MS;
		size_t n = bp_make(&out, i, s->salt);
		int rc;

		/* A full queue is the bridge holding back: wait, never drop. */
		while ((rc = eshm_write_timeout(s->h, &out, n, 200)) == ESHM_ERROR_TIMEOUT ||
		       rc == ESHM_ERROR_QUEUE_FULL) {
			if (bp_now_ms() > end || bp_stop) {
				fprintf(stderr, "brg-peer: message %llu found no room\n",
				        (unsigned long long)i);
				s->rc = 1;
				return NULL;
			}
		}
		if (rc != ESHM_SUCCESS) {
			fprintf(stderr, "brg-peer: write: %s\n", eshm_error_string(rc));
			s->rc = 1;
			return NULL;
		}
	}
	return NULL;
}

static int
bp_stream(ESHMHandle *h, bool master, uint64_t count, uint64_t pause_at)
{
	static struct bp_msg in;
	struct bp_sender s = {h, count, master ? 3u : 4u, 0};
	pthread_t t;
	uint64_t i;
	size_t n;
	int rc = 0;

	if (pthread_create(&t, NULL, bp_send_all, &s) != 0)
		return 1;
	for (i = 1; i <= count && rc == 0; i++) {
		if (bp_read(h, &in, &n) != ESHM_SUCCESS) {
			fprintf(stderr, "brg-peer: message %llu did not come\n", (unsigned long long)i);
			rc = 1;
		} else if (!bp_check(&in, n, i, master ? 4u : 3u)) {
			fprintf(stderr, "brg-peer: message %llu: got %llu of %zu bytes, or corrupt\n",
			        (unsigned long long)i, (unsigned long long)in.index, n);
			rc = 1;
		}
		/* The queue fills meanwhile: the writer and the bridges must hold back. */
		if (i == pause_at)
			usleep(2000000);
	}
	if (rc != 0)
		bp_stop = 1;
	pthread_join(t, NULL);
	return rc != 0 ? rc : s.rc;
}

static const char *
bp_state(ESHMHandle *h, int *pid)
{
	ESHMStats2 st;
	bool alive = false;

	if (eshm_check_remote_alive(h, &alive) != ESHM_SUCCESS ||
	    eshm_get_stats_ex(h, &st, sizeof(st)) != ESHM_SUCCESS)
		return "detached-self";
	*pid = st.remote_pid;
	if (alive)
		return "alive";
	if (st.stats.remote_is_dead)
		return "dead";
	if (st.stats.remote_is_stale)
		return "stale";
	return "detached";
}

/* Print a line when the remote's state or pid differs from *@last, *@last_pid. */
static void
bp_say_state(ESHMHandle *h, const char **last, int *last_pid)
{
	int pid = 0;
	const char *s = bp_state(h, &pid);

	if (*last == NULL || strcmp(s, *last) != 0 || pid != *last_pid) {
		printf("%lld %s %d\n", bp_now_ms(), s, pid);
		fflush(stdout);
		*last = s;
		*last_pid = pid;
	}
}

static int
bp_hold(ESHMHandle *h)
{
	const char *last = NULL;
	int last_pid = -1;

	printf("%lld ready %d\n", bp_now_ms(), (int)getpid());
	fflush(stdout);
	while (!bp_stop) {
		bp_say_state(h, &last, &last_pid);
		usleep(2000);
	}
	return 0;
}

/* Whatever arrives is printed, so that a test can say nothing did. */
static int
bp_watch(ESHMHandle *h, bool master)
{
	static struct bp_msg out, in;
	const char *last = NULL;
	int last_pid = -1;
	unsigned salt = master ? 5u : 6u, theirs = master ? 6u : 5u;
	long long next = 0;
	uint64_t i = 0;
	size_t n;

	printf("%lld ready %d\n", bp_now_ms(), (int)getpid());
	fflush(stdout);
	while (!bp_stop) {
		bp_say_state(h, &last, &last_pid);
		if (bp_now_ms() >= next) {
			i++;
			eshm_write(h, &out, bp_make(&out, i, salt));
			next = bp_now_ms() + 100;
		}
		while (eshm_read(h, &in, sizeof(in), &n) == ESHM_SUCCESS) {
			printf("%lld %s %llu\n", bp_now_ms(),
			       bp_check(&in, n, in.index, theirs) ? "got" : "foreign",
			       (unsigned long long)in.index);
			fflush(stdout);
		}
		usleep(2000);
	}
	return 0;
}

static void
bp_on_signal(int sig)
{
	bp_stop = sig;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	ESHMHandle *h;
	uint64_t count = 0, pause_at = 0;
	int rc;

	if (argc == 2 && strcmp(argv[1], "now") == 0) {
		printf("%lld\n", bp_now_ms());
		return 0;
	}
	if (argc < 4 || (strcmp(argv[2], "master") != 0 && strcmp(argv[2], "slave") != 0)) {
		fprintf(stderr, "usage: brg-peer pingpong|stream|hold|watch master|slave NAME [COUNT [PAUSE_AT]]\n");
		return 2;
	}
	if (argc > 4)
		count = strtoull(argv[4], NULL, 10);
	if (argc > 5 && strcmp(argv[1], "stream") == 0)
		pause_at = strtoull(argv[5], NULL, 10);
	if (argc > 5 && strcmp(argv[1], "pingpong") == 0)
		bp_fixed_len = strtoull(argv[5], NULL, 10);
	if (argc > 8 && strcmp(argv[1], "pingpong") == 0) {
		bp_blocks = strtoull(argv[6], NULL, 10);
		bp_go = open(argv[7], O_RDONLY | O_CLOEXEC);
		bp_done = open(argv[8], O_WRONLY | O_CLOEXEC);
		if (bp_blocks == 0 || bp_go < 0 || bp_done < 0) {
			fprintf(stderr, "brg-peer: bad BLOCKS or GO\n");
			return 2;
		}
	}
	if (bp_fixed_len > BP_CAPACITY)
		bp_fixed_len = BP_CAPACITY;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bp_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	h = bp_attach(argv[2], argv[3],
	              strcmp(argv[1], "stream") == 0 ? ESHM_CHANNEL_QUEUE : ESHM_CHANNEL_LATEST);
	if (h == NULL)
		return 1;
	if (strcmp(argv[1], "pingpong") == 0)
		rc = bp_pingpong(h, strcmp(argv[2], "master") == 0, count);
	else if (strcmp(argv[1], "stream") == 0)
		rc = bp_stream(h, strcmp(argv[2], "master") == 0, count, pause_at);
	else if (strcmp(argv[1], "watch") == 0)
		rc = bp_watch(h, strcmp(argv[2], "master") == 0);
	else
		rc = bp_hold(h);
	eshm_destroy(h);
	return rc;
}
