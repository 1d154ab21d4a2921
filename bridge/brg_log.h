/*
 * brg_log.h - the bridge's messages: "<N>" priority lines on stderr, which
 * the journal reads as priorities under systemd, plain lines elsewhere.
 */
#ifndef ESHM_BRIDGE_LOG_H
#define ESHM_BRIDGE_LOG_H

#include <stdbool.h>
#include <syslog.h>

/*
 * Name the segment every line speaks of and choose whether LOG_DEBUG lines
 * are written.  Call once, before any thread logs.  @segment is copied
 * (NULL: none).  Returns BRG_OK.
 */
int brg_log_open(const char *segment, bool verbose);

/*
 * Write one line at syslog @priority (LOG_ERR ... LOG_DEBUG).  Lines are
 * written whole with one write(2), so threads never interleave within a
 * line.  Thread-safe.
 */
void brg_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* ESHM_BRIDGE_LOG_H */
