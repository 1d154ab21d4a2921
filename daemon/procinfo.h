/*
 * procinfo.h - identity of a process from /proc, to tell a live endpoint
 * from a reused pid.
 */
#ifndef ESHMD_PROCINFO_H
#define ESHMD_PROCINFO_H

#include <stddef.h>
#include <stdbool.h>
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

/*
 * A pidfd of @pid, confirmed to be the process that connected: it has not
 * exited, and it started no later than @connected_boot_ns (CLOCK_BOOTTIME
 * when its connection was accepted), so its pid was not reused since.
 * *@start receives its start time.  Returns the pidfd (close-on-exec);
 * -ENOSYS when the kernel gives no pidfds (before 5.3, valgrind): *@start
 * is still set, the caller watches /proc instead; -ESRCH when the process
 * is gone or is not the one that connected; another -errno.  Thread-safe.
 */
int proc_pidfd(pid_t pid, uint64_t connected_boot_ns, uint64_t *start);

/*
 * Whether the process recorded as @pid with start time @start still runs:
 * 1 yes, 0 no (no such process, a zombie that exited and waits to be
 * reaped, or another start time: the pid was reused), -1 unknown (/proc
 * unreadable or unparsable: never a death).
 */
int proc_alive(pid_t pid, uint64_t start);

/* Whether the process of @pidfd has exited (its pidfd polls readable now). */
bool proc_pidfd_exited(int pidfd);

/* CLOCK_BOOTTIME in ns. */
uint64_t proc_boot_ns(void);

#endif /* ESHMD_PROCINFO_H */
