/*
 * client_util.c - test payloads that prove themselves intact, attach helper.
 */
#include "client_util.h"

#include <string.h>
#include <time.h>

ESHMHandle *
tc_attach(const char *name, ESHMRole role, uint32_t threshold_ms, ESHMDisconnectBehavior behavior)
{
	ESHMConfig c = eshm_default_config(name);

	c.role = role;
	c.stale_threshold_ms = threshold_ms;
	c.disconnect_behavior = behavior;
	return eshm_init(&c);
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
tc_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}
