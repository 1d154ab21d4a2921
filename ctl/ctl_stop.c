/*
 * ctl_stop.c - the stop signals of the commands that run until stopped
 * (see ctl_stop.h).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "ctl_cli.h"
#include "ctl_stop.h"

void
ctl_stop_catch(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
ctl_stop_write_failed(const char *what)
{
	return errno == EPIPE ? CTL_EXIT_OK : ctl_error("cannot write %s: %s", what, strerror(errno));
}
