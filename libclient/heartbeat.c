/*
 * heartbeat.c - the one heartbeat thread per process.
 *
 * It serves every handle created with use_threads: each period (the
 * shortest any handle asked for) it increments their heartbeats, on
 * absolute CLOCK_MONOTONIC deadlines so the rate holds under jitter.  It
 * does nothing else: no control-plane I/O, no judging, and its list lock
 * is held only to walk the list, so nothing eshmd or a peer does can delay
 * a beat.
 */
#include <pthread.h>
#include <time.h>

#include "clock.h"
#include "handle.h"

/* A thread woken late catches up the beats it missed (absolute deadlines
 * keep the rate at 1000/s on a loaded machine, where a wake-up can come
 * tens of milliseconds late); only past this many periods (the process
 * was stopped) does it start afresh. */
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
 * the child's: start from nothing, so the child can eshm_init() its own.
 * The forking thread locked hb_lock in prepare, so it may unlock it. */
static void
hb_fork_child(void)
{
	hb_list = NULL;
	hb_running = false;
	pthread_mutex_unlock(&hb_lock);
}

static void
hb_install_atfork(void)
{
	pthread_atfork(hb_fork_prepare, hb_fork_parent, hb_fork_child);
}

static void *
hb_main(void *arg)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		struct ESHMHandle *h;
		uint32_t period_us = ESHM_HEARTBEAT_US_MAX;
		uint64_t now;

		pthread_mutex_lock(&hb_lock);
		now = clock_mono_ns();
		if (hb_list == NULL) {
			hb_running = false;
			pthread_mutex_unlock(&hb_lock);
			return arg;
		}
		for (h = hb_list; h != NULL; h = h->hb_next) {
			/* The block is this process's alone: a plain increment,
			 * dated first (see live_sample()). */
			atomic_store_explicit(&h->own->beat_mono_ns, now, memory_order_relaxed);
			atomic_store_explicit(&h->own->heartbeat,
			                      atomic_load_explicit(&h->own->heartbeat,
			                                           memory_order_relaxed) + 1,
			                      memory_order_release);
			if (h->options.heartbeat_period_us < period_us)
				period_us = h->options.heartbeat_period_us;
		}
		pthread_mutex_unlock(&hb_lock);

		clock_ts_add_ns(&next, (uint64_t)period_us * 1000u);
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
}

int
hb_register(struct ESHMHandle *h)
{
	int rc = ESHM_SUCCESS;

	pthread_once(&hb_once, hb_install_atfork);
	pthread_mutex_lock(&hb_lock);
	h->hb_next = hb_list;
	hb_list = h;
	if (!hb_running) {
		rc = lib_thread_start(hb_main);
		if (rc == ESHM_SUCCESS)
			hb_running = true;
		else
			hb_list = h->hb_next;
	}
	pthread_mutex_unlock(&hb_lock);
	return rc;
}

void
hb_unregister(struct ESHMHandle *h)
{
	struct ESHMHandle **p;

	pthread_mutex_lock(&hb_lock);
	for (p = &hb_list; *p != NULL; p = &(*p)->hb_next) {
		if (*p == h) {
			*p = h->hb_next;
			break;
		}
	}
	pthread_mutex_unlock(&hb_lock);
}
