/*
 * test_daemon_protocol.c - eshmd's control protocol 2 spoken raw, against
 * a real eshmd: malformed datagrams, old versions and invalid requests get
 * their named errors while a well-behaved client keeps being served; each
 * request does what common/proto.h says; roles are held, handed over,
 * taken over, and lost only when the kernel says the process exited.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eshm.h"
#include "harness.h"
#include "layout.h"
#include "proto.h"
#include "raw_client.h"

static struct th_daemon daemon_;
static int bystander = -1; /* a well-behaved client that must never notice */

static int
setup(void **state)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
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

	assert_int_equal(rc_status(bystander, &r), ESHM_SUCCESS);
	assert_int_equal(r.pid, daemon_.pid);
}

/* Wait for one datagram; returns its length (0: hang-up). */
static ssize_t
recv_one(int fd, void *buf, struct proto_fds *fds)
{
	ssize_t n = proto_recv(fd, buf, fds, RC_TIMEOUT_MS);

	assert_true(n >= 0);
	return n;
}

/*
 * Send @len raw bytes; expect a status reply with @status (in protocol
 * @version), then a hang-up unless @kept.
 */
static void
expect_status(const void *data, size_t len, uint16_t version, int status, bool kept)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	const struct proto_hdr *hdr = NULL;
	const struct proto_status *st;
	int fd = connect_daemon();
	ssize_t n;

	assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
	n = recv_one(fd, buf, NULL);
	assert_int_equal(n, sizeof(struct proto_hdr) + sizeof(struct proto_status));
	proto_parse(buf, (size_t)n, &hdr, NULL);
	assert_non_null(hdr);
	assert_int_equal(hdr->version, version);
	assert_int_equal(hdr->type, PROTO_REP_STATUS);
	st = (const void *)(hdr + 1);
	assert_int_equal(st->status, status);
	if (kept) {
		struct proto_status_reply r;

		assert_int_equal(rc_status(fd, &r), ESHM_SUCCESS);
	} else {
		assert_int_equal(recv_one(fd, buf, NULL), 0);
	}
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
malformed_datagrams_get_protocol_error_and_are_closed(void **state)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX + 1024];
	struct proto_attach a;
	size_t len;

	rc_attach_init(&a, "fine", ESHM_ROLE_AUTO, 100, 64);
	memset(buf, 0xa5, 300);
	expect_status(buf, 300, PROTO_VERSION, ESHM_ERROR_PROTOCOL, false);
	len = build(buf, PROTO_MAGIC ^ 1, PROTO_VERSION, PROTO_REQ_ATTACH, sizeof(a), &a, sizeof(a));
	expect_status(buf, len, PROTO_VERSION, ESHM_ERROR_PROTOCOL, false);
	/* truncated body, with the header claiming all of it */
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_ATTACH, sizeof(a), &a, 100);
	expect_status(buf, len, PROTO_VERSION, ESHM_ERROR_PROTOCOL, false);
	/* truncated body, honestly announced */
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_ATTACH, 100, &a, 100);
	expect_status(buf, len, PROTO_VERSION, ESHM_ERROR_PROTOCOL, false);
	/* unterminated name */
	memset(a.name, 'n', sizeof(a.name));
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_ATTACH, sizeof(a), &a, sizeof(a));
	expect_status(buf, len, PROTO_VERSION, ESHM_ERROR_PROTOCOL, false);
	/* larger than any datagram of the protocol */
	memset(buf, 0, sizeof(buf));
	build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_STATUS, 0, NULL, 0);
	expect_status(buf, PROTO_MSG_MAX + 512, PROTO_VERSION, ESHM_ERROR_PROTOCOL, false);
	assert_int_equal(kill(daemon_.pid, 0), 0);
}

static void
version_1_request_answered_in_version_1_framing_then_closed(void **state)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_attach a;
	const struct proto_status *st;
	int fd = connect_daemon();
	size_t len;
	ssize_t n;

	rc_attach_init(&a, "old", ESHM_ROLE_AUTO, 100, 64);
	len = build(buf, PROTO_MAGIC, 1, PROTO_REQ_ATTACH, sizeof(a), &a, sizeof(a));
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	n = recv_one(fd, buf, NULL);
	assert_int_equal(n, sizeof(struct proto_hdr) + sizeof(struct proto_status));
	assert_int_equal(((struct proto_hdr *)buf)->version, 1);
	assert_int_equal(((struct proto_hdr *)buf)->type, PROTO_REP_STATUS);
	assert_int_equal(((struct proto_hdr *)buf)->id, 42);
	st = (const void *)(buf + sizeof(struct proto_hdr));
	assert_int_equal(st->status, ESHM_ERROR_VERSION_MISMATCH);
	print_message("# %s\n", st->message);
	assert_non_null(strstr(st->message, "version 1"));
	assert_non_null(strstr(st->message, "version 2"));
	assert_int_equal(recv_one(fd, buf, NULL), 0);
	close(fd);
	/* a future version too, in its own framing */
	len = build(buf, PROTO_MAGIC, PROTO_VERSION + 1, PROTO_REQ_STATUS, 0, NULL, 0);
	expect_status(buf, len, PROTO_VERSION + 1, ESHM_ERROR_VERSION_MISMATCH, false);
}

static void
unknown_request_type_refused_and_connection_kept(void **state)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_status st = {0};
	size_t len;

	len = build(buf, PROTO_MAGIC, PROTO_VERSION, 77, 0, NULL, 0);
	expect_status(buf, len, PROTO_VERSION, ESHM_ERROR_PROTOCOL, true);
	/* a reply type sent as a request */
	len = build(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REP_STATUS, sizeof(st), &st, sizeof(st));
	expect_status(buf, len, PROTO_VERSION, ESHM_ERROR_PROTOCOL, true);
}

static void
hello_offers_its_capabilities_and_limits(void **state)
{
	struct proto_hello_reply h;

	assert_int_equal(rc_hello(bystander, ~0ull, &h), ESHM_SUCCESS);
	assert_int_equal(h.layout_version, SEG_LAYOUT_VERSION);
	assert_int_equal(h.caps, PROTO_CAP_PEER_PIDFD | PROTO_CAP_TAKEOVER | PROTO_CAP_QUEUE |
	                                 PROTO_CAP_OBSERVER | PROTO_CAP_TIMESTAMPS |
	                                 PROTO_CAP_EVENTS | PROTO_CAP_PROXY | PROTO_CAP_STAND_IN |
	                                 PROTO_CAP_OBSERVER_LIST);
	assert_int_equal(h.max_capacity, SEG_CAPACITY_MAX);
	assert_int_equal(h.max_queue_depth, SEG_QUEUE_DEPTH_MAX);
	assert_int_equal(h.max_observers, 8);
	assert_true(h.version[0] != '\0');
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
	struct proto_fds got;
	int fd = connect_daemon();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(rc_attach_simple(fd, names[i], ESHM_ROLE_AUTO, &r, &got),
		                 ESHM_ERROR_NAME_INVALID);
		assert_int_equal(got.n, 0);
	}
	memset(long_name, 'a', 201);
	long_name[201] = '\0';
	assert_int_equal(rc_attach_simple(fd, long_name, ESHM_ROLE_AUTO, &r, &got),
	                 ESHM_ERROR_NAME_INVALID);
	/* 200 bytes is still a name: the same connection is served */
	long_name[200] = '\0';
	assert_int_equal(rc_attach_simple(fd, long_name, ESHM_ROLE_AUTO, &r, &got), ESHM_SUCCESS);
	assert_int_equal(got.n, 2);
	proto_fds_close(&got);
	close(fd);
	bystander_is_served();
}

static int
attach_with(int fd, void (*edit)(struct proto_attach *), struct proto_fds *got)
{
	struct proto_attach a;
	struct proto_attach_reply r;

	rc_attach_init(&a, "bad_values", ESHM_ROLE_AUTO, 100, 64);
	edit(&a);
	return rc_attach(fd, PROTO_REQ_ATTACH, &a, NULL, &r, got);
}

static void e_role(struct proto_attach *a) { a->role = 3; }
static void e_role_max(struct proto_attach *a) { a->role = 0xffffffffu; }
static void e_thr0(struct proto_attach *a) { a->stale_threshold_ms = 0; }
static void e_thr_big(struct proto_attach *a) { a->stale_threshold_ms = 600001; }
static void e_cap0(struct proto_attach *a) { a->capacity = 0; }
static void e_mode(struct proto_attach *a) { a->mode = 2; }
static void e_depth_latest(struct proto_attach *a) { a->queue_depth = 4; }
static void e_depth0(struct proto_attach *a) { a->mode = SEG_MODE_QUEUE; }
static void e_depth_big(struct proto_attach *a) { a->mode = SEG_MODE_QUEUE; a->queue_depth = 65537; }
static void e_flags(struct proto_attach *a) { a->flags = 0x80; }
static void e_disc(struct proto_attach *a) { a->disconnect_behavior = 3; }
static void e_fds(struct proto_attach *a) { a->fds = PROTO_FD_STATUS; }
static void e_cap_big(struct proto_attach *a) { a->capacity = SEG_CAPACITY_MAX + 1ull; }
static void e_cap_max(struct proto_attach *a) { a->capacity = UINT64_MAX; }

static void
bad_role_threshold_capacity_and_mode_get_their_errors(void **state)
{
	void (*const invalid[])(struct proto_attach *) = {
		e_role, e_role_max, e_thr0, e_thr_big, e_cap0, e_mode, e_depth_latest, e_depth0,
		e_depth_big, e_flags, e_disc, e_fds,
	};
	struct proto_segment_info info;
	struct proto_fds got;
	int fd = connect_daemon();
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		assert_int_equal(attach_with(fd, invalid[i], &got), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(attach_with(fd, e_cap_big, &got), ESHM_ERROR_LIMIT);
	assert_int_equal(attach_with(fd, e_cap_max, &got), ESHM_ERROR_LIMIT);
	/* nothing was created by any of them */
	assert_int_equal(rc_show(fd, "bad_values", &info), ESHM_ERROR_NOT_FOUND);
	bystander_is_served();
	close(fd);
}

static void
create_show_list_remove_basics_and_nothing_in_dev_shm(void **state)
{
	struct proto_segment_info info;
	struct seg_geometry g;
	bool found;

	assert_int_equal(rc_create(bystander, "basic", 1000, PROTO_ATTACH_TIMESTAMPS), ESHM_SUCCESS);
	assert_int_equal(rc_create(bystander, "basic", 1000, 0), ESHM_ERROR_EXISTS);
	assert_int_equal(rc_show(bystander, "basic", &info), ESHM_SUCCESS);
	assert_string_equal(info.name, "basic");
	assert_int_equal(info.capacity, 1000);
	assert_int_equal(info.layout_version, SEG_LAYOUT_VERSION);
	assert_int_equal(info.owner_uid, getuid());
	assert_int_equal(info.flags, SEG_FLAG_TIMESTAMPS);
	assert_int_equal(info.mode, SEG_MODE_LATEST);
	assert_int_equal(seg_geometry(1000, SEG_MODE_LATEST, 0, SEG_FLAG_TIMESTAMPS, &g), 0);
	assert_int_equal(info.slots, 32); /* 1 KiB slots: 32 fit in SEG_LATEST_BYTES */
	assert_int_equal(info.bytes, seg_cost(&g));
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_DETACHED);
	assert_int_equal(info.endpoint[SEG_SLAVE].state, SEG_EP_DETACHED);
	assert_int_equal(info.channel[SEG_MASTER].head, 0);
	assert_true(info.generation != 0);
	assert_true(rc_list(bystander, "basic", &found) >= 1);
	assert_true(found);
	assert_int_equal(rc_remove(bystander, "basic", false), ESHM_SUCCESS);
	assert_int_equal(rc_show(bystander, "basic", &info), ESHM_ERROR_NOT_FOUND);
	assert_int_equal(rc_remove(bystander, "basic", false), ESHM_ERROR_NOT_FOUND);
	rc_list(bystander, "basic", &found);
	assert_false(found);
	assert_int_equal(th_shm_count(daemon_.prefix), 0);
}

/* The access mode of the open file description of @fd. */
static int
acc_mode(int fd)
{
	return fcntl(fd, F_GETFL) & O_ACCMODE;
}

static void
attach_passes_status_own_and_peer_blocks_and_the_peers_pidfd(void **state)
{
	struct proto_attach_reply r;
	struct proto_fds fm, fs;
	struct seg_mapping st;
	struct seg_geometry g;
	struct stat own_m, peer_s;
	int m = connect_daemon(), s = connect_daemon();

	assert_int_equal(rc_attach_simple(m, "blocks", ESHM_ROLE_MASTER, &r, &fm), ESHM_SUCCESS);
	assert_int_equal(r.role, ESHM_ROLE_MASTER);
	assert_int_equal(r.incarnation, 1);
	assert_int_equal(r.fds, PROTO_FD_STATUS | PROTO_FD_OWN);
	assert_int_equal(r.peer_pid, 0);
	assert_int_equal(fm.n, 2);
	assert_int_equal(acc_mode(proto_fds_get(&fm, r.fds, PROTO_FD_STATUS)), O_RDONLY);
	assert_int_equal(acc_mode(proto_fds_get(&fm, r.fds, PROTO_FD_OWN)), O_RDWR);
	assert_int_equal(seg_map_status(proto_fds_get(&fm, r.fds, PROTO_FD_STATUS), false, &st, &g),
	                 ESHM_SUCCESS);
	assert_int_equal(g.capacity, 64);
	assert_int_equal(seg_status_of(&st)->ident.generation, r.generation);
	assert_int_equal(seg_state_load(&seg_status_of(&st)->verdict.state[SEG_MASTER]),
	                 SEG_EP_ALIVE);

	assert_int_equal(rc_attach_simple(s, "blocks", ESHM_ROLE_AUTO, &r, &fs), ESHM_SUCCESS);
	assert_int_equal(r.role, ESHM_ROLE_SLAVE);
	assert_int_equal(r.fds, PROTO_FD_STATUS | PROTO_FD_OWN | PROTO_FD_PEER |
	                                (th_expect_pidfds() ? PROTO_FD_PIDFD : 0));
	assert_int_equal(r.peer_incarnation, 1);
	assert_int_equal(r.peer_pid, th_expect_pidfds() ? getpid() : 0);
	assert_int_equal(fs.n, th_expect_pidfds() ? 4 : 3);
	assert_int_equal(acc_mode(proto_fds_get(&fs, r.fds, PROTO_FD_PEER)), O_RDONLY);
	/* the peer's block is the master's own block, read-only */
	assert_int_equal(fstat(proto_fds_get(&fm, PROTO_FD_STATUS | PROTO_FD_OWN, PROTO_FD_OWN),
	                       &own_m), 0);
	assert_int_equal(fstat(proto_fds_get(&fs, r.fds, PROTO_FD_PEER), &peer_s), 0);
	assert_int_equal(own_m.st_ino, peer_s.st_ino);
	assert_int_equal(own_m.st_size, g.block_size);
	assert_int_equal(own_m.st_mode & 0777, 0600);
	/* the pidfd is of the peer's process: it is not readable while it runs */
	if (th_expect_pidfds()) {
		struct pollfd p = {proto_fds_get(&fs, r.fds, PROTO_FD_PIDFD), POLLIN, 0};

		assert_int_equal(poll(&p, 1, 0), 0);
	}
	assert_int_equal(seg_state_load(&seg_status_of(&st)->verdict.state[SEG_SLAVE]), SEG_EP_ALIVE);
	seg_unmap(&st);
	proto_fds_close(&fm);
	proto_fds_close(&fs);
	close(m);
	close(s);
	/* still held: only a detach or the process's exit frees them */
	assert_int_equal(rc_remove(bystander, "blocks", true), ESHM_SUCCESS);
}

static void
held_role_is_role_taken_naming_the_holders_pid_and_state(void **state)
{
	struct proto_attach_reply r;
	struct proto_fds f;
	char msg[PROTO_TEXT_SIZE], want[64];
	struct proto_attach a;
	int a_fd = connect_daemon(), b = connect_daemon(), c = connect_daemon();

	assert_int_equal(rc_attach_simple(a_fd, "roles", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	proto_fds_close(&f);
	rc_attach_init(&a, "roles", ESHM_ROLE_MASTER, 100, 64);
	assert_int_equal(proto_call(b, PROTO_REQ_ATTACH, &a, NULL, PROTO_REP_ATTACH, &r, NULL, msg,
	                            RC_TIMEOUT_MS),
	                 ESHM_ERROR_ROLE_TAKEN);
	print_message("# %s\n", msg);
	snprintf(want, sizeof(want), "pid %d", (int)getpid());
	assert_non_null(strstr(msg, want));
	assert_true(strstr(msg, "alive") != NULL || strstr(msg, "stale") != NULL);
	assert_int_equal(rc_attach_simple(b, "roles", ESHM_ROLE_AUTO, &r, &f), ESHM_SUCCESS);
	assert_int_equal(r.role, ESHM_ROLE_SLAVE);
	proto_fds_close(&f);
	assert_int_equal(rc_attach_simple(c, "roles", ESHM_ROLE_AUTO, &r, &f),
	                 ESHM_ERROR_ROLE_TAKEN);
	assert_int_equal(rc_attach_simple(c, "roles", ESHM_ROLE_SLAVE, &r, &f),
	                 ESHM_ERROR_ROLE_TAKEN);
	assert_int_equal(rc_remove(c, "roles", false), ESHM_ERROR_BUSY);
	/* one connection holds one endpoint */
	assert_int_equal(rc_attach_simple(a_fd, "roles2", ESHM_ROLE_MASTER, &r, &f),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(rc_remove(c, "roles", true), ESHM_SUCCESS);
	close(a_fd);
	close(b);
	close(c);
}

static void
every_attach_gets_a_fresh_block_and_the_peer_is_told(void **state)
{
	struct proto_attach_reply r;
	struct proto_peer p;
	struct proto_fds fm, f1, f2, got;
	struct stat s1, s2, told;
	int m = connect_daemon(), s = connect_daemon(), s2fd = connect_daemon();

	assert_int_equal(rc_attach_simple(m, "fresh", ESHM_ROLE_MASTER, &r, &fm), ESHM_SUCCESS);
	assert_int_equal(rc_attach_simple(s, "fresh", ESHM_ROLE_SLAVE, &r, &f1), ESHM_SUCCESS);
	assert_int_equal(r.incarnation, 1);
	assert_int_equal(fstat(proto_fds_get(&f1, r.fds, PROTO_FD_OWN), &s1), 0);
	/* the master hears of the slave's block */
	assert_true(rc_wait_datagram(m, PROTO_NTF_PEER, &p, &got, RC_TIMEOUT_MS));
	assert_int_equal(p.role, ESHM_ROLE_SLAVE);
	assert_int_equal(p.incarnation, 1);
	assert_int_equal(p.fds, PROTO_FD_PEER | (th_expect_pidfds() ? PROTO_FD_PIDFD : 0));
	assert_int_equal(p.pid, th_expect_pidfds() ? getpid() : 0);
	assert_int_equal(got.n, th_expect_pidfds() ? 2 : 1);
	assert_int_equal(acc_mode(got.fd[0]), O_RDONLY);
	assert_int_equal(fstat(got.fd[0], &told), 0);
	assert_int_equal(told.st_ino, s1.st_ino);
	proto_fds_close(&got);

	/* a new slave never gets the old one's block */
	assert_int_equal(rc_detach(s, "fresh"), ESHM_SUCCESS);
	assert_int_equal(rc_attach_simple(s2fd, "fresh", ESHM_ROLE_SLAVE, &r, &f2), ESHM_SUCCESS);
	assert_int_equal(r.incarnation, 2);
	/* until it switches, the new slave reads the master's current block */
	assert_true(r.fds & PROTO_FD_PEER);
	assert_int_equal(fstat(proto_fds_get(&f2, r.fds, PROTO_FD_OWN), &s2), 0);
	assert_true(s2.st_ino != s1.st_ino);
	assert_true(rc_wait_datagram(m, PROTO_NTF_PEER, &p, &got, RC_TIMEOUT_MS));
	assert_int_equal(p.incarnation, 2);
	assert_int_equal(fstat(got.fd[0], &told), 0);
	assert_int_equal(told.st_ino, s2.st_ino);
	proto_fds_close(&got);
	proto_fds_close(&fm);
	proto_fds_close(&f1);
	proto_fds_close(&f2);
	assert_int_equal(rc_remove(bystander, "fresh", true), ESHM_SUCCESS);
	close(m);
	close(s);
	close(s2fd);
}

static void
detach_frees_the_role_before_its_reply(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_fds f;
	int a = connect_daemon(), b = connect_daemon();

	assert_int_equal(rc_attach_simple(a, "detach", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	proto_fds_close(&f);
	assert_int_equal(rc_detach(a, "detach"), ESHM_SUCCESS);
	/* no waiting: the role is free as soon as the reply came */
	assert_int_equal(rc_show(bystander, "detach", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_DETACHED);
	assert_int_equal(rc_attach_simple(b, "detach", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	proto_fds_close(&f);
	/* a detach of what this connection does not hold is refused */
	assert_int_equal(rc_detach(a, "detach"), ESHM_ERROR_NOT_FOUND);
	assert_int_equal(rc_remove(bystander, "detach", true), ESHM_SUCCESS);
	close(a);
	close(b);
}

static void
hangup_without_death_keeps_the_role_and_reattach_gets_it_back(void **state)
{
	struct proto_attach_reply r, r2;
	struct proto_segment_info info;
	struct proto_attach a;
	struct proto_fds f, back, got, fs;
	struct proto_peer p;
	int m = connect_daemon(), s = connect_daemon(), m2;

	rc_attach_init(&a, "hangup", ESHM_ROLE_MASTER, 600000, 64);
	assert_int_equal(rc_attach(m, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	close(m);
	usleep(300000);
	assert_int_equal(rc_show(bystander, "hangup", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_ALIVE);
	assert_int_equal(info.endpoint[SEG_MASTER].pid, getpid());
	/* the role is still taken */
	assert_int_equal(rc_attach_simple(s, "hangup", ESHM_ROLE_MASTER, &r2, &fs),
	                 ESHM_ERROR_ROLE_TAKEN);
	assert_int_equal(rc_attach_simple(s, "hangup", ESHM_ROLE_SLAVE, &r2, &fs), ESHM_SUCCESS);

	/* the same process comes back with its blocks */
	m2 = connect_daemon();
	a.fds = PROTO_FD_STATUS | PROTO_FD_OWN;
	a.generation = r.generation;
	a.incarnation = r.incarnation;
	proto_fds_init(&back);
	back.fd[0] = proto_fds_get(&f, r.fds, PROTO_FD_STATUS);
	back.fd[1] = proto_fds_get(&f, r.fds, PROTO_FD_OWN);
	back.n = 2;
	assert_int_equal(rc_attach(m2, PROTO_REQ_REATTACH, &a, &back, &r2, &got), ESHM_SUCCESS);
	assert_int_equal(r2.role, ESHM_ROLE_MASTER);
	assert_int_equal(r2.incarnation, r.incarnation);
	assert_true(r2.fds & PROTO_FD_PEER);
	proto_fds_close(&got);
	/* and hears of its current peer again */
	assert_true(rc_wait_datagram(m2, PROTO_NTF_PEER, &p, &got, RC_TIMEOUT_MS));
	assert_int_equal(p.role, ESHM_ROLE_SLAVE);
	proto_fds_close(&got);
	proto_fds_close(&f);
	proto_fds_close(&fs);
	assert_int_equal(rc_detach(m2, "hangup"), ESHM_SUCCESS);
	assert_int_equal(rc_remove(bystander, "hangup", true), ESHM_SUCCESS);
	close(m2);
	close(s);
}

/* State of the master of @name as SHOW tells it, or -1. */
static int
master_state(const char *name)
{
	struct proto_segment_info info;

	if (rc_show(bystander, name, &info) != ESHM_SUCCESS)
		return -1;
	return (int)info.endpoint[SEG_MASTER].state;
}

static void
hangup_without_reattach_releases_the_role_after_ten_seconds(void **state)
{
	struct proto_attach_reply r;
	struct proto_attach a;
	struct proto_fds f;
	long long t0;
	int m = connect_daemon(), s;

	rc_attach_init(&a, "unlinked", ESHM_ROLE_MASTER, 600000, 64);
	assert_int_equal(rc_attach(m, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	proto_fds_close(&f);
	close(m);
	t0 = th_now_ns();
	/* held a while: the library would be reattaching now */
	usleep(5000000);
	assert_int_equal(master_state("unlinked"), SEG_EP_ALIVE);
	while (master_state("unlinked") == SEG_EP_ALIVE && th_now_ns() - t0 < 20000000000LL)
		usleep(100000);
	printf("# released %.1f s after the hang-up\n", (double)(th_now_ns() - t0) / 1e9);
	assert_int_equal(master_state("unlinked"), SEG_EP_DETACHED);
	assert_true(th_now_ns() - t0 >= 9000000000LL);
	/* the role is free for anyone */
	s = connect_daemon();
	assert_int_equal(rc_attach_simple(s, "unlinked", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	proto_fds_close(&f);
	assert_int_equal(rc_remove(bystander, "unlinked", true), ESHM_SUCCESS);
	close(s);
}

/*
 * A child that attaches @name as master (a threshold that never expires),
 * forks a grandchild that keeps the connection and sleeps, tells the
 * grandchild's pid through @pipefd, and exits.
 */
static int
attach_fork_and_exit(const char *name, int pipefd)
{
	struct proto_attach_reply r;
	struct proto_attach a;
	struct proto_fds f;
	int fd = proto_connect(daemon_.sock);
	pid_t g;

	rc_attach_init(&a, name, ESHM_ROLE_MASTER, 600000, 64);
	if (fd < 0 || rc_attach(fd, PROTO_REQ_ATTACH, &a, NULL, &r, &f) != ESHM_SUCCESS)
		return 1;
	g = fork();
	if (g == 0) {
		for (;;)
			pause();
	}
	if (write(pipefd, &g, sizeof(g)) != sizeof(g))
		return 2;
	return 0;
}

struct fork_arg {
	const char *name;
	int pipefd;
};

static int
fork_child(void *arg)
{
	struct fork_arg *fa = arg;

	return attach_fork_and_exit(fa->name, fa->pipefd);
}

static void
death_by_pidfd_while_a_forked_child_keeps_the_connection(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_fds f;
	int p[2], b = connect_daemon();
	struct fork_arg fa = {"forked", 0};
	pid_t child, grandchild = -1;
	long long t0;

	assert_int_equal(pipe(p), 0);
	fa.pipefd = p[1];
	t0 = th_now_ns();
	child = th_spawn(fork_child, &fa);
	assert_int_equal(read(p[0], &grandchild, sizeof(grandchild)), sizeof(grandchild));
	assert_int_equal(th_wait_child(child), 0);
	/* the connection is still open (the grandchild holds it), yet the
	 * process that held the role is gone: dead, at once */
	assert_true(rc_wait_state(bystander, "forked", SEG_MASTER, SEG_EP_DEAD, 2000));
	print_message("# dead %lld ms after the fork\n", (th_now_ns() - t0) / 1000000);
	assert_int_equal(kill(grandchild, 0), 0);
	assert_int_equal(rc_show(bystander, "forked", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].pid, child);
	/* the role is free */
	assert_int_equal(rc_attach_simple(b, "forked", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	proto_fds_close(&f);
	kill(grandchild, SIGKILL);
	waitpid(grandchild, NULL, 0);
	assert_int_equal(rc_remove(bystander, "forked", true), ESHM_SUCCESS);
	close(b);
	close(p[0]);
	close(p[1]);
}

/* A child that attaches as master, starts message 1 and is killed mid-write. */
static int
half_write_child(void *arg)
{
	struct proto_attach_reply r;
	struct proto_fds f;
	struct seg_mapping st, own;
	struct seg_geometry g;
	int fd = proto_connect(daemon_.sock);

	if (fd < 0 || rc_attach_simple(fd, arg, ESHM_ROLE_MASTER, &r, &f) != ESHM_SUCCESS)
		return 1;
	if (seg_map_status(proto_fds_get(&f, r.fds, PROTO_FD_STATUS), false, &st, &g) != 0 ||
	    seg_map_block(proto_fds_get(&f, r.fds, PROTO_FD_OWN), &g, false, true, &own) != 0)
		return 2;
	/* message 1, slot 1: sequence 2*1 - 1, never completed */
	atomic_store(&seg_slot_at(seg_block_of(&own), &g, 1)->seq, 1);
	if (write(STDOUT_FILENO, "", 0) < 0)
		return 3;
	for (;;)
		pause();
}

static void
a_half_written_message_of_a_dead_writer_is_voided(void **state)
{
	struct proto_peek_reply pr;
	struct proto_fds f;
	struct seg_mapping st, mb;
	struct seg_geometry g;
	pid_t child = th_spawn(half_write_child, "torn");
	int fd;

	assert_true(rc_wait_state(bystander, "torn", SEG_MASTER, SEG_EP_ALIVE, 5000));
	assert_int_equal(rc_peek(bystander, "torn", &pr, &f), ESHM_SUCCESS);
	fd = proto_fds_get(&f, pr.fds, PROTO_FD_STATUS);
	assert_int_equal(seg_map_status(fd, false, &st, &g), 0);
	assert_int_equal(seg_map_block(proto_fds_get(&f, pr.fds, PROTO_FD_MASTER), &g, false, false,
	                               &mb), 0);
	/* wait for the child to have written its odd sequence */
	for (int i = 0; i < 5000 && atomic_load(&seg_slot_at(seg_block_of(&mb), &g, 1)->seq) != 1;
	     i++)
		usleep(1000);
	assert_int_equal(atomic_load(&seg_slot_at(seg_block_of(&mb), &g, 1)->seq), 1);
	kill(child, SIGKILL);
	th_wait_child(child);
	assert_true(rc_wait_state(bystander, "torn", SEG_MASTER, SEG_EP_DEAD, 2000));
	assert_int_equal(atomic_load(&seg_slot_at(seg_block_of(&mb), &g, 1)->seq),
	                 2 | SEG_SEQ_VOID);
	assert_int_equal(seg_state_load(&seg_status_of(&st)->verdict.state[SEG_MASTER]),
	                 SEG_EP_DEAD);
	seg_unmap(&mb);
	seg_unmap(&st);
	proto_fds_close(&f);
	assert_int_equal(rc_remove(bystander, "torn", true), ESHM_SUCCESS);
}

static void
takeover_of_a_holder_stale_for_takeover_ms(void **state)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_attach a;
	struct proto_fds f, f2;
	char msg[PROTO_TEXT_SIZE];
	int old = connect_daemon(), new = connect_daemon();

	/* a holder that never beats: stale after its 50 ms */
	rc_attach_init(&a, "takeover", ESHM_ROLE_MASTER, 50, 64);
	assert_int_equal(rc_attach(old, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	a.takeover_ms = 400;
	assert_int_equal(proto_call(new, PROTO_REQ_ATTACH, &a, NULL, PROTO_REP_ATTACH, &r, NULL, msg,
	                            RC_TIMEOUT_MS),
	                 ESHM_ERROR_ROLE_TAKEN);
	assert_true(rc_wait_state(bystander, "takeover", SEG_MASTER, SEG_EP_STALE, 2000));
	assert_int_equal(proto_call(new, PROTO_REQ_ATTACH, &a, NULL, PROTO_REP_ATTACH, &r, NULL, msg,
	                            RC_TIMEOUT_MS),
	                 ESHM_ERROR_ROLE_TAKEN);
	print_message("# before takeover_ms: %s\n", msg);
	assert_non_null(strstr(msg, "stale"));
	usleep(450000);
	assert_int_equal(rc_attach(new, PROTO_REQ_ATTACH, &a, NULL, &r, &f2), ESHM_SUCCESS);
	assert_int_equal(r.incarnation, 2);
	/* the old holder's connection is closed */
	assert_int_equal(recv_one(old, buf, NULL), 0);
	assert_int_equal(rc_show(bystander, "takeover", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_ALIVE);
	assert_int_equal(info.endpoint[SEG_MASTER].incarnation, 2);
	proto_fds_close(&f);
	proto_fds_close(&f2);
	assert_int_equal(rc_remove(bystander, "takeover", true), ESHM_SUCCESS);
	close(old);
	close(new);
}

static void
forced_remove_revokes_and_closes_holders(void **state)
{
	_Alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_attach_reply r;
	struct proto_fds f;
	struct seg_mapping st;
	struct seg_geometry g;
	int a = connect_daemon();

	assert_int_equal(rc_attach_simple(a, "revoke", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	assert_int_equal(seg_map_status(proto_fds_get(&f, r.fds, PROTO_FD_STATUS), false, &st, &g),
	                 ESHM_SUCCESS);
	assert_int_equal(rc_remove(bystander, "revoke", false), ESHM_ERROR_BUSY);
	assert_int_equal(rc_remove(bystander, "revoke", true), ESHM_SUCCESS);
	assert_true(atomic_load(&seg_status_of(&st)->verdict.flags) & SEG_VERDICT_REVOKED);
	assert_int_equal(seg_state_load(&seg_status_of(&st)->verdict.state[SEG_MASTER]),
	                 SEG_EP_DETACHED);
	/* its connection is closed: the hang-up tells the library at once */
	assert_int_equal(recv_one(a, buf, NULL), 0);
	seg_unmap(&st);
	proto_fds_close(&f);
	close(a);
}

static void
peek_passes_read_only_blocks(void **state)
{
	struct proto_peek_reply pr;
	struct proto_attach_reply r;
	struct proto_fds f, fm;
	struct seg_mapping st;
	struct seg_geometry g;
	int m = connect_daemon();

	assert_int_equal(rc_create(bystander, "peek", 256, 0), ESHM_SUCCESS);
	assert_int_equal(rc_peek(bystander, "peek", &pr, &f), ESHM_SUCCESS);
	assert_int_equal(pr.fds, PROTO_FD_STATUS);
	assert_int_equal(f.n, 1);
	assert_int_equal(acc_mode(f.fd[0]), O_RDONLY);
	assert_int_equal(seg_map_status(f.fd[0], false, &st, &g), ESHM_SUCCESS);
	assert_int_equal(g.capacity, 256);
	seg_unmap(&st);
	proto_fds_close(&f);
	assert_int_equal(rc_attach_simple(m, "peek", ESHM_ROLE_MASTER, &r, &fm), ESHM_SUCCESS);
	assert_int_equal(rc_peek(bystander, "peek", &pr, &f), ESHM_SUCCESS);
	assert_int_equal(pr.fds, PROTO_FD_STATUS | PROTO_FD_MASTER);
	assert_int_equal(pr.incarnation[SEG_MASTER], 1);
	assert_int_equal(acc_mode(proto_fds_get(&f, pr.fds, PROTO_FD_MASTER)), O_RDONLY);
	proto_fds_close(&f);
	proto_fds_close(&fm);
	assert_int_equal(rc_peek(bystander, "no_such", &pr, &f), ESHM_ERROR_NOT_FOUND);
	assert_int_equal(f.n, 0);
	assert_int_equal(rc_remove(bystander, "peek", true), ESHM_SUCCESS);
	close(m);
}

static bool
no_observer_listed(void *name)
{
	struct proto_observers_reply o;

	return rc_observers(bystander, name, &o) == ESHM_SUCCESS && o.count == 0;
}

static void
observers_listed_with_their_counts_as_they_wrote_them(void **state)
{
	struct proto_observers_reply o;
	struct proto_attach_reply r;
	struct proto_attach a;
	struct proto_fds fo;
	struct seg_reader *rd;
	int obs = connect_daemon(), own;

	assert_int_equal(rc_create(bystander, "watched", 64, 0), ESHM_SUCCESS);
	assert_int_equal(rc_observers(bystander, "watched", &o), ESHM_SUCCESS);
	assert_int_equal(o.count, 0);
	rc_attach_init(&a, "watched", ESHM_ROLE_OBSERVER, 100, 64);
	a.observed = ESHM_ROLE_SLAVE;
	assert_int_equal(rc_attach(obs, PROTO_REQ_ATTACH, &a, NULL, &r, &fo), ESHM_SUCCESS);
	/* a vandal observer writes nonsense into its own counts: shown as
	 * they are, harming nobody */
	own = proto_fds_get(&fo, r.fds, PROTO_FD_OWN);
	rd = mmap(NULL, sizeof(*rd), PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
	assert_true(rd != MAP_FAILED);
	atomic_store(&rd->missed, UINT64_MAX);
	atomic_store(&rd->reads, 7);
	assert_int_equal(rc_observers(bystander, "watched", &o), ESHM_SUCCESS);
	assert_int_equal(o.count, 1);
	assert_int_equal(o.observer[0].pid, getpid());
	assert_int_equal(o.observer[0].uid, getuid());
	assert_int_equal(o.observer[0].observed, ESHM_ROLE_SLAVE);
	assert_int_equal(o.observer[0].slot, r.slot);
	assert_int_equal(o.observer[0].incarnation, r.incarnation);
	assert_int_equal(o.observer[0].read_count, 7);
	assert_true(o.observer[0].missed == UINT64_MAX);
	assert_non_null(memchr(o.observer[0].comm, '\0', sizeof(o.observer[0].comm)));
	munmap(rd, sizeof(*rd));
	proto_fds_close(&fo);
	/* its connection gone, it is gone */
	close(obs);
	assert_true(th_wait_until(no_observer_listed, "watched", 5000));
	assert_int_equal(rc_observers(bystander, "no_such", &o), ESHM_ERROR_NOT_FOUND);
	assert_int_equal(rc_remove(bystander, "watched", false), ESHM_SUCCESS);
	bystander_is_served();
}

static void
verdicts_judged_by_the_peers_threshold(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_attach a;
	struct proto_fds fm, fs;
	int m = connect_daemon(), s = connect_daemon();

	/* neither beats; the master tolerates 60 s of silence, the slave 80 ms */
	rc_attach_init(&a, "judged", ESHM_ROLE_MASTER, 60000, 64);
	assert_int_equal(rc_attach(m, PROTO_REQ_ATTACH, &a, NULL, &r, &fm), ESHM_SUCCESS);
	rc_attach_init(&a, "judged", ESHM_ROLE_SLAVE, 80, 64);
	assert_int_equal(rc_attach(s, PROTO_REQ_ATTACH, &a, NULL, &r, &fs), ESHM_SUCCESS);
	/* the master is judged by the slave's 80 ms, the slave by the master's 60 s */
	assert_true(rc_wait_state(bystander, "judged", SEG_MASTER, SEG_EP_STALE, 3000));
	assert_int_equal(rc_show(bystander, "judged", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].judged_ms, 80);
	assert_int_equal(info.endpoint[SEG_SLAVE].judged_ms, 60000);
	assert_int_equal(info.endpoint[SEG_SLAVE].state, SEG_EP_ALIVE);
	assert_true(info.endpoint[SEG_MASTER].silent_ms >= 80);
	proto_fds_close(&fm);
	proto_fds_close(&fs);
	assert_int_equal(rc_remove(bystander, "judged", true), ESHM_SUCCESS);
	close(m);
	close(s);
}

/* The state eshmd shows for role @index of @name, and whether a bridge holds it. */
static uint32_t
shown_state(const char *name, int index, bool *bridged)
{
	struct proto_segment_info info;

	assert_int_equal(rc_show(bystander, name, &info), ESHM_SUCCESS);
	*bridged = (info.endpoint[index].flags & PROTO_EP_BRIDGED) != 0;
	return info.endpoint[index].state;
}

static void
a_bridge_declares_the_remote_state_only_for_its_own_role(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_fds f;
	struct seg_mapping st, own;
	struct seg_geometry g;
	bool bridged;
	pid_t child;
	int m = connect_daemon(), other = connect_daemon(), i, status;

	(void)state;
	/* nobody holds the role yet */
	assert_int_equal(rc_proxy(m, "proxied", ESHM_ROLE_MASTER, SEG_EP_ALIVE, 7, "far"),
	                 ESHM_ERROR_NOT_FOUND);
	assert_int_equal(rc_attach_simple(m, "proxied", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	assert_int_equal(seg_map_status(proto_fds_get(&f, r.fds, PROTO_FD_STATUS), false, &st, &g), 0);
	assert_int_equal(seg_map_block(proto_fds_get(&f, r.fds, PROTO_FD_OWN), &g, false, true, &own),
	                 0);
	/* malformed declarations */
	assert_int_equal(rc_proxy(m, "proxied", 7, SEG_EP_ALIVE, 7, "far"),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(rc_proxy(m, "proxied", ESHM_ROLE_MASTER, 9, 7, "far"),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(rc_proxy(m, "proxied", ESHM_ROLE_MASTER, SEG_EP_ALIVE, 7, "far\nforged"),
	                 ESHM_ERROR_INVALID_PARAM);
	/* the slave's role is not this process's */
	assert_int_equal(rc_proxy(m, "proxied", ESHM_ROLE_SLAVE, SEG_EP_ALIVE, 7, "far"),
	                 ESHM_ERROR_PERMISSION);
	/* another process may not speak for the master, even as root */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd = proto_connect(daemon_.sock);

		_exit(rc_proxy(fd, "proxied", ESHM_ROLE_MASTER, SEG_EP_DEAD, 7, "far") ==
		              ESHM_ERROR_PERMISSION ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the holder, over any connection of its own, declares the remote stale */
	for (i = 0; i < 20; i++) {
		atomic_fetch_add(&seg_block_of(&own)->heartbeat, 1);
		usleep(1000);
	}
	assert_int_equal(rc_proxy(other, "proxied", ESHM_ROLE_MASTER, SEG_EP_STALE, 4242,
	                          "far.example"), ESHM_SUCCESS);
	assert_int_equal(shown_state("proxied", SEG_MASTER, &bridged), SEG_EP_STALE);
	assert_true(bridged);
	assert_int_equal(atomic_load(&seg_status_of(&st)->verdict.state[SEG_MASTER]), SEG_EP_STALE);
	assert_int_equal(rc_show(bystander, "proxied", &info), ESHM_SUCCESS);
	assert_int_equal(info.endpoint[SEG_MASTER].remote_pid, 4242);
	assert_string_equal(info.endpoint[SEG_MASTER].remote_host, "far.example");
	/* alive there, and the bridge beats: alive here */
	assert_int_equal(rc_proxy(m, "proxied", ESHM_ROLE_MASTER, SEG_EP_ALIVE, 4242,
	                          "far.example"), ESHM_SUCCESS);
	assert_int_equal(shown_state("proxied", SEG_MASTER, &bridged), SEG_EP_ALIVE);
	/* dead there: dead here, though the bridge lives */
	assert_int_equal(rc_proxy(m, "proxied", ESHM_ROLE_MASTER, SEG_EP_DEAD, 4242,
	                          "far.example"), ESHM_SUCCESS);
	assert_int_equal(shown_state("proxied", SEG_MASTER, &bridged), SEG_EP_DEAD);
	assert_int_equal(atomic_load(&seg_status_of(&st)->verdict.state[SEG_MASTER]), SEG_EP_DEAD);
	/* a bridge that stops beating is stale, whatever it declared */
	assert_int_equal(rc_proxy(m, "proxied", ESHM_ROLE_MASTER, SEG_EP_ALIVE, 4242,
	                          "far.example"), ESHM_SUCCESS);
	assert_true(rc_wait_state(bystander, "proxied", SEG_MASTER, SEG_EP_STALE, 5000));
	/* a new holder of the role is no bridge until it says so */
	assert_int_equal(rc_detach(m, "proxied"), ESHM_SUCCESS);
	proto_fds_close(&f);
	assert_int_equal(rc_attach_simple(m, "proxied", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	shown_state("proxied", SEG_MASTER, &bridged);
	assert_false(bridged);
	seg_unmap(&own);
	seg_unmap(&st);
	proto_fds_close(&f);
	assert_int_equal(rc_remove(bystander, "proxied", true), ESHM_SUCCESS);
	close(m);
	close(other);
	bystander_is_served();
}

static void
a_stand_in_shows_its_remote_stale_from_its_attach_until_it_declares(void **state)
{
	struct proto_attach_reply r;
	struct proto_attach a;
	struct proto_fds f;
	struct seg_mapping st, own;
	struct seg_geometry g;
	bool bridged;
	int m = connect_daemon(), i;

	(void)state;
	/* an observer stands in for nobody */
	rc_attach_init(&a, "standin", ESHM_ROLE_OBSERVER, 100, 64);
	a.flags = PROTO_ATTACH_STAND_IN;
	assert_int_equal(rc_attach(m, PROTO_REQ_ATTACH, &a, NULL, &r, &f),
	                 ESHM_ERROR_INVALID_PARAM);
	/* the verdict the peer reads is stale from the first one published */
	rc_attach_init(&a, "standin", ESHM_ROLE_MASTER, 100, 64);
	a.flags = PROTO_ATTACH_STAND_IN;
	assert_int_equal(rc_attach(m, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	assert_int_equal(seg_map_status(proto_fds_get(&f, r.fds, PROTO_FD_STATUS), false, &st, &g), 0);
	assert_int_equal(seg_map_block(proto_fds_get(&f, r.fds, PROTO_FD_OWN), &g, false, true, &own),
	                 0);
	assert_int_equal(atomic_load(&seg_status_of(&st)->verdict.state[SEG_MASTER]), SEG_EP_STALE);
	assert_int_equal(shown_state("standin", SEG_MASTER, &bridged), SEG_EP_STALE);
	assert_true(bridged);
	/* beating does not make it alive: only a declaration does */
	for (i = 0; i < 50; i++) {
		atomic_fetch_add(&seg_block_of(&own)->heartbeat, 1);
		usleep(1000);
	}
	assert_int_equal(shown_state("standin", SEG_MASTER, &bridged), SEG_EP_STALE);
	assert_int_equal(rc_proxy(m, "standin", ESHM_ROLE_MASTER, SEG_EP_ALIVE, 31, "far"),
	                 ESHM_SUCCESS);
	assert_int_equal(shown_state("standin", SEG_MASTER, &bridged), SEG_EP_ALIVE);
	assert_int_equal(atomic_load(&seg_status_of(&st)->verdict.state[SEG_MASTER]), SEG_EP_ALIVE);
	seg_unmap(&own);
	seg_unmap(&st);
	proto_fds_close(&f);
	assert_int_equal(rc_remove(bystander, "standin", true), ESHM_SUCCESS);
	close(m);
	bystander_is_served();
}

static void
heartbeat_rate_shown_from_the_first_samples_zero_when_paused_true_when_resumed(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_attach a;
	struct proto_fds f;
	struct seg_mapping st, own;
	struct seg_geometry g;
	int m = connect_daemon(), i;
	long long t0;
	double beaten;

	rc_attach_init(&a, "rate", ESHM_ROLE_MASTER, 30, 64);
	assert_int_equal(rc_attach(m, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	assert_true(rc_wait_state(bystander, "rate", SEG_MASTER, SEG_EP_STALE, 3000));
	assert_int_equal(seg_map_status(proto_fds_get(&f, r.fds, PROTO_FD_STATUS), false, &st, &g), 0);
	assert_int_equal(seg_map_block(proto_fds_get(&f, r.fds, PROTO_FD_OWN), &g, false, true, &own),
	                 0);
	/* beat every millisecond for 300 ms: alive again, and a rate well
	 * before any one-second window closed */
	for (i = 0; i < 300; i++) {
		atomic_fetch_add(&seg_block_of(&own)->heartbeat, 1);
		usleep(1000);
	}
	assert_int_equal(rc_show(bystander, "rate", &info), ESHM_SUCCESS);
	print_message("# %llu beats/s after 300 beats\n",
	              (unsigned long long)info.endpoint[SEG_MASTER].heartbeat_rate);
	assert_int_equal(info.endpoint[SEG_MASTER].state, SEG_EP_ALIVE);
	assert_true(info.endpoint[SEG_MASTER].heartbeat_rate != PROTO_RATE_UNKNOWN);
	assert_true(info.endpoint[SEG_MASTER].heartbeat_rate > 100);
	assert_true(info.endpoint[SEG_MASTER].heartbeat >= 300);
	/* paused: stale, and a rate of 0, not what the last window held */
	assert_true(rc_wait_state(bystander, "rate", SEG_MASTER, SEG_EP_STALE, 3000));
	for (i = 0; i < 300; i++) {
		assert_int_equal(rc_show(bystander, "rate", &info), ESHM_SUCCESS);
		if (info.endpoint[SEG_MASTER].heartbeat_rate == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(info.endpoint[SEG_MASTER].heartbeat_rate, 0);
	/* resumed: the rate it beats at from the next samples on, not
	 * diluted by the pause */
	t0 = th_now_ns();
	for (i = 0; i < 100; i++) {
		atomic_fetch_add(&seg_block_of(&own)->heartbeat, 1);
		usleep(1000);
	}
	beaten = 100 * 1e9 / (double)(th_now_ns() - t0);
	assert_int_equal(rc_show(bystander, "rate", &info), ESHM_SUCCESS);
	print_message("# %llu beats/s shown after a resume at %.0f beats/s\n",
	              (unsigned long long)info.endpoint[SEG_MASTER].heartbeat_rate, beaten);
	assert_true(info.endpoint[SEG_MASTER].heartbeat_rate != PROTO_RATE_UNKNOWN);
	assert_true((double)info.endpoint[SEG_MASTER].heartbeat_rate >= beaten / 2);
	/* and the daemon line is stamped at every pass */
	assert_true(atomic_load(&seg_status_of(&st)->daemon.pass) > 0);
	assert_int_equal(atomic_load(&seg_status_of(&st)->daemon.pid), daemon_.pid);
	assert_int_equal(atomic_load(&seg_status_of(&st)->endpoint[SEG_MASTER].pid), getpid());
	seg_unmap(&own);
	seg_unmap(&st);
	proto_fds_close(&f);
	assert_int_equal(rc_remove(bystander, "rate", true), ESHM_SUCCESS);
	close(m);
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
	print_message("# silent connection closed after %lld ms\n", (th_now_ns() - t0) / 1000000);
	close(quiet);
	bystander_is_served();
}

/* Hold a lease on @path, ignoring SIGIO, until killed. */
static int
lease_holder(void *arg)
{
	int fd = open(arg, O_RDONLY);

	signal(SIGIO, SIG_IGN);
	if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK) < 0)
		return 1;
	for (;;)
		pause();
}

static void
planted_and_leased_files_in_dev_shm_change_nothing(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_fds f;
	char path[256];
	int fd, a = connect_daemon();
	pid_t holder;
	long long t0;

	snprintf(path, sizeof(path), "/dev/shm/%splanted", daemon_.prefix);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	holder = th_spawn(lease_holder, path);
	usleep(100000);
	assert_int_equal(kill(holder, 0), 0);
	t0 = th_now_ns();
	assert_int_equal(rc_show(bystander, "planted", &info), ESHM_ERROR_NOT_FOUND);
	assert_int_equal(rc_attach_simple(a, "planted", ESHM_ROLE_MASTER, &r, &f), ESHM_SUCCESS);
	assert_true(th_now_ns() - t0 < 1000000000LL);
	bystander_is_served();
	/* the planted file is untouched: eshmd never looked there */
	assert_int_equal(th_shm_count(daemon_.prefix), 1);
	kill(holder, SIGKILL);
	th_wait_child(holder);
	unlink(path);
	proto_fds_close(&f);
	assert_int_equal(rc_remove(bystander, "planted", true), ESHM_SUCCESS);
	close(a);
}

static void
segment_threshold_is_the_one_the_segment_was_created_with(void **state)
{
	struct proto_attach_reply r;
	struct proto_segment_info info;
	struct proto_create c;
	struct proto_status st;
	struct proto_attach a;
	struct proto_fds f;
	int x = connect_daemon(), y = connect_daemon(), z = connect_daemon();

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "own_default");
	c.stale_threshold_ms = 250;
	assert_int_equal(proto_call(bystander, PROTO_REQ_CREATE, &c, NULL, PROTO_REP_STATUS, &st,
	                            NULL, NULL, RC_TIMEOUT_MS),
	                 ESHM_SUCCESS);
	rc_attach_init(&a, "own_default", ESHM_ROLE_AUTO, 0, 64);
	a.flags = PROTO_ATTACH_SEGMENT_THRESHOLD;
	assert_int_equal(rc_attach(x, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	assert_int_equal(r.stale_threshold_ms, 250);
	proto_fds_close(&f);
	rc_attach_init(&a, "own_default", ESHM_ROLE_AUTO, 1234, 64);
	assert_int_equal(rc_attach(y, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	assert_int_equal(r.stale_threshold_ms, 1234);
	proto_fds_close(&f);
	assert_int_equal(rc_show(bystander, "own_default", &info), ESHM_SUCCESS);
	assert_int_equal(info.stale_threshold_ms, 250);
	assert_int_equal(info.endpoint[SEG_MASTER].stale_threshold_ms, 250);
	assert_int_equal(info.endpoint[SEG_SLAVE].stale_threshold_ms, 1234);
	/* created by the attach itself: eshmd's default_stale_threshold_ms */
	rc_attach_init(&a, "eshmd_default", ESHM_ROLE_AUTO, 0, 64);
	a.flags = PROTO_ATTACH_SEGMENT_THRESHOLD;
	assert_int_equal(rc_attach(z, PROTO_REQ_ATTACH, &a, NULL, &r, &f), ESHM_SUCCESS);
	assert_int_equal(r.stale_threshold_ms, 100);
	proto_fds_close(&f);
	/* both a threshold and the segment's: refused */
	a.stale_threshold_ms = 50;
	assert_int_equal(rc_attach(bystander, PROTO_REQ_ATTACH, &a, NULL, &r, &f),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(rc_remove(bystander, "own_default", true), ESHM_SUCCESS);
	assert_int_equal(rc_remove(bystander, "eshmd_default", true), ESHM_SUCCESS);
	close(x);
	close(y);
	close(z);
}

static int
teardown(void **state)
{
	close(bystander);
	assert_int_equal(th_daemon_cleanup(&daemon_), 0);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_datagrams_get_protocol_error_and_are_closed),
		cmocka_unit_test(version_1_request_answered_in_version_1_framing_then_closed),
		cmocka_unit_test(unknown_request_type_refused_and_connection_kept),
		cmocka_unit_test(hello_offers_its_capabilities_and_limits),
		cmocka_unit_test(invalid_names_refused_and_connection_kept),
		cmocka_unit_test(bad_role_threshold_capacity_and_mode_get_their_errors),
		cmocka_unit_test(create_show_list_remove_basics_and_nothing_in_dev_shm),
		cmocka_unit_test(attach_passes_status_own_and_peer_blocks_and_the_peers_pidfd),
		cmocka_unit_test(held_role_is_role_taken_naming_the_holders_pid_and_state),
		cmocka_unit_test(every_attach_gets_a_fresh_block_and_the_peer_is_told),
		cmocka_unit_test(detach_frees_the_role_before_its_reply),
		cmocka_unit_test(hangup_without_death_keeps_the_role_and_reattach_gets_it_back),
		cmocka_unit_test(hangup_without_reattach_releases_the_role_after_ten_seconds),
		cmocka_unit_test(death_by_pidfd_while_a_forked_child_keeps_the_connection),
		cmocka_unit_test(a_half_written_message_of_a_dead_writer_is_voided),
		cmocka_unit_test(takeover_of_a_holder_stale_for_takeover_ms),
		cmocka_unit_test(forced_remove_revokes_and_closes_holders),
		cmocka_unit_test(peek_passes_read_only_blocks),
		cmocka_unit_test(observers_listed_with_their_counts_as_they_wrote_them),
		cmocka_unit_test(verdicts_judged_by_the_peers_threshold),
		cmocka_unit_test(heartbeat_rate_shown_from_the_first_samples_zero_when_paused_true_when_resumed),
		cmocka_unit_test(a_bridge_declares_the_remote_state_only_for_its_own_role),
		cmocka_unit_test(a_stand_in_shows_its_remote_stale_from_its_attach_until_it_declares),
		cmocka_unit_test(silent_client_blocks_nobody_and_is_dropped),
		cmocka_unit_test(planted_and_leased_files_in_dev_shm_change_nothing),
		cmocka_unit_test(segment_threshold_is_the_one_the_segment_was_created_with),
	};

	return cmocka_run_group_tests_name("daemon_protocol", tests, setup, teardown);
}
