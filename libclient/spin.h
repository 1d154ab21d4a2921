/*
 * spin.h - whether a wait spins before it sleeps, learned from the
 * handle's recent waits (wait.c).
 *
 * A spin pays only when what the wait is for comes within it; one that
 * does not is worse than useless on a busy machine, where the spinner
 * holds the CPU the thread it waits for was woken on (a peer behind a
 * network bridge answers a hundred microseconds later: every spin is
 * lost).  So, as adaptive mutexes do, the waits of a handle stop spinning
 * after SPIN_MISSES waits in a row that had to sleep, and spin again from
 * the first wait a spin ended.  A spin shorter than the full one is not
 * tried: what comes a little late for the full spin comes later still
 * for a shorter one.  Without a spin, every SPIN_PROBE_EVERY-th wait
 * spins in full to see whether it would pay again.
 */
#ifndef ESHM_LIBCLIENT_SPIN_H
#define ESHM_LIBCLIENT_SPIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The spin: a kernel wake-up costs tens of microseconds, a near-miss
 * should not pay it. */
#define SPIN_FULL_NS 20000u
#define SPIN_MISSES 4u
#define SPIN_PROBE_EVERY 16u

/*
 * What one kind of wait of a handle learned (zeroed: spin).  Relaxed
 * atomics: one thread waits at a time, but nothing stops a caller from
 * waiting in two.
 */
struct spin_state {
	_Atomic uint8_t misses;    /* waits in a row that slept, up to SPIN_MISSES */
	_Atomic uint8_t probes;    /* waits without a spin, modulo SPIN_PROBE_EVERY */
};

/* How long (ns) the next wait spins; counts the waits without a spin. */
uint64_t spin_budget_ns(struct spin_state *s);

/* A wait ended: within its spin (@paid), or after sleeping. */
void spin_learn(struct spin_state *s, bool paid);

#endif /* ESHM_LIBCLIENT_SPIN_H */
