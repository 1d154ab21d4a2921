/*
 * handle.h - what libeshm-client keeps per attached endpoint, and the
 * internal entry points its files share.
 *
 * Who touches what: the caller's threads use the mapped segment, the
 * cursor and the write count (eshm.h's one-writer/one-reader rule); the
 * heartbeat thread owns the control socket after eshm_init() and the
 * fields marked "thread", published with atomics, so the data path never
 * takes a lock.
 */
#ifndef ESHM_LIBCLIENT_HANDLE_H
#define ESHM_LIBCLIENT_HANDLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "channel.h"
#include "eshm.h"
#include "export.h"
#include "layout.h"
#include "proto.h"

#define ESHM_HEARTBEAT_US_DEFAULT 1000u
#define ESHM_HEARTBEAT_US_MIN 100u
#define ESHM_HEARTBEAT_US_MAX 1000000u
#define ESHM_CONNECT_MS_DEFAULT 5000u
#define ESHM_CONNECT_MS_MAX 60000u
/* eshmd's monitor counts as running while its last pass is this recent. */
#define ESHM_DAEMON_FRESH_NS (100u * 1000000u)
/* Local stale check period (the seed's counter-based check). */
#define ESHM_LOCAL_CHECK_MS 10u

struct ESHMOptions {
	uint64_t capacity;
	uint32_t heartbeat_period_us;
	uint32_t connect_timeout_ms;
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* "" = not set */
};

struct ESHMHandle {
	struct seg_map map;
	int role;                  /* SEG_MASTER or SEG_SLAVE */
	ESHMConfig config;         /* config.shm_name points to name; once attached,
	                            * config.stale_threshold_ms is the one eshmd
	                            * recorded (never 0) */
	char name[PROTO_NAME_SIZE];
	struct ESHMOptions options;
	uint64_t generation;

	/* data path (the caller's threads) */
	struct chan_cursor cursor; /* on the remote's channel */
	_Atomic uint64_t writes;

	/* control connection: the heartbeat thread's once registered */
	int sock;                  /* -1 while eshmd is away */
	_Atomic bool detached;     /* revoked, or gone from eshmd after its restart */

	/* local judgement of the remote's heartbeat (thread, or calls) */
	_Atomic uint64_t local_last_hb;
	_Atomic uint64_t local_change_ns; /* without threads: when it last moved */
	_Atomic uint32_t local_silent_ms;
	_Atomic bool remote_stale;        /* by this handle's threshold, both sources */

	/* heartbeat rates, per second (thread, or computed between calls) */
	_Atomic uint64_t rate[2];
	uint64_t rate_hb[2];
	uint64_t rate_ns;

	/* heartbeat thread's list, under its mutex */
	struct ESHMHandle *next;
};

/* control.c */

/*
 * Send ATTACH (or REATTACH when @reattach) for @h over @sock and wait for
 * the reply with the segment's descriptor in *@fd.  Returns the status.
 */
int ctrl_attach(const struct ESHMHandle *h, int sock, bool reattach,
                struct proto_attach_reply *reply, int *fd);

/* DETACH @h over @sock, synchronously.  Returns the status. */
int ctrl_detach(const struct ESHMHandle *h, int sock);

/*
 * Reconnect @h to eshmd after it went away: connect, REATTACH, and on
 * success install the new socket in h->sock.  Marks the handle detached
 * when eshmd no longer knows the segment.  Returns the status.
 * Called by the heartbeat thread, or by eshm_destroy() for its own handle.
 */
int ctrl_reconnect(struct ESHMHandle *h);

/* Map an ESHM_ERROR_* code to the errno eshm_init() leaves behind. */
int ctrl_errno(int code);

/* heartbeat.c */

/* Add @h to the heartbeat thread's list, starting the thread if needed.
 * Returns ESHM_SUCCESS or ESHM_ERROR_SYSTEM.  Thread-safe. */
int hb_register(struct ESHMHandle *h);

/* Remove @h; once it returns the thread no longer touches @h.  Thread-safe. */
void hb_unregister(struct ESHMHandle *h);

/* liveness.c */

/* Whether eshmd's monitor passed within ESHM_DAEMON_FRESH_NS. */
bool live_daemon_fresh(const struct ESHMHandle *h, uint64_t now_ns);

/*
 * Update the local judgement of the remote's heartbeat.  @elapsed_ms > 0:
 * one counter-based check of that period (heartbeat thread); 0: judge by
 * the time between calls (handles without the thread).
 */
void live_local_check(struct ESHMHandle *h, uint32_t elapsed_ms);

/* Recompute h->remote_stale from eshmd's verdict or the local one. */
bool live_update_stale(struct ESHMHandle *h, uint64_t now_ns);

/* Recompute the heartbeat rates over the time since the last call. */
void live_update_rates(struct ESHMHandle *h, uint64_t now_ns);

/* The remote's endpoint. */
static inline struct seg_endpoint *
live_remote(const struct ESHMHandle *h)
{
	return h->map.endpoint[1 - h->role];
}

#endif /* ESHM_LIBCLIENT_HANDLE_H */
