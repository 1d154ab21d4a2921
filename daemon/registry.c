/*
 * registry.c - the table of managed segments: a list for passes over all
 * of them and a hash for lookups by name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "registry.h"

/* FNV-1a: names are short and chosen by users, not by an attacker who
 * could gain much from collisions (the table only gets slower). */
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
	seg->prev = NULL;
	seg->next = reg->head;
	if (reg->head != NULL)
		reg->head->prev = seg;
	reg->head = seg;
	reg->count++;
}

void
reg_drop(struct registry *reg, struct reg_segment *seg)
{
	struct reg_segment **pp = &reg->buckets[reg_hash(seg->name)];

	while (*pp != NULL && *pp != seg)
		pp = &(*pp)->hnext;
	if (*pp == seg)
		*pp = seg->hnext;
	if (seg->prev != NULL)
		seg->prev->next = seg->next;
	else
		reg->head = seg->next;
	if (seg->next != NULL)
		seg->next->prev = seg->prev;
	reg->count--;
	seg->next = reg->removed;
	seg->prev = NULL;
	reg->removed = seg;
}

static void
reg_segment_free(struct reg_segment *seg)
{
	int i;

	for (i = 0; i < 2; i++)
		if (seg->ep[i].pidfd >= 0)
			close(seg->ep[i].pidfd);
	seg_unmap(&seg->map);
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

	reg_reap(reg);
	while ((seg = reg->head) != NULL) {
		reg->head = seg->next;
		reg_segment_free(seg);
	}
	memset(reg->buckets, 0, sizeof(reg->buckets));
	reg->count = 0;
	pthread_mutex_destroy(&reg->lock);
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
	for (i = 0; i < 2; i++) {
		seg->ep[i].tag.kind = EV_PIDFD;
		seg->ep[i].seg = seg;
		seg->ep[i].index = i;
		seg->ep[i].pidfd = -1;
	}
	return seg;
}

uint32_t
reg_ep_state(const struct reg_segment *seg, int index)
{
	return atomic_load_explicit(&seg->map.endpoint[index]->state, memory_order_acquire);
}

bool
reg_ep_held(const struct reg_segment *seg, int index)
{
	uint32_t st = reg_ep_state(seg, index);

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
			uint32_t st = reg_ep_state(seg, i);

			if (st != SEG_EP_DETACHED && st < 4)
				by_state[st]++;
		}
	return reg->count;
}

uint32_t
reg_held_endpoints(const struct registry *reg)
{
	uint32_t by_state[4];

	reg_counts(reg, by_state);
	return by_state[SEG_EP_ALIVE] + by_state[SEG_EP_STALE];
}
