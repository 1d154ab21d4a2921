/*
 * restore.c - rebuilding the registry after a restart (see restore.h).
 *
 * A record says what eshmd knew; a stored memfd is taken only when it is
 * the very memfd the record names (device, inode, owner, size, seals).
 * Nothing a client wrote decides anything: a holder is alive when /proc
 * says its pid still runs with the recorded start time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "channel.h"
#include "cleanup.h"
#include "clock.h"
#include "endpoint.h"
#include "eshm.h"
#include "history.h"
#include "log.h"
#include "memfd.h"
#include "notify.h"
#include "procinfo.h"
#include "records.h"
#include "restore.h"
#include "statusblock.h"

struct rst_ctx {
	struct eshmd *d;
	struct fds_entry *stored;
	size_t n;
	int restored;
};

/*
 * Take the stored memfd @name into @m if it is the memfd @id of @size
 * bytes; map it read-write.  Returns true if taken.
 */
static bool
rst_take(struct rst_ctx *x, const char *segname, const char *name, const struct memfd_id *id,
         uint64_t size, struct reg_memfd *m)
{
	struct fds_entry *e = fds_find(x->stored, x->n, name);
	const char *why = NULL;

	if (e == NULL)
		return false;
	if (memfd_verify(e->fd, id, size, &why) != ESHM_SUCCESS) {
		log_msg(LOG_WARNING, "segment %s: stored descriptor %s refused: %s", segname, name,
		        why);
		return false;
	}
	if (memfd_map(e->fd, size, &m->map) != ESHM_SUCCESS) {
		log_msg(LOG_WARNING, "segment %s: cannot map stored %s", segname, name);
		return false;
	}
	m->fd = e->fd;
	m->id = *id;
	e->fd = -1;
	return true;
}

/* Restore role @index of @seg from @e; true if it was held and its process is gone. */
static bool
rst_endpoint(struct rst_ctx *x, struct reg_segment *seg, int index, const struct rec_endpoint *e)
{
	struct reg_endpoint *ep = &seg->ep[index];
	uint64_t now = clock_mono_ns(), start = 0;
	struct hist_subject subject;
	char name[64];
	int alive, pidfd;

	ep->state = e->state;
	ep->incarnation = e->incarnation;
	ep->block.id = e->block;
	ep->pid = (pid_t)e->pid;
	ep->uid = (uid_t)e->uid;
	ep->start_time = e->start_time;
	ep->threshold_ms = e->threshold_ms;
	ep->judged_ms = e->threshold_ms;
	ep->period_us = e->period_us;
	ep->attach_realtime_ns = e->attach_realtime_ns;
	if (ep->incarnation != 0) {
		fds_name_block(name, sizeof(name), seg->generation, index, ep->incarnation);
		rst_take(x, seg->name, name, &e->block, seg->g.block_size, &ep->block);
	}
	if (!reg_ep_held(seg, index))
		return false;
	alive = proc_alive(ep->pid, ep->start_time);
	if (alive != 0) {
		/* Running (or /proc cannot say: never a death). */
		pidfd = alive > 0 ? proc_pidfd(ep->pid, proc_boot_ns(), &start) : -ENOSYS;
		if (pidfd >= 0 && start != ep->start_time) {
			close(pidfd);
			pidfd = -ESRCH;
		}
		if (pidfd != -ESRCH) {
			ep_watch(x->d, seg, index, pidfd >= 0 ? pidfd : -1);
			proc_comm(ep->pid, ep->comm, sizeof(ep->comm));
			live_start(&ep->live,
			           ep->block.map.base != NULL
			                   ? atomic_load_explicit(&seg_block_of(&ep->block.map)->heartbeat,
			                                          memory_order_relaxed)
			                   : 0,
			           now);
			ep->live.state = ep->state;
			if (ep->state == SEG_EP_STALE)
				ep->stale_since_ns = now;
			ep->unlinked_since_ns = now;
			log_msg(LOG_INFO, "segment %s: %s (pid %d) still runs; awaiting it", seg->name,
			        seg_role_name(index), (int)ep->pid);
			return false;
		}
	}
	if (ep->block.map.base != NULL)
		chan_repair(seg_block_of(&ep->block.map), &seg->g);
	ep->state = SEG_EP_DEAD;
	subject = hist_endpoint(seg, index);
	hist_record(x->d, HIST_DEAD, &subject, "segment %s: %s (pid %d) died while eshmd was away",
	            seg->name, seg_role_name(index), (int)ep->pid);
	return true;
}

static void
rst_one(void *arg, const struct rec_segment *r)
{
	struct rst_ctx *x = arg;
	struct eshmd *d = x->d;
	struct hist_subject subject;
	struct reg_segment *seg;
	struct seg_geometry g;
	char name[64];
	bool died = false;
	int i;

	if (reg_find(&d->reg, r->name) != NULL)
		return;
	seg = reg_segment_new(r->name);
	if (seg == NULL)
		return;
	seg_geometry(r->capacity, r->mode, r->queue_depth, r->seg_flags, &seg->g);
	seg->generation = r->generation;
	seg->owner_uid = (uid_t)r->owner_uid;
	seg->owner_gid = (gid_t)r->owner_gid;
	seg->default_threshold_ms = r->default_threshold_ms;
	seg->created_realtime_ns = r->created_realtime_ns;
	seg->bytes = seg_cost(&seg->g);
	seg->status.id = r->status;
	fds_name_status(name, sizeof(name), seg->generation);
	if (rst_take(x, seg->name, name, &r->status, SEG_STATUS_SIZE, &seg->status) &&
	    (seg_status_validate(seg_status_of(&seg->status.map), SEG_STATUS_SIZE, &g) !=
	             ESHM_SUCCESS ||
	     memcmp(&g, &seg->g, sizeof(g)) != 0)) {
		log_msg(LOG_WARNING, "segment %s: its stored status block does not match its record",
		        seg->name);
		reg_memfd_clear(&seg->status);
		seg->status.id = r->status;
	}
	for (i = 0; i < 2; i++)
		died |= rst_endpoint(x, seg, i, &r->ep[i]);
	subject = hist_segment(seg, 0, 0);
	reg_insert(&d->reg, seg);
	bud_segment(d, seg->owner_uid, seg->bytes, +1);
	x->restored++;
	if (!reg_ep_held(seg, SEG_MASTER) && !reg_ep_held(seg, SEG_SLAVE))
		seg->empty_since_ns = clock_mono_ns();
	if (seg->status.fd < 0) {
		if (!reg_ep_held(seg, SEG_MASTER) && !reg_ep_held(seg, SEG_SLAVE)) {
			hist_record(d, HIST_REMOVED, &subject,
			            "segment %s: no stored memfd and nobody to bring it back; dropped",
			            seg->name);
			cln_remove(d, seg, false);
			return;
		}
		seg->restore_deadline_ns = clock_mono_ns() + (uint64_t)RST_WAIT_S * 1000000000u;
		log_msg(LOG_INFO, "segment %s: awaiting its memfds from its endpoints for %d s",
		        seg->name, RST_WAIT_S);
	}
	stb_all(seg);
	rec_save(d, seg);
	hist_record(d, HIST_RESTORED, &subject, "segment %s restored (generation %llu)", seg->name,
	            (unsigned long long)seg->generation);
	if (died)
		cln_after_leave(d, seg);
}

int
rst_restore(struct eshmd *d, struct fds_entry *stored, size_t n)
{
	struct rst_ctx x = {d, stored, n, 0};
	size_t i;

	pthread_mutex_lock(&d->reg.lock);
	if (d->records_dir[0] != '\0')
		rec_load_all(d->records_dir, rst_one, &x);
	/* What the store kept but no record wants is dropped from it. */
	for (i = 0; i < n; i++) {
		if (stored[i].fd < 0)
			continue;
		log_msg(LOG_INFO, "stored descriptor %s belongs to no record; dropping it",
		        stored[i].name);
		fds_drop(stored[i].name);
		close(stored[i].fd);
		stored[i].fd = -1;
	}
	ntf_status(d);
	pthread_mutex_unlock(&d->reg.lock);
	return x.restored;
}

void
rst_sweep(struct eshmd *d)
{
	uint64_t now = clock_mono_ns();
	struct reg_segment *seg, *next;
	struct hist_subject subject;

	for (seg = d->reg.head; seg != NULL; seg = next) {
		next = seg->next;
		if (seg->restore_deadline_ns == 0 || now < seg->restore_deadline_ns)
			continue;
		subject = hist_segment(seg, 0, 0);
		hist_record(d, HIST_REMOVED, &subject,
		            "segment %s: no endpoint brought its memfds back within %d s; dropping "
		            "its record",
		            seg->name, RST_WAIT_S);
		cln_remove(d, seg, false);
	}
}
