/*
 * daemon.h - what eshmd's files share: the daemon's state, the event-loop
 * objects, and the entry points each file offers the others.
 *
 * Threads: the event loop (main thread) serves requests, the monitor
 * thread judges heartbeats.  Everything reachable from struct registry is
 * guarded by registry.lock; the connection list and the epoll set belong
 * to the event loop alone.
 */
#ifndef ESHMD_DAEMON_H
#define ESHMD_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "layout.h"
#include "proto.h"
#include "registry.h"
#include "settings.h"

/* Connections that hold no endpoint are closed after this long silent. */
#define SRV_IDLE_TIMEOUT_S 5
/* Replies queued for a peer that does not read, before it is dropped. */
#define SRV_QUEUE_MAX 8192

struct reply;

/* What the command line asked for; re-applied over the file on reload. */
struct cmdline {
	const char *socket_path;
	const char *shm_prefix;
	const char *config_path; /* NULL: ESHMD_CONF_DEFAULT, missing is fine */
	bool check_config;
	bool verbose;
	bool help;
	bool version;
};

/* A reply the peer's socket could not take yet. */
struct srv_out {
	struct srv_out *next;
	uint16_t type;
	uint32_t id;
	int fd;                          /* passed descriptor (ours, dup'ed), or -1 */
	unsigned char body[];
};

/* One client connection. */
struct srv_conn {
	struct ev_tag tag;               /* EV_CONN */
	int fd;
	pid_t pid;                       /* SO_PEERCRED at accept */
	uid_t uid;
	gid_t gid;
	uint64_t last_active_ns;         /* CLOCK_MONOTONIC of its last request */
	struct reg_segment *seg;         /* endpoint it holds, or NULL */
	int role_index;                  /* SEG_MASTER / SEG_SLAVE when seg != NULL */
	bool closed;                     /* closed in this round; freed after it */
	bool broken;                     /* a reply failed: treat as hung up */
	bool over_limit;                 /* beyond max_connections: refuse, close */
	bool close_pending;              /* its segment was removed: close it */
	struct srv_out *out_head, *out_tail;
	uint32_t out_count;
	struct srv_conn *prev, *next;
};

struct eshmd {
	struct eshmd_settings set;       /* written under registry.lock */
	struct cmdline cmd;
	struct registry reg;
	int epfd;
	int listen_fd;
	bool own_socket;                 /* bound here (not from systemd): unlink at exit */
	int signal_fd;
	int timer_fd;
	struct srv_conn *conns;
	uint32_t nconns;
	struct srv_conn *closed_conns;   /* freed at the end of the event round */
	bool close_pending;              /* some connection has close_pending set */
	uint64_t start_mono_ns;
	bool stopping;                   /* SIGTERM or SIGINT seen */
	bool reload_pending;             /* SIGHUP seen: srv_run() returns for the reload */
	pthread_t monitor;
	bool monitor_running;
	atomic_bool monitor_stop;
	char status_text[160];           /* last STATUS= sent, under registry.lock */
};

/* cmdline.c */

/*
 * Parse @argv into @cmd.  Returns 0, or -1 after printing what is wrong
 * (the caller exits 1).  @cmd's strings point into @argv.
 */
int cmd_parse(int argc, char **argv, struct cmdline *cmd);

/* Print the usage text to stdout. */
void cmd_usage(const char *prog);

/*
 * Build settings from the defaults, the configuration file and @cmd into
 * @s.  Returns 0, or -1 with the reason in @err.
 */
int cmd_settings(const struct cmdline *cmd, struct eshmd_settings *s, char *err, size_t errlen);

/* server.c: the listening socket, the epoll loop and the connections */

/* Adopt systemd's socket or bind our own.  Returns 0 or -1 (logged). */
int srv_listen(struct eshmd *d);

/* Create the epoll set, signalfd and timer.  Returns 0 or -1 (logged). */
int srv_setup(struct eshmd *d);

/*
 * Start accepting connections (after adoption, so nobody attaches to a
 * segment before its recorded endpoints were judged).  Returns 0 or -1
 * (logged).
 */
int srv_start(struct eshmd *d);

/* How srv_run() returned. */
enum srv_end {
	SRV_STOP,   /* SIGTERM or SIGINT */
	SRV_RELOAD, /* SIGHUP: the caller reloads, then calls srv_run() again */
	SRV_FAIL,   /* a fatal error (logged) */
};

/*
 * Serve until a signal asks for what only the caller does; the round of
 * events in progress is finished first.
 */
enum srv_end srv_run(struct eshmd *d);

/* Close every connection and the listening socket (unlinked if ours). */
void srv_shutdown(struct eshmd *d);

/* request.c */

/*
 * Parse the datagram of @len bytes from @c, validate it, act on it, and
 * leave the answer in @r for the caller to send.  registry.lock held.
 * Returns 0, or -1 when the datagram was malformed (@r then holds the
 * ESHM_ERROR_PROTOCOL or ESHM_ERROR_VERSION_MISMATCH answer; the caller
 * sends it and closes @c).
 */
int req_handle(struct eshmd *d, struct srv_conn *c, const void *buf, size_t len, struct reply *r);

/* access.c */

/*
 * May the peer of @c use the segment whose header is @h, under @d's
 * policy?  Returns 0 or ESHM_ERROR_PERMISSION.
 */
int acc_check(const struct eshmd *d, const struct srv_conn *c, const struct seg_header *h);

/* endpoint.c: the life of an endpoint slot; registry.lock held */

/*
 * Mark endpoint @index of @seg dead (its process is gone): repair its
 * channel if a write was cut short, forget its connection and pidfd.  The
 * caller then applies the cleanup policy (cln_after_leave).
 */
void ep_dead(struct eshmd *d, struct reg_segment *seg, int index);

/* As ep_dead, for a clean detach: state detached. */
void ep_detach(struct eshmd *d, struct reg_segment *seg, int index);

/*
 * Record the peer of @c as holding endpoint @index of @seg with
 * @threshold_ms and heartbeat period @period_us (0: unknown); state alive.
 * @c's hang-up will mean its death.
 */
void ep_attach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c,
               uint32_t threshold_ms, uint64_t period_us);

/* Forget what ties slot @ep to a process: its connection and its pidfd. */
void ep_unlink_watchers(struct reg_endpoint *ep);

/* A heartbeat period in whole milliseconds (1..1000), 1 when unknown. */
uint32_t ep_period_ms(uint64_t period_us);

/*
 * Hand endpoint @index of @seg, recorded for the peer of @c before an
 * eshmd restart, back to the connection @c (its pidfd watch ends).
 */
void ep_reattach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c);

/* cleanup.c; registry.lock held */

/* Apply the cleanup policy to @seg after an endpoint left (may remove it). */
void cln_after_leave(struct eshmd *d, struct reg_segment *seg);

/* Remove segments idle for cleanup_idle_s under the idle policy. */
void cln_idle_sweep(struct eshmd *d);

/*
 * Remove @seg: set SEG_FLAG_REVOKED if @revoke, mark its endpoints
 * detached and their connections to be closed (close_pending), unlink the
 * object and drop it from the registry (freed at the end of the round).
 */
void cln_remove(struct eshmd *d, struct reg_segment *seg, bool revoke);

/* adopt.c */

/*
 * Scan /dev/shm for objects with the prefix and adopt every valid segment;
 * leave the others alone.  Returns the number adopted.
 */
int adopt_scan(struct eshmd *d);

/*
 * Adopt the object of @name found in /dev/shm (registry.lock held), as at
 * start.  Returns 0 with the record in *@out, or the ESHM_ERROR_* that
 * made it invalid (the object is left alone).
 */
int adopt_one(struct eshmd *d, const char *name, struct reg_segment **out);

/*
 * Check the re-adopted endpoints that have no pidfd (see reg_endpoint.polled)
 * and declare dead those whose process is gone.  Called once a second with
 * the registry locked.
 */
void adopt_poll(struct eshmd *d);

/* monitor.c */

/* Start the monitor thread.  Returns 0 or -1 (logged). */
int mon_start(struct eshmd *d);

/* Stop and join it. */
void mon_stop(struct eshmd *d);

/* notify.c: systemd notifications; harmless without NOTIFY_SOCKET */

void ntf_ready(void);
void ntf_reloading(void);
void ntf_stopping(void);
void ntf_watchdog(void);

/*
 * Watchdog ping period in ns (half of WATCHDOG_USEC), 0 if the watchdog is
 * off.
 */
uint64_t ntf_watchdog_period_ns(void);

/* Send STATUS= if the counts changed since the last one.  registry.lock held. */
void ntf_status(struct eshmd *d);

#endif /* ESHMD_DAEMON_H */
