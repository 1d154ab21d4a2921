/*
 * test_proto.c - the control protocol: datagram validation, descriptor
 * passing, timeouts and hang-ups over a real SOCK_SEQPACKET pair, names.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "eshm.h"
#include "proto.h"

static long long
tp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct dgram {
	alignas(8) struct proto_hdr hdr;
	union {
		struct proto_attach attach;
		struct proto_status status;
		struct proto_segment_info seg;
		struct proto_status_reply daemon;
		struct proto_hello hello;
		struct proto_hello_reply hello_reply;
		struct proto_events events;
		struct proto_event event;
		struct proto_observers_reply observers;
		unsigned char raw[PROTO_MSG_MAX];
	} body;
};

static size_t
make(struct dgram *d, uint16_t type)
{
	memset(d, 0, sizeof(*d));
	d->hdr.magic = PROTO_MAGIC;
	d->hdr.version = PROTO_VERSION;
	d->hdr.type = type;
	d->hdr.length = (uint32_t)proto_body_size(type);
	d->hdr.id = 9;
	return sizeof(d->hdr) + d->hdr.length;
}

static void
every_type_has_a_body_size_and_fits_a_datagram(void **state)
{
	uint16_t types[] = {PROTO_REQ_ATTACH, PROTO_REQ_REATTACH, PROTO_REQ_DETACH,
	                    PROTO_REQ_STATUS, PROTO_REQ_LIST,     PROTO_REQ_SHOW,
	                    PROTO_REQ_CREATE, PROTO_REQ_REMOVE,   PROTO_REQ_PEEK,
	                    PROTO_REQ_HELLO,  PROTO_REP_STATUS,   PROTO_REP_ATTACH,
	                    PROTO_REP_DAEMON, PROTO_REP_SEGMENT,  PROTO_REP_DONE,
	                    PROTO_REP_HELLO,  PROTO_REP_PEEK,     PROTO_NTF_PEER,
	                    PROTO_NTF_OBSERVER, PROTO_REQ_EVENTS, PROTO_REQ_COUNTERS,
	                    PROTO_REP_EVENT,  PROTO_REP_COUNTERS, PROTO_REQ_OBSERVERS,
	                    PROTO_REP_OBSERVERS};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ssize_t n = proto_body_size(types[i]);

		assert_true(n >= 0);
		assert_true(sizeof(struct proto_hdr) + (size_t)n <= PROTO_MSG_MAX);
	}
	assert_int_equal(proto_body_size(PROTO_REQ_STATUS), 0);
	assert_int_equal(proto_body_size(0), -1);
	assert_int_equal(proto_body_size(99), -1);
	assert_int_equal(proto_body_size(PROTO_REQ_COUNTERS), 0);
	assert_int_equal(proto_body_size(110), -1);
	assert_int_equal(proto_body_size(202), -1);
}

static void
parse_accepts_well_formed_datagram(void **state)
{
	struct dgram d;
	const struct proto_hdr *hdr;
	const void *body;
	size_t len = make(&d, PROTO_REQ_ATTACH);

	strcpy(d.body.attach.name, "demo");
	assert_int_equal(proto_parse(&d, len, &hdr, &body), ESHM_SUCCESS);
	assert_ptr_equal(hdr, &d.hdr);
	assert_ptr_equal(body, &d.body);
	len = make(&d, PROTO_REQ_STATUS);
	assert_int_equal(proto_parse(&d, len, &hdr, &body), ESHM_SUCCESS);
}

static void
parse_rejects_bad_header_and_length(void **state)
{
	struct dgram d;
	size_t len = make(&d, PROTO_REQ_ATTACH);

	assert_int_equal(proto_parse(&d, sizeof(d.hdr) - 1, NULL, NULL), ESHM_ERROR_PROTOCOL);
	assert_int_equal(proto_parse(NULL, len, NULL, NULL), ESHM_ERROR_PROTOCOL);
	d.hdr.magic++;
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_ERROR_PROTOCOL);
	d.hdr.magic--;
	d.hdr.version = PROTO_VERSION + 1;
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_ERROR_VERSION_MISMATCH);
	/* Once the magic matched, the header is there for an answer in the
	 * sender's version. */
	{
		const struct proto_hdr *hdr = NULL;

		d.hdr.version = 1;
		assert_int_equal(proto_parse(&d, len, &hdr, NULL), ESHM_ERROR_VERSION_MISMATCH);
		assert_ptr_equal(hdr, &d.hdr);
		assert_int_equal(hdr->id, 9);
	}
	d.hdr.version = PROTO_VERSION;
	d.hdr.type = 77;
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_ERROR_PROTOCOL);
	d.hdr.type = PROTO_REQ_ATTACH;
	d.hdr.length--;
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_ERROR_PROTOCOL);
	d.hdr.length++;
	/* Length field right, datagram short or long. */
	assert_int_equal(proto_parse(&d, len - 1, NULL, NULL), ESHM_ERROR_PROTOCOL);
	assert_int_equal(proto_parse(&d, len + 1, NULL, NULL), ESHM_ERROR_PROTOCOL);
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_SUCCESS);
}

/* A fixed-size string field of a body: where it is and how long. */
#define STR_FIELD(type, st, field) \
	{ type, #st "." #field, offsetof(struct st, field), sizeof(((struct st *)0)->field) }

static void
parse_rejects_every_string_field_without_nul(void **state)
{
	static const struct {
		uint16_t type;
		const char *what;
		size_t offset, size;
	} fields[] = {
		STR_FIELD(PROTO_REQ_ATTACH, proto_attach, name),
		STR_FIELD(PROTO_REP_STATUS, proto_status, message),
		STR_FIELD(PROTO_REP_DAEMON, proto_status_reply, shm_prefix),
		STR_FIELD(PROTO_REP_DAEMON, proto_status_reply, version),
		STR_FIELD(PROTO_REP_DAEMON, proto_status_reply, socket_path),
		STR_FIELD(PROTO_REP_SEGMENT, proto_segment_info, name),
		STR_FIELD(PROTO_REP_SEGMENT, proto_segment_info, endpoint[1].comm),
		STR_FIELD(PROTO_REP_SEGMENT, proto_segment_info, endpoint[0].remote_host),
		STR_FIELD(PROTO_REP_SEGMENT, proto_segment_info, endpoint[1].remote_host),
		STR_FIELD(PROTO_REQ_HELLO, proto_hello, software),
		STR_FIELD(PROTO_REP_HELLO, proto_hello_reply, version),
		STR_FIELD(PROTO_REQ_EVENTS, proto_events, name),
		STR_FIELD(PROTO_REP_EVENT, proto_event, kind),
		STR_FIELD(PROTO_REP_EVENT, proto_event, message_id),
		STR_FIELD(PROTO_REP_EVENT, proto_event, segment),
		STR_FIELD(PROTO_REP_EVENT, proto_event, message),
		STR_FIELD(PROTO_REQ_PROXY, proto_proxy, name),
		STR_FIELD(PROTO_REQ_PROXY, proto_proxy, remote_host),
	};
	struct dgram d;
	size_t i, len;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		len = make(&d, fields[i].type);
		/* all zeros: every string empty and terminated */
		assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_SUCCESS);
		memset(d.body.raw + fields[i].offset, 'x', fields[i].size);
		if (proto_parse(&d, len, NULL, NULL) != ESHM_ERROR_PROTOCOL)
			fail_msg("%s without its NUL was accepted", fields[i].what);
	}
}

static void
parse_rejects_an_observer_count_beyond_its_array_or_a_name_without_nul(void **state)
{
	struct dgram d;
	size_t len = make(&d, PROTO_REP_OBSERVERS);

	d.body.observers.count = PROTO_OBSERVERS_MAX;
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_SUCCESS);
	d.body.observers.count = PROTO_OBSERVERS_MAX + 1;
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_ERROR_PROTOCOL);
	/* a process name without its NUL, in an entry in use or not */
	memset(d.body.observers.observer[1].comm, 'x', sizeof(d.body.observers.observer[1].comm));
	d.body.observers.count = 1;
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_SUCCESS);
	d.body.observers.count = 2;
	assert_int_equal(proto_parse(&d, len, NULL, NULL), ESHM_ERROR_PROTOCOL);
}

/* Same open file as @fd? */
static bool
same_file(int x, int y)
{
	struct stat a, b;

	return fstat(x, &a) == 0 && fstat(y, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static void
send_and_recv_carry_body_and_descriptors(void **state)
{
	alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_fds out, in;
	struct proto_name name;
	const struct proto_hdr *hdr;
	const void *body;
	int sv[2], files[3], i;
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	proto_fds_init(&out);
	for (i = 0; i < 3; i++) {
		files[i] = open(i == 1 ? "/dev/zero" : "/dev/null", O_RDONLY | O_CLOEXEC);
		out.fd[out.n++] = files[i];
	}
	memset(&name, 0, sizeof(name));
	strcpy(name.name, "seg-1");
	assert_int_equal(proto_send(sv[0], PROTO_VERSION, PROTO_REQ_PEEK, 42, &name, &out), 0);
	n = proto_recv(sv[1], buf, &in, 1000);
	assert_int_equal(n, sizeof(struct proto_hdr) + sizeof(name));
	assert_int_equal(proto_parse(buf, (size_t)n, &hdr, &body), ESHM_SUCCESS);
	assert_int_equal(hdr->id, 42);
	assert_int_equal(hdr->type, PROTO_REQ_PEEK);
	assert_string_equal(((const struct proto_name *)body)->name, "seg-1");
	/* In order, each a new descriptor of the same file, close-on-exec. */
	assert_int_equal(in.n, 3);
	for (i = 0; i < 3; i++) {
		assert_true(same_file(in.fd[i], files[i]));
		assert_true(fcntl(in.fd[i], F_GETFD) & FD_CLOEXEC);
	}
	/* proto_fds_get() finds a descriptor by its bit among those sent. */
	assert_true(same_file(proto_fds_get(&in, PROTO_FD_STATUS | PROTO_FD_PEER | PROTO_FD_PIDFD,
	                                    PROTO_FD_PEER),
	                      files[1]));
	assert_int_equal(proto_fds_get(&in, PROTO_FD_STATUS | PROTO_FD_PEER, PROTO_FD_OWN), -1);
	i = proto_fds_take(&in, 2);
	assert_true(same_file(i, files[2]));
	proto_fds_close(&in);
	assert_int_equal(fcntl(i, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC); /* not closed by it */
	close(i);
	/* Without descriptors, none come back. */
	assert_int_equal(proto_send(sv[0], PROTO_VERSION, PROTO_REQ_STATUS, 1, NULL, NULL), 0);
	assert_int_equal(proto_recv(sv[1], buf, &in, 1000), sizeof(struct proto_hdr));
	assert_int_equal(in.n, 0);
	assert_int_equal(in.fd[0], -1);
	assert_int_equal(proto_send(sv[0], PROTO_VERSION, 77, 1, NULL, NULL), -EINVAL);
	for (i = 0; i < 3; i++)
		close(files[i]);
	close(sv[0]);
	close(sv[1]);
}

static void
recv_closes_descriptors_beyond_the_maximum(void **state)
{
	alignas(8) unsigned char buf[PROTO_MSG_MAX];
	int sv[2], many[PROTO_FDS_MAX + 3], i, before, after;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(many))];
	} ctl;
	struct proto_hdr hdr = { PROTO_MAGIC, PROTO_VERSION, PROTO_REQ_STATUS, 0, 9 };
	struct iovec iov = { &hdr, sizeof(hdr) };
	struct msghdr msg;
	struct cmsghdr *c;
	struct proto_fds in;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	for (i = 0; i < PROTO_FDS_MAX + 3; i++)
		many[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(many));
	memcpy(CMSG_DATA(c), many, sizeof(many));
	assert_true(sendmsg(sv[0], &msg, 0) >= 0);
	for (i = 0; i < PROTO_FDS_MAX + 3; i++)
		close(many[i]);
	before = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(before);
	assert_int_equal(proto_recv(sv[1], buf, &in, 1000), sizeof(hdr));
	assert_int_equal(in.n, PROTO_FDS_MAX);
	proto_fds_close(&in);
	/* The extra ones were closed too: the lowest free number is free again. */
	after = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(after, before);
	close(after);
	close(sv[0]);
	close(sv[1]);
}

static void
recv_times_out_and_sees_hang_up(void **state)
{
	alignas(8) unsigned char buf[PROTO_MSG_MAX];
	struct proto_fds got;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(proto_recv(sv[1], buf, &got, 20), -ETIMEDOUT);
	assert_int_equal(proto_recv(sv[1], buf, &got, 0), -ETIMEDOUT);
	close(sv[0]);
	assert_int_equal(proto_recv(sv[1], buf, &got, 1000), 0);
	close(sv[1]);
}

struct responder {
	int sock;
	uint16_t type;   /* reply type to send */
	uint16_t version;/* of the reply; 0: PROTO_VERSION */
	int32_t status;
	int wrong_id_first;
	int notify_first;
};

static void *
respond(void *arg)
{
	struct responder *r = arg;
	alignas(8) unsigned char buf[PROTO_MSG_MAX];
	const struct proto_hdr *hdr;
	union { /* large enough for every reply type the tests send */
		struct proto_attach_reply attach;
		struct proto_status status;
		struct proto_status_reply daemon;
		struct proto_peer peer;
	} rep;
	uint16_t version = r->version != 0 ? r->version : PROTO_VERSION;
	ssize_t n = proto_recv(r->sock, buf, NULL, 5000);

	if (n <= 0 || proto_parse(buf, (size_t)n, &hdr, NULL) != 0)
		return NULL;
	memset(&rep, 0, sizeof(rep));
	if (r->notify_first) {
		struct proto_fds one;

		proto_fds_init(&one);
		one.fd[one.n++] = 0;
		rep.peer.fds = PROTO_FD_PEER;
		proto_send(r->sock, PROTO_VERSION, PROTO_NTF_PEER, 0, &rep, &one);
		memset(&rep, 0, sizeof(rep));
	}
	rep.attach.status = r->status;
	rep.attach.generation = 4096;
	if (r->type == PROTO_REP_STATUS)
		strcpy(rep.status.message, "held by pid 7 (alive)");
	if (r->wrong_id_first)
		proto_send(r->sock, version, r->type, hdr->id + 1000, &rep, NULL);
	proto_send(r->sock, version, r->type, hdr->id, &rep, NULL);
	return NULL;
}

static int
call_with(struct responder *r, struct proto_attach_reply *out, char *message)
{
	struct proto_attach req;
	struct proto_fds got;
	pthread_t t;
	int sv[2], rc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	r->sock = sv[1];
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "x");
	assert_int_equal(pthread_create(&t, NULL, respond, r), 0);
	rc = proto_call(sv[0], PROTO_REQ_ATTACH, &req, NULL, PROTO_REP_ATTACH, out, &got, message,
	                5000);
	pthread_join(t, NULL);
	/* a notification met on the way, with its descriptor, is dropped */
	assert_int_equal(got.n, 0);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static void
call_returns_matching_reply_and_its_status(void **state)
{
	struct responder r = {.type = PROTO_REP_ATTACH, .status = 0, .wrong_id_first = 1,
	                      .notify_first = 1};
	struct proto_attach_reply out;
	char message[PROTO_TEXT_SIZE];

	assert_int_equal(call_with(&r, &out, message), ESHM_SUCCESS);
	assert_int_equal(out.generation, 4096);
	assert_string_equal(message, "");
	r.type = PROTO_REP_STATUS;
	r.status = ESHM_ERROR_ROLE_TAKEN;
	assert_int_equal(call_with(&r, &out, message), ESHM_ERROR_ROLE_TAKEN);
	assert_string_equal(message, "held by pid 7 (alive)");
	/* A status reply saying success where an attach reply was due. */
	r.status = 0;
	assert_int_equal(call_with(&r, &out, message), ESHM_ERROR_PROTOCOL);
	r.type = PROTO_REP_DAEMON;
	assert_int_equal(call_with(&r, &out, message), ESHM_ERROR_PROTOCOL);
}

static void
call_reads_a_refusal_in_another_version(void **state)
{
	struct responder r = {.type = PROTO_REP_STATUS, .version = 1,
	                      .status = ESHM_ERROR_VERSION_MISMATCH};
	struct proto_attach_reply out;
	char message[PROTO_TEXT_SIZE];

	/* eshmd of another version answers in its own framing, a status only. */
	assert_int_equal(call_with(&r, &out, message), ESHM_ERROR_VERSION_MISMATCH);
	r.type = PROTO_REP_ATTACH;
	r.status = 0;
	assert_int_equal(call_with(&r, &out, message), ESHM_ERROR_VERSION_MISMATCH);
}

static void
call_reports_unavailable_on_silence_and_hang_up(void **state)
{
	struct proto_attach_reply out;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(proto_call(sv[0], PROTO_REQ_STATUS, NULL, NULL, PROTO_REP_ATTACH, &out,
	                            NULL, NULL, 20),
	                 ESHM_ERROR_DAEMON_UNAVAILABLE);
	close(sv[1]);
	assert_int_equal(proto_call(sv[0], PROTO_REQ_STATUS, NULL, NULL, PROTO_REP_ATTACH, &out,
	                            NULL, NULL, 20),
	                 ESHM_ERROR_DAEMON_UNAVAILABLE);
	close(sv[0]);
}

static void
connect_with_timeout_gives_up_on_a_full_backlog(void **state)
{
	struct sockaddr_un sa;
	char dir[] = "/tmp/eshm-proto.XXXXXX";
	int listener, held[64], n = 0, fd;
	long long t0;

	assert_non_null(mkdtemp(dir));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir);
	listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(listener, 1), 0);
	/* A listener that never accepts: fill its backlog. */
	while (n < 64 && (fd = proto_connect_timeout(sa.sun_path, 0)) >= 0)
		held[n++] = fd;
	assert_true(n < 64);
	t0 = tp_now_ns();
	assert_int_equal(proto_connect_timeout(sa.sun_path, 200), -ETIMEDOUT);
	assert_true(tp_now_ns() - t0 >= 150 * 1000000LL);
	assert_true(tp_now_ns() - t0 < 5000 * 1000000LL);
	while (n > 0)
		close(held[--n]);
	close(listener);
	unlink(sa.sun_path);
	rmdir(dir);
}

static void
connect_fails_cleanly_for_missing_or_overlong_path(void **state)
{
	char longpath[200];

	assert_int_equal(proto_connect("/nonexistent/eshm/eshmd.sock"), -ENOENT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(proto_connect(longpath), -ENAMETOOLONG);
	assert_int_equal(proto_connect(NULL), -EINVAL);
	assert_int_equal(proto_connect(""), -EINVAL);
}

static void
socket_path_from_environment_else_default(void **state)
{
	bool from_env = true;

	assert_int_equal(unsetenv("ESHM_SOCKET"), 0);
	assert_string_equal(proto_socket_path(&from_env), ESHM_DEFAULT_SOCKET);
	assert_false(from_env);
	assert_int_equal(setenv("ESHM_SOCKET", "", 1), 0);
	assert_string_equal(proto_socket_path(&from_env), ESHM_DEFAULT_SOCKET);
	assert_false(from_env);
	assert_int_equal(setenv("ESHM_SOCKET", "/tmp/other.sock", 1), 0);
	assert_string_equal(proto_socket_path(&from_env), "/tmp/other.sock");
	assert_true(from_env);
	assert_string_equal(proto_socket_path(NULL), "/tmp/other.sock");
	assert_int_equal(unsetenv("ESHM_SOCKET"), 0);
}

static void
names_follow_the_segment_alphabet(void **state)
{
	char name[PROTO_NAME_MAX + 2];

	assert_int_equal(proto_name_valid("demo"), 0);
	assert_int_equal(proto_name_valid("a.b_c-D9"), 0);
	assert_int_equal(proto_name_valid("x."), 0);
	assert_int_equal(proto_name_valid(NULL), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid(""), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("."), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid(".."), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid(".hidden"), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("-opt"), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("a/b"), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("a b"), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("tab\t"), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("caf\xc3\xa9"), ESHM_ERROR_NAME_INVALID);
	memset(name, 'n', PROTO_NAME_MAX);
	name[PROTO_NAME_MAX] = '\0';
	assert_int_equal(proto_name_valid(name), 0);
	name[PROTO_NAME_MAX] = 'n';
	name[PROTO_NAME_MAX + 1] = '\0';
	assert_int_equal(proto_name_valid(name), ESHM_ERROR_NAME_INVALID);
}

/* The rule of eshm.h, byte by byte: [A-Za-z0-9._-] anywhere but '.' and
 * '-' first, 1 to 200 bytes. */
static bool
in_name_alphabet(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static void
name_rule_is_1_to_200_of_the_alphabet_not_starting_with_dot_or_dash(void **state)
{
	char name[PROTO_NAME_MAX + 2];
	int c;

	/* every byte value, inside a name and first */
	for (c = 1; c < 256; c++) {
		char inside[4] = {'a', (char)c, 'b', '\0'};
		char first[3] = {(char)c, 'b', '\0'};

		assert_int_equal(proto_name_valid(inside),
		                 in_name_alphabet(c) ? 0 : ESHM_ERROR_NAME_INVALID);
		assert_int_equal(proto_name_valid(first),
		                 in_name_alphabet(c) && c != '.' && c != '-' ? 0
		                                                          : ESHM_ERROR_NAME_INVALID);
	}
	/* every allowed punctuation inside and last, runs of it included */
	assert_int_equal(proto_name_valid("a.b"), 0);
	assert_int_equal(proto_name_valid("a_b"), 0);
	assert_int_equal(proto_name_valid("a-b"), 0);
	assert_int_equal(proto_name_valid("a..b"), 0);
	assert_int_equal(proto_name_valid("a-._-b"), 0);
	assert_int_equal(proto_name_valid("a-"), 0);
	assert_int_equal(proto_name_valid("a_"), 0);
	assert_int_equal(proto_name_valid("_"), 0);
	assert_int_equal(proto_name_valid("_.-"), 0);
	assert_int_equal(proto_name_valid("7"), 0);
	/* a leading '.' or '-', whatever follows */
	assert_int_equal(proto_name_valid("-"), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("--help"), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("-a.b"), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid("..."), ESHM_ERROR_NAME_INVALID);
	assert_int_equal(proto_name_valid(".a_b"), ESHM_ERROR_NAME_INVALID);
	/* 200 bytes, punctuation included, is a name; 201 is not */
	memset(name, 'x', PROTO_NAME_MAX);
	memcpy(name, "a.b_c-", 6);
	name[PROTO_NAME_MAX - 1] = '-';
	name[PROTO_NAME_MAX] = '\0';
	assert_int_equal(strlen(name), 200);
	assert_int_equal(proto_name_valid(name), 0);
	name[PROTO_NAME_MAX] = '_';
	name[PROTO_NAME_MAX + 1] = '\0';
	assert_int_equal(proto_name_valid(name), ESHM_ERROR_NAME_INVALID);
}

static void
every_error_code_has_its_own_sentence(void **state)
{
	int a, b;

	for (a = ESHM_ERROR_SYSTEM; a <= 0; a++) {
		const char *s = eshm_error_string(a);

		assert_non_null(s);
		assert_true(strlen(s) > 5);
		assert_string_not_equal(s, eshm_error_string(-1000));
		for (b = ESHM_ERROR_SYSTEM; b < a; b++)
			assert_string_not_equal(s, eshm_error_string(b));
	}
	assert_non_null(eshm_error_string(12345));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_type_has_a_body_size_and_fits_a_datagram),
		cmocka_unit_test(parse_accepts_well_formed_datagram),
		cmocka_unit_test(parse_rejects_bad_header_and_length),
		cmocka_unit_test(parse_rejects_every_string_field_without_nul),
		cmocka_unit_test(parse_rejects_an_observer_count_beyond_its_array_or_a_name_without_nul),
		cmocka_unit_test(send_and_recv_carry_body_and_descriptors),
		cmocka_unit_test(recv_closes_descriptors_beyond_the_maximum),
		cmocka_unit_test(recv_times_out_and_sees_hang_up),
		cmocka_unit_test(call_returns_matching_reply_and_its_status),
		cmocka_unit_test(call_reads_a_refusal_in_another_version),
		cmocka_unit_test(call_reports_unavailable_on_silence_and_hang_up),
		cmocka_unit_test(connect_with_timeout_gives_up_on_a_full_backlog),
		cmocka_unit_test(connect_fails_cleanly_for_missing_or_overlong_path),
		cmocka_unit_test(socket_path_from_environment_else_default),
		cmocka_unit_test(names_follow_the_segment_alphabet),
		cmocka_unit_test(name_rule_is_1_to_200_of_the_alphabet_not_starting_with_dot_or_dash),
		cmocka_unit_test(every_error_code_has_its_own_sentence),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
