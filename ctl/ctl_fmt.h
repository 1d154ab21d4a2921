/*
 * ctl_fmt.h - how eshmctl writes numbers, sizes, durations, times and endpoint
 * states for people (the JSON output keeps raw values instead).
 */
#ifndef ESHMCTL_FMT_H
#define ESHMCTL_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Big enough for any string the ctl_fmt_* functions produce. */
#define CTL_FMT_SIZE 48

/* Compact duration: "350ms", "4.2s", "17s", "5m07s", "3h05m", "2d04h". */
const char *ctl_fmt_duration(uint64_t ms, char buf[CTL_FMT_SIZE]);

/*
 * Time elapsed since the CLOCK_REALTIME instant @then_ns, as
 * ctl_fmt_duration(), or "never" for 0.  A future instant (clock stepped
 * back) counts as 0.
 */
const char *ctl_fmt_since(uint64_t then_ns, uint64_t now_ns, char buf[CTL_FMT_SIZE]);

/* Milliseconds from @then_ns to @now_ns (both CLOCK_REALTIME), 0 if negative. */
uint64_t ctl_ms_between(uint64_t then_ns, uint64_t now_ns);

/* Byte count: "100B", "4KiB", "1.5MiB" (exact KiB/MiB when divisible). */
const char *ctl_fmt_bytes(uint64_t bytes, char buf[CTL_FMT_SIZE]);

/* Local date and time of the CLOCK_REALTIME instant @ns: "2024-05-01 12:00:03". */
const char *ctl_fmt_time(uint64_t ns, char buf[CTL_FMT_SIZE]);

/* An endpoint's pid, or "-" when there never was one (0). */
const char *ctl_fmt_pid(int32_t pid, char buf[CTL_FMT_SIZE]);

/*
 * Whether to colour what goes to @out: only on a terminal, and not when
 * $NO_COLOR is set or $TERM is "dumb".
 */
bool ctl_use_color(FILE *out);

/*
 * SGR escape that colours endpoint state @state (enum
 * seg_endpoint_state): alive green, stale yellow, dead red, detached dim.
 */
const char *ctl_state_color(uint32_t state);

/* SGR escape that ends a colour. */
#define CTL_COLOR_RESET "\033[0m"

#endif /* ESHMCTL_FMT_H */
