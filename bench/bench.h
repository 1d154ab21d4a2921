/*
 * bench.h - eshm-bench: what the benchmark families measure, and the
 * helpers they share (clocks, pinning, statistics, the private eshmd).
 *
 * Every family fills one result struct; report.c turns the whole
 * struct bench_results into a table and into JSON.  Nothing here is a
 * test: a figure is recorded, never judged by an exit status.
 */
#ifndef ESHM_BENCH_H
#define ESHM_BENCH_H

#include "config.h" /* HAVE_ZMQ, HAVE_ICEORYX: which peers were built */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

#define BENCH_MASTER_CPU 0
#define BENCH_SLAVE_CPU 1

/* How much work each family does: --quick (make check) or a full run. */
struct bench_opts {
	bool quick;
	bool json;
	const char *eshmd;      /* path of the eshmd binary */
	const char *only;       /* run only families whose name contains this */
};

/* ---- stats.c */

/* Set by --json: no progress lines on stderr. */
extern bool bench_quiet;

/* Summary of a sample of durations in nanoseconds. */
struct bench_dist {
	size_t n;
	double mean, p50, p99, p999, max, min;
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* CPU time (user + system) of the calling process, all threads, in ns. */
uint64_t bench_self_cpu_ns(void);

/* CPU time of process @pid (all threads) in ns, or -1 if unreadable. */
int64_t bench_pid_cpu_ns(pid_t pid);

/* Sort @v (@n values) and summarise it into @d; @n may be 0. */
void bench_dist_of(double *v, size_t n, struct bench_dist *d);

/* The median of @v (@n values, reordered). */
double bench_median(double *v, size_t n);

/* Pin the calling thread to @cpu (modulo the CPUs online).  Returns 0 or -1. */
int bench_pin(int cpu);

/* Allow the calling thread every online CPU again. */
void bench_unpin(void);

/* Sleep @ns nanoseconds (relative, restarted on EINTR). */
void bench_sleep_ns(uint64_t ns);

/* Print a progress line on stderr (not with --json). */
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write/read exactly @len bytes on @fd, retrying EINTR; 0 or -1. */
int bench_write_full(int fd, const void *buf, size_t len);
int bench_read_full(int fd, void *buf, size_t len);

/* Keep the compiler from dropping or merging the timed operations of a loop. */
#define BENCH_CLOBBER() __asm__ __volatile__("" ::: "memory")

/* Make the bytes at @p count as read, so a copy into a local buffer that
 * nothing else reads is not optimised away (a bare clobber does not keep
 * it: the buffer's address never escapes). */
#define BENCH_USE(p) __asm__ __volatile__("" : : "r"(p) : "memory")

/* ---- copycost.c: a channel's write and read beside the same copies
 * without the channel */

/* What one size cost, in ns per operation, medians over the blocks. */
struct bench_copy_cost {
	double write_ns, read_ns;
	double memcpy_ns;             /* between two fixed buffers */
	double copy_in_ns;            /* the write's copy, into the next slot */
	double copy_out_ns;           /* the read's, out of it */
	/* medians of the per-block ratios to the copies of the same block */
	double write_ratio, read_ratio;
};

/* A channel to measure; @src and @dst hold at least @size bytes. */
struct bench_copy {
	uint64_t capacity;            /* the channel's: the copies' ring has its slots */
	bool two_mappings;            /* its writer and reader map the block apart */
	size_t size;
	unsigned char *src, *dst;
	/* @n writes of @size bytes from @src, each followed by a read into
	 * @dst if @read */
	void (*pass)(void *ctx, bool read, size_t n);
	void *ctx;
};

/*
 * Time memcpy, the copy in, the copies in and out, the write, and the
 * write + read, in turn in each of @batches blocks of @n operations (so
 * each block's five see the host in the same phase); a read is (write +
 * read) - write, its copy (in + out) - in.  0, or -1 out of memory.
 */
int bench_copy_measure(const struct bench_copy *c, size_t n, size_t batches,
                       struct bench_copy_cost *out);

/* ---- roundtrip.c: one message there and back between two pinned processes */

/*
 * A transport.  setup() runs before fork() and returns state both processes
 * share; attach() runs in each process after fork() (side 0 master on CPU 0,
 * side 1 slave on CPU 1); send() and recv() move one message of @size bytes;
 * detach() and teardown() undo.  Any hook may be NULL.  A hook returns 0 or
 * -1 (the run is then abandoned and reported as failed).  The first 8
 * bytes of a message are its tag; the slave stops on the tag UINT64_MAX.
 */
struct rt_ops {
	const char *name;
	bool tag_only;          /* carries only the 8-byte tag (the floor) */
	bool fresh_process;     /* setup and teardown here, the measurement in a
	                         * child process of its own: a peer whose
	                         * runtime survives no fork */
	uint64_t gap_ns;        /* untimed pause before each sample, so the
	                         * slave has gone to sleep when it comes */
	void *(*setup)(size_t size);
	int (*attach)(void *st, int side);
	int (*send)(void *st, int side, const void *buf, size_t size);
	int (*recv)(void *st, int side, void *buf, size_t size);
	void (*detach)(void *st, int side);
	void (*teardown)(void *st);
};

struct rt_result {
	char name[32];
	size_t size;
	bool ok;
	struct bench_dist rt;   /* round trip, ns */
	double per_s;           /* a stream: messages per second */
};

/*
 * Run @iters timed round trips of @size bytes (after @iters/10 untimed
 * ones) through @ops, the slave echoing each message.  Every echo is
 * checked.  Fills @res; returns 0 or -1.
 */
int rt_run(const struct rt_ops *ops, size_t size, size_t iters, struct rt_result *res);

/* The depth of the queues the streams run through, where one is set. */
#define BENCH_STREAM_DEPTH 256

/*
 * Send @messages messages of @size bytes one way through @ops as fast as it
 * takes them; the slave checks each (in order, none lost, intact) and
 * answers the last.  Fills @res (per_s); returns 0 or -1.
 */
int rt_stream(const struct rt_ops *ops, size_t size, size_t messages, struct rt_result *res);

/* ---- rtpair.c: round trips and their floors in alternating blocks */

#define BENCH_RTPAIRS 3
struct rtpair {
	bool ok;
	const char *row, *floor;       /* the rt_ops' names */
	size_t size;
	double row_p50, floor_p50;     /* medians of the blocks' medians, ns */
	double ratio;                  /* median of the per-block ratios */
};
struct rtpair_result {
	bool ok;
	size_t blocks, per_block;
	struct rtpair pair[BENCH_RTPAIRS];
};
int eshm_bench_rtpairs(const struct bench_opts *o, struct rtpair_result *r);

/* ---- peer_*.c: the alternatives eshm is measured against */
extern const struct rt_ops peer_floor_ops;      /* one cache line, atomics */
extern const struct rt_ops peer_floor_copy_ops; /* the line plus a memcpy each way */
extern const struct rt_ops peer_mutex_ops;      /* pshared mutex + condvar */
extern const struct rt_ops peer_unix_ops;       /* Unix stream socket pair */
extern const struct rt_ops peer_pipe_ops;       /* two pipes */
extern const struct rt_ops peer_mq_ops;         /* two POSIX message queues */
#ifdef HAVE_ZMQ
extern const struct rt_ops peer_zmq_ops;        /* ZeroMQ PAIR sockets over ipc:// */
#endif
#ifdef HAVE_ICEORYX
extern const struct rt_ops peer_iox_ops;        /* iceoryx publisher and subscriber, polled */
extern const struct rt_ops peer_iox_stream_ops; /* the same, queue of BENCH_STREAM_DEPTH, blocking */
#endif

/* ---- peer_kill.c: a peer SIGKILLed, and how soon the survivor knows */

/*
 * One transport's way of telling its user the peer died.  setup() runs in
 * the bench process, survivor_open() to survivor_close() in the
 * survivor's process, victim() in a fresh child per trial (which then
 * waits to be killed).  connected() and gone() may wait up to @wait_ns in
 * the transport's own call, or return at once.
 */
struct kill_ops {
	const char *name;
	const char *how;                          /* what the survivor sees */
	bool full_only;                           /* it starts a broker: full runs only */
	void *(*setup)(void);                     /* NULL: cannot run here */
	void *(*survivor_open)(void *st);         /* the survivor's side, NULL: failed */
	int (*victim)(void *st, unsigned n);      /* connect as victim @n: 0 or -1 */
	bool (*connected)(void *side, uint64_t wait_ns);
	bool (*gone)(void *side, uint64_t wait_ns);
	void (*survivor_close)(void *side);
	void (*teardown)(void *st);
};

struct kill_result {
	char name[32];
	char how[64];
	bool ok;
	struct bench_dist ms;         /* SIGKILL -> the survivor knows, ms */
};

/* @trials kills through @ops into @res; 0, or -1 if any failed. */
int kill_run(const struct kill_ops *ops, size_t trials, struct kill_result *res);

extern const struct kill_ops kill_unix_ops;     /* end of file on a Unix socket */
#ifdef HAVE_ZMQ
extern const struct kill_ops kill_zmq_ops;      /* a monitor's DISCONNECTED event */
#endif
#ifdef HAVE_ICEORYX
extern const struct kill_ops kill_iox_ops;      /* the publisher loses its subscriber */
#endif

/* ---- daemon.c: the private eshmd every eshm figure runs against, started
 * and stopped with the tests' harness (tests/harness.h) */

/*
 * Start @eshmd on a private socket and shm prefix, with limits high enough
 * for the scaling run, and set $ESHM_SOCKET.  Returns 0 or -1 (said on
 * stderr).
 */
int bench_daemon_start(struct th_daemon *d, const char *eshmd);

/* Stop eshmd, unlink what it left under its prefix, remove the directory. */
void bench_daemon_stop(struct th_daemon *d);

/* A fresh segment name, unique within this run ("bench-<tag>-<n>"). */
const char *bench_segment_name(const char *tag, char *buf, size_t len);

/*
 * Attach to segment @name as @role (ESHMRole) through the private eshmd,
 * with the disconnect behaviour NEVER (the figures are wanted whatever the
 * remote does).  @period_us 0 keeps the default heartbeat period, @capacity
 * 0 the default capacity.  Returns the handle or NULL.
 */
struct ESHMHandle *bench_attach(const char *name, int role, bool use_threads,
                                uint32_t threshold_ms, uint32_t period_us, size_t capacity);

/* ---- eshm_*.c: eshm itself, through include/eshm.h */

/* ---- eshm_api.c: eshm_write() and eshm_read() through the library */

#define BENCH_API_SIZES 4
struct api_result {
	bool ok;
	size_t size[BENCH_API_SIZES];
	/* the same write on a segment whose reader died asleep on the futex:
	 * its wait word stays set (0: could not be arranged) */
	double write_dead_reader_ns[BENCH_API_SIZES];
	struct bench_copy_cost cost[BENCH_API_SIZES];
};
int eshm_bench_api(const struct bench_opts *o, struct api_result *r);

/* ---- eshm_seqlock.c: the channel itself (common/channel.h), in process */

/* A writer flat out against a spinning reader on a latest-value channel. */
struct seqlock_contended {
	size_t size;
	bool processes;               /* the two sides were processes, not threads */
	double seconds;
	uint64_t written, reads;      /* messages published, successful reads */
	uint64_t retries;             /* copies a write overlapped */
	uint64_t contended;           /* reads that gave up */
};

#define BENCH_SEQ_SIZES 4
#define BENCH_SEQ_CONTENDED 4         /* 64 B and 4 KiB, as threads then as processes */
struct seqlock_result {
	bool ok;
	size_t size[BENCH_SEQ_SIZES];
	struct bench_copy_cost cost[BENCH_SEQ_SIZES];
	/* the same, the reader reading through a second mapping of the block */
	struct bench_copy_cost cost_two_maps[BENCH_SEQ_SIZES];
	struct seqlock_contended contended[BENCH_SEQ_CONTENDED];
	uint32_t queue_depth;         /* slots of the queue and of the plain ring */
	double queue_per_s;           /* 64 B messages one way, median of the blocks */
	double ring_per_s;            /* the plain SPSC ring, the same */
	double queue_ratio;           /* median of queue / ring, block by block */
};
int eshm_bench_seqlock(const struct bench_opts *o, struct seqlock_result *r);

extern const struct rt_ops eshm_spin_ops;     /* eshm_read in a loop */
extern const struct rt_ops eshm_spin_fit_ops; /* the same, capacity = message size */
extern const struct rt_ops eshm_queue_ops;    /* a queue: write waits for room, read spins */
extern const struct rt_ops eshm_futex_ops;    /* eshm_read_timeout */
extern const struct rt_ops eshm_slept_ops;    /* the same, the slave asleep on the futex */
extern const struct rt_ops eshm_epoll_ops;    /* each side in epoll_wait on its event descriptor */

#define BENCH_TP_SIZES 2
struct throughput_result {
	bool ok;
	size_t size[BENCH_TP_SIZES];
	double seconds[BENCH_TP_SIZES];
	uint64_t written[BENCH_TP_SIZES];
	uint64_t read[BENCH_TP_SIZES];
	uint64_t retries[BENCH_TP_SIZES];
	uint64_t missed[BENCH_TP_SIZES];
	uint64_t torn[BENCH_TP_SIZES];  /* messages whose content did not match */
};
int eshm_bench_throughput(const struct bench_opts *o, struct throughput_result *r);

/* ---- eshm_loan.c: a zero-copy write against memset and eshm_write */

#define BENCH_LOAN_SIZES 2
struct loan_result {
	bool ok;
	size_t size[BENCH_LOAN_SIZES];
	double memset_ns[BENCH_LOAN_SIZES];   /* filling a buffer of one's own */
	double loan_ns[BENCH_LOAN_SIZES];     /* eshm_loan + the fill + eshm_publish */
	double write_ns[BENCH_LOAN_SIZES];    /* the fill + eshm_write */
	double loan_ratio[BENCH_LOAN_SIZES];  /* median of per-block loan / memset */
	double write_ratio[BENCH_LOAN_SIZES]; /* median of per-block write / memset */
};
int eshm_bench_loan(const struct bench_opts *o, struct loan_result *r);

/* ---- eshm_observers.c: a writer's rate alone and with observers */

#define BENCH_OBSERVERS 4
struct observers_result {
	bool ok;
	uint32_t observers;           /* reading once a millisecond each */
	size_t blocks;                /* pairs of alternating blocks */
	double alone_per_s;           /* median writes per second, no observer */
	double with_per_s;            /* median with the observers */
	double ratio;                 /* median of the per-pair ratios with/alone */
};
int eshm_bench_observers(const struct bench_opts *o, struct observers_result *r);

#define BENCH_HB_PERIODS 6
struct heartbeat_result {
	bool ok;
	double seconds;
	double idle_pct;              /* not attached, sleeping */
	double bare_loop_pct;         /* a bare 1 ms clock_nanosleep thread */
	size_t nperiods;
	uint32_t period_us[BENCH_HB_PERIODS];
	double attached_pct[BENCH_HB_PERIODS];  /* attached, idle, heartbeat thread */
	double beats_per_s[BENCH_HB_PERIODS];
};
int eshm_bench_heartbeat(const struct bench_opts *o, struct heartbeat_result *r);

#define BENCH_DET_ROWS 8
struct detect_row {
	uint32_t threshold_ms;
	uint32_t period_us;
	struct bench_dist stale_ms;   /* SIGSTOP -> stale verdict */
	struct bench_dist alive_ms;   /* SIGCONT -> alive verdict */
	unsigned false_stale;         /* stale verdicts while running */
};
struct detect_result {
	bool ok;
	size_t nrows;
	struct detect_row row[BENCH_DET_ROWS];
	struct bench_dist dead_ms;    /* SIGKILL -> dead verdict */
	uint32_t longest_sharp_period_us; /* 0 if none measured */
};
int eshm_bench_detect(const struct bench_opts *o, struct detect_result *r);

#define BENCH_SCALE_LEVELS 4
struct scale_result {
	bool ok;
	size_t nlevels;
	unsigned segments[BENCH_SCALE_LEVELS];
	bool capped[BENCH_SCALE_LEVELS];         /* fewer than asked: fd limit */
	unsigned fd_limit;                       /* RLIMIT_NOFILE eshmd ran with */
	double eshmd_pct[BENCH_SCALE_LEVELS];    /* % of one core */
	double holders_pct[BENCH_SCALE_LEVELS];  /* the processes holding the handles */
	struct bench_dist attach_us[BENCH_SCALE_LEVELS];
};
int eshm_bench_scale(const struct bench_opts *o, const struct th_daemon *d,
                     struct scale_result *r);

/* ---- report.c */

#define BENCH_RT_MAX 32
#define BENCH_STREAMS_MAX 8
#define BENCH_KILL_MAX 4
struct bench_results {
	char machine[256];
	char kernel[256];
	int cpus;
	double clock_ns;              /* cost of one bench_now_ns() */
	double elapsed_s;
	bool quick;
	size_t nrt;
	struct rt_result rt[BENCH_RT_MAX];
	struct rtpair_result rtp;
	size_t nstream;
	struct rt_result stream[BENCH_STREAMS_MAX];
	struct seqlock_result seq;
	struct api_result api;
	struct throughput_result tp;
	struct observers_result obs;
	struct loan_result loan;
	struct heartbeat_result hb;
	struct detect_result det;
	size_t nkill;
	struct kill_result kill[BENCH_KILL_MAX];
	struct scale_result scale;
};

/* Fill the machine description of @r. */
void report_machine(struct bench_results *r);

/* Print @r as tables with ratios and target verdicts on stdout. */
void report_table(const struct bench_results *r);

/* Print @r as one JSON object on stdout.  Returns 0 or -1. */
int report_json(const struct bench_results *r);

#endif /* ESHM_BENCH_H */
