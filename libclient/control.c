/*
 * control.c - the one control thread per process.
 *
 * After eshm_init() it owns every handle's control connection: it reads
 * eshmd's notifications (a new peer block to map), watches the peer's
 * pidfd, looks whether eshmd's monitor still runs and, while it does not,
 * judges each remote's heartbeat itself (liveness.c), and reconnects after
 * an eshmd restart with REATTACH.  All its I/O is non-blocking with
 * deadlines, and it holds its list lock only between polls, so neither a
 * hung eshmd nor a listener that never accepts can hold up another thread
 * of the process: not the heartbeat thread, not eshm_init() of another
 * handle, not fork().
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"

/* After eshmd went away: first attempt at once, then this often. */
#define CTL_RETRY_NS (100u * 1000000u)
/* How long a REATTACH may wait for its answer before it is tried again. */
#define CTL_REPLY_NS (2000u * 1000000u)
#define CTL_POLL_MAX 256

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ESHMHandle *ctl_list; /* under ctl_lock */
static bool ctl_running;            /* under ctl_lock */
static int ctl_wake_fd = -1;        /* eventfd: the list changed */
static pthread_once_t ctl_once = PTHREAD_ONCE_INIT;
static _Atomic uint32_t ctl_next_id = 1;

static void
ctl_fork_prepare(void)
{
	pthread_mutex_lock(&ctl_lock);
}

static void
ctl_fork_parent(void)
{
	pthread_mutex_unlock(&ctl_lock);
}

/*
 * In the child the thread is gone and every handle belongs to the parent:
 * its memory was not inherited (MADV_DONTFORK), so mark it unusable and let
 * go of the descriptors that would let the child act as the parent's
 * endpoint.  Only async-signal-safe calls here.
 */
static void
ctl_fork_child(void)
{
	struct ESHMHandle *h;

	for (h = ctl_list; h != NULL; h = h->ctl_next) {
		h->forked = true;
		if (h->sock >= 0)
			close(h->sock);
		h->sock = -1;
		if (h->own_fd >= 0)
			close(h->own_fd);
		h->own_fd = -1;
	}
	ctl_list = NULL;
	ctl_running = false;
	if (ctl_wake_fd >= 0)
		close(ctl_wake_fd);
	ctl_wake_fd = -1;
	pthread_mutex_unlock(&ctl_lock);
}

static void
ctl_install_atfork(void)
{
	pthread_atfork(ctl_fork_prepare, ctl_fork_parent, ctl_fork_child);
}

static void
ctl_kick(void)
{
	uint64_t one = 1;

	if (ctl_wake_fd >= 0 && write(ctl_wake_fd, &one, sizeof(one)) < 0) {
		/* full counter: a wake-up is pending anyway */
	}
}

static bool
ctl_listed(const struct ESHMHandle *h)
{
	const struct ESHMHandle *p;

	for (p = ctl_list; p != NULL; p = p->ctl_next)
		if (p == h)
			return true;
	return false;
}

static void
ctl_link_down(struct ESHMHandle *h, uint64_t now, uint64_t retry_after)
{
	if (h->sock >= 0)
		close(h->sock);
	h->sock = -1;
	h->link = LIB_LINK_DOWN;
	h->link_retry_ns = now + retry_after;
}

/* eshmd no longer knows this endpoint: nobody supervises its segment, so
 * the handle is detached for good. */
static void
ctl_link_gone(struct ESHMHandle *h)
{
	if (h->sock >= 0)
		close(h->sock);
	h->sock = -1;
	h->link = LIB_LINK_GONE;
	atomic_store_explicit(&h->detached, true, memory_order_relaxed);
}

/* Connect and send REATTACH without waiting; the answer comes to ctl_read. */
static void
ctl_reattach(struct ESHMHandle *h, uint64_t now)
{
	struct proto_attach req;
	struct proto_fds fds;
	int sock;

	/* An observer is not recorded by eshmd: it attaches anew. */
	if (h->observer ||
	    (atomic_load_explicit(&h->st->verdict.flags, memory_order_relaxed) &
	     SEG_VERDICT_REVOKED)) {
		ctl_link_gone(h);
		return;
	}
	sock = proto_connect_timeout(h->options.socket_path, 0);
	if (sock < 0) {
		ctl_link_down(h, now, CTL_RETRY_NS);
		return;
	}
	h->sock = sock;
	h->link_id = atomic_fetch_add_explicit(&ctl_next_id, 1, memory_order_relaxed) | 0x80000000u;
	att_reattach_request(h, &req, &fds);
	if (proto_send(sock, PROTO_VERSION, PROTO_REQ_REATTACH, h->link_id, &req, &fds) < 0) {
		ctl_link_down(h, now, CTL_RETRY_NS);
		return;
	}
	h->link = LIB_LINK_REATTACHING;
	h->link_deadline_ns = now + CTL_REPLY_NS;
}

/* A notification: the peer's role has a new block. */
static void
ctl_peer_changed(struct ESHMHandle *h, const struct proto_peer *n, struct proto_fds *fds)
{
	struct proto_attach_reply as_reply;

	if (n->generation != h->generation || seg_role_index(n->role) != 1 - h->role) {
		proto_fds_close(fds);
		return;
	}
	/* The same descriptors as an attach reply would bring. */
	memset(&as_reply, 0, sizeof(as_reply));
	as_reply.generation = h->generation;
	as_reply.incarnation = h->incarnation;
	as_reply.peer_incarnation = n->incarnation;
	as_reply.fds = n->fds & (PROTO_FD_PEER | PROTO_FD_PIDFD);
	as_reply.peer_pid = n->pid;
	if (as_reply.fds != n->fds) {
		proto_fds_close(fds);
		return;
	}
	att_reattached(h, &as_reply, fds);
}

/* The answer to our REATTACH (or eshmd's refusal). */
static void
ctl_reattach_answer(struct ESHMHandle *h, const struct proto_hdr *hdr, const void *body,
                    struct proto_fds *fds, uint64_t now)
{
	int rc;

	if (hdr->type == PROTO_REP_ATTACH)
		rc = att_reattached(h, body, fds);
	else {
		memcpy(&rc, body, sizeof(rc));
		proto_fds_close(fds);
	}
	switch (rc) {
	case ESHM_SUCCESS:
		h->link = LIB_LINK_UP;
		/* The new eshmd knows no observer: an old one's page could
		 * hold a wait word set for ever. */
		obs_forget_all(h);
		break;
	case ESHM_ERROR_NOT_FOUND:
	case ESHM_ERROR_PERMISSION:
	case ESHM_ERROR_DETACHED:
	case ESHM_ERROR_ROLE_TAKEN:
	case ESHM_ERROR_VERSION_MISMATCH:
		ctl_link_gone(h);
		break;
	default:
		/* busy restoring, a limit, a broken reply: try again */
		ctl_link_down(h, now, CTL_RETRY_NS);
		break;
	}
}

/* Everything readable on @h's control socket. */
static void
ctl_read(struct ESHMHandle *h, uint64_t now)
{
	alignas(8) unsigned char buf[PROTO_MSG_MAX];

	while (h->sock >= 0) {
		const struct proto_hdr *hdr = NULL;
		struct proto_fds fds;
		const void *body;
		ssize_t n = proto_recv(h->sock, buf, &fds, 0);

		if (n == -ETIMEDOUT)
			return;
		if (n <= 0) {
			/* eshmd went away: reconnect at once, it may be back. */
			ctl_link_down(h, now, 0);
			return;
		}
		if (proto_parse(buf, (size_t)n, &hdr, &body) != ESHM_SUCCESS) {
			proto_fds_close(&fds);
			if (hdr != NULL && hdr->version != PROTO_VERSION)
				ctl_link_gone(h);
			continue;
		}
		if (hdr->type == PROTO_NTF_PEER)
			ctl_peer_changed(h, body, &fds);
		else if (hdr->type == PROTO_NTF_OBSERVER && !h->observer &&
		         ((const struct proto_observer *)body)->generation == h->generation)
			obs_changed(h, body, &fds);
		else if (h->link == LIB_LINK_REATTACHING &&
		         (hdr->id == h->link_id || (hdr->id == 0 && hdr->type == PROTO_REP_STATUS)))
			ctl_reattach_answer(h, hdr, body, &fds, now);
		else
			proto_fds_close(&fds);
	}
}

/* Timers of every handle; returns the poll timeout in ms.  ctl_lock held. */
static int
ctl_timers(uint64_t now, uint64_t *last_watch)
{
	uint64_t next = now + (uint64_t)ESHM_DAEMON_CHECK_MS * 1000000u;
	bool watch = now - *last_watch >= (uint64_t)ESHM_LOCAL_CHECK_MS * 1000000u;
	bool any_away = false;
	struct ESHMHandle *h;

	for (h = ctl_list; h != NULL; h = h->ctl_next) {
		if (h->link == LIB_LINK_DOWN && now >= h->link_retry_ns)
			ctl_reattach(h, now);
		if (h->link == LIB_LINK_REATTACHING && now >= h->link_deadline_ns)
			ctl_link_down(h, now, CTL_RETRY_NS);
		if (h->link == LIB_LINK_DOWN && h->link_retry_ns < next)
			next = h->link_retry_ns;
		if (h->link == LIB_LINK_REATTACHING && h->link_deadline_ns < next)
			next = h->link_deadline_ns;
		/* A check counts at most one tick of silence, so a stall
		 * of this thread never becomes the remote's. */
		if (watch)
			any_away |= live_watch(h, now, ESHM_LOCAL_CHECK_MS);
		else
			any_away |= atomic_load_explicit(&h->daemon_away, memory_order_relaxed);
	}
	if (watch)
		*last_watch = now;
	/* While some eshmd is away, judge every tick; else look now and then. */
	if (any_away && *last_watch + (uint64_t)ESHM_LOCAL_CHECK_MS * 1000000u < next)
		next = *last_watch + (uint64_t)ESHM_LOCAL_CHECK_MS * 1000000u;
	if (!any_away && *last_watch + (uint64_t)ESHM_DAEMON_CHECK_MS * 1000000u < next)
		next = *last_watch + (uint64_t)ESHM_DAEMON_CHECK_MS * 1000000u;
	return next <= now ? 0 : (int)((next - now + 999999u) / 1000000u);
}

static void *
ctl_main(void *arg)
{
	struct pollfd pfd[CTL_POLL_MAX];
	struct ESHMHandle *who[CTL_POLL_MAX];
	uint64_t last_watch = clock_mono_ns();

	for (;;) {
		struct ESHMHandle *h;
		int n = 0, timeout, i, rc;
		uint64_t now = clock_mono_ns();

		pthread_mutex_lock(&ctl_lock);
		if (ctl_list == NULL) {
			ctl_running = false;
			pthread_mutex_unlock(&ctl_lock);
			return arg;
		}
		timeout = ctl_timers(now, &last_watch);
		pfd[n].fd = ctl_wake_fd;
		pfd[n].events = POLLIN;
		who[n++] = NULL;
		for (h = ctl_list; h != NULL && n + 2 <= CTL_POLL_MAX; h = h->ctl_next) {
			if (h->sock >= 0) {
				pfd[n].fd = h->sock;
				pfd[n].events = POLLIN;
				who[n++] = h;
			}
			if (h->peer_pidfd >= 0 && !h->peer_exited) {
				pfd[n].fd = h->peer_pidfd;
				pfd[n].events = POLLIN;
				who[n++] = h;
			}
		}
		pthread_mutex_unlock(&ctl_lock);

		rc = poll(pfd, (nfds_t)n, timeout);
		if (rc < 0 && errno != EINTR)
			poll(NULL, 0, 10);
		if (rc <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			uint64_t drained;

			if (read(ctl_wake_fd, &drained, sizeof(drained)) < 0) {
				/* nothing to drain */
			}
		}
		now = clock_mono_ns();
		pthread_mutex_lock(&ctl_lock);
		for (i = 1; i < n; i++) {
			h = who[i];
			if (pfd[i].revents == 0 || !ctl_listed(h))
				continue;
			if (pfd[i].fd == h->sock)
				ctl_read(h, now);
			else if (pfd[i].fd == h->peer_pidfd) {
				pthread_mutex_lock(&h->lock);
				h->peer_exited = true;
				pthread_mutex_unlock(&h->lock);
				/* The kernel's word needs no tick: with eshmd
				 * away, the death is the verdict now. */
				live_watch(h, now, 0);
			}
		}
		pthread_mutex_unlock(&ctl_lock);
	}
}

int
ctl_register(struct ESHMHandle *h)
{
	int rc = ESHM_SUCCESS;

	pthread_once(&ctl_once, ctl_install_atfork);
	pthread_mutex_lock(&ctl_lock);
	if (ctl_wake_fd < 0)
		ctl_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctl_wake_fd < 0)
		rc = ESHM_ERROR_SYSTEM;
	if (rc == ESHM_SUCCESS) {
		h->link = LIB_LINK_UP;
		h->ctl_next = ctl_list;
		ctl_list = h;
		if (!ctl_running) {
			rc = lib_thread_start(ctl_main);
			if (rc == ESHM_SUCCESS)
				ctl_running = true;
			else
				ctl_list = h->ctl_next;
		}
	}
	pthread_mutex_unlock(&ctl_lock);
	ctl_kick();
	return rc;
}

void
ctl_unregister(struct ESHMHandle *h)
{
	struct ESHMHandle **p;

	pthread_mutex_lock(&ctl_lock);
	for (p = &ctl_list; *p != NULL; p = &(*p)->ctl_next) {
		if (*p == h) {
			*p = h->ctl_next;
			break;
		}
	}
	pthread_mutex_unlock(&ctl_lock);
	ctl_kick();
}
