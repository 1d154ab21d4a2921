/*
 * message_util.c - self-checking test messages (message_util.h).
 */
#include "message_util.h"

#include <stdio.h>
#include <string.h>

#define TMSG_ONES UINT64_C(0x0101010101010101)
#define TMSG_HIGH UINT64_C(0x8080808080808080)

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

/* The bytes of a mix of the number: neighbouring messages (and those a
 * ring's size apart) differ in every 8-byte run. */
static uint64_t
tmsg_mix(uint64_t number)
{
	return (number + 1) * 0x9e3779b97f4a7c15u;
}

/* Body word @k (bytes 8k .. 8k+7): each byte of @mix plus k, modulo 256
 * byte by byte, so a body shifted by a word is caught too. */
static uint64_t
tmsg_word(uint64_t mix, uint64_t k)
{
	uint64_t add = (k & 0xff) * TMSG_ONES;

	return ((mix & ~TMSG_HIGH) + (add & ~TMSG_HIGH)) ^ ((mix ^ add) & TMSG_HIGH);
}

/* Byte @i of a body whose words are as tmsg_word() says. */
static unsigned char
tmsg_byte(uint64_t mix, uint32_t i)
{
	return (unsigned char)((mix >> ((i & 7u) * 8u)) + (i >> 3));
}

/* Write the body of message @number (@len bytes) into @out, or check the
 * one at @in (@out NULL); its checksum in *@sum.  False on a mismatch. */
static bool
tmsg_body(const unsigned char *in, unsigned char *out, uint32_t len, uint64_t number,
          uint32_t *sum)
{
	uint64_t mix = tmsg_mix(number), w, s = 0;
	uint32_t i;

	for (i = TMSG_HEAD; i + 8 <= len; i += 8) {
		w = tmsg_word(mix, i >> 3);
		if (out != NULL) {
			memcpy(out + i, &w, 8);
		} else {
			uint64_t got;

			memcpy(&got, in + i, 8);
			if (got != w)
				return false;
		}
		s += w;
	}
	for (; i < len; i++) {
		unsigned char b = tmsg_byte(mix, i);

		if (out != NULL)
			out[i] = b;
		else if (in[i] != b)
			return false;
		s += b;
	}
	*sum = (uint32_t)(s ^ (s >> 32));
	return true;
}

void
tmsg_compose(unsigned char *buf, uint32_t len, uint64_t number)
{
	uint32_t sum;

	tmsg_body(NULL, buf, len, number, &sum);
	memcpy(buf, &number, 8);
	memcpy(buf + 8, &len, 4);
	memcpy(buf + 12, &sum, 4);
}

bool
tmsg_intact(const unsigned char *buf, size_t len, uint64_t *number)
{
	uint64_t n;
	uint32_t l, sum, got;

	if (len < TMSG_HEAD)
		return false;
	memcpy(&n, buf, 8);
	memcpy(&l, buf + 8, 4);
	memcpy(&sum, buf + 12, 4);
	if (l != len || !tmsg_body(buf, NULL, l, n, &got) || got != sum)
		return false;
	if (number != NULL)
		*number = n;
	return true;
}

#define TMSG_FAIL(st, ...)                                                                         \
	do {                                                                                       \
		if ((st)->failure[0] == '\0')                                                      \
			snprintf((st)->failure, sizeof((st)->failure), __VA_ARGS__);               \
	} while (0)

void
tmsg_accept(struct tmsg_stream *st, const unsigned char *buf, const struct chan_msg *info)
{
	unsigned long long n = info->number, last = st->last, missed = info->missed;
	uint64_t number;

	if (!tmsg_intact(buf, info->size, &number) || number != info->number)
		TMSG_FAIL(st, "message %llu torn", n);
	else if (info->number <= st->last)
		TMSG_FAIL(st, "message %llu after %llu", n, last);
	else if (st->in_order && info->missed != 0)
		TMSG_FAIL(st, "%llu messages lost before %llu", missed, n);
	else if (st->voids ? info->missed > info->number - st->last - 1
	                   : info->missed != info->number - st->last - 1)
		TMSG_FAIL(st, "%llu counted missed between %llu and %llu", missed, last, n);
	st->last = info->number;
	st->received++;
	st->missed += info->missed;
}
