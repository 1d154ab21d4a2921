/*
 * test_brg_proxy.c - the bridge's PROXY declarations (bridge/brg_proxy.c)
 * against a stand-in for eshmd on a real SOCK_SEQPACKET socket: HELLO then
 * PROXY with every field as declared; an eshmd without PROXY
 * (ESHM_ERROR_PROTOCOL) or refusing permission is not asked again for
 * BRG_PROXY_RETRY_MS, and then on a fresh connection; one that hangs up is
 * reconnected at the next declaration; none at all is "unreachable".
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "brg_err.h"
#include "brg_proxy.h"
#include "layout.h"

#define MS UINT64_C(1000000)

/* The stand-in eshmd: answers HELLO, then each PROXY with @answer. */
struct tp_daemon {
	char path[108];
	int listener;
	int answer;               /* ESHM_SUCCESS or the ESHM_ERROR_* to answer PROXY */
	bool hang_up;             /* close the connection after one PROXY */
	pthread_t thread;
	int connections;
	int proxies;
	struct proto_proxy last;  /* the last PROXY received */
};

static void
tp_reply(int sock, const struct proto_hdr *hdr, int status)
{
	struct proto_status st;

	memset(&st, 0, sizeof(st));
	st.status = status;
	if (status == ESHM_ERROR_PROTOCOL)
		snprintf(st.message, sizeof(st.message), "unknown request type %u", hdr->type);
	assert_int_equal(proto_send(sock, PROTO_VERSION, PROTO_REP_STATUS, hdr->id, &st, NULL), 0);
}

/* Serve one connection until the client leaves (or the daemon hangs up). */
static void
tp_serve(struct tp_daemon *d, int sock)
{
	alignas(8) unsigned char buf[PROTO_MSG_MAX];
	const struct proto_hdr *hdr;
	const void *body;

	for (;;) {
		ssize_t n = proto_recv(sock, buf, NULL, 5000);

		if (n <= 0 || proto_parse(buf, (size_t)n, &hdr, &body) != 0)
			return;
		if (hdr->type == PROTO_REQ_HELLO) {
			struct proto_hello_reply hr;

			memset(&hr, 0, sizeof(hr));
			hr.caps = d->answer == ESHM_ERROR_PROTOCOL ? 0 : PROTO_CAP_PROXY;
			snprintf(hr.version, sizeof(hr.version), "test");
			proto_send(sock, PROTO_VERSION, PROTO_REP_HELLO, hdr->id, &hr, NULL);
		} else if (hdr->type == PROTO_REQ_PROXY) {
			memcpy(&d->last, body, sizeof(d->last));
			d->proxies++;
			tp_reply(sock, hdr, d->answer);
			if (d->hang_up)
				return;
		} else {
			tp_reply(sock, hdr, ESHM_ERROR_PROTOCOL);
		}
	}
}

static void *
tp_main(void *arg)
{
	struct tp_daemon *d = arg;
	int sock;

	while ((sock = accept(d->listener, NULL, NULL)) >= 0) {
		d->connections++;
		tp_serve(d, sock);
		close(sock);
	}
	return NULL;
}

static void
tp_start(struct tp_daemon *d, int answer)
{
	struct sockaddr_un sa;
	char dir[] = "/tmp/brg-proxy.XXXXXX";

	memset(d, 0, sizeof(*d));
	d->answer = answer;
	assert_non_null(mkdtemp(dir));
	snprintf(d->path, sizeof(d->path), "%s/eshmd.sock", dir);
	d->listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(d->listener >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->path);
	assert_int_equal(bind(d->listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(d->listener, 4), 0);
	assert_int_equal(pthread_create(&d->thread, NULL, tp_main, d), 0);
}

static void
tp_stop(struct tp_daemon *d)
{
	char dir[sizeof(d->path)];

	shutdown(d->listener, SHUT_RDWR);
	close(d->listener);
	pthread_join(d->thread, NULL);
	unlink(d->path);
	snprintf(dir, sizeof(dir), "%s", d->path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

static struct brg_report
tp_report(uint32_t state)
{
	struct brg_report r;

	memset(&r, 0, sizeof(r));
	r.state = state;
	r.pid = 4242;
	snprintf(r.host, sizeof(r.host), "hostB");
	return r;
}

static void
an_accepted_declaration_carries_every_field(void **state)
{
	struct tp_daemon d;
	struct brg_proxy p;
	struct brg_report r = tp_report(SEG_EP_STALE);

	tp_start(&d, ESHM_SUCCESS);
	assert_int_equal(brg_proxy_init(&p, d.path, "cam.front-1", ESHM_ROLE_SLAVE), BRG_OK);
	assert_int_equal(brg_proxy_declare(&p, &r, 1000 * MS), BRG_OK);
	assert_int_equal(p.status, BRG_PROXY_ACCEPTED);
	assert_string_equal(d.last.name, "cam.front-1");
	assert_int_equal(d.last.role, ESHM_ROLE_SLAVE);
	assert_int_equal(d.last.state, SEG_EP_STALE);
	assert_int_equal(d.last.remote_pid, 4242);
	assert_string_equal(d.last.remote_host, "hostB");
	assert_int_equal(d.last.reserved, 0);
	/* The next one goes over the same connection. */
	r.state = SEG_EP_ALIVE;
	assert_int_equal(brg_proxy_declare(&p, &r, 1500 * MS), BRG_OK);
	assert_int_equal(d.last.state, SEG_EP_ALIVE);
	assert_int_equal(d.connections, 1);
	assert_int_equal(d.proxies, 2);
	brg_proxy_close(&p);
	tp_stop(&d);
}

/*
 * A stand-in eshmd answering PROXY with @answer, and a first declaration at
 * T0 that it refuses: with @rc, leaving status @status.
 */
#define T0 (1000 * MS)
static void
tp_refused_at_t0(struct tp_daemon *d, struct brg_proxy *p, int answer, int rc,
                 enum brg_proxy_status status)
{
	struct brg_report r = tp_report(SEG_EP_ALIVE);

	tp_start(d, answer);
	assert_int_equal(brg_proxy_init(p, d->path, "s", ESHM_ROLE_MASTER), BRG_OK);
	assert_int_equal(brg_proxy_declare(p, &r, T0), rc);
	assert_int_equal(p->status, status);
	assert_int_equal(p->last_error, answer);
	assert_int_equal(d->proxies, 1);
}

static void
an_eshmd_without_proxy_is_asked_again_only_later(void **state)
{
	struct tp_daemon d;
	struct brg_proxy p;
	struct brg_report r = tp_report(SEG_EP_ALIVE);

	tp_refused_at_t0(&d, &p, ESHM_ERROR_PROTOCOL, BRG_ERR_UNSUPPORTED, BRG_PROXY_UNSUPPORTED);
	assert_non_null(strstr(p.message, "unknown request type"));
	/* Not asked again before the retry time, and without a word to eshmd. */
	assert_int_equal(brg_proxy_declare(&p, &r, T0 + 500 * MS), BRG_ERR_UNSUPPORTED);
	assert_int_equal(brg_proxy_declare(&p, &r, T0 + (BRG_PROXY_RETRY_MS - 1) * MS),
	                 BRG_ERR_UNSUPPORTED);
	assert_int_equal(d.proxies, 1);
	/* Then on a fresh connection: an eshmd restarted into PROXY is used. */
	d.answer = ESHM_SUCCESS;
	assert_int_equal(brg_proxy_declare(&p, &r, T0 + BRG_PROXY_RETRY_MS * MS), BRG_OK);
	assert_int_equal(d.connections, 2);
	assert_int_equal(d.proxies, 2);
	brg_proxy_close(&p);
	tp_stop(&d);
}

static void
refusals_wait_as_long_as_they_may_last(void **state)
{
	struct tp_daemon d;
	struct brg_proxy p;
	struct brg_report r = tp_report(SEG_EP_DEAD);

	tp_refused_at_t0(&d, &p, ESHM_ERROR_PERMISSION, BRG_ERR_REFUSED, BRG_PROXY_REFUSED);
	assert_int_equal(brg_proxy_declare(&p, &r, T0 + 5000 * MS), BRG_ERR_REFUSED);
	assert_int_equal(d.proxies, 1);
	/* What may pass by itself (a segment being restored) is asked again soon. */
	d.answer = ESHM_ERROR_BUSY;
	assert_int_equal(brg_proxy_declare(&p, &r, T0 + BRG_PROXY_RETRY_MS * MS), BRG_ERR_REFUSED);
	assert_int_equal(p.last_error, ESHM_ERROR_BUSY);
	assert_int_equal(d.proxies, 2);
	d.answer = ESHM_SUCCESS;
	assert_int_equal(brg_proxy_declare(&p, &r, T0 + (BRG_PROXY_RETRY_MS + 1000) * MS), BRG_OK);
	assert_int_equal(d.proxies, 3);
	brg_proxy_close(&p);
	tp_stop(&d);
}

static void
a_hang_up_is_reconnected_and_no_eshmd_is_unreachable(void **state)
{
	struct tp_daemon d;
	struct brg_proxy p;
	struct brg_report r = tp_report(SEG_EP_ALIVE);

	tp_start(&d, ESHM_SUCCESS);
	d.hang_up = true;
	brg_proxy_init(&p, d.path, "s", ESHM_ROLE_MASTER);
	assert_int_equal(brg_proxy_declare(&p, &r, 1000 * MS), BRG_OK);
	/* The daemon hung up after answering: the next declaration finds out
	 * and the one after connects again. */
	if (brg_proxy_declare(&p, &r, 1100 * MS) != BRG_OK)
		assert_int_equal(brg_proxy_declare(&p, &r, 1200 * MS), BRG_OK);
	assert_int_equal(d.connections, 2);
	brg_proxy_close(&p);
	tp_stop(&d);
	assert_int_equal(brg_proxy_declare(&p, &r, 2000 * MS), BRG_ERR_IO);
	assert_int_equal(p.status, BRG_PROXY_UNREACHABLE);
	brg_proxy_close(&p);
}

static void
bad_arguments_are_refused(void **state)
{
	struct brg_proxy p;
	struct brg_report r = tp_report(SEG_EP_ALIVE);
	char longpath[PROTO_TEXT_SIZE + 8];

	assert_int_equal(brg_proxy_init(NULL, "/x", "s", ESHM_ROLE_MASTER), BRG_ERR_INVALID);
	assert_int_equal(brg_proxy_init(&p, "/x", ".s", ESHM_ROLE_MASTER), BRG_ERR_INVALID);
	assert_int_equal(brg_proxy_init(&p, "/x", "s", ESHM_ROLE_OBSERVER), BRG_ERR_INVALID);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(brg_proxy_init(&p, longpath, "s", ESHM_ROLE_MASTER), BRG_ERR_TOO_LONG);
	assert_int_equal(brg_proxy_init(&p, "/x", "s", ESHM_ROLE_MASTER), BRG_OK);
	assert_int_equal(brg_proxy_declare(&p, NULL, 0), BRG_ERR_INVALID);
	assert_int_equal(brg_proxy_declare(NULL, &r, 0), BRG_ERR_INVALID);
	brg_proxy_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_accepted_declaration_carries_every_field),
		cmocka_unit_test(an_eshmd_without_proxy_is_asked_again_only_later),
		cmocka_unit_test(refusals_wait_as_long_as_they_may_last),
		cmocka_unit_test(a_hang_up_is_reconnected_and_no_eshmd_is_unreachable),
		cmocka_unit_test(bad_arguments_are_refused),
	};

	return cmocka_run_group_tests_name("brg_proxy", tests, NULL, NULL);
}
