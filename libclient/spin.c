/*
 * spin.c - the adaptive spin of the waits (spin.h).
 */
#include "spin.h"

uint64_t
spin_budget_ns(struct spin_state *s)
{
	unsigned shorter = atomic_load_explicit(&s->shorter, memory_order_relaxed);
	unsigned probes;

	if (shorter < SPIN_HALVINGS)
		return SPIN_FULL_NS >> shorter;
	probes = (atomic_load_explicit(&s->probes, memory_order_relaxed) + 1u) % SPIN_PROBE_EVERY;
	atomic_store_explicit(&s->probes, (uint8_t)probes, memory_order_relaxed);
	return probes == 0 ? SPIN_FULL_NS : 0;
}

void
spin_learn(struct spin_state *s, bool paid)
{
	unsigned shorter = atomic_load_explicit(&s->shorter, memory_order_relaxed);

	if (paid)
		shorter = 0;
	else if (shorter < SPIN_HALVINGS)
		shorter++;
	atomic_store_explicit(&s->shorter, (uint8_t)shorter, memory_order_relaxed);
}
