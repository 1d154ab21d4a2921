/*
 * handle.h - what libeshm-client keeps per attached endpoint, and the
 * internal entry points its files share.
 *
 * Who touches what:
 * - the caller's threads: the data path (eshm_write on the write side,
 *   eshm_read* on the read side: one thread each at a time, eshm.h's rule)
 *   uses the mapped blocks, the writer state, the cursor, and switches its
 *   side's peer pointer; eshm_get_stats and eshm_check_remote_alive may run
 *   in any thread at the same time (they take the handle's lock);
 * - the control thread (control.c): owns the control socket after
 *   eshm_init(), maps new peer blocks and publishes them, retires old
 *   ones, watches the peer's pidfd, reconnects after an eshmd restart;
 * - the heartbeat thread (heartbeat.c): increments the own heartbeat and
 *   judges the remote locally while eshmd's monitor is away.
 * Fields shared between them are atomics or under the handle's lock; the
 * data path never takes a lock.
 */
#ifndef ESHM_LIBCLIENT_HANDLE_H
#define ESHM_LIBCLIENT_HANDLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "channel.h"
#include "eshm.h"
#include "export.h"
#include "layout.h"
#include "liveness.h"
#include "proto.h"
#include "spin.h"

#define ESHM_HEARTBEAT_US_DEFAULT 1000u
#define ESHM_HEARTBEAT_US_MIN 100u
#define ESHM_HEARTBEAT_US_MAX 1000000u
#define ESHM_CONNECT_MS_DEFAULT 5000u
#define ESHM_CONNECT_MS_MAX 60000u
/* How long eshm_destroy() waits for eshmd to confirm a detach: every call
 * but eshm_init() returns within 100 ms whatever eshmd does. */
#define ESHM_DETACH_WAIT_MS 100
/* While eshmd's monitor is away the control thread judges each remote's
 * heartbeat itself, this often; otherwise it looks whether the monitor
 * still runs this often. */
#define ESHM_LOCAL_CHECK_MS 10u
#define ESHM_DAEMON_CHECK_MS 100u

struct ESHMOptions {
	uint64_t capacity;
	uint32_t heartbeat_period_us;
	uint32_t connect_timeout_ms;
	uint32_t takeover_ms;      /* 0: never take a role over */
	uint32_t channel_mode;     /* ESHMChannelMode, at creation */
	uint32_t queue_depth;      /* at creation, queue mode; 0: eshmd's default */
	bool timestamps;           /* at creation */
	bool stand_in;             /* PROTO_ATTACH_STAND_IN */
	uint32_t observed;         /* observers: ESHMRole of the writer observed */
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* "" = not set */
};

/* One mapping of the peer's endpoint block. */
struct lib_peer {
	struct seg_mapping map;
	struct seg_block *block;
	uint64_t incarnation;
	int fd;                    /* kept to hand back after an eshmd restart */
	struct lib_peer *next;     /* the handle's list of mappings not yet unmapped */
};

/* Where the control thread is with a handle's connection. */
enum lib_link {
	LIB_LINK_UP = 0,           /* connected, nothing pending */
	LIB_LINK_DOWN,             /* eshmd gone: reconnect at link_retry_ns */
	LIB_LINK_REATTACHING,      /* REATTACH sent, reply due by link_deadline_ns */
	LIB_LINK_GONE,             /* eshmd no longer knows the endpoint: detached */
};

struct ESHMHandle {
	ESHMConfig config;         /* config.shm_name points to name */
	char name[PROTO_NAME_SIZE];
	struct ESHMOptions options;
	/* SEG_MASTER or SEG_SLAVE; an observer reads as the observed
	 * writer's peer would, so its role is that peer's */
	int role;
	bool observer;             /* ESHM_ROLE_OBSERVER: reads only, no own channel */
	uint32_t obs_slot;         /* an observer's slot in the status block */
	uint64_t generation;
	uint64_t incarnation;      /* of the own block */
	struct seg_geometry g;

	/* the status block (read-only) and the own block (read-write) */
	int status_fd;
	struct seg_mapping status_map;
	const struct seg_status *st;
	int own_fd;
	struct seg_mapping own_map;
	struct seg_block *own;     /* NULL for an observer */
	struct seg_reader *rd_part; /* the own reader part: in own, or an observer's block */

	/* write side */
	struct chan_writer writer;
	_Atomic uint64_t writes;
	_Atomic(struct lib_peer *) peer_wr; /* the write side's peer mapping */
	/* the observers of this side's channel: slot i's reader part is the
	 * page at obs_area + i pages (a zero page while the slot is empty),
	 * for slots below obs_hi; mapped by the control thread, never
	 * unmapped before eshm_destroy, so the writer loads them freely */
	_Atomic(unsigned char *) obs_area;
	_Atomic uint32_t obs_hi;
	uint64_t obs_incarnation[SEG_OBSERVERS_MAX]; /* control thread's: of each slot's page */
	bool obs_broken;           /* control thread's: a page could not be replaced */

	/* read side */
	struct chan_view view;     /* a read view out (view.slot != NULL) */
	struct lib_peer *view_peer; /* the peer block it lends from */
	struct chan_cursor cursor;
	/* of the peer block the cursor is on: written by the read side only,
	 * loaded by the event thread too */
	_Atomic uint64_t cursor_incarnation;
	_Atomic(struct lib_peer *) peer_rd; /* the read side's peer mapping */
	_Atomic(struct lib_peer *) peer_ev; /* the event thread's (events.c) */
	/* bumped (and futex-woken) when a new peer block is published, so a
	 * reader asleep with no peer block wakes to look */
	_Atomic uint32_t peer_seq;

	/* how long the waiting reads and writes spin before they sleep
	 * (wait.c); each kept by the thread that waits */
	struct spin_state spin_rd, spin_wr;

	/* eshm_interrupt() adds one to intr_seq (the futex word every wait
	 * also sleeps on); a wait consumes up to it by moving intr_done */
	_Atomic uint32_t intr_seq;
	_Atomic uint32_t intr_done;

	/* published by the control thread */
	_Atomic(struct lib_peer *) peer_latest;
	_Atomic bool detached;     /* eshmd forgot the endpoint */
	_Atomic bool daemon_away;  /* eshmd's monitor is not running: use local_state */
	_Atomic uint32_t local_state; /* the remote's state as judged here */
	bool forked;               /* this is a forked child's copy: nothing is mapped */

	/* under lock: the control thread's and the statistics' view of the peer */
	pthread_mutex_t lock;
	struct lib_peer *peers;    /* every mapping still mapped, latest first */
	struct live_counts local;  /* local judgement of the remote's heartbeat */
	bool peer_exited;          /* the peer's pidfd fired */
	uint64_t rate_hb[2];       /* heartbeat rates measured here, while eshmd is away */
	uint64_t rate_ns;
	uint64_t rate[2];

	/* the control thread's */
	int sock;                  /* -1 while eshmd is away */
	enum lib_link link;
	uint64_t link_retry_ns;
	uint64_t link_deadline_ns;
	uint32_t link_id;          /* id of the REATTACH in flight */
	int peer_pidfd;
	pid_t peer_pid;

	/* events.c: the descriptor for poll/epoll */
	int ev_fd;                 /* eventfd; -1: never asked for */
	_Atomic unsigned ev_bits;  /* pending ESHM_EVENT_* */
	_Atomic bool ev_disarmed;  /* a message was announced: not watched until read to NO_DATA */
	_Atomic bool ev_want_room; /* a write met a full queue: watch for room */
	uint32_t ev_state;         /* the event thread's: the remote's state last announced */
	struct ESHMHandle *ev_next; /* the event thread's list */

	struct ESHMHandle *hb_next;  /* heartbeat thread's list */
	struct ESHMHandle *ctl_next; /* control thread's list */
};

/* init.c */

/* Record @code and a printf-style message as the calling thread's last
 * error (eshm_last_error(), eshm_last_error_message()); returns @code. */
int lib_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* attach.c: requests to eshmd and the descriptors they bring */

/*
 * Send ATTACH for @h over @sock and, on success, map what the reply brings
 * (status block, own block, the peer's block and pidfd) into @h.  On error
 * the reason is in the calling thread's last error and @h holds nothing.
 */
int att_attach(struct ESHMHandle *h, int sock);

/*
 * Build the REATTACH request for @h (which hands its blocks back) in
 * @req and @fds.  Used by the control thread, which sends it without
 * waiting.
 */
void att_reattach_request(const struct ESHMHandle *h, struct proto_attach *req,
                          struct proto_fds *fds);

/*
 * Take the answer to REATTACH, @reply with @fds (consumed): the peer's
 * current block and pidfd, if they changed.  Returns the status.
 */
int att_reattached(struct ESHMHandle *h, const struct proto_attach_reply *reply,
                   struct proto_fds *fds);

/*
 * Reconnect @h and REATTACH synchronously, giving up at the
 * CLOCK_MONOTONIC time @deadline_ns (for eshm_destroy() after an eshmd
 * restart, once the control thread let go of @h).  Returns the status.
 */
int att_reattach_now(struct ESHMHandle *h, uint64_t deadline_ns);

/* DETACH @h over @sock, waiting for the answer until the CLOCK_MONOTONIC
 * time @deadline_ns at most.  Returns the status. */
int att_detach(const struct ESHMHandle *h, int sock, uint64_t deadline_ns);

/* Map an ESHM_ERROR_* code to the errno eshm_init() leaves behind. */
int att_errno(int code);

/* observers.c: the observers' pages a writer checks after publishing */

/*
 * Take the OBSERVER notification @n with @fds (consumed): map the
 * observer's block into its slot's page, or empty the page.  Control
 * thread.
 */
void obs_changed(struct ESHMHandle *h, const struct proto_observer *n, struct proto_fds *fds);

/* Empty every observer's page: after an eshmd restart none is known (the
 * new eshmd announces those that attach).  Control thread. */
void obs_forget_all(struct ESHMHandle *h);

/* Unmap the observers' pages (eshm_destroy, nothing else uses @h). */
void obs_release_all(struct ESHMHandle *h);

/*
 * Whether an observer of @h's channel announced that it sleeps.  Data
 * path: nothing more than the verdict line's word while eshmd says no
 * observer waits (obsquiet.h); else a load of obs_hi, then one load per
 * slot below it, or-ed together before a single branch.
 */
CHAN_HOT bool
obs_any_waits(const struct ESHMHandle *h)
{
	uint32_t n, i;
	const unsigned char *area;
	uint64_t any = 0;

	/* ordered after the publish by the writer's fence, like the loads
	 * below: eshmd clears it before it wakes anyone */
	if (atomic_load_explicit(&h->st->verdict.observers_quiet[h->role], memory_order_relaxed))
		return false;
	n = atomic_load_explicit(&h->obs_hi, memory_order_acquire);
	if (n == 0)
		return false;
	area = atomic_load_explicit(&h->obs_area, memory_order_acquire);
	for (i = 0; i < n; i++, area += SEG_PAGE)
		any |= atomic_load_explicit(&((const struct seg_reader *)area)->waits,
		                            memory_order_relaxed);
	return any != 0;
}

/* For an observer @h, the word that says its writer does not look at its
 * waits word (chan_wait_also()); NULL for a role holder, whose writer
 * always looks. */
static inline const _Atomic uint32_t *
obs_unheard(const struct ESHMHandle *h)
{
	return h->observer ? &h->st->verdict.observers_quiet[1 - h->role] : NULL;
}

/* events.c */

/* Wake the event thread to look again (a peer block or a list changed). */
void ev_kick(void);

/* A read found nothing on @h, whose events are on: re-arm. */
void ev_read_empty(struct ESHMHandle *h);

/* A write on @h, whose events are on, met a full queue: watch for room. */
void ev_queue_full(struct ESHMHandle *h);

/* Take @h off the event thread's list and close its descriptor. */
void ev_unregister(struct ESHMHandle *h);

/* peer.c: the peer's block, switched without locks on the data path */

/*
 * Map @fd (taken) as the peer block of @incarnation and publish it; the
 * previous one is retired.  Control thread or eshm_init().  Returns 0 or
 * an ESHM_ERROR_* (the fd is closed).
 */
int peer_publish(struct ESHMHandle *h, int fd, uint64_t incarnation);

/*
 * The peer block for the data path's side @side (&h->peer_rd or
 * &h->peer_wr), switching that side to the latest one.  NULL while no
 * peer ever attached.  Data path: lock-free, no system call.
 */
CHAN_HOT struct lib_peer *
peer_enter(struct ESHMHandle *h, _Atomic(struct lib_peer *) *side)
{
	struct lib_peer *p = atomic_load_explicit(&h->peer_latest, memory_order_acquire);

	/* Switching (rare): announce p, then check it is still the latest.
	 * The control thread stores a newer latest, then loads the sides
	 * before it unmaps anything (seq_cst, both): either it sees this
	 * side on p and keeps p, or this side sees the newer one and takes
	 * that instead, never touching p.  The announcement also tells it
	 * this side is done with the mapping it used before (peer_reap). */
	while (atomic_load_explicit(side, memory_order_relaxed) != p) {
		atomic_store_explicit(side, p, memory_order_seq_cst);
		p = atomic_load_explicit(&h->peer_latest, memory_order_seq_cst);
	}
	return p;
}

/* Unmap the retired mappings neither data-path side uses.  h->lock held. */
void peer_reap(struct ESHMHandle *h);

/* Unmap every mapping (eshm_destroy, nothing else uses the handle). */
void peer_release_all(struct ESHMHandle *h);

/* control.c: the control thread */

/* Hand @h's control socket to the control thread, starting it if needed.
 * Returns ESHM_SUCCESS or ESHM_ERROR_SYSTEM.  Thread-safe. */
int ctl_register(struct ESHMHandle *h);

/* Take @h back: once it returns the thread no longer touches @h and its
 * socket is the caller's again.  Thread-safe. */
void ctl_unregister(struct ESHMHandle *h);

/* thread.c */

/* Start a detached thread running @main_fn(NULL) with every signal blocked.
 * Returns ESHM_SUCCESS or ESHM_ERROR_SYSTEM. */
int lib_thread_start(void *(*main_fn)(void *));

/* heartbeat.c */

/* Add @h to the heartbeat thread's list, starting the thread if needed.
 * Returns ESHM_SUCCESS or ESHM_ERROR_SYSTEM.  Thread-safe. */
int hb_register(struct ESHMHandle *h);

/* Remove @h; once it returns the thread no longer touches @h.  Thread-safe. */
void hb_unregister(struct ESHMHandle *h);

/* io.c: the data path's steps, shared with zerocopy.c */

/* The queue's consumer reads in order; everyone else (an observer) gets
 * the newest, or on a queue the oldest still there. */
CHAN_HOT bool
io_consumer(const struct ESHMHandle *h)
{
	return h->g.mode == SEG_MODE_QUEUE && !h->observer;
}

/* Before a write or a loan of @size bytes: the handle may write (not a
 * forked copy, not an observer, no loan out, attached), and *@p is the
 * write side's peer block.  Returns ESHM_SUCCESS or the error. */
int io_write_gate(struct ESHMHandle *h, size_t size, struct lib_peer **p);

/* The queue's consumer's reader part on @p (the write side's peer
 * block), or NULL (latest value, or no peer yet). */
const struct seg_reader *io_queue_reader(const struct ESHMHandle *h, const struct lib_peer *p);

/* What a full queue returns: the remote's state when the disconnect
 * behaviour reports it, else ESHM_ERROR_QUEUE_FULL. */
int io_full(struct ESHMHandle *h);

/* After a message was published: count it, wake a reader or observer that
 * sleeps, and return the remote's state per the disconnect behaviour. */
int io_published(struct ESHMHandle *h, const struct lib_peer *p);

/* One read step on the peer block @p (cursor already on it). */
typedef int io_read_fn(struct ESHMHandle *h, struct lib_peer *p, void *arg);

/*
 * A read with every check eshm_read() makes: the handle, the disconnect
 * behaviour before and after, the peer block to read (switched and its
 * cursor started as needed); @fn does the reading.  Returns what @fn
 * returns, or the check's error.
 */
int io_read_checked(struct ESHMHandle *h, io_read_fn *fn, void *arg);

/*
 * Put the read side's cursor on the peer block @p: a latest-value reader
 * starts at the newest message there, a queue's consumer where its
 * position on that block says (chan_consumer_start()).  The read side, or
 * eshm_init() before anyone reads.
 */
void io_cursor_start(struct ESHMHandle *h, const struct lib_peer *p);

/* liveness.c */

/*
 * The remote's state as the data path sees it (enum seg_endpoint_state):
 * eshmd's verdict, or while eshmd's monitor is away the control thread's
 * local one.  No clock, no lock.
 */
CHAN_HOT uint32_t
live_remote_state(const struct ESHMHandle *h)
{
	if (atomic_load_explicit(&h->daemon_away, memory_order_acquire))
		return atomic_load_explicit(&h->local_state, memory_order_relaxed);
	return seg_state_load(&h->st->verdict.state[1 - h->role]);
}

/*
 * Whether @h may still be used: not revoked by an operator, not taken
 * over by another process, not forgotten by eshmd.  Data path.
 */
CHAN_HOT bool
live_attached(const struct ESHMHandle *h)
{
	const struct seg_status_verdict *v = &h->st->verdict;
	const struct seg_status_observer *o = &h->st->observer[h->obs_slot];

	if ((atomic_load_explicit(&v->flags, memory_order_relaxed) & SEG_VERDICT_REVOKED) ||
	    atomic_load_explicit(&h->detached, memory_order_relaxed))
		return false;
	if (h->observer)
		return seg_state_load(&o->state) == SEG_EP_ALIVE &&
		       atomic_load_explicit(&o->incarnation, memory_order_relaxed) == h->incarnation;
	return atomic_load_explicit(&v->incarnation[h->role], memory_order_relaxed) ==
	       h->incarnation;
}

/*
 * Look whether eshmd's monitor still runs for @h at @now_ns, and while it
 * does not, judge the remote's heartbeat here (a check counting the
 * silence since the last one up to @interval_ms; 0: one that counts none,
 * as when the peer's pidfd fired) and publish the verdict for the data
 * path.  Returns
 * whether eshmd is away.  Control thread; takes h->lock.
 */
bool live_watch(struct ESHMHandle *h, uint64_t now_ns, uint32_t interval_ms);

#endif /* ESHM_LIBCLIENT_HANDLE_H */
