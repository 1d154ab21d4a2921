/*
 * ctl_stop.h - how the commands that run until stopped (peek --follow,
 * watch, events --follow) catch SIGINT, SIGTERM and SIGHUP.
 */
#ifndef ESHMCTL_STOP_H
#define ESHMCTL_STOP_H

/*
 * Run @handler on SIGINT, SIGTERM and SIGHUP, and ignore SIGPIPE (a write
 * to a closed pipe then fails with EPIPE: see ctl_stop_write_failed()).
 *
 * The handlers restart interrupted system calls (SA_RESTART): a Ctrl-C
 * that comes while the command writes to a terminal must not fail that
 * write with EINTR, which stdio would report as an error, so the command
 * would exit 1 after printing half a line.  The waits still end at once:
 * poll() is never restarted after a handler, and the library's waits end
 * on eshm_interrupt(), which @handler may call.
 * Not thread-safe; call before the command starts its threads or waits.
 */
void ctl_stop_catch(void (*handler)(int));

/*
 * The exit code after a write of @what to stdout failed (errno set): a
 * closed pipe (`eshmctl watch | head`) is the reader's way to stop, so
 * CTL_EXIT_OK; any other error is printed, CTL_EXIT_FAIL.
 */
int ctl_stop_write_failed(const char *what);

#endif /* ESHMCTL_STOP_H */
