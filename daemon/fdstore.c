/*
 * fdstore.c - the service manager's file-descriptor store (see fdstore.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "fdstore.h"
#include "log.h"

/* How long an answer may wait for the service manager (it answers in
 * microseconds; a manager that hangs must not stop eshmd for longer). */
#define FDS_BARRIER_USEC 2000000u

bool
fds_enabled(void)
{
	const char *e = getenv("NOTIFY_SOCKET");

	return e != NULL && e[0] != '\0';
}

void
fds_name_status(char *buf, size_t len, uint64_t generation)
{
	snprintf(buf, len, "s.%llu", (unsigned long long)generation);
}

void
fds_name_block(char *buf, size_t len, uint64_t generation, int index, uint64_t incarnation)
{
	snprintf(buf, len, "b.%llu.%d.%llu", (unsigned long long)generation, index,
	         (unsigned long long)incarnation);
}

static void
fds_put(int fd, const char *name)
{
	char msg[96];
	int rc;

	if (fd < 0 || !fds_enabled())
		return;
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	rc = sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
	if (rc <= 0)
		log_msg(LOG_WARNING, "cannot store %s with the service manager: %s", name,
		        rc < 0 ? strerror(-rc) : "no NOTIFY_SOCKET");
}

void
fds_drop(const char *name)
{
	if (fds_enabled())
		sd_notifyf(0, "FDSTOREREMOVE=1\nFDNAME=%s", name);
}

void
fds_put_status(const struct reg_segment *seg)
{
	char name[64];

	fds_name_status(name, sizeof(name), seg->generation);
	fds_put(seg->status.fd, name);
}

void
fds_put_block(const struct reg_segment *seg, int index)
{
	char name[64];

	fds_name_block(name, sizeof(name), seg->generation, index, seg->ep[index].incarnation);
	fds_put(seg->ep[index].block.fd, name);
}

void
fds_drop_status(uint64_t generation)
{
	char name[64];

	fds_name_status(name, sizeof(name), generation);
	fds_drop(name);
}

void
fds_drop_block(uint64_t generation, int index, uint64_t incarnation)
{
	char name[64];

	if (incarnation == 0)
		return;
	fds_name_block(name, sizeof(name), generation, index, incarnation);
	fds_drop(name);
}

void
fds_barrier(void)
{
	int rc;

	if (!fds_enabled())
		return;
	rc = sd_notify_barrier(0, FDS_BARRIER_USEC);
	if (rc < 0)
		log_msg(LOG_WARNING, "the service manager did not confirm the descriptors stored: %s",
		        strerror(-rc));
}

int
fds_take(int *listen_fd, struct fds_entry **out, size_t *n)
{
	char **names = NULL;
	struct fds_entry *e;
	int count, i;

	*listen_fd = -1;
	*out = NULL;
	*n = 0;
	count = sd_listen_fds_with_names(1, &names);
	if (count < 0) {
		log_msg(LOG_ERR, "cannot take the descriptors passed by systemd: %s",
		        strerror(-count));
		return -1;
	}
	e = calloc(count > 0 ? (size_t)count : 1, sizeof(*e));
	if (e == NULL) {
		log_msg(LOG_ERR, "out of memory taking %d descriptors", count);
		return -1;
	}
	for (i = 0; i < count; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names != NULL && names[i] != NULL ? names[i] : "";

		fcntl(fd, F_SETFD, FD_CLOEXEC);
		/* Stored memfds carry our names; anything else that is a
		 * listening socket is the control socket. */
		if ((strncmp(name, "s.", 2) == 0 || strncmp(name, "b.", 2) == 0) &&
		    sd_is_socket(fd, AF_UNSPEC, 0, -1) == 0) {
			snprintf(e[*n].name, sizeof(e[*n].name), "%s", name);
			e[(*n)++].fd = fd;
		} else if (*listen_fd < 0 && sd_is_socket(fd, AF_UNIX, SOCK_SEQPACKET, 1) > 0) {
			*listen_fd = fd;
		} else {
			log_msg(LOG_WARNING, "descriptor %d (%s) passed by systemd is neither a "
			                     "listening AF_UNIX SOCK_SEQPACKET socket nor ours; closing it",
			        fd, name);
			close(fd);
		}
	}
	if (names != NULL) {
		for (i = 0; i < count; i++)
			free(names[i]);
		free(names);
	}
	*out = e;
	return 0;
}

struct fds_entry *
fds_find(struct fds_entry *e, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].fd >= 0 && strcmp(e[i].name, name) == 0)
			return &e[i];
	return NULL;
}
