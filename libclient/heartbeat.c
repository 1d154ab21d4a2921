/*
 * heartbeat.c - the one heartbeat thread per process.
 *
 * It serves every handle created with use_threads: each period (the
 * shortest any handle asked for) it increments their endpoint heartbeats,
 * on absolute CLOCK_MONOTONIC deadlines so the rate holds under jitter;
 * every ESHM_LOCAL_CHECK_MS it judges each remote's heartbeat locally; every
 * HB_POLL_NS it looks at each control connection and, once eshmd is gone,
 * reconnects in the background with REATTACH.  The handle list's mutex is
 * never taken by the data path.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"

#define HB_CHECK_NS ((uint64_t)ESHM_LOCAL_CHECK_MS * 1000000u)
#define HB_POLL_NS (100u * 1000000u)
#define HB_RATE_NS 1000000000u
/* A thread woken late catches up the beats it missed (absolute deadlines
 * keep the rate at 1000/s on a loaded machine, where a wake-up can come
 * tens of milliseconds late); only past this many periods does it start
 * afresh. */
#define HB_CATCH_UP_PERIODS 100u

static pthread_mutex_t hb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ESHMHandle *hb_list; /* under hb_lock */
static bool hb_running;            /* under hb_lock */
static pthread_once_t hb_once = PTHREAD_ONCE_INIT;

static void
hb_fork_prepare(void)
{
	pthread_mutex_lock(&hb_lock);
}

static void
hb_fork_parent(void)
{
	pthread_mutex_unlock(&hb_lock);
}

/* The thread does not exist in the child and the parent's handles are not
 * the child's: start from nothing, so the child can eshm_init() its own. */
static void
hb_fork_child(void)
{
	pthread_mutex_init(&hb_lock, NULL);
	hb_list = NULL;
	hb_running = false;
}

static void
hb_install_atfork(void)
{
	pthread_atfork(hb_fork_prepare, hb_fork_parent, hb_fork_child);
}

/* Notice a hung-up control connection and reconnect once eshmd is back. */
static void
hb_watch_control(struct ESHMHandle *h)
{
	if (atomic_load_explicit(&h->detached, memory_order_relaxed))
		return;
	if (h->sock >= 0) {
		struct pollfd pfd = {.fd = h->sock, .events = POLLIN};
		unsigned char buf[PROTO_MSG_MAX] __attribute__((aligned(8)));
		int fd;

		if (poll(&pfd, 1, 0) <= 0)
			return;
		/* eshmd sends nothing unasked: readable means hang-up or a
		 * stray datagram, which is dropped. */
		if (!(pfd.revents & (POLLHUP | POLLERR)) && proto_recv(h->sock, buf, &fd, 0) > 0) {
			if (fd >= 0)
				close(fd);
			return;
		}
		close(h->sock);
		h->sock = -1;
	}
	ctrl_reconnect(h);
}

static void *
hb_main(void *arg)
{
	uint64_t now = clock_mono_ns(), last_check = now, last_poll = now, last_rate = now;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		struct ESHMHandle *h;
		uint32_t period_us = ESHM_HEARTBEAT_US_MAX;
		bool check, watch, rate;

		pthread_mutex_lock(&hb_lock);
		if (hb_list == NULL) {
			hb_running = false;
			pthread_mutex_unlock(&hb_lock);
			return NULL;
		}
		for (h = hb_list; h != NULL; h = h->next) {
			atomic_fetch_add_explicit(&h->map.endpoint[h->role]->heartbeat, 1,
			                          memory_order_relaxed);
			if (h->options.heartbeat_period_us < period_us)
				period_us = h->options.heartbeat_period_us;
		}
		now = clock_mono_ns();
		check = now - last_check >= HB_CHECK_NS;
		watch = now - last_poll >= HB_POLL_NS;
		rate = now - last_rate >= HB_RATE_NS;
		for (h = hb_list; h != NULL && (check || watch || rate); h = h->next) {
			if (check) {
				live_local_check(h, ESHM_LOCAL_CHECK_MS);
				live_update_stale(h, now);
			}
			if (watch)
				hb_watch_control(h);
			if (rate)
				live_update_rates(h, now);
		}
		pthread_mutex_unlock(&hb_lock);
		if (check)
			/* One check per period; after a long stall, restart the
			 * count instead of running a burst of checks. */
			last_check = now - last_check > 10 * HB_CHECK_NS ? now : last_check + HB_CHECK_NS;
		if (watch)
			last_poll = now;
		if (rate)
			last_rate = now;

		clock_ts_add_ns(&next, (uint64_t)period_us * 1000u);
		now = clock_mono_ns();
		if ((uint64_t)next.tv_sec * 1000000000u + (uint64_t)next.tv_nsec +
		        HB_CATCH_UP_PERIODS * (uint64_t)period_us * 1000u <
		    now) {
			/* Stopped (SIGSTOP) rather than merely starved: start
			 * afresh instead of a burst of beats. */
			next.tv_sec = (time_t)(now / 1000000000u);
			next.tv_nsec = (long)(now % 1000000000u);
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) != 0) {
			/* EINTR: sleep on to the same deadline. */
		}
	}
	return arg;
}

int
hb_register(struct ESHMHandle *h)
{
	int rc = ESHM_SUCCESS;

	pthread_once(&hb_once, hb_install_atfork);
	pthread_mutex_lock(&hb_lock);
	h->next = hb_list;
	hb_list = h;
	if (!hb_running) {
		pthread_attr_t attr;
		pthread_t tid;
		sigset_t all, old;

		/* The thread takes no signal meant for the application. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&tid, &attr, hb_main, NULL) == 0)
			hb_running = true;
		else {
			hb_list = h->next;
			rc = ESHM_ERROR_SYSTEM;
		}
		pthread_attr_destroy(&attr);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_mutex_unlock(&hb_lock);
	return rc;
}

void
hb_unregister(struct ESHMHandle *h)
{
	struct ESHMHandle **p;

	pthread_mutex_lock(&hb_lock);
	for (p = &hb_list; *p != NULL; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			break;
		}
	}
	pthread_mutex_unlock(&hb_lock);
}
