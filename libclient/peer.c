/*
 * peer.c - the peer's endpoint block as the data path sees it.
 *
 * The peer's block changes whenever a new process takes the peer's role
 * (each holder writes a fresh block).  The control thread maps the new one
 * and publishes it in peer_latest; the read side and the write side each
 * switch to it at the start of their next call (peer_enter) and say so
 * with a release store; a mapping is unmapped only once it is neither the
 * latest nor either side's current one.  The data path takes no lock and
 * makes no system call for any of this.
 */
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"

int
peer_publish(struct ESHMHandle *h, int fd, uint64_t incarnation)
{
	struct lib_peer *p, *old;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		close(fd);
		return ESHM_ERROR_NO_MEMORY;
	}
	rc = seg_map_block(fd, &h->g, false, false, &p->map);
	if (rc != ESHM_SUCCESS) {
		close(fd);
		free(p);
		return rc;
	}
	/* A forked child must not keep the peer's memory either. */
	madvise(p->map.base, p->map.size, MADV_DONTFORK);
	p->block = seg_block_of(&p->map);
	p->incarnation = incarnation;
	p->fd = fd;
	pthread_mutex_lock(&h->lock);
	old = atomic_load_explicit(&h->peer_latest, memory_order_relaxed);
	p->next = h->peers;
	h->peers = p;
	/* seq_cst: a data-path side announcing the old latest after this
	 * store sees p on its check (peer_enter); one announcing it before
	 * is seen by peer_reap's loads. */
	atomic_store_explicit(&h->peer_latest, p, memory_order_seq_cst);
	live_start(&h->local, atomic_load_explicit(&p->block->heartbeat, memory_order_relaxed),
	           clock_mono_ns());
	pthread_mutex_unlock(&h->lock);
	/* A reader asleep on the old block's head, or on nothing, looks
	 * again.  The old mapping may be unused already: it is reaped only
	 * after this wake-up (no other thread reaps meanwhile). */
	if (old != NULL)
		chan_wake(old->block);
	atomic_fetch_add_explicit(&h->peer_seq, 1, memory_order_release);
	syscall(SYS_futex, &h->peer_seq, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
	if (h->ev_fd >= 0)
		ev_kick();
	pthread_mutex_lock(&h->lock);
	peer_reap(h);
	pthread_mutex_unlock(&h->lock);
	return ESHM_SUCCESS;
}

void
peer_reap(struct ESHMHandle *h)
{
	struct lib_peer *latest = atomic_load_explicit(&h->peer_latest, memory_order_relaxed);
	struct lib_peer **pp, *p;

	for (pp = &h->peers; (p = *pp) != NULL;) {
		/* seq_cst (see peer_enter); a side that stored another
		 * pointer is done with p. */
		if (p == latest || atomic_load_explicit(&h->peer_rd, memory_order_seq_cst) == p ||
		    atomic_load_explicit(&h->peer_wr, memory_order_seq_cst) == p ||
		    atomic_load_explicit(&h->peer_ev, memory_order_seq_cst) == p) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		seg_unmap(&p->map);
		close(p->fd);
		free(p);
	}
}

void
peer_release_all(struct ESHMHandle *h)
{
	struct lib_peer *p;

	while ((p = h->peers) != NULL) {
		h->peers = p->next;
		if (!h->forked)
			seg_unmap(&p->map);
		close(p->fd);
		free(p);
	}
	atomic_store_explicit(&h->peer_latest, NULL, memory_order_relaxed);
	atomic_store_explicit(&h->peer_rd, NULL, memory_order_relaxed);
	atomic_store_explicit(&h->peer_wr, NULL, memory_order_relaxed);
	atomic_store_explicit(&h->peer_ev, NULL, memory_order_relaxed);
}
