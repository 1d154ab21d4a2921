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

void
obs_changed(struct ESHMHandle *h, const struct proto_observer *n, struct proto_fds *fds)
{
	int fd = proto_fds_get(fds, n->fds, PROTO_FD_PEER);
	unsigned char *area, *page;
	struct stat st;
	void *m;

	if (n->slot >= SEG_OBSERVERS_MAX || (area = obs_area(h)) == NULL) {
		proto_fds_close(fds);
		return;
	}
	page = area + (size_t)n->slot * SEG_PAGE;
	if (fd >= 0 && h->obs_incarnation[n->slot] == n->incarnation) {
		proto_fds_close(fds); /* already mapped */
		return;
	}
	if (fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size == h->g.observer_block_size)
		m = mmap(page, SEG_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	else
		m = mmap(page, SEG_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	proto_fds_close(fds);
	if (m == MAP_FAILED)
		return;
	madvise(page, SEG_PAGE, MADV_DONTFORK);
	h->obs_incarnation[n->slot] = m == page && fd >= 0 ? n->incarnation : 0;
	if (h->obs_incarnation[n->slot] != 0 &&
	    n->slot >= atomic_load_explicit(&h->obs_hi, memory_order_relaxed))
		atomic_store_explicit(&h->obs_hi, n->slot + 1, memory_order_release);
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
