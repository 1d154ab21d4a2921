/*
 * observers.c - the observers of a handle's own channel, as its writer
 * sees them: one page per status-block slot, holding the observer's
 * reader part read-only, whose wait word the writer loads after each
 * publish.
 *
 * The pages are one reserved area per handle, mapped by the control
 * thread: an observer's block is mapped over its slot's page when it
 * comes, and a private zero page over it when it goes (MAP_FIXED
 * replaces a mapping in one step).  The writer therefore loads from
 * mapped memory whatever the control thread does meanwhile; nothing is
 * unmapped before eshm_destroy().
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handle.h"

#define OBS_AREA_SIZE ((size_t)SEG_OBSERVERS_MAX * SEG_PAGE)

/* The area, reserved at the first observer; NULL if no memory. */
static unsigned char *
obs_area(struct ESHMHandle *h)
{
	unsigned char *a = atomic_load_explicit(&h->obs_area, memory_order_relaxed);
	void *m;

	if (a != NULL)
		return a;
	m = mmap(NULL, OBS_AREA_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	madvise(m, OBS_AREA_SIZE, MADV_DONTFORK);
	atomic_store_explicit(&h->obs_area, (unsigned char *)m, memory_order_release);
	return m;
}

/* Empty slot @slot's page (a private zero page over it). */
static void
obs_empty(struct ESHMHandle *h, unsigned char *area, uint32_t slot)
{
	unsigned char *page = area + (size_t)slot * SEG_PAGE;

	if (mmap(page, SEG_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    page)
		madvise(page, SEG_PAGE, MADV_DONTFORK);
	else
		/* A failed MAP_FIXED may leave a hole: the writer must never
		 * look again (sleeping observers then wake by their slices). */
		h->obs_broken = true;
	h->obs_incarnation[slot] = 0;
}

/* Publish the number of slots the writer looks at: up to the highest one
 * held (a slot it stops looking at is a zero page anyway). */
static void
obs_publish_hi(struct ESHMHandle *h)
{
	uint32_t hi;

	for (hi = SEG_OBSERVERS_MAX; hi > 0 && h->obs_incarnation[hi - 1] == 0; hi--)
		;
	atomic_store_explicit(&h->obs_hi, h->obs_broken ? 0 : hi, memory_order_release);
}

void
obs_changed(struct ESHMHandle *h, const struct proto_observer *n, struct proto_fds *fds)
{
	int fd = proto_fds_get(fds, n->fds, PROTO_FD_PEER);
	unsigned char *area, *page;
	struct stat st;

	if (n->slot >= SEG_OBSERVERS_MAX || (area = obs_area(h)) == NULL) {
		proto_fds_close(fds);
		return;
	}
	page = area + (size_t)n->slot * SEG_PAGE;
	if (fd >= 0 && h->obs_incarnation[n->slot] == n->incarnation) {
		proto_fds_close(fds); /* already mapped */
		return;
	}
	if (fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size == h->g.observer_block_size &&
	    mmap(page, SEG_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == page) {
		madvise(page, SEG_PAGE, MADV_DONTFORK);
		h->obs_incarnation[n->slot] = n->incarnation;
	} else {
		obs_empty(h, area, n->slot);
	}
	proto_fds_close(fds);
	obs_publish_hi(h);
}

void
obs_forget_all(struct ESHMHandle *h)
{
	unsigned char *area = atomic_load_explicit(&h->obs_area, memory_order_relaxed);
	uint32_t i;

	for (i = 0; area != NULL && i < SEG_OBSERVERS_MAX; i++)
		if (h->obs_incarnation[i] != 0)
			obs_empty(h, area, i);
	obs_publish_hi(h);
}

void
obs_release_all(struct ESHMHandle *h)
{
	unsigned char *a = atomic_load_explicit(&h->obs_area, memory_order_relaxed);

	if (a != NULL && !h->forked)
		munmap(a, OBS_AREA_SIZE);
	atomic_store_explicit(&h->obs_area, NULL, memory_order_relaxed);
	atomic_store_explicit(&h->obs_hi, 0, memory_order_relaxed);
}
