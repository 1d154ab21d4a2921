/*
 * events.c - eshmd's epoll set (see events.h).
 */
#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "events.h"

int
ev_watch(int epfd, int fd, uint32_t events, struct ev_tag *tag)
{
	struct epoll_event ev = {.events = events, .data.ptr = tag};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

int
ev_change(int epfd, int fd, uint32_t events, struct ev_tag *tag)
{
	struct epoll_event ev = {.events = events, .data.ptr = tag};

	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -errno;
}

void
ev_forget(int epfd, int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

void
ev_close(int epfd, int fd)
{
	ev_forget(epfd, fd);
	close(fd);
}
