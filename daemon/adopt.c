/*
 * adopt.c - taking over the segments a previous eshmd left in /dev/shm.
 * Clients keep exchanging data while eshmd is away; on its return it
 * validates each object, keeps watching the endpoints whose processes
 * still run, and marks the others dead.  Anything that is not a valid
 * segment of ours is reported and left exactly as it is.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "adopt.h"
#include "channel.h"
#include "cleanup.h"
#include "clock.h"
#include "endpoint.h"
#include "eshm.h"
#include "log.h"
#include "notify.h"
#include "procinfo.h"
#include "segment.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Decide the fate of endpoint @index recorded alive or stale. */
static void
adopt_endpoint(struct eshmd *d, struct reg_segment *seg, int index)
{
	struct seg_endpoint *e = seg->map.endpoint[index];
	struct reg_endpoint *ep = &seg->ep[index];
	pid_t pid = (pid_t)atomic_load_explicit(&e->pid, memory_order_relaxed);
	uint64_t recorded = atomic_load_explicit(&e->start_time, memory_order_relaxed);
	uint64_t start = 0;
	int fd = -1;

	if (!reg_ep_held(seg, index))
		return;
	if (pid > 0 && proc_start_time(pid, &start) == 0 && start == recorded) {
		fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd >= 0 && ev_watch(d->epfd, fd, EPOLLIN, &ep->tag) == 0) {
			ep->pidfd = fd;
		} else {
			/* No pidfd (a kernel before 5.3, or valgrind): the
			 * process is checked once a second instead, until it
			 * reattaches. */
			if (fd >= 0)
				close(fd);
			fd = -1;
			ep->polled = true;
		}
	}
	if (ep->pidfd >= 0 || ep->polled) {
		proc_comm(pid, ep->comm, sizeof(ep->comm));
		ep->last_heartbeat = atomic_load_explicit(&e->heartbeat, memory_order_relaxed);
		ep->silent_ms = atomic_load_explicit(&e->silent_ms, memory_order_relaxed);
		ep->rate_mono_ns = clock_mono_ns();
		ep->change_mono_ns = ep->rate_mono_ns;
		ep->period_ms = ep_period_ms(0);
		ep->rate_heartbeat = ep->last_heartbeat;
		log_msg(LOG_INFO, "segment %s: %s (pid %d) still runs, watching it", seg->name,
		        seg_role_name(index), (int)pid);
		return;
	}
	/* Gone (or its pid now belongs to another process). */
	if (chan_repair(seg->map.channel[index]))
		log_msg(LOG_INFO, "segment %s: repaired a half-written message", seg->name);
	atomic_store_explicit(&e->silent_ms, 0, memory_order_relaxed);
	atomic_store_explicit(&e->state, SEG_EP_DEAD, memory_order_release);
	log_msg(LOG_NOTICE, "segment %s: %s (pid %d) died while eshmd was away", seg->name,
	        seg_role_name(index), (int)pid);
}

int
adopt_one(struct eshmd *d, const char *name, struct reg_segment **out)
{
	struct reg_segment *seg;
	int rc;

	*out = NULL;
	rc = segobj_open(d->set.shm_prefix, name, &seg);
	if (rc != ESHM_SUCCESS) {
		log_msg(LOG_WARNING, "/dev/shm/%s%s: not adopted (%s), left alone",
		        d->set.shm_prefix, name, eshm_error_string(rc));
		return rc;
	}
	reg_insert(&d->reg, seg);
	adopt_endpoint(d, seg, SEG_MASTER);
	adopt_endpoint(d, seg, SEG_SLAVE);
	if (!reg_ep_held(seg, SEG_MASTER) && !reg_ep_held(seg, SEG_SLAVE))
		seg->empty_since_ns = clock_mono_ns();
	log_msg(LOG_INFO, "segment %s adopted (capacity %llu, generation %llu)", name,
	        (unsigned long long)seg->map.capacity, (unsigned long long)seg->generation);
	ntf_status(d);
	*out = seg;
	return ESHM_SUCCESS;
}

int
adopt_scan(struct eshmd *d)
{
	size_t plen = strlen(d->set.shm_prefix);
	struct reg_segment *seg;
	struct dirent *de;
	int adopted = 0;
	DIR *dir;

	dir = opendir("/dev/shm");
	if (dir == NULL) {
		log_msg(LOG_WARNING, "cannot scan /dev/shm: %s", strerror(errno));
		return 0;
	}
	pthread_mutex_lock(&d->reg.lock);
	while ((de = readdir(dir)) != NULL) {
		const char *name = de->d_name + plen;

		if (strncmp(de->d_name, d->set.shm_prefix, plen) != 0)
			continue;
		if (proto_name_valid(name) != ESHM_SUCCESS) {
			log_msg(LOG_WARNING, "/dev/shm/%s: not a valid segment name, left alone",
			        de->d_name);
			continue;
		}
		if (reg_find(&d->reg, name) == NULL && adopt_one(d, name, &seg) == ESHM_SUCCESS)
			adopted++;
	}
	closedir(dir);
	ntf_status(d);
	pthread_mutex_unlock(&d->reg.lock);
	return adopted;
}

void
adopt_poll(struct eshmd *d)
{
	struct reg_segment *seg, *next;
	int i;

	for (seg = d->reg.head; seg != NULL; seg = next) {
		next = seg->next; /* the cleanup may drop seg (freed only at reap) */
		for (i = 0; i < 2; i++) {
			struct seg_endpoint *e = seg->map.endpoint[i];
			uint64_t start = 0;
			pid_t pid;

			if (!seg->ep[i].polled || !reg_ep_held(seg, i))
				continue;
			pid = (pid_t)atomic_load_explicit(&e->pid, memory_order_relaxed);
			if (proc_start_time(pid, &start) != 0 ||
			    start != atomic_load_explicit(&e->start_time, memory_order_relaxed)) {
				ep_dead(d, seg, i);
				cln_after_leave(d, seg);
			}
		}
	}
}
