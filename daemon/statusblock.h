/*
 * statusblock.h - eshmd's copy of its verdicts in a segment's status block,
 * the one memfd it writes.  Clients map it read-only and load the verdict
 * line on every data-path call, so each function stores only the words
 * that changed.  registry.lock held (event loop or monitor).
 */
#ifndef ESHMD_STATUSBLOCK_H
#define ESHMD_STATUSBLOCK_H

#include <stdint.h>

#include "registry.h"

/* Write the verdict line of @seg: flags, each role's incarnation and state. */
void stb_verdict(struct reg_segment *seg);

/* Write the endpoint line of role @index of @seg from the registry. */
void stb_endpoint(struct reg_segment *seg, int index);

/* Copy observer slot @slot of @seg into the status block. */
void stb_observer(struct reg_segment *seg, int slot);

/* Stamp the daemon line: monitor pass @pass at @now_ns, @interval_ms, eshmd's pid. */
void stb_daemon(struct reg_segment *seg, uint64_t pass, uint64_t now_ns, uint32_t interval_ms);

/* Write every line of @seg but the ident (after a restore). */
void stb_all(struct reg_segment *seg);

#endif /* ESHMD_STATUSBLOCK_H */
