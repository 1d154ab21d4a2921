/*
 * server.c - the listening socket, the epoll loop and the connections.
 *
 * One thread serves everyone: every socket is non-blocking.  A peer that
 * does not read stops being read until it catches up, and what eshmd
 * keeps for it is bounded: a few queued datagrams, and for a LIST one item
 * at a time, made only when the socket takes the previous one.  A peer
 * that says nothing is closed after a few seconds unless it holds an
 * endpoint.  Objects closed or removed during a round of events are freed
 * only after the round, so a later event of the same round never points
 * at freed memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
#include <unistd.h>

#include "access.h"
#include "budget.h"
#include "cleanup.h"
#include "clock.h"
#include "endpoint.h"
#include "eshm.h"
#include "events.h"
#include "log.h"
#include "memfd.h"
#include "observer.h"
#include "notify.h"
#include "procinfo.h"
#include "reply.h"
#include "request.h"
#include "restore.h"
#include "server.h"

/* Connections that hold no endpoint are closed after this long silent. */
#define SRV_IDLE_TIMEOUT_S 5
/* Datagrams queued for a peer that does not read, before it is dropped:
 * it is not read meanwhile, so only its last reply and notifications
 * queue up. */
#define SRV_QUEUE_MAX 64
#define SRV_EVENTS 64
#define SRV_READS_PER_EVENT 16  /* datagrams per connection per round: fairness */
#define SRV_BACKLOG 128

/* A datagram the peer's socket could not take yet. */
struct srv_out {
	struct srv_out *next;
	uint16_t version;
	uint16_t type;
	uint32_t id;
	struct proto_fds fds;            /* ours (duplicates), closed once sent */
	unsigned char body[];
};

/* A LIST or EVENTS being sent: the next item is made only when the socket takes one. */
struct srv_stream {
	struct reply_cursor cursor;
	struct reply_stream how;
	uint32_t id;
	bool have_item;                  /* item made, not yet taken by the socket */
	union reply_body item;
	uint16_t final_type;
	struct proto_status final;
};

static struct ev_tag srv_listen_tag = {EV_LISTEN};
static struct ev_tag srv_signal_tag = {EV_SIGNAL};
static struct ev_tag srv_timer_tag = {EV_TIMER};
static struct ev_tag srv_history_tag = {EV_HISTORY};

/*
 * The directory of the socket: created if missing (one level), and
 * refused unless root or eshmd's user owns it and nobody else may
 * replace the socket in it.
 */
static int
srv_check_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		log_msg(LOG_INFO, "created %s", dir);
	else if (errno != EEXIST)
		log_msg(LOG_WARNING, "cannot create %s: %s", dir, strerror(errno));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_msg(LOG_ERR, "the socket's directory %s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		log_msg(LOG_ERR, "the socket's directory %s belongs to uid %u: only root or "
		                 "eshmd's user may own it",
		        dir, (unsigned)st.st_uid);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(st.st_mode & S_ISVTX)) {
		log_msg(LOG_ERR, "the socket's directory %s is writable by others (mode %03o): "
		                 "anyone could replace the socket",
		        dir, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
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
srv_listen(struct eshmd *d, int passed)
{
	struct sockaddr_un sa;
	int fd;

	if (passed >= 0) {
		if (fcntl(passed, F_SETFL, fcntl(passed, F_GETFL) | O_NONBLOCK) < 0) {
			log_msg(LOG_ERR, "cannot configure systemd's socket: %s", strerror(errno));
			return -1;
		}
		d->listen_fd = passed;
		d->own_socket = false;
		log_msg(LOG_INFO, "listening on the socket passed by systemd");
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->set.socket_path);
	if (srv_check_dir(sa.sun_path) < 0 || srv_clear_stale(&sa) < 0)
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
	/* As eshmd.socket does: the mode and group decide who may connect,
	 * the access policy what each may do. */
	if (chown(sa.sun_path, (uid_t)-1, d->groups.socket) < 0 && errno != EPERM)
		log_msg(LOG_WARNING, "cannot give %s to gid %u: %s", sa.sun_path,
		        (unsigned)d->groups.socket, strerror(errno));
	if (chmod(sa.sun_path, d->set.socket_mode) < 0)
		log_msg(LOG_WARNING, "cannot chmod %s: %s", sa.sun_path, strerror(errno));
	if (listen(fd, SRV_BACKLOG) < 0) {
		log_msg(LOG_ERR, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		return -1;
	}
	log_msg(LOG_INFO, "listening on %s (mode %04o, gid %u)", sa.sun_path, d->set.socket_mode,
	        (unsigned)d->groups.socket);
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
	d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
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
	if (ev_watch(d->epfd, d->listen_fd, EPOLLIN, &srv_listen_tag) < 0 ||
	    ev_watch(d->epfd, d->hist.wake_fd, EPOLLIN, &srv_history_tag) < 0) {
		log_msg(LOG_ERR, "epoll_ctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
srv_set_events(struct eshmd *d, struct srv_conn *c)
{
	/* While anything waits for the socket, stop reading: the peer must
	 * catch up first. */
	bool busy = c->out_head != NULL || (c->stream != NULL && c->stream->have_item);

	ev_change(d->epfd, c->fd, busy ? EPOLLOUT | EPOLLRDHUP : EPOLLIN | EPOLLRDHUP, &c->tag);
}

static void
srv_free_out(struct srv_conn *c)
{
	struct srv_out *o;

	while ((o = c->out_head) != NULL) {
		c->out_head = o->next;
		proto_fds_close(&o->fds);
		free(o);
	}
	c->out_tail = NULL;
	c->out_count = 0;
}

static void
srv_end_stream(struct eshmd *d, struct srv_conn *c)
{
	if (c->stream == NULL)
		return;
	reg_cursor_close(&d->reg, &c->stream->cursor.seg);
	if (c->stream->how.follow)
		d->hist.followers--;
	free(c->stream);
	c->stream = NULL;
}

/*
 * Close @c (without touching any endpoint it held: the caller decided its
 * fate).  Safe while events for it are pending in this round.
 * registry.lock held.
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
	/* An observer lasts as long as its connection. */
	obs_leave(d, c);
	srv_end_stream(d, c);
	ev_forget(d->epfd, c->fd);
	close(c->fd);
	c->fd = -1;
	srv_free_out(c);
	bud_connection(d, c->uid, -1);
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

/*
 * The peer went away (or must be dropped).  An endpoint it held stays
 * held: only its process's exit (the pidfd, or /proc where there is none)
 * or a detach frees the role.
 */
static void
srv_hangup(struct eshmd *d, struct srv_conn *c)
{
	struct reg_segment *seg = c->seg;

	pthread_mutex_lock(&d->reg.lock);
	if (seg != NULL && ep_hangup(d, seg, c->role_index))
		cln_after_leave(d, seg);
	srv_close(d, c);
	pthread_mutex_unlock(&d->reg.lock);
}

static int
srv_queue(struct srv_conn *c, uint16_t version, uint16_t type, uint32_t id, const void *body,
          const struct proto_fds *fds)
{
	ssize_t size = proto_body_size(type);
	struct srv_out *o;
	unsigned i;

	if (size < 0 || c->out_count >= SRV_QUEUE_MAX)
		return -1;
	o = malloc(sizeof(*o) + (size_t)size);
	if (o == NULL)
		return -1;
	o->next = NULL;
	o->version = version;
	o->type = type;
	o->id = id;
	proto_fds_init(&o->fds);
	for (i = 0; fds != NULL && i < fds->n; i++) {
		o->fds.fd[i] = fcntl(fds->fd[i], F_DUPFD_CLOEXEC, 0);
		o->fds.n++;
		if (o->fds.fd[i] < 0) {
			proto_fds_close(&o->fds);
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
 * Send a datagram to @c, queueing it if the socket is full.  @fds (may be
 * NULL) pass with it and stay the caller's.  A broken peer is closed by
 * the caller.
 */
static void
srv_send(struct eshmd *d, struct srv_conn *c, uint16_t version, uint16_t type, uint32_t id,
         const void *body, const struct proto_fds *fds)
{
	bool was_empty = c->out_head == NULL;
	int rc;

	if (c->closed || c->broken)
		return;
	if (was_empty) {
		rc = proto_send(c->fd, version, type, id, body, fds);
		if (rc == 0)
			return;
		if (rc != -EAGAIN && rc != -ENOBUFS) {
			log_msg(LOG_DEBUG, "pid %d: cannot reply: %s", (int)c->pid, strerror(-rc));
			c->broken = true;
			return;
		}
	}
	if (srv_queue(c, version, type, id, body, fds) < 0) {
		log_msg(LOG_WARNING, "pid %d does not read its replies; dropping it", (int)c->pid);
		c->broken = true;
		return;
	}
	if (was_empty)
		srv_set_events(d, c);
}

/*
 * Move @c's stream on while its socket takes items; once the last went,
 * send the final reply.  registry.lock held.
 */
static void
srv_pump(struct eshmd *d, struct srv_conn *c)
{
	struct srv_stream *s = c->stream;

	while (s != NULL && !c->broken && c->out_head == NULL) {
		int rc;

		if (!s->have_item) {
			if (!s->how.next(d, c, &s->how, &s->cursor, &s->item)) {
				if (s->how.follow)
					return;
				srv_send(d, c, PROTO_VERSION, s->final_type, s->id, &s->final, NULL);
				srv_end_stream(d, c);
				srv_set_events(d, c);
				return;
			}
			s->have_item = true;
		}
		rc = proto_send(c->fd, PROTO_VERSION, s->how.type, s->id, &s->item, NULL);
		if (rc == -EAGAIN || rc == -ENOBUFS) {
			srv_set_events(d, c);
			return;
		}
		if (rc < 0) {
			c->broken = true;
			return;
		}
		s->have_item = false;
	}
}

/*
 * Answer @c with @r, the one place replies leave: a stream starts and its
 * items go as the socket takes them, then the final reply; the descriptors
 * @r passes are closed once sent.  registry.lock held.
 */
static void
srv_answer(struct eshmd *d, struct srv_conn *c, struct reply *r)
{
	struct srv_stream *s;

	if (r->stream.next != NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			reply_status(r, ESHM_ERROR_NO_MEMORY, "out of memory");
		} else {
			s->how = r->stream;
			s->id = r->id;
			s->final_type = r->type;
			s->final = r->body.status;
			reg_cursor_open(&d->reg, &s->cursor.seg);
			if (s->how.follow)
				d->hist.followers++;
			c->stream = s;
			srv_pump(d, c);
			reply_done(r);
			return;
		}
	}
	srv_send(d, c, r->version, r->type, r->id, &r->body, &r->fds);
	reply_done(r);
}

static void
srv_flush(struct eshmd *d, struct srv_conn *c)
{
	struct srv_out *o;
	int rc;

	while ((o = c->out_head) != NULL) {
		rc = proto_send(c->fd, o->version, o->type, o->id, o->body, &o->fds);
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
		proto_fds_close(&o->fds);
		free(o);
	}
	pthread_mutex_lock(&d->reg.lock);
	srv_pump(d, c);
	pthread_mutex_unlock(&d->reg.lock);
	srv_set_events(d, c);
}

/*
 * Tell @c (holding a role, or observing one's channel) that the role it
 * reads has a new block: the block read-only and a pidfd of its holder.
 * registry.lock held.
 */
static void
srv_notify_peer(struct eshmd *d, struct srv_conn *c)
{
	struct proto_peer p;
	struct proto_fds fds;
	const struct reg_segment *seg = c->seg;
	const struct reg_endpoint *peer;
	int index;

	c->peer_pending = false;
	if (seg != NULL) {
		index = !c->role_index;
	} else if (c->obs_seg != NULL) {
		seg = c->obs_seg;
		index = seg->observers[c->obs_slot].observed;
	} else {
		return;
	}
	peer = &seg->ep[index];
	if (peer->block.fd < 0)
		return;
	memset(&p, 0, sizeof(p));
	proto_fds_init(&fds);
	p.role = seg_role(index);
	p.generation = seg->generation;
	p.incarnation = peer->incarnation;
	fds.fd[0] = memfd_reopen(peer->block.fd, 0);
	if (fds.fd[0] < 0)
		return;
	fds.n = 1;
	p.fds = PROTO_FD_PEER;
	if (peer->pidfd >= 0 && reg_ep_held(seg, index) &&
	    (!c->hello || (c->caps & PROTO_CAP_PEER_PIDFD))) {
		fds.fd[1] = fcntl(peer->pidfd, F_DUPFD_CLOEXEC, 0);
		if (fds.fd[1] >= 0) {
			fds.n = 2;
			p.fds |= PROTO_FD_PIDFD;
			p.pid = (int32_t)peer->pid;
		}
	}
	srv_send(d, c, PROTO_VERSION, PROTO_NTF_PEER, 0, &p, &fds);
	proto_fds_close(&fds);
}

/*
 * Tell @c (holding a role) which observers its channel has: for each slot
 * eshmd offers, the observer's block read-only, or that the slot is empty.
 * registry.lock held.
 */
static void
srv_notify_observers(struct eshmd *d, struct srv_conn *c)
{
	const struct reg_segment *seg = c->seg;
	struct proto_observer o;
	struct proto_fds fds;
	uint32_t i;

	c->observers_pending = false;
	if (seg == NULL || seg->observers == NULL)
		return;
	for (i = 0; i < d->set.max_observers && i < SEG_OBSERVERS_MAX; i++) {
		const struct reg_observer *ob = &seg->observers[i];

		memset(&o, 0, sizeof(o));
		proto_fds_init(&fds);
		o.slot = i;
		o.generation = seg->generation;
		if (ob->conn != NULL && ob->observed == c->role_index) {
			fds.fd[0] = memfd_reopen(ob->block.fd, 0);
			if (fds.fd[0] >= 0) {
				fds.n = 1;
				o.fds = PROTO_FD_PEER;
				o.incarnation = ob->incarnation;
			}
		}
		srv_send(d, c, PROTO_VERSION, PROTO_NTF_OBSERVER, 0, &o, &fds);
		proto_fds_close(&fds);
	}
}

static void
srv_notify_pending(struct eshmd *d)
{
	struct srv_conn *c;

	d->peer_pending = false;
	pthread_mutex_lock(&d->reg.lock);
	for (c = d->conns; c != NULL; c = c->next) {
		if (c->peer_pending && !c->closed)
			srv_notify_peer(d, c);
		if (c->observers_pending && !c->closed)
			srv_notify_observers(d, c);
	}
	pthread_mutex_unlock(&d->reg.lock);
}

/* Refuse the connection @fd of @pid, @uid at once: a status with id 0 naming the
 * limit, and an event. */
static void
srv_refuse(struct eshmd *d, int fd, pid_t pid, uid_t uid, const char *why)
{
	struct hist_subject subject;
	struct proto_status st;

	memset(&st, 0, sizeof(st));
	st.status = ESHM_ERROR_LIMIT;
	snprintf(st.message, sizeof(st.message), "%s", why);
	/* A fresh socket has room for one datagram: this never blocks. */
	proto_send(fd, PROTO_VERSION, PROTO_REP_STATUS, 0, &st, NULL);
	close(fd);
	subject = (struct hist_subject){.role = -1, .pid = pid, .uid = uid, .owner = uid,
	                                .status = ESHM_ERROR_LIMIT};
	pthread_mutex_lock(&d->reg.lock);
	hist_refusal(d, HIST_LIMIT, &subject, "refused a connection from pid %d uid %u: %s",
	             (int)pid, (unsigned)uid, why);
	pthread_mutex_unlock(&d->reg.lock);
}

/*
 * Out of descriptors, a connection would stay in the backlog and its
 * client hang: take it with the spare descriptor, refuse it, keep going.
 */
static void
srv_accept_emfile(struct eshmd *d)
{
	int fd;

	if (d->spare_fd < 0)
		return;
	close(d->spare_fd);
	fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		srv_refuse(d, fd, 0, 0, "eshmd is out of descriptors (raise LimitNOFILE)");
	d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void
srv_accept(struct eshmd *d)
{
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct srv_conn *c;
		char why[PROTO_TEXT_SIZE];
		bool privileged;
		int fd, rc;

		fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_msg(LOG_WARNING, "out of descriptors: raise LimitNOFILE");
				srv_accept_emfile(d);
				continue;
			}
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_msg(LOG_WARNING, "accept: %s", strerror(errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd);
			continue;
		}
		privileged = acc_privileged(d, fd, cred.uid, cred.gid);
		pthread_mutex_lock(&d->reg.lock);
		rc = bud_connection_allowed(d, cred.uid, privileged, why, sizeof(why));
		if (rc == ESHM_SUCCESS)
			bud_connection(d, cred.uid, +1);
		pthread_mutex_unlock(&d->reg.lock);
		if (rc != ESHM_SUCCESS) {
			srv_refuse(d, fd, cred.pid, cred.uid, why);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL || ev_watch(d->epfd, fd, EPOLLIN | EPOLLRDHUP, &c->tag) < 0) {
			pthread_mutex_lock(&d->reg.lock);
			bud_connection(d, cred.uid, -1);
			pthread_mutex_unlock(&d->reg.lock);
			close(fd);
			free(c);
			continue;
		}
		c->tag.kind = EV_CONN;
		c->fd = fd;
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->gid = cred.gid;
		c->accept_boot_ns = proc_boot_ns();
		c->last_active_ns = clock_mono_ns();
		c->next = d->conns;
		if (d->conns != NULL)
			d->conns->prev = c;
		d->conns = c;
		d->nconns++;
		log_msg(LOG_DEBUG, "connection from pid %d uid %u", (int)c->pid, (unsigned)c->uid);
	}
}

/*
 * Serve the datagram of @n bytes at @buf from @c with the descriptors @in
 * (-EMSGSIZE: it was too large): parse, validate, act in req_handle(),
 * then reply here.  Returns false when @c must be hung up.
 */
static bool
srv_serve(struct eshmd *d, struct srv_conn *c, const void *buf, ssize_t n,
          struct proto_fds *in)
{
	struct reply r;
	bool keep;

	pthread_mutex_lock(&d->reg.lock);
	if (n < 0) {
		reply_init(&r, 0);
		reply_status(&r, ESHM_ERROR_PROTOCOL, "datagram too large");
		r.close = true;
	} else {
		req_handle(d, c, buf, (size_t)n, in, &r);
	}
	proto_fds_close(in);
	keep = !r.close;
	srv_answer(d, c, &r);
	pthread_mutex_unlock(&d->reg.lock);
	if (!keep)
		log_msg(LOG_NOTICE, "pid %d sent a malformed request or spoke another protocol "
		                    "version; closing its connection",
		        (int)c->pid);
	return keep && !c->broken;
}

static void
srv_read(struct eshmd *d, struct srv_conn *c)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	int i;

	for (i = 0; i < SRV_READS_PER_EVENT && !c->closed && c->out_head == NULL &&
	            c->stream == NULL;
	     i++) {
		struct proto_fds in;
		ssize_t n = proto_recv(c->fd, buf, &in, 0);

		if (n == -ETIMEDOUT)
			return;
		if (n == 0 || (n < 0 && n != -EMSGSIZE)) {
			srv_hangup(d, c);
			return;
		}
		c->last_active_ns = clock_mono_ns();
		if (!srv_serve(d, c, buf, n, &in)) {
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

/* Events were recorded: move every stream that follows them on. */
static void
srv_follow(struct eshmd *d)
{
	uint64_t count;
	struct srv_conn *c;

	while (read(d->hist.wake_fd, &count, sizeof(count)) > 0)
		;
	pthread_mutex_lock(&d->reg.lock);
	for (c = d->conns; c != NULL; c = c->next)
		if (!c->closed && c->stream != NULL && c->stream->how.follow)
			srv_pump(d, c);
	pthread_mutex_unlock(&d->reg.lock);
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

/* Once a second: drop silent connections, check the holders watched
 * without a pidfd, drop restored segments nobody came back for, apply the
 * idle cleanup. */
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
		/* A follower of events is silent by design: it reads. */
		if (c->seg == NULL && (c->stream == NULL || !c->stream->how.follow) &&
		    now - c->last_active_ns >= (uint64_t)SRV_IDLE_TIMEOUT_S * 1000000000u) {
			log_msg(LOG_DEBUG, "pid %d silent for %d s: closing its connection",
			        (int)c->pid, SRV_IDLE_TIMEOUT_S);
			srv_close(d, c);
		}
	}
	ep_poll(d);
	rst_sweep(d);
	cln_idle_sweep(d);
	pthread_mutex_unlock(&d->reg.lock);
}

static void
srv_pidfd_event(struct eshmd *d, struct reg_endpoint *ep)
{
	pthread_mutex_lock(&d->reg.lock);
	/* -1: the role was released earlier in this round; and only a pidfd
	 * that really is readable now proves the death of the holder now. */
	if (ep->pidfd >= 0 && reg_ep_held(ep->seg, ep->index) && proc_pidfd_exited(ep->pidfd)) {
		ep_dead(d, ep->seg, ep->index);
		cln_after_leave(d, ep->seg);
	}
	pthread_mutex_unlock(&d->reg.lock);
}

/* Close the connections whose role a removal or takeover took away. */
static void
srv_close_pending(struct eshmd *d)
{
	struct srv_conn *c, *next;

	d->close_pending = false;
	pthread_mutex_lock(&d->reg.lock);
	for (c = d->conns; c != NULL; c = next) {
		next = c->next;
		if (c->close_pending)
			srv_close(d, c);
	}
	pthread_mutex_unlock(&d->reg.lock);
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
			case EV_HISTORY:
				srv_follow(d);
				break;
			}
			if (d->peer_pending)
				srv_notify_pending(d);
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
	if (d->spare_fd >= 0)
		close(d->spare_fd);
}
