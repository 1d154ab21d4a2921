/*
 * endpoint.c - the transitions of a role (see endpoint.h).
 *
 * A new holder always gets a block of its own: a former holder keeps
 * write access to its old block for as long as it maps it, so handing that
 * block to anyone else would let it forge or tear their messages.  The old
 * block's descriptor is closed once replaced; the peer and eshmctl keep
 * reading it until they switch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "channel.h"
#include "cleanup.h"
#include "clock.h"
#include "endpoint.h"
#include "eshm.h"
#include "fdstore.h"
#include "history.h"
#include "log.h"
#include "memfd.h"
#include "notify.h"
#include "observer.h"
#include "procinfo.h"
#include "proxy.h"
#include "records.h"
#include "statusblock.h"

static const char *const ep_suffix[2] = {".master", ".slave"};

int
ep_prepare(struct eshmd *d, const struct reg_segment *seg, int index, const struct srv_conn *c,
           struct ep_new *n, char *why, size_t whylen)
{
	int fd, rc;

	memset(n, 0, sizeof(*n));
	n->block_fd = -1;
	n->pidfd = -1;
	rc = proc_pidfd(c->pid, c->accept_boot_ns, &n->start_time);
	if (rc == -ESRCH) {
		snprintf(why, whylen, "process %d is gone or is not the one that connected",
		         (int)c->pid);
		return ESHM_ERROR_PERMISSION;
	}
	if (rc < 0 && rc != -ENOSYS) {
		snprintf(why, whylen, "cannot watch process %d: %s", (int)c->pid, strerror(-rc));
		return rc == -EMFILE || rc == -ENFILE ? ESHM_ERROR_LIMIT : ESHM_ERROR_SYSTEM;
	}
	n->pidfd = rc;
	fd = memfd_new(d->set.shm_prefix, seg->name, ep_suffix[index], seg->g.block_size,
	               &n->block_id);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create the %s's block: %s", seg_role_name(index),
		         eshm_error_string(fd));
		ep_prepare_undo(n);
		return fd;
	}
	n->block_fd = fd;
	rc = seg_map_block(fd, &seg->g, false, true, &n->map);
	if (rc != ESHM_SUCCESS) {
		snprintf(why, whylen, "cannot map the %s's block: %s", seg_role_name(index),
		         eshm_error_string(rc));
		ep_prepare_undo(n);
		return rc;
	}
	return ESHM_SUCCESS;
}

void
ep_prepare_undo(struct ep_new *n)
{
	seg_unmap(&n->map);
	if (n->block_fd >= 0)
		close(n->block_fd);
	if (n->pidfd >= 0)
		close(n->pidfd);
	n->block_fd = n->pidfd = -1;
}

/* Forget what ties role @ep to a process: its connection and its pidfd. */
static void
ep_unwatch(struct eshmd *d, struct reg_endpoint *ep)
{
	if (ep->conn != NULL) {
		ep->conn->seg = NULL;
		ep->conn = NULL;
	}
	if (ep->pidfd >= 0) {
		/* A stale event would declare the role's next holder dead. */
		ev_close(d->epfd, ep->pidfd);
		ep->pidfd = -1;
	}
	ep->polled = false;
}

int
ep_watch(struct eshmd *d, struct reg_segment *seg, int index, int pidfd)
{
	struct reg_endpoint *ep = &seg->ep[index];
	int rc;

	ep->pidfd = -1;
	ep->polled = false;
	if (pidfd >= 0) {
		rc = ev_watch(d->epfd, pidfd, EPOLLIN, &ep->tag);
		if (rc == 0) {
			ep->pidfd = pidfd;
			return 0;
		}
		close(pidfd);
		log_msg(LOG_WARNING, "segment %s: cannot watch the %s's pidfd (%s): polling /proc",
		        seg->name, seg_role_name(index), strerror(-rc));
	}
	/* No pidfd: /proc is checked once a second (ep_poll). */
	ep->polled = true;
	return 0;
}

void
ep_announce(struct eshmd *d, struct reg_segment *seg, int index)
{
	struct srv_conn *peer = seg->ep[!index].conn;

	if (peer != NULL && reg_ep_held(seg, !index)) {
		peer->peer_pending = true;
		d->peer_pending = true;
	}
}

/* Connect @c to role @index of @seg. */
static void
ep_link(struct reg_endpoint *ep, struct reg_segment *seg, int index, struct srv_conn *c)
{
	ep->conn = c;
	ep->unlinked_since_ns = 0;
	c->seg = seg;
	c->role_index = index;
}

/* The state changed: copy it out, record it, tell systemd. */
static void
ep_publish(struct eshmd *d, struct reg_segment *seg, int index)
{
	stb_endpoint(seg, index);
	stb_verdict(seg);
	rec_save(d, seg);
	ntf_status(d);
}

void
ep_attach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c,
          struct ep_new *n)
{
	struct reg_endpoint *ep = &seg->ep[index];
	struct hist_subject subject;
	uint64_t now = clock_mono_ns();

	ep_unwatch(d, ep);
	/* A queue's new consumer goes on where the last one stopped. */
	if (seg->g.mode == SEG_MODE_QUEUE && ep->block.map.base != NULL)
		chan_position_inherit(&seg_block_of(&n->map)->reader,
		                      &seg_block_of(&ep->block.map)->reader);
	fds_drop_block(seg->generation, index, ep->incarnation);
	reg_memfd_clear(&ep->block);
	ep->block.fd = n->block_fd;
	ep->block.id = n->block_id;
	ep->block.map = n->map;
	ep->incarnation++;
	ep->pid = c->pid;
	ep->uid = c->uid;
	ep->start_time = n->start_time;
	ep->threshold_ms = n->threshold_ms;
	ep->judged_ms = n->threshold_ms;
	ep->period_us = n->period_us;
	ep->attach_realtime_ns = clock_real_ns();
	ep->stale_since_ns = 0;
	rate_reset(&ep->rate);
	prx_clear(ep);
	/* before the first verdict is published: a stand-in is never shown
	 * alive on its own account */
	if (n->stand_in)
		prx_stand_in(ep);
	live_start(&ep->live, 0, now);
	if (proc_comm(c->pid, ep->comm, sizeof(ep->comm)) < 0)
		ep->comm[0] = '\0';
	ep_watch(d, seg, index, n->pidfd);
	ep_link(ep, seg, index, c);
	ep->state = SEG_EP_ALIVE;
	seg->empty_since_ns = 0;
	memset(n, 0, sizeof(*n));
	n->block_fd = n->pidfd = -1;
	fds_put_block(seg, index);
	ep_publish(d, seg, index);
	ep_announce(d, seg, index);
	obs_announce(d, seg, index);
	subject = hist_endpoint(seg, index);
	hist_record(d, HIST_ATTACHED, &subject,
	            "segment %s: %s attached (pid %d, uid %u, threshold %u ms, block %llu)",
	            seg->name, seg_role_name(index), (int)ep->pid, (unsigned)ep->uid,
	            ep->threshold_ms, (unsigned long long)ep->incarnation);
}

void
ep_takeover(struct eshmd *d, struct reg_segment *seg, int index)
{
	struct reg_endpoint *ep = &seg->ep[index];
	struct hist_subject subject = hist_endpoint(seg, index);

	hist_record(d, HIST_TAKEN_OVER, &subject,
	            "segment %s: the %s (pid %d, %s for %llu ms) loses its role to a takeover",
	            seg->name, seg_role_name(index), (int)ep->pid, seg_state_name(ep->state),
	            ep->stale_since_ns
	                    ? (unsigned long long)((clock_mono_ns() - ep->stale_since_ns) / 1000000u)
	                    : 0ull);
	if (ep->conn != NULL) {
		ep->conn->close_pending = true;
		d->close_pending = true;
	}
	ep_unwatch(d, ep);
	ep->state = SEG_EP_DETACHED;
	ep->stale_since_ns = 0;
	ep_publish(d, seg, index);
}

void
ep_reattach(struct eshmd *d, struct reg_segment *seg, int index, struct srv_conn *c, int pidfd)
{
	struct reg_endpoint *ep = &seg->ep[index];
	struct hist_subject subject;

	if (ep->conn != NULL && ep->conn != c) {
		/* A forked child may still hold the old connection: the
		 * process itself, proven by pid and start time, wins. */
		ep->conn->seg = NULL;
		ep->conn = NULL;
	}
	if (ep->pidfd < 0 && pidfd >= 0)
		ep_watch(d, seg, index, pidfd);
	else if (pidfd >= 0)
		close(pidfd);
	ep_link(ep, seg, index, c);
	if (ep->comm[0] == '\0')
		proc_comm(c->pid, ep->comm, sizeof(ep->comm));
	/* The peer may have changed while it was away: tell it again. */
	c->peer_pending = seg->ep[!index].incarnation != 0;
	d->peer_pending |= c->peer_pending;
	ep_publish(d, seg, index);
	subject = hist_endpoint(seg, index);
	hist_record(d, HIST_REATTACHED, &subject, "segment %s: %s (pid %d) reattached", seg->name,
	            seg_role_name(index), (int)c->pid);
}

/* Role @index of @seg is left in @state. */
static void
ep_leave(struct eshmd *d, struct reg_segment *seg, int index, uint32_t state)
{
	struct reg_endpoint *ep = &seg->ep[index];

	ep_unwatch(d, ep);
	ep->state = state;
	ep->stale_since_ns = 0;
	ep->live.silent_ns = 0;
	rate_reset(&ep->rate);
	prx_clear(ep);
	ep_publish(d, seg, index);
}

void
ep_dead(struct eshmd *d, struct reg_segment *seg, int index)
{
	struct reg_endpoint *ep = &seg->ep[index];
	struct hist_subject subject = hist_endpoint(seg, index);
	unsigned repaired = 0;

	/* The kernel proved the writer gone: a slot it left odd never turns
	 * even, so it becomes void for its readers. */
	if (ep->block.map.base != NULL)
		repaired = chan_repair(seg_block_of(&ep->block.map), &seg->g);
	hist_record(d, HIST_DEAD, &subject, "segment %s: %s (pid %d) died", seg->name,
	            seg_role_name(index), (int)ep->pid);
	if (repaired)
		hist_record(d, HIST_REPAIRED, &subject,
		            "segment %s: voided the half-written message of the dead %s (pid %d)",
		            seg->name, seg_role_name(index), (int)ep->pid);
	ep_leave(d, seg, index, SEG_EP_DEAD);
}

void
ep_detach(struct eshmd *d, struct reg_segment *seg, int index)
{
	struct hist_subject subject = hist_endpoint(seg, index);

	hist_record(d, HIST_DETACHED, &subject, "segment %s: %s (pid %d) detached", seg->name,
	            seg_role_name(index), (int)seg->ep[index].pid);
	ep_leave(d, seg, index, SEG_EP_DETACHED);
}

bool
ep_hangup(struct eshmd *d, struct reg_segment *seg, int index)
{
	struct reg_endpoint *ep = &seg->ep[index];
	struct hist_subject subject;

	if (ep->conn != NULL) {
		ep->conn->seg = NULL;
		ep->conn = NULL;
	}
	/* Without a pidfd, the hang-up is the moment to look in /proc: a
	 * process that exited (even not yet reaped) is dead now, not at the
	 * next once-a-second poll. */
	if (ep->polled && proc_alive(ep->pid, ep->start_time) == 0) {
		ep_dead(d, seg, index);
		return true;
	}
	ep->unlinked_since_ns = clock_mono_ns();
	subject = hist_endpoint(seg, index);
	hist_record(d, HIST_HUNG_UP, &subject,
	            "segment %s: the %s's connection (pid %d) hung up; the role stays held until "
	            "its process exits, for %d s unless it reattaches",
	            seg->name, seg_role_name(index), (int)ep->pid, EP_UNLINKED_MAX_S);
	return false;
}

void
ep_poll(struct eshmd *d)
{
	uint64_t now = clock_mono_ns(), unlinked_max = (uint64_t)EP_UNLINKED_MAX_S * 1000000000u;
	struct reg_segment *seg, *next;
	int i;

	for (seg = d->reg.head; seg != NULL; seg = next) {
		next = seg->next; /* the cleanup may drop seg (freed only at reap) */
		for (i = 0; i < 2; i++) {
			struct reg_endpoint *ep = &seg->ep[i];

			if (!reg_ep_held(seg, i))
				continue;
			if (ep->polled && proc_alive(ep->pid, ep->start_time) == 0) {
				ep_dead(d, seg, i);
			} else if (ep->conn != NULL || ep->unlinked_since_ns == 0 ||
			           now - ep->unlinked_since_ns < unlinked_max) {
				continue;
			} else {
				struct hist_subject subject = hist_endpoint(seg, i);

				hist_record(d, HIST_RELEASED, &subject,
				            "segment %s: the %s (pid %d) has had no connection for "
				            "%d s; released",
				            seg->name, seg_role_name(i), (int)ep->pid,
				            EP_UNLINKED_MAX_S);
				ep_leave(d, seg, i, SEG_EP_DETACHED);
			}
			cln_after_leave(d, seg);
		}
	}
}
