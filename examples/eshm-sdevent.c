/*
 * eshm-sdevent - an eshm segment served by an sd-event loop (libsystemd).
 *
 *   eshm-sdevent NAME   attach as the slave of NAME, print every message,
 *                       and exit on SIGINT or SIGTERM
 *
 * The handle's descriptor (eshm_get_event_fd) is an I/O source of the
 * loop; after a message event the handle is read until
 * ESHM_ERROR_NO_DATA.  Its peer's state changes are printed too.
 */
#include <eshm.h>

#include <signal.h>
#include <stdio.h>
#include <systemd/sd-event.h>

static int
on_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	ESHMHandle *h = userdata;
	char buf[4096];
	unsigned events;
	bool alive;
	size_t n;

	(void)s;
	(void)fd;
	(void)revents;
	if (eshm_get_events(h, &events) != ESHM_SUCCESS)
		return 0;
	if (events & ESHM_EVENT_REMOTE) {
		eshm_check_remote_alive(h, &alive);
		printf("peer %s\n", alive ? "alive" : "not alive");
	}
	if (events & ESHM_EVENT_MESSAGE)
		while (eshm_read(h, buf, sizeof(buf) - 1, &n) == ESHM_SUCCESS) {
			buf[n] = '\0';
			printf("%s\n", buf);
		}
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	sd_event *loop = NULL;
	ESHMConfig cfg;
	ESHMHandle *h;
	sigset_t stop;
	int fd, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: eshm-sdevent NAME\n");
		return 2;
	}
	cfg = eshm_default_config(argv[1]);
	cfg.role = ESHM_ROLE_SLAVE;
	h = eshm_init(&cfg);
	if (h == NULL || eshm_get_event_fd(h, &fd) != ESHM_SUCCESS) {
		fprintf(stderr, "eshm-sdevent: %s: %s\n", argv[1], eshm_last_error_message());
		return 1;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	rc = sd_event_default(&loop);
	if (rc >= 0)
		rc = sd_event_add_io(loop, NULL, fd, EPOLLIN, on_ready, h);
	/* a NULL handler: the loop exits on the signal */
	if (rc >= 0)
		rc = sd_event_add_signal(loop, NULL, SIGINT, NULL, NULL);
	if (rc >= 0)
		rc = sd_event_add_signal(loop, NULL, SIGTERM, NULL, NULL);
	if (rc >= 0) {
		printf("eshm-sdevent: serving %s\n", argv[1]);
		fflush(stdout);
		rc = sd_event_loop(loop);
	}
	sd_event_unref(loop);
	eshm_destroy(h);
	return rc < 0 ? 1 : 0;
}
