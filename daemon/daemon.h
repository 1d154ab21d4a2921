/*
 * daemon.h - eshmd's state, handed to every module: struct eshmd and the
 * client connections.  Each module's functions are in its own header
 * (server.h, request.h, endpoint.h, ...); calls go one way, from main and
 * the server down to the registry, never back up.
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

#include "cmdline.h"
#include "events.h"
#include "history.h"
#include "registry.h"
#include "settings.h"

struct srv_out;
struct srv_stream;

/* One client connection. */
struct srv_conn {
	struct ev_tag tag;               /* EV_CONN */
	int fd;
	pid_t pid;                       /* SO_PEERCRED at accept */
	uid_t uid;
	gid_t gid;
	uint64_t accept_boot_ns;         /* CLOCK_BOOTTIME at accept */
	uint64_t last_active_ns;         /* CLOCK_MONOTONIC of its last request */
	uint64_t caps;                   /* PROTO_CAP_* its HELLO named */
	bool hello;                      /* it sent HELLO */
	struct reg_segment *seg;         /* endpoint it holds, or NULL */
	int role_index;                  /* SEG_MASTER / SEG_SLAVE when seg != NULL */
	struct reg_segment *obs_seg;     /* segment it observes, or NULL */
	int obs_slot;                    /* its observer slot when obs_seg != NULL */
	bool observers_pending;          /* OBSERVER notifications are due */
	bool closed;                     /* closed in this round; freed after it */
	bool broken;                     /* a reply failed: treat as hung up */
	bool close_pending;              /* its endpoint was revoked: the server closes it */
	bool peer_pending;               /* a PEER notification is due */
	struct srv_stream *stream;       /* a LIST being sent, or NULL */
	struct srv_out *out_head, *out_tail; /* datagrams the socket could not take yet */
	uint32_t out_count;
	struct srv_conn *prev, *next;
};

/* Group ids resolved from the settings' names at load and on SIGHUP. */
struct eshmd_groups {
	bool access_ok;                  /* access_group exists */
	gid_t access;
	bool admin_ok;                   /* admin_group set and exists */
	gid_t admin;
	bool bridge_ok;                  /* bridge_group set and exists */
	gid_t bridge;
	gid_t socket;                    /* the group given to a socket eshmd binds */
};

struct eshmd {
	struct eshmd_settings set;       /* written under registry.lock */
	struct eshmd_groups groups;      /* written under registry.lock, with set */
	struct cmdline cmd;
	struct registry reg;
	char records_dir[256];           /* resolved at start */
	int epfd;
	int listen_fd;
	bool own_socket;                 /* bound here (not from systemd): unlink at exit */
	int signal_fd;
	int timer_fd;
	int spare_fd;                    /* closed to accept and refuse when out of descriptors */
	struct srv_conn *conns;
	uint32_t nconns;
	struct srv_conn *closed_conns;   /* freed at the end of the event round */
	bool close_pending;              /* some connection has close_pending set */
	bool peer_pending;               /* some connection has peer_pending set */
	uint64_t start_mono_ns;
	bool stopping;                   /* SIGTERM or SIGINT seen */
	bool reload_pending;             /* SIGHUP seen: srv_run() returns for the reload */
	pthread_t monitor;
	bool monitor_running;
	atomic_bool monitor_stop;
	uint64_t monitor_pass;           /* passes so far, under registry.lock */
	uint64_t monitor_busy_ns;        /* time in passes so far, under registry.lock */
	uint64_t monitor_last_ns;        /* the last pass's time, under registry.lock */
	uint64_t monitor_max_ns;         /* the longest pass's time, under registry.lock */
	uint64_t monitor_cpu_ns;         /* the monitor thread's CPU time, under registry.lock */
	char status_text[160];           /* last STATUS= sent, under registry.lock */
	struct history hist;             /* under registry.lock */
};

#endif /* ESHMD_DAEMON_H */
