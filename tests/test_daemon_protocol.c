/*
 * test_daemon_protocol.c - eshmd's control protocol spoken raw, against a
 * real eshmd: malformed datagrams and invalid requests get their named
 * errors while a well-behaved client keeps being served; the basic
 * requests do what they say; roles are held, freed and lost on hang-up;
 * objects in /dev/shm that are not valid segments are never adopted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eshm.h"
#include "harness.h"
#include "layout.h"
#include "proto.h"

#define TIMEOUT_MS 5000

static struct th_daemon daemon_;
static int bystander = -1; /* a well-behaved client that must never notice */

static int
setup(void **state)
{
	if (th_daemon_start(&daemon_, NULL) < 0)
		return -1;
	bystander = proto_connect(daemon_.sock);
	return bystander >= 0 ? 0 : -1;
}

static int
connect_daemon(void)
{
	int fd = proto_connect(daemon_.sock);

	assert_true(fd >= 0);
	return fd;
}

static void
bystander_is_served(void)
{
	struct proto_status_reply r;

	assert_int_equal(proto_call(bystander, PROTO_REQ_STATUS, NULL, PROTO_REP_DAEMON, &r, NULL,
	                            TIMEOUT_MS),
	                 ESHM_SUCCESS);
	assert_int_equal(r.pid, daemon_.pid);
}

/* Wait for one datagram; returns its length (0: hang-up). */
static ssize_t
recv_one(int fd, void *buf, int *passed)
{
	ssize_t n = proto_recv(fd, buf, passed, TIMEOUT_MS);

	assert_true(n >= 0);
	return n;
}

/* Send @len raw bytes; expect a status reply with @status, then hang-up. */
static void
expect_rejected_and_closed(const void *data, size_t len, int status)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	const struct proto_hdr *hdr;
	const struct proto_status *st;
	const void *body;
	int fd = connect_daemon();
	ssize_t n;

	assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
	n = recv_one(fd, buf, NULL);
	assert_true(n > 0);
	assert_int_equal(proto_parse(buf, (size_t)n, &hdr, &body), ESHM_SUCCESS);
	assert_int_equal(hdr->type, PROTO_REP_STATUS);
	st = body;
	assert_int_equal(st->status, status);
	assert_int_equal(recv_one(fd, buf, NULL), 0);
	close(fd);
	bystander_is_served();
}

/* A datagram: header for @type with @length, then @body_len bytes of @body. */
static size_t
build(unsigned char *buf, uint32_t magic, uint16_t version, uint16_t type, uint32_t length,
      const void *body, size_t body_len)
{
	struct proto_hdr h = {magic, version, type, length, 42};

	memcpy(buf, &h, sizeof(h));
	if (body_len > 0)
		memcpy(buf + sizeof(h), body, body_len);
	return sizeof(h) + body_len;
}

static void
malformed_datagrams_get_protocol_error_while_others_are_served(void **state)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX + 1024];
	struct proto_attach a;
	size_t len;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "fine");
	a.role = ESHM_ROLE_AUTO;
	a.stale_threshold_ms = 100;
	a.capacity = 64;

	expect_rejected_and_closed("garbage", 7, ESHM_ERROR_PROTOCOL);
	memset(buf, 0xa5, 300);
	expect_rejected_and_closed(buf, 300, ESHM_ERROR_PROTOCOL);

	len = build(buf, PROTO_MAGIC ^ 1, PROTO_VERSION, PROTO_REQ_ATTACH, sizeof(a), &a, sizeof(a));
	expect_rejected_and_closed(buf, len, ESHM_ERROR_PROTOCOL);

	len = build(buf, PROTO_MAGIC, PROTO_VERSION + 1, PROTO_REQ_ATTACH, sizeof(a), &a,
	            sizeof(a));
	expect_rejected_and_closed(buf, len, ESHM_ERROR_VERSION_MISMATCH);

	/* truncated body, with the header claiming all of it */
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_ATTACH, sizeof(a), &a, 100);
	expect_rejected_and_closed(buf, len, ESHM_ERROR_PROTOCOL);
	/* truncated body, honestly announced */
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_ATTACH, 100, &a, 100);
	expect_rejected_and_closed(buf, len, ESHM_ERROR_PROTOCOL);
	/* trailing bytes after the body */
	{
		unsigned char longer[sizeof(a) + 8] = {0};

		memcpy(longer, &a, sizeof(a));
		len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_ATTACH, sizeof(longer),
		            longer, sizeof(longer));
	}
	expect_rejected_and_closed(buf, len, ESHM_ERROR_PROTOCOL);

	/* unterminated name */
	memset(a.name, 'n', sizeof(a.name));
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_ATTACH, sizeof(a), &a, sizeof(a));
	expect_rejected_and_closed(buf, len, ESHM_ERROR_PROTOCOL);

	/* unknown type, and a reply type sent as a request */
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, 77, 0, NULL, 0);
	expect_rejected_and_closed(buf, len, ESHM_ERROR_PROTOCOL);
	{
		struct proto_status st = {0};

		len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REP_STATUS, sizeof(st), &st,
		            sizeof(st));
		expect_rejected_and_closed(buf, len, ESHM_ERROR_PROTOCOL);
	}

	/* larger than any datagram of the protocol */
	memset(buf, 0, sizeof(buf));
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_STATUS, 0, NULL, 0);
	expect_rejected_and_closed(buf, PROTO_MSG_MAX + 512, ESHM_ERROR_PROTOCOL);
	assert_int_equal(th_shm_count(daemon_.prefix), 0);
	assert_int_equal(kill(daemon_.pid, 0), 0);
}

static int
attach_flags(int fd, const char *name, uint32_t role, uint32_t threshold, uint32_t flags,
             uint64_t capacity, struct proto_attach_reply *r, int *segfd)
{
	struct proto_attach a;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	a.role = role;
	a.stale_threshold_ms = threshold;
	a.flags = flags;
	a.capacity = capacity;
	a.heartbeat_period_us = 1000;
	return proto_call(fd, PROTO_REQ_ATTACH, &a, PROTO_REP_ATTACH, r, segfd, TIMEOUT_MS);
}

static int
attach(int fd, const char *name, uint32_t role, uint32_t threshold, uint64_t capacity,
       struct proto_attach_reply *r, int *segfd)
{
	return attach_flags(fd, name, role, threshold, 0, capacity, r, segfd);
}

static void
invalid_names_refused_and_connection_kept(void **state)
{
	static const char *const names[] = {
		"../x", "a/b", "x\001y", "tab\there", "", ".", "..", ".hidden", "-dash", "sp ace",
		"/abs",
	};
	char long_name[202];
	struct proto_attach_reply r;
	int fd = connect_daemon(), segfd;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(attach(fd, names[i], ESHM_ROLE_AUTO, 100, 64, &r, &segfd),
		                 ESHM_ERROR_NAME_INVALID);
		assert_int_equal(segfd, -1);
	}
	memset(long_name, 'a', 201);
	long_name[201] = '\0';
	assert_int_equal(attach(fd, long_name, ESHM_ROLE_AUTO, 100, 64, &r, &segfd),
	                 ESHM_ERROR_NAME_INVALID);
	/* 200 bytes is still a name: the same connection is served */
	long_name[200] = '\0';
	assert_int_equal(attach(fd, long_name, ESHM_ROLE_AUTO, 100, 64, &r, &segfd),
	                 ESHM_SUCCESS);
	assert_true(segfd >= 0);
	close(segfd);
	close(fd);
	bystander_is_served();
	assert_int_equal(th_shm_count(daemon_.prefix), 1);
}

static void
bad_role_threshold_and_capacity_get_their_errors(void **state)
{
	struct proto_attach_reply r;
	int fd = connect_daemon(), segfd;

	assert_int_equal(attach(fd, "bad_values", 3, 100, 64, &r, &segfd),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(attach(fd, "bad_values", 0xffffffffu, 100, 64, &r, &segfd),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(attach(fd, "bad_values", ESHM_ROLE_AUTO, 0, 64, &r, &segfd),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(attach(fd, "bad_values", ESHM_ROLE_AUTO, 600001, 64, &r, &segfd),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(attach(fd, "bad_values", ESHM_ROLE_AUTO, 100, 0, &r, &segfd),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(attach(fd, "bad_values", ESHM_ROLE_AUTO, 100, SEG_CAPACITY_MAX + 1ull,
	                        &r, &segfd),
	                 ESHM_ERROR_LIMIT);
	assert_int_equal(attach(fd, "bad_values", ESHM_ROLE_AUTO, 100, UINT64_MAX, &r, &segfd),
	                 ESHM_ERROR_LIMIT);
	bystander_is_served();
	/* nothing was created by any of them */
	assert_int_equal(th_shm_count(daemon_.prefix), 1);
	close(fd);
}

static int
show(const char *name, struct proto_segment_info *info)
{
	struct proto_name n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	return proto_call(bystander, PROTO_REQ_SHOW, &n, PROTO_REP_SEGMENT, info, NULL, TIMEOUT_MS);
}

static int
create(const char *name, uint64_t capacity)
{
	struct proto_create c;
	struct proto_status st;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.capacity = capacity;
	return proto_call(bystander, PROTO_REQ_CREATE, &c, PROTO_REP_STATUS, &st, NULL, TIMEOUT_MS);
}

static int
remove_segment(int fd, const char *name, bool force)
{
	struct proto_remove rm;
	struct proto_status st;

	memset(&rm, 0, sizeof(rm));
	snprintf(rm.name, sizeof(rm.name), "%.*s", PROTO_NAME_MAX, name);
	rm.force = force;
	return proto_call(fd, PROTO_REQ_REMOVE, &rm, PROTO_REP_STATUS, &st, NULL, TIMEOUT_MS);
}

/* LIST: how many segments, and whether @name is among them. */
static int
list(const char *name, bool *found)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_hdr h = {PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_LIST, 0, 7};
	int n = 0;

	*found = false;
	assert_int_equal(send(bystander, &h, sizeof(h), MSG_NOSIGNAL), (ssize_t)sizeof(h));
	for (;;) {
		const struct proto_hdr *hdr;
		const void *body;
		ssize_t len = recv_one(bystander, buf, NULL);

		assert_true(len > 0);
		assert_int_equal(proto_parse(buf, (size_t)len, &hdr, &body), ESHM_SUCCESS);
		assert_int_equal(hdr->id, 7);
		if (hdr->type == PROTO_REP_DONE)
			return n;
		assert_int_equal(hdr->type, PROTO_REP_SEGMENT);
		if (strcmp(((const struct proto_segment_info *)body)->name, name) == 0)
			*found = true;
		n++;
	}
}

static void
create_show_list_remove_basics(void **state)
{
	struct proto_segment_info info;
	bool found;
	int before = th_shm_count(daemon_.prefix);

	assert_int_equal(create("basic", 1000), ESHM_SUCCESS);
	assert_int_equal(create("basic", 1000), ESHM_ERROR_EXISTS);
	assert_int_equal(th_shm_count(daemon_.prefix), before + 1);
	assert_int_equal(show("basic", &info), ESHM_SUCCESS);
	assert_string_equal(info.name, "basic");
	assert_int_equal(info.capacity, 1000);
	assert_int_equal(info.layout_version, SEG_LAYOUT_VERSION);
	assert_int_equal(info.owner_uid, getuid());
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_DETACHED);
	assert_int_equal(info.endpoint[SEG_SLAVE].state, SEG_EP_DETACHED);
	assert_int_equal(info.channel[SEG_M2S].write_count, 0);
	assert_true(info.generation != 0);
	assert_true(list("basic", &found) >= 1);
	assert_true(found);
	assert_int_equal(remove_segment(bystander, "basic", false), ESHM_SUCCESS);
	assert_int_equal(show("basic", &info), ESHM_ERROR_NOT_FOUND);
	assert_int_equal(remove_segment(bystander, "basic", false), ESHM_ERROR_NOT_FOUND);
	list("basic", &found);
	assert_false(found);
	assert_int_equal(th_shm_count(daemon_.prefix), before);
}

static void
held_role_is_role_taken_and_auto_takes_the_free_one(void **state)
{
	struct proto_attach_reply r;
	int a = connect_daemon(), b = connect_daemon(), c = connect_daemon(), fa, fb, fc;

	assert_int_equal(attach(a, "roles", ESHM_ROLE_MASTER, 100, 128, &r, &fa), ESHM_SUCCESS);
	assert_int_equal(r.role, ESHM_ROLE_MASTER);
	assert_int_equal(r.capacity, 128);
	assert_true(fa >= 0);
	assert_int_equal(attach(b, "roles", ESHM_ROLE_MASTER, 100, 128, &r, &fb),
	                 ESHM_ERROR_ROLE_TAKEN);
	assert_int_equal(attach(b, "roles", ESHM_ROLE_AUTO, 100, 128, &r, &fb), ESHM_SUCCESS);
	assert_int_equal(r.role, ESHM_ROLE_SLAVE);
	assert_int_equal(attach(c, "roles", ESHM_ROLE_AUTO, 100, 128, &r, &fc),
	                 ESHM_ERROR_ROLE_TAKEN);
	assert_int_equal(attach(c, "roles", ESHM_ROLE_SLAVE, 100, 128, &r, &fc),
	                 ESHM_ERROR_ROLE_TAKEN);
	assert_int_equal(remove_segment(c, "roles", false), ESHM_ERROR_BUSY);
	close(fa);
	close(fb);
	close(a);
	close(b);
	close(c);
}

static void
detach_frees_the_role_before_its_reply(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_name n;
	struct proto_status st;
	int a = connect_daemon(), b = connect_daemon(), fa, fb;

	assert_int_equal(attach(a, "detach", ESHM_ROLE_MASTER, 100, 64, &r, &fa), ESHM_SUCCESS);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "detach");
	assert_int_equal(proto_call(a, PROTO_REQ_DETACH, &n, PROTO_REP_STATUS, &st, NULL,
	                            TIMEOUT_MS),
	                 ESHM_SUCCESS);
	/* no waiting: the role is free as soon as the reply came */
	assert_int_equal(show("detach", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_DETACHED);
	assert_int_equal(attach(b, "detach", ESHM_ROLE_MASTER, 100, 64, &r, &fb), ESHM_SUCCESS);
	/* a detach of what this connection does not hold is refused */
	assert_int_equal(proto_call(a, PROTO_REQ_DETACH, &n, PROTO_REP_STATUS, &st, NULL,
	                            TIMEOUT_MS),
	                 ESHM_ERROR_NOT_FOUND);
	close(fa);
	close(fb);
	close(a);
	close(b);
}

static bool
master_dead(void *arg)
{
	struct proto_segment_info info;

	return show(arg, &info) == ESHM_SUCCESS &&
	       info.endpoint[SEG_MASTER].state == SEG_EP_DEAD;
}

static void
connection_hangup_marks_endpoint_dead_at_once(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	int a = connect_daemon(), b = connect_daemon(), fa, fb;
	long long t0;

	/* a long threshold: only the hang-up can make it dead this fast */
	assert_int_equal(attach(a, "hangup", ESHM_ROLE_MASTER, 600000, 64, &r, &fa),
	                 ESHM_SUCCESS);
	assert_int_equal(show("hangup", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_ALIVE);
	assert_int_equal(info.endpoint[SEG_MASTER].pid, getpid());
	t0 = th_now_ns();
	close(a);
	assert_true(th_wait_until(master_dead, "hangup", 1000));
	print_message("dead after %lld us\n", (th_now_ns() - t0) / 1000);
	/* the dead slot is free */
	assert_int_equal(attach(b, "hangup", ESHM_ROLE_MASTER, 100, 64, &r, &fb), ESHM_SUCCESS);
	close(fa);
	close(fb);
	close(b);
}

static void
forced_remove_revokes_and_closes_holders(void **state)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_attach_reply r;
	struct seg_map map;
	int a = connect_daemon(), fa;

	assert_int_equal(attach(a, "revoke", ESHM_ROLE_MASTER, 100, 64, &r, &fa), ESHM_SUCCESS);
	assert_int_equal(seg_map_fd(fa, 0, &map), ESHM_SUCCESS);
	assert_int_equal(remove_segment(bystander, "revoke", false), ESHM_ERROR_BUSY);
	assert_int_equal(remove_segment(bystander, "revoke", true), ESHM_SUCCESS);
	assert_true(atomic_load(&map.header->flags) & SEG_FLAG_REVOKED);
	assert_int_equal(atomic_load(&map.endpoint[SEG_MASTER]->state), SEG_EP_DETACHED);
	/* its connection is closed: the hang-up tells the library at once */
	assert_int_equal(recv_one(a, buf, NULL), 0);
	seg_unmap(&map);
	close(fa);
	close(a);
}

static void
peek_passes_a_read_only_descriptor(void **state)
{
	struct proto_name n;
	struct proto_status st;
	struct seg_map map;
	int fd;

	assert_int_equal(create("peek", 256), ESHM_SUCCESS);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "peek");
	assert_int_equal(proto_call(bystander, PROTO_REQ_PEEK, &n, PROTO_REP_STATUS, &st, &fd,
	                            TIMEOUT_MS),
	                 ESHM_SUCCESS);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(seg_map_fd(fd, 1, &map), ESHM_SUCCESS);
	assert_int_equal(map.capacity, 256);
	seg_unmap(&map);
	close(fd);
	snprintf(n.name, sizeof(n.name), "no_such");
	assert_int_equal(proto_call(bystander, PROTO_REQ_PEEK, &n, PROTO_REP_STATUS, &st, &fd,
	                            TIMEOUT_MS),
	                 ESHM_ERROR_NOT_FOUND);
	assert_int_equal(fd, -1);
	assert_int_equal(remove_segment(bystander, "peek", false), ESHM_SUCCESS);
}

static void
silent_client_blocks_nobody_and_is_dropped(void **state)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	int quiet = connect_daemon();
	long long t0 = th_now_ns();
	ssize_t n;

	/* served all along; the quiet one is dropped after a few seconds of
	 * silence, since it holds nothing */
	do {
		bystander_is_served();
		n = proto_recv(quiet, buf, NULL, 250);
		assert_true(th_now_ns() - t0 < 15000000000LL);
	} while (n == -ETIMEDOUT);
	assert_int_equal(n, 0);
	print_message("silent connection closed after %lld ms\n",
	              (th_now_ns() - t0) / 1000000);
	close(quiet);
	bystander_is_served();
}

/* Put @len bytes of @data in /dev/shm as @prefix@name. */
static void
plant(const char *prefix, const char *name, const void *data, size_t len)
{
	char obj[256];
	int fd;

	snprintf(obj, sizeof(obj), "/%s%s", prefix, name);
	fd = shm_open(obj, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
invalid_objects_not_adopted_valid_ones_are(void **state)
{
	struct th_daemon other;
	size_t total = seg_total_size(512);
	unsigned char *seg = calloc(1, total);
	struct proto_segment_info info;
	struct proto_name n;
	int fd;

	assert_non_null(seg);
	assert_int_equal(th_daemon_prepare(&other), 0);
	memset(seg, 0x5a, total);
	plant(other.prefix, "garbage", seg, total);
	seg_format(seg, 512, 99, 100, 0, getuid(), getgid());
	plant(other.prefix, "truncated", seg, total / 2);
	plant(other.prefix, "good", seg, total);
	/* a prefix object whose rest is not a valid name */
	plant(other.prefix, ".odd", seg, total);
	assert_int_equal(th_daemon_start(&other, NULL), 0);

	fd = proto_connect(other.sock);
	assert_true(fd >= 0);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "good");
	assert_int_equal(proto_call(fd, PROTO_REQ_SHOW, &n, PROTO_REP_SEGMENT, &info, NULL,
	                            TIMEOUT_MS),
	                 ESHM_SUCCESS);
	assert_int_equal(info.generation, 99);
	assert_int_equal(info.capacity, 512);
	snprintf(n.name, sizeof(n.name), "garbage");
	assert_int_equal(proto_call(fd, PROTO_REQ_SHOW, &n, PROTO_REP_SEGMENT, &info, NULL,
	                            TIMEOUT_MS),
	                 ESHM_ERROR_NOT_FOUND);
	snprintf(n.name, sizeof(n.name), "truncated");
	assert_int_equal(proto_call(fd, PROTO_REQ_SHOW, &n, PROTO_REP_SEGMENT, &info, NULL,
	                            TIMEOUT_MS),
	                 ESHM_ERROR_NOT_FOUND);
	close(fd);
	/* still running, and nothing was deleted */
	assert_int_equal(kill(other.pid, 0), 0);
	assert_int_equal(th_shm_count(other.prefix), 4);
	assert_int_equal(th_daemon_stop(&other), 0);
	assert_int_equal(th_daemon_cleanup(&other), 4);
	free(seg);
	bystander_is_served();
}

static void
segment_threshold_is_the_one_the_segment_was_created_with(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_create c;
	struct proto_status st;
	int a = connect_daemon(), b = connect_daemon(), e = connect_daemon(), x = connect_daemon();
	int fa, fb, fe, fx;

	/* created with its own default, as by eshmctl create --stale-ms 250 */
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "own_default");
	c.stale_threshold_ms = 250;
	assert_int_equal(proto_call(bystander, PROTO_REQ_CREATE, &c, PROTO_REP_STATUS, &st, NULL,
	                            TIMEOUT_MS),
	                 ESHM_SUCCESS);
	assert_int_equal(attach_flags(a, "own_default", ESHM_ROLE_AUTO, 0,
	                              PROTO_ATTACH_SEGMENT_THRESHOLD, 64, &r, &fa),
	                 ESHM_SUCCESS);
	assert_int_equal(r.stale_threshold_ms, 250);
	/* a threshold of its own is kept, and said back */
	assert_int_equal(attach(b, "own_default", ESHM_ROLE_AUTO, 1234, 64, &r, &fb), ESHM_SUCCESS);
	assert_int_equal(r.stale_threshold_ms, 1234);
	assert_int_equal(show("own_default", &info), ESHM_SUCCESS);
	assert_int_equal(info.stale_threshold_ms, 250);
	assert_int_equal(info.endpoint[SEG_MASTER].stale_threshold_ms, 250);
	assert_int_equal(info.endpoint[SEG_SLAVE].stale_threshold_ms, 1234);

	/* created by the attach itself: eshmd's default_stale_threshold_ms */
	assert_int_equal(attach_flags(e, "eshmd_default", ESHM_ROLE_AUTO, 0,
	                              PROTO_ATTACH_SEGMENT_THRESHOLD, 64, &r, &fe),
	                 ESHM_SUCCESS);
	assert_int_equal(r.stale_threshold_ms, 100);

	/* both a threshold and the segment's: refused, nothing attached */
	assert_int_equal(attach_flags(x, "eshmd_default", ESHM_ROLE_AUTO, 50,
	                              PROTO_ATTACH_SEGMENT_THRESHOLD, 64, &r, &fx),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(fx, -1);
	/* the same connection attaches once it asks for one or the other */
	assert_int_equal(attach(x, "eshmd_default", ESHM_ROLE_AUTO, 50, 64, &r, &fx), ESHM_SUCCESS);
	assert_int_equal(r.stale_threshold_ms, 50);
	close(fa);
	close(fb);
	close(fe);
	close(fx);
	close(a);
	close(b);
	close(e);
	close(x);
	bystander_is_served();
}

/* Force-remove every segment left by the tests (holders included). */
static void
remove_everything(void)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_hdr h = {PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_LIST, 0, 9};
	char names[64][PROTO_NAME_SIZE];
	int n = 0, i;

	assert_int_equal(send(bystander, &h, sizeof(h), MSG_NOSIGNAL), (ssize_t)sizeof(h));
	for (;;) {
		const struct proto_hdr *hdr;
		const void *body;
		ssize_t len = recv_one(bystander, buf, NULL);

		assert_int_equal(proto_parse(buf, (size_t)len, &hdr, &body), ESHM_SUCCESS);
		if (hdr->type == PROTO_REP_DONE)
			break;
		if (n < 64)
			snprintf(names[n++], PROTO_NAME_SIZE, "%s",
			         ((const struct proto_segment_info *)body)->name);
	}
	for (i = 0; i < n; i++)
		assert_int_equal(remove_segment(bystander, names[i], true), ESHM_SUCCESS);
	assert_int_equal(th_shm_count(daemon_.prefix), 0);
}

static int
teardown(void **state)
{
	remove_everything();
	close(bystander);
	assert_int_equal(th_daemon_cleanup(&daemon_), 0);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_datagrams_get_protocol_error_while_others_are_served),
		cmocka_unit_test(invalid_names_refused_and_connection_kept),
		cmocka_unit_test(bad_role_threshold_and_capacity_get_their_errors),
		cmocka_unit_test(create_show_list_remove_basics),
		cmocka_unit_test(held_role_is_role_taken_and_auto_takes_the_free_one),
		cmocka_unit_test(detach_frees_the_role_before_its_reply),
		cmocka_unit_test(connection_hangup_marks_endpoint_dead_at_once),
		cmocka_unit_test(forced_remove_revokes_and_closes_holders),
		cmocka_unit_test(peek_passes_a_read_only_descriptor),
		cmocka_unit_test(silent_client_blocks_nobody_and_is_dropped),
		cmocka_unit_test(invalid_objects_not_adopted_valid_ones_are),
		cmocka_unit_test(segment_threshold_is_the_one_the_segment_was_created_with),
	};

	return cmocka_run_group_tests_name("daemon_protocol", tests, setup, teardown);
}
