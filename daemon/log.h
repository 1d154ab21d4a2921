/*
 * log.h - eshmd's logging: one line per message on stderr, prefixed with
 * its syslog priority as "<N>" so journald files it at the right level.
 */
#ifndef ESHMD_LOG_H
#define ESHMD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/*
 * Print @fmt with its arguments at @priority (LOG_ERR, LOG_WARNING,
 * LOG_NOTICE, LOG_INFO, LOG_DEBUG).  LOG_DEBUG lines appear only when
 * verbose.  errno is preserved.  Thread-safe (one write per line).
 */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Show LOG_DEBUG lines from now on (@verbose) or hide them. */
void log_set_verbose(bool verbose);

#endif /* ESHMD_LOG_H */
