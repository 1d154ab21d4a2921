/*
 * server.h - the listening socket, the event loop and the connections:
 * accept, read a request, hand it to request.c, send the reply it
 * returns.  Event-loop (main) thread only.
 */
#ifndef ESHMD_SERVER_H
#define ESHMD_SERVER_H

#include "daemon.h"

/*
 * Use @passed, the listening socket systemd passed (-1: none), or bind
 * our own at socket_path, in a directory that must belong to root or
 * eshmd's user and not be writable by others (unless sticky), with
 * socket_mode and the resolved socket group.  Returns 0 or -1 (logged).
 */
int srv_listen(struct eshmd *d, int passed);

/* Create the epoll set, signalfd and timer.  Returns 0 or -1 (logged). */
int srv_setup(struct eshmd *d);

/*
 * Start accepting connections (after the restore, so nobody attaches to a
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

#endif /* ESHMD_SERVER_H */
