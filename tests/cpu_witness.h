/*
 * cpu_witness.h - tells a CPU that stood still from a process that was
 * starved.  On a virtual machine the host may stop one virtual CPU for
 * tens of milliseconds or more; a thread whose sleep timer is queued on
 * that CPU wakes only when it runs again, while the other CPU goes on and
 * sees it silent.  No scheduling choice of eshm can prevent that, so the
 * load tests ask the witness before they call a verdict false.
 *
 * A witness is one child per CPU this process may run on, pinned to it,
 * that sleeps 1 ms at a time and records every wake-up that came at least
 * a set gap after the one before.
 */
#ifndef ESHM_TESTS_CPU_WITNESS_H
#define ESHM_TESTS_CPU_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_witness;

/*
 * Start a witness that records gaps of @min_gap_ms or more.  Returns it,
 * or NULL when it could not start (no memory, no fork).
 */
struct cw_witness *cw_start(uint32_t min_gap_ms);

/* Stop its children (SIGKILL and reap); what they recorded stays readable. */
void cw_stop(struct cw_witness *w);

/*
 * How long one CPU stood still between @from_ns and @to_ns
 * (CLOCK_MONOTONIC), in ms: the recorded gaps' overlap with that span,
 * summed per CPU, the most of any CPU.  Gaps past the first 64 a CPU
 * recorded are counted by cw_describe() but not kept, so they excuse
 * nothing.
 */
long long cw_stalled_ms(const struct cw_witness *w, long long from_ns, long long to_ns);

/*
 * One line on what the witness saw since cw_start(): gaps recorded, the
 * longest and on which CPU, and the steal time the kernel counted on
 * every CPU (/proc/stat; 0 where the host does not report it).
 */
void cw_describe(const struct cw_witness *w, char *buf, size_t size);

/* Free @w (stopping it first if needed); NULL is ignored. */
void cw_release(struct cw_witness *w);

#endif /* ESHM_TESTS_CPU_WITNESS_H */
