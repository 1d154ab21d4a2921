/*
 * eshm-epoll - one epoll loop serving several eshm segments.
 *
 *   eshm-epoll NAME...   attach as the slave of each segment (an observer
 *                        with ESHM_OBSERVE=1), print every message as
 *                        "NAME: TEXT" and every change of a peer's state,
 *                        until SIGINT or SIGTERM
 *
 * Each handle's descriptor (eshm_get_event_fd) joins the epoll set with a
 * signalfd; after a message event the handle is read until
 * ESHM_ERROR_NO_DATA, which is what makes its descriptor quiet again.
 */
#include <eshm.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define MAX_SEGMENTS 32

static int
attach_all(int argc, char **argv, ESHMHandle **h, int ep)
{
	bool observe = getenv("ESHM_OBSERVE") != NULL && strcmp(getenv("ESHM_OBSERVE"), "1") == 0;
	struct epoll_event ev;
	int i, fd;

	for (i = 1; i < argc; i++) {
		ESHMConfig cfg = eshm_default_config(argv[i]);

		cfg.role = observe ? ESHM_ROLE_OBSERVER : ESHM_ROLE_SLAVE;
		h[i] = eshm_init(&cfg);
		if (h[i] == NULL || eshm_get_event_fd(h[i], &fd) != ESHM_SUCCESS) {
			fprintf(stderr, "eshm-epoll: %s: %s\n", argv[i], eshm_last_error_message());
			return -1;
		}
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -1;
	}
	return 0;
}

/* What a handle's events say, printed. */
static void
serve(const char *name, ESHMHandle *h)
{
	char buf[4096];
	unsigned events;
	bool alive;
	size_t n;

	if (eshm_get_events(h, &events) != ESHM_SUCCESS)
		return;
	if (events & ESHM_EVENT_REMOTE) {
		eshm_check_remote_alive(h, &alive);
		printf("%s: peer %s\n", name, alive ? "alive" : "not alive");
	}
	if (events & ESHM_EVENT_MESSAGE)
		while (eshm_read(h, buf, sizeof(buf) - 1, &n) == ESHM_SUCCESS) {
			buf[n] = '\0';
			printf("%s: %s\n", name, buf);
		}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	ESHMHandle *h[MAX_SEGMENTS + 1] = { NULL };
	struct epoll_event ev, out[16];
	sigset_t stop;
	int ep, sfd, i, n, rc = 1;

	if (argc < 2 || argc > MAX_SEGMENTS + 1) {
		fprintf(stderr, "usage: eshm-epoll NAME...\n");
		return 2;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &stop, SFD_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.u32 = 0;
	if (ep < 0 || sfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0 ||
	    attach_all(argc, argv, h, ep) < 0)
		goto out;
	printf("eshm-epoll: serving %d segment(s)\n", argc - 1);
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, out, 16, -1);
		for (i = 0; i < n; i++) {
			if (out[i].data.u32 == 0) {
				rc = 0;
				goto out;
			}
			serve(argv[out[i].data.u32], h[out[i].data.u32]);
		}
	}
out:
	for (i = 1; i < argc; i++)
		eshm_destroy(h[i]);
	return rc;
}
