/*
 * peer_iox.c - Eclipse iceoryx 2.0 through its C binding: a publisher and
 * a subscriber each way, the subscriber polled (iceoryx's own busy-wait
 * style), each side copying its message into a loaned chunk and out of a
 * received one, as eshm_write() and eshm_read() copy.
 *
 * iceoryx needs its broker, RouDi: the benchmark starts its own
 * (iox-roudi) unless one already runs, and removes what RouDi leaves in
 * /dev/shm.  An iceoryx runtime survives no fork, so the measurement runs
 * in a child process of its own (fresh_process) whose slave is forked
 * before either side starts a runtime.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>

/* What RouDi's default configuration creates under /dev/shm. */
#define IOX_MGMT_SHM "/dev/shm/iceoryx_mgmt"
/* Where each runtime makes its socket and lock file, which a process that
 * ends without running its destructors leaves behind. */
#define IOX_RUNTIME_DIR "/tmp"
/* How long RouDi and a subscription may take to come up. */
#define IOX_WAIT_NS (5000u * 1000000u)

extern char **environ;

struct iox_state {
	pid_t roudi;            /* the RouDi started here, 0: one already ran */
	char payload_shm[128];  /* the payload segment RouDi makes for our user */
	char instance[32];      /* this measurement's service instance */
	iox_pub_storage_t pub_storage;
	iox_sub_storage_t sub_storage;
	iox_pub_t pub;
	iox_sub_t sub;
	bool connected;         /* the publisher saw its subscriber */
};

static bool
iox_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Start iox-roudi, its output out of the tables; true once its management
 * segment exists. */
static bool
iox_roudi_start(struct iox_state *s)
{
	char *argv[] = { "iox-roudi", "-l", "off", NULL };
	uint64_t until = bench_now_ns() + IOX_WAIT_NS;
	posix_spawn_file_actions_t fa;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return false;
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	rc = posix_spawnp(&s->roudi, "iox-roudi", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		s->roudi = 0;
		return false;
	}
	while (!iox_exists(IOX_MGMT_SHM) && bench_now_ns() < until)
		bench_sleep_ns(10000000);
	/* the segments exist a moment before RouDi serves them */
	bench_sleep_ns(200000000);
	return iox_exists(IOX_MGMT_SHM);
}

/* Name the runtime of this measurement's @role (@n: which one). */
static void
iox_runtime_name(const struct iox_state *s, const char *role, unsigned n, char *buf, size_t len)
{
	snprintf(buf, len, "eshm-bench-%s-%s-%u", s->instance, role, n);
}

/* Remove what this measurement's runtimes left in IOX_RUNTIME_DIR. */
static void
iox_runtime_files_remove(const struct iox_state *s)
{
	DIR *dir = opendir(IOX_RUNTIME_DIR);
	char prefix[64];
	struct dirent *e;

	if (dir == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "eshm-bench-%s-", s->instance);
	while ((e = readdir(dir)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			unlinkat(dirfd(dir), e->d_name, 0);
	closedir(dir);
}

static void
iox_teardown(void *st)
{
	struct iox_state *s = st;

	iox_runtime_files_remove(s);
	if (s->roudi > 0) {
		kill(s->roudi, SIGTERM);
		while (waitpid(s->roudi, NULL, 0) < 0 && errno == EINTR)
			;
		unlink(IOX_MGMT_SHM);
		unlink(s->payload_shm);
	}
	free(s);
}

static void *
iox_setup(size_t size)
{
	struct iox_state *s = calloc(1, sizeof(*s));
	struct passwd *pw = getpwuid(getuid());

	(void)size;
	if (s == NULL || pw == NULL) {
		free(s);
		return NULL;
	}
	snprintf(s->payload_shm, sizeof(s->payload_shm), "/dev/shm/%s", pw->pw_name);
	snprintf(s->instance, sizeof(s->instance), "rt%ld", (long)getpid());
	/* A RouDi that runs already serves us; one started here is ours to
	 * stop, with what it leaves behind (only if it was not there). */
	if (!iox_exists(IOX_MGMT_SHM) && (iox_exists(s->payload_shm) || !iox_roudi_start(s))) {
		iox_teardown(s);
		return NULL;
	}
	return s;
}

/* Attach with a subscriber queue of @depth chunks; @wait: a full queue
 * holds the publisher back instead of losing the oldest chunk. */
static int
iox_attach_as(struct iox_state *s, int side, uint64_t depth, bool wait)
{
	static const char *const event[2] = { "m2s", "s2m" };
	iox_pub_options_t po;
	iox_sub_options_t so;
	char name[64];

	iox_runtime_name(s, side == 0 ? "master" : "slave", 0, name, sizeof(name));
	iox_set_loglevel(Iceoryx_LogLevel_Error);
	iox_runtime_init(name);
	iox_pub_options_init(&po);
	iox_sub_options_init(&so);
	so.queueCapacity = depth;
	if (wait) {
		po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
		so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	}
	s->pub = iox_pub_init(&s->pub_storage, "eshm-bench", s->instance, event[side], &po);
	s->sub = iox_sub_init(&s->sub_storage, "eshm-bench", s->instance, event[!side], &so);
	return s->pub != NULL && s->sub != NULL ? 0 : -1;
}

static int
iox_attach(void *st, int side)
{
	return iox_attach_as(st, side, 1, false);
}

/* A stream: lossless, as deep as eshm's queue. */
static int
iox_attach_stream(void *st, int side)
{
	return iox_attach_as(st, side, BENCH_STREAM_DEPTH, true);
}

/* A message published before the subscription is through is lost: the
 * first send waits until the publisher sees its subscriber. */
static bool
iox_connected(struct iox_state *s)
{
	uint64_t until = bench_now_ns() + IOX_WAIT_NS;

	while (!s->connected && bench_now_ns() < until) {
		s->connected = iox_pub_has_subscribers(s->pub);
		if (!s->connected)
			bench_sleep_ns(1000000);
	}
	return s->connected;
}

static int
iox_send(void *st, int side, const void *buf, size_t size)
{
	struct iox_state *s = st;
	void *chunk;

	(void)side;
	if (!iox_connected(s))
		return -1;
	if (iox_pub_loan_chunk(s->pub, &chunk, (uint32_t)size) != AllocationResult_SUCCESS)
		return -1;
	memcpy(chunk, buf, size);
	iox_pub_publish_chunk(s->pub, chunk);
	return 0;
}

static int
iox_recv(void *st, int side, void *buf, size_t size)
{
	struct iox_state *s = st;
	const void *chunk;
	enum iox_ChunkReceiveResult rc;

	(void)side;
	while ((rc = iox_sub_take_chunk(s->sub, &chunk)) == ChunkReceiveResult_NO_CHUNK_AVAILABLE)
		;
	if (rc != ChunkReceiveResult_SUCCESS)
		return -1;
	memcpy(buf, chunk, size);
	iox_sub_release_chunk(s->sub, chunk);
	return 0;
}

static void
iox_detach(void *st, int side)
{
	struct iox_state *s = st;

	(void)side;
	if (s->pub != NULL)
		iox_pub_deinit(s->pub);
	if (s->sub != NULL)
		iox_sub_deinit(s->sub);
	iox_runtime_shutdown();
}

const struct rt_ops peer_iox_ops = {
	.name = "iceoryx polled",
	.fresh_process = true,
	.setup = iox_setup,
	.attach = iox_attach,
	.send = iox_send,
	.recv = iox_recv,
	.detach = iox_detach,
	.teardown = iox_teardown,
};

const struct rt_ops peer_iox_stream_ops = {
	.name = "iceoryx blocking",
	.fresh_process = true,
	.setup = iox_setup,
	.attach = iox_attach_stream,
	.send = iox_send,
	.recv = iox_recv,
	.detach = iox_detach,
	.teardown = iox_teardown,
};

/* ---------------------------------------------------------------- a peer killed */

/*
 * The survivor publishes, each victim subscribes; RouDi removes a dead
 * process's ports once its keep-alive messages stop, and the publisher
 * then has no subscriber: the only sign of the death an iceoryx user gets.
 */
static void *
iox_kill_setup(void)
{
	return iox_setup(0);
}

static void *
iox_kill_open(void *st)
{
	struct iox_state *s = st;
	char name[64];

	iox_runtime_name(s, "survivor", 0, name, sizeof(name));
	iox_set_loglevel(Iceoryx_LogLevel_Error);
	iox_runtime_init(name);
	s->pub = iox_pub_init(&s->pub_storage, "eshm-bench", s->instance, "kill", NULL);
	if (s->pub == NULL) {
		iox_runtime_shutdown();
		return NULL;
	}
	return s;
}

static int
iox_kill_victim(void *st, unsigned n)
{
	struct iox_state *s = st;
	char name[64];

	iox_runtime_name(s, "victim", n, name, sizeof(name));
	iox_set_loglevel(Iceoryx_LogLevel_Error);
	iox_runtime_init(name);
	s->sub = iox_sub_init(&s->sub_storage, "eshm-bench", s->instance, "kill", NULL);
	return s->sub != NULL ? 0 : -1;
}

/* The publisher's view, looked at now and again until @wait_ns passed. */
static bool
iox_kill_has_subscribers(struct iox_state *s, bool want, uint64_t wait_ns)
{
	uint64_t until = bench_now_ns() + wait_ns;

	for (;;) {
		if (iox_pub_has_subscribers(s->pub) == want)
			return true;
		if (bench_now_ns() >= until)
			return false;
		bench_sleep_ns(wait_ns < 100000 ? wait_ns : 100000);
	}
}

static bool
iox_kill_connected(void *side, uint64_t wait_ns)
{
	return iox_kill_has_subscribers(side, true, wait_ns);
}

static bool
iox_kill_gone(void *side, uint64_t wait_ns)
{
	return iox_kill_has_subscribers(side, false, wait_ns);
}

static void
iox_kill_close(void *side)
{
	struct iox_state *s = side;

	iox_pub_deinit(s->pub);
	iox_runtime_shutdown();
}

const struct kill_ops kill_iox_ops = {
	.name = "iceoryx",
	.how = "the publisher has no subscriber",
	.full_only = true,
	.setup = iox_kill_setup,
	.survivor_open = iox_kill_open,
	.victim = iox_kill_victim,
	.connected = iox_kill_connected,
	.gone = iox_kill_gone,
	.survivor_close = iox_kill_close,
	.teardown = iox_teardown,
};
