/*
 * eshm.h - public API of libeshm-client.
 *
 * Two processes, a master and a slave, exchange messages through a named
 * shared-memory segment supervised by the eshmd broker.  Each endpoint
 * writes only memory of its own (a sealed memfd eshmd created for it) and
 * maps its peer's read-only.  eshm_write() and eshm_read() touch only that
 * memory: no system call, no lock, no daemon on the data path.  Each
 * direction is a ring of slots, each guarded by a sequence lock: by default
 * a "latest value" channel, where a writer never waits and a reader gets
 * the newest complete message it has not read yet; or, chosen at creation,
 * a lossless queue (ESHMChannelMode).
 *
 * Every function returning int returns ESHM_SUCCESS (0) or a negative
 * ESHM_ERROR_* code; eshm_error_string() explains each one.
 *
 * Thread-safety, unless a function says otherwise: different handles may be
 * used from different threads freely.  On one handle, one thread may write
 * while another reads, and any number of threads may call eshm_get_stats()
 * and eshm_check_remote_alive() at the same time as those; two threads must
 * not write (or read) through the same handle at the same time.
 *
 * Threads: the library runs one control thread per process while any
 * handle exists (eshmd's notifications, reconnecting after an eshmd
 * restart, judging remotes while eshmd is away) and, for handles with
 * use_threads, one heartbeat thread.  Neither takes signals.
 *
 * Handles do not cross fork(): the child's copy of a parent's handle holds
 * no memory of the segment; every call on it returns ESHM_ERROR_DETACHED
 * and eshm_destroy() only frees it.  A child calls eshm_init() for a handle
 * of its own.
 */
#ifndef ESHM_H
#define ESHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes.  ESHM_SUCCESS is 0; every error is negative. */
typedef enum {
	ESHM_SUCCESS = 0,
	ESHM_ERROR_INVALID_PARAM = -1,    /* NULL pointer, zero size, bad enum */
	ESHM_ERROR_NO_DATA = -2,          /* no message this side has not read */
	ESHM_ERROR_TIMEOUT = -3,          /* eshm_read_timeout() ran out */
	ESHM_ERROR_BUFFER_TOO_SMALL = -4, /* message larger than the buffer */
	ESHM_ERROR_DATA_TOO_LARGE = -5,   /* write larger than the capacity */
	ESHM_ERROR_NAME_INVALID = -6,     /* not a segment name (see ESHMConfig.shm_name) */
	ESHM_ERROR_ROLE_TAKEN = -7,       /* the requested role is held by a live endpoint */
	ESHM_ERROR_DAEMON_UNAVAILABLE = -8, /* eshmd cannot be reached */
	ESHM_ERROR_PERMISSION = -9,       /* eshmd's policy refuses this user */
	ESHM_ERROR_NO_MEMORY = -10,       /* malloc or mmap failed */
	ESHM_ERROR_NO_SPACE = -11,        /* no room left for the segment's memory */
	ESHM_ERROR_SEGMENT_CORRUPT = -12, /* the segment's header is not valid */
	ESHM_ERROR_VERSION_MISMATCH = -13, /* layout or protocol version differs */
	ESHM_ERROR_REMOTE_STALE = -14,    /* remote's heartbeat stopped (see disconnect behaviour) */
	ESHM_ERROR_REMOTE_DEAD = -15,     /* remote process died (see disconnect behaviour) */
	ESHM_ERROR_DETACHED = -16,        /* the segment was removed by an operator */
	ESHM_ERROR_PROTOCOL = -17,        /* malformed control message */
	ESHM_ERROR_LIMIT = -18,           /* an eshmd limit (segments, endpoints, capacity) */
	ESHM_ERROR_NOT_FOUND = -19,       /* no segment of that name */
	ESHM_ERROR_BUSY = -20,            /* segment has attached endpoints */
	ESHM_ERROR_EXISTS = -21,          /* segment already exists */
	ESHM_ERROR_SYSTEM = -22,          /* unexpected system error (see errno) */
	ESHM_ERROR_QUEUE_FULL = -23,      /* a queue channel holds depth unread messages */
	ESHM_ERROR_CONTENDED = -24,       /* a read gave up: writes overlapped every copy */
	ESHM_ERROR_READ_ONLY = -25,       /* an observer cannot write */
	ESHM_ERROR_OVERWRITTEN = -26,     /* a read view's message was overwritten: discard it */
	ESHM_ERROR_PENDING = -27,         /* a loan or read view is out: end it first */
	ESHM_ERROR_INTERRUPTED = -28,     /* eshm_interrupt() ended the wait */
} ESHMError;

/** Which side of the segment a handle is. */
typedef enum {
	ESHM_ROLE_AUTO = 0,   /* master if the master role is free, else slave */
	ESHM_ROLE_MASTER = 1, /* writes master_to_slave, reads slave_to_master */
	ESHM_ROLE_SLAVE = 2,  /* writes slave_to_master, reads master_to_slave */
	/* reads one direction only (eshm_options_set_observed_role()), is
	 * nobody's remote and never holds a writer back */
	ESHM_ROLE_OBSERVER = 3,
} ESHMRole;

/**
 * What eshm_write() and eshm_read() do while the remote endpoint is stale or
 * dead.  "Stale": its heartbeat has not moved for the threshold; "dead": its
 * process is gone without detaching.  A remote that never attached, or that
 * detached cleanly, is neither: writes land in the channel for the next one.
 */
typedef enum {
	/* Fail with ESHM_ERROR_REMOTE_STALE or ESHM_ERROR_REMOTE_DEAD as soon
	 * as the remote is stale or dead; work again once it recovers or a new
	 * remote attaches. */
	ESHM_DISCONNECT_IMMEDIATELY = 0,
	/* Tolerate a stale remote (it may be paused); fail with
	 * ESHM_ERROR_REMOTE_DEAD only once it is dead. */
	ESHM_DISCONNECT_ON_TIMEOUT = 1,
	/* Never fail because of the remote; eshm_check_remote_alive() still
	 * tells. */
	ESHM_DISCONNECT_NEVER = 2,
} ESHMDisconnectBehavior;

/**
 * How each direction of a segment delivers messages, chosen when the
 * segment is created (eshm_options_set_channel_mode()); a segment keeps its
 * mode for life.
 */
typedef enum {
	/* The seed's semantics: eshm_write() never blocks and replaces; a
	 * read returns the newest message not read yet, and counts the ones
	 * it skipped as missed. */
	ESHM_CHANNEL_LATEST = 0,
	/* Lossless: every message written is read exactly once, in order.
	 * eshm_write() refuses with ESHM_ERROR_QUEUE_FULL while the queue
	 * holds its depth of unread messages; eshm_write_timeout() waits. */
	ESHM_CHANNEL_QUEUE = 1,
} ESHMChannelMode;

/** Largest queue depth, in messages (eshm_options_set_queue_depth()). */
#define ESHM_QUEUE_DEPTH_MAX 65536u

/**
 * Bounds of a stale threshold, in ms: ESHMConfig.stale_threshold_ms,
 * eshmd's default_stale_threshold_ms and eshmctl create --stale-ms.
 */
#define ESHM_STALE_THRESHOLD_MS_MIN 1u
#define ESHM_STALE_THRESHOLD_MS_MAX 600000u

/**
 * Configuration for eshm_init().  These six fields are the whole struct, so
 * a struct declared without an initialiser and given all six is complete.
 * Further options go through ESHMOptions.
 */
typedef struct {
	/* The segment name: 1 to 200 bytes of [A-Za-z0-9._-], not starting
	 * with '.' or '-' (so never "." or "..", a hidden file or an option). */
	const char *shm_name;
	ESHMRole role;
	bool use_threads;          /* run the heartbeat thread (one per process) */
	/* The remote is judged stale after this long silent, in ms:
	 * ESHM_STALE_THRESHOLD_MS_MIN to ESHM_STALE_THRESHOLD_MS_MAX, or 0
	 * for the segment's default threshold: the one it was created with
	 * (eshmctl create --stale-ms, else eshmd's default_stale_threshold_ms
	 * at creation), which eshm_init() learns from eshmd. */
	uint32_t stale_threshold_ms;
	ESHMDisconnectBehavior disconnect_behavior;
	bool auto_cleanup;         /* eshmd unlinks the segment once both endpoints are gone */
} ESHMConfig;

/** Opaque handle for one attached endpoint. */
typedef struct ESHMHandle ESHMHandle;

/** Opaque, extensible set of further options (see eshm_options_new()). */
typedef struct ESHMOptions ESHMOptions;

/** Statistics of one handle, from eshm_get_stats(). */
typedef struct {
	uint64_t master_heartbeat;       /* master's heartbeat counter */
	uint64_t slave_heartbeat;        /* slave's heartbeat counter */
	uint64_t master_heartbeat_delta; /* master heartbeats per second, recent */
	uint64_t slave_heartbeat_delta;  /* slave heartbeats per second, recent */
	bool remote_is_stale;            /* remote silent for this handle's threshold */
	bool remote_is_dead;             /* remote process died without detaching */
	uint64_t m2s_write_count;        /* messages written master -> slave */
	uint64_t m2s_read_count;         /* messages read by the slave */
	uint64_t s2m_write_count;        /* messages written slave -> master */
	uint64_t s2m_read_count;         /* messages read by the master */
	uint64_t write_count;            /* messages this handle wrote */
	uint64_t read_count;             /* messages this handle read */
	uint64_t missed;                 /* messages overwritten before this handle read them */
	uint64_t read_retries;           /* seqlock retries this handle's reads took */
	uint64_t capacity;               /* largest message, in bytes */
	uint64_t generation;             /* segment generation (changes if re-created) */
	bool daemon_alive;               /* eshmd's monitor ran within the last 100 ms */
} ESHMStats;

/**
 * What eshm_read_ex() tells of the message it returned.  New fields take
 * the place of reserved ones, so the struct keeps its size.
 */
typedef struct {
	size_t size;             /* bytes of the message (ESHM_ERROR_BUFFER_TOO_SMALL: bytes needed) */
	uint64_t sequence;       /* the writer's message number: 1 for the first message
	                          * the current holder of the writer's role wrote */
	uint64_t missed;         /* messages this handle skipped since its previous read */
	uint64_t write_time_ns;  /* CLOCK_MONOTONIC time of the write, in ns, if the
	                          * segment carries timestamps; else 0 */
	uint64_t writer_attach;  /* which attach of the writer's role wrote it (1, 2, ...):
	                          * a new value means a new writer, whose sequence
	                          * starts again at 1 */
	uint64_t reserved[3];    /* 0 */
} ESHMMessageInfo;

/**
 * Statistics beyond ESHMStats, from eshm_get_stats_ex().  Fields are only
 * ever appended: a caller compiled against an older, shorter struct passes
 * its own size and gets the fields it knows.
 */
typedef struct {
	ESHMStats stats;            /* what eshm_get_stats() fills */
	ESHMChannelMode channel_mode;
	uint32_t queue_depth;       /* queue mode: messages; else 0 */
	bool timestamps;            /* the segment's messages carry their write time */
	int32_t remote_pid;         /* the remote role's last holder, as eshmd recorded it;
	                             * 0: never held */
	uint64_t remote_attaches;   /* attaches of the remote role so far: a reader sees its
	                             * peer replaced when this changes */
	uint64_t own_attach;        /* which attach of its role this handle is */
	uint64_t read_contended;    /* reads that gave up under contention */
	uint64_t queue_unread;      /* queue mode: messages this handle wrote that the
	                             * remote has not read yet (the fill level); else 0 */
	uint32_t observers;         /* observers attached to the segment */
} ESHMStats2;

/**
 * Default configuration for the segment @name: role AUTO, threads on,
 * 100 ms stale threshold (0 would take the segment's default instead),
 * ESHM_DISCONNECT_ON_TIMEOUT, auto_cleanup on.
 * @name is stored, not copied: it must outlive eshm_init().
 * Thread-safe.
 */
ESHMConfig eshm_default_config(const char *name);

/**
 * Attach to the segment named in @config through eshmd (created if it does
 * not exist), map it and, with use_threads, start the heartbeat.
 * eshmd is found at $ESHM_SOCKET, else /run/eshm/eshmd.sock.
 * Returns the handle, or NULL with the reason in eshm_last_error() (and
 * errno set).  Thread-safe.
 */
ESHMHandle *eshm_init(const ESHMConfig *config);

/**
 * As eshm_init(), with further options; @options may be NULL (defaults).
 * The options are copied: free them whenever convenient.
 */
ESHMHandle *eshm_init_with_options(const ESHMConfig *config, const ESHMOptions *options);

/**
 * The error of the calling thread's last failed eshm_init*(), or
 * ESHM_SUCCESS.  Thread-safe (thread-local).
 */
int eshm_last_error(void);

/**
 * A sentence on the calling thread's last failed eshm_init*(): which field
 * of the configuration is wrong, or eshmd's own explanation (for
 * ESHM_ERROR_ROLE_TAKEN: the holder's pid and state).  Never NULL; valid
 * until the thread's next eshm_init*().  Thread-safe (thread-local).
 */
const char *eshm_last_error_message(void);

/**
 * Detach synchronously and free @handle: when it returns ESHM_SUCCESS,
 * eshmd has released the role.  It waits at most 100 ms for eshmd: an error
 * says eshmd could not confirm in time (it frees the role when it reads
 * the request, or when this process exits); the handle is freed all the
 * same.  NULL is accepted and ignored.  No other thread may use @handle
 * during or after the call.
 */
int eshm_destroy(ESHMHandle *handle);

/**
 * Publish @size bytes (1..capacity) from @data on this side's channel,
 * replacing the previous message.  Never blocks, and always publishes,
 * whatever the remote's state: the last message written is what the
 * remote, or the next process to take its role, reads.  The return code
 * then reports the remote's state per the disconnect behaviour.
 * Returns ESHM_SUCCESS; ESHM_ERROR_REMOTE_STALE or ESHM_ERROR_REMOTE_DEAD
 * (the message was published); or, publishing nothing,
 * ESHM_ERROR_INVALID_PARAM, ESHM_ERROR_DATA_TOO_LARGE, ESHM_ERROR_DETACHED.
 */
int eshm_write(ESHMHandle *handle, const void *data, size_t size);

/**
 * As eshm_write(), but on a queue channel that is full, wait up to
 * @timeout_ms for the remote to read: it spins briefly, then sleeps on a
 * futex the reader wakes (the reader makes that system call only while a
 * writer waits).  0 means do not wait.  A latest-value channel never
 * waits.  While it waits, a remote that dies or goes stale is reported
 * per the disconnect behaviour.  Same thread rules as eshm_write().
 * Returns as eshm_write(), ESHM_ERROR_QUEUE_FULL (@timeout_ms 0),
 * ESHM_ERROR_TIMEOUT or ESHM_ERROR_INTERRUPTED (nothing was published).
 */
int eshm_write_timeout(ESHMHandle *handle, const void *data, size_t size, uint32_t timeout_ms);

/**
 * Copy the newest message this handle has not read yet into @buffer
 * (@buffer_size bytes) and its length into *@bytes_read.  Never blocks
 * (at most 4 copies of a message: a read overlapped by writes every time
 * gives up) and never returns one message twice.
 * Under ESHM_DISCONNECT_ON_TIMEOUT and _NEVER a message the remote wrote
 * before it died is still delivered; ESHM_ERROR_REMOTE_DEAD comes once
 * nothing is left.  ESHM_DISCONNECT_IMMEDIATELY reports a stale or dead
 * remote before looking.  A remote's memory is mapped by the control
 * thread a moment after eshmd's verdict shows the remote: until then the
 * read says ESHM_ERROR_NO_DATA (never REMOTE_DEAD), and
 * eshm_read_timeout() waits for it.
 * Returns ESHM_SUCCESS; ESHM_ERROR_NO_DATA (nothing new; @buffer is
 * untouched, except after a read that gave up under contention, which the
 * statistics count); ESHM_ERROR_BUFFER_TOO_SMALL (*@bytes_read then holds
 * the size needed; the message stays unread); ESHM_ERROR_SEGMENT_CORRUPT
 * (the remote stored a size above the capacity; the message is skipped);
 * ESHM_ERROR_INVALID_PARAM, ESHM_ERROR_DETACHED, or
 * ESHM_ERROR_REMOTE_STALE/REMOTE_DEAD per the disconnect behaviour.
 */
int eshm_read(ESHMHandle *handle, void *buffer, size_t buffer_size, size_t *bytes_read);

/**
 * As eshm_read(), and fill *@info (@info must not be NULL) with the
 * message's size, sequence number, how many messages this handle skipped
 * before it, its write time (segments with timestamps) and which attach of
 * the writer's role wrote it.  On a queue channel missed stays 0 for the
 * queue's reader.  *@info is zeroed on every error but
 * ESHM_ERROR_BUFFER_TOO_SMALL, where info->size is the size needed.
 * Returns as eshm_read(), except that a read that gave up because writes
 * overlapped every copy returns ESHM_ERROR_CONTENDED (where eshm_read()
 * says ESHM_ERROR_NO_DATA): @buffer may then have changed, the message
 * stays unread, and the next call usually succeeds.
 */
int eshm_read_ex(ESHMHandle *handle, void *buffer, size_t buffer_size, ESHMMessageInfo *info);

/**
 * As eshm_read(), waiting up to @timeout_ms for a new message: it spins
 * briefly, then sleeps on a futex the writer wakes.  0 means do not wait.
 * The spin adapts to the handle's recent waits: 20 us, but none after
 * four waits in a row that had to sleep (a spin that never pays only
 * takes the CPU from the threads the wait is for) until a wait a spin
 * ended, with one spin in sixteen waits to notice when it would pay again.
 * It returns at most one copy's time after @timeout_ms.
 * Returns as eshm_read(), ESHM_ERROR_TIMEOUT (@buffer untouched), or
 * ESHM_ERROR_INTERRUPTED (eshm_interrupt(); @buffer untouched).
 */
int eshm_read_timeout(ESHMHandle *handle, void *buffer, size_t buffer_size, size_t *bytes_read,
                      uint32_t timeout_ms);

/**
 * As eshm_read_timeout(), waiting until the absolute CLOCK_MONOTONIC time
 * @deadline_ns (nanoseconds) at the latest: for loops that tick faster
 * than a millisecond.  A deadline already passed reads without waiting.
 */
int eshm_read_until(ESHMHandle *handle, void *buffer, size_t buffer_size, size_t *bytes_read,
                    uint64_t deadline_ns);

/**
 * As eshm_read_ex() (@info filled, ESHM_ERROR_CONTENDED where a read gave
 * up under contention), waiting as eshm_read_until() does.
 * Returns as eshm_read_ex(), ESHM_ERROR_TIMEOUT or ESHM_ERROR_INTERRUPTED.
 */
int eshm_read_ex_until(ESHMHandle *handle, void *buffer, size_t buffer_size, ESHMMessageInfo *info,
                       uint64_t deadline_ns);

/**
 * Wait up to @timeout_ms (0: only look) until a remote is attached and
 * alive, and its memory mapped here, so that a read or write reaches it:
 * a program that needs its peer, or whose peer restarts, waits here rather
 * than polling eshm_check_remote_alive().  A new remote is seen at once; a
 * stale one coming back within 5 ms of eshmd's verdict.
 * Returns ESHM_SUCCESS, ESHM_ERROR_TIMEOUT, ESHM_ERROR_INTERRUPTED,
 * ESHM_ERROR_INVALID_PARAM or ESHM_ERROR_DETACHED.
 */
int eshm_wait_remote(ESHMHandle *handle, uint32_t timeout_ms);

/**
 * Make the waits of @handle (eshm_read_timeout(), eshm_read_until(),
 * eshm_read_ex_until(), eshm_write_timeout(), eshm_wait_remote()) return
 * ESHM_ERROR_INTERRUPTED:
 * one in progress at once, else the next one, before it sleeps (an
 * interrupt is kept until a wait consumes it; several before a wait count
 * as one).  A call that finds data or room does not wait and leaves the
 * interrupt for the next wait.  Safe from any thread and from a signal
 * handler (an atomic add and a system call).
 * Returns ESHM_SUCCESS or ESHM_ERROR_INVALID_PARAM.
 */
int eshm_interrupt(ESHMHandle *handle);

/**
 * Zero-copy write: lend the channel memory of the next message in
 * *@buffer, room for @size bytes (1..capacity), to fill in place; nothing
 * is visible to readers until eshm_publish().  One loan at a time; while
 * it is out eshm_write() and another eshm_loan() return
 * ESHM_ERROR_PENDING.  A writer that dies with a loan out leaves nothing
 * torn and nothing stuck: eshmd voids the slot once the kernel proves the
 * death.  Same thread rules as eshm_write().
 * Returns ESHM_SUCCESS; ESHM_ERROR_QUEUE_FULL (or the remote's state per
 * the disconnect behaviour, on a full queue); ESHM_ERROR_INVALID_PARAM,
 * ESHM_ERROR_DATA_TOO_LARGE, ESHM_ERROR_READ_ONLY, ESHM_ERROR_PENDING,
 * ESHM_ERROR_DETACHED (nothing lent).
 */
int eshm_loan(ESHMHandle *handle, size_t size, void **buffer);

/**
 * Publish the loan out as a message of @size bytes (1..the size loaned),
 * as eshm_write() would have; the buffer must not be touched afterwards.
 * Returns as eshm_write(), or ESHM_ERROR_INVALID_PARAM (no loan out, or a
 * bad @size: the loan stays out), ESHM_ERROR_DETACHED (the handle lost its
 * role: the loan is given back unpublished).
 */
int eshm_publish(ESHMHandle *handle, size_t size);

/**
 * Give the loan out back unpublished: readers never see it.
 * Returns ESHM_SUCCESS, ESHM_ERROR_INVALID_PARAM (no loan out) or
 * ESHM_ERROR_DETACHED (a forked child's copy).
 */
int eshm_loan_cancel(ESHMHandle *handle);

/**
 * Zero-copy read: lend the message eshm_read() would copy, in place:
 * *@data points to its *@size bytes in the writer's memory (read-only).
 * Nothing may be acted on before eshm_read_release() says the view stayed
 * intact: on a latest-value channel the writer may reuse the slot
 * meanwhile.  On a queue the slot is held (the writer cannot reuse it)
 * until the release.  While a view is out every other read returns
 * ESHM_ERROR_PENDING.  Same thread rules as eshm_read().
 * Returns as eshm_read() (without ESHM_ERROR_BUFFER_TOO_SMALL), or
 * ESHM_ERROR_PENDING.
 */
int eshm_read_view(ESHMHandle *handle, const void **data, size_t *size);

/**
 * End the view out: the message is consumed.  Returns ESHM_SUCCESS (the
 * data seen was the message, intact), ESHM_ERROR_OVERWRITTEN (the writer
 * reused the slot meanwhile: discard everything read through the view;
 * the message counts as missed), ESHM_ERROR_INVALID_PARAM (no view out) or
 * ESHM_ERROR_DETACHED (a forked child's copy).
 */
int eshm_read_release(ESHMHandle *handle);

/** Event bits of eshm_get_events(). */
#define ESHM_EVENT_MESSAGE 0x1u /* a message waits to be read */
#define ESHM_EVENT_REMOTE 0x2u  /* the remote's state changed (alive, stale, dead, detached) */
#define ESHM_EVENT_ROOM 0x4u    /* a queue that refused a write has room again */

/**
 * A descriptor for poll(2), epoll(7), sd-event or libuv, owned by @handle
 * (closed by eshm_destroy(); do not close it): readable (POLLIN) while an
 * event is pending or a message waits.  It is an eventfd private to this
 * process; a library thread signals it, so no descriptor a peer can reach
 * ever sits on a write path.  The first call starts the watching; later
 * calls return the same descriptor.  A process may have up to 42 handles
 * with a descriptor.  Call it from the thread that reads.
 * Returns ESHM_SUCCESS; ESHM_ERROR_INVALID_PARAM; ESHM_ERROR_DETACHED;
 * ESHM_ERROR_LIMIT (42 handles have one); ESHM_ERROR_SYSTEM.
 */
int eshm_get_event_fd(ESHMHandle *handle, int *fd);

/**
 * Return in *@events the pending ESHM_EVENT_* bits and clear them.
 * ESHM_EVENT_MESSAGE stays set, and the descriptor readable, until a read
 * returns ESHM_ERROR_NO_DATA: read until then after a MESSAGE.  The
 * remote's state changes are announced by eshmd's verdicts (within 100 ms
 * of the library's own judgement while eshmd is away); ESHM_EVENT_ROOM
 * follows a write that returned ESHM_ERROR_QUEUE_FULL.  Call it from the
 * thread that reads.
 * Returns ESHM_SUCCESS, ESHM_ERROR_INVALID_PARAM (also: no descriptor was
 * asked for) or ESHM_ERROR_SYSTEM.
 */
int eshm_get_events(ESHMHandle *handle, unsigned *events);

/**
 * Set *@alive to whether the remote endpoint is attached and neither stale
 * nor dead.  Stale is judged by this handle's threshold (how long it
 * tolerates the remote's silence): eshmd judges every endpoint by its
 * peer's threshold, and this is eshmd's verdict while its monitor runs
 * (what eshmctl shows); while it does not, the library judges the remote's
 * heartbeat itself by the same rule, and learns a death from a pidfd of the
 * remote's process.
 * Returns ESHM_SUCCESS; ESHM_ERROR_INVALID_PARAM; or ESHM_ERROR_DETACHED
 * (*@alive false) for a handle that is no endpoint any more: a forked
 * child's copy, a role taken over, a segment removed by an operator.
 */
int eshm_check_remote_alive(ESHMHandle *handle, bool *alive);

/**
 * Fill *@stats.  Returns ESHM_SUCCESS; ESHM_ERROR_INVALID_PARAM; or
 * ESHM_ERROR_DETACHED for a handle that is no endpoint any more (as for
 * eshm_check_remote_alive()): the statistics are filled all the same,
 * except in a forked child, where they are zero.
 */
int eshm_get_stats(ESHMHandle *handle, ESHMStats *stats);

/**
 * Fill the first @size bytes of *@stats (pass sizeof(ESHMStats2); at least
 * sizeof(ESHMStats)) as eshm_get_stats() does, and the fields after it.
 * Returns as eshm_get_stats(), or ESHM_ERROR_INVALID_PARAM for a @size
 * below sizeof(ESHMStats).  Thread rules as eshm_get_stats().
 */
int eshm_get_stats_ex(ESHMHandle *handle, ESHMStats2 *stats, size_t size);

/** The role this handle holds (MASTER or SLAVE), or -1 for a NULL handle. */
ESHMRole eshm_get_role(const ESHMHandle *handle);

/** A sentence explaining @code; never NULL.  Thread-safe. */
const char *eshm_error_string(int code);

/**
 * Options beyond ESHMConfig.  eshm_options_new() returns a set holding the
 * defaults (or NULL if out of memory); each setter validates its value and
 * returns ESHM_SUCCESS or ESHM_ERROR_INVALID_PARAM, leaving the set as it
 * was on error.  A set is not thread-safe; use one per thread.
 */
ESHMOptions *eshm_options_new(void);
void eshm_options_free(ESHMOptions *options);
/* Channel capacity when this attach creates the segment: 1..16 MiB,
 * default 4096.  An existing segment keeps its capacity. */
int eshm_options_set_capacity(ESHMOptions *options, size_t capacity);
/* Heartbeat period of this process's heartbeat thread, 100 us..1 s,
 * default 1000 us.  The thread takes the shortest period any live handle asked. */
int eshm_options_set_heartbeat_period_us(ESHMOptions *options, uint32_t period_us);
/* eshmd's socket path (copied); overrides $ESHM_SOCKET. */
int eshm_options_set_socket_path(ESHMOptions *options, const char *path);
/* How long eshm_init() waits for eshmd to answer, 1..60000 ms, default 5000. */
int eshm_options_set_connect_timeout_ms(ESHMOptions *options, uint32_t timeout_ms);
/* Take the role over from a holder that has been stale for at least
 * @stale_ms (1..600000); 0, the default, never does.  The old holder's
 * calls then return ESHM_ERROR_DETACHED.  For a service replacing a hung
 * instance of itself: without it, a stale holder keeps its role. */
int eshm_options_set_takeover_stale_ms(ESHMOptions *options, uint32_t stale_ms);
/* The channel mode when this attach creates the segment, default
 * ESHM_CHANNEL_LATEST.  An existing segment keeps its mode: see
 * eshm_get_stats_ex(). */
int eshm_options_set_channel_mode(ESHMOptions *options, ESHMChannelMode mode);
/* The depth of a queue channel this attach creates, in messages:
 * 1..ESHM_QUEUE_DEPTH_MAX (the queue holds exactly @messages), or 0, the
 * default, for eshmd's (64).  Each direction's memory is the depth rounded
 * up to a power of two, times the capacity plus a 16-byte header (32 with
 * timestamps) rounded up to 64 bytes; it counts against the owner's budget.
 * An existing segment keeps its depth. */
int eshm_options_set_queue_depth(ESHMOptions *options, uint32_t messages);
/* The channel an ESHM_ROLE_OBSERVER handle reads: the one @writer
 * (ESHM_ROLE_MASTER, the default, or ESHM_ROLE_SLAVE) writes. */
int eshm_options_set_observed_role(ESHMOptions *options, ESHMRole writer);
/* Whether a segment this attach creates stores each message's write time
 * (CLOCK_MONOTONIC, read by eshm_read_ex()); default false, so writes read
 * no clock. */
int eshm_options_set_timestamps(ESHMOptions *options, bool timestamps);
/* Whether the handle stands in for a process on another host, as
 * eshm-bridge does: its role then shows its peer "stale" from the attach
 * until the stand-in declares the remote's state to eshmd, never eshmd's
 * verdict on the stand-in's own process.  Root and eshmd.conf's
 * bridge_group only (else eshm_init_with_options() fails with
 * ESHM_ERROR_PERMISSION); an eshmd older than 0.3.0 refuses it with
 * ESHM_ERROR_INVALID_PARAM.  Default false. */
int eshm_options_set_stand_in(ESHMOptions *options, bool stand_in);

#ifdef __cplusplus
}
#endif

#endif /* ESHM_H */
