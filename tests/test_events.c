/*
 * test_events.c - the descriptor for poll/epoll across real processes
 * against a real eshmd: poll wakes after another process writes, for each
 * role, mode and an observer, and is quiet once everything is read; one
 * reader polls four segments; the remote's state changes and a queue's
 * room are events; it keeps working across an eshmd restart; the epoll
 * example serves two segments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_util.h"
#include "harness.h"

#define EV_WAIT_MS 10000

/* What a writer child does. */
struct ev_writer {
	const char *name;
	ESHMRole role;
	ESHMChannelMode mode;
	int delay_ms;     /* before its first message */
	int messages;
};

/* Attach @name as @role, creating it as a @mode channel (queue @depth)
 * of 64-byte messages. */
static ESHMHandle *
ev_attach(const char *name, ESHMRole role, ESHMChannelMode mode, uint32_t depth)
{
	return tc_attach_channel(name, role, mode, depth, 64, false, ESHM_DISCONNECT_NEVER);
}

/* Child: attach, wait, write its messages 1..n (as 8-byte numbers), stay. */
static int
ev_writer_main(void *arg)
{
	const struct ev_writer *w = arg;
	ESHMHandle *h = ev_attach(w->name, w->role, w->mode, 16);

	if (h == NULL)
		return 1;
	tc_sleep_ms(w->delay_ms);
	for (uint64_t n = 1; n <= (uint64_t)w->messages; n++)
		if (eshm_write_timeout(h, &n, sizeof(n), EV_WAIT_MS) != ESHM_SUCCESS)
			return 2;
	for (;;)
		pause();
}

/* Wait for @fd to be readable; true if it was within @ms. */
static bool
ev_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* After a MESSAGE: read until NO_DATA; returns the last number read. */
static uint64_t
ev_drain(ESHMHandle *h)
{
	uint64_t v = 0, last = 0;
	size_t n;

	while (eshm_read(h, &v, sizeof(v), &n) == ESHM_SUCCESS)
		last = v;
	return last;
}

/* @reader's descriptor wakes for the writer child @w's messages. */
static void
ev_expect_messages(ESHMHandle *reader, struct ev_writer *w, bool queue_all)
{
	unsigned events = 0;
	uint64_t got = 0;
	int fd = -1;
	pid_t pid;

	assert_int_equal(eshm_get_event_fd(reader, &fd), ESHM_SUCCESS);
	assert_true(fd >= 0);
	pid = th_spawn(ev_writer_main, w);
	while (got < (uint64_t)w->messages) {
		assert_true(ev_readable(fd, EV_WAIT_MS));
		assert_int_equal(eshm_get_events(reader, &events), ESHM_SUCCESS);
		if (!(events & ESHM_EVENT_MESSAGE))
			continue;
		uint64_t last = ev_drain(reader);

		if (last != 0) {
			/* a queue delivers every one in order */
			if (queue_all)
				assert_true(last > got);
			got = last;
		}
	}
	/* everything read: no message announced any more (the remote's
	 * state may still change on a loaded machine) */
	assert_int_equal(eshm_get_events(reader, &events), ESHM_SUCCESS);
	assert_false(events & ESHM_EVENT_MESSAGE);
	if (ev_readable(fd, 50)) {
		assert_int_equal(eshm_get_events(reader, &events), ESHM_SUCCESS);
		assert_false(events & ESHM_EVENT_MESSAGE);
	}
	kill(pid, SIGKILL);
	th_wait_child(pid);
}

static void
poll_wakes_after_another_process_writes_for_each_role_and_mode(void **state)
{
	static const ESHMChannelMode modes[] = { ESHM_CHANNEL_LATEST, ESHM_CHANNEL_QUEUE };
	char name[32];

	(void)state;
	for (int m = 0; m < 2; m++)
		for (int r = 0; r < 2; r++) {
			ESHMRole reader_role = r == 0 ? ESHM_ROLE_SLAVE : ESHM_ROLE_MASTER;
			struct ev_writer w = { name, r == 0 ? ESHM_ROLE_MASTER : ESHM_ROLE_SLAVE,
				               modes[m], 100, 5 };
			ESHMHandle *h;

			snprintf(name, sizeof(name), "ev_rm_%d_%d", m, r);
			h = ev_attach(name, reader_role, modes[m], 16);
			assert_non_null(h);
			ev_expect_messages(h, &w, modes[m] == ESHM_CHANNEL_QUEUE);
			eshm_destroy(h);
		}
}

static void
an_observer_polls_too(void **state)
{
	struct ev_writer w = { "ev_observed", ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 200, 3 };
	ESHMHandle *s, *o;

	(void)state;
	/* the slave keeps the segment; the observer polls the master's channel */
	s = ev_attach(w.name, ESHM_ROLE_SLAVE, w.mode, 0);
	o = ev_attach(w.name, ESHM_ROLE_OBSERVER, w.mode, 0);
	assert_non_null(s);
	assert_non_null(o);
	ev_expect_messages(o, &w, false);
	eshm_destroy(o);
	eshm_destroy(s);
}

static void
one_reader_polls_four_segments(void **state)
{
	struct ev_writer w[4];
	ESHMHandle *h[4];
	char names[4][32];
	struct epoll_event ev, out[4];
	pid_t pid[4];
	int ep, fd, i, seen = 0;
	unsigned events;

	(void)state;
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	for (i = 0; i < 4; i++) {
		snprintf(names[i], sizeof(names[i]), "ev_four_%d", i);
		h[i] = ev_attach(names[i], ESHM_ROLE_SLAVE, ESHM_CHANNEL_LATEST, 0);
		assert_non_null(h[i]);
		assert_int_equal(eshm_get_event_fd(h[i], &fd), ESHM_SUCCESS);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
		/* one message each, 100 ms apart */
		w[i] = (struct ev_writer){ names[i], ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST,
			                  100 + 100 * i, 1 };
		pid[i] = th_spawn(ev_writer_main, &w[i]);
	}
	while (seen != 0xf) {
		int n = epoll_wait(ep, out, 4, EV_WAIT_MS);

		assert_true(n > 0);
		for (int k = 0; k < n; k++) {
			i = (int)out[k].data.u32;
			assert_int_equal(eshm_get_events(h[i], &events), ESHM_SUCCESS);
			if ((events & ESHM_EVENT_MESSAGE) && ev_drain(h[i]) == 1)
				seen |= 1 << i;
		}
	}
	for (i = 0; i < 4; i++) {
		kill(pid[i], SIGKILL);
		th_wait_child(pid[i]);
		eshm_destroy(h[i]);
	}
	close(ep);
}

/* Wait on @h's descriptor up to @ms until @bit comes; true if it did. */
static bool
ev_wait_for_within(ESHMHandle *h, int fd, unsigned bit, int ms)
{
	long long until = th_now_ns() + ms * 1000000LL;
	unsigned events;

	while (th_now_ns() < until) {
		if (!ev_readable(fd, 100))
			continue;
		if (eshm_get_events(h, &events) == ESHM_SUCCESS && (events & bit))
			return true;
		if (events & ESHM_EVENT_MESSAGE)
			ev_drain(h);
	}
	return false;
}

static bool
ev_wait_for(ESHMHandle *h, int fd, unsigned bit)
{
	return ev_wait_for_within(h, fd, bit, EV_WAIT_MS);
}

/* Wait on @h's REMOTE events until @state_is(h) holds; true if it did. */
static bool
ev_wait_for_remote(ESHMHandle *h, int fd, bool (*state_is)(void *))
{
	long long until = th_now_ns() + EV_WAIT_MS * 1000000LL;

	while (th_now_ns() < until)
		if (ev_wait_for_within(h, fd, ESHM_EVENT_REMOTE, 100) && state_is(h))
			return true;
	return false;
}

static void
remote_state_changes_and_room_are_events(void **state)
{
	struct ev_writer w = { "ev_remote", ESHM_ROLE_MASTER, ESHM_CHANNEL_QUEUE, 0, 0 };
	ESHMHandle *s, *m2;
	uint64_t v = 1;
	size_t n;
	pid_t pid;
	int fd;

	(void)state;
	s = ev_attach(w.name, ESHM_ROLE_SLAVE, w.mode, 1);
	assert_non_null(s);
	assert_int_equal(eshm_get_event_fd(s, &fd), ESHM_SUCCESS);
	/* a master comes: alive; it is killed: dead */
	pid = th_spawn(ev_writer_main, &w);
	assert_true(ev_wait_for_remote(s, fd, tc_remote_alive));
	kill(pid, SIGKILL);
	th_wait_child(pid);
	assert_true(ev_wait_for_remote(s, fd, tc_remote_dead));
	/* a queue writer that met a full queue hears of the room */
	m2 = ev_attach(w.name, ESHM_ROLE_MASTER, w.mode, 1);
	assert_non_null(m2);
	assert_int_equal(eshm_get_event_fd(m2, &fd), ESHM_SUCCESS);
	assert_true(th_wait_until(tc_remote_alive, m2, EV_WAIT_MS));
	assert_int_equal(eshm_write(m2, &v, sizeof(v)), ESHM_SUCCESS);
	assert_int_equal(eshm_write(m2, &v, sizeof(v)), ESHM_ERROR_QUEUE_FULL);
	assert_false(ev_wait_for_within(m2, fd, ESHM_EVENT_ROOM, 100));
	assert_int_equal(eshm_read_timeout(s, &v, sizeof(v), &n, EV_WAIT_MS), ESHM_SUCCESS);
	assert_true(ev_wait_for(m2, fd, ESHM_EVENT_ROOM));
	assert_int_equal(eshm_write(m2, &v, sizeof(v)), ESHM_SUCCESS);
	eshm_destroy(m2);
	eshm_destroy(s);
}

static void
events_go_on_across_an_eshmd_restart(void **state)
{
	struct ev_writer w = { "ev_restart", ESHM_ROLE_MASTER, ESHM_CHANNEL_LATEST, 0, 0 };
	ESHMHandle *s, *m;
	uint64_t v = 42;
	int fd;

	(void)state;
	m = ev_attach(w.name, ESHM_ROLE_MASTER, w.mode, 0);
	s = ev_attach(w.name, ESHM_ROLE_SLAVE, w.mode, 0);
	assert_non_null(m);
	assert_non_null(s);
	assert_int_equal(eshm_get_event_fd(s, &fd), ESHM_SUCCESS);
	th_daemon_kill(&th_group_daemon);
	assert_int_equal(th_daemon_start(&th_group_daemon, NULL), 0);
	assert_true(th_wait_until(tc_daemon_alive, s, EV_WAIT_MS));
	assert_int_equal(eshm_write(m, &v, sizeof(v)), ESHM_SUCCESS);
	assert_true(ev_wait_for(s, fd, ESHM_EVENT_MESSAGE));
	assert_int_equal(ev_drain(s), 42);
	eshm_destroy(s);
	eshm_destroy(m);
}

/* Read from @fd until @a and @b were both seen, or 10 s. */
static bool
ev_output_has(int fd, const char *a, const char *b)
{
	char out[4096];
	size_t len = 0;
	long long until = th_now_ns() + EV_WAIT_MS * 1000000LL;

	while (th_now_ns() < until && len < sizeof(out) - 1) {
		ssize_t n;

		if (!ev_readable(fd, 100))
			continue;
		n = read(fd, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		out[len] = '\0';
		if (strstr(out, a) != NULL && strstr(out, b) != NULL)
			return true;
	}
	return false;
}

static void
the_epoll_example_serves_two_segments(void **state)
{
	const char *prog = th_build_path("examples/eshm-epoll");
	ESHMHandle *a, *b;
	int out[2], status;
	pid_t pid;

	(void)state;
	a = ev_attach("ev_ex_a", ESHM_ROLE_MASTER, ESHM_CHANNEL_QUEUE, 16);
	b = ev_attach("ev_ex_b", ESHM_ROLE_MASTER, ESHM_CHANNEL_QUEUE, 16);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		close(out[1]);
		execl(prog, prog, "ev_ex_a", "ev_ex_b", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	assert_int_equal(eshm_wait_remote(a, EV_WAIT_MS), ESHM_SUCCESS);
	assert_int_equal(eshm_wait_remote(b, EV_WAIT_MS), ESHM_SUCCESS);
	assert_int_equal(eshm_write(a, "hello from a", 13), ESHM_SUCCESS);
	assert_int_equal(eshm_write(b, "hello from b", 13), ESHM_SUCCESS);
	assert_true(ev_output_has(out[0], "ev_ex_a: hello from a", "ev_ex_b: hello from b"));
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(out[0]);
	eshm_destroy(b);
	eshm_destroy(a);
}

static void
bad_arguments_are_refused(void **state)
{
	ESHMHandle *h = tc_attach("ev_bad", ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_NEVER);
	unsigned events;
	int fd, again;

	(void)state;
	assert_non_null(h);
	assert_int_equal(eshm_get_event_fd(NULL, &fd), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_event_fd(h, NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_events(NULL, &events), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_events(h, NULL), ESHM_ERROR_INVALID_PARAM);
	/* no descriptor asked for yet */
	assert_int_equal(eshm_get_events(h, &events), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_event_fd(h, &fd), ESHM_SUCCESS);
	assert_int_equal(eshm_get_event_fd(h, &again), ESHM_SUCCESS);
	assert_int_equal(again, fd);
	assert_int_equal(eshm_get_events(h, &events), ESHM_SUCCESS);
	eshm_destroy(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(poll_wakes_after_another_process_writes_for_each_role_and_mode),
		cmocka_unit_test(an_observer_polls_too),
		cmocka_unit_test(one_reader_polls_four_segments),
		cmocka_unit_test(remote_state_changes_and_room_are_events),
		cmocka_unit_test(events_go_on_across_an_eshmd_restart),
		cmocka_unit_test(the_epoll_example_serves_two_segments),
		cmocka_unit_test(bad_arguments_are_refused),
	};

	return cmocka_run_group_tests_name("events", tests, th_group_setup, th_group_teardown);
}
