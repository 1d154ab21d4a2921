/*
 * ctl_term.c - terminal modes for eshmctl watch.
 */
#include "config.h"

#include <stdbool.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_term.h"

static struct termios ctl_term_saved;
static int ctl_term_fd = -1;

int
ctl_term_keys(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &ctl_term_saved) != 0)
		return -1;
	t = ctl_term_saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		return -1;
	ctl_term_fd = fd;
	return 0;
}

void
ctl_term_restore(void)
{
	if (ctl_term_fd < 0)
		return;
	tcsetattr(ctl_term_fd, TCSANOW, &ctl_term_saved);
	ctl_term_fd = -1;
}

int
ctl_term_rows(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
		return 0;
	return ws.ws_row;
}
