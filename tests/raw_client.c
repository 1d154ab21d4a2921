/*
 * raw_client.c - eshmd's control protocol spoken raw (see raw_client.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "eshm.h"
#include "raw_client.h"

void
rc_attach_init(struct proto_attach *a, const char *name, uint32_t role, uint32_t threshold_ms,
               uint64_t capacity)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->role = role;
	a->stale_threshold_ms = threshold_ms;
	a->capacity = capacity;
	a->mode = SEG_MODE_LATEST;
	a->heartbeat_period_us = 1000;
}

int
rc_attach(int fd, uint16_t type, const struct proto_attach *a, const struct proto_fds *send,
          struct proto_attach_reply *r, struct proto_fds *got)
{
	return proto_call(fd, type, a, send, PROTO_REP_ATTACH, r, got, NULL, RC_TIMEOUT_MS);
}

int
rc_attach_simple(int fd, const char *name, uint32_t role, struct proto_attach_reply *r,
                 struct proto_fds *got)
{
	struct proto_attach a;

	rc_attach_init(&a, name, role, 100, 64);
	return rc_attach(fd, PROTO_REQ_ATTACH, &a, NULL, r, got);
}

static int
rc_named(int fd, uint16_t type, const char *name, uint16_t expect, void *reply,
         struct proto_fds *got)
{
	struct proto_name n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	return proto_call(fd, type, &n, NULL, expect, reply, got, NULL, RC_TIMEOUT_MS);
}

int
rc_create(int fd, const char *name, uint64_t capacity, uint32_t flags)
{
	struct proto_create c;
	struct proto_status st;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.capacity = capacity;
	c.flags = flags;
	return proto_call(fd, PROTO_REQ_CREATE, &c, NULL, PROTO_REP_STATUS, &st, NULL, NULL,
	                  RC_TIMEOUT_MS);
}

int
rc_show(int fd, const char *name, struct proto_segment_info *info)
{
	return rc_named(fd, PROTO_REQ_SHOW, name, PROTO_REP_SEGMENT, info, NULL);
}

int
rc_observers(int fd, const char *name, struct proto_observers_reply *r)
{
	return rc_named(fd, PROTO_REQ_OBSERVERS, name, PROTO_REP_OBSERVERS, r, NULL);
}

int
rc_remove(int fd, const char *name, bool force)
{
	struct proto_remove rm;
	struct proto_status st;

	memset(&rm, 0, sizeof(rm));
	snprintf(rm.name, sizeof(rm.name), "%.*s", PROTO_NAME_MAX, name);
	rm.force = force;
	return proto_call(fd, PROTO_REQ_REMOVE, &rm, NULL, PROTO_REP_STATUS, &st, NULL, NULL,
	                  RC_TIMEOUT_MS);
}

int
rc_detach(int fd, const char *name)
{
	struct proto_status st;

	return rc_named(fd, PROTO_REQ_DETACH, name, PROTO_REP_STATUS, &st, NULL);
}

int
rc_proxy(int fd, const char *name, uint32_t role, uint32_t state, int32_t remote_pid,
         const char *host)
{
	struct proto_proxy p;
	struct proto_status st;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%.*s", PROTO_NAME_MAX, name);
	snprintf(p.remote_host, sizeof(p.remote_host), "%s", host);
	p.role = role;
	p.state = state;
	p.remote_pid = remote_pid;
	return proto_call(fd, PROTO_REQ_PROXY, &p, NULL, PROTO_REP_STATUS, &st, NULL, NULL,
	                  RC_TIMEOUT_MS);
}

int
rc_status(int fd, struct proto_status_reply *r)
{
	return proto_call(fd, PROTO_REQ_STATUS, NULL, NULL, PROTO_REP_DAEMON, r, NULL, NULL,
	                  RC_TIMEOUT_MS);
}

int
rc_hello(int fd, uint64_t caps, struct proto_hello_reply *r)
{
	struct proto_hello h;

	memset(&h, 0, sizeof(h));
	h.caps = caps;
	snprintf(h.software, sizeof(h.software), "raw test client");
	return proto_call(fd, PROTO_REQ_HELLO, &h, NULL, PROTO_REP_HELLO, r, NULL, NULL,
	                  RC_TIMEOUT_MS);
}

int
rc_peek(int fd, const char *name, struct proto_peek_reply *r, struct proto_fds *got)
{
	return rc_named(fd, PROTO_REQ_PEEK, name, PROTO_REP_PEEK, r, got);
}

int
rc_list(int fd, const char *name, bool *found)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_hdr h = {PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_LIST, 0, 7};
	int n = 0;

	if (found != NULL)
		*found = false;
	if (send(fd, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		return -1;
	for (;;) {
		const struct proto_hdr *hdr;
		const void *body;
		ssize_t len = proto_recv(fd, buf, NULL, RC_TIMEOUT_MS);

		if (len <= 0 || proto_parse(buf, (size_t)len, &hdr, &body) != 0)
			return -1;
		if (hdr->id == 0)
			continue; /* a notification */
		if (hdr->id != 7)
			return -1;
		if (hdr->type == PROTO_REP_DONE)
			return n;
		if (hdr->type != PROTO_REP_SEGMENT)
			return -1;
		if (name != NULL && found != NULL &&
		    strcmp(((const struct proto_segment_info *)body)->name, name) == 0)
			*found = true;
		n++;
	}
}

bool
rc_wait_state(int fd, const char *name, int index, uint32_t state, int timeout_ms)
{
	struct timespec pause = {0, 2000000};
	int waited;

	for (waited = 0; waited <= timeout_ms; waited += 2) {
		struct proto_segment_info info;

		if (rc_show(fd, name, &info) == 0 && info.endpoint[index].state == state)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

bool
rc_wait_datagram(int fd, uint16_t type, void *body, struct proto_fds *got, int timeout_ms)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];

	for (;;) {
		const struct proto_hdr *hdr;
		const void *b;
		ssize_t len = proto_recv(fd, buf, got, timeout_ms);

		if (len <= 0)
			return false;
		if (proto_parse(buf, (size_t)len, &hdr, &b) == 0 && hdr->type == type) {
			memcpy(body, b, (size_t)proto_body_size(type));
			return true;
		}
		proto_fds_close(got);
	}
}

long
rc_proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			kb = strtol(line + flen + 1, NULL, 10);
	fclose(f);
	return kb;
}
