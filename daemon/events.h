/*
 * events.h - eshmd's epoll set: every descriptor the event loop waits on
 * (listening socket, signals, timer, connections, pidfds) joins it with a
 * tag that says what the event is about.  Event-loop thread only.
 */
#ifndef ESHMD_EVENTS_H
#define ESHMD_EVENTS_H

#include <stdint.h>

/* What an epoll event points at: every watched object starts with a tag. */
enum ev_kind { EV_LISTEN, EV_SIGNAL, EV_TIMER, EV_CONN, EV_PIDFD, EV_HISTORY };

struct ev_tag {
	enum ev_kind kind;
};

/*
 * Add @fd to the epoll set @epfd for @events (EPOLLIN, ...), its events
 * pointing at @tag.  Returns 0 or -errno.
 */
int ev_watch(int epfd, int fd, uint32_t events, struct ev_tag *tag);

/* Change the events @fd is watched for.  Returns 0 or -errno. */
int ev_change(int epfd, int fd, uint32_t events, struct ev_tag *tag);

/* Take @fd out of the set (closing its last reference does it too). */
void ev_forget(int epfd, int fd);

/*
 * Take @fd out of the set, then close it.  For descriptors whose open file
 * others may hold too (a pidfd is passed to the peer): closing alone leaves
 * the file in the set, and its later events would point at @fd's tag after
 * the tag is freed or reused.
 */
void ev_close(int epfd, int fd);

#endif /* ESHMD_EVENTS_H */
