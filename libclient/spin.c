/*
 * spin.c - the adaptive spin of the waits (spin.h).
 */
#include "spin.h"

uint64_t
spin_budget_ns(struct spin_state *s)
{
	unsigned probes;

	if (atomic_load_explicit(&s->misses, memory_order_relaxed) < SPIN_MISSES)
		return SPIN_FULL_NS;
	probes = (atomic_load_explicit(&s->probes, memory_order_relaxed) + 1u) % SPIN_PROBE_EVERY;
	atomic_store_explicit(&s->probes, (uint8_t)probes, memory_order_relaxed);
	return probes == 0 ? SPIN_FULL_NS : 0;
}

void
spin_learn(struct spin_state *s, bool paid)
{
	unsigned misses = atomic_load_explicit(&s->misses, memory_order_relaxed);

	if (paid)
		misses = 0;
	else if (misses < SPIN_MISSES)
		misses++;
	atomic_store_explicit(&s->misses, (uint8_t)misses, memory_order_relaxed);
}
