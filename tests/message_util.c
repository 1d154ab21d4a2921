/*
 * message_util.c - self-checking test messages (message_util.h).
 */
#include "message_util.h"

#include <string.h>

uint64_t
tmsg_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15u;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

uint32_t
tmsg_length(uint64_t *state, uint32_t max)
{
	return TMSG_HEAD + (uint32_t)(tmsg_rand(state) % (max - TMSG_HEAD + 1));
}

/* Byte @i of message @number's body: the bytes of a mix of the number,
 * so neighbouring messages (and those a ring's size apart) differ in
 * every 8-byte run. */
static unsigned char
tmsg_byte(uint64_t mix, uint32_t i)
{
	return (unsigned char)((mix >> ((i & 7u) * 8u)) + (i >> 3));
}

static uint64_t
tmsg_mix(uint64_t number)
{
	return (number + 1) * 0x9e3779b97f4a7c15u;
}

void
tmsg_compose(unsigned char *buf, uint32_t len, uint64_t number)
{
	uint64_t mix = tmsg_mix(number);
	uint32_t i, sum = 0;

	for (i = TMSG_HEAD; i < len; i++) {
		buf[i] = tmsg_byte(mix, i);
		sum += buf[i];
	}
	memcpy(buf, &number, 8);
	memcpy(buf + 8, &len, 4);
	memcpy(buf + 12, &sum, 4);
}

bool
tmsg_intact(const unsigned char *buf, size_t len, uint64_t *number)
{
	uint64_t n, mix;
	uint32_t l, sum, got = 0, i;

	if (len < TMSG_HEAD)
		return false;
	memcpy(&n, buf, 8);
	memcpy(&l, buf + 8, 4);
	memcpy(&sum, buf + 12, 4);
	if (l != len)
		return false;
	mix = tmsg_mix(n);
	for (i = TMSG_HEAD; i < l; i++) {
		if (buf[i] != tmsg_byte(mix, i))
			return false;
		got += buf[i];
	}
	if (number != NULL)
		*number = n;
	return got == sum;
}
