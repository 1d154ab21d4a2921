/*
 * message_util.h - self-checking test messages for the channel tests: a
 * message carries its number, its length and a checksum, and every byte
 * of its body derives from its number, so a copy torn between two
 * messages, cut short or shifted is caught; and the checks a reader
 * makes on the stream of messages it reads.
 */
#ifndef ESHM_TESTS_MESSAGE_UTIL_H
#define ESHM_TESTS_MESSAGE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"

/* The header: number (8 bytes), length (4), checksum of the body (4). */
#define TMSG_HEAD 16u

/* Next value of the xorshift generator at @state (never 0). */
uint64_t tmsg_rand(uint64_t *state);

/* A length in [TMSG_HEAD, @max] drawn from @state. */
uint32_t tmsg_length(uint64_t *state, uint32_t max);

/* Write message @number of @len bytes (>= TMSG_HEAD) into @buf. */
void tmsg_compose(unsigned char *buf, uint32_t len, uint64_t number);

/* Whether the @len bytes at @buf are one whole message; its number in
 * *@number (if not NULL). */
bool tmsg_intact(const unsigned char *buf, size_t len, uint64_t *number);

/* What a reader saw of the messages it read, in order. */
struct tmsg_stream {
	bool in_order;          /* a queue's consumer: nothing may be missed */
	bool voids;             /* messages may have been voided (a writer died
	                         * mid-write): missed counts may be lower */
	uint64_t last, received, missed;
	char failure[160];      /* the first violation; empty while none */
};

/*
 * Check the message read into @buf as @info told: whole, carrying the
 * number the channel gave it, after every earlier one, with the missed
 * count the numbers give.  A violation is written to @st->failure (the
 * first one stays).
 */
void tmsg_accept(struct tmsg_stream *st, const unsigned char *buf, const struct chan_msg *info);

#endif /* ESHM_TESTS_MESSAGE_UTIL_H */
