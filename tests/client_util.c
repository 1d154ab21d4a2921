/*
 * client_util.c - test payloads that prove themselves intact, attach helper.
 */
#include "client_util.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

ESHMHandle *
tc_attach(const char *name, ESHMRole role, uint32_t threshold_ms, ESHMDisconnectBehavior behavior)
{
	ESHMConfig c = eshm_default_config(name);

	c.role = role;
	c.stale_threshold_ms = threshold_ms;
	c.disconnect_behavior = behavior;
	return eshm_init(&c);
}

ESHMHandle *
tc_attach_channel(const char *name, ESHMRole role, ESHMChannelMode mode, uint32_t depth,
                  size_t capacity, bool timestamps, ESHMDisconnectBehavior behavior)
{
	ESHMConfig c = eshm_default_config(name);
	ESHMOptions *o = eshm_options_new();
	ESHMHandle *h = NULL;

	c.role = role;
	c.stale_threshold_ms = 1000;
	c.disconnect_behavior = behavior;
	if (o != NULL && eshm_options_set_capacity(o, capacity) == ESHM_SUCCESS &&
	    eshm_options_set_channel_mode(o, mode) == ESHM_SUCCESS &&
	    eshm_options_set_queue_depth(o, depth) == ESHM_SUCCESS &&
	    eshm_options_set_timestamps(o, timestamps) == ESHM_SUCCESS)
		h = eshm_init_with_options(&c, o);
	eshm_options_free(o);
	return h;
}

ESHMHandle *
tc_attach_when_free(ESHMHandle *(*attach)(const void *arg), const void *arg, int ms)
{
	long long until = th_now_ns() + (long long)ms * 1000000;
	ESHMHandle *h;

	while ((h = attach(arg)) == NULL && eshm_last_error() == ESHM_ERROR_ROLE_TAKEN &&
	       th_now_ns() < until)
		tc_sleep_ms(10);
	return h;
}

static uint64_t
tc_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

/* Layout: 8-byte seed, then bytes of a stream keyed by seed and length. */
void
tc_fill(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t state = tc_mix(seed ^ (uint64_t)len);
	size_t i;

	if (len < 8) {
		for (i = 0; i < len; i++)
			buf[i] = (unsigned char)(len * 31 + i);
		return;
	}
	memcpy(buf, &seed, 8);
	for (i = 8; i < len; i++) {
		if ((i & 7) == 0)
			state = tc_mix(state + i);
		buf[i] = (unsigned char)(state >> ((i & 7) * 8));
	}
}

bool
tc_intact(const unsigned char *buf, size_t len)
{
	uint64_t state, seed;
	size_t i;

	if (len < 8) {
		for (i = 0; i < len; i++)
			if (buf[i] != (unsigned char)(len * 31 + i))
				return false;
		return true;
	}
	memcpy(&seed, buf, 8);
	state = tc_mix(seed ^ (uint64_t)len);
	for (i = 8; i < len; i++) {
		if ((i & 7) == 0)
			state = tc_mix(state + i);
		if (buf[i] != (unsigned char)(state >> ((i & 7) * 8)))
			return false;
	}
	return true;
}

uint64_t
tc_seed(const unsigned char *buf)
{
	uint64_t seed;

	memcpy(&seed, buf, 8);
	return seed;
}

bool
tc_remote_alive(void *h)
{
	bool alive = false;

	return eshm_check_remote_alive(h, &alive) == ESHM_SUCCESS && alive;
}

bool
tc_remote_not_alive(void *h)
{
	return !tc_remote_alive(h);
}

bool
tc_remote_dead(void *h)
{
	ESHMStats st;

	return eshm_get_stats(h, &st) == ESHM_SUCCESS && st.remote_is_dead;
}

void
tc_beats_look(struct tc_beats *b, ESHMHandle *h)
{
	long long before = th_now_ns();
	ESHMStats st;
	uint64_t hb;

	if (eshm_get_stats(h, &st) != ESHM_SUCCESS)
		return;
	hb = eshm_get_role(h) == ESHM_ROLE_MASTER ? st.slave_heartbeat : st.master_heartbeat;
	if (hb != b->seen) {
		/* the previous look found the older value: the move came after it began */
		if (b->seen != UINT64_MAX)
			b->earliest_ns = b->prev_ns;
		b->seen = hb;
	}
	b->prev_ns = before;
}

void
tc_beats_watch(struct tc_beats *b, ESHMHandle *h, int ms)
{
	long long now = th_now_ns(), end = now + (long long)ms * 1000000;
	long long give_up = end + (long long)TC_BEATS_MOVE_MAX_MS * 1000000;

	b->seen = UINT64_MAX;
	b->prev_ns = 0;
	b->earliest_ns = 0;
	/* A heartbeat thread held off the CPU for the whole set time leaves
	 * no move to date the last beat by: watch on until one comes. */
	while (now < end || (b->earliest_ns == 0 && now < give_up)) {
		tc_beats_look(b, h);
		usleep(100);
		now = th_now_ns();
	}
}

bool
tc_daemon_alive(void *h)
{
	ESHMStats st;

	return eshm_get_stats(h, &st) == ESHM_SUCCESS && st.daemon_alive;
}

int
tc_echo_slave(void *name)
{
	ESHMHandle *s = tc_attach(name, ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_ON_TIMEOUT);
	uint64_t v;
	size_t n;

	if (s == NULL)
		return 1;
	for (;;) {
		int rc = eshm_read_timeout(s, &v, sizeof(v), &n, 5000);

		if (rc == ESHM_ERROR_TIMEOUT)
			return 2;
		if (rc != ESHM_SUCCESS)
			continue;
		if (v == UINT64_MAX)
			break;
		if (eshm_write(s, &v, sizeof(v)) != ESHM_SUCCESS)
			return 3;
	}
	return eshm_destroy(s) == ESHM_SUCCESS ? 0 : 4;
}

static long long
tc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

bool
tc_echo_once(ESHMHandle *m, uint64_t v)
{
	long long deadline = tc_now_ns() + 2000000000LL;
	uint64_t back;
	size_t n;

	if (eshm_write(m, &v, sizeof(v)) != ESHM_SUCCESS)
		return false;
	while (tc_now_ns() < deadline)
		if (eshm_read_timeout(m, &back, sizeof(back), &n, 100) == ESHM_SUCCESS)
			return back == v;
	return false;
}

void
tc_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}
