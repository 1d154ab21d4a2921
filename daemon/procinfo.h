/*
 * procinfo.h - identity of a process from /proc, to tell a live endpoint
 * from a reused pid.
 */
#ifndef ESHMD_PROCINFO_H
#define ESHMD_PROCINFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Store in *@start the start time of @pid (/proc/PID/stat field 22, clock
 * ticks since boot), which together with the pid identifies a process.
 * Parsed after the last ')' so a command name with spaces or parentheses
 * cannot shift the fields.  Returns 0, -ENOENT if no such process, or
 * another -errno (-EINVAL for an unparsable file).  Thread-safe.
 */
int proc_start_time(pid_t pid, uint64_t *start);

/*
 * Copy @pid's command name (/proc/PID/comm, without the newline) into @buf
 * of @len bytes, truncated and NUL-terminated.  Returns 0 or -errno.
 * Thread-safe.
 */
int proc_comm(pid_t pid, char *buf, size_t len);

#endif /* ESHMD_PROCINFO_H */
