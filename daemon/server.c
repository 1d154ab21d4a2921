/*
 * server.c - the listening socket, the epoll loop and the connections.
 *
 * One thread serves everyone: every socket is non-blocking, a peer that
 * does not read gets its replies queued (and stops being read until it
 * catches up), and one that says nothing is closed after a few seconds
 * unless it holds an endpoint.  Objects closed or removed during a round
 * of events are freed only after the round, so a later event of the same
 * round never points at freed memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "adopt.h"
#include "cleanup.h"
#include "clock.h"
#include "endpoint.h"
#include "eshm.h"
#include "events.h"
#include "log.h"
#include "notify.h"
#include "reply.h"
#include "request.h"
#include "server.h"

/* Connections that hold no endpoint are closed after this long silent. */
#define SRV_IDLE_TIMEOUT_S 5
/* Replies queued for a peer that does not read, before it is dropped. */
#define SRV_QUEUE_MAX 8192
#define SRV_EVENTS 64
#define SRV_READS_PER_EVENT 16  /* datagrams per connection per round: fairness */
#define SRV_BACKLOG 128
#define SRV_OVER_LIMIT_EXTRA 16 /* connections kept just to say "limit" */

/* A reply the peer's socket could not take yet. */
struct srv_out {
	struct srv_out *next;
	uint16_t type;
	uint32_t id;
	int fd;                          /* passed descriptor (ours, dup'ed), or -1 */
	unsigned char body[];
};

static struct ev_tag srv_listen_tag = {EV_LISTEN};
static struct ev_tag srv_signal_tag = {EV_SIGNAL};
static struct ev_tag srv_timer_tag = {EV_TIMER};

/* Create the directory holding the socket if it is missing (one level). */
static void
srv_make_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		log_msg(LOG_INFO, "created %s", dir);
	else if (errno != EEXIST)
		log_msg(LOG_WARNING, "cannot create %s: %s", dir, strerror(errno));
}

/* A socket file left by a previous eshmd that nobody answers on goes. */
static int
srv_clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd;

	if (lstat(sa->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		log_msg(LOG_ERR, "%s exists and is not a socket", sa->sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		close(fd);
		log_msg(LOG_ERR, "another eshmd already listens on %s", sa->sun_path);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	if (unlink(sa->sun_path) < 0 && errno != ENOENT) {
		log_msg(LOG_ERR, "cannot remove the stale socket %s: %s", sa->sun_path,
		        strerror(errno));
		return -1;
	}
	return 0;
}

int
srv_listen(struct eshmd *d)
{
	struct sockaddr_un sa;
	int n, fd;

	n = sd_listen_fds(1);
	if (n < 0) {
		log_msg(LOG_ERR, "cannot take systemd's sockets: %s", strerror(-n));
		return -1;
	}
	if (n > 0) {
		fd = SD_LISTEN_FDS_START;
		if (n > 1)
			log_msg(LOG_WARNING, "systemd passed %d sockets; using the first", n);
		if (sd_is_socket(fd, AF_UNIX, SOCK_SEQPACKET, 1) <= 0) {
			log_msg(LOG_ERR, "the socket from systemd is not a listening "
			                 "AF_UNIX SOCK_SEQPACKET socket");
			return -1;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			log_msg(LOG_ERR, "cannot configure systemd's socket: %s", strerror(errno));
			return -1;
		}
		d->listen_fd = fd;
		d->own_socket = false;
		log_msg(LOG_INFO, "listening on the socket passed by systemd");
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->set.socket_path);
	srv_make_dir(sa.sun_path);
	if (srv_clear_stale(&sa) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_msg(LOG_ERR, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_msg(LOG_ERR, "cannot bind %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	d->own_socket = true;
	d->listen_fd = fd;
	/* Everyone may connect; each request is judged by its credentials. */
	if (chmod(sa.sun_path, 0666) < 0)
		log_msg(LOG_WARNING, "cannot chmod %s: %s", sa.sun_path, strerror(errno));
	if (listen(fd, SRV_BACKLOG) < 0) {
		log_msg(LOG_ERR, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		return -1;
	}
	log_msg(LOG_INFO, "listening on %s", sa.sun_path);
	return 0;
}

int
srv_setup(struct eshmd *d)
{
	struct itimerspec tick = {{1, 0}, {1, 0}};
	sigset_t set;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		log_msg(LOG_ERR, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->signal_fd < 0 || d->timer_fd < 0 || timerfd_settime(d->timer_fd, 0, &tick, NULL) < 0) {
		log_msg(LOG_ERR, "signalfd/timerfd: %s", strerror(errno));
		return -1;
	}
	if (ev_watch(d->epfd, d->signal_fd, EPOLLIN, &srv_signal_tag) < 0 ||
	    ev_watch(d->epfd, d->timer_fd, EPOLLIN, &srv_timer_tag) < 0) {
		log_msg(LOG_ERR, "epoll_ctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
srv_start(struct eshmd *d)
{
	if (ev_watch(d->epfd, d->listen_fd, EPOLLIN, &srv_listen_tag) < 0) {
		log_msg(LOG_ERR, "epoll_ctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
srv_set_events(struct eshmd *d, struct srv_conn *c)
{
	/* While replies wait, stop reading: the peer must catch up first. */
	ev_change(d->epfd, c->fd, c->out_head != NULL ? EPOLLOUT | EPOLLRDHUP : EPOLLIN | EPOLLRDHUP,
	          &c->tag);
}

static void
srv_free_out(struct srv_conn *c)
{
	struct srv_out *o;

	while ((o = c->out_head) != NULL) {
		c->out_head = o->next;
		if (o->fd >= 0)
			close(o->fd);
		free(o);
	}
	c->out_tail = NULL;
	c->out_count = 0;
}

/*
 * Close @c (without touching any endpoint it held: the caller decided its
 * fate).  Safe while events for it are pending in this round.
 */
static void
srv_close(struct eshmd *d, struct srv_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->seg != NULL) {
		c->seg->ep[c->role_index].conn = NULL;
		c->seg = NULL;
	}
	ev_forget(d->epfd, c->fd);
	close(c->fd);
	c->fd = -1;
	srv_free_out(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	d->nconns--;
	c->next = d->closed_conns;
	c->prev = NULL;
	d->closed_conns = c;
}

/* Endpoint @index of @seg died with its process.  registry.lock held. */
static void
srv_endpoint_died(struct eshmd *d, struct reg_segment *seg, int index)
{
	ep_dead(d, seg, index);
	cln_after_leave(d, seg);
}

/* The peer went away: an endpoint it still held died with it. */
static void
srv_hangup(struct eshmd *d, struct srv_conn *c)
{
	pthread_mutex_lock(&d->reg.lock);
	if (c->seg != NULL && reg_ep_held(c->seg, c->role_index))
		srv_endpoint_died(d, c->seg, c->role_index);
	srv_close(d, c);
	pthread_mutex_unlock(&d->reg.lock);
}

static int
srv_queue(struct srv_conn *c, uint16_t type, uint32_t id, const void *body, int fd)
{
	ssize_t size = proto_body_size(type);
	struct srv_out *o;

	if (size < 0 || c->out_count >= SRV_QUEUE_MAX)
		return -1;
	o = malloc(sizeof(*o) + (size_t)size);
	if (o == NULL)
		return -1;
	o->next = NULL;
	o->type = type;
	o->id = id;
	o->fd = -1;
	if (fd >= 0) {
		o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (o->fd < 0) {
			free(o);
			return -1;
		}
	}
	memcpy(o->body, body, (size_t)size);
	if (c->out_tail != NULL)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_count++;
	return 0;
}

/*
 * Send a datagram to @c, queueing it if the socket is full.  @fd (if >= 0)
 * is passed with it and stays the caller's.  A broken peer is closed by
 * the caller.
 */
static void
srv_send(struct eshmd *d, struct srv_conn *c, uint16_t type, uint32_t id, const void *body,
         int fd)
{
	bool was_empty = c->out_head == NULL;
	int rc;

	if (c->closed || c->broken)
		return;
	if (was_empty) {
		rc = proto_send(c->fd, type, id, body, fd);
		if (rc == 0)
			return;
		if (rc != -EAGAIN && rc != -ENOBUFS) {
			log_msg(LOG_DEBUG, "pid %d: cannot reply: %s", (int)c->pid, strerror(-rc));
			c->broken = true;
			return;
		}
	}
	if (srv_queue(c, type, id, body, fd) < 0) {
		log_msg(LOG_WARNING, "pid %d does not read its replies; dropping it", (int)c->pid);
		c->broken = true;
		return;
	}
	if (was_empty)
		srv_set_events(d, c);
}

/*
 * Answer @c with @r, the one place replies leave: the stream's items, then
 * the final reply; the descriptor @r passes is closed once sent.
 * registry.lock held when @r has a stream (it reads the registry).
 */
static void
srv_answer(struct eshmd *d, struct srv_conn *c, struct reply *r)
{
	union reply_body item;

	if (r->stream.next != NULL)
		while (!c->broken && r->stream.next(d, c, &r->stream, &item))
			srv_send(d, c, r->stream.type, r->id, &item, -1);
	srv_send(d, c, r->type, r->id, &r->body, r->fd);
	if (r->fd >= 0)
		close(r->fd);
}

static void
srv_flush(struct eshmd *d, struct srv_conn *c)
{
	struct srv_out *o;
	int rc;

	while ((o = c->out_head) != NULL) {
		rc = proto_send(c->fd, o->type, o->id, o->body, o->fd);
		if (rc == -EAGAIN || rc == -ENOBUFS)
			return;
		if (rc < 0) {
			c->broken = true;
			return;
		}
		c->out_head = o->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		c->out_count--;
		if (o->fd >= 0)
			close(o->fd);
		free(o);
	}
	srv_set_events(d, c);
}

static void
srv_accept(struct eshmd *d)
{
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct srv_conn *c;
		int fd;

		fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_msg(LOG_WARNING, "accept: %s", strerror(errno));
			if (errno == EMFILE || errno == ENFILE)
				log_msg(LOG_WARNING, "out of descriptors: raise LimitNOFILE");
			return;
		}
		if (d->nconns >= d->set.max_clients + SRV_OVER_LIMIT_EXTRA ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->tag.kind = EV_CONN;
		c->fd = fd;
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->gid = cred.gid;
		c->last_active_ns = clock_mono_ns();
		/* Over the limit: see srv_refuse(). */
		c->over_limit = d->nconns >= d->set.max_clients;
		if (ev_watch(d->epfd, fd, EPOLLIN | EPOLLRDHUP, &c->tag) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = d->conns;
		if (d->conns != NULL)
			d->conns->prev = c;
		d->conns = c;
		d->nconns++;
		log_msg(LOG_DEBUG, "connection from pid %d uid %u", (int)c->pid, (unsigned)c->uid);
	}
}

/*
 * Serve the datagram of @n bytes at @buf from @c (-EMSGSIZE: it was too
 * large): accept -> parse -> validate -> act in req_handle(), then reply
 * here.  Returns false when @c must be hung up.
 */
static bool
srv_serve(struct eshmd *d, struct srv_conn *c, const void *buf, ssize_t n)
{
	struct reply r;
	bool wellformed;

	pthread_mutex_lock(&d->reg.lock);
	if (n < 0) {
		reply_init(&r, 0);
		reply_status(&r, ESHM_ERROR_PROTOCOL, "datagram too large");
		wellformed = false;
	} else
		wellformed = req_handle(d, c, buf, (size_t)n, &r) == 0;
	srv_answer(d, c, &r);
	pthread_mutex_unlock(&d->reg.lock);
	if (!wellformed)
		log_msg(LOG_NOTICE, "pid %d sent a malformed request; closing its connection",
		        (int)c->pid);
	return wellformed && !c->broken;
}

/* Beyond max_connections: kept only to answer its first request with
 * ESHM_ERROR_LIMIT, which tells the client more than a reset. */
static void
srv_refuse(struct eshmd *d, struct srv_conn *c)
{
	struct reply r;

	reply_init(&r, 0);
	reply_status(&r, ESHM_ERROR_LIMIT, "too many connections (max_connections = %u)",
	             d->set.max_clients);
	srv_answer(d, c, &r);
	srv_close(d, c);
}

static void
srv_read(struct eshmd *d, struct srv_conn *c)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	int i;

	for (i = 0; i < SRV_READS_PER_EVENT && !c->closed && c->out_head == NULL; i++) {
		int passed = -1;
		ssize_t n = proto_recv(c->fd, buf, &passed, 0);

		/* Nobody has a reason to pass eshmd a descriptor. */
		if (passed >= 0)
			close(passed);
		if (n == -ETIMEDOUT)
			return;
		if (n == 0 || (n < 0 && n != -EMSGSIZE)) {
			srv_hangup(d, c);
			return;
		}
		c->last_active_ns = clock_mono_ns();
		if (c->over_limit) {
			srv_refuse(d, c);
			return;
		}
		if (!srv_serve(d, c, buf, n)) {
			srv_hangup(d, c);
			return;
		}
	}
}

static void
srv_conn_event(struct eshmd *d, struct srv_conn *c, uint32_t events)
{
	if (events & EPOLLOUT) {
		srv_flush(d, c);
		if (c->broken) {
			srv_hangup(d, c);
			return;
		}
	}
	if (events & EPOLLIN) {
		srv_read(d, c);
		return;
	}
	/* Hung up with nothing left to read (or while we were not reading). */
	if (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))
		srv_hangup(d, c);
}

static void
srv_signal(struct eshmd *d)
{
	struct signalfd_siginfo si;

	while (read(d->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			d->reload_pending = true;
			break;
		case SIGTERM:
		case SIGINT:
			if (!d->stopping)
				log_msg(LOG_INFO, "%s received, stopping",
				        si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			ntf_stopping();
			d->stopping = true;
			break;
		}
	}
}

/* Once a second: drop silent connections, check re-adopted endpoints that
 * have no pidfd, apply the idle cleanup. */
static void
srv_tick(struct eshmd *d)
{
	uint64_t expirations, now = clock_mono_ns();
	struct srv_conn *c, *next;

	while (read(d->timer_fd, &expirations, sizeof(expirations)) > 0)
		;
	pthread_mutex_lock(&d->reg.lock);
	for (c = d->conns; c != NULL; c = next) {
		next = c->next;
		if (c->seg == NULL &&
		    now - c->last_active_ns >= (uint64_t)SRV_IDLE_TIMEOUT_S * 1000000000u) {
			log_msg(LOG_DEBUG, "pid %d silent for %d s: closing its connection",
			        (int)c->pid, SRV_IDLE_TIMEOUT_S);
			srv_close(d, c);
		}
	}
	adopt_poll(d);
	cln_idle_sweep(d);
	pthread_mutex_unlock(&d->reg.lock);
}

static void
srv_pidfd_event(struct eshmd *d, struct reg_endpoint *ep)
{
	pthread_mutex_lock(&d->reg.lock);
	/* -1: the slot was released earlier in this round. */
	if (ep->pidfd >= 0) {
		close(ep->pidfd);
		ep->pidfd = -1;
		if (reg_ep_held(ep->seg, ep->index))
			srv_endpoint_died(d, ep->seg, ep->index);
	}
	pthread_mutex_unlock(&d->reg.lock);
}

/* Close the connections whose segment a removal took away. */
static void
srv_close_pending(struct eshmd *d)
{
	struct srv_conn *c, *next;

	d->close_pending = false;
	for (c = d->conns; c != NULL; c = next) {
		next = c->next;
		if (c->close_pending)
			srv_close(d, c);
	}
}

/* Free what this round closed or removed. */
static void
srv_reap(struct eshmd *d)
{
	struct srv_conn *c;

	pthread_mutex_lock(&d->reg.lock);
	reg_reap(&d->reg);
	pthread_mutex_unlock(&d->reg.lock);
	while ((c = d->closed_conns) != NULL) {
		d->closed_conns = c->next;
		free(c);
	}
}

enum srv_end
srv_run(struct eshmd *d)
{
	struct epoll_event evs[SRV_EVENTS];

	d->reload_pending = false;
	while (!d->stopping && !d->reload_pending) {
		int n = epoll_wait(d->epfd, evs, SRV_EVENTS, -1), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "epoll_wait: %s", strerror(errno));
			return SRV_FAIL;
		}
		for (i = 0; i < n; i++) {
			struct ev_tag *tag = evs[i].data.ptr;

			switch (tag->kind) {
			case EV_LISTEN:
				srv_accept(d);
				break;
			case EV_SIGNAL:
				srv_signal(d);
				break;
			case EV_TIMER:
				srv_tick(d);
				break;
			case EV_CONN: {
				struct srv_conn *c = (struct srv_conn *)tag;

				if (!c->closed)
					srv_conn_event(d, c, evs[i].events);
				break;
			}
			case EV_PIDFD:
				srv_pidfd_event(d, (struct reg_endpoint *)tag);
				break;
			}
			if (d->close_pending)
				srv_close_pending(d);
		}
		srv_reap(d);
	}
	return d->stopping ? SRV_STOP : SRV_RELOAD;
}

void
srv_shutdown(struct eshmd *d)
{
	pthread_mutex_lock(&d->reg.lock);
	/* Endpoints stay as they are: clients keep working and reattach to
	 * the next eshmd. */
	while (d->conns != NULL)
		srv_close(d, d->conns);
	pthread_mutex_unlock(&d->reg.lock);
	srv_reap(d);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
		if (d->own_socket && unlink(d->set.socket_path) < 0 && errno != ENOENT)
			log_msg(LOG_WARNING, "cannot remove %s: %s", d->set.socket_path,
			        strerror(errno));
	}
}
