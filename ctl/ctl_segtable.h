/*
 * ctl_segtable.h - the one-row-per-segment table of eshmctl list and watch.
 * Its columns are documented in eshmctl(8).
 */
#ifndef ESHMCTL_SEGTABLE_H
#define ESHMCTL_SEGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "ctl_table.h"

/*
 * An empty segment table; with @rates it has the messages-per-second
 * columns of watch.  Returns NULL when out of memory.
 */
struct ctl_table *ctl_segtable_new(bool rates);

/*
 * Append the row of segment @s, as seen at CLOCK_REALTIME @now_ns.  @rates
 * (messages per second, indexed by SEG_M2S/SEG_S2M; negative: unknown yet)
 * must be given for a table made with rates, and only for one.  States
 * are coloured when @color.  Returns 0 or -1 when out of memory.
 */
int ctl_segtable_add(struct ctl_table *t, const struct proto_segment_info *s,
                     const double *rates, uint64_t now_ns, bool color);

#endif /* ESHMCTL_SEGTABLE_H */
