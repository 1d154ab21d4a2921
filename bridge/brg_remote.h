/*
 * brg_remote.h - what the bridge declares about the process it stands in
 * for, from the reports the other bridge sends (pure logic: no clock, no
 * I/O, every time passed in, so the rules are tested as they run).
 *
 * The rules (docs/bridge.md, "Liveness"):
 *  - before the first report: stale.  The bridge holds the role, but
 *    whether a process lives behind it is not known; it is never declared
 *    alive unheard.
 *  - while reports keep coming (one at least every state period, each
 *    within the lease of the last) and the DDS liveliness of their writer
 *    holds: the state reported.
 *  - once a lease passes without a report, or DDS says the writer lost
 *    its liveliness: stale at once; dead once dead_after has passed since
 *    the last report.  A report of dead stays dead.
 *  - the other bridge stopped cleanly (it sent detached and disposed its
 *    report): detached, until it reports again.
 */
#ifndef ESHM_BRIDGE_REMOTE_H
#define ESHM_BRIDGE_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "brg_config.h"

/* What one side says, or the bridge declares, about one endpoint. */
struct brg_report {
	uint32_t state;                 /* enum seg_endpoint_state */
	int32_t pid;                    /* on its host; 0: unknown */
	uint64_t attaches;              /* attaches of its role on its host */
	char host[BRG_LABEL_SIZE];
};

struct brg_remote {
	uint32_t lease_ms;
	uint32_t dead_after_ms;
	bool heard;             /* a report arrived since the bridge started */
	bool writer_alive;      /* DDS liveliness of the other bridge's writer */
	bool withdrawn;         /* the other bridge disposed its report */
	uint64_t last_ns;       /* when the last report arrived */
	struct brg_report last; /* what it said */
};

/*
 * Start judging with @lease_ms and @dead_after_ms (dead_after > lease > 0).
 * Returns BRG_OK or BRG_ERR_INVALID.  A brg_remote is used by one thread.
 */
int brg_remote_init(struct brg_remote *r, uint32_t lease_ms, uint32_t dead_after_ms);

/* A report @rep arrived at @now_ns (CLOCK_MONOTONIC).  Returns BRG_OK or BRG_ERR_INVALID. */
int brg_remote_report(struct brg_remote *r, const struct brg_report *rep, uint64_t now_ns);

/* DDS says the other bridge's writer is (@alive) or is no longer alive. */
int brg_remote_liveliness(struct brg_remote *r, bool alive);

/* The other bridge disposed its report: it stopped cleanly. */
int brg_remote_withdrawn(struct brg_remote *r);

/*
 * The state to declare at @now_ns into *@out (host and pid as last
 * reported).  Returns BRG_OK or BRG_ERR_INVALID.
 */
int brg_remote_judge(const struct brg_remote *r, uint64_t now_ns, struct brg_report *out);

/*
 * When the judgement may next change without a new event: the end of
 * the lease or of dead_after, or UINT64_MAX if only an event can change it.
 */
uint64_t brg_remote_next_change(const struct brg_remote *r, uint64_t now_ns);

#endif /* ESHM_BRIDGE_REMOTE_H */
