/*
 * log.h - eshmd's logging.  Under systemd, where stderr is connected to
 * the journal ($JOURNAL_STREAM names it), each message goes to the
 * journal through sd-journal with structured fields (MESSAGE_ID=,
 * ESHM_SEGMENT=, ESHM_ROLE=, ESHM_PID=, ESHM_UID=); otherwise one line
 * per message on stderr, prefixed with its syslog priority as "<N>".
 */
#ifndef ESHMD_LOG_H
#define ESHMD_LOG_H

#include <stdbool.h>
#include <sys/types.h>
#include <syslog.h>

/* The structured fields of one message; NULL or 0: not there. */
struct log_fields {
	const char *message_id;  /* MESSAGE_ID=, 32 lowercase hex digits */
	const char *segment;     /* ESHM_SEGMENT= */
	const char *role;        /* ESHM_ROLE=: master, slave or observer */
	pid_t pid;               /* ESHM_PID= */
	uid_t uid;               /* ESHM_UID=, with pid */
};

/*
 * Choose where messages go: the journal if stderr is connected to it,
 * else stderr.  Called once at start, before any thread logs.
 */
void log_open(void);

/*
 * Log @fmt with its arguments at @priority (LOG_ERR, LOG_WARNING,
 * LOG_NOTICE, LOG_INFO, LOG_DEBUG).  LOG_DEBUG messages appear only when
 * verbose.  errno is preserved.  Thread-safe (one write per message).
 */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Log @message at @priority with the fields @f (may be NULL).  As log_msg(). */
void log_fields(int priority, const struct log_fields *f, const char *message);

/* Show LOG_DEBUG messages from now on (@verbose) or hide them. */
void log_set_verbose(bool verbose);

#endif /* ESHMD_LOG_H */
