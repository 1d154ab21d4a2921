/*
 * ctl_term.c - terminal modes for eshmctl watch.
 */
#include "config.h"

#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_term.h"

static struct termios ctl_term_saved;
static int ctl_term_fd = -1;

/* Apply the key-at-a-time variant of the saved mode to @fd. */
static int
ctl_term_set_keys(int fd)
{
	struct termios t = ctl_term_saved;

	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSANOW, &t);
}

int
ctl_term_keys(int fd)
{
	if (tcgetattr(fd, &ctl_term_saved) != 0)
		return -1;
	if (ctl_term_set_keys(fd) != 0)
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

/* Only async-signal-safe calls below: tcsetattr, write, sigaction, raise. */
static void
ctl_term_on_tstp(int sig)
{
	static const char leave[] = CTL_TERM_LEAVE;
	struct sigaction dfl;
	ssize_t ignored;

	(void)sig;
	tcsetattr(ctl_term_fd, TCSANOW, &ctl_term_saved);
	ignored = write(STDOUT_FILENO, leave, sizeof(leave) - 1);
	(void)ignored;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGTSTP, &dfl, NULL);
	raise(SIGTSTP);
}

static void
ctl_term_on_cont(int sig)
{
	static const char enter[] = CTL_TERM_ENTER;
	ssize_t ignored;

	(void)sig;
	ctl_term_set_keys(ctl_term_fd);
	ignored = write(STDOUT_FILENO, enter, sizeof(enter) - 1);
	(void)ignored;
	ctl_term_handle_suspend();
}

void
ctl_term_handle_suspend(void)
{
	struct sigaction sa;

	if (ctl_term_fd < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = ctl_term_on_tstp;
	sigaction(SIGTSTP, &sa, NULL);
	sa.sa_handler = ctl_term_on_cont;
	sigaction(SIGCONT, &sa, NULL);
}

int
ctl_term_rows(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
		return 0;
	return ws.ws_row;
}
