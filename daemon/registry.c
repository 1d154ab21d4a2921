/*
 * registry.c - the table of managed segments: a list in creation order
 * for passes over all of them and LIST, a hash for lookups by name, and
 * the usage counted per uid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "registry.h"

#define REG_USER_BUCKETS (sizeof(((struct registry *)0)->users) / sizeof(struct reg_user *))

/* FNV-1a: a user choosing colliding names only slows down its own lookups. */
static unsigned
reg_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	return h % REG_BUCKETS;
}

int
reg_init(struct registry *reg)
{
	memset(reg, 0, sizeof(*reg));
	return pthread_mutex_init(&reg->lock, NULL) == 0 ? 0 : -1;
}

struct reg_segment *
reg_find(struct registry *reg, const char *name)
{
	struct reg_segment *seg;

	for (seg = reg->buckets[reg_hash(name)]; seg != NULL; seg = seg->hnext)
		if (strcmp(seg->name, name) == 0)
			return seg;
	return NULL;
}

void
reg_insert(struct registry *reg, struct reg_segment *seg)
{
	unsigned b = reg_hash(seg->name);

	seg->hnext = reg->buckets[b];
	reg->buckets[b] = seg;
	seg->next = NULL;
	seg->prev = reg->tail;
	if (reg->tail != NULL)
		reg->tail->next = seg;
	else
		reg->head = seg;
	reg->tail = seg;
	reg->count++;
	if (seg->generation > reg->last_generation)
		reg->last_generation = seg->generation;
}

void
reg_drop(struct registry *reg, struct reg_segment *seg)
{
	struct reg_segment **pp = &reg->buckets[reg_hash(seg->name)];
	struct reg_cursor *cur;

	while (*pp != NULL && *pp != seg)
		pp = &(*pp)->hnext;
	if (*pp == seg)
		*pp = seg->hnext;
	for (cur = reg->cursors; cur != NULL; cur = cur->next)
		if (cur->at == seg)
			cur->at = seg->next;
	if (seg->prev != NULL)
		seg->prev->next = seg->next;
	else
		reg->head = seg->next;
	if (seg->next != NULL)
		seg->next->prev = seg->prev;
	else
		reg->tail = seg->prev;
	reg->count--;
	seg->next = reg->removed;
	seg->prev = NULL;
	reg->removed = seg;
}

void
reg_memfd_clear(struct reg_memfd *m)
{
	seg_unmap(&m->map);
	if (m->fd >= 0)
		close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

static void
reg_segment_free(struct reg_segment *seg)
{
	uint32_t i;

	for (i = 0; i < 2; i++) {
		if (seg->ep[i].pidfd >= 0)
			close(seg->ep[i].pidfd);
		reg_memfd_clear(&seg->ep[i].block);
	}
	for (i = 0; seg->observers != NULL && i < SEG_OBSERVERS_MAX; i++)
		reg_memfd_clear(&seg->observers[i].block);
	free(seg->observers);
	reg_memfd_clear(&seg->status);
	free(seg);
}

void
reg_reap(struct registry *reg)
{
	struct reg_segment *seg;

	while ((seg = reg->removed) != NULL) {
		reg->removed = seg->next;
		reg_segment_free(seg);
	}
}

void
reg_destroy(struct registry *reg)
{
	struct reg_segment *seg;
	unsigned i;

	reg_reap(reg);
	while ((seg = reg->head) != NULL) {
		reg->head = seg->next;
		reg_segment_free(seg);
	}
	for (i = 0; i < REG_USER_BUCKETS; i++)
		while (reg->users[i] != NULL) {
			struct reg_user *u = reg->users[i];

			reg->users[i] = u->next;
			free(u);
		}
	pthread_mutex_destroy(&reg->lock);
	memset(reg, 0, sizeof(*reg));
}

uint64_t
reg_next_generation(struct registry *reg)
{
	uint64_t g = clock_real_ns();

	if (g <= reg->last_generation)
		g = reg->last_generation + 1;
	reg->last_generation = g;
	return g;
}

struct reg_segment *
reg_segment_new(const char *name)
{
	struct reg_segment *seg = calloc(1, sizeof(*seg));
	int i;

	if (seg == NULL)
		return NULL;
	snprintf(seg->name, sizeof(seg->name), "%s", name);
	seg->status.fd = -1;
	for (i = 0; i < 2; i++) {
		seg->ep[i].tag.kind = EV_PIDFD;
		seg->ep[i].seg = seg;
		seg->ep[i].index = i;
		seg->ep[i].pidfd = -1;
		seg->ep[i].block.fd = -1;
	}
	return seg;
}

bool
reg_ep_held(const struct reg_segment *seg, int index)
{
	uint32_t st = seg->ep[index].state;

	return st == SEG_EP_ALIVE || st == SEG_EP_STALE;
}

uint32_t
reg_counts(const struct registry *reg, uint32_t by_state[4])
{
	const struct reg_segment *seg;
	int i;

	memset(by_state, 0, 4 * sizeof(by_state[0]));
	for (seg = reg->head; seg != NULL; seg = seg->next)
		for (i = 0; i < 2; i++) {
			uint32_t shown = reg_ep_shown(&seg->ep[i]);

			if (shown != SEG_EP_DETACHED && shown <= SEG_EP_DEAD)
				by_state[shown]++;
		}
	return reg->count;
}

uint32_t
reg_held_endpoints(const struct registry *reg)
{
	const struct reg_segment *seg;
	uint32_t n = 0;

	for (seg = reg->head; seg != NULL; seg = seg->next)
		n += reg_ep_held(seg, SEG_MASTER) + reg_ep_held(seg, SEG_SLAVE);
	return n;
}

void
reg_cursor_open(struct registry *reg, struct reg_cursor *cur)
{
	cur->at = reg->head;
	cur->prev = NULL;
	cur->next = reg->cursors;
	if (reg->cursors != NULL)
		reg->cursors->prev = cur;
	reg->cursors = cur;
}

void
reg_cursor_close(struct registry *reg, struct reg_cursor *cur)
{
	if (cur->prev != NULL)
		cur->prev->next = cur->next;
	else if (reg->cursors == cur)
		reg->cursors = cur->next;
	if (cur->next != NULL)
		cur->next->prev = cur->prev;
	cur->prev = cur->next = NULL;
	cur->at = NULL;
}

const struct reg_usage *
reg_user_peek(const struct registry *reg, uid_t uid)
{
	const struct reg_user *u;

	for (u = reg->users[(unsigned)uid % REG_USER_BUCKETS]; u != NULL; u = u->next)
		if (u->uid == uid)
			return &u->use;
	return NULL;
}

struct reg_usage *
reg_user_usage(struct registry *reg, uid_t uid)
{
	unsigned b = (unsigned)uid % REG_USER_BUCKETS;
	struct reg_user *u;
	const struct reg_usage *found = reg_user_peek(reg, uid);

	if (found != NULL)
		return (struct reg_usage *)found;
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NULL;
	u->uid = uid;
	u->next = reg->users[b];
	reg->users[b] = u;
	return &u->use;
}
